import * as tf from '@tensorflow/tfjs-core';
import { createRng, isPlasticityError, toConfig } from '@plasticity/core';
import { validateFusedSpec } from './fused/spec.js';
import { expectClose, expectNoLeaks } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { releaseState } from './common.js';
import { MSTDPET_DEFAULTS, MSTDP_DEFAULTS, mstdp, mstdpToFused, mstdpet, mstdpetToFused, type MstdpetParams } from './mstdp.js';
import { ReferenceConnection } from './testing/reference-connection.js';
import { randomRaster, runRule } from './testing/run.js';

/** BindsNET's MSTDP / MSTDPET update written out literally (dense, batch 1, double precision, no bounds). */
function bindsnet(
  pre: ArrayLike<number>, post: ArrayLike<number>, reward: ArrayLike<number>, steps: number, nPre: number, nPost: number,
  p: MstdpetParams, dt: number, withTrace: boolean, w0: number[],
): number[] {
  const w = [...w0];
  let pPlus = new Array<number>(nPre).fill(0);
  let pMinus = new Array<number>(nPost).fill(0);
  let e = new Array<number>(nPre * nPost).fill(0);
  const z = new Array<number>(nPre * nPost).fill(0);
  for (let t = 0; t < steps; t++) {
    const r = reward[t]!;
    for (let k = 0; k < w.length; k++) {
      if (withTrace) {
        z[k] = z[k]! * Math.exp(-dt / p.tauZMs) + e[k]! / p.tauZMs;
        w[k]! += p.nu * dt * r * z[k]!;
      } else {
        w[k]! += p.nu * r * e[k]!;
      }
    }
    const sPre = Array.from({ length: nPre }, (_, i) => pre[t * nPre + i]!);
    const sPost = Array.from({ length: nPost }, (_, j) => post[t * nPost + j]!);
    pPlus = pPlus.map((v, i) => v * Math.exp(-dt / p.tauPlusMs) + p.aPlus * sPre[i]!);
    pMinus = pMinus.map((v, j) => v * Math.exp(-dt / p.tauMinusMs) + -p.aMinus * sPost[j]!);
    e = e.map((_, k) => pPlus[Math.floor(k / nPost)]! * sPost[k % nPost]! + sPre[Math.floor(k / nPost)]! * pMinus[k % nPost]!);
  }
  return w;
}

const P: MstdpetParams = { ...MSTDPET_DEFAULTS, nu: 0.05, aPlus: 1, aMinus: 0.7, tauPlusMs: 10, tauMinusMs: 25, tauZMs: 15 };

describe('core/mstdp and core/mstdpet equal BindsNET', () => {
  for (const [name, rule, withTrace] of [['mstdp', mstdp, false], ['mstdpet', mstdpet, true]] as const) {
    it(`${name}: random trains and rewards`, async () => {
      const steps = 120;
      const [nPre, nPost] = [5, 3];
      const pre = randomRaster(31, steps, nPre, 0.1);
      const post = randomRaster(32, steps, nPost, 0.1);
      const rng = createRng(33);
      const reward = Float32Array.from(rng.uniform(steps, -1, 1));
      const w0 = Array.from({ length: nPre * nPost }, (_, k) => 0.1 * k);
      const conn = ReferenceConnection.dense(nPre, nPost, w0);
      await runRule(rule as typeof mstdpet, P, conn, { steps, pre, post, modulator: reward }, { dtMs: 0.5 });
      const expected = bindsnet(pre, post, reward, steps, nPre, nPost, P, 0.5, withTrace, w0);
      expect(expected.some((v, k) => Math.abs(v - w0[k]!) > 1e-2)).toBe(true);
      expectClose(await conn.weights(), expected, { atol: 2e-5, rtol: 1e-4 });
      conn.dispose();
    });
  }

  it('mstdp: a pre spike then a post spike 2 steps later, rewarded the step after, gives ν·r·a+·e^(−2dt/τ+)', async () => {
    const pre = Float32Array.from([1, 0, 0, 0, 0]);
    const post = Float32Array.from([0, 0, 1, 0, 0]);
    const reward = Float32Array.from([0, 0, 0, 2, 0]);
    const conn = ReferenceConnection.dense(1, 1, [0]);
    await runRule(mstdp, P, conn, { steps: 5, pre, post, modulator: reward }, { dtMs: 1 });
    expectClose(await conn.weights(), [0.05 * 2 * Math.exp(-2 / 10)]);
    conn.dispose();
  });
});

