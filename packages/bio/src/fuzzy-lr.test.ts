import { createRng, resolveParams } from '@plasticity/core';
import { expectNoLeaks, expectPlasticityError } from '@plasticity/testing';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzyLr, initialFactors, layerNu, validateFuzzyLr, FUZZY_LR_DEFAULTS, type FuzzyLrParams } from './fuzzy-lr.js';

const params = (p: Partial<FuzzyLrParams> = {}) => resolveParams(fuzzyLr, p);
const stats = (a: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m += a[i]!;
  m /= a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i]! - m) ** 2;
  return { mean: m, std: Math.sqrt(v / a.length), min: Math.min(...Array.from(a)), max: Math.max(...Array.from(a)) };
};

describe('bio/fuzzy-lr factors', () => {
  it('has the reference defaults (nu 0.16, [0.5, 2], decay 0.9995, every 100 steps)', () => {
    expect(FUZZY_LR_DEFAULTS).toMatchObject({ distribution: 'uniform', nu: 0.16, min: 0.5, max: 2, decay: 0.9995, updateFreq: 100, layerIndex: -1, totalLayers: -1 });
  });

  it('uniform factors lie in [1 − ν, 1 + ν] (property)', () => {
    fc.assert(fc.property(fc.double({ min: 0.01, max: 0.5, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (nu, seed) => {
      const f = initialFactors(params({ nu }), 200, createRng(seed));
      return f.every((x) => x >= Math.fround(1 - nu) - 1e-7 && x <= Math.fround(1 + nu) + 1e-7);
    }), { numRuns: 50 });
  });

  it('each distribution has its analytic mean and spread (n = 40000)', () => {
    const n = 40000;
    const nu = 0.16;
    const draw = (distribution: FuzzyLrParams['distribution'], extra: Partial<FuzzyLrParams> = {}) => stats(initialFactors(params({ distribution, nu, ...extra }), n, createRng(3)));
    expect(draw('baseline')).toEqual({ mean: 1, std: 0, min: 1, max: 1 });
    const u = draw('uniform');
    expect(u.mean).toBeCloseTo(1, 2);
    expect(u.std).toBeCloseTo(nu / Math.sqrt(3), 2);
    const g = draw('normal');
    expect(g.mean).toBeCloseTo(1, 2);
    expect(g.std).toBeCloseTo(nu, 2);
    const ln = draw('lognormal'); // exp(N(−ν²/2, ν)): mean 1, std sqrt(exp(ν²) − 1)
    expect(ln.mean).toBeCloseTo(1, 2);
    expect(ln.std).toBeCloseTo(Math.sqrt(Math.exp(nu * nu) - 1), 2);
    const gm = draw('gamma'); // Gamma(1/ν, rate 1/ν): mean 1, variance ν
    expect(gm.mean).toBeCloseTo(1, 1);
    expect(draw('gamma', { gammaMode: 'reference', max: 10 }).mean).toBeCloseTo(2, 1); // the reference's 1 + Gamma
    const b = draw('beta'); // 1 + (2·Beta(1/ν, 1/ν) − 1)·ν: mean 1, inside [1 − ν, 1 + ν]
    expect(b.mean).toBeCloseTo(1, 2);
    expect(b.min).toBeGreaterThanOrEqual(1 - nu - 1e-6);
    expect(b.max).toBeLessThanOrEqual(1 + nu + 1e-6);
  });

  it('clamps every distribution to [min, max]', () => {
    for (const distribution of ['normal', 'lognormal', 'gamma', 'beta', 'uniform'] as const) {
      const s = stats(initialFactors(params({ distribution, nu: 3, min: 0.7, max: 1.4, gammaMode: 'reference' }), 5000, createRng(1)));
      expect(s.min).toBeGreaterThanOrEqual(0.7 - 1e-6);
      expect(s.max).toBeLessThanOrEqual(1.4 + 1e-6);
    }
  });

  it('layer-adaptive spread decreases with depth (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (total, seed) => {
      const spreads = Array.from({ length: total }, (_, layerIndex) =>
        stats(initialFactors(params({ distribution: 'layer-adaptive', layerIndex, totalLayers: total }), 3000, createRng(seed + layerIndex))).std);
      const nus = Array.from({ length: total }, (_, layerIndex) => layerNu(params({ distribution: 'layer-adaptive', layerIndex, totalLayers: total })));
      return nus.every((v, i) => i === 0 || v < nus[i - 1]!) && spreads[0]! > spreads[total - 1]!;
    }), { numRuns: 15 });
  });
});

