import { validateFusedSpec, Network } from '@plasticity/snn';
import { COOConnection, CSRConnection, DenseConnection } from '@plasticity/sparse';
import type { Params, Rule } from '@plasticity/core';
import { describe, expect, it } from 'vitest';
import { mstdp, mstdpet } from './mstdp.js';
import { STDP_DEFAULTS, stdp } from './stdp.js';
import { TRIPLET_DEFAULTS, tripletStdp } from './triplet.js';

/** The same rule object without `toFused`: the Network then runs its tensor `step` (generic path). */
const genericOnly = (rule: Rule): Rule => ({ ...rule, toFused: undefined }) as Rule;

const CASES: [string, Rule & { toFused?: (p: never) => unknown }, Params][] = [
  ['stdp additive all-to-all', stdp, { ...STDP_DEFAULTS, aPlus: 0.2, aMinus: 0.22, wMin: 0, wMax: 4 }],
  ['stdp additive nearest', stdp, { ...STDP_DEFAULTS, aPlus: 0.2, aMinus: 0.22, wMin: 0, wMax: 4, pairing: 'nearest' }],
  ['stdp soft-bound', stdp, { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, wMin: 0, wMax: 4, weightDependence: 'soft-bound' }],
  ['stdp multiplicative μ+=0.5 μ−=2', stdp, { ...STDP_DEFAULTS, aPlus: 0.1, aMinus: 0.02, wMin: 0.5, wMax: 4, weightDependence: 'multiplicative', muPlus: 0.5, muMinus: 2 }],
  ['triplet full', tripletStdp, { ...TRIPLET_DEFAULTS, a2Plus: 0.05, a3Plus: 0.1, a2Minus: 0.07, a3Minus: 0.02, wMin: 0, wMax: 4 }],
  ['triplet minimal nearest', tripletStdp, { ...TRIPLET_DEFAULTS, a2Plus: 0.05, a3Plus: 0.1, a2Minus: 0.07, model: 'minimal', pairing: 'nearest', wMin: 0, wMax: 4 }],
  ['mstdp', mstdp, { nu: 0.05, wMin: 0, wMax: 4 }],
  ['mstdpet', mstdpet, { nu: 0.3, wMin: 0, wMax: 4 }],
];

async function simulate(rule: Rule, params: Params, format: 'dense' | 'csr' | 'coo') {
  const net = new Network({ dtMs: 0.5, seed: 3 });
  const inp = net.addPoisson('in', { n: 40, rateHz: 60 });
  const out = net.addPopulation('out', { n: 5, neuron: 'core/lif', params: { tauMMs: 10, refractoryMs: 2 } });
  const init = { dist: 'uniform' as const, low: 1, high: 3 };
  const conn = format === 'dense'
    ? DenseConnection.random({ nPre: 40, nPost: 5, p: 1, seed: 4, init })
    : format === 'csr'
      ? CSRConnection.random({ nPre: 40, nPost: 5, p: 0.6, seed: 4, init })
      : COOConnection.random({ nPre: 40, nPost: 5, p: 0.6, seed: 4, init });
  const w0 = await conn.getWeights();
  net.connect(inp, out, { connection: conn, rule, ruleParams: params, modulator: 'reward' });
  const spikes = net.monitorSpikes(out);
  net.setModulator('reward', 0.5);
  for (let k = 0; k < 120; k++) {
    if (k === 60) net.setModulator('reward', -0.25);
    await net.step();
  }
  const w = await conn.getWeights();
  const count = spikes.count;
  conn.dispose();
  net.dispose();
  return { w, count, moved: w.filter((v, k) => Math.abs(v - w0[k]!) > 1e-3).length };
}

describe('toFused', () => {
  it("maps Song, Miller & Abbott's parameters (Brian2 example) to the engine's pair-STDP spec", () => {
    const gmax = 0.01;
    const spec = stdp.toFused!({ ...STDP_DEFAULTS, aPlus: 0.01 * gmax, aMinus: 0.0105 * gmax, wMin: 0, wMax: gmax });
    expect(spec).toEqual({
      kind: 'stdp', aPlus: 0.01 * gmax, aMinus: 0.0105 * gmax, tauPlusMs: 20, tauMinusMs: 20,
      traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: gmax,
    });
  });
});

describe('toFused describes the same rule: fused engine == generic tensor path', () => {
  for (const [label, rule, params] of CASES) {
    for (const format of ['dense', 'csr', 'coo'] as const) {
      it(`${label} on ${format}`, async () => {
        const spec = rule.toFused!(({ ...rule.defaults, ...params }) as never);
        expect(spec).toBeDefined();
        expect(() => validateFusedSpec(spec as never, 0.5)).not.toThrow();
        const fused = await simulate(rule, params, format);
        const generic = await simulate(genericOnly(rule), params, format);
        expect(fused.count).toBeGreaterThan(20);
        expect(generic.count).toBe(fused.count);
        expect(fused.moved).toBeGreaterThan(fused.w.length / 4);
        for (let k = 0; k < fused.w.length; k++) {
          expect(Math.abs(generic.w[k]! - fused.w[k]!)).toBeLessThan(1e-4 * (1 + Math.abs(fused.w[k]!)));
        }
      });
    }
  }
});
