import { createRng, resolveParams } from '@plasticity/core';
import { CSRConnection } from '@plasticity/sparse';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setHostKernels } from './host.js';
import { lognormalMoments, rejuvenate, type RejuvenateParams } from './rejuvenate.js';
import { BioTrainer } from './trainer.js';

// Rejuvenation of a CSR connection's stored synapses [nnz] (storage order), through the synapse context:
// each weight is re-drawn with probability exp(−dre·|w|/std(W)) (std over the stored synapses, NaN counted
// as 0), a re-drawn weight keeps its sign (random for 0 and NaN) and gets a log-normal magnitude matched to
// mean and std of |W|; NaN is always replaced.

const LEVELS = [0, 0.005, 0.01, 0.02, 0.04]; // weak magnitudes; every 20th synapse is strong (|w| = 1)

function connection() {
  const conn = CSRConnection.random({ nPre: 200, nPost: 100, p: 0.5, seed: 3, init: { dist: 'normal', mean: 0, std: 0.5 } });
  const { pre, post } = conn.pairs();
  const nnz = pre.length;
  const w = new Float32Array(nnz);
  const group = new Int32Array(nnz); // -1 strong, -2 NaN, else the level
  for (let k = 0; k < nnz; k++) {
    const sign = pre[k]! % 2 === 0 ? 1 : -1;
    if (k % 20 === 0) { w[k] = sign; group[k] = -1; } else if (k % 97 === 3) { w[k] = NaN; group[k] = -2; } else { group[k] = k % LEVELS.length; w[k] = sign * LEVELS[group[k]!]!; }
  }
  conn.setWeights(w.map((x) => (Number.isNaN(x) ? 0 : x))); // a connection takes finite weights; NaN arrives through training
  return { conn, pre, post, nnz, w, group };
}

function expectLaw(before: Float32Array, after: Float32Array, group: Int32Array, p: RejuvenateParams) {
  const n = before.length;
  const v = Float64Array.from(before, (x) => (Number.isNaN(x) ? 0 : x));
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const replaced = (k: number) => Number.isNaN(before[k]!) || !Object.is(after[k], before[k]);
  expect(after.every(Number.isFinite)).toBe(true);
  // strong synapses (p = exp(−dre·1/std) < 1e-15) are kept bit for bit; NaN and zero always replaced
  for (let k = 0; k < n; k++) {
    if (group[k] === -1) expect(after[k]).toBe(before[k]);
    if (group[k] === -2 || group[k] === 0) expect(after[k] !== 0 && replaced(k)).toBe(true);
  }
  expect(Math.exp((-p.dre * 1) / std)).toBeLessThan(1e-12);
  // each weak level: the number re-drawn matches Σ p_k within 4 standard deviations
  const rates: number[] = [];
  for (let level = 1; level < LEVELS.length; level++) {
    let expected = 0, variance = 0, observed = 0, count = 0;
    for (let k = 0; k < n; k++) {
      if (group[k] !== level) continue;
      const pk = Math.min(1, Math.exp((-p.dre * Math.abs(v[k]!)) / std));
      expected += pk;
      variance += pk * (1 - pk);
      if (replaced(k)) observed++;
      count++;
    }
    expect(Math.abs(observed - expected)).toBeLessThan(4 * Math.sqrt(variance) + 1);
    rates.push(observed / count);
  }
  // the probability falls with |w| (levels 0.005 … 0.04 here: about 0.84, 0.70, 0.49, 0.24)
  for (let i = 1; i < rates.length; i++) expect(rates[i]!).toBeLessThan(rates[i - 1]! - 0.1);
  // signs kept for replaced nonzero weights; zero and NaN ones get both signs
  let pos = 0, unsignedReplaced = 0;
  for (let k = 0; k < n; k++) {
    if (!replaced(k)) continue;
    if (v[k] !== 0) expect(Math.sign(after[k]!)).toBe(Math.sign(v[k]!));
    else { unsignedReplaced++; if (after[k]! > 0) pos++; }
  }
  expect(pos / unsignedReplaced).toBeGreaterThan(0.4);
  expect(pos / unsignedReplaced).toBeLessThan(0.6);
  // magnitudes log-normal with the moments of |W|: z = (ln|w'| − μ)/σ is N(0, 1) (clamped at limit 1 above)
  const absMean = v.reduce((a, b) => a + Math.abs(b), 0) / n;
  const absStd = Math.sqrt(v.reduce((a, b) => a + (Math.abs(b) - absMean) ** 2, 0) / n);
  const { logMean, logSigma } = lognormalMoments(absMean, absStd, false);
  expect(logMean).toBeLessThan(-1); // exp(μ) < limit: the clamp only cuts the upper tail
  let below0 = 0, belowMinus1 = 0, total = 0;
  for (let k = 0; k < n; k++) {
    if (!replaced(k)) continue;
    const mag = Math.abs(after[k]!);
    expect(mag).toBeLessThanOrEqual(p.limit);
    const z = (Math.log(mag) - logMean) / logSigma;
    if (z < 0) below0++;
    if (z < -1) belowMinus1++;
    total++;
  }
  expect(total).toBeGreaterThan(3000);
  expect(below0 / total).toBeCloseTo(0.5, 1);
  expect(Math.abs(belowMinus1 / total - 0.1587)).toBeLessThan(0.03);
}

