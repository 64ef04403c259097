import * as tf from '@tensorflow/tfjs-core';

/** The trainable part of a fully connected layer: kernel W[pre, post] ([fanIn, fanOut]) and bias [fanOut]. */
export interface DenseParams {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
}

// Own gradients instead of tfjs's matMul gradient: that one multiplies with transposeA / transposeB set,
// which the wasm backend runs outside its fast path (10–25× slower than an explicit transpose followed
// by a plain product, measured at [256, 1024]·[1024, 512]). The values are the same products.

type Fn = (...args: tf.Tensor[]) => tf.Tensor;
const custom = (f: (...args: never[]) => unknown): Fn => tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as Fn;

/** ReLU derivative mask times dy (0 where the output was 0, as PyTorch). */
const reluBack = (dy: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.mul(dy, tf.step(y));

const linearRelu = custom((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' });
  save([x, w, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor2D, [xs, ws, ys]: tf.Tensor2D[]) => {
      const dz = reluBack(dy, ys!);
      return [tf.matMul(dz, tf.transpose(ws!)), tf.matMul(tf.transpose(xs!), dz), tf.sum(dz, 0)];
    },
  };
});

const linear = custom((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const y = tf.fused.matMul({ a: x, b: w, bias: b });
  save([x, w]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor2D, [xs, ws]: tf.Tensor2D[]) => [tf.matMul(dy, tf.transpose(ws!)), tf.matMul(tf.transpose(xs!), dy), tf.sum(dy, 0)],
  };
});

// the network's first layer: x is data, never a variable, so its gradient (a product and a transpose of W)
// is not computed; zeros stand in for it
const linearReluData = custom((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const y = tf.fused.matMul({ a: x, b: w, bias: b, activation: 'relu' });
  save([x, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor2D, [xs, ys]: tf.Tensor2D[]) => {
      const dz = reluBack(dy, ys!);
      return [tf.zerosLike(xs!), tf.matMul(tf.transpose(xs!), dz), tf.sum(dz, 0)];
    },
  };
});

/** ReLU(x @ W + b) for data x: gradients for W and b only (x's is zero). */
export function denseReluOnData(x: tf.Tensor2D, params: DenseParams): tf.Tensor2D {
  return linearReluData(x, params.kernel, params.bias) as tf.Tensor2D;
}

/** x @ W + b, optionally through ReLU. */
export function dense(x: tf.Tensor2D, params: DenseParams, relu: boolean): tf.Tensor2D {
  return (relu ? linearRelu : linear)(x, params.kernel, params.bias) as tf.Tensor2D;
}

const withConstant = custom((h: tf.Tensor2D, m: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  const input = tf.concat([h, m], 1);
  const y = tf.fused.matMul({ a: input, b: w, bias: b, activation: 'relu' });
  save([input, w, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor2D, [input, ws, ys]: tf.Tensor2D[]) => {
      const width = h.shape[1];
      const dz = reluBack(dy, ys!);
      const wh = tf.slice(ws!, [0, 0], [width, ws!.shape[1]]);
      return [tf.matMul(dz, tf.transpose(wh)), tf.zerosLike(m), tf.matMul(tf.transpose(input!), dz), tf.sum(dz, 0)];
    },
  };
});

/**
 * ReLU([h, c] @ W + b) where c is a constant side input (no gradient flows into it, and its half of the
 * input gradient is never computed): the memory layer's product.
 */
export function denseWithConstant(h: tf.Tensor2D, constant: tf.Tensor2D, params: DenseParams): tf.Tensor2D {
  return withConstant(h, constant, params.kernel, params.bias) as tf.Tensor2D;
}
