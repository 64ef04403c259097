import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError } from '@plasticity/core';
import { TEST_BACKENDS, expectClose, expectNoLeaks, useBackend } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionFormat } from './connection.js';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';
import { build, randomEvents, randomTriples, rngFor } from './test-util.js';

const FORMATS: readonly ConnectionFormat[] = ['dense', 'csr', 'coo'];
const nPre = 14;
const nPost = 9;
const batch = 4;
const triples = randomTriples(rngFor(5), nPre, nPost, 0.5);

/** The backend's own reference count of a tensor's buffer (1: no other tensor shares it). */
function refCount(t: tf.Tensor): number {
  return (tf.backend() as unknown as { refCount(id: object): number }).refCount(t.dataId);
}

function trainableOf(format: ConnectionFormat): { conn: Connection; v: tf.Variable } {
  const conn = build(format, triples);
  return { conn, v: conn.makeTrainable() };
}

/** Adam on mean((x @ W − target)²) through propagate (float events): the connection's own variable. */
async function trainAdam(conn: Connection, steps: number): Promise<number[]> {
  const rng = rngFor(9);
  const x = tf.tensor2d(randomEvents(rng, batch * nPre, 0.5, true), [batch, nPre]);
  const target = tf.tensor2d(Float32Array.from(rng.uniform(batch * nPost, -0.5, 0.5)), [batch, nPost]);
  const optimizer = tf.train.adam(0.05);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = optimizer.minimize(() => tf.mean(tf.square(tf.sub(conn.propagate(x, { mode: 'float' }), target))) as tf.Scalar,
      true, [conn.variable!])!;
    losses.push((await loss.data())[0]!);
    loss.dispose();
  }
  optimizer.dispose();
  tf.dispose([x, target]);
  return losses;
}

