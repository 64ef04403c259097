import { expectClose, useBackend } from '@plasticity/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { CSRConnection } from './index.js';

// A 3 × 4 CSR matrix: row 0 → cols 1, 3; row 1 → none; row 2 → cols 0, 1, 3.
const csr = () => CSRConnection.fromCsr({
  nPre: 3, nPost: 4, indptr: Int32Array.of(0, 2, 2, 5), indices: Int32Array.of(1, 3, 0, 1, 3), weights: Float32Array.of(1, 2, 3, 4, 5),
});

describe('CSR host memory', () => {
  afterAll(() => useBackend('cpu'));

  it('on wasm drops the host copy of the indices once the heap holds them, and reads them back when needed', async () => {
    await useBackend('wasm');
    const c = csr();
    expect(c.hostBytes).toBe(4 * 4 + 5 * 4); // indptr + indices until first use
    c.propagate(Uint8Array.of(1, 0, 1)).dispose();
    expect(c.hostBytes).toBe(4 * 4); // indptr only: 8 bytes per synapse in all (indices + weights on the heap)
    expect(c.pairs()).toEqual({ pre: Int32Array.of(0, 0, 2, 2, 2), post: Int32Array.of(1, 3, 0, 1, 3) });
    c.onPost(Float32Array.of(10, 20, 30), Uint8Array.of(0, 1, 0, 0)); // builds the CSC view from the heap copy
    expectClose(await c.getWeights(), [11, 2, 3, 34, 5]);
    expect((await c.toArrays()).arrays.indices).toEqual(Int32Array.of(1, 3, 0, 1, 3));
    expect(c.structure().indices).toEqual(Int32Array.of(1, 3, 0, 1, 3));
    c.dispose();
  });

  it('on cpu keeps the host array, which the index tensor shares', async () => {
    await useBackend('cpu');
    const c = csr();
    c.propagate(Uint8Array.of(1, 0, 1)).dispose();
    expect(c.hostBytes).toBe(4 * 4 + 5 * 4);
    c.onPost(Float32Array.of(10, 20, 30), Uint8Array.of(0, 1, 0, 0));
    expectClose(await c.getWeights(), [11, 2, 3, 34, 5]);
    c.dispose();
  });
});
