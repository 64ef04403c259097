import { createRng, defineTransform, PlasticityError, type Rng, type Transform } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkStateSize, layoutOf, ParamProblems, type BioInput } from './checks.js';
import { normalArray, rngFields, rngFrom, uniformArray, unit } from './draws.js';
import { hostKernel, useHost } from './host.js';
import { pointers, wasmKernels } from './wasm.js';

export const FUZZY_DISTRIBUTIONS = [
  'baseline', 'uniform', 'normal', 'lognormal', 'gamma', 'beta', 'layer-adaptive', 'weight-adaptive', 'temporal', 'activity',
] as const;
export type FuzzyDistribution = (typeof FUZZY_DISTRIBUTIONS)[number];

export interface FuzzyLrParams {
  [key: string]: string | number;
  /** How the per-synapse factors F are drawn (reference: fuzzy_lr_distribution, default UNIFORM). */
  distribution: FuzzyDistribution;
  /** Spread ν (fuzzy_learning_rate_factor_nu). */
  nu: number;
  /** Every factor is clamped to [min, max] (fuzzy_lr_min, fuzzy_lr_max). */
  min: number;
  max: number;
  /** temporal: every updateFreq steps F ← 1 + (F − 1)·decay, every 10·updateFreq steps F += 0.1·U(−ν, ν). */
  decay: number;
  updateFreq: number;
  /** layer-adaptive: ν' = ν·(1 − 0.5·layerIndex/totalLayers); −1 lets the training-step helper fill in the
   *  position of the weights among the model's transformed weights. */
  layerIndex: number;
  totalLayers: number;
  /** gamma: 'mean-one' draws F ~ Gamma(1/ν, rate 1/ν) (mean 1, the documented intent); 'reference' adds
   *  1 as the reference package does (mean 2). */
  gammaMode: 'mean-one' | 'reference';
}

export const FUZZY_LR_DEFAULTS: FuzzyLrParams = {
  distribution: 'uniform', nu: 0.16, min: 0.5, max: 2.0, decay: 0.9995, updateFreq: 100, layerIndex: -1, totalLayers: -1, gammaMode: 'mean-one',
};

export function validateFuzzyLr(p: FuzzyLrParams): string[] {
  const c = new ParamProblems();
  c.oneOf('distribution', p.distribution, FUZZY_DISTRIBUTIONS);
  c.positive('nu', p.nu);
  c.nonNegative('min', p.min);
  c.positive('max', p.max);
  if (Number.isFinite(p.min) && Number.isFinite(p.max)) c.add(p.min <= 1 && 1 <= p.max, `min and max must satisfy min <= 1 <= max, got min=${p.min}, max=${p.max}`);
  c.inRange('decay', p.decay, 0, 1);
  c.integer('updateFreq', p.updateFreq, 1);
  c.integer('layerIndex', p.layerIndex, -1);
  c.integer('totalLayers', p.totalLayers, -1);
  if (p.layerIndex >= 0 && p.totalLayers > 0) c.add(p.layerIndex < p.totalLayers, `layerIndex must be < totalLayers, got layerIndex=${p.layerIndex}, totalLayers=${p.totalLayers}`);
  c.oneOf('gammaMode', p.gammaMode, ['mean-one', 'reference']);
  return c.list;
}

/** ν' of layer `layerIndex` of `totalLayers` (layer-adaptive): the spread shrinks by half across depth. */
export function layerNu(p: FuzzyLrParams): number {
  const total = p.totalLayers > 0 ? p.totalLayers : 1;
  const index = Math.max(0, p.layerIndex);
  return p.nu * (1 - (0.5 * index) / total);
}

/** The initial factors (length n) of a distribution, clamped to [min, max]; weight-adaptive starts at 1
 *  (it draws on its first update, when the weights are known). */
export function initialFactors(p: FuzzyLrParams, n: number, rng: Rng): Float32Array {
  const nu = p.nu;
  let f: Float32Array;
  switch (p.distribution) {
    case 'baseline':
    case 'weight-adaptive':
      f = new Float32Array(n).fill(1);
      break;
    case 'uniform':
    case 'temporal':
    case 'activity':
      f = uniformArray(rng, n, 1 - nu, 1 + nu);
      break;
    case 'layer-adaptive': {
      const nuL = layerNu(p);
      f = uniformArray(rng, n, 1 - nuL, 1 + nuL);
      break;
    }
    case 'normal':
      f = normalArray(rng, n, 1, nu);
      break;
    case 'lognormal': {
      f = normalArray(rng, n, -nu * nu / 2, nu);
      for (let i = 0; i < n; i++) f[i] = Math.exp(f[i]!);
      break;
    }
    case 'gamma': {
      f = rng.gamma(n, 1 / nu, nu); // shape 1/ν, scale ν: mean 1, variance ν
      if (p.gammaMode === 'reference') for (let i = 0; i < n; i++) f[i] = 1 + f[i]!;
      break;
    }
    case 'beta': {
      f = rng.beta(n, 1 / nu, 1 / nu);
      for (let i = 0; i < n; i++) f[i] = 1 + (2 * f[i]! - 1) * nu;
      break;
    }
    default:
      throw new PlasticityError('E_PARAM', `bio/fuzzy-lr: unknown distribution ${JSON.stringify(p.distribution)}`);
  }
  for (let i = 0; i < n; i++) f[i] = Math.min(p.max, Math.max(p.min, f[i]!));
  return f;
}

export interface FuzzyLrState {
  readonly [key: string]: tf.Tensor | number;
  readonly factors: tf.Tensor;
  /** Steps taken (apply calls). */
  readonly calls: number;
  /** activity: per postsynaptic neuron, how often |activity| > 0.01 (0 until the first step). */
  readonly counts: tf.Tensor | number;
}