describe.each(TEST_BACKENDS)('trainable connections (%s)', (backend) => {
  beforeAll(() => useBackend(backend));

  it.each(FORMATS)('%s: makeTrainable wraps the weights without a copy; the variable is the weight tensor', async (format) => {
    const conn = build(format, triples);
    const before = await conn.getWeights();
    const n = tf.memory().numTensors;
    const v = conn.makeTrainable();
    expect(tf.memory().numTensors).toBe(n); // the variable replaced the weight tensor
    expect(v).toBeInstanceOf(tf.Variable);
    expect(conn.variable).toBe(v);
    expect(conn.weightTensor).toBe(v);
    expect(conn.makeTrainable()).toBe(v);
    expect(refCount(v)).toBe(1);
    expect(v.shape).toEqual(format === 'dense' ? [nPre, nPost] : [conn.pairs().pre.length]);
    expect(await v.data()).toEqual(before);
    conn.dispose();
    expect(v.isDisposed).toBe(true); // owned by the connection
  });

  it.each(FORMATS)('%s: Adam on the connection\'s variable reduces the loss', async (format) => {
    const { conn } = trainableOf(format);
    const losses = await trainAdam(conn, 40);
    expect(losses[39]!).toBeLessThan(0.5 * losses[0]!);
    conn.dispose();
  });

  it.each(FORMATS)('%s: a plastic update after an optimizer step is seen by the variable, and the next step starts from it (exact)', async (format) => {
    const { conn, v } = trainableOf(format);
    const { pre, post } = conn.pairs();
    const rng = rngFor(3);
    const xs = randomEvents(rng, nPre, 0.5); // binary, batch 1: dL/dW(k) = x[pre]·r[post] exactly
    const r = Float32Array.from(rng.uniform(nPost, -1, 1));
    const x = tf.tensor2d(xs, [1, nPre]);
    const rt = tf.tensor2d(r, [1, nPost]);
    const sgd = tf.train.sgd(0.5); // w ← (−0.5·g) + w: every product exact in float32
    const step = (): void => sgd.minimize(() => tf.sum(tf.mul(conn.propagate(x), rt)) as tf.Scalar, false, [v]) as unknown as void;
    const sgdRef = (w: Float32Array): Float32Array =>
      w.map((wk, k) => Math.fround(Math.fround(-0.5 * xs[pre[k]!]! * r[post[k]!]!) + wk));

    let want = sgdRef(await conn.getWeights());
    step();
    expect(await v.data()).toEqual(want);
    // onPre after the step: the update lands in the variable, in place (same buffer) on cpu and wasm.
    const active = Uint8Array.from({ length: nPre }, (_, i) => (i % 3 === 0 ? 1 : 0));
    const vals = Float32Array.from(rng.uniform(nPost, -0.1, 0.1));
    want = want.map((wk, k) => (active[pre[k]!] ? Math.fround(wk + vals[post[k]!]!) : wk));
    const id = v.dataId;
    conn.onPre(active, vals);
    expect(v.dataId).toBe(id);
    expect(conn.variable).toBe(v);
    expect(await v.data()).toEqual(want);
    // onPost and addOuter too
    const postActive = Uint8Array.from({ length: nPost }, (_, j) => (j % 2));
    const preVals = Float32Array.from(rng.uniform(nPre, -0.1, 0.1));
    want = want.map((wk, k) => (postActive[post[k]!] ? Math.fround(wk + preVals[pre[k]!]!) : wk));
    conn.onPost(preVals, postActive);
    expect(await v.data()).toEqual(want);
    // The next optimizer step starts from the plastic weights.
    want = sgdRef(want);
    step();
    expect(await v.data()).toEqual(want);
    expect(await conn.getWeights()).toEqual(want);
    // setWeights and mapSynapses write into the same variable (assign: the object stays).
    conn.setWeights(want.map((wk) => wk * 2));
    conn.mapSynapses((w) => tf.add(w, 1));
    expect(conn.variable).toBe(v);
    expect(await v.data()).toEqual(want.map((wk) => Math.fround(Math.fround(wk * 2) + 1)));
    sgd.dispose();
    tf.dispose([x, rt]);
    conn.dispose();
  });

  it.each(FORMATS)('%s: weightsVersion changes with every plastic update and every optimizer step', async (format) => {
    const { conn, v } = trainableOf(format);
    const v0 = conn.weightsVersion;
    expect(conn.weightsVersion).toBe(v0);
    conn.onPre(new Uint8Array(nPre).fill(1), new Float32Array(nPost).fill(0.01));
    const v1 = conn.weightsVersion;
    expect(v1).not.toBe(v0);
    v.assign(tf.tidy(() => tf.mul(v, 2)));
    tf.dispose(tf.tidy(() => tf.zeros([1]))); // an unrelated tensor
    const v2 = conn.weightsVersion;
    expect(v2).not.toBe(v1);
    expect(conn.weightsVersion).toBe(v2);
    conn.dispose();
  });

  it.each(FORMATS)('%s: no tensors leak over many steps of Adam + plasticity', async (format) => {
    const { conn, v } = trainableOf(format);
    const rng = rngFor(4);
    const x = tf.tensor2d(randomEvents(rng, batch * nPre, 0.5, true), [batch, nPre]);
    const optimizer = tf.train.adam(0.01);
    const lossFn = (): tf.Scalar => tf.mean(tf.square(conn.propagate(x, { mode: 'float' }))) as tf.Scalar;
    const pre = Uint8Array.from({ length: nPre }, (_, i) => i % 2);
    const post = Uint8Array.from({ length: nPost }, (_, j) => (j + 1) % 2);
    const pv = new Float32Array(nPost).fill(0.01);
    const qv = new Float32Array(nPre).fill(-0.01);
    const step = (): void => {
      optimizer.minimize(lossFn, false, [v]);
      conn.onPre(pre, pv, { wMin: -1, wMax: 1 });
      conn.onPost(qv, post, { wMin: -1, wMax: 1 });
      conn.addOuter(qv, pv, 0.5);
      void conn.weightTensor;
    };
    step(); // creates Adam's moment variables and the connection's cached views once
    await expectNoLeaks(() => {
      for (let s = 0; s < 50; s++) step();
    });
    expect(conn.variable).toBe(v);
    optimizer.dispose();
    x.dispose();
    conn.dispose();
  });

  it('a variable whose initial value is still held: the first update writes a copy, the held tensor keeps its values', async () => {
    const init = tf.tensor2d([[1, 2], [3, 4]]);
    const v = tf.variable(init);
    const conn = DenseConnection.fromVariable(v);
    expect(conn.variable).toBe(v);
    conn.onPre(Uint8Array.of(1, 0), Float32Array.of(10, 20));
    expect(await init.data()).toEqual(Float32Array.of(1, 2, 3, 4));
    expect(await v.data()).toEqual(Float32Array.of(11, 22, 3, 4));
    expect(refCount(v)).toBe(1); // the copy is the variable's alone
    init.dispose();
    conn.dispose();
  });

  it('fromCsr adopts a variable of shape [nnz] (CSR and COO) or makes one (trainable: true)', async () => {
    const csr = { nPre: 2, nPost: 3, indptr: Int32Array.of(0, 2, 3), indices: Int32Array.of(0, 2, 1) };
    for (const make of [CSRConnection.fromCsr, COOConnection.fromCsr]) {
      const v = tf.variable(tf.tensor1d([0.5, -0.5, 2]));
      const conn = make({ ...csr, weights: v });
      expect(conn.variable).toBe(v);
      conn.onPost(Float32Array.of(1, 10), Uint8Array.of(0, 1, 1));
      expect(await v.data()).toEqual(Float32Array.of(0.5, 0.5, 12));
      conn.dispose();
      const made = make({ ...csr, weights: [1, 2, 3], trainable: true });
      expect(made.variable).toBeInstanceOf(tf.Variable);
      expect(await made.variable!.data()).toEqual(Float32Array.of(1, 2, 3));
      made.dispose();
    }
  });

  it('bad variables and options throw PlasticityError and change nothing', () => {
    const csr = { nPre: 2, nPost: 3, indptr: Int32Array.of(0, 2, 3), indices: Int32Array.of(0, 2, 1) };
    const wrongLength = tf.variable(tf.zeros([4]));
    const intVar = tf.variable(tf.zeros([3], 'int32'));
    const rank1 = tf.variable(tf.zeros([6]));
    const plain = tf.zeros([2, 3]);
    const n = tf.memory().numTensors;
    const cases: Array<[() => unknown, string, RegExp]> = [
      [() => CSRConnection.fromCsr({ ...csr, weights: wrongLength }), 'E_SHAPE', /csr\.weights must have shape \[3\], got \[4\]/],
      [() => COOConnection.fromCsr({ ...csr, weights: intVar }), 'E_SHAPE', /dtype float32, got int32/],
      [() => DenseConnection.fromVariable(rank1), 'E_SHAPE', /variable must have shape \[\*?.*\], got \[6\]/],
      [() => DenseConnection.fromVariable(plain as unknown as tf.Variable), 'E_PARAM', /must be a tf\.Variable/],
      [() => CSRConnection.fromCsr({ ...csr, weights: 0.5, trainable: true }), 'E_PARAM', /homogeneous/],
      [() => CSRConnection.fromCsr({ ...csr, weights: [1, 2, 3], trainable: 'yes' as unknown as boolean }), 'E_PARAM', /trainable must be a boolean/],
    ];
    for (const [fn, code, message] of cases) {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(PlasticityError);
      expect((err as PlasticityError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
    }
    expect(tf.memory().numTensors).toBe(n);
    for (const t of [wrongLength, intVar, rank1, plain]) expect(t.isDisposed).toBe(false);

    // makeTrainable with a taken name or on homogeneous weights: still untrainable, weights intact.
    const conn = CSRConnection.fromCsr({ ...csr, weights: [1, 2, 3] });
    const taken = tf.variable(tf.zeros([1]), true, 'plasticity-test-taken');
    const w = conn.weightTensor;
    expect(() => conn.makeTrainable({ name: 'plasticity-test-taken' })).toThrow(expect.objectContaining({ code: 'E_PARAM' }));
    expect(conn.variable).toBeNull();
    expect(conn.weightTensor).toBe(w);
    const homog = CSRConnection.fromCsr({ ...csr, weights: 0.5 });
    expect(() => homog.makeTrainable()).toThrow(expect.objectContaining({ code: 'E_PARAM' }));
    expect(homog.variable).toBeNull();
    tf.dispose([wrongLength, intVar, rank1, plain, taken]);
    conn.dispose();
    homog.dispose();
  });

  it('a variable disposed by its user: the connection says so (E_PARAM)', () => {
    const v = tf.variable(tf.zeros([2, 2]));
    const conn = DenseConnection.fromVariable(v);
    v.dispose();
    expect(() => conn.onPre(Uint8Array.of(1, 1), Float32Array.of(1, 1))).toThrow(expect.objectContaining({ code: 'E_PARAM' }));
    conn.dispose();
  });
});

describe('trainable connections: cpu = wasm', () => {
  it.each(FORMATS)('%s: Adam + plasticity give the same weights on both backends', async (format) => {
    const results: Float32Array[] = [];
    for (const backend of TEST_BACKENDS) {
      await useBackend(backend);
      const { conn } = trainableOf(format);
      await trainAdam(conn, 10);
      conn.onPre(Uint8Array.from({ length: nPre }, (_, i) => i % 2), new Float32Array(nPost).fill(0.01), { wMin: -0.2, wMax: 0.7 });
      await trainAdam(conn, 5);
      results.push(await conn.getWeights());
      conn.dispose();
    }
    expectClose(results[1]!, results[0]!, { atol: 1e-6, rtol: 1e-5 });
  });
});
