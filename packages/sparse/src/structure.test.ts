import { isPlasticityError } from '@plasticity/core';
import { arbSparse } from '@plasticity/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { compressedView, csrToCsc, dedupeCoo, validateCsr, type CsrArrays } from './structure.js';

function expectFormatError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isPlasticityError(caught, 'E_FORMAT'), `expected E_FORMAT, got ${String(caught)}`).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

const good = (): CsrArrays => ({ nPre: 3, nPost: 4, indptr: Int32Array.of(0, 2, 2, 4), indices: Int32Array.of(0, 3, 1, 2) });

describe('validateCsr', () => {
  it('accepts a valid CSR, including empty rows and 0 synapses', () => {
    expect(() => validateCsr('csr', good())).not.toThrow();
    expect(() => validateCsr('csr', { nPre: 2, nPost: 5, indptr: Int32Array.of(0, 0, 0), indices: new Int32Array(0) })).not.toThrow();
  });

  it.each([
    ['indptr not int32', { indptr: Float64Array.of(0, 2, 2, 4) }, /indptr must be an Int32Array/],
    ['indices not int32', { indices: Uint32Array.of(0, 3, 1, 2) }, /indices must be an Int32Array/],
    ['indptr too short', { indptr: Int32Array.of(0, 2, 4) }, /indptr must have length nPre \+ 1 = 4, got 3/],
    ['indptr[0] != 0', { indptr: Int32Array.of(1, 2, 2, 4) }, /indptr\[0\] must be 0, got 1/],
    ['indptr decreasing', { indptr: Int32Array.of(0, 3, 2, 4) }, /indptr\[2\] = 2 < indptr\[1\] = 3/],
    ['indptr[n] != nnz', { indptr: Int32Array.of(0, 2, 2, 3) }, /indptr\[3\] must equal nnz = indices.length = 4, got 3/],
    ['index too large', { indices: Int32Array.of(0, 3, 4, 2) }, /indices\[2\] must be in \[0, 4\), got 4 \(row 2\)/],
    ['negative index', { indices: Int32Array.of(0, -1, 1, 2) }, /indices\[1\] must be in \[0, 4\), got -1 \(row 0\)/],
    ['repeated column in a row', { indices: Int32Array.of(0, 3, 2, 2) }, /indices\[3\] repeats column 2 in row 2/],
  ])('rejects %s with E_FORMAT naming the first bad position', (_, patch, message) => {
    expectFormatError(() => validateCsr('csr', { ...good(), ...(patch as object) } as CsrArrays), message);
    expectFormatError(() => CSRConnection.fromCsr({ ...good(), ...(patch as object), weights: [1, 2, 3, 4] } as never), message);
  });

  it('reports the first of several problems', () => {
    expectFormatError(() => validateCsr('csr', { ...good(), indices: Int32Array.of(9, 3, -1, 2) }), /indices\[0\]/);
  });
});

