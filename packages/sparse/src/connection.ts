import type * as tf from '@tensorflow/tfjs-core';
import type { Bounds, SpikeVector, SynapseOps, ValueVector } from '@plasticity/core';

/** Storage formats of a connection. */
export type ConnectionFormat = 'dense' | 'csr' | 'coo';

/** Binary events add the weight; float events add weight × event value. Active iff != 0 in both. */
export const EVENT_MODES = ['binary', 'float'] as const;
export type EventMode = (typeof EVENT_MODES)[number];

export interface PropagateOptions {
  /** 'binary' (default): y[j] = Σ_{i active} W[i, j]. 'float': y = x @ W. */
  readonly mode?: EventMode;
  /**
   * Weights to use instead of the stored ones, same shape as `weightTensor` (to take gradients with
   * respect to the weights with tf.grad). The connection's structure is kept.
   */
  readonly weights?: tf.Tensor;
}

/** Plain arrays that describe a connection completely (structure and weights), for checkpoints. */
export interface ConnectionArrays {
  readonly format: ConnectionFormat;
  readonly nPre: number;
  readonly nPost: number;
  /**
   * dense: { weights: Float32Array [nPre · nPost] row-major }
   * csr:   { indptr: Int32Array, indices: Int32Array, weights: Float32Array [nnz or 1] }
   * coo:   { pre: Int32Array, post: Int32Array, weights: Float32Array [nnz or 1] }
   */
  readonly arrays: Readonly<Record<string, Int32Array | Float32Array>>;
}

/**
 * A synaptic connection W[pre, post] of shape [nPre, nPost]. Every operation works on every format
 * with the same result; the format decides the cost. Events are active iff != 0. Plastic updates
 * clip only the synapses they touch. Methods validate before they change anything and leave no
 * tensors behind except those they return.
 */
export interface Connection extends SynapseOps {
  readonly format: ConnectionFormat;
  /** [nPre, nPost]. */
  readonly shape: readonly [number, number];
  /** True when one weight is shared by all synapses (propagation only; plastic updates throw). */
  readonly homogeneous: boolean;
  /**
   * The live weights in storage order ([nnz] for csr/coo, [nPre, nPost] for dense; [1] when
   * homogeneous). Owned by the connection and replaced by every plastic update: do not dispose it,
   * and do not keep it across updates.
   */
  readonly weightTensor: tf.Tensor;

  /** spikes @ W: events [nPre] → [nPost], [batch, nPre] → [batch, nPost]. */
  propagate(events: SpikeVector, options?: PropagateOptions): tf.Tensor;
  /** x @ W with float events (weight × value); x: [nPre] or [batch, nPre]. */
  vecMat(x: ValueVector): tf.Tensor;
  /** W @ v: v [nPost] → [nPre]; v [batch, nPost] → [batch, nPre] (row b is W @ v[b]). */
  matVec(v: ValueVector): tf.Tensor;
  /**
   * Scales each post neuron's incoming weights so they sum to `target`; columns summing to 0 are
   * left unchanged. Every stored synapse is touched, so bounds clip all of them.
   */
  normalizePost(target: number, bounds?: Bounds): void;
  /** Per-synapse weights in storage order (user order for COO, row-major for CSR and dense). */
  getWeights(): Promise<Float32Array>;
  /** Replaces all weights (storage order, length nnz); makes a homogeneous connection heterogeneous. */
  setWeights(values: ArrayLike<number> | tf.Tensor): void;
  /** The (pre, post) pair of every synapse in storage order. */
  pairs(): { pre: Int32Array; post: Int32Array };
  /** The dense [nPre, nPost] matrix (0 where there is no synapse). */
  toDenseTensor(): tf.Tensor2D;
  /** Structure and weights as plain arrays (async: the weights are read back). */
  toArrays(): Promise<ConnectionArrays>;
  /** Bytes of structure arrays kept on the JS heap besides the tensors (memory accounting). */
  readonly hostBytes: number;
  /** Releases every tensor; the connection cannot be used afterwards. */
  dispose(): void;
  readonly isDisposed: boolean;
}
