import { COOConnection, CSRConnection, DenseConnection } from '@plasticity/sparse';
import { createRegistry, type Params, type Rule } from '@plasticity/core';
import {
  BUILTIN_RULES, STDP_DEFAULTS, TRIPLET_DEFAULTS, bcm, hebbian, mstdp, mstdpet, oja, pdp, registerBuiltins, scp, stdp, tripletStdp,
} from '@plasticity/rules';
import { describe, expect, it } from 'vitest';
import { Network } from './network.js';

// Every built-in rule runs in a Network through its registered fused kernel, and through its tfjs
// `step` when the registry holds the rule without the kernel: both must give the same weights.

/** label, rule, params, the fraction of synapses that must move (coincidence rules move few), and the
 *  output spikes required (PDLF's normalisation keeps |w| <= 1, too weak to make the LIF fire). */
const CASES: [string, Rule, Params, number?, number?][] = [
  ['stdp additive all-to-all', stdp, { ...STDP_DEFAULTS, aPlus: 0.2, aMinus: 0.22, wMin: 0, wMax: 4 }],
  ['stdp additive nearest', stdp, { ...STDP_DEFAULTS, aPlus: 0.2, aMinus: 0.22, wMin: 0, wMax: 4, pairing: 'nearest' }],
  ['stdp soft-bound', stdp, { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, wMin: 0, wMax: 4, weightDependence: 'soft-bound' }],
  ['stdp multiplicative μ+=0.5 μ−=2', stdp, { ...STDP_DEFAULTS, aPlus: 0.1, aMinus: 0.02, wMin: 0.5, wMax: 4, weightDependence: 'multiplicative', muPlus: 0.5, muMinus: 2 }],
  ['triplet full', tripletStdp, { ...TRIPLET_DEFAULTS, a2Plus: 0.05, a3Plus: 0.1, a2Minus: 0.07, a3Minus: 0.02, wMin: 0, wMax: 4 }],
  ['triplet minimal nearest', tripletStdp, { ...TRIPLET_DEFAULTS, a2Plus: 0.05, a3Plus: 0.1, a2Minus: 0.07, model: 'minimal', pairing: 'nearest', wMin: 0, wMax: 4 }],
  ['mstdp', mstdp, { nu: 0.05, wMin: 0, wMax: 4 }],
  ['mstdpet', mstdpet, { nu: 0.3, wMin: 0, wMax: 4 }],
  ['hebbian bounded', hebbian, { eta: 0.3, wMin: 0, wMax: 4 }, 0.1],
  ['hebbian filtered', hebbian, { eta: 0.05, wMin: null, wMax: 5, traceTauMs: 20 }],
  ['oja', oja, { eta: 0.01, wMin: null, wMax: null }],
  ['oja filtered bounded', oja, { eta: 0.02, wMin: 0.5, wMax: 2.5, traceTauMs: 10 }],
  ['bcm', bcm, { eta: 0.3, tauThetaMs: 50, thetaInit: 0.2, wMin: 0, wMax: 4 }, 0.1],
  ['bcm filtered', bcm, { eta: 1, tauThetaMs: 30, wMin: 0, wMax: 4, traceTauMs: 15 }],
  ['pdp (PDLF working memory), traced, normalised', pdp, { ...pdp.defaults, initStd: 0.5, preTauMs: 0.5, postTauMs: 2 }, 0.9, 0],
  ['scp (PDLF control), raw, terms BD, normalised', scp, { ...scp.defaults, initStd: 0.5, terms: 'BD' }, 0.9, 0],
  ['scp, traced, not normalised', scp, { ...scp.defaults, init: { lr: 0.001, A: 1, B: 0, C: 0.5, D: 0 }, initStd: 0.3, normalize: 'none', preTauMs: 1, postTauMs: 1 }],
];

/** A registry with every built-in rule, with their fused kernels, or as copies without (`generic`). */
function registry(generic: boolean) {
  const r = createRegistry();
  if (generic) for (const rule of BUILTIN_RULES) r.register({ ...rule, fused: undefined } as Rule);
  else registerBuiltins(r);
  return r;
}

async function simulate(rule: Rule, params: Params, format: 'dense' | 'csr' | 'coo', generic: boolean) {
  const net = new Network({ dtMs: 0.5, seed: 3, registry: registry(generic), fallback: generic ? 'silent' : 'error' });
  const inp = net.addPoisson('in', { n: 40, rateHz: 60 });
  const out = net.addPopulation('out', { n: 5, neuron: 'core/lif', params: { tauMMs: 10, refractoryMs: 2 } });
  const init = { dist: 'uniform' as const, low: 1, high: 3 };
  const conn = format === 'dense'
    ? DenseConnection.random({ nPre: 40, nPost: 5, p: 1, seed: 4, init })
    : format === 'csr'
      ? CSRConnection.random({ nPre: 40, nPost: 5, p: 0.6, seed: 4, init })
      : COOConnection.random({ nPre: 40, nPost: 5, p: 0.6, seed: 4, init });
  const w0 = await conn.getWeights();
  net.connect(inp, out, { connection: conn, rule: rule.name, ruleParams: params, modulator: 'reward' });
  expect(net.engineReport()[0]!.engine).toBe(generic ? 'tensor' : 'fused');
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

describe('the fused kernel of every built-in rule == its tensor step', () => {
  for (const [label, rule, params, minMoved = 0.25, minCount = 21] of CASES) {
    for (const format of ['dense', 'csr', 'coo'] as const) {
      it(`${label} on ${format}`, async () => {
        const fused = await simulate(rule, params, format, false);
        const generic = await simulate(rule, params, format, true);
        expect(fused.count).toBeGreaterThanOrEqual(minCount);
        expect(generic.count).toBe(fused.count);
        expect(fused.moved).toBeGreaterThan(fused.w.length * minMoved);
        // the rate and PDLF kernels repeat the tensor path's float32 arithmetic op by op: identical on cpu
        if ([hebbian, oja, bcm, scp, pdp].includes(rule as never)) expect(fused.w).toEqual(generic.w);
        for (let k = 0; k < fused.w.length; k++) {
          expect(Math.abs(generic.w[k]! - fused.w[k]!)).toBeLessThan(1e-4 * (1 + Math.abs(fused.w[k]!)));
        }
      });
    }
  }
});
