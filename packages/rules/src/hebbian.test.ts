import * as tf from '@tensorflow/tfjs-core';
import { createRng, toConfig, type Params, type PluginState, type Rule } from '@plasticity/core';
import { expectClose, expectNoLeaks } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { releaseState } from './common.js';
import { BCM_DEFAULTS, HEBBIAN_DEFAULTS, OJA_DEFAULTS, bcm, hebbian, oja } from './hebbian.js';
import { ReferenceConnection } from './testing/reference-connection.js';
import { stepWithoutLeaks } from './testing/run.js';

/** One step of `rule` with fixed x, y on a fresh connection; returns ΔW (dense, row-major). */
async function oneStep<P extends Params, S extends PluginState>(
  rule: Rule<P, S>, params: P, x: number[][], y: number[][], w0: number[], nPre: number, nPost: number,
): Promise<number[]> {
  const conn = ReferenceConnection.dense(nPre, nPost, w0);
  const state = rule.init({ nPre, nPost, batch: x.length }, params);
  const pre = tf.tensor2d(x);
  const post = tf.tensor2d(y);
  const next = await stepWithoutLeaks(rule, { pre, post, conn, dtMs: 1 }, state, params, expectNoLeaks);
  releaseState(state, next);
  tf.dispose([pre, post, ...Object.values(next)] as tf.Tensor[]);
  const w = Array.from(await conn.toDense(), (v, k) => v - Math.fround(w0[k]!));
  conn.dispose();
  return w;
}

const X = [[0.5, 0, 2]];
const Y = [[1.5, -0.5]];
const W0 = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6];

