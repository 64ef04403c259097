import { resolveParams } from '@plasticity/core';
import { expectClose, expectNoLeaks, expectPlasticityError } from '@plasticity/testing';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crystallize } from './crystallize.js';
import { volumeLr, volumeMeanFactor, VOLUME_LR_DEFAULTS } from './volume-lr.js';

describe('bio/volume-lr', () => {
  const p = resolveParams(volumeLr, {});

  it('has the reference defaults and messages', () => {
    expect(VOLUME_LR_DEFAULTS).toEqual({ baseLr: 0.1, stabilityFactor: 2, lrVariability: 0.2 });
    expectPlasticityError(() => resolveParams(volumeLr, { baseLr: 1 }), 'E_PARAM', /baseLr must be between 0 and 1, got 1/);
    expectPlasticityError(() => resolveParams(volumeLr, { stabilityFactor: -1, lrVariability: 0 }), 'E_PARAM', /stabilityFactor must be positive, got -1; lrVariability must be positive, got 0/);
  });

  it('mean factor m(|w|) = baseLr·exp(−s·|w|/(|w|+1)) is positive and decreasing in |w| (property)', () => {
    fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 1e-3, max: 10, noNaN: true }), (a, d) => {
      const m1 = volumeMeanFactor(p, a);
      const m2 = volumeMeanFactor(p, a + d);
      return m1 > 0 && m2 > 0 && m2 < m1;
    }), { numRuns: 200 });
    expect(volumeMeanFactor(p, 0)).toBeCloseTo(0.1, 12);
    expect(volumeMeanFactor(p, 1)).toBeCloseTo(0.1 * Math.exp(-1), 12);
  });

  it('sampled factors: positive, stochastic, mean following m(|w|) per weight size, and < 2·baseLr (the reference test)', async () => {
    const sizes = [0, 0.5, 1, 3];
    const n = 4000;
    const w = tf.tensor2d(sizes.flatMap((s) => Array(n).fill(s)), [sizes.length, n]);
    const g = tf.onesLike(w);
    const state = volumeLr.init!([sizes.length, n], p, 7);
    const out = volumeLr.apply({ weights: w, gradient: g }, state, p);
    const f = await out.gradient!.data();
    expect(f.every((x) => x > 0 && x < 2 * p.baseLr)).toBe(true);
    const means = sizes.map((_, r) => Array.from(f.slice(r * n, (r + 1) * n)).reduce((a, b) => a + b, 0) / n);
    sizes.forEach((s, r) => expect(means[r]).toBeCloseTo(volumeMeanFactor(p, s), 3));
    for (let r = 1; r < sizes.length; r++) expect(means[r]).toBeLessThan(means[r - 1]!);
    expect(new Set(f.slice(0, n)).size).toBeGreaterThan(n / 2); // resampled per synapse
    const again = volumeLr.apply({ weights: w, gradient: g }, out.state!, p); // resampled per step
    expect(await again.gradient!.data()).not.toEqual(f);
    tf.dispose([w, g, out.gradient!, again.gradient!]);
  });

  it('property: every factor is positive for any weights', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: Math.fround(-50), max: Math.fround(50), noNaN: true }), { minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 1000 }), (ws, seed) => {
      const w = tf.tensor2d(ws, [1, ws.length]);
      const g = tf.onesLike(w);
      const out = volumeLr.apply({ weights: w, gradient: g }, volumeLr.init!([1, ws.length], p, seed), p);
      const ok = Array.from(out.gradient!.dataSync()).every((x) => x > 0);
      tf.dispose([w, g, out.gradient!]);
      return ok;
    }), { numRuns: 40 });
  });
});

describe('bio/crystallize', () => {
  const p = resolveParams(crystallize, {});

  it('damps exactly the synapses with |g|/|w| < θ or |g| > mean|w|, from the next step on', async () => {
    const w = tf.tensor2d([[1, 1, -2, 0]]); // mean |w| = 1
    const g = tf.tensor2d([[1e-6, 0.5, 1.5, 0]]); // stable, plastic, too large, zero weight (not stable)
    const state = crystallize.init!([1, 4], p, 0);
    const out = crystallize.apply({ weights: w, gradient: g }, state, p);
    expect(Array.from(await out.gradient!.data())).toEqual(Array.from(await g.data())); // old factors: 1
    expect(Array.from(await out.state!.factors.data())).toEqual([0.6, 1, 0.6, 1].map(Math.fround));
    const next = crystallize.apply({ weights: w, gradient: g }, out.state!, p);
    expectClose(await next.gradient!.data(), [1e-6 * 0.6, 0.5, 1.5 * 0.6, 0]);
    expectClose(await next.state!.factors.data(), [0.36, 1, 0.36, 1]);
    tf.dispose([w, g, out.gradient!, next.gradient!, state.factors, out.state!.factors, next.state!.factors]);
  });

  it('property: factors only shrink and stay in (0, 1]', () => {
    const arb = fc.array(fc.tuple(fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true }), fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true })), { minLength: 1, maxLength: 16 });
    fc.assert(fc.property(arb, fc.integer({ min: 1, max: 4 }), (pairs, steps) => {
      let state = crystallize.init!([pairs.length], p, 0);
      const w = tf.tensor2d(pairs.map((x) => x[0]), [1, pairs.length]);
      const g = tf.tensor2d(pairs.map((x) => x[1]), [1, pairs.length]);
      let ok = true;
      let prev = Array.from(state.factors.dataSync());
      for (let s = 0; s < steps; s++) {
        const out = crystallize.apply({ weights: w, gradient: g }, { factors: tf.reshape(state.factors, [1, pairs.length]) }, p);
        const f = Array.from(out.state!.factors.dataSync());
        ok &&= f.every((x, i) => x <= prev[i]! && x > 0 && x <= 1);
        prev = f;
        tf.dispose([out.gradient!, state.factors]);
        state = out.state!;
      }
      tf.dispose([w, g, state.factors]);
      return ok;
    }), { numRuns: 40 });
  });

  it('rejects bad params with the reference messages, and a missing gradient; leaks nothing', async () => {
    expectPlasticityError(() => resolveParams(crystallize, { dampeningFactor: 1 }), 'E_PARAM', /dampeningFactor must be between 0 and 1, got 1/);
    expectPlasticityError(() => resolveParams(crystallize, { crystalThresh: 0 }), 'E_PARAM', /crystalThresh must be positive, got 0/);
    const w = tf.ones([2, 2]);
    const state = crystallize.init!([2, 2], p, 0);
    expectPlasticityError(() => crystallize.apply({ weights: w }, state, p), 'E_PARAM', /no gradient found/);
    const out = await expectNoLeaks(() => crystallize.apply({ weights: w, gradient: w }, state, p));
    tf.dispose([w, state.factors, out.gradient!, out.state!.factors]);
  });
});
