import { PlasticityError, check, describeValue } from '@plasticity/core';

/**
 * Host-side structure of sparse connections: validation, COO → CSR, CSC views with permutations.
 * All index arrays are Int32Array. Row-major conventions: CSR rows are pre (indices = post), CSC
 * rows are post (indices = pre).
 */

/** A compressed view: rows of `ptr`, column `idx[k]` and weight position `slot[k]` of slot k. */
export interface CompressedView {
  readonly ptr: Int32Array;
  readonly idx: Int32Array;
  /** Weight position of each slot; null when slot k is weight k. */
  readonly slot: Int32Array | null;
}

export interface CsrArrays {
  readonly nPre: number;
  readonly nPost: number;
  /** Row pointers, length nPre + 1. */
  readonly indptr: Int32Array;
  /** Post index of each synapse, length nnz. */
  readonly indices: Int32Array;
}

export interface CooTriples {
  readonly nPre: number;
  readonly nPost: number;
  readonly pre: ArrayLike<number>;
  readonly post: ArrayLike<number>;
  /** One weight per pair (length nnz), or omitted. */
  readonly weights?: ArrayLike<number>;
}

/** What to do with repeated (pre, post) pairs in COO input. */
export type DuplicatePolicy = 'sum' | 'error';

export function checkDims(nPre: unknown, nPost: unknown): void {
  check.integer('nPre', nPre, 0, 2147483647);
  check.integer('nPost', nPost, 0, 2147483647);
}

/**
 * Validates raw CSR arrays: int32, `indptr` of length nPre + 1 with indptr[0] = 0, non-decreasing,
 * indptr[nPre] = nnz, every index in [0, nPost) and no column twice in a row. Throws E_FORMAT naming
 * the first offending position.
 */
export function validateCsr(name: string, a: CsrArrays): void {
  checkDims(a.nPre, a.nPost);
  const { nPre, nPost, indptr, indices } = a;
  if (!(indptr instanceof Int32Array)) {
    throw new PlasticityError('E_FORMAT', `${name}.indptr must be an Int32Array, got ${describeValue(indptr)}`);
  }
  if (!(indices instanceof Int32Array)) {
    throw new PlasticityError('E_FORMAT', `${name}.indices must be an Int32Array, got ${describeValue(indices)}`);
  }
  if (indptr.length !== nPre + 1) {
    throw new PlasticityError('E_FORMAT', `${name}.indptr must have length nPre + 1 = ${nPre + 1}, got ${indptr.length}`);
  }
  if (indptr[0] !== 0) throw new PlasticityError('E_FORMAT', `${name}.indptr[0] must be 0, got ${indptr[0]}`);
  for (let i = 0; i < nPre; i++) {
    if (indptr[i + 1]! < indptr[i]!) {
      throw new PlasticityError('E_FORMAT',
        `${name}.indptr must be non-decreasing, got indptr[${i + 1}] = ${indptr[i + 1]} < indptr[${i}] = ${indptr[i]}`);
    }
  }
  if (indptr[nPre] !== indices.length) {
    throw new PlasticityError('E_FORMAT',
      `${name}.indptr[${nPre}] must equal nnz = indices.length = ${indices.length}, got ${indptr[nPre]}`);
  }
  const seen = new Int32Array(nPost).fill(-1);
  for (let i = 0; i < nPre; i++) {
    for (let k = indptr[i]!; k < indptr[i + 1]!; k++) {
      const j = indices[k]!;
      if (j < 0 || j >= nPost) {
        throw new PlasticityError('E_FORMAT', `${name}.indices[${k}] must be in [0, ${nPost}), got ${j} (row ${i})`);
      }
      if (seen[j] === i) {
        throw new PlasticityError('E_FORMAT', `${name}.indices[${k}] repeats column ${j} in row ${i}; a (pre, post) pair is one synapse`);
      }
      seen[j] = i;
    }
  }
}

/** Validates COO triples' lengths, integrality and ranges (E_SHAPE / E_FORMAT at the first bad position). */
export function validateCoo(name: string, coo: CooTriples): void {
  checkDims(coo.nPre, coo.nPost);
  const n = coo.pre.length;
  check.length(`${name}.post`, coo.post.length, n);
  if (coo.weights !== undefined) check.length(`${name}.weights`, coo.weights.length, n);
  for (let k = 0; k < n; k++) {
    const i = coo.pre[k]!;
    const j = coo.post[k]!;
    if (!Number.isInteger(i) || i < 0 || i >= coo.nPre) {
      throw new PlasticityError('E_FORMAT', `${name}.pre[${k}] must be an integer in [0, ${coo.nPre}), got ${describeValue(i)}`);
    }
    if (!Number.isInteger(j) || j < 0 || j >= coo.nPost) {
      throw new PlasticityError('E_FORMAT', `${name}.post[${k}] must be an integer in [0, ${coo.nPost}), got ${describeValue(j)}`);
    }
  }
}

/**
 * Stable counting sort of `keys` (each in [0, nKeys)): returns ptr [nKeys + 1] and order, where
 * order lists the positions of key 0 first, then key 1, ... each in their original order.
 */
