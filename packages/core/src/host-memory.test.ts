import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { hostValues, initBackend } from './index.js';

// hostValues reads a tensor where its backend keeps it in memory, with no dataSync: the values equal
// what tfjs's asynchronous read gives, for every dtype a kernel reads, on the backend that holds the
// tensor even when another one is active; a wasm 'view' is the heap itself, a 'stable' one survives
// the heap growing.

describe('hostValues', () => {
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`gives a tensor's values on ${backend} (float32, int32, bool)`, async () => {
      await initBackend(backend);
      const ts = [tf.tensor1d([1.5, -2, 3e-8, NaN]), tf.tensor1d([7, -1, 2 ** 30], 'int32'), tf.tensor1d([1, 0, 0, 1], 'bool')];
      for (const t of ts) {
        const v = hostValues(t)!;
        expect(v).toBeDefined();
        expect(Array.from(v)).toEqual(Array.from(await t.data()));
        expect(Array.from(hostValues(t, 'stable')!)).toEqual(Array.from(v));
      }
      tf.dispose(ts);
      expect(hostValues(ts[0]!)).toBeUndefined(); // disposed
    });
  }

  it('on wasm a view is the heap and a stable array outlives the heap growing', async () => {
    await initBackend('wasm');
    const t = tf.tensor1d([1, 2, 3]);
    const view = hostValues(t)!, stable = hostValues(t, 'stable')!;
    expect(view.buffer).not.toBe(stable.buffer);
    const big = tf.zeros([64 << 20]); // 256 MB: the heap grows and the old buffer is detached
    expect(view.length).toBe(0);
    expect(Array.from(stable)).toEqual([1, 2, 3]);
    expect(Array.from(hostValues(t)!)).toEqual([1, 2, 3]);
    tf.dispose([t, big]);
  });

  it('reads a tensor on the backend that holds it, whichever is active', async () => {
    await initBackend('cpu');
    const onCpu = tf.tensor1d([4, 5]);
    await initBackend('wasm');
    const onWasm = tf.tensor1d([6, 7]);
    expect(Array.from(hostValues(onCpu)!)).toEqual([4, 5]);
    expect(Array.from(hostValues(onWasm)!)).toEqual([6, 7]);
    tf.dispose([onWasm]);
    await initBackend('cpu');
    tf.dispose([onCpu]);
  });
});