/** Episodes: pattern A (inputs 0–9) or B (10–19) fires at step 1, the output at step 3; reward at step `rewardStep` (+1 for A, −1 for B). */
function episodes(n: number, rewardStep: number, seed: number) {
  const len = 40;
  const steps = n * len;
  const rng = createRng(seed);
  const pre = new Float32Array(steps * 20);
  const post = new Float32Array(steps);
  const reward = new Float32Array(steps);
  const noisePre = randomRaster(seed + 1, steps, 20, 0.01);
  const noisePost = randomRaster(seed + 2, steps, 1, 0.01);
  for (let k = 0; k < steps * 20; k++) pre[k] = noisePre[k]!;
  for (let k = 0; k < steps; k++) post[k] = noisePost[k]!;
  for (let e = 0; e < n; e++) {
    const a = rng.random() < 0.5;
    const t0 = e * len;
    for (let i = 0; i < 10; i++) pre[(t0 + 1) * 20 + (a ? i : 10 + i)] = 1;
    post[t0 + 3] = 1;
    reward[t0 + rewardStep] = a ? 1 : -1;
  }
  return { steps, pre, post, modulator: reward };
}

async function groupMeans(rule: typeof mstdpet, params: MstdpetParams, trains: ReturnType<typeof episodes>): Promise<[number, number]> {
  const conn = ReferenceConnection.dense(20, 1, new Float32Array(20).fill(0.5));
  await runRule(rule, params, conn, trains, { dtMs: 1 });
  const w = await conn.weights();
  conn.dispose();
  const mean = (a: number, b: number) => w.slice(a, b).reduce((s, v) => s + v, 0) / (b - a);
  return [mean(0, 10), mean(10, 20)];
}

describe('reward-modulated learning', () => {
  it('mstdp strengthens the rewarded pattern and weakens the punished one', async () => {
    const [a, b] = await groupMeans(mstdp as never, { ...P, nu: 0.01, wMin: 0, wMax: 1 }, episodes(60, 4, 5));
    expect(a).toBeGreaterThan(0.6);
    expect(b).toBeLessThan(0.4);
  });

  it('mstdpet bridges a delayed reward through its eligibility trace; mstdp does not', async () => {
    const trains = episodes(60, 12, 6);
    const [a, b] = await groupMeans(mstdpet, { ...P, nu: 0.4, wMin: 0, wMax: 1 }, trains);
    expect(a - b).toBeGreaterThan(0.2);
    const [a2, b2] = await groupMeans(mstdp as never, { ...P, nu: 0.01, wMin: 0, wMax: 1 }, trains);
    expect(Math.abs(a2 - b2)).toBeLessThan(0.05);
  });
});

