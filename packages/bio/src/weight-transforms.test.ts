import { createRng, resolveParams } from '@plasticity/core';
import { expectClose, expectNoLeaks, expectPlasticityError } from '@plasticity/testing';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rejuvenate, rejuvenateInPlace, type RejuvenateParams } from './rejuvenate.js';
import { synapticScaling } from './synaptic-scaling.js';
import { checkSplit, splitOutputs, weightSplitting } from './weight-splitting.js';

const rp = (p: Partial<RejuvenateParams> = {}) => resolveParams(rejuvenate, p);

async function rejuvenateOnce(values: number[], p: RejuvenateParams, seed = 1) {
  const w = tf.tensor2d(values, [1, values.length]);
  const out = rejuvenate.apply({ weights: w }, rejuvenate.init!([1, values.length], p, seed), p);
  const v = Array.from(await out.weights!.data());
  tf.dispose([w, out.weights!]);
  return v;
}

describe('bio/rejuvenate', () => {
  it('replaces NaN weights always, rejuvenates an all-zero matrix and clamps to [−1, 1] (the reference edge cases)', async () => {
    for (const mode of ['lognormal', 'classic'] as const) {
      for (const compat of [false, true]) {
        const v = await rejuvenateOnce([NaN, 0.5, NaN, 3, -4], rp({ mode, compat }));
        expect(v.every((x) => Number.isFinite(x) && Math.abs(x) <= 1)).toBe(true);
      }
    }
    const zeros = await rejuvenateOnce(Array(50).fill(0), rp());
    expect(zeros.every((x) => x !== 0)).toBe(true);
  });

  it('property: NaN and zero weights are replaced, strong ones kept bit for bit, every value finite', async () => {
    const arb = fc.array(fc.oneof(fc.constant(NaN), fc.constant(0), fc.float({ min: Math.fround(-0.9), max: Math.fround(0.9), noNaN: true })), { minLength: 4, maxLength: 40 });
    await fc.assert(fc.asyncProperty(arb, fc.integer({ min: 0, max: 1e6 }), async (raw, seed) => {
      const values = [...raw, 0.95, -0.95]; // two strong weights
      const p = rp();
      const out = await rejuvenateOnce(values, p, seed);
      const finite = values.map((x) => (Number.isNaN(x) ? 0 : x));
      const m = finite.reduce((a, b) => a + b, 0) / finite.length;
      const std = Math.sqrt(finite.reduce((a, b) => a + (b - m) ** 2, 0) / finite.length);
      return out.every((x, i) => {
        if (!Number.isFinite(x)) return false;
        if (Number.isNaN(values[i]!)) return x !== 0;
        if (values[i] === 0) return x !== 0; // p = exp(0) = 1
        // p = exp(−dre·|w|/std) < 1e-9: kept (bit for bit)
        if (Math.exp((-p.dre * Math.abs(values[i]!)) / std) < 1e-9) return x === Math.fround(values[i]!);
        return true;
      });
    }), { numRuns: 60 });
  });

  it('keeps the sign of a replaced weight (compat: false) and draws positive ones with compat: true (the reference)', async () => {
    const values = Array.from({ length: 400 }, (_, i) => (i % 2 ? -1 : 1) * 0.001 * (1 + (i % 7)));
    const kept = await rejuvenateOnce(values, rp());
    kept.forEach((x, i) => expect(Math.sign(x)).toBe(Math.sign(values[i]!)));
    const ref = await rejuvenateOnce(values, rp({ compat: true }));
    expect(ref.every((x, i) => x > 0 || x === Math.fround(values[i]!))).toBe(true);
  });

  it('the fused form follows the same rules on typed arrays (NaN replaced, strong kept, clamp)', () => {
    const w = Float32Array.from([NaN, 0, 0.9, -0.9, 5, ...Array(20).fill(0.01)]);
    rejuvenateInPlace(w, rp(), createRng(3));
    expect(Number.isFinite(w[0]!) && w[0] !== 0 && w[1] !== 0).toBe(true);
    expect(w[4]).toBe(1); // clamped
    expect(Array.from(w).every((x) => Math.abs(x) <= 1)).toBe(true);
  });

  it('same seed → same draws; everySteps skips; bad params rejected', async () => {
    const a = await rejuvenateOnce([0.01, 0.02, -0.5, 0], rp(), 42);
    expect(await rejuvenateOnce([0.01, 0.02, -0.5, 0], rp(), 42)).toEqual(a);
    expect(await rejuvenateOnce([0.01, 0.02, -0.5, 0], rp(), 43)).not.toEqual(a);
    const p = rp({ everySteps: 2 });
    const w = tf.tensor2d([[0, 0]]);
    const out = rejuvenate.apply({ weights: w }, rejuvenate.init!([1, 2], p, 1), p);
    expect(out.weights).toBeUndefined();
    expect(out.state!.calls).toBe(1);
    w.dispose();
    expectPlasticityError(() => resolveParams(rejuvenate, { dre: 0 }), 'E_PARAM', /dre must be positive, got 0/);
    expectPlasticityError(() => resolveParams(rejuvenate, { mode: 'x' as never }), 'E_PARAM', /mode must be one of "lognormal", "classic"/);
  });

  it('leaks nothing', async () => {
    const p = rp();
    const w = tf.randomNormal([8, 8]);
    const out = await expectNoLeaks(() => rejuvenate.apply({ weights: w }, rejuvenate.init!([8, 8], p, 1), p));
    tf.dispose([w, out.weights!]);
  });
});

