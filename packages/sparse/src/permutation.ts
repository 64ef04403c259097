import { PlasticityError, check } from '@plasticity/core';
import { compressedView } from './structure.js';

/** The (pre, post) pair of every stored synapse of a connection, in its storage order. */
export interface SynapsePairs {
  readonly nPre: number;
  readonly nPost: number;
  readonly pre: Int32Array;
  readonly post: Int32Array;
}

/**
 * How the same synapses are ordered in two connections (e.g. before and after a format conversion):
 * `perm[k]` is the position in `from` of the synapse stored at position k of `to`. Weights and
 * per-synapse arrays move with `values.map((_, k) => old[perm[k]])` (`permuteSynapses`). Throws
 * E_FORMAT when the two hold different sets of synapses.
 */
export function synapsePermutation(from: SynapsePairs, to: SynapsePairs): Int32Array {
  if (from.nPre !== to.nPre || from.nPost !== to.nPost) {
    throw new PlasticityError('E_SHAPE', `connections must have the same shape, got [${from.nPre}, ${from.nPost}] and [${to.nPre}, ${to.nPost}]`);
  }
  check.length('to.pre', to.pre.length, from.pre.length);
  // both sorted by (pre, post): equal sets enumerate identically
  const a = compressedView(from.pre, from.post, from.nPre, from.nPost);
  const b = compressedView(to.pre, to.post, to.nPre, to.nPost);
  for (let s = 0; s < a.idx.length; s++) {
    if (a.idx[s] !== b.idx[s]) throw new PlasticityError('E_FORMAT', 'the connections hold different synapses: no permutation maps one onto the other');
  }
  for (let r = 0; r <= from.nPre; r++) {
    if (a.ptr[r] !== b.ptr[r]) throw new PlasticityError('E_FORMAT', 'the connections hold different synapses: no permutation maps one onto the other');
  }
  const perm = new Int32Array(a.idx.length);
  for (let s = 0; s < perm.length; s++) perm[b.slot[s]!] = a.slot[s]!;
  return perm;
}

/** `values` (length nnz, `from`'s order) in `to`'s order: out[k] = values[perm[k]]. */
export function permuteSynapses<T extends Float32Array | Int32Array>(values: T, perm: Int32Array): T {
  check.length('values', values.length, perm.length);
  const out = new (values.constructor as new (n: number) => T)(perm.length);
  for (let k = 0; k < perm.length; k++) out[k] = values[perm[k]!]!;
  return out;
}
