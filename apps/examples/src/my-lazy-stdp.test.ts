// The user rule of my-lazy-stdp.mjs (LazyPotentiation from @plasticity/rules) inside a Network, as a
// user would run it: bit-identical to the built-in core/stdp's default (lazy) kernel, on the plain JS
// path and on the SIMD path, within float rounding of its own tensor step, and checkpointed through
// the network's file format (save, load into a fresh network, continue = uninterrupted).
import { createRegistry, initBackend, type Registry } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { Network, lif } from '@plasticity/snn';
import { CSRConnection, DenseConnection } from '@plasticity/sparse';
import { beforeAll, describe, expect, it } from 'vitest';
import { myLazyStdp } from './my-lazy-stdp.mjs';
import { MY_STDP_DEFAULTS, myStdp } from './my-stdp.mjs';

beforeAll(async () => {
  await initBackend('cpu');
});

const P = { ...MY_STDP_DEFAULTS, aPlus: 0.2, aMinus: 0.25, wMin: 0, wMax: 8 };

const registry = (fused = true): Registry => {
  const r = createRegistry();
  registerBuiltins(r);
  r.register(myStdp);
  r.register(fused ? myLazyStdp : { ...myLazyStdp, fused: undefined });
  return r;
};

interface Run { format: 'csr' | 'dense'; nPost: number; lazyPotentiation?: boolean; fused?: boolean }

/** 60 Poisson inputs → nPost LIF neurons through a CSR or dense connection with `rule`. */
function build(rule: string, { format, nPost, lazyPotentiation = true, fused = true }: Run) {
  const net = new Network({ dtMs: 0.5, seed: 11, registry: registry(fused), lazyPotentiation, fallback: 'silent' });
  net.addPoisson('in', { n: 60, rateHz: 40 });
  net.addPopulation('out', { n: nPost, neuron: lif, params: { tauMMs: 10 } });
  const init = { dist: 'uniform' as const, low: 1, high: 5 };
  const c = format === 'csr'
    ? CSRConnection.random({ nPre: 60, nPost, p: 0.5, seed: 2, init })
    : DenseConnection.random({ nPre: 60, nPost, p: 1, seed: 2, init });
  net.connect('in', 'out', { connection: c, rule, ruleParams: P });
  return { net, c };
}

async function simulate(rule: string, run: Run, ms = 400) {
  const { net, c } = build(rule, run);
  const w0 = await c.getWeights();
  const spikes = net.monitorSpikes('out');
  await net.run(ms);
  const w = await c.getWeights();
  const engine = net.engineReport()[0]!.engine;
  c.dispose();
  net.dispose();
  return { w, w0, engine, spikes: spikes.count };
}

describe('a user-defined STDP rule built on LazyPotentiation', () => {
  // nPost 6: the plain JS rows; dense nPost 12: the SIMD module's rows (dense tables with nPost >= 8)
  for (const run of [{ format: 'csr', nPost: 6 }, { format: 'dense', nPost: 6 }, { format: 'dense', nPost: 12 }] as const) {
    it(`is bit-identical to core/stdp's default lazy kernel (${run.format}, ${run.nPost} post)`, async () => {
      const mine = await simulate('acme/my-lazy-stdp', run);
      const builtin = await simulate('core/stdp', run);
      expect(mine.engine).toBe('fused');
      expect(mine.spikes).toBeGreaterThan(50);
      expect(mine.w.filter((v, k) => v !== mine.w0[k]).length).toBeGreaterThan(mine.w.length / 2);
      expect(mine.w).toEqual(builtin.w);
    });

    it(`equals its own tensor step up to float rounding (${run.format}, ${run.nPost} post)`, async () => {
      const fused = await simulate('acme/my-lazy-stdp', run);
      const generic = await simulate('acme/my-lazy-stdp', { ...run, fused: false });
      expect(generic.engine).toBe('tensor');
      expect(fused.spikes).toBe(generic.spikes);
      for (let k = 0; k < fused.w.length; k++) expect(Math.abs(fused.w[k]! - generic.w[k]!)).toBeLessThan(1e-5 * (1 + Math.abs(fused.w[k]!)));
    });
  }

  it('runs the direct kernel of my-stdp.mjs where the network forbids lazy potentiation', async () => {
    const run = { format: 'dense', nPost: 12, lazyPotentiation: false } as const;
    expect((await simulate('acme/my-lazy-stdp', run)).w).toEqual((await simulate('acme/my-stdp', run)).w);
  });

  it('save, load into a fresh network, continue = the uninterrupted run, bit for bit', async () => {
    const run = { format: 'dense', nPost: 12 } as const;
    const whole = await simulate('acme/my-lazy-stdp', run, 400);
    const a = build('acme/my-lazy-stdp', run);
    await a.net.run(200);
    const bytes = await a.net.saveCheckpoint();
    a.c.dispose();
    a.net.dispose();
    const b = build('acme/my-lazy-stdp', run);
    await b.net.loadCheckpoint(bytes);
    await b.net.run(200);
    expect(await b.c.getWeights()).toEqual(whole.w);
    b.c.dispose();
    b.net.dispose();
  });
});
