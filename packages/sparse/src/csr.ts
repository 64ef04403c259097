import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, check, describeValue } from '@plasticity/core';
import { checkConnectionArrays, type ConnectionArrays } from './connection-arrays.js';
import { denseNonZeros, type DenseInput } from './dense-input.js';
import {
  fixedFanInStructure, fixedFanOutStructure, randomStructure,
  type FixedFanInOptions, type FixedFanOutOptions, type RandomOptions,
} from './generate.js';
import { SparseConnection } from './sparse-connection.js';
import { checkVariable } from './variable.js';
import {
  compressedView, csrToCsc, dedupeCoo, expandRows, validateCoo, validateCsr,
  type CompressedView, type CooTriples, type DuplicatePolicy,
} from './structure.js';

export interface CsrInput {
  readonly nPre: number;
  readonly nPost: number;
  /** Row pointers (Int32Array, length nPre + 1). */
  readonly indptr: Int32Array;
  /** Post index of each synapse (Int32Array, length nnz). */
  readonly indices: Int32Array;
  /**
   * Per-synapse weights (length nnz), or one number / length-1 array for a homogeneous weight, or a
   * float32 tf.Variable of shape [nnz] that the connection adopts as its weights (no copy; the
   * connection owns and disposes it): the connection is then trainable (`conn.variable`).
   */
  readonly weights: ArrayLike<number> | number | tf.Variable;
  /** Make the weights a tf.Variable (as `makeTrainable()`); implied when `weights` is a variable. */
  readonly trainable?: boolean;
}

/**
 * The weights of a raw-CSR constructor, checked: a variable to adopt, or a fresh array. `trainable`
 * needs one weight per synapse (checked here, before anything is built).
 */
export function csrWeights(csr: CsrInput): Float32Array | tf.Variable {
  const nnz = csr.indices.length;
  if (csr.weights instanceof tf.Variable) return checkVariable('csr.weights', csr.weights, [nnz]);
  if (csr.trainable !== undefined && typeof csr.trainable !== 'boolean') {
    throw new PlasticityError('E_PARAM', `csr.trainable must be a boolean, got ${describeValue(csr.trainable)}`);
  }
  const w = weightArray('csr.weights', csr.weights, nnz);
  if (csr.trainable && w.length !== nnz) {
    throw new PlasticityError('E_PARAM', `csr.trainable needs one weight per synapse (${nnz}), got a homogeneous weight`);
  }
  return w;
}

export interface CooOptions {
  /** Repeated (pre, post) pairs: 'sum' (default) merges them, 'error' throws E_FORMAT. */
  readonly duplicates?: DuplicatePolicy;
}

/** Weights of a constructor: per-synapse (copied, finite) or homogeneous (length 1). */
export function weightArray(name: string, weights: ArrayLike<number> | number, nnz: number): Float32Array {
  if (typeof weights === 'number') return Float32Array.of(check.finite(name, weights));
  if (weights === null || typeof weights !== 'object' || typeof weights.length !== 'number') {
    throw new PlasticityError('E_PARAM', `${name} must be a number or an array of numbers, got ${describeValue(weights)}`);
  }
  if (weights.length !== nnz && !(weights.length === 1 && nnz !== 1)) {
    throw new PlasticityError('E_SHAPE', `${name} must have length nnz = ${nnz} (or 1 for a homogeneous weight), got ${weights.length}`);
  }
  check.allFinite(name, weights);
  return Float32Array.from(weights);
}

/**
 * Compressed sparse rows: rows are pre neurons, `indices` hold post neurons, weights in CSR order.
 * Event propagation and onPre walk the rows of active pre neurons only; onPost uses a CSC view
 * with the CSC → CSR permutation, built on first use and cached.
 */
export class CSRConnection extends SparseConnection {
  readonly format = 'csr' as const;
  private readonly indptr: Int32Array;
  /** Host copy of the column indices; dropped on wasm once the row tensors hold them (see indices()). */
  private colIndex: Int32Array | null;

  private constructor(nPre: number, nPost: number, indptr: Int32Array, indices: Int32Array, weights: Float32Array | tf.Variable) {
    super(nPre, nPost, indices.length, weights);
    this.indptr = indptr;
    this.colIndex = indices;
  }

  /**
   * From validated raw CSR arrays (copied); corrupt input throws E_FORMAT naming the first bad
   * position. A tf.Variable as `weights` (shape [nnz], float32) is adopted, or `trainable: true`
   * makes one: the connection is then trainable (see `variable`).
   */
  static fromCsr(csr: CsrInput): CSRConnection {
    validateCsr('csr', csr);
    const weights = csrWeights(csr);
    const conn = new CSRConnection(csr.nPre, csr.nPost, csr.indptr.slice(), csr.indices.slice(), weights);
    if (csr.trainable) conn.makeTrainable();
    return conn;
  }

