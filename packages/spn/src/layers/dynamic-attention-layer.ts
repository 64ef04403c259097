import * as tf from '@tensorflow/tfjs-core';
import { fitRows } from '../batch-rows.js';
import { dense, type DenseParams } from './dense.js';

/**
 * `DynamicAttentionLayer` — f_DA(z) = ReLU((z ⊙ tanh(|p − z|))·W_DA + b_DA), W_DA [width, width].
 *
 * As in the blog, p is the previous step's *output of this layer* (zeros at the first step), compared
 * with this step's *input* (the memory layer's output): both have `width` units. p is state, kept off the
 * gradient tape; the gradient reaches z through both the product and the attention term.
 */
export class DynamicAttentionLayer {
  readonly width: number;
  readonly params: DenseParams;
  previous: tf.Tensor2D | null = null;

  constructor(params: DenseParams) {
    this.params = params;
    this.width = params.kernel.shape[0]!;
  }

  /** Output for z [batch, width] against `previousOutput` fitted to the batch (the row policy). */
  apply(z: tf.Tensor2D, previousOutput: tf.Tensor2D | null): tf.Tensor2D {
    const previous = fitRows(previousOutput, z.shape[0], this.width);
    const attention = tf.tanh(tf.abs(tf.sub(previous, z)));
    return dense(tf.mul(z, attention) as tf.Tensor2D, this.params, true);
  }

  setPrevious(previous: tf.Tensor2D | null): void {
    if (previous === this.previous) return;
    this.previous?.dispose();
    this.previous = previous;
  }

  dispose(): void {
    this.setPrevious(null);
    this.params.kernel.dispose();
    this.params.bias.dispose();
  }
}