describe('core/hebbian, core/oja, core/bcm: one step against the equations', () => {
  it('hebbian: ΔW = η·x⊗y', async () => {
    const eta = 0.1;
    const dw = await oneStep(hebbian, { ...HEBBIAN_DEFAULTS, eta }, X, Y, W0, 3, 2);
    expectClose(dw, [0.5 * 1.5, 0.5 * -0.5, 0, 0, 2 * 1.5, 2 * -0.5].map((v) => eta * v));
  });

  it('oja: ΔW = η·y·(x − y·W)', async () => {
    const eta = 0.1;
    const dw = await oneStep(oja, { ...OJA_DEFAULTS, eta }, X, Y, W0, 3, 2);
    const expected = W0.map((w, k) => {
      const i = Math.floor(k / 2);
      const j = k % 2;
      return eta * Y[0]![j]! * (X[0]![i]! - Y[0]![j]! * w);
    });
    expectClose(dw, expected, { atol: 1e-6, rtol: 1e-5 });
  });

  it('bcm: ΔW = η·x·y·(y − θ), θ ← θ·e^(−dt/τ) + (1 − e^(−dt/τ))·y²', async () => {
    const p = { ...BCM_DEFAULTS, eta: 0.1, thetaInit: 0.8, tauThetaMs: 5 };
    const dw = await oneStep(bcm, p, X, Y, W0, 3, 2);
    const expected = W0.map((_, k) => {
      const y = Y[0]![k % 2]!;
      return 0.1 * X[0]![Math.floor(k / 2)]! * y * (y - 0.8);
    });
    expectClose(dw, expected, { atol: 1e-6, rtol: 1e-5 });
    const state = bcm.init({ nPre: 3, nPost: 2, batch: 1 }, p);
    const conn = ReferenceConnection.dense(3, 2, W0);
    const pre = tf.tensor2d(X);
    const post = tf.tensor2d(Y);
    const next = bcm.step({ pre, post, conn, dtMs: 2 }, state, p);
    const d = Math.exp(-2 / 5);
    expectClose(await next.theta.data(), [0.8 * d + (1 - d) * 2.25, 0.8 * d + (1 - d) * 0.25]);
    tf.dispose([pre, post, ...Object.values(state), ...Object.values(next)]);
    conn.dispose();
  });

  for (const [name, rule, defaults] of [
    ['hebbian', hebbian, HEBBIAN_DEFAULTS],
    ['oja', oja, OJA_DEFAULTS],
    ['bcm', bcm, { ...BCM_DEFAULTS, thetaInit: 0.3 }],
  ] as const) {
    it(`${name}: B identical samples give B× (sum) and 1× (mean) the single-sample change`, async () => {
      const p = { ...defaults, eta: 0.05 } as never;
      const one = await oneStep(rule as Rule, p, X, Y, W0, 3, 2);
      const B = 4;
      const xs = Array.from({ length: B }, () => X[0]!);
      const ys = Array.from({ length: B }, () => Y[0]!);
      expect(one.some((v) => Math.abs(v) > 1e-3)).toBe(true);
      expectClose(await oneStep(rule as Rule, { ...(p as object), batchReduce: 'sum' } as never, xs, ys, W0, 3, 2), one.map((v) => B * v), { atol: 1e-6, rtol: 1e-5 });
      expectClose(await oneStep(rule as Rule, { ...(p as object), batchReduce: 'mean' } as never, xs, ys, W0, 3, 2), one, { atol: 1e-6, rtol: 1e-5 });
    });
  }

  it('traceTauMs > 0: the rules see low-pass filtered activity x̄ ← x̄·d + (1 − d)·x', async () => {
    const d = Math.exp(-1 / 4);
    for (const [rule, defaults] of [[hebbian, HEBBIAN_DEFAULTS], [oja, OJA_DEFAULTS], [bcm, BCM_DEFAULTS]] as const) {
      const p = { ...defaults, eta: 0.1, traceTauMs: 4 } as never;
      // Two steps with the same x, y: the second step uses x̄ = (1 − d²)·x (from x̄ = 0).
      const conn = ReferenceConnection.dense(3, 2, W0);
      const ref = ReferenceConnection.dense(3, 2, W0);
      let state = (rule as Rule).init({ nPre: 3, nPost: 2, batch: 1 }, p);
      let refState = (rule as Rule).init({ nPre: 3, nPost: 2, batch: 1 }, { ...(p as object), traceTauMs: 0 } as never);
      const scaled = (m: number[][], f: number) => tf.tensor2d(m.map((r) => r.map((v) => v * f)));
      for (const f of [1 - d, 1 - d * d]) {
        const pre = tf.tensor2d(X);
        const post = tf.tensor2d(Y);
        const next = (rule as Rule).step({ pre, post, conn, dtMs: 1 }, state, p);
        releaseState(state, next);
        state = next;
        const preF = scaled(X, f);
        const postF = scaled(Y, f);
        const refNext = (rule as Rule).step({ pre: preF, post: postF, conn: ref, dtMs: 1 }, refState, { ...(p as object), traceTauMs: 0 } as never);
        releaseState(refState, refNext);
        refState = refNext;
        tf.dispose([pre, post, preF, postF]);
      }
      expectClose(await conn.weights(), await ref.weights(), { atol: 1e-6, rtol: 1e-5 });
      expectClose(await (state.xBar as tf.Tensor).data(), X[0]!.map((v) => v * (1 - d * d)));
      tf.dispose([...Object.values(state), ...Object.values(refState)] as tf.Tensor[]);
      conn.dispose();
      ref.dispose();
    }
  });

  it('optional bounds clip, and bad parameters are named', async () => {
    const dw = await oneStep(hebbian, { ...HEBBIAN_DEFAULTS, eta: 1, wMin: 0, wMax: 0.9 }, X, Y, W0, 3, 2);
    expectClose(dw.map((v, k) => v + Math.fround(W0[k]!)), [0.85, 0, 0.3, 0.4, 0.9, 0]);
    expect(() => toConfig(hebbian, { wMin: 1, wMax: 0 })).toThrow(/wMin must be <= wMax/);
    expect(() => toConfig(oja, { wMin: 'low' as never })).toThrow(/wMin must be a finite number/);
    expect(() => toConfig(bcm, { tauThetaMs: 0 })).toThrow(/tauThetaMs must be > 0/);
    expect(() => toConfig(bcm, { tauThetaMs: -3 })).toThrow(/tauThetaMs must be > 0/);
    expect(() => toConfig(oja, { traceTauMs: -1 })).toThrow(/traceTauMs must be >= 0/);
    expect(() => bcm.init({ nPre: 2, nPost: 2, batch: 1 }, { ...BCM_DEFAULTS, eta: Number.NaN })).toThrow(/eta must be a finite number, got NaN/);
  });
});

