import type { SynapseTable } from '@plasticity/core/fused';
import { compressedView } from '@plasticity/sparse';

const EMPTY = new Int32Array(0);

/** A dense projection: (i, j) is weight position i·nPost + j; no index views. */
export function denseTable(nPre: number, nPost: number): SynapseTable {
  return { nPre, nPost, nnz: nPre * nPost, dense: true, rowPtr: EMPTY, rowIdx: EMPTY, rowPos: EMPTY, colPtr: EMPTY, colIdx: EMPTY, colPos: EMPTY };
}

/** Row and column views over the (pre, post) pair of every stored synapse (storage order), built by
 *  @plasticity/sparse's structure code. */
export function sparseTable(nPre: number, nPost: number, pre: Int32Array, post: Int32Array): SynapseTable {
  const rows = compressedView(pre, post, nPre, nPost);
  const cols = compressedView(post, pre, nPost, nPre);
  return {
    nPre, nPost, nnz: pre.length, dense: false,
    rowPtr: rows.ptr, rowIdx: rows.idx, rowPos: rows.slot,
    colPtr: cols.ptr, colIdx: cols.idx, colPos: cols.slot,
  };
}
