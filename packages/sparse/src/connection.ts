import type * as tf from '@tensorflow/tfjs-core';
import type { Bounds, SpikeVector, SynapseOps, ValueVector } from '@plasticity/core';
import type { EventList } from './event-list.js';
import type { TrainableOptions } from './variable.js';
import type { RowBounds, UpdateOptions } from './update-options.js';

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

/** Options of `propagateInto` (one unbatched step; no weights override, no gradient). */
export interface PropagateIntoOptions {
  /** 'binary' (default): out[j] = Σ_{i active} W[i, j]. 'float': out = x @ W (a list's `values` are x). */
  readonly mode?: EventMode;
}

/** One step's events: a dense vector (active iff != 0) or a list of active indices (EventList). */
export type StepInput = SpikeVector | EventList;

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
  /**
   * The tf.Variable holding the weights (shape of `weightTensor`) once the connection is trainable
   * (`makeTrainable`, `DenseConnection.fromVariable`, `fromCsr` with a variable or `trainable`), else
   * null. The connection's only copy of its weights: optimizers and plastic updates act on it alike;
   * `weightTensor` is then this variable. Owned by the connection.
   */
  readonly variable: tf.Variable | null;
  /** Makes the weights a tf.Variable without copying them and returns it (the same one on later calls). */
  makeTrainable(options?: TrainableOptions): tf.Variable;
  /** Changes whenever the weights may have changed, including an optimizer's assign to `variable`. */
  readonly weightsVersion: number;

  /** spikes @ W: events [nPre] → [nPost], [batch, nPre] → [batch, nPost]. */
  propagate(events: StepInput, options?: PropagateOptions): tf.Tensor;
  /**
   * spikes @ W for one step, written into the caller's host array `out` (Float32Array of length
   * nPost, overwritten; returned). On cpu and wasm no tensor is allocated and the step's events may
   * be a list of active indices (EventList), which skips the scan of a dense vector: the per-step
   * call of a simulation loop. Results equal `propagate` bit for bit (dense: CSR kernels over the
   * full matrix, so they may differ from its matMul in the last bits). Other backends throw
   * E_BACKEND (their results need an asynchronous readback: use `propagate`).
   */
  propagateInto(events: StepInput, out: Float32Array, options?: PropagateIntoOptions): Float32Array;
  /** x @ W with float events (weight × value); x: [nPre] or [batch, nPre]. */
  vecMat(x: ValueVector): tf.Tensor;
  /** W @ v: v [nPost] → [nPre]; v [batch, nPost] → [batch, nPre] (row b is W @ v[b]). */
  matVec(v: ValueVector): tf.Tensor;
  /**
   * W[i, j] += postValues[j] on the synapses of every active pre i, clipping those. `preActive` may
   * be an EventList; a host Float32Array `postValues` must be finite (E_PARAM). On cpu and wasm
   * the update runs in place with no tensor allocated. `bounds` sides may be arrays of length nPre
   * (per presynaptic row); `options.lr` multiplies synapse k's update by lr[k] (storage order, length
   * nnz; a 0/1 mask is the special case). Either takes the kernel path (no host fast path).
   */
  onPre(preActive: StepInput, postValues: ValueVector, bounds?: RowBounds, options?: UpdateOptions): void;
  /** W[i, j] += preValues[i] on the synapses of every active post j (as onPre, through the CSC view). */
  onPost(preValues: ValueVector, postActive: StepInput, bounds?: RowBounds, options?: UpdateOptions): void;
  /**
   * W[i, j] += scale · Σ_b a[b, i] · b[b, j] on the stored synapses of rows with some a != 0 (as
   * SynapseOps). Bounds and options as onPre: per-row bounds and a per-synapse factor.
   */
  addOuter(a: ValueVector, b: ValueVector, scale: number, bounds?: RowBounds, options?: UpdateOptions): void;
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