describe('COO → CSR', () => {
  it('sums duplicates into the first occurrence in input order, or rejects them naming the position', () => {
    const coo = { nPre: 2, nPost: 3, pre: [1, 0, 1, 1, 0], post: [2, 1, 0, 2, 1], weights: [0.5, 1, 2, 0.25, 4] };
    const d = dedupeCoo(coo, 'sum');
    expect(Array.from(d.pre)).toEqual([1, 0, 1]);
    expect(Array.from(d.post)).toEqual([2, 1, 0]);
    expect(Array.from(d.weights)).toEqual([0.75, 5, 2]);
    expect(Array.from(d.target)).toEqual([0, 1, 2, 0, 1]);
    expectFormatError(() => dedupeCoo(coo, 'error'), /\(pre, post\) = \(1, 2\) at position 3 repeats position 0/);
    expectFormatError(() => CSRConnection.fromCoo(coo, { duplicates: 'error' }), /position 3/);
  });

  it('builds the CSC view and its permutation back into CSR order', () => {
    const { ptr, idx, slot } = csrToCsc(good());
    // CSR synapses: (0,0) (0,3) (2,1) (2,2) at positions 0..3.
    expect(Array.from(ptr)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(idx)).toEqual([0, 2, 2, 0]);
    expect(Array.from(slot)).toEqual([0, 2, 3, 1]);
  });

  it('round-trips COO → CSR → COO for random triples (fuzz)', () => {
    fc.assert(fc.property(arbSparse({ duplicates: true }), (s) => {
      const d = dedupeCoo(s, 'sum');
      const view = compressedView(d.pre, d.post, s.nPre, s.nPost);
      // CSR is sorted by (pre, post) and valid.
      validateCsr('view', { nPre: s.nPre, nPost: s.nPost, indptr: view.ptr, indices: view.idx });
      for (let k = 0; k < view.slot.length; k++) {
        const c = view.slot[k]!;
        expect(d.post[c]).toBe(view.idx[k]);
        expect(view.ptr[d.pre[c]!]! <= k && k < view.ptr[d.pre[c]! + 1]!).toBe(true);
        if (k > 0 && d.pre[view.slot[k - 1]!] === d.pre[c]) expect(view.idx[k - 1]!).toBeLessThan(view.idx[k]!);
      }
      // Back to COO: every input pair maps to a synapse with the same pair, weights summed.
      const sums = new Map<number, number>();
      for (let k = 0; k < s.pre.length; k++) {
        const key = s.pre[k]! * s.nPost + s.post[k]!;
        sums.set(key, (sums.get(key) ?? 0) + s.weights[k]!);
        expect(d.pre[d.target[k]!]).toBe(s.pre[k]);
        expect(d.post[d.target[k]!]).toBe(s.post[k]);
      }
      expect(d.pre.length).toBe(sums.size);
      for (let t = 0; t < d.pre.length; t++) expect(d.weights[t]).toBe(Math.fround(sums.get(d.pre[t]! * s.nPost + d.post[t]!)!));
    }), { numRuns: 200 });
  });

  it('constructs the same matrix from COO in any order through every constructor (fuzz)', async () => {
    await fc.assert(fc.asyncProperty(arbSparse(), async (s) => {
      const csr = CSRConnection.fromCoo(s);
      const coo = COOConnection.fromCoo(s);
      expect(csr.nnz).toBe(s.pre.length);
      expect(coo.nnz).toBe(s.pre.length);
      // COO keeps the user's order; CSR → COO → CSR gives back the same arrays.
      expect(Array.from(await coo.getWeights())).toEqual(Array.from(s.weights));
      expect(Array.from(coo.pairs().pre)).toEqual(Array.from(s.pre));
      const { indptr, indices } = csr.structure();
      const csr2 = CSRConnection.fromCoo({ ...csr.pairs(), nPre: s.nPre, nPost: s.nPost, weights: await csr.getWeights() });
      expect(Array.from(csr2.structure().indptr)).toEqual(Array.from(indptr));
      expect(Array.from(csr2.structure().indices)).toEqual(Array.from(indices));
      expect(Array.from(await csr2.getWeights())).toEqual(Array.from(await csr.getWeights()));
      const a = csr.toDenseTensor();
      const b = coo.toDenseTensor();
      expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
      [csr, coo, csr2, a, b].forEach((x) => x.dispose());
    }), { numRuns: 60 });
  });
});

describe('corrupt CSR fuzzing', () => {
  it('an out-of-range index anywhere is reported at its position', () => {
    fc.assert(fc.property(arbSparse({ maxNnz: 30 }), fc.nat(), fc.boolean(), (s, at, negative) => {
      fc.pre(s.pre.length > 0);
      const csr = CSRConnection.fromCoo(s);
      const { indptr, indices } = csr.structure();
      csr.dispose();
      const k = at % indices.length;
      indices[k] = negative ? -1 - (at % 3) : s.nPost + (at % 3);
      expectFormatError(() => CSRConnection.fromCsr({ nPre: s.nPre, nPost: s.nPost, indptr, indices, weights: s.weights }),
        new RegExp(`indices\\[${k}\\] must be in \\[0, ${s.nPost}\\)`));
    }), { numRuns: 100 });
  });
});

describe('COO validation', () => {
  const coo = { nPre: 2, nPost: 3, pre: [0, 1, 1], post: [2, 0, 1], weights: [1, 2, 3] };
  it.each([
    ['pre out of range', { pre: [0, 2, 1] }, 'E_FORMAT', /coo.pre\[1\] must be an integer in \[0, 2\), got 2/],
    ['post not an integer', { post: [2, 0.5, 1] }, 'E_FORMAT', /coo.post\[1\] must be an integer in \[0, 3\), got 0.5/],
    ['negative post', { post: [-1, 0, 1] }, 'E_FORMAT', /coo.post\[0\]/],
    ['post shorter than pre', { post: [2, 0] }, 'E_SHAPE', /coo.post must have length 3, got 2/],
    ['weights shorter than pre', { weights: [1, 2] }, 'E_SHAPE', /coo.weights must have length 3, got 2/],
    ['a NaN weight', { weights: [1, NaN, 3] }, 'E_PARAM', /coo.weights must contain only finite numbers, got NaN at index 1/],
    ['a fractional nPre', { nPre: 2.5 }, 'E_PARAM', /nPre must be an integer/],
  ])('rejects %s in every COO constructor', (_, patch, code, message) => {
    for (const make of [CSRConnection.fromCoo, COOConnection.fromCoo]) {
      let caught: unknown;
      try {
        make({ ...coo, ...(patch as object) } as never);
      } catch (e) {
        caught = e;
      }
      expect(isPlasticityError(caught, code as never), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
