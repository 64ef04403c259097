import { defineTransform, PlasticityError, describeValue, type Transform } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { layoutOf, ParamProblems, type BioInput } from './checks.js';

export interface WeightSplittingParams {
  [key: string]: number;
  /** Γ sub-synapses per connection (weight_splitting_Gamma); 0 or 1: off. */
  gamma: number;
}

export const WEIGHT_SPLITTING_DEFAULTS: WeightSplittingParams = { gamma: 0 };

export function validateWeightSplitting(p: WeightSplittingParams): string[] {
  const c = new ParamProblems();
  c.integer('gamma', p.gamma, 0);
  return c.list;
}

/** Throws E_SHAPE unless Γ divides the number of units it groups (the outputs, nPost): the dimension the
 *  split really sums over. The reference checks in_features of a Linear layer instead. */
export function checkSplit(units: number, gamma: number): void {
  if (!Number.isSafeInteger(gamma) || gamma < 0) throw new PlasticityError('E_PARAM', `gamma must be an integer >= 0, got ${describeValue(gamma)}`);
  if (gamma > 1 && units % gamma !== 0) {
    throw new PlasticityError('E_SHAPE', `gamma = ${gamma} must divide the number of output units nPost = ${units} (weight splitting sums groups of gamma consecutive outputs)`);
  }
}

/**
 * Weight splitting on a layer's output y [batch, nPost] (after its activation): each group of Γ
 * consecutive units is summed and the sum given to all Γ of them, so every connection acts through Γ
 * sub-synapses (reference: _wrap_forward_with_weight_splitting). Differentiable; Γ ≤ 1 returns y.
 */
export function splitOutputs(y: tf.Tensor, gamma: number): tf.Tensor {
  if (y.rank !== 2) throw new PlasticityError('E_SHAPE', `y must be [batch, nPost], got shape [${y.shape.join(', ')}]`);
  checkSplit(y.shape[1]!, gamma);
  if (gamma <= 1) return tf.clone(y);
  const [batch, n] = y.shape as [number, number];
  return tf.tidy(() => {
    const sums = tf.sum(tf.reshape(y, [batch, n / gamma, gamma]), 2, true);
    return tf.reshape(tf.tile(sums, [1, 1, gamma]), [batch, n]);
  });
}

/**
 * The plugin form: with an identity activation, splitting the outputs of y = x·W is the same as using the
 * effective weights W·G, where G sums each group of Γ columns, so `apply` maps W[pre, post] to those
 * effective weights (for a forward pass; the trainable weights stay W). With another activation use
 * `splitOutputs` on the activated outputs.
 */
export const weightSplitting: Transform<WeightSplittingParams, Record<string, never>> = defineTransform<WeightSplittingParams, Record<string, never>>({
  name: 'bio/weight-splitting',
  description: 'Γ sub-synapses per connection: groups of Γ outputs share their summed input',
  defaults: WEIGHT_SPLITTING_DEFAULTS,
  validate: validateWeightSplitting,
  apply(input: BioInput, _state, p) {
    const layout = layoutOf('bio/weight-splitting', input, false);
    if (layout.kind !== 'dense') throw new PlasticityError('E_SHAPE', 'bio/weight-splitting: acts on dense weights W[pre, post]');
    checkSplit(layout.nPost, p.gamma);
    return { weights: splitOutputs(input.weights, p.gamma), state: {} };
  },
});
