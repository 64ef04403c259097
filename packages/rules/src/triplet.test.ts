import * as tf from '@tensorflow/tfjs-core';
import { toConfig } from '@plasticity/core';
import { validateFusedSpec } from './fused/spec.js';
import { expectClose, expectNoLeaks } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { releaseState } from './common.js';
import { STDP_DEFAULTS, stdp } from './stdp.js';
import { ReferenceConnection } from './testing/reference-connection.js';
import { randomRaster, runRule } from './testing/run.js';
import { TRIPLET_DEFAULTS, tripletStdp, tripletToFused, type TripletParams } from './triplet.js';

const P: TripletParams = {
  ...TRIPLET_DEFAULTS,
  tauPlusMs: 10, tauMinusMs: 20, tauXMs: 50, tauYMs: 40,
  a2Plus: 0.1, a3Plus: 0.05, a2Minus: 0.08, a3Minus: 0.03,
  wMin: -10, wMax: 10,
};
const e = Math.exp;

async function single(params: TripletParams, preSteps: number[], postSteps: number[]): Promise<number> {
  const steps = Math.max(...preSteps, ...postSteps) + 2;
  const pre = new Float32Array(steps);
  const post = new Float32Array(steps);
  for (const t of preSteps) pre[t] = 1;
  for (const t of postSteps) post[t] = 1;
  const conn = ReferenceConnection.dense(1, 1, [0]);
  await runRule(tripletStdp, params, conn, { steps, pre, post }, { dtMs: 1 });
  const w = (await conn.weights())[0]!;
  conn.dispose();
  return w;
}

describe('core/triplet-stdp against hand-computed values', () => {
  const tol = { rtol: 1e-5, atol: 1e-7 };
  it('pre-post-post (triplet LTP): r1·(A2+ + A3+·o2(t−ε)) at each post spike', async () => {
    const expected = e(-5 / 10) * 0.1 + e(-10 / 10) * (0.1 + 0.05 * e(-5 / 40));
    expectClose(await single(P, [0], [5, 10]), expected, tol);
  });

  it('post-pre-pre (triplet LTD): −o1·(A2− + A3−·r2(t−ε)) at each pre spike; minimal drops A3−', async () => {
    const full = -e(-4 / 20) * 0.08 - e(-9 / 20) * (0.08 + 0.03 * e(-5 / 50));
    expectClose(await single(P, [4, 9], [0]), full, tol);
    const minimal = -e(-4 / 20) * 0.08 - e(-9 / 20) * 0.08;
    expectClose(await single({ ...P, model: 'minimal' }, [4, 9], [0]), minimal, tol);
  });

  it('all-to-all detectors accumulate; nearest-spike detectors saturate at 1', async () => {
    // pre at 0 and 2, post at 5 and 6.
    const all = (e(-5 / 10) + e(-3 / 10)) * 0.1 + (e(-6 / 10) + e(-4 / 10)) * (0.1 + 0.05 * e(-1 / 40));
    const nearest = e(-3 / 10) * 0.1 + e(-4 / 10) * (0.1 + 0.05 * e(-1 / 40));
    expectClose(await single(P, [0, 2], [5, 6]), all, tol);
    expectClose(await single({ ...P, pairing: 'nearest' }, [0, 2], [5, 6]), nearest, tol);
    // post at 0, pre at 3 and 4: nearest resets r2 to 1 at 3, all-to-all too (r2 was 0).
    const ltdAll = -e(-3 / 20) * 0.08 - e(-4 / 20) * (0.08 + 0.03 * e(-1 / 50));
    expectClose(await single(P, [3, 4], [0]), ltdAll, tol);
    expectClose(await single({ ...P, pairing: 'nearest' }, [3, 4], [0]), ltdAll, tol);
  });

  it('a pre and a post spike in the same step pair with Δt = 0 (A2+)', async () => {
    expectClose(await single(P, [3], [3]), 0.1, tol);
  });

  it('with A3± = 0 it is pair STDP (core/stdp) on random trains', async () => {
    const pair = { ...P, a3Plus: 0, a3Minus: 0 };
    for (const pairing of ['all-to-all', 'nearest'] as const) {
      const pre = randomRaster(3, 120, 4, 0.1);
      const post = randomRaster(4, 120, 3, 0.1);
      const a = ReferenceConnection.dense(4, 3, new Float32Array(12));
      const b = ReferenceConnection.dense(4, 3, new Float32Array(12));
      await runRule(tripletStdp, { ...pair, pairing }, a, { steps: 120, pre, post });
      const sp = { ...STDP_DEFAULTS, aPlus: 0.1, aMinus: 0.08, tauPlusMs: 10, tauMinusMs: 20, wMin: -10, wMax: 10, pairing };
      await runRule(stdp, sp, b, { steps: 120, pre, post });
      expectClose(await a.weights(), await b.weights(), { atol: 1e-6, rtol: 1e-5 });
      a.dispose();
      b.dispose();
    }
  });
});