  /** From COO triples in any order; duplicates summed (default) or rejected. Sorted into CSR order. */
  static fromCoo(coo: CooTriples & { weights: ArrayLike<number> }, options: CooOptions = {}): CSRConnection {
    validateCoo('coo', coo);
    const duplicates = check.oneOf('duplicates', options.duplicates ?? 'sum', ['sum', 'error'] as const);
    check.allFinite('coo.weights', coo.weights);
    const d = dedupeCoo(coo, duplicates);
    const view = compressedView(d.pre, d.post, coo.nPre, coo.nPost);
    const weights = new Float32Array(view.slot.length);
    for (let k = 0; k < weights.length; k++) weights[k] = d.weights[view.slot[k]!]!;
    return new CSRConnection(coo.nPre, coo.nPost, view.ptr, view.idx, weights);
  }

  /** The non-zero entries of a dense [nPre, nPost] matrix become the synapses. */
  static fromDense(matrix: DenseInput): CSRConnection {
    const nz = denseNonZeros(matrix);
    return CSRConnection.fromCoo(nz);
  }

  /** Like fromDense for a tensor (read back asynchronously). */
  static async fromTensor(matrix: tf.Tensor): Promise<CSRConnection> {
    check.shape('matrix', matrix.shape, [null, null]);
    return CSRConnection.fromDense({ data: await matrix.data(), shape: [matrix.shape[0]!, matrix.shape[1]!] });
  }

  /** Each pair connected with probability p (seeded); weights from `init`. */
  static random(options: RandomOptions): CSRConnection {
    const s = randomStructure(options);
    return new CSRConnection(s.nPre, s.nPost, s.indptr, s.indices, s.weights);
  }

  /** `fanOut` distinct post neurons per pre neuron (seeded). */
  static fixedFanOut(options: FixedFanOutOptions): CSRConnection {
    const s = fixedFanOutStructure(options);
    return new CSRConnection(s.nPre, s.nPost, s.indptr, s.indices, s.weights);
  }

  /** `fanIn` distinct pre neurons per post neuron (seeded). */
  static fixedFanIn(options: FixedFanInOptions): CSRConnection {
    const s = fixedFanInStructure(options);
    return new CSRConnection(s.nPre, s.nPost, s.indptr, s.indices, s.weights);
  }

  /** Inverse of toArrays (validated). */
  static fromArrays(a: ConnectionArrays): CSRConnection {
    checkConnectionArrays(a, 'csr');
    const { indptr, indices, weights } = a.arrays;
    return CSRConnection.fromCsr({ nPre: a.nPre, nPost: a.nPost, indptr: indptr as Int32Array, indices: indices as Int32Array, weights: weights as Float32Array });
  }

  /** Copies of the CSR structure arrays. */
  structure(): { indptr: Int32Array; indices: Int32Array } {
    return { indptr: this.indptr.slice(), indices: this.colIndex ? this.colIndex.slice() : this.columnIndices() };
  }

  get hostBytes(): number {
    return this.indptr.byteLength + (this.colIndex?.byteLength ?? 0);
  }

  /**
   * On wasm the row tensors copy the column indices into tfjs's heap; keeping the host copy too would
   * cost 4 more bytes per synapse, so it is dropped and read back from the heap when needed (CSC
   * view, pairs, toArrays). On cpu the tensor shares the host array, on webgpu the host copy stays.
   */
  protected override rowTensorsBuilt(): void {
    if (tf.getBackend() === 'wasm' && this.rowIndicesFromBackend(false) !== undefined) this.colIndex = null;
  }

  /** The column indices (the host copy, or a copy read from the wasm heap). */
  private columnIndices(): Int32Array {
    return this.colIndex ?? this.rowIndicesFromBackend()!;
  }

  protected rowView(): CompressedView {
    return { ptr: this.indptr, idx: this.columnIndices(), slot: null };
  }

  protected colView(): CompressedView {
    return csrToCsc({ nPre: this.nPre, nPost: this.nPost, indptr: this.indptr, indices: this.columnIndices() });
  }

  pairs(): { pre: Int32Array; post: Int32Array } {
    return { pre: expandRows(this.indptr), post: this.colIndex ? this.colIndex.slice() : this.columnIndices() };
  }

  async toArrays(): Promise<ConnectionArrays> {
    const weights = Float32Array.from(await this.weightTensor.data() as Float32Array);
    const indices = this.colIndex ? this.colIndex.slice() : this.columnIndices();
    return { format: 'csr', nPre: this.nPre, nPost: this.nPost, arrays: { indptr: this.indptr.slice(), indices, weights } };
  }
}
