import { describe, expect, it } from 'vitest';
import { PlasticityError, createRng } from '@plasticity/core';
import { loadCurve, loadCurveMean, sineRegime } from './series.js';

const mean = (xs: ArrayLike<number>): number => Array.from(xs).reduce((a, b) => a + b, 0) / xs.length;

describe('series generators', () => {
  it('sineRegime is the blog series with seeded noise (same seed, same series)', () => {
    const x = sineRegime(3);
    const noise = createRng(3).stream('series').normal(1000, 0, 0.1);
    expect(x.length).toBe(1000);
    for (const t of [0, 17, 499, 500, 999]) {
      expect(x[t]).toBeCloseTo(Math.sin(0.1 * t) + noise[t]! + (t >= 500 ? 0.5 * Math.sin(0.2 * t) : 0), 6);
    }
    expect(sineRegime(3)).toEqual(x);
    expect(sineRegime(4)).not.toEqual(x);
  });

  it('loadCurve: level shift at the change point, AR(1) noise with the documented statistics', () => {
    const options = { length: 20_000, changePoint: 10_000, phi: 0.6, sigma: 0.1, shift: 1, amplitudeFactor: 1.5 };
    const x = loadCurve(7, options);
    expect(loadCurve(7, options)).toEqual(x);
    const e = Float64Array.from(x, (v, t) => v - loadCurveMean(t, options));
    const before = e.subarray(0, 10_000);
    const after = e.subarray(10_000);
    const sdTheory = 0.1 / Math.sqrt(1 - 0.36); // 0.125
    for (const part of [before, after]) {
      const m = mean(part);
      const v = mean(part.map((u) => (u - m) ** 2));
      let c1 = 0;
      for (let t = 1; t < part.length; t++) c1 += (part[t]! - m) * (part[t - 1]! - m);
      // standard error of an AR(1) mean with n = 1e4: sd·sqrt((1 + φ)/(1 − φ)/n) ≈ 0.0025
      expect(Math.abs(m)).toBeLessThan(0.01);
      expect(Math.sqrt(v)).toBeGreaterThan(sdTheory * 0.95);
      expect(Math.sqrt(v)).toBeLessThan(sdTheory * 1.05);
      expect(c1 / (part.length - 1) / v).toBeGreaterThan(0.55);
      expect(c1 / (part.length - 1) / v).toBeLessThan(0.65);
    }
    // the level: whole days average the cycle away, so segment means are the levels 0 and 1
    const days = 24 * 400;
    expect(mean(x.subarray(0, days))).toBeCloseTo(0, 1);
    expect(mean(x.subarray(10_008, 10_008 + days))).toBeCloseTo(1, 1);
    // the amplitude: the cycle's range grows by the factor
    const range = (from: number): number => {
      const day = Array.from({ length: 24 }, (_, k) => loadCurveMean(from + k, options));
      return Math.max(...day) - Math.min(...day);
    };
    expect(range(10_008) / range(0)).toBeCloseTo(1.5, 6);
  });

  it('rejects invalid parameters', () => {
    expect(() => loadCurve(0, { phi: 1 })).toThrow(PlasticityError);
    expect(() => loadCurve(0, { length: 0 })).toThrow(PlasticityError);
    expect(() => sineRegime(0, { noise: Number.NaN })).toThrow(PlasticityError);
  });
});
