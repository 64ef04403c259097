// The user rule of my-stdp.mjs inside a Network, as a user would run it: fused through its own
// kernel, equal to its tensor step, and equal bit for bit to the built-in core/stdp's direct kernel
// (the same arithmetic).
import { createRegistry, initBackend, type Registry } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { Network, conductanceLif, lif } from '@plasticity/snn';
import { CSRConnection, DenseConnection } from '@plasticity/sparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { MY_STDP_DEFAULTS, myStdp } from './my-stdp.mjs';

beforeAll(async () => {
  await initBackend('cpu');
});

const P = { ...MY_STDP_DEFAULTS, aPlus: 0.2, aMinus: 0.25, wMin: 0, wMax: 8 };

/** 60 Poisson inputs → 6 LIF through a CSR or dense connection with the given rule. */
async function simulate(registry: Registry, rule: string, params: object, format: 'csr' | 'dense', lazyPotentiation = true) {
  const net = new Network({ dtMs: 0.5, seed: 11, registry, lazyPotentiation, fallback: 'silent' });
  net.addPoisson('in', { n: 60, rateHz: 40 });
  net.addPopulation('out', { n: 6, neuron: lif, params: { tauMMs: 10 } });
  const init = { dist: 'uniform' as const, low: 1, high: 5 };
  const c = format === 'csr'
    ? CSRConnection.random({ nPre: 60, nPost: 6, p: 0.5, seed: 2, init })
    : DenseConnection.random({ nPre: 60, nPost: 6, p: 1, seed: 2, init });
  const w0 = await c.getWeights();
  net.connect('in', 'out', { connection: c, rule, ruleParams: params as never });
  const engine = net.engineReport()[0]!.engine;
  const spikes = net.monitorSpikes('out');
  await net.run(400);
  const w = await c.getWeights();
  c.dispose();
  net.dispose();
  return { w, w0, engine, spikes: spikes.count };
}

const withRule = (fused: boolean): Registry => {
  const r = createRegistry();
  registerBuiltins(r);
  r.register(fused ? myStdp : { ...myStdp, fused: undefined });
  return r;
};

describe('a user-defined fused STDP rule', () => {
  for (const format of ['csr', 'dense'] as const) {
    it(`runs fused and equals its own tensor step (${format})`, async () => {
      const fused = await simulate(withRule(true), 'acme/my-stdp', P, format);
      const generic = await simulate(withRule(false), 'acme/my-stdp', P, format);
      expect(fused.engine).toBe('fused');
      expect(generic.engine).toBe('tensor');
      expect(fused.spikes).toBe(generic.spikes);
      expect(fused.spikes).toBeGreaterThan(50);
      expect(fused.w.filter((v, k) => v !== fused.w0[k]).length).toBeGreaterThan(fused.w.length / 2);
      for (let k = 0; k < fused.w.length; k++) expect(Math.abs(fused.w[k]! - generic.w[k]!)).toBeLessThan(1e-5 * (1 + Math.abs(fused.w[k]!)));
    });

    it(`is bit-identical to the built-in core/stdp with the direct kernel (${format})`, async () => {
      const mine = await simulate(withRule(true), 'acme/my-stdp', P, format);
      const builtin = await simulate(withRule(true), 'core/stdp', P, format, false);
      expect(mine.w).toEqual(builtin.w);
    });
  }

  it('Song–Miller–Abbott for 2 s: the same weights as core/stdp (direct kernel)', async () => {
    const gmax = 0.01;
    const params = { aPlus: 0.01 * gmax, aMinus: 0.0105 * gmax, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: gmax };
    const run = async (rule: string) => {
      const net = new Network({ dtMs: 0.1, seed: 1, registry: withRule(true), lazyPotentiation: false, fallback: 'error' });
      net.addPoisson('input', { n: 1000, rateHz: 15 });
      net.addPopulation('out', { n: 1, neuron: conductanceLif, params: { vInitMv: 0 } });
      const c = DenseConnection.random({ nPre: 1000, nPost: 1, p: 1, seed: 1, init: { dist: 'uniform', low: 0, high: gmax } });
      net.connect('input', 'out', { connection: c, rule, ruleParams: params });
      await net.run(2000);
      const w = await c.getWeights();
      c.dispose();
      return w;
    };
    expect(await run('acme/my-stdp')).toEqual(await run('core/stdp'));
  });
});
