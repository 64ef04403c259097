import type { Connection } from './connection.js';
import { checkConnectionArrays, type ConnectionArrays } from './connection-arrays.js';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';

/**
 * Conversions between formats. Structure is kept: a dense connection stores every entry, so its
 * CSR/COO form has nPre · nPost synapses (use CSRConnection.fromTensor to keep only non-zeros).
 * Weights are read back asynchronously, so conversions are async.
 */

export async function toCsr(conn: Connection): Promise<CSRConnection> {
  if (conn.format === 'csr') return CSRConnection.fromArrays(await conn.toArrays());
  const { pre, post } = conn.pairs();
  return CSRConnection.fromCoo({ nPre: conn.nPre, nPost: conn.nPost, pre, post, weights: await conn.getWeights() }, { duplicates: 'error' });
}

export async function toCoo(conn: Connection): Promise<COOConnection> {
  if (conn.format === 'coo') return COOConnection.fromArrays(await conn.toArrays());
  const { pre, post } = conn.pairs();
  return COOConnection.fromCoo({ nPre: conn.nPre, nPost: conn.nPost, pre, post, weights: await conn.getWeights() }, { duplicates: 'error' });
}

/** The dense connection of a connection's matrix (absent synapses become 0-weight synapses). */
export function toDense(conn: Connection): DenseConnection {
  const m = conn.toDenseTensor();
  try {
    return DenseConnection.fromTensor(m);
  } finally {
    m.dispose();
  }
}

/** Rebuilds a connection of any format from `toArrays()` output (validated). */
export function fromArrays(a: ConnectionArrays): Connection {
  checkConnectionArrays(a);
  if (a.format === 'dense') return DenseConnection.fromArrays(a);
  return a.format === 'csr' ? CSRConnection.fromArrays(a) : COOConnection.fromArrays(a);
}

/** The arrays of a connection under `prefix/` names, for core's saveCheckpoint `arrays`, plus the JSON to put in `data`. */
export async function connectionCheckpoint(conn: Connection, prefix: string): Promise<{ arrays: Record<string, Int32Array | Float32Array>; meta: { format: string; nPre: number; nPost: number } }> {
  const a = await conn.toArrays();
  const arrays: Record<string, Int32Array | Float32Array> = {};
  for (const [name, v] of Object.entries(a.arrays)) arrays[`${prefix}/${name}`] = v;
  return { arrays, meta: { format: a.format, nPre: a.nPre, nPost: a.nPost } };
}

/** Inverse of connectionCheckpoint, from a loaded checkpoint's arrays and the saved meta. */
export function connectionFromCheckpoint(
  arrays: Readonly<Record<string, { data: ArrayLike<number> }>>, meta: { format: string; nPre: number; nPost: number }, prefix: string,
): Connection {
  const own: Record<string, Int32Array | Float32Array> = {};
  for (const [name, v] of Object.entries(arrays)) {
    if (name.startsWith(`${prefix}/`)) own[name.slice(prefix.length + 1)] = v.data as Int32Array | Float32Array;
  }
  return fromArrays({ format: meta.format as ConnectionArrays['format'], nPre: meta.nPre, nPost: meta.nPost, arrays: own });
}

