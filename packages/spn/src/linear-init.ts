import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@plasticity/core';

/**
 * PyTorch's default `nn.Linear` initialisation (kaiming-uniform with a = √5, and the bias rule): every
 * weight and bias uniform in ±1/√fanIn, drawn from a seeded stream so the same seed gives the same
 * network on every backend. Kernel shape [fanIn, fanOut] (W[pre, post]).
 */
export function linearInit(rng: Rng, fanIn: number, fanOut: number): { kernel: Float32Array; bias: Float32Array } {
  const bound = 1 / Math.sqrt(fanIn);
  const scale = (values: Float32Array): Float32Array => {
    for (let i = 0; i < values.length; i++) values[i] = (2 * values[i]! - 1) * bound;
    return values;
  };
  return { kernel: scale(rng.uniform(fanIn * fanOut)), bias: scale(rng.uniform(fanOut)) };
}

/** A trainable float32 variable holding a copy of `values` (tfjs names it; names are global in tfjs). */
export function variableFrom(values: Float32Array, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
}
