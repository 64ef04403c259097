import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks, useBackend } from '@plasticity/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng, isPlasticityError, logGamma, randomTensor, Rng, toRng } from './index.js';

const mean = (a: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
};
const variance = (a: ArrayLike<number>) => {
  const m = mean(a);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - m) ** 2;
  return s / (a.length - 1);
};

describe('createRng determinism', () => {
  it('gives the same numbers for the same seed and different numbers for different seeds', () => {
    const a = createRng(42).uniform(1000);
    const b = createRng(42).uniform(1000);
    const c = createRng(43).uniform(1000);
    expect(a).toEqual(b);
    expect(a.filter((x, i) => x === c[i]).length).toBeLessThan(5);
  });

  it('implements xoshiro128** exactly (reference outputs for state [1, 2, 3, 4])', () => {
    // Outputs of the reference algorithm (Blackman & Vigna) computed independently in Python.
    const rng = new Rng({ algorithm: 'xoshiro128**', s: [1, 2, 3, 4], root: [0, 0] });
    const outputs = Array.from({ length: 6 }, () => rng.nextUint32());
    expect(outputs).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
  });

  it('accepts large and negative safe-integer seeds and rejects the rest', () => {
    expect(createRng(2 ** 40).uniform(3)).not.toEqual(createRng(0).uniform(3));
    expect(createRng(-5).uniform(3)).toEqual(createRng(-5).uniform(3));
    for (const bad of [1.5, NaN, 2 ** 60, '1' as unknown as number]) {
      expect(() => createRng(bad)).toThrow(/seed must be a safe integer/);
    }
  });

  it('saves and restores its state exactly, and rejects corrupt state', () => {
    const rng = createRng(7);
    rng.normal(11);
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const next = rng.uniform(20);
    const restored = new Rng(state);
    expect(restored.uniform(20)).toEqual(next);
    rng.setState(state);
    expect(rng.uniform(20)).toEqual(next);
    expect(() => rng.setState({ ...state, s: [0, 0, 0, 0] })).toThrow(/RNG state/);
    expect(() => new Rng({ ...state, algorithm: 'mt19937' })).toThrow(/RNG state/);
    expect(rng.uniform(1)).not.toEqual(next.subarray(0, 1)); // the failed setState changed nothing
  });

  it('splits into independent streams and derives named streams from the seed alone', () => {
    const parent = createRng(3);
    const child = parent.split();
    expect(child.uniform(100)).not.toEqual(parent.uniform(100));
    const x = createRng(3).stream('connectivity').uniform(10);
    const y = createRng(3);
    y.uniform(500); // advancing the parent does not move a named stream
    expect(y.stream('connectivity').uniform(10)).toEqual(x);
    expect(createRng(3).stream('input').uniform(10)).not.toEqual(x);
    expect(createRng(4).stream('connectivity').uniform(10)).not.toEqual(x);
    expect(toRng(parent)).toBe(parent);
  });
});

