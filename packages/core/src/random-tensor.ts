import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError } from './errors.js';
import type { Rng } from './rng.js';

export type Distribution =
  | { readonly dist: 'uniform'; readonly low?: number; readonly high?: number }
  | { readonly dist: 'normal'; readonly mean?: number; readonly std?: number }
  | { readonly dist: 'lognormal'; readonly mu?: number; readonly sigma?: number }
  | { readonly dist: 'gamma'; readonly shape: number; readonly scale?: number }
  | { readonly dist: 'beta'; readonly a: number; readonly b: number }
  | { readonly dist: 'exponential'; readonly rate?: number }
  | { readonly dist: 'poisson'; readonly lambda: number }
  | { readonly dist: 'bernoulli'; readonly p: number };

/** A tensor of draws from `rng`. Values are drawn in JS, so every backend gets the same numbers. */
export function randomTensor(rng: Rng, shape: readonly number[], d: Distribution): tf.Tensor {
  const s = [...shape];
  switch (d.dist) {
    case 'uniform': return tf.tensor(rng.uniform(s, d.low ?? 0, d.high ?? 1), s, 'float32');
    case 'normal': return tf.tensor(rng.normal(s, d.mean ?? 0, d.std ?? 1), s, 'float32');
    case 'lognormal': return tf.tensor(rng.lognormal(s, d.mu ?? 0, d.sigma ?? 1), s, 'float32');
    case 'gamma': return tf.tensor(rng.gamma(s, d.shape, d.scale ?? 1), s, 'float32');
    case 'beta': return tf.tensor(rng.beta(s, d.a, d.b), s, 'float32');
    case 'exponential': return tf.tensor(rng.exponential(s, d.rate ?? 1), s, 'float32');
    case 'poisson': return tf.tensor(rng.poisson(s, d.lambda), s, 'int32');
    case 'bernoulli': return tf.tensor(Float32Array.from(rng.bernoulli(s, d.p)), s, 'float32');
    default: throw new PlasticityError('E_PARAM', `unknown distribution ${JSON.stringify((d as { dist: unknown }).dist)}`);
  }
}