function nPostOf(input: BioInput, weights: tf.Tensor): number {
  return weights.rank === 2 ? weights.shape[1]! : (input.synapses?.nPost ?? input.activity?.shape.at(-1) ?? -1);
}

/** Per-synapse values of a per-post vector v [nPost]: [1, nPost] for dense weights, gathered for sparse. */
function perPost(v: tf.Tensor1D, input: BioInput): tf.Tensor {
  return input.weights.rank === 2 ? tf.reshape(v, [1, -1]) : tf.gather(v, input.synapses!.post);
}

/**
 * Fuzzy learning rates: the gradient of each synapse is multiplied by its own factor F before the optimizer
 * step (reference: fuzzy_learning_rates + update_fuzzy_learning_rates). Weights W[pre, post] ([nPre, nPost]),
 * or the stored synapses [nnz] of a connection with its synapse context.
 */
export const fuzzyLr: Transform<FuzzyLrParams, FuzzyLrState> = defineTransform<FuzzyLrParams, FuzzyLrState>({
  name: 'bio/fuzzy-lr',
  description: 'per-synapse learning-rate factors from ten distributions, applied to the gradient',
  defaults: FUZZY_LR_DEFAULTS,
  validate: validateFuzzyLr,
  init(shape, params, seed) {
    const rng = createRng(seed);
    const n = shape.reduce((a, b) => a * b, 1);
    const factors = tf.tensor(initialFactors(params, n, rng), [...shape], 'float32');
    return { factors, calls: 0, counts: 0, ...rngFields(rng) };
  },
  apply(input: BioInput, state, p) {
    const { weights, gradient } = input;
    layoutOf('bio/fuzzy-lr', input, true);
    checkStateSize('bio/fuzzy-lr', 'factors', state.factors, weights.size);
    if (p.distribution === 'activity') {
      const a = input.activity;
      const nPost = nPostOf(input, weights);
      if (!a || a.rank !== 2 || a.shape[1] !== nPost) {
        throw new PlasticityError('E_SHAPE', `bio/fuzzy-lr: the activity distribution needs the postsynaptic activity [batch, ${nPost < 0 ? 'nPost' : nPost}] of this step, got ${a ? `[${a.shape.join(', ')}]` : 'none'}`);
      }
      if (state.counts instanceof tf.Tensor) checkStateSize('bio/fuzzy-lr', 'counts', state.counts, nPost);
    }
    const rng = rngFrom(state);
    const calls = state.calls;
    const n = weights.size;
    const shape = weights.shape;
    const clamp = (f: tf.Tensor) => tf.clipByValue(f, p.min, p.max);
    const host = useHost();
    const out = tf.tidy(() => {
      let factors = state.factors;
      let counts = state.counts;
      if (p.distribution === 'weight-adaptive' && calls === 0) {
        const abs = tf.abs(weights);
        const nuW = tf.mul(p.nu, tf.clipByValue(tf.sub(2, tf.div(abs, tf.maximum(tf.mean(abs), 1e-12))), 0.5, 1.5));
        const u = tf.tensor(uniformArray(rng, n, -1, 1), shape, 'float32');
        factors = clamp(tf.add(1, tf.mul(u, nuW)));
      } else if (p.distribution === 'temporal') {
        const c = calls + 1;
        if (c % p.updateFreq === 0) factors = clamp(tf.add(1, tf.mul(tf.sub(factors, 1), p.decay)));
        if (c % (10 * p.updateFreq) === 0) factors = clamp(tf.add(factors, tf.tensor(uniformArray(rng, n, -0.1 * p.nu, 0.1 * p.nu), shape, 'float32')));
      } else if (p.distribution === 'activity') {
        const fired = tf.sum(tf.cast(tf.greater(tf.abs(input.activity!), 0.01), 'float32'), 0) as tf.Tensor1D;
        counts = counts instanceof tf.Tensor ? tf.add(counts, fired) : fired;
        if (calls === 0 || unit(rng) < 0.1) {
          const ratio = tf.div(counts, tf.maximum(tf.mean(counts), 1e-8));
          const af = tf.clipByValue(tf.add(1, tf.mul(tf.sub(ratio, 1), 0.1)), 0.8, 1.2) as tf.Tensor1D;
          const u = tf.tensor(uniformArray(rng, n, -1, 1), shape, 'float32');
          factors = clamp(tf.add(1, tf.mul(tf.mul(u, p.nu), tf.sub(2, perPost(af, input)))));
        }
      }
      return host ? { factors, counts } : { g: tf.mul(gradient!, factors), factors, counts };
    }) as { g?: tf.Tensor; factors: tf.Tensor; counts: tf.Tensor | number };
    const g = out.g ?? mulHost(gradient!, out.factors);
    const next: FuzzyLrState = { ...state, factors: out.factors, calls: calls + 1, counts: out.counts, ...rngFields(rng) };
    return { gradient: g, state: next };
  },
});

/** g·F elementwise (float32 products: the same numbers as tf.mul). */
function mulHost(gradient: tf.Tensor, factors: tf.Tensor): tf.Tensor {
  return hostKernel([gradient, factors], [gradient.shape], ([g, f], [out]) => {
    const k = wasmKernels();
    const at = k ? pointers(k, [g!, f!, out!]) : null;
    if (at) k!.exports.mul(at[0]!, at[1]!, at[2]!, out!.length);
    else for (let i = 0; i < out!.length; i++) out![i] = g![i]! * f![i]!;
  })[0]!;
}
