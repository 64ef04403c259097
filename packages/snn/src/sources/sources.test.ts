import { describe, expect, it } from 'vitest';
import { isPlasticityError } from '@plasticity/core';
import { Network } from '../network.js';
import { PoissonSource, SpikeTrainSource } from './sources.js';

function collect(src: PoissonSource | SpikeTrainSource, steps: number, dt: number, from = 0) {
  src.bind(dt);
  const active = new Int32Array(src.n), value = new Float32Array(src.n);
  const times: number[][] = Array.from({ length: src.n }, () => []);
  for (let n = from; n < from + steps; n++) {
    const c = src.generate(n, active, value);
    for (let k = 0; k < c; k++) { times[active[k]!]!.push(n); value[active[k]!] = 0; }
  }
  return times;
}

describe('PoissonSource', () => {
  it('has the requested rate and exponential-like inter-spike intervals (CV ≈ 1)', () => {
    const src = new PoissonSource({ n: 200, rateHz: 20, seed: 3 });
    const times = collect(src, 100_000, 0.1); // 10 s
    const total = times.reduce((s, t) => s + t.length, 0);
    const rate = total / 200 / 10;
    expect(Math.abs(rate - 20)).toBeLessThan(0.3); // sd of the mean ≈ 0.1 Hz
    const isi: number[] = [];
    for (const t of times) for (let k = 1; k < t.length; k++) isi.push((t[k]! - t[k - 1]!) * 0.1);
    const mean = isi.reduce((a, b) => a + b, 0) / isi.length;
    const sd = Math.sqrt(isi.reduce((a, b) => a + (b - mean) ** 2, 0) / isi.length);
    expect(mean).toBeCloseTo(50, 0);
    expect(Math.abs(sd / mean - 1)).toBeLessThan(0.02);
    // Bernoulli-per-step process: P(ISI = 1 step) = p = 0.002
    const oneStep = isi.filter((x) => Math.abs(x - 0.1) < 1e-9).length / isi.length;
    expect(oneStep).toBeGreaterThan(0.001);
    expect(oneStep).toBeLessThan(0.003);
  });

  it('is seeded: same seed same trains, other seed other trains, reset replays', () => {
    const a = collect(new PoissonSource({ n: 10, rateHz: 50, seed: 7 }), 5000, 0.1);
    const b = collect(new PoissonSource({ n: 10, rateHz: 50, seed: 7 }), 5000, 0.1);
    const c = collect(new PoissonSource({ n: 10, rateHz: 50, seed: 8 }), 5000, 0.1);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    const s = new PoissonSource({ n: 10, rateHz: 50, seed: 7 });
    collect(s, 1234, 0.1);
    s.reset();
    expect(collect(s, 5000, 0.1)).toEqual(a);
  });

  it('per-neuron rates and a time-varying schedule (thinning)', () => {
    const src = new PoissonSource({ n: 100, rateHz: Array.from({ length: 100 }, (_, i) => (i < 50 ? 10 : 40)), seed: 1,
      schedule: { startsMs: [0, 5000], factors: [1, 0.25] } });
    const times = collect(src, 100_000, 0.1);
    const count = (lo: number, hi: number, from: number, to: number) =>
      times.slice(lo, hi).reduce((s, t) => s + t.filter((x) => x >= from && x < to).length, 0) / (hi - lo) / ((to - from) / 10_000);
    expect(count(0, 50, 0, 50_000)).toBeCloseTo(10, -0.3);
    expect(count(50, 100, 0, 50_000)).toBeCloseTo(40, -0.6);
    expect(count(50, 100, 50_000, 100_000)).toBeCloseTo(10, -0.3);
    expect(Math.abs(count(50, 100, 50_000, 100_000) - 10)).toBeLessThan(0.8);
  });

  it('state round-trips (continuation identical)', () => {
    const s1 = new PoissonSource({ n: 20, rateHz: 30, seed: 2 });
    const full = collect(s1, 4000, 0.1);
    const s2 = new PoissonSource({ n: 20, rateHz: 30, seed: 2 });
    const first = collect(s2, 2000, 0.1);
    const st = s2.getState();
    const s3 = new PoissonSource({ n: 20, rateHz: 30, seed: 99 });
    s3.bind(0.1);
    s3.setState(st);
    const second = collect(s3, 2000, 0.1, 2000);
    expect(first.map((t, i) => [...t, ...second[i]!])).toEqual(full);
  });

  it('rejects bad input', () => {
    for (const bad of [{ n: 3, rateHz: -1 }, { n: 3, rateHz: NaN }, { n: -1, rateHz: 1 }, { n: 2, rateHz: [1, 2, 3] }]) {
      let err: unknown;
      try { new PoissonSource(bad); } catch (e) { err = e; }
      expect(isPlasticityError(err)).toBe(true);
    }
    expect(() => new PoissonSource({ n: 2, rateHz: 1, schedule: { startsMs: [0, 0], factors: [1, 1] } })).toThrow(/startsMs must increase/);
  });

  it('rejects a rate above 1/dt (at most one spike per step) naming the value and the limit; 1/dt itself fires every step', () => {
    const message = (fn: () => unknown) => {
      try { fn(); } catch (e) { if (isPlasticityError(e, 'E_PARAM')) return e.message; throw e; }
      throw new Error('expected E_PARAM');
    };
    expect(message(() => new PoissonSource({ n: 1, rateHz: 2000 }).bind(1))).toMatch(/rateHz = 2000 Hz exceeds 1\/dt = 1000 Hz at dtMs = 1/);
    expect(message(() => new PoissonSource({ n: 3, rateHz: [5, 20_000, 5] }).bind(0.1))).toMatch(/rateHz\[1\] = 20000 Hz exceeds 1\/dt = 10000 Hz at dtMs = 0.1/);
    const scheduled = { n: 1, rateHz: 600, schedule: { startsMs: [0, 10], factors: [1, 2] } };
    expect(message(() => new PoissonSource(scheduled).bind(1))).toMatch(/rateHz = 600 Hz × schedule factor 2 = 1200 Hz exceeds 1\/dt = 1000 Hz/);
    // A source that was bound keeps its dt when a finer one is refused.
    const src = new PoissonSource({ n: 2, rateHz: 1000, seed: 4 });
    expect(collect(src, 50, 1).map((t) => t.length)).toEqual([50, 50]);
    expect(() => src.bind(2)).toThrow(/exceeds 1\/dt = 500 Hz/);
    expect(collect(src, 10, 1, 50).map((t) => t.length)).toEqual([10, 10]);
    // Through a Network: nothing is added, the name stays free.
    const net = new Network({ dtMs: 1 });
    expect(message(() => net.addPoisson('in', { n: 4, rateHz: 2000 }))).toMatch(/rateHz = 2000 Hz exceeds 1\/dt = 1000 Hz/);
    expect(net.addPoisson('in', { n: 4, rateHz: 1000 }).n).toBe(4);
    net.dispose();
  });
});

describe('SpikeTrainSource', () => {
  it('plays spikes back at round(t/dt), a neuron at most once per step', () => {
    const src = new SpikeTrainSource({ n: 3, timesMs: [1.0, 0.2, 0.24, 1.0, 0.5], indices: [2, 0, 0, 1, 1] });
    const times = collect(src, 20, 0.1);
    expect(times).toEqual([[2], [5, 10], [10]]);
    expect(() => new SpikeTrainSource({ n: 2, timesMs: [1], indices: [2] })).toThrow(/indices\[0\]/);
  });
});
