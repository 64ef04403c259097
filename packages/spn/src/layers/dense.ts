import * as tf from '@tensorflow/tfjs-core';

/** The trainable part of a fully connected layer: kernel W[pre, post] ([fanIn, fanOut]) and bias [fanOut]. */
export interface DenseParams {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
}

/** x @ W + b, optionally through ReLU, as one fused tfjs op (its gradient is registered by tfjs). */
export function dense(x: tf.Tensor2D, params: DenseParams, relu: boolean): tf.Tensor2D {
  return tf.fused.matMul({
    a: x,
    b: params.kernel as tf.Tensor2D,
    bias: params.bias,
    activation: relu ? 'relu' : 'linear',
  }) as tf.Tensor2D;
}