export function bucketSort(keys: ArrayLike<number>, nKeys: number): { ptr: Int32Array; order: Int32Array } {
  const ptr = new Int32Array(nKeys + 1);
  for (let k = 0; k < keys.length; k++) ptr[keys[k]! + 1]!++;
  for (let r = 0; r < nKeys; r++) ptr[r + 1]! += ptr[r]!;
  const next = ptr.slice(0, nKeys);
  const order = new Int32Array(keys.length);
  for (let k = 0; k < keys.length; k++) order[next[keys[k]!]!++] = k;
  return { ptr, order };
}

/** Sorted by (row, col): two stable counting sorts (by col, then by row). Returns ptr and the order. */
function sortRowCol(rows: ArrayLike<number>, cols: ArrayLike<number>, nRows: number, nCols: number): { ptr: Int32Array; order: Int32Array } {
  const byCol = bucketSort(cols, nCols).order;
  const rowsByCol = new Int32Array(byCol.length);
  for (let k = 0; k < byCol.length; k++) rowsByCol[k] = rows[byCol[k]!]!;
  const { ptr, order } = bucketSort(rowsByCol, nRows);
  for (let k = 0; k < order.length; k++) order[k] = byCol[order[k]!]!;
  return { ptr, order };
}

export interface DedupedCoo {
  readonly pre: Int32Array;
  readonly post: Int32Array;
  readonly weights: Float32Array;
  /** For each input position, the output synapse it went to. */
  readonly target: Int32Array;
}

/**
 * Merges repeated (pre, post) pairs into the first occurrence, keeping first-occurrence order;
 * weights of duplicates are summed (in input order), or `duplicates: 'error'` throws E_FORMAT naming
 * the first repeated position.
 */
export function dedupeCoo(coo: CooTriples, duplicates: DuplicatePolicy, name = 'coo'): DedupedCoo {
  const n = coo.pre.length;
  const { order } = sortRowCol(coo.pre, coo.post, coo.nPre, coo.nPost);
  const target = new Int32Array(n);
  const first = new Int32Array(n).fill(-1); // first[k] = first input position with the same pair as k
  let firstDup = -1;
  for (let s = 0; s < n; s++) {
    const k = order[s]!;
    const prev = s > 0 ? order[s - 1]! : -1;
    if (prev >= 0 && coo.pre[prev] === coo.pre[k] && coo.post[prev] === coo.post[k]) {
      first[k] = first[prev]!;
      if (firstDup < 0 || k < firstDup) firstDup = k;
    } else {
      first[k] = k;
    }
  }
  if (firstDup >= 0 && duplicates === 'error') {
    throw new PlasticityError('E_FORMAT',
      `${name}: (pre, post) = (${coo.pre[firstDup]}, ${coo.post[firstDup]}) at position ${firstDup} repeats position ${first[firstDup]}` +
      `; pass duplicates: 'sum' to merge repeated pairs`);
  }
  let m = 0;
  const outIndex = new Int32Array(n);
  for (let k = 0; k < n; k++) if (first[k] === k) outIndex[k] = m++;
  const pre = new Int32Array(m);
  const post = new Int32Array(m);
  const sums = new Float64Array(m);
  for (let k = 0; k < n; k++) {
    const t = outIndex[first[k]!]!;
    target[k] = t;
    pre[t] = coo.pre[k]!;
    post[t] = coo.post[k]!;
    sums[t]! += coo.weights ? coo.weights[k]! : 0;
  }
  return { pre, post, weights: Float32Array.from(sums), target };
}

/**
 * A compressed view of COO pairs grouped by `rows` (stable, sorted by column inside a row): CSR over
 * (pre, post) or CSC over (post, pre). `slot[k]` is the COO position of view slot k.
 */
export function compressedView(rows: Int32Array, cols: Int32Array, nRows: number, nCols: number): Required<CompressedView> & { slot: Int32Array } {
  const { ptr, order } = sortRowCol(rows, cols, nRows, nCols);
  const idx = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) idx[k] = cols[order[k]!]!;
  return { ptr, idx, slot: order };
}

/** Row index of every slot of a CSR structure (the COO `pre` array in CSR order). */
export function expandRows(indptr: Int32Array): Int32Array {
  const n = indptr.length - 1;
  const rows = new Int32Array(n >= 0 ? indptr[n]! : 0);
  for (let i = 0; i < n; i++) rows.fill(i, indptr[i]!, indptr[i + 1]!);
  return rows;
}

/**
 * CSC view of a CSR structure: ptr [nPost + 1], idx = pre of each CSC slot, slot = CSR position
 * (the CSC → CSR permutation). Pre indices inside a column are ascending.
 */
export function csrToCsc(a: CsrArrays): CompressedView & { slot: Int32Array } {
  const { ptr, order } = bucketSort(a.indices, a.nPost);
  const rows = expandRows(a.indptr);
  const idx = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) idx[k] = rows[order[k]!]!;
  return { ptr, idx, slot: order };
}
