import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, expectClose, useBackend } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from './connection.js';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';
import { randomEvents, randomTriples, rngFor } from './test-util.js';

const TOL = { atol: 1e-5, rtol: 1e-5 };

/** Surrogate spike: Heaviside forward, 1 / (1 + |v|)² backward. */
const spike = tf.customGrad(((v: tf.Tensor, save: tf.GradSaveFunc) => {
  save([v]);
  return {
    value: tf.cast(tf.greater(v, 0), 'float32'),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.div(dy, tf.square(tf.add(1, tf.abs(saved!)))),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (v: tf.Tensor) => tf.Tensor;

describe.each(TEST_BACKENDS)('gradient of event propagation (%s)', (backend) => {
  beforeAll(() => useBackend(backend));

  const nPre = 12;
  const nPost = 9;
  const batch = 3;
  const t = randomTriples(rngFor(21), nPre, nPost, 0.4, 4);
  const makers: Array<[string, () => Connection]> = [
    ['csr', () => CSRConnection.fromCoo(t)],
    ['coo', () => COOConnection.fromCoo(t)],
    ['dense', () => DenseConnection.fromCoo(t)],
  ];

  it.each(makers.flatMap(([name, make]) => (['float', 'binary'] as const).map((mode) => ({ name, make, mode }))))(
    '$name, $mode events: dL/dx and dL/dW equal the dense formulas',
    async ({ make, mode }) => {
      const conn = make();
      const rng = rngFor(mode === 'float' ? 1 : 2);
      const xv = randomEvents(rng, batch * nPre, 0.5, true);
      const rv = Float32Array.from(rng.uniform(batch * nPost, -1, 1));
      const x = tf.tensor2d(xv, [batch, nPre]);
      const r = tf.tensor2d(rv, [batch, nPost]);
      const w0 = tf.clone(conn.weightTensor);
      const loss = (xi: tf.Tensor, wi: tf.Tensor): tf.Tensor => tf.sum(tf.mul(conn.propagate(xi, { mode, weights: wi }), r));
      tf.dispose(tf.grads(loss)([x, w0])); // builds the connection's cached views
      const before = tf.memory().numTensors;
      const [gx, gw] = tf.grads(loss)([x, w0]);
      expect(tf.memory().numTensors).toBe(before + 2);

      // Dense formulas on the stored synapses: dL/dx[b, i] = Σ_j W[i, j]·R[b, j] (straight-through in
      // binary mode); dL/dW[i, j] = Σ_b e(x[b, i])·R[b, j] with e = x (float) or x != 0 (binary).
      const { pre, post } = conn.pairs();
      const w = await conn.getWeights();
      const wantX = new Float64Array(batch * nPre);
      const wantW = new Float64Array(w.length);
      for (let k = 0; k < w.length; k++) {
        for (let b = 0; b < batch; b++) {
          wantX[b * nPre + pre[k]!]! += w[k]! * rv[b * nPost + post[k]!]!;
          const e = xv[b * nPre + pre[k]!]!;
          wantW[k]! += (mode === 'binary' ? (e !== 0 ? 1 : 0) : e) * rv[b * nPost + post[k]!]!;
        }
      }
      expectClose(await gx!.data(), wantX, TOL);
      expectClose(await gw!.data(), wantW, TOL);
      tf.dispose([gx!, gw!, x, r, w0]);
      conn.dispose();
    },
  );

  it.each(['csr', 'coo'] as const)('%s: a plastic update inside tf.grad leaves the weights the tape saved unchanged', async (format) => {
    const structure = { nPre: 2, nPost: 3, pre: Int32Array.of(0, 0, 1), post: Int32Array.of(0, 2, 1), weights: Float32Array.of(1, 2, 3) };
    const conn = format === 'csr' ? CSRConnection.fromCoo(structure) : COOConnection.fromCoo(structure);
    const x = tf.tensor2d([[1, 1]]);
    const g = tf.grad((xi: tf.Tensor) => {
      const y = conn.propagate(xi, { mode: 'float' });
      conn.onPre(Uint8Array.of(1, 1), Float32Array.of(100, 100, 100));
      return tf.sum(y);
    })(x);
    // dL/dx[i] = Σ_j W[i, j] with the weights of the forward pass: row sums 3 and 3.
    expect(Array.from(await g.data())).toEqual([3, 3]);
    expect(Array.from(await conn.getWeights())).toEqual([101, 102, 103]);
    tf.dispose([x, g]);
    conn.dispose();
  });

  it('a homogeneous weight gets the sum of its synapses\' gradients', async () => {
    const conn = CSRConnection.fromCsr({ nPre: 2, nPost: 3, indptr: Int32Array.of(0, 2, 3), indices: Int32Array.of(0, 2, 1), weights: 0.5 });
    const w = tf.tensor1d([0.5]);
    const x = tf.tensor2d([[2, 0]]);
    const g = tf.grad((wi: tf.Tensor) => tf.sum(conn.propagate(x, { mode: 'float', weights: wi })))(w);
    // Two synapses of pre 0 (x = 2) carry weight; pre 1 is silent: 2 + 2.
    expect(Array.from(await g.data())).toEqual([4]);
    tf.dispose([w, x, g]);
    conn.dispose();
  });

  it('trains a sparse layer through a surrogate spike function (loss falls; CSR, COO and a masked dense model follow one path)', async () => {
    const structure = randomTriples(rngFor(3), 16, 6, 0.5);
    const rng = rngFor(4);
    const x = tf.tensor2d(randomEvents(rng, 8 * 16, 0.5), [8, 16]);
    const target = tf.tensor2d(randomEvents(rng, 8 * 6, 0.5), [8, 6]);
    const run = async (conn: Connection): Promise<number[]> => {
      const w = tf.variable(tf.clone(conn.weightTensor));
      const losses: number[] = [];
      const lossOf = (): tf.Scalar => tf.mean(tf.square(tf.sub(spike(tf.sub(conn.propagate(x, { weights: w }), 0.5)), target)));
      for (let step = 0; step < 40; step++) {
        const { value, grads } = tf.variableGrads(lossOf, [w]);
        losses.push((await value.data())[0]!);
        w.assign(tf.tidy(() => tf.sub(w, tf.mul(grads[w.name]!, 2))));
        tf.dispose([value, grads[w.name]!]);
      }
      w.dispose();
      return losses;
    };
    const csr = CSRConnection.fromCoo(structure);
    const coo = COOConnection.fromCoo(structure);
    const a = await run(csr);
    const b = await run(coo);
    expect(a[a.length - 1]!).toBeLessThan(0.5 * a[0]!);
    expectClose(b, a, TOL);
    // Dense masked reference with plain tfjs ops: W = V ⊙ mask, binary input x (0/1 here).
    const dense = csr.toDenseTensor();
    const mask = tf.cast(tf.notEqual(dense, 0), 'float32');
    const v = tf.variable(dense);
    const ref: number[] = [];
    for (let step = 0; step < 40; step++) {
      const { value, grads } = tf.variableGrads(() =>
        tf.mean(tf.square(tf.sub(spike(tf.sub(tf.matMul(x, tf.mul(v, mask)), 0.5)), target))), [v]);
      ref.push((await value.data())[0]!);
      v.assign(tf.tidy(() => tf.sub(v, tf.mul(grads[v.name]!, 2))));
      tf.dispose([value, grads[v.name]!]);
    }
    expectClose(a, ref, { atol: 1e-4, rtol: 1e-4 });
    tf.dispose([mask, v]);
    tf.dispose([x, target]);
    csr.dispose();
    coo.dispose();
  });
});