describe('bio/fuzzy-lr transform', () => {
  it('multiplies the gradient by the factors (a unit gradient comes back as F, the reference test)', async () => {
    const p = params();
    const state = fuzzyLr.init!([3, 4], p, 9);
    const w = tf.randomNormal([3, 4], 0, 1, 'float32', 1);
    const g = tf.onesLike(w);
    const out = fuzzyLr.apply({ weights: w, gradient: g }, state, p);
    expect(await out.gradient!.data()).toEqual(await state.factors.data());
    tf.dispose([w, g, out.gradient!, state.factors]);
  });

  it('weight-adaptive draws on the first step with ν·clamp(2 − |w|/mean|w|, 0.5, 1.5)', async () => {
    const p = params({ distribution: 'weight-adaptive', nu: 0.4 });
    const state = fuzzyLr.init!([1, 3], p, 2);
    expect(Array.from(await state.factors.data())).toEqual([1, 1, 1]);
    const w = tf.tensor2d([[0.01, 1, 10]]); // mean |w| = 3.67: spreads 0.6, 0.49, 0.2 of ν → 1.5, ~1.73, 0.5 clamped
    const out = fuzzyLr.apply({ weights: w, gradient: tf.onesLike(w) }, state, p);
    const f = await out.state!.factors.data();
    const mean = (0.01 + 1 + 10) / 3;
    const spread = [0.01, 1, 10].map((a) => 0.4 * Math.min(1.5, Math.max(0.5, 2 - a / mean)));
    f.forEach((x, i) => expect(Math.abs(x - 1)).toBeLessThanOrEqual(spread[i]! + 1e-6));
    expect(out.state!.calls).toBe(1);
    tf.dispose([w, out.gradient!, state.factors, out.state!.factors]);
  });

  it('temporal: every updateFreq steps F ← 1 + (F − 1)·decay', async () => {
    const p = params({ distribution: 'temporal', updateFreq: 2, decay: 0.5 });
    let state = fuzzyLr.init!([2, 2], p, 4);
    const f0 = await state.factors.data();
    const w = tf.ones([2, 2]);
    const g = tf.ones([2, 2]);
    for (let k = 0; k < 2; k++) {
      const out = fuzzyLr.apply({ weights: w, gradient: g }, state, p);
      out.gradient!.dispose();
      if (out.state!.factors !== state.factors) state.factors.dispose();
      state = out.state!;
    }
    const f2 = await state.factors.data();
    f0.forEach((x, i) => expect(f2[i]).toBeCloseTo(1 + (x - 1) * 0.5, 6));
    tf.dispose([w, g, state.factors]);
  });

  it('activity: factors per postsynaptic neuron follow 1 + U(−1, 1)·ν·(2 − af) after the first step', async () => {
    const p = params({ distribution: 'activity', nu: 0.2 });
    const state = fuzzyLr.init!([4, 2], p, 5);
    const w = tf.ones([4, 2]);
    const activity = tf.tensor2d([[1, 0], [1, 0], [1, 0.001]]); // post 0 fires 3×, post 1 never: ratios 2 and 0
    const out = fuzzyLr.apply({ weights: w, gradient: tf.onesLike(w), activity } as never, state, p);
    expect(Array.from(await (out.state!.counts as tf.Tensor).data())).toEqual([3, 0]);
    const f = await out.state!.factors.data();
    // af = clamp(1 + (ratio − 1)·0.1, 0.8, 1.2): post 0 → 1.1 (spread 0.18), post 1 → 0.9 (spread 0.22)
    for (let i = 0; i < 4; i++) {
      expect(Math.abs(f[i * 2]! - 1)).toBeLessThanOrEqual(0.2 * 0.9 + 1e-6);
      expect(Math.abs(f[i * 2 + 1]! - 1)).toBeLessThanOrEqual(0.2 * 1.1 + 1e-6);
    }
    tf.dispose([w, activity, out.gradient!, state.factors, out.state!.factors, out.state!.counts as tf.Tensor]);
  });

  it('validates with the reference-style messages and rejects a missing gradient or a wrong shape', () => {
    expectPlasticityError(() => resolveParams(fuzzyLr, { nu: 0 }), 'E_PARAM', /nu must be positive, got 0/);
    expectPlasticityError(() => resolveParams(fuzzyLr, { nu: NaN }), 'E_PARAM', /nu must be a JSON value, got NaN/);
    expect(validateFuzzyLr({ ...FUZZY_LR_DEFAULTS, nu: NaN })).toEqual(['nu must be a finite number, got NaN']);
    expectPlasticityError(() => resolveParams(fuzzyLr, { min: 1.5 }), 'E_PARAM', /min <= 1 <= max/);
    expectPlasticityError(() => resolveParams(fuzzyLr, { distribution: 'cauchy' as never }), 'E_PARAM', /distribution must be one of/);
    expectPlasticityError(() => resolveParams(fuzzyLr, { layerIndex: 3, totalLayers: 3 }), 'E_PARAM', /layerIndex must be < totalLayers/);
    const p = params();
    const state = fuzzyLr.init!([2, 2], p, 1);
    const w = tf.ones([2, 2]);
    expectPlasticityError(() => fuzzyLr.apply({ weights: w }, state, p), 'E_PARAM', /no gradient found for the weights/);
    const g = tf.ones([2, 3]);
    expectPlasticityError(() => fuzzyLr.apply({ weights: w, gradient: g }, state, p), 'E_SHAPE', /gradient must have the weights' shape \[2, 2\], got \[2, 3\]/);
    const w3 = tf.ones([2, 3]);
    expectPlasticityError(() => fuzzyLr.apply({ weights: w3, gradient: g }, state, p), 'E_SHAPE', /state.factors must be a live tensor of 6 elements/);
    tf.dispose([w, g, w3, state.factors]);
  });

  it('leaks nothing', async () => {
    const p = params({ distribution: 'activity' });
    const state = fuzzyLr.init!([3, 2], p, 1);
    const w = tf.ones([3, 2]);
    const a = tf.ones([5, 2]);
    const out = await expectNoLeaks(() => fuzzyLr.apply({ weights: w, gradient: w, activity: a } as never, state, p));
    tf.dispose([w, a, state.factors, out.gradient!, out.state!.factors, out.state!.counts as tf.Tensor]);
  });
});