describe('core/mstdp contract', () => {
  it('rejects a malformed modulator naming it (nothing changes); an absent one counts as 0', async () => {
    const conn = ReferenceConnection.dense(2, 2, [1, 2, 3, 4]);
    const state = mstdp.init({ nPre: 2, nPost: 2, batch: 2 }, MSTDP_DEFAULTS);
    const io = { pre: tf.ones([2, 2]), post: tf.ones([2, 2]), conn, dtMs: 1 };
    const bad: [unknown, RegExp, string][] = [
      ['0.5', /io\.modulator must be a number or a tensor/, 'E_PARAM'],
      [Number.NaN, /io\.modulator must be finite/, 'E_PARAM'],
      [tf.ones([3]), /io\.modulator must be a scalar or have shape \[2\]/, 'E_SHAPE'],
    ];
    for (const [modulator, message, code] of bad) {
      let error: unknown;
      try {
        mstdp.step({ ...io, modulator: modulator as number }, state, MSTDP_DEFAULTS);
      } catch (e) {
        error = e;
      }
      expect(isPlasticityError(error, code as 'E_PARAM')).toBe(true);
      expect((error as Error).message).toMatch(message);
      if (modulator instanceof tf.Tensor) modulator.dispose();
    }
    expect(Array.from(await conn.weights())).toEqual([1, 2, 3, 4]);
    let s = state;
    for (let t = 0; t < 3; t++) {
      const next = mstdp.step(io, s, MSTDP_DEFAULTS);
      if (s !== state) releaseState(s, next);
      s = next;
    }
    expect(Array.from(await conn.weights())).toEqual([1, 2, 3, 4]);
    expect(Array.from(await s.pPlus.data())).not.toEqual([0, 0, 0, 0]);
    tf.dispose(Object.values(s));
    expect(() => toConfig(mstdp, { tauPlusMs: 0 })).toThrow(/tauPlusMs must be > 0/);
    expect(() => toConfig(mstdpet, { tauZMs: -1 })).toThrow(/tauZMs must be > 0/);
    expect(() => toConfig(mstdp, { modulator: '' })).toThrow(/modulator must be a non-empty signal name/);
    expect(() => toConfig(mstdp, { aMinus: -1 })).toThrow(/aMinus must be >= 0/);
    tf.dispose([io.pre, io.post, ...Object.values(state)]);
    conn.dispose();
  });

  it('per-sample modulators: batch [s, s] with r = [1, 0] equals batch 1 with r = 1 (sum)', async () => {
    const steps = 40;
    const pre1 = randomRaster(41, steps, 3, 0.2);
    const post1 = randomRaster(42, steps, 2, 0.2);
    const run = async (batch: number, rewards: number[]) => {
      const conn = ReferenceConnection.dense(3, 2, new Float32Array(6));
      let state = mstdpet.init({ nPre: 3, nPost: 2, batch }, P);
      const r = tf.tensor1d(rewards);
      for (let t = 0; t < steps; t++) {
        const rowPre = Array.from(pre1.subarray(t * 3, t * 3 + 3));
        const rowPost = Array.from(post1.subarray(t * 2, t * 2 + 2));
        const pre = tf.tensor2d(Array.from({ length: batch }, () => rowPre));
        const post = tf.tensor2d(Array.from({ length: batch }, () => rowPost));
        const next = await expectNoLeaks(() => mstdpet.step({ pre, post, conn, dtMs: 1, modulator: r }, state, P));
        releaseState(state, next);
        state = next;
        tf.dispose([pre, post]);
      }
      tf.dispose([r, ...Object.values(state)]);
      const w = Array.from(await conn.weights());
      conn.dispose();
      return w;
    };
    const one = await run(1, [1]);
    expect(one.some((v) => Math.abs(v) > 1e-3)).toBe(true);
    expectClose(await run(2, [1, 0]), one, { atol: 1e-6, rtol: 1e-5 });
    expectClose(await run(3, [1, 1, 1]), one.map((v) => 3 * v), { atol: 1e-6, rtol: 1e-5 });
    expectClose(await run(1, [1]), one, { atol: 0, rtol: 0 });
  });

  it('batch mean: B identical samples give the single-sample change (mstdp and mstdpet)', async () => {
    for (const rule of [mstdp, mstdpet] as const) {
      const steps = 30;
      const pre = randomRaster(51, steps, 3, 0.3);
      const post = randomRaster(52, steps, 2, 0.3);
      const reward = Float32Array.from({ length: steps }, (_, t) => (t % 3) - 1);
      const tile = (r: Uint8Array, n: number, B: number) => {
        const out = new Uint8Array(steps * n * B);
        for (let t = 0; t < steps; t++) for (let b = 0; b < B; b++) out.set(r.subarray(t * n, (t + 1) * n), (t * B + b) * n);
        return out;
      };
      const run = async (B: number, batchReduce: 'sum' | 'mean') => {
        const conn = ReferenceConnection.dense(3, 2, new Float32Array(6));
        await runRule(rule as typeof mstdpet, { ...P, batchReduce }, conn, { steps, pre: tile(pre, 3, B), post: tile(post, 2, B), modulator: reward }, { batch: B });
        const w = Array.from(await conn.weights());
        conn.dispose();
        return w;
      };
      const one = await run(1, 'sum');
      expect(one.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      expectClose(await run(4, 'mean'), one, { atol: 1e-6, rtol: 1e-5 });
      expectClose(await run(4, 'sum'), one.map((v) => 4 * v), { atol: 1e-6, rtol: 1e-5 });
    }
  });

  it('mstdpet state belongs to one connection; fused specs validate', () => {
    const a = ReferenceConnection.dense(2, 2, [0, 0, 0, 0]);
    const b = new ReferenceConnection({ nPre: 2, nPost: 2, pre: Int32Array.from([0]), post: Int32Array.from([1]), weights: Float32Array.from([0]) });
    let state = mstdpet.init({ nPre: 2, nPost: 2, batch: 1 }, P);
    const pre = tf.ones([1, 2]);
    const post = tf.ones([1, 2]);
    const next = mstdpet.step({ pre, post, conn: a, dtMs: 1, modulator: 1 }, state, P);
    releaseState(state, next);
    state = next;
    expect(state.z.shape).toEqual([1, 4]);
    expect(() => mstdpet.step({ pre, post, conn: b, dtMs: 1, modulator: 1 }, state, P)).toThrow(/state\.z has shape \[1, 4\] but io\.conn has 1 synapses/);
    tf.dispose([pre, post, ...Object.values(state)]);
    a.dispose();
    b.dispose();
    const s1 = mstdpToFused(MSTDP_DEFAULTS)!;
    expect(s1).toEqual({ kind: 'mstdp', nu: 0.01, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, modulator: 'reward' });
    expect(() => validateFusedSpec(s1, 1)).not.toThrow();
    const s2 = mstdpetToFused({ ...MSTDPET_DEFAULTS, wMin: 0, wMax: 1 })!;
    expect(s2).toMatchObject({ kind: 'mstdpet', tauZMs: 25, wMin: 0, wMax: 1 });
    expect(() => validateFusedSpec(s2, 1)).not.toThrow();
  });
});
