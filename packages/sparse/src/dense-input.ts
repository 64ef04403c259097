import { PlasticityError, check, describeValue } from '@plasticity/core';
import { checkDims } from './structure.js';

/** A dense matrix given on the host: nested rows, or row-major values with their shape. */
export type DenseInput = readonly (readonly number[])[] | { readonly data: ArrayLike<number>; readonly shape: readonly [number, number] };

/** Row-major values and shape of a dense input (validated: rectangular, finite). */
export function denseValues(matrix: DenseInput): { data: Float32Array; nPre: number; nPost: number } {
  if (Array.isArray(matrix)) {
    const rows = matrix as readonly (readonly number[])[];
    const nPre = rows.length;
    const nPost = nPre > 0 ? rows[0]!.length : 0;
    const data = new Float32Array(nPre * nPost);
    rows.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== nPost) {
        throw new PlasticityError('E_SHAPE', `matrix[${i}] must be an array of length ${nPost}, got ${describeValue(row)}`);
      }
      check.allFinite(`matrix[${i}]`, row);
      data.set(row, i * nPost);
    });
    return { data, nPre, nPost };
  }
  if (matrix === null || typeof matrix !== 'object' || !('data' in matrix) || !('shape' in matrix)) {
    throw new PlasticityError('E_PARAM', `matrix must be number[][] or { data, shape: [nPre, nPost] }, got ${describeValue(matrix)}`);
  }
  const [nPre, nPost] = matrix.shape;
  checkDims(nPre, nPost);
  check.length('matrix.data', matrix.data.length, nPre * nPost);
  check.allFinite('matrix.data', matrix.data);
  return { data: Float32Array.from(matrix.data), nPre, nPost };
}

/** The non-zero entries of a dense input as row-major COO triples. */
export function denseNonZeros(matrix: DenseInput): { nPre: number; nPost: number; pre: Int32Array; post: Int32Array; weights: Float32Array } {
  const { data, nPre, nPost } = denseValues(matrix);
  let nnz = 0;
  for (let f = 0; f < data.length; f++) if (data[f] !== 0) nnz++;
  const pre = new Int32Array(nnz);
  const post = new Int32Array(nnz);
  const weights = new Float32Array(nnz);
  let k = 0;
  for (let f = 0; f < data.length; f++) {
    if (data[f] === 0) continue;
    pre[k] = Math.floor(f / nPost);
    post[k] = f - pre[k]! * nPost;
    weights[k++] = data[f]!;
  }
  return { nPre, nPost, pre, post, weights };
}
