import * as tf from '@tensorflow/tfjs-core';
import { expectClose, useBackend } from '@plasticity/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CSRConnection } from '../index.js';

describe('kernel dispatch', () => {
  afterAll(() => useBackend('cpu'));

  it('runs the active backend\'s kernel after every backend switch (the fast path remembers functions per backend)', async () => {
    const c = CSRConnection.fromCsr({
      nPre: 3, nPost: 4, indptr: Int32Array.of(0, 2, 2, 5), indices: Int32Array.of(1, 3, 0, 1, 3), weights: Float32Array.of(1, 2, 3, 4, 5),
    });
    for (const backend of ['cpu', 'wasm', 'cpu', 'wasm'] as const) {
      await useBackend(backend);
      const y = c.propagate(Uint8Array.of(1, 0, 1));
      // the output lives on the active backend: the kernel that made it is that backend's
      const info = (tf.engine() as unknown as { state: { tensorInfo: WeakMap<object, { backend: unknown }> } }).state.tensorInfo.get(y.dataId);
      expect(info?.backend, backend).toBe(tf.backend());
      expectClose(await y.data(), [3, 5, 0, 7]);
      y.dispose();
    }
    c.dispose();
  });
});