describe('learning outcomes', () => {
  it("oja converges to the first principal component with unit norm", async () => {
    // x = R·diag(2, 1, 0.5)·z: covariance eigenvalues 4, 1, 0.25; first PC = R[:, 0].
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const R = [[c, -s, 0], [s * 0.6, c * 0.6, -0.8], [s * 0.8, c * 0.8, 0.6]];
    const scales = [2, 1, 0.5];
    const rng = createRng(42);
    const conn = ReferenceConnection.dense(3, 1, [0.3, -0.2, 0.1]);
    const p = { ...OJA_DEFAULTS, eta: 0.01, batchReduce: 'mean' as const };
    const batch = 32;
    let state = oja.init({ nPre: 3, nPost: 1, batch }, p);
    for (let t = 0; t < 600; t++) {
      const z = rng.normal([batch, 3]);
      const xs = new Float32Array(batch * 3);
      for (let b = 0; b < batch; b++) {
        for (let i = 0; i < 3; i++) {
          let v = 0;
          for (let k = 0; k < 3; k++) v += R[i]![k]! * scales[k]! * z[b * 3 + k]!;
          xs[b * 3 + i] = v;
        }
      }
      const x = tf.tensor2d(xs, [batch, 3]);
      const y = conn.forward(x);
      const next = oja.step({ pre: x, post: y, conn, dtMs: 1 }, state, p);
      releaseState(state, next);
      state = next;
      tf.dispose([x, y]);
    }
    const w = await conn.weights();
    const norm = Math.hypot(...w);
    const pc = [R[0]![0]!, R[1]![0]!, R[2]![0]!];
    const cos = Math.abs(w.reduce((acc, v, i) => acc + v * pc[i]!, 0)) / norm;
    expect(norm).toBeGreaterThan(0.97);
    expect(norm).toBeLessThan(1.03);
    expect(cos).toBeGreaterThan(0.995);
    conn.dispose();
  });

  it('bcm becomes selective on a two-pattern input (each neuron for the pattern it slightly preferred)', async () => {
    const A = [1, 1, 0, 0];
    const B = [0, 0, 1, 1];
    // Column 0 slightly prefers A, column 1 slightly prefers B.
    const conn = ReferenceConnection.dense(4, 2, [0.5, 0.48, 0.52, 0.5, 0.5, 0.52, 0.48, 0.5]);
    const p = { ...BCM_DEFAULTS, eta: 0.005, tauThetaMs: 10 };
    let state = bcm.init({ nPre: 4, nPost: 2, batch: 1 }, p);
    const rng = createRng(7);
    for (let t = 0; t < 2500; t++) {
      const x = tf.tensor2d([rng.random() < 0.5 ? A : B]);
      const y = tf.tidy(() => tf.relu(conn.forward(x)));
      const next = bcm.step({ pre: x, post: y, conn, dtMs: 1 }, state, p);
      releaseState(state, next);
      state = next;
      tf.dispose([x, y]);
    }
    const w = await conn.toDense();
    const response = (pattern: number[], j: number) => Math.max(0, pattern.reduce((acc, v, i) => acc + v * w[i * 2 + j]!, 0));
    expect(response(A, 0)).toBeGreaterThan(0.5);
    expect(response(B, 0)).toBeLessThan(0.05);
    expect(response(B, 1)).toBeGreaterThan(0.5);
    expect(response(A, 1)).toBeLessThan(0.05);
    tf.dispose(Object.values(state));
    conn.dispose();
  });
});
