import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { ADD_OUTER, EVENT_MATVEC, ON_ROWS, ROW_DOT, SDDMM } from './names.js';
import { registerSparseKernels } from './register.js';

// 3 × 4 CSR: row 0 → (0: 1, 3: 2), row 1 empty, row 2 → (1: 3, 2: 4).
const ptr = (): tf.Tensor1D => tf.tensor1d([0, 2, 2, 4], 'int32');
const idx = (): tf.Tensor1D => tf.tensor1d([0, 3, 1, 2], 'int32');
const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: object = {}): tf.Tensor =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
const dataIds = (): number => tf.engine().backend.numDataIds();

describe('cpu kernels', () => {
  beforeAll(async () => {
    registerSparseKernels();
    await useBackend('cpu');
  });

  it('EVENT_MATVEC: binary, float, homogeneous weight, 1-D and batched events', async () => {
    const [p, i] = [ptr(), idx()];
    const w = tf.tensor1d([1, 2, 3, 4]);
    const ev = tf.tensor2d([[1, 0, 1], [0, 5, -2]]);
    expect(Array.from(await run(EVENT_MATVEC, { ptr: p, idx: i, weights: w, events: ev }, { nCols: 4, mode: 'binary' }).data()))
      .toEqual([1, 3, 4, 2, 0, 3, 4, 0]);
    expect(Array.from(await run(EVENT_MATVEC, { ptr: p, idx: i, weights: w, events: ev }, { nCols: 4, mode: 'float' }).data()))
      .toEqual([1, 3, 4, 2, 0, -6, -8, 0]);
    const homo = tf.tensor1d([0.5]);
    const y = run(EVENT_MATVEC, { ptr: p, idx: i, weights: homo, events: tf.tensor1d([1, 1, 1]) }, { nCols: 4, mode: 'binary' });
    expect(y.shape).toEqual([4]);
    expect(Array.from(await y.data())).toEqual([0.5, 0.5, 0.5, 0.5]);
    // A permuted slot array reads weights[slot[k]].
    const slot = tf.tensor1d([3, 2, 1, 0], 'int32');
    expect(Array.from(await run(EVENT_MATVEC, { ptr: p, idx: i, weights: w, events: tf.tensor1d([1, 0, 0]), slot }, { nCols: 4, mode: 'binary' }).data()))
      .toEqual([4, 0, 0, 3]);
  });

  it('ROW_DOT and SDDMM give W @ v and the sampled product', async () => {
    const [p, i] = [ptr(), idx()];
    const w = tf.tensor1d([1, 2, 3, 4]);
    const v = tf.tensor2d([[1, 10, 100, 1000]]);
    expect(Array.from(await run(ROW_DOT, { ptr: p, idx: i, weights: w, v }).data())).toEqual([2001, 0, 430]);
    const a = tf.tensor2d([[1, 2, 3], [1, 0, -1]]);
    const c = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);
    // slot (0,0): 1·1 + 1·5; (0,3): 1·4 + 1·8; (2,1): 3·2 − 6; (2,2): 3·3 − 7.
    expect(Array.from(await run(SDDMM, { ptr: p, idx: i, a, c, weights: w }).data())).toEqual([6, 12, 0, 2]);
  });

  it('ON_ROWS updates in place: same buffer, one live buffer after the caller disposes the old handle', async () => {
    const [p, i] = [ptr(), idx()];
    let w = tf.tensor1d([1, 2, 3, 4]);
    const active = tf.tensor1d([1, 1, 0]);
    const values = tf.tensor1d([0.5, 0.25, -1, 10]);
    const tensors = tf.memory().numTensors;
    const buffers = dataIds();
    const out = run(ON_ROWS, { ptr: p, idx: i, weights: w, active, values }, { wMin: -Infinity, wMax: 3 });
    expect(out.dataId).toBe(w.dataId);
    expect(dataIds()).toBe(buffers);
    w.dispose();
    w = out as tf.Tensor1D;
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Array.from(await w.data())).toEqual([1.5, 3, 3, 4]); // row 0 touched; 2 + 10 clipped to 3
    w.dispose();
    expect(dataIds()).toBe(buffers - 1);
  });

  it('ON_ROWS and ADD_OUTER copy instead of writing into a buffer another tensor shares', async () => {
    const [p, i] = [ptr(), idx()];
    const w = tf.tensor1d([1, 2, 3, 4]);
    const shared = tf.reshape(w, [2, 2]); // shares w's buffer
    const out = run(ON_ROWS, { ptr: p, idx: i, weights: w, active: tf.tensor1d([0, 0, 1]), values: tf.tensor1d([1, 1, 1, 1]) },
      { wMin: -Infinity, wMax: Infinity });
    expect(out.dataId).not.toBe(w.dataId);
    expect(Array.from(await out.data())).toEqual([1, 2, 4, 5]);
    expect(Array.from(await shared.data())).toEqual([1, 2, 3, 4]);
    const out2 = run(ADD_OUTER, { ptr: p, idx: i, weights: w, a: tf.tensor2d([[2, 0, 0]]), c: tf.tensor2d([[1, 1, 1, 1]]) },
      { scale: 0.5, wMin: 0, wMax: 1.5 });
    expect(Array.from(await out2.data())).toEqual([1.5, 1.5, 3, 4]); // row 0: 1 + 1 = 2 → 1.5, 2 + 1 → 1.5
    expect(Array.from(await w.data())).toEqual([1, 2, 3, 4]);
  });

  it('plastic kernels reject a homogeneous weight', () => {
    expect(() => run(ON_ROWS, { ptr: ptr(), idx: idx(), weights: tf.tensor1d([1]), active: tf.tensor1d([1, 0, 0]), values: tf.zeros([4]) },
      { wMin: -Infinity, wMax: Infinity })).toThrow(/homogeneous/);
  });
});
