import * as tf from '@tensorflow/tfjs-core';
import { check } from '@plasticity/core';
import { checkConnectionArrays, type ConnectionArrays } from './connection-arrays.js';
import { csrWeights, weightArray, type CooOptions, type CsrInput } from './csr.js';
import { denseNonZeros, type DenseInput } from './dense-input.js';
import {
  fixedFanInStructure, fixedFanOutStructure, randomStructure,
  type FixedFanInOptions, type FixedFanOutOptions, type GeneratedStructure, type RandomOptions,
} from './generate.js';
import { SparseConnection } from './sparse-connection.js';
import {
  compressedView, dedupeCoo, expandRows, validateCoo, validateCsr,
  type CompressedView, type CooTriples,
} from './structure.js';

/**
 * Coordinate format: synapse k is (pre[k], post[k]) with weights[k], in the order the user gave
 * (repeated pairs merged into their first occurrence). Kernels run through a CSR view and a CSC
 * view whose `slot` arrays point back into this order, so per-synapse values are never reordered.
 */
export class COOConnection extends SparseConnection {
  readonly format = 'coo' as const;
  private readonly pre: Int32Array;
  private readonly post: Int32Array;

  private constructor(nPre: number, nPost: number, pre: Int32Array, post: Int32Array, weights: Float32Array | tf.Variable) {
    super(nPre, nPost, pre.length, weights);
    this.pre = pre;
    this.post = post;
  }

  /**
   * From COO triples in any order; the order is kept. Repeated (pre, post) pairs are summed into the
   * first occurrence (default) or rejected with E_FORMAT (`duplicates: 'error'`). `weights` may be
   * one number for a homogeneous weight (propagation only).
   */
  static fromCoo(coo: Omit<CooTriples, 'weights'> & { readonly weights: ArrayLike<number> | number }, options: CooOptions = {}): COOConnection {
    const homogeneous = typeof coo.weights === 'number' || (coo.weights.length === 1 && coo.pre.length !== 1);
    validateCoo('coo', homogeneous ? { nPre: coo.nPre, nPost: coo.nPost, pre: coo.pre, post: coo.post } : (coo as CooTriples));
    const duplicates = check.oneOf('duplicates', options.duplicates ?? 'sum', ['sum', 'error'] as const);
    if (homogeneous) {
      const w = weightArray('coo.weights', coo.weights, coo.pre.length);
      // One shared weight cannot hold a summed pair, so repeated pairs are always an error here.
      const d = dedupeCoo({ nPre: coo.nPre, nPost: coo.nPost, pre: coo.pre, post: coo.post }, 'error');
      return new COOConnection(coo.nPre, coo.nPost, d.pre, d.post, w);
    }
    check.allFinite('coo.weights', coo.weights as ArrayLike<number>);
    const d = dedupeCoo(coo as CooTriples, duplicates);
    return new COOConnection(coo.nPre, coo.nPost, d.pre, d.post, d.weights);
  }

  /** From validated raw CSR arrays; synapses in CSR order. A variable as `weights`, or `trainable`, as CSRConnection.fromCsr. */
  static fromCsr(csr: CsrInput): COOConnection {
    validateCsr('csr', csr);
    const weights = csrWeights(csr);
    const conn = new COOConnection(csr.nPre, csr.nPost, expandRows(csr.indptr), csr.indices.slice(), weights);
    if (csr.trainable) conn.makeTrainable();
    return conn;
  }

  /** The non-zero entries of a dense [nPre, nPost] matrix, row-major. */
  static fromDense(matrix: DenseInput): COOConnection {
    return COOConnection.fromCoo(denseNonZeros(matrix));
  }

  static async fromTensor(matrix: tf.Tensor): Promise<COOConnection> {
    check.shape('matrix', matrix.shape, [null, null]);
    return COOConnection.fromDense({ data: await matrix.data(), shape: [matrix.shape[0]!, matrix.shape[1]!] });
  }

  private static fromStructure(s: GeneratedStructure): COOConnection {
    return new COOConnection(s.nPre, s.nPost, expandRows(s.indptr), s.indices, s.weights);
  }

  /** Each pair connected with probability p (seeded); the same synapses and weights as CSRConnection.random. */
  static random(options: RandomOptions): COOConnection {
    return COOConnection.fromStructure(randomStructure(options));
  }

  static fixedFanOut(options: FixedFanOutOptions): COOConnection {
    return COOConnection.fromStructure(fixedFanOutStructure(options));
  }

  static fixedFanIn(options: FixedFanInOptions): COOConnection {
    return COOConnection.fromStructure(fixedFanInStructure(options));
  }

  static fromArrays(a: ConnectionArrays): COOConnection {
    checkConnectionArrays(a, 'coo');
    const { pre, post, weights } = a.arrays;
    return COOConnection.fromCoo({ nPre: a.nPre, nPost: a.nPost, pre: pre!, post: post!, weights: weights! }, { duplicates: 'error' });
  }

  get hostBytes(): number {
    return this.pre.byteLength + this.post.byteLength;
  }

  protected rowView(): CompressedView {
    return compressedView(this.pre, this.post, this.nPre, this.nPost);
  }

  protected colView(): CompressedView {
    return compressedView(this.post, this.pre, this.nPost, this.nPre);
  }

  pairs(): { pre: Int32Array; post: Int32Array } {
    return { pre: this.pre.slice(), post: this.post.slice() };
  }

  async toArrays(): Promise<ConnectionArrays> {
    const weights = Float32Array.from(await this.weightTensor.data() as Float32Array);
    return { format: 'coo', nPre: this.nPre, nPost: this.nPost, arrays: { pre: this.pre.slice(), post: this.post.slice(), weights } };
  }
}