describe('core/triplet-stdp contract', () => {
  it('validates parameters, leaks nothing, keeps bounds and describes itself to the fused engine', async () => {
    expect(() => toConfig(tripletStdp, { tauXMs: 0 })).toThrow(/tauXMs must be > 0/);
    expect(() => toConfig(tripletStdp, { wMin: 2, wMax: 1 })).toThrow(/wMin must be <= wMax/);
    expect(() => toConfig(tripletStdp, { model: 'tiny' as never })).toThrow(/model must be one of/);
    const conn = ReferenceConnection.dense(3, 2, new Float32Array(6).fill(0.5));
    const p = { ...P, wMin: 0.4, wMax: 0.6, a2Plus: 0.3, a2Minus: 0.3 };
    let state = tripletStdp.init({ nPre: 3, nPost: 2, batch: 2 }, p);
    const pre = tf.ones([2, 3]);
    const post = tf.ones([2, 2]);
    for (let t = 0; t < 3; t++) {
      const next = await expectNoLeaks(() => tripletStdp.step({ pre, post, conn, dtMs: 1 }, state, p));
      releaseState(state, next);
      state = next;
      for (const w of await conn.weights()) expect(w >= 0.4 - 1e-7 && w <= 0.6 + 1e-7).toBe(true);
    }
    tf.dispose([pre, post, ...Object.values(state)]);
    conn.dispose();
    const spec = tripletToFused({ ...TRIPLET_DEFAULTS, model: 'minimal', pairing: 'nearest' });
    expect(spec).toMatchObject({ kind: 'triplet', a3Minus: 0, traceMode: 'nearest', tauXMs: 101, tauYMs: 125 });
    expect(() => validateFusedSpec(spec!, 0.1)).not.toThrow();
  });

  it('batch: B identical samples give B× (sum) and 1× (mean) the single-sample change', async () => {
    const steps = 30;
    const pre1 = randomRaster(9, steps, 3, 0.2);
    const post1 = randomRaster(10, steps, 2, 0.2);
    const tile = (r: Uint8Array, n: number, B: number) => {
      const out = new Uint8Array(steps * n * B);
      for (let t = 0; t < steps; t++) for (let b = 0; b < B; b++) out.set(r.subarray(t * n, (t + 1) * n), (t * B + b) * n);
      return out;
    };
    const run = async (B: number, batchReduce: 'sum' | 'mean') => {
      const conn = ReferenceConnection.dense(3, 2, new Float32Array(6));
      await runRule(tripletStdp, { ...P, batchReduce }, conn, { steps, pre: tile(pre1, 3, B), post: tile(post1, 2, B) }, { batch: B });
      const w = Array.from(await conn.weights());
      conn.dispose();
      return w;
    };
    const one = await run(1, 'sum');
    expect(one.some((x) => Math.abs(x) > 1e-3)).toBe(true);
    expectClose(await run(3, 'sum'), one.map((x) => 3 * x), { atol: 1e-6, rtol: 1e-5 });
    expectClose(await run(3, 'mean'), one, { atol: 1e-6, rtol: 1e-5 });
  });
});
