import { describe, expect, it } from 'vitest';
import { isPlasticityError } from '@plasticity/core';
import { COOConnection, CSRConnection, DenseConnection, permuteSynapses, synapsePermutation, toCsr } from './index.js';

describe('synapsePermutation', () => {
  it('moves per-synapse values between formats with their synapses', async () => {
    // a COO in scrambled input order, and its CSR conversion
    const coo = COOConnection.fromCoo({ nPre: 3, nPost: 4, pre: [2, 0, 1, 0, 2], post: [1, 3, 0, 0, 3], weights: [5, 2, 3, 1, 6] });
    const csr = await toCsr(coo);
    const perm = synapsePermutation({ nPre: 3, nPost: 4, ...coo.pairs() }, { nPre: 3, nPost: 4, ...csr.pairs() });
    expect(permuteSynapses(await coo.getWeights(), perm)).toEqual(await csr.getWeights()); // [1, 2, 3, 5, 6]
    const lr = Float32Array.from([0.5, 0.2, 0.3, 0.1, 0.6]); // keyed like the weights (×10)
    expect(Array.from(permuteSynapses(lr, perm))).toEqual([0.1, 0.2, 0.3, 0.5, 0.6].map(Math.fround));
    // a dense connection holds every pair; its order is row-major
    const dense = DenseConnection.fromDense([[1, 2], [3, 4]]);
    const sparse = CSRConnection.fromCoo({ nPre: 2, nPost: 2, pre: [0, 0, 1, 1], post: [0, 1, 0, 1], weights: [1, 2, 3, 4] });
    expect(Array.from(synapsePermutation({ nPre: 2, nPost: 2, ...dense.pairs() }, { nPre: 2, nPost: 2, ...sparse.pairs() }))).toEqual([0, 1, 2, 3]);
    for (const c of [coo, csr, dense, sparse]) c.dispose();
  });

  it('refuses different synapse sets', () => {
    const a = { nPre: 2, nPost: 2, pre: Int32Array.from([0, 1]), post: Int32Array.from([1, 0]) };
    const b = { nPre: 2, nPost: 2, pre: Int32Array.from([0, 1]), post: Int32Array.from([1, 1]) };
    try {
      synapsePermutation(a, b);
      throw new Error('expected a PlasticityError');
    } catch (e) {
      expect(isPlasticityError(e) && (e as { code: string }).code).toBe('E_FORMAT');
    }
  });
});
