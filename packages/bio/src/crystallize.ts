import { defineTransform, type Transform } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkStateSize, layoutOf, ParamProblems, type BioInput } from './checks.js';
import { hostKernel, useHost } from './host.js';
import { pointers, wasmKernels } from './wasm.js';

export interface CrystallizeParams {
  [key: string]: number;
  /** Each time a synapse is judged stable its factor is multiplied by this (dampening_factor). */
  dampeningFactor: number;
  /** A synapse with |g|/|w| below this is well optimised (crystal_thresh). */
  crystalThresh: number;
}

export const CRYSTALLIZE_DEFAULTS: CrystallizeParams = { dampeningFactor: 0.6, crystalThresh: 4.5e-5 };

export function validateCrystallize(p: CrystallizeParams): string[] {
  const c = new ParamProblems();
  c.between01('dampeningFactor', p.dampeningFactor);
  c.positive('crystalThresh', p.crystalThresh);
  return c.list;
}

export interface CrystallizeState {
  [key: string]: tf.Tensor;
  /** Per-synapse factor in (0, 1]: starts at 1 and only ever shrinks. */
  factors: tf.Tensor;
}

/**
 * Crystallize: the synapses whose gradient is tiny relative to their weight (|g|/|w| < crystalThresh) or
 * unusually large (|g| > mean|w|) have their factor multiplied by dampeningFactor. The gradient is scaled
 * by the factors as they were before this step's damping, so damping acts from the next step on, as in
 * the reference. Unlike the reference (which damps the fuzzy learning-rate factors and so does nothing
 * without fuzzy_learning_rates), the factor is this transform's own and it works alone.
 */
export const crystallize: Transform<CrystallizeParams, CrystallizeState> = defineTransform<CrystallizeParams, CrystallizeState>({
  name: 'bio/crystallize',
  description: 'damp the learning rate of synapses whose gradient is tiny relative to |w| or unusually large',
  defaults: CRYSTALLIZE_DEFAULTS,
  validate: validateCrystallize,
  init: (shape) => ({ factors: tf.ones([...shape], 'float32') }),
  apply(input: BioInput, state, p) {
    const { weights, gradient } = input;
    layoutOf('bio/crystallize', input, true);
    checkStateSize('bio/crystallize', 'factors', state.factors, weights.size);
    if (useHost()) {
      const [g, factors] = hostKernel([weights, gradient!, state.factors], [weights.shape, weights.shape], ([w, gr, f], [gOut, fOut]) => crystallizeHost(w as Float32Array, gr as Float32Array, f as Float32Array, p, gOut!, fOut!));
      return { gradient: g!, state: { factors: factors! } };
    }
    const out = tf.tidy(() => {
      const ag = tf.abs(gradient!);
      const aw = tf.abs(weights);
      // |g|/|w| < θ  ⇔  |g| < θ·|w| (no division: a zero weight with a zero gradient is not stable)
      const stable = tf.logicalOr(tf.less(ag, tf.mul(aw, p.crystalThresh)), tf.greater(ag, tf.mean(aw)));
      const factors = tf.where(stable, tf.mul(state.factors, p.dampeningFactor), state.factors);
      return { g: tf.mul(gradient!, state.factors), factors };
    });
    return { gradient: out.g, state: { factors: out.factors } };
  },
});

/** The host kernel: the same comparisons and products in float32 (mean |w| summed in float64, in order). */
function crystallizeHost(w: Float32Array, g: Float32Array, f: Float32Array, p: CrystallizeParams, gOut: Float32Array, fOut: Float32Array): void {
  const n = w.length;
  const f32 = Math.fround;
  const thr = f32(p.crystalThresh);
  const damp = f32(p.dampeningFactor);
  const k = wasmKernels();
  const at = k ? pointers(k, [w, g, f, gOut, fOut]) : null;
  if (at) {
    const [pw, pg, pf, pgOut, pfOut] = at as [number, number, number, number, number];
    k!.exports.crystallize(pw, pg, pf, pgOut, pfOut, n, thr, f32(k!.exports.sumAbs(pw, n) / n), damp);
    return;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(w[i]!);
  const meanAbs = f32(sum / n);
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    const fi = f[i]!;
    gOut[i] = gi * fi;
    const ag = Math.abs(gi);
    fOut[i] = ag < f32(Math.abs(w[i]!) * thr) || ag > meanAbs ? fi * damp : fi;
  }
}
