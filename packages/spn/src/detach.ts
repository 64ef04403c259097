import * as tf from '@tensorflow/tfjs-core';

/**
 * The value of `x` with no gradient path back through it (PyTorch's `x.detach()`): tfjs-core has no
 * stop-gradient op, so this is an identity whose gradient is zero. Used where state computed inside a
 * gradient tape (the memory of this step, state carried between time steps) must stay off the tape.
 */
export const detach: (x: tf.Tensor) => tf.Tensor = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.clone(x),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;
