import * as tf from '@tensorflow/tfjs-core';
import type { Bounds, SpikeVector, SynapseMap, SynapseOps, ValueVector } from '@plasticity/core';

/**
 * Test oracle: the SynapseOps contract written directly with tfjs gather/where ops on COO-ordered
 * stored synapses ("masked dense" semantics). Used by the rule tests as the reference the real
 * Dense/CSR/COO connections of @plasticity/sparse are compared with.
 */
export class ReferenceConnection implements SynapseOps {
  readonly nPre: number;
  readonly nPost: number;
  readonly nnz: number;
  private w: tf.Tensor1D;
  private readonly pre: tf.Tensor1D;
  private readonly post: tf.Tensor1D;

  constructor(coo: { nPre: number; nPost: number; pre: Int32Array; post: Int32Array; weights: Float32Array }) {
    this.nPre = coo.nPre;
    this.nPost = coo.nPost;
    this.nnz = coo.pre.length;
    this.w = tf.tensor1d(coo.weights, 'float32');
    this.pre = tf.tensor1d(coo.pre, 'int32');
    this.post = tf.tensor1d(coo.post, 'int32');
  }

  /** All-to-all connection from a dense row-major [nPre, nPost] matrix. */
  static dense(nPre: number, nPost: number, weights: ArrayLike<number>): ReferenceConnection {
    const pre = new Int32Array(nPre * nPost);
    const post = new Int32Array(nPre * nPost);
    for (let i = 0; i < nPre; i++) for (let j = 0; j < nPost; j++) { pre[i * nPost + j] = i; post[i * nPost + j] = j; }
    return new ReferenceConnection({ nPre, nPost, pre, post, weights: Float32Array.from(weights) });
  }

  private vec(v: ValueVector | SpikeVector): tf.Tensor {
    return v instanceof tf.Tensor ? tf.cast(v, 'float32') : tf.tensor(Float32Array.from(v as ArrayLike<number>));
  }

  private replace(next: tf.Tensor1D): void {
    this.w.dispose();
    this.w = tf.keep(next);
  }

  private clip(w: tf.Tensor, bounds?: Bounds): tf.Tensor {
    return bounds ? tf.clipByValue(w, bounds.wMin ?? -Infinity, bounds.wMax ?? Infinity) : w;
  }

  onPre(preActive: SpikeVector, postValues: ValueVector, bounds?: Bounds): void {
    this.replace(tf.tidy(() => {
      const touched = tf.notEqual(tf.gather(tf.reshape(this.vec(preActive), [-1]), this.pre), 0);
      const updated = this.clip(tf.add(this.w, tf.gather(tf.reshape(this.vec(postValues), [-1]), this.post)), bounds);
      return tf.where(touched, updated, this.w) as tf.Tensor1D;
    }));
  }

  onPost(preValues: ValueVector, postActive: SpikeVector, bounds?: Bounds): void {
    this.replace(tf.tidy(() => {
      const touched = tf.notEqual(tf.gather(tf.reshape(this.vec(postActive), [-1]), this.post), 0);
      const updated = this.clip(tf.add(this.w, tf.gather(tf.reshape(this.vec(preValues), [-1]), this.pre)), bounds);
      return tf.where(touched, updated, this.w) as tf.Tensor1D;
    }));
  }

  addOuter(a: ValueVector, b: ValueVector, scale: number, bounds?: Bounds): void {
    this.replace(tf.tidy(() => {
      const A = tf.reshape(this.vec(a), [-1, this.nPre]);
      const B = tf.reshape(this.vec(b), [-1, this.nPost]);
      const ga = tf.gather(A, this.pre, 1);
      const delta = tf.mul(tf.sum(tf.mul(ga, tf.gather(B, this.post, 1)), 0), scale);
      const touched = tf.any(tf.notEqual(ga, 0), 0);
      return tf.where(touched, this.clip(tf.add(this.w, delta), bounds), this.w) as tf.Tensor1D;
    }));
  }

  mapSynapses(map: SynapseMap, perSynapseParams?: Readonly<Record<string, ValueVector>>, bounds?: Bounds): void {
    const params: Record<string, tf.Tensor1D> = {};
    for (const [k, v] of Object.entries(perSynapseParams ?? {})) params[k] = tf.tidy(() => tf.reshape(this.vec(v), [-1]) as tf.Tensor1D);
    try {
      this.replace(tf.tidy(() => this.clip(map(this.w, { pre: this.pre, post: this.post, params }), bounds) as tf.Tensor1D));
    } finally {
      tf.dispose(Object.values(params));
    }
  }

  /** Dense [nPre, nPost] tensor (duplicates summed). */
  denseTensor(): tf.Tensor2D {
    return tf.tidy(() => {
      const flat = tf.add(tf.mul(this.pre, tf.scalar(this.nPost, 'int32')), this.post) as tf.Tensor1D;
      return tf.reshape(tf.unsortedSegmentSum(this.w, flat, this.nPre * this.nPost), [this.nPre, this.nPost]) as tf.Tensor2D;
    });
  }

  /** x @ W for x: [batch, nPre]. */
  forward(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.matMul(x, this.denseTensor()));
  }

  /** Stored weights in COO order. */
  async weights(): Promise<Float32Array> {
    return (await this.w.data()) as Float32Array;
  }

  /** Dense [nPre, nPost] row-major copy (0 where no synapse). */
  async toDense(): Promise<Float32Array> {
    const w = await this.weights();
    const pre = await this.pre.data();
    const post = await this.post.data();
    const out = new Float32Array(this.nPre * this.nPost);
    for (let k = 0; k < this.nnz; k++) out[pre[k]! * this.nPost + post[k]!]! += w[k]!;
    return out;
  }

  dispose(): void {
    tf.dispose([this.w, this.pre, this.post]);
  }
}