describe('bio/synaptic-scaling', () => {
  it("'total' with strength 1 makes every column's Σ|w| the target and keeps signs", async () => {
    const p = resolveParams(synapticScaling, { strength: 1, target: 2, maxFactor: 100 });
    const w = tf.tensor2d([[1, -0.5], [-1, 0.25], [2, 0.25]]);
    const out = synapticScaling.apply({ weights: w }, synapticScaling.init!([3, 2], p, 0), p);
    const v = await out.weights!.data();
    expectClose([Math.abs(v[0]!) + Math.abs(v[2]!) + Math.abs(v[4]!), Math.abs(v[1]!) + Math.abs(v[3]!) + Math.abs(v[5]!)], [2, 2]);
    expectClose(v, [0.5, -1, -0.5, 0.5, 1, 0.5]);
    tf.dispose([w, out.weights!]);
  });

  it('on stored synapses it scales per postsynaptic neuron through the synapse context', async () => {
    const p = resolveParams(synapticScaling, { strength: 1, target: 1, maxFactor: 100 });
    const pre = tf.tensor1d([0, 0, 1, 2], 'int32');
    const post = tf.tensor1d([0, 1, 1, 0], 'int32');
    const w = tf.tensor1d([0.5, 2, 2, 1.5]);
    const out = synapticScaling.apply({ weights: w, synapses: { pre, post, params: {}, nPre: 3, nPost: 2 } } as never, { rate: 0 }, p);
    expectClose(await out.weights!.data(), [0.25, 0.5, 0.5, 0.75]);
    tf.dispose([pre, post, w, out.weights!]);
  });

  it("'rate' moves a running mean rate toward the target: a too-active neuron is scaled down", async () => {
    const p = resolveParams(synapticScaling, { mode: 'rate', target: 0.1, strength: 0.5, tauSteps: 1 });
    const w = tf.ones([2, 2]);
    const activity = tf.tensor2d([[0.4, 0.1], [0.4, 0.1]]);
    const out = synapticScaling.apply({ weights: w, activity } as never, { rate: 0 }, p);
    expectClose(await out.weights!.data(), [0.5, 1, 0.5, 1]); // (0.1/0.4)^0.5 = 0.5, (0.1/0.1)^0.5 = 1
    expectPlasticityError(() => synapticScaling.apply({ weights: w }, { rate: 0 }, p), 'E_SHAPE', /mode 'rate' needs the postsynaptic activity \[batch, 2\]/);
    tf.dispose([w, activity, out.weights!, out.state!.rate as tf.Tensor]);
  });
});

describe('weight splitting', () => {
  it('sums groups of Γ consecutive outputs and gives the sum to each; checks the output dimension', async () => {
    const y = tf.tensor2d([[1, 2, 3, 4, 5, 6]]);
    expect(Array.from(await splitOutputs(y, 2).data())).toEqual([3, 3, 7, 7, 11, 11]);
    expect(Array.from(await splitOutputs(y, 3).data())).toEqual([6, 6, 6, 15, 15, 15]);
    expect(Array.from(await splitOutputs(y, 1).data())).toEqual([1, 2, 3, 4, 5, 6]);
    expectPlasticityError(() => splitOutputs(y, 4), 'E_SHAPE', /gamma = 4 must divide the number of output units nPost = 6/);
    // a Linear layer 3 → 4 with Γ = 2: the reference checks in_features (3) and rejects it; the outputs (4) split fine
    expect(() => checkSplit(4, 2)).not.toThrow();
    expectPlasticityError(() => checkSplit(3, 2), 'E_SHAPE', /nPost = 3/);
    y.dispose();
  });

  it('the plugin maps W to the effective weights W·G: x·(W·G) equals splitOutputs(x·W)', async () => {
    const p = resolveParams(weightSplitting, { gamma: 2 });
    const w = tf.randomNormal([3, 4], 0, 1, 'float32', 2);
    const x = tf.randomNormal([5, 3], 0, 1, 'float32', 3);
    const out = weightSplitting.apply({ weights: w }, {}, p);
    const a = tf.matMul(x, out.weights!);
    const b = splitOutputs(tf.matMul(x, w), 2);
    expectClose(await a.data(), await b.data(), { atol: 1e-5 });
    tf.dispose([w, x, out.weights!, a, b]);
  });
});