describe("bio/rejuvenate on a CSR connection's stored synapses", () => {
  for (const mode of ['auto', 'off'] as const) {
    it(`re-draws weak synapses with probability exp(−dre·|w|/std), keeps strong ones, replaces NaN, reproducible (host kernels ${mode})`, async () => {
      const previous = setHostKernels(mode);
      try {
        const { conn, pre, post, nnz, w, group } = connection();
        const p = resolveParams(rejuvenate, {});
        const context = { pre: tf.tensor1d(pre, 'int32'), post: tf.tensor1d(post, 'int32'), params: {}, nPre: 200, nPost: 100 };
        const stored = tf.tensor1d(w); // the stored synapses, NaN included
        const once = async (seed: number) => {
          const out = rejuvenate.apply({ weights: stored, synapses: context } as never, rejuvenate.init!([nnz], p, seed), p);
          const v = (await out.weights!.data()) as Float32Array;
          out.weights!.dispose();
          return v;
        };
        const a = await once(5);
        expect(a.length).toBe(nnz);
        expectLaw(w, a, group, p);
        expect(await once(5)).toEqual(a);
        expect(await once(6)).not.toEqual(a);
        tf.dispose([stored, context.pre, context.post]);
        conn.dispose();
      } finally {
        setHostKernels(previous);
      }
    });
  }

  it('the trainer rejuvenates the connection it trains exactly as the transform does with its seed stream', async () => {
    const { conn, pre, post, nnz, w, group } = connection();
    const x = tf.randomNormal([4, 200], 0, 1, 'float32', 1);
    const optimizer = tf.train.sgd(0); // no optimizer change: the step is the rejuvenation alone
    const trainer = new BioTrainer({ target: { c: conn }, transforms: ['bio/rejuvenate'], optimizer, seed: 21 });
    // NaN reaches the trained weights (e.g. from a diverged step): write it into the connection's variable
    const variable = trainer.weights[0]!.variable;
    expect(variable.shape).toEqual([nnz]);
    const nan = tf.tensor1d(w);
    variable.assign(nan);
    nan.dispose();
    trainer.stepWith(() => tf.sum(conn.propagate(x, { mode: 'float' })) as tf.Scalar).dispose();
    const got = await conn.getWeights();
    expectLaw(w, got, group, resolveParams(rejuvenate, {}));
    const p = resolveParams(rejuvenate, {});
    const context = { pre: tf.tensor1d(pre, 'int32'), post: tf.tensor1d(post, 'int32'), params: {}, nPre: 200, nPost: 100 };
    const stored = tf.tensor1d(w);
    const out = rejuvenate.apply({ weights: stored, synapses: context } as never, rejuvenate.init!([nnz], p, createRng(21).stream('c/bio/rejuvenate').nextUint32()), p);
    expect(got).toEqual(await out.weights!.data());
    tf.dispose([x, stored, context.pre, context.post, out.weights!]);
    trainer.dispose();
    optimizer.dispose();
    conn.dispose();
  });

  it('limit 0 means no clamp: strong weights beyond ±1 are kept as they are', async () => {
    const values = [5, -7, 3.5, ...Array.from({ length: 40 }, (_, i) => (i % 2 ? 0.001 : -0.001))];
    for (const mode of ['auto', 'off'] as const) {
      const previous = setHostKernels(mode);
      try {
        const w = tf.tensor2d(values, [1, values.length]);
        const run = (limit: number) => {
          const p = resolveParams(rejuvenate, { limit });
          const out = rejuvenate.apply({ weights: w }, rejuvenate.init!([1, values.length], p, 2), p);
          const v = Array.from(out.weights!.dataSync());
          out.weights!.dispose();
          return v;
        };
        expect(run(0).slice(0, 3)).toEqual([5, -7, 3.5]);
        expect(run(1).slice(0, 3)).toEqual([1, -1, 1]);
        expect(run(2).slice(0, 3)).toEqual([2, -2, 2]);
        w.dispose();
      } finally {
        setHostKernels(previous);
      }
    }
  });
});