describe('distributions', () => {
  const n = 40000;
  it('uniform and normal have the right moments', () => {
    const rng = createRng(11);
    const u = rng.uniform(n, 2, 4);
    expect(Math.min(...u)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...u)).toBeLessThan(4);
    expect(mean(u)).toBeCloseTo(3, 1);
    expect(variance(u)).toBeCloseTo(4 / 12, 1);
    const z = rng.normal(n, 1, 2);
    expect(mean(z)).toBeCloseTo(1, 1);
    expect(Math.sqrt(variance(z))).toBeCloseTo(2, 1);
    expect(rng.normal(5).length).toBe(5); // odd sizes are filled
  });

  it('poisson matches mean = variance = λ in both the small and large regimes', () => {
    const rng = createRng(12);
    for (const lambda of [0.5, 4, 25, 400]) {
      const k = rng.poisson(n, lambda);
      expect(Math.abs(mean(k) - lambda)).toBeLessThan(4 * Math.sqrt(lambda / n) + 1e-9);
      expect(variance(k) / lambda).toBeGreaterThan(0.95);
      expect(variance(k) / lambda).toBeLessThan(1.05);
    }
    expect(rng.poisson(10, 0).every((x) => x === 0)).toBe(true);
  });

  it('gamma, beta, lognormal, exponential, bernoulli and geometric have the right means', () => {
    const rng = createRng(13);
    expect(mean(rng.gamma(n, 2.5, 2))).toBeCloseTo(5, 1);
    expect(mean(rng.gamma(n, 0.3, 1))).toBeCloseTo(0.3, 1);
    expect(mean(rng.beta(n, 2, 6))).toBeCloseTo(0.25, 2);
    expect(mean(rng.lognormal(n, 0, 0.5))).toBeCloseTo(Math.exp(0.125), 1);
    expect(mean(rng.exponential(n, 4))).toBeCloseTo(0.25, 2);
    expect(mean(rng.bernoulli(n, 0.3))).toBeCloseTo(0.3, 2);
    expect(mean(rng.geometric(n, 0.2))).toBeCloseTo(4, 0); // (1 − p)/p
    expect(rng.geometric(3, 1)).toEqual(new Int32Array(3));
  });

  it('draws unbiased integers, permutations and distinct choices', () => {
    const rng = createRng(14);
    const k = rng.integers(n, -3, 3);
    const counts = new Map<number, number>();
    k.forEach((v) => counts.set(v, (counts.get(v) ?? 0) + 1));
    expect([...counts.keys()].sort()).toEqual([-1, -2, -3, 0, 1, 2].sort());
    for (const c of counts.values()) expect(Math.abs(c / n - 1 / 6)).toBeLessThan(0.01);
    const p = rng.permutation(50);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(50).keys()]);
    const c = rng.choice(1000, 100);
    expect(new Set(c).size).toBe(100);
    expect([...c]).toEqual([...c].sort((a, b) => a - b));
    expect(rng.choice(5, 5)).toEqual(Int32Array.from([0, 1, 2, 3, 4]));
  });

  it('validates parameters with E_PARAM', () => {
    const rng = createRng(1);
    const calls = [() => rng.uniform(3, 1, 0), () => rng.normal(3, 0, -1), () => rng.poisson(3, -1), () => rng.bernoulli(3, 2),
      () => rng.gamma(3, 0), () => rng.beta(3, 1, 0), () => rng.integers(3, 2, 2), () => rng.choice(3, 4), () => rng.uniform(-1), () => rng.geometric(2, 0)];
    for (const call of calls) {
      try {
        call();
        expect.unreachable();
      } catch (error) {
        expect(isPlasticityError(error, 'E_PARAM')).toBe(true);
      }
    }
  });

  it('computes log Γ accurately', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 9);
  });
});

describe('randomTensor', () => {
  afterAll(() => useBackend('cpu'));

  it('gives identical tensors on cpu and wasm for the same seed, without leaks', async () => {
    const draws: Record<string, Float32Array | Int32Array> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const t = await expectNoLeaks(() => randomTensor(createRng(5), [3, 4], { dist: 'normal', mean: 1, std: 0.5 }));
      expect(t.shape).toEqual([3, 4]);
      draws[backend] = (await t.data()) as Float32Array;
      t.dispose();
      const p = randomTensor(createRng(5), [6], { dist: 'poisson', lambda: 3 });
      expect(p.dtype).toBe('int32');
      p.dispose();
    }
    expect(draws.wasm).toEqual(draws.cpu);
    expect(draws.cpu).toEqual(createRng(5).normal(12, 1, 0.5));
    expect(tf.getBackend()).toBe('wasm');
  });

  it('supports every distribution', async () => {
    const rng = createRng(6);
    for (const d of [{ dist: 'uniform' }, { dist: 'lognormal' }, { dist: 'gamma', shape: 2 }, { dist: 'beta', a: 1, b: 2 },
      { dist: 'exponential' }, { dist: 'bernoulli', p: 0.5 }] as const) {
      const t = randomTensor(rng, [4], d);
      expect((await t.data()).length).toBe(4);
      t.dispose();
    }
    expect(() => randomTensor(rng, [2], { dist: 'cauchy' } as never)).toThrow(/unknown distribution/);
  });
});
