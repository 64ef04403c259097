import * as tf from '@tensorflow/tfjs-core';
import { isPlasticityError, type ErrorCode } from '@plasticity/core';
import { TEST_BACKENDS, expectNoLeaks, useBackend } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionFormat } from './connection.js';
import { toCoo, toCsr, toDense } from './convert.js';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';
import { build, randomTriples, rngFor } from './test-util.js';

const FORMATS: ConnectionFormat[] = ['csr', 'coo', 'dense'];

/** Asserts a call leaves only what it returns, then disposes that. */
async function neutral(fn: () => unknown): Promise<void> {
  tf.dispose((await expectNoLeaks(fn)) as tf.TensorContainer);
}

function expectCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isPlasticityError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
  if (message) expect((caught as Error).message).toMatch(message);
}

describe.each(TEST_BACKENDS)('connections on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(FORMATS)('%s', (format) => {
    const make = (): Connection => build(format, randomTriples(rngFor(5), 6, 9, 0.5));

    it('rejects bad input with PlasticityError and changes no weight', async () => {
      const c = make();
      const before = await c.getWeights();
      const u8 = (n: number): Uint8Array => new Uint8Array(n).fill(1);
      const f32 = (n: number): Float32Array => new Float32Array(n).fill(0.1);
      expectCode(() => c.onPre(u8(5), f32(9)), 'E_SHAPE', /preActive must have length 6, got 5/);
      expectCode(() => c.onPre(u8(6), f32(8)), 'E_SHAPE', /postValues/);
      expectCode(() => c.onPost(f32(6), u8(10)), 'E_SHAPE', /postActive/);
      expectCode(() => c.onPre(u8(6), f32(9), { wMin: 1, wMax: 0 }), 'E_PARAM', /wMin must be <= wMax/);
      expectCode(() => c.onPre(u8(6), f32(9), { wMax: NaN }), 'E_PARAM', /wMax/);
      expectCode(() => c.addOuter(f32(6), f32(9), NaN), 'E_PARAM', /scale/);
      const a2 = tf.ones([2, 6]);
      const b3 = tf.ones([3, 9]);
      expectCode(() => c.addOuter(a2, b3, 1), 'E_SHAPE', /same batch size, got 2 and 3/);
      expectCode(() => c.onPre(a2, f32(9)), 'E_SHAPE', /preActive must have shape \[6\]/);
      expectCode(() => c.mapSynapses(() => tf.zeros([3])), 'E_SHAPE', /mapSynapses result/);
      expectCode(() => c.mapSynapses((w) => w, { p: f32(2) }), 'E_SHAPE', /perSynapseParams.p/);
      expectCode(() => c.setWeights([1, 2]), 'E_SHAPE', /values must have length/);
      expectCode(() => c.setWeights(new Array(c.nnz).fill(NaN)), 'E_PARAM', /finite/);
      expectCode(() => c.normalizePost(Infinity), 'E_PARAM', /target/);
      expectCode(() => c.propagate(f32(6), { mode: 'spiky' as never }), 'E_PARAM', /mode/);
      expectCode(() => c.propagate([1, 0] as never), 'E_PARAM', /events must be a tensor/);
      expectCode(() => c.matVec(f32(6)), 'E_SHAPE', /v must have length 9/);
      tf.dispose([a2, b3]);
      expect(Array.from(await c.getWeights())).toEqual(Array.from(before));
      c.dispose();
      expectCode(() => c.propagate(f32(6)), 'E_PARAM', /disposed/);
    });

    it('rejects NaN and ±Infinity in host Float32Array values of onPre / onPost (E_PARAM), weights unchanged', async () => {
      const c = make();
      const before = await c.getWeights();
      const on = new Uint8Array(9).fill(1);
      for (const bad of [NaN, Infinity, -Infinity]) {
        const post9 = new Float32Array(9).fill(0.1);
        post9[4] = bad;
        expectCode(() => c.onPre(new Uint8Array(6).fill(1), post9), 'E_PARAM', /postValues must contain only finite numbers, got .* at index 4/);
        expectCode(() => c.onPre(new Uint8Array(6).fill(1), post9, { wMin: 0, wMax: 1 }), 'E_PARAM', /postValues/);
        const pre6 = new Float32Array(6).fill(0.1);
        pre6[5] = bad;
        expectCode(() => c.onPost(pre6, on), 'E_PARAM', /preValues must contain only finite numbers, got .* at index 5/);
      }
      expect(Array.from(await c.getWeights())).toEqual(Array.from(before));
      c.dispose();
    });

    it('leaves no tensors behind in any public method, and dispose frees everything', async () => {
      const start = tf.memory().numTensors;
      const c = make();
      const spikes = Uint8Array.of(1, 0, 1, 1, 0, 1);
      const post = Uint8Array.of(0, 1, 1, 0, 0, 1, 0, 1, 1);
      const pre6 = new Float32Array(6).fill(0.01);
      const post9 = new Float32Array(9).fill(0.02);
      // First calls build the cached views (owned by the connection); then every call must be neutral.
      c.onPost(pre6, post, {}); c.onPre(spikes, post9, {}); c.mapSynapses((w) => w); c.propagate(spikes).dispose();
      const x = tf.ones([2, 6]);
      const bx = tf.ones([2, 9]);
      await neutral(() => c.propagate(spikes));
      await neutral(() => c.propagate(x, { mode: 'float' }));
      await neutral(() => c.vecMat(pre6));
      await neutral(() => c.matVec(bx));
      await neutral(() => c.onPre(spikes, post9, { wMin: 0, wMax: 1 }));
      await neutral(() => c.onPost(pre6, post));
      await neutral(() => c.addOuter(x, bx, 0.1, { wMax: 2 }));
      await neutral(() => c.mapSynapses((w, s) => tf.add(tf.mul(w, s.params.decay!), tf.cast(s.post, 'float32')), { decay: new Float32Array(c.nnz).fill(0.5) }, { wMax: 3 }));
      await neutral(() => c.normalizePost(1));
      await neutral(() => c.getWeights());
      await neutral(() => c.setWeights(new Float32Array(c.nnz).fill(0.3)));
      await neutral(() => c.toDenseTensor());
      await neutral(() => c.toArrays());
      await neutral(() => c.pairs());
      // A throwing call is neutral too.
      await neutral(() => { try { c.mapSynapses((w) => tf.concat([w, w])); } catch { /* expected */ } });
      for (const convert of [toCsr, toCoo, async (k: Connection) => toDense(k)]) {
        const before = tf.memory().numTensors;
        const other = await convert(c);
        other.propagate(spikes).dispose();
        other.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
      tf.dispose([x, bx]);
      c.dispose();
      expect(tf.memory().numTensors).toBe(start);
    });

    it('reads and writes per-synapse values in storage order and keeps that order through updates', async () => {
      // Asymmetric 2 × 3 with synapses given out of order: (1,2) (0,1) (1,0) (0,2).
      const t = { nPre: 2, nPost: 3, pre: Int32Array.of(1, 0, 1, 0), post: Int32Array.of(2, 1, 0, 2), weights: Float32Array.of(1, 2, 3, 4) };
      const c = build(format, t);
      const { pre, post } = c.pairs();
      const w = await c.getWeights();
      const byPair = (i: number, j: number): number => {
        for (let k = 0; k < pre.length; k++) if (pre[k] === i && post[k] === j) return w[k]!;
        return NaN;
      };
      expect([byPair(1, 2), byPair(0, 1), byPair(1, 0), byPair(0, 2)]).toEqual([1, 2, 3, 4]);
      if (format === 'coo') {
        expect(Array.from(pre)).toEqual([1, 0, 1, 0]);
        expect(Array.from(w)).toEqual([1, 2, 3, 4]);
      }
      if (format === 'csr') expect(Array.from(w)).toEqual([2, 4, 3, 1]); // row-major
      // Write in storage order, update (pre 1 fires, trace = post index · 10), read back.
      c.setWeights(Float32Array.from(w, (_, k) => 100 + k));
      c.onPre(Uint8Array.of(0, 1), Float32Array.of(10, 20, 30));
      const after = await c.getWeights();
      for (let k = 0; k < pre.length; k++) expect(after[k]).toBe(100 + k + (pre[k] === 1 ? 10 * (post[k]! + 1) : 0));
      const m = await c.toDenseTensor().array();
      expect(m[1]![2]).toBe(after[Array.from(pre).findIndex((p, k) => p === 1 && post[k] === 2)]);
      c.dispose();
    });
  });

  it.each(FORMATS)('%s: first use inside tf.tidy keeps the connection usable; int and bool events count != 0', async (format) => {
    const c = build(format, { nPre: 3, nPost: 2, pre: Int32Array.of(0, 1, 2, 2), post: Int32Array.of(1, 0, 0, 1), weights: Float32Array.of(1, 2, 4, 8) });
    const y = tf.tidy(() => {
      c.onPost(Float32Array.of(1, 1, 1), Uint8Array.of(0, 0)); // builds the views, changes nothing
      return c.propagate(tf.tensor1d([3, 0, -1], 'int32'));
    });
    expect(Array.from(await y.data())).toEqual([4, 9]);
    const z = c.propagate(tf.tensor2d([[false, true, false], [true, true, true]], [2, 3], 'bool'));
    expect(Array.from(await z.data())).toEqual([2, 0, 6, 9]);
    c.onPre(tf.tensor1d([0, 7, 0], 'int32'), Float32Array.of(0.5, 0.5));
    const w = await c.toDenseTensor().data();
    expect(Array.from(w)).toEqual(format === 'dense' ? [0, 1, 2.5, 0.5, 4, 8] : [0, 1, 2.5, 0, 4, 8]);
    tf.dispose([y, z]);
    c.dispose();
  });

  it('homogeneous weights propagate and are rejected for plasticity with the reason', async () => {
    const csr = CSRConnection.fromCsr({ nPre: 2, nPost: 3, indptr: Int32Array.of(0, 2, 3), indices: Int32Array.of(0, 2, 1), weights: 0.5 });
    const coo = COOConnection.fromCoo({ nPre: 2, nPost: 3, pre: [0, 0, 1], post: [0, 2, 1], weights: 0.5 });
    // A shared weight cannot represent a summed repeated pair.
    expectCode(() => COOConnection.fromCoo({ nPre: 2, nPost: 3, pre: [0, 0], post: [1, 1], weights: 0.5 }), 'E_FORMAT', /repeats position 0/);
    for (const c of [csr, coo]) {
      expect(c.homogeneous).toBe(true);
      const y = c.propagate(Float32Array.of(1, 1));
      expect(Array.from(await y.data())).toEqual([0.5, 0.5, 0.5]);
      const x = c.vecMat(Float32Array.of(2, -1));
      expect(Array.from(await x.data())).toEqual([1, -0.5, 1]);
      expect(Array.from(await c.getWeights())).toEqual([0.5, 0.5, 0.5]);
      expectCode(() => c.onPre(Uint8Array.of(1, 0), new Float32Array(3)), 'E_PARAM', /homogeneous weight/);
      expectCode(() => c.mapSynapses((w) => w), 'E_PARAM', /per-synapse/);
      c.setWeights([1, 2, 3]);
      expect(c.homogeneous).toBe(false);
      expect(Array.from(await c.getWeights())).toEqual([1, 2, 3]);
      c.onPre(Uint8Array.of(1, 1), Float32Array.of(1, 1, 1));
      tf.dispose([y, x]);
      c.dispose();
    }
  });

  it('converts between all formats with the same matrix and weights', async () => {
    const t = randomTriples(rngFor(11), 7, 5, 0.5);
    const csr = CSRConnection.fromCoo(t);
    const want = await csr.toDenseTensor().data();
    for (const conv of [await toCoo(csr), await toCsr(await toCoo(csr)), toDense(csr), await toCsr(toDense(csr))]) {
      const got = conv.toDenseTensor();
      expect(Array.from(await got.data())).toEqual(Array.from(want));
      got.dispose();
      conv.dispose();
    }
    // A dense connection stores every entry, so its CSR form has nPre · nPost synapses.
    const d = toDense(csr);
    const full = await toCsr(d);
    expect(full.nnz).toBe(35);
    const kept = await CSRConnection.fromTensor(d.weightTensor);
    expect(kept.nnz).toBe(csr.nnz);
    [csr, d, full, kept].forEach((c) => c.dispose());
  });

  it('fromDense keeps the non-zero mask; DenseConnection keeps every entry', async () => {
    const m = [[0, 1.5, 0], [2, 0, -1]];
    const csr = CSRConnection.fromDense(m);
    const coo = COOConnection.fromDense({ data: Float32Array.of(0, 1.5, 0, 2, 0, -1), shape: [2, 3] });
    const dense = DenseConnection.fromDense(m);
    expect([csr.nnz, coo.nnz, dense.nnz]).toEqual([3, 3, 6]);
    expect(Array.from(csr.structure().indices)).toEqual([1, 0, 2]);
    // onPre on pre 0: sparse formats touch only (0, 1); dense touches the whole row.
    for (const c of [csr, coo, dense]) c.onPre(Uint8Array.of(1, 0), Float32Array.of(1, 1, 1));
    expect(await csr.toDenseTensor().array()).toEqual([[0, 2.5, 0], [2, 0, -1]]);
    expect(await coo.toDenseTensor().array()).toEqual([[0, 2.5, 0], [2, 0, -1]]);
    expect(await dense.toDenseTensor().array()).toEqual([[1, 2.5, 1], [2, 0, -1]]);
    expectCode(() => CSRConnection.fromDense([[1, 2], [3]]), 'E_SHAPE', /matrix\[1\]/);
    [csr, coo, dense].forEach((c) => c.dispose());
  });
});
