import { defineTransform, describeValue, PlasticityError, type Transform } from '@plasticity/core';
import { forEachInColumn } from '@plasticity/core/fused';
import * as tf from '@tensorflow/tfjs-core';
import { checkStateSize, layoutOf, ParamProblems, type BioInput } from './checks.js';
import { hostKernel, useHost } from './host.js';
import { pointers, wasmKernels } from './wasm.js';

export interface SynapticScalingParams {
  [key: string]: string | number;
  /** 'total': drive each postsynaptic neuron's Σ_i |W[i, j]| toward `target`; 'rate': drive its running
   *  mean activity toward `target` (needs the activity of each step). */
  mode: 'total' | 'rate';
  target: number;
  /** Exponent η in (0, 1] of the multiplicative step W[:, j] ← W[:, j]·(target / current_j)^η
   *  (1: reach the target in one step). */
  strength: number;
  /** 'rate': time constant of the running mean activity, in steps. */
  tauSteps: number;
  /** Bounds of one step's factor, [1/maxFactor, maxFactor] (a silent neuron is scaled up slowly). */
  maxFactor: number;
}

export const SYNAPTIC_SCALING_DEFAULTS: SynapticScalingParams = { mode: 'total', target: 1, strength: 0.1, tauSteps: 100, maxFactor: 2 };

export function validateSynapticScaling(p: SynapticScalingParams): string[] {
  const c = new ParamProblems();
  c.oneOf('mode', p.mode, ['total', 'rate']);
  c.positive('target', p.target);
  c.inRange('strength', p.strength, 0, 1);
  c.add(!(p.strength === 0), 'strength must be greater than 0, got 0');
  c.positive('tauSteps', p.tauSteps);
  c.add(Number.isFinite(p.maxFactor) && p.maxFactor > 1, `maxFactor must be greater than 1, got ${describeValue(p.maxFactor)}`);
  return c.list;
}

export interface SynapticScalingState {
  [key: string]: tf.Tensor | number;
  /** 'rate': running mean activity per postsynaptic neuron (created on the first step). */
  rate: tf.Tensor | number;
}

/**
 * Synaptic scaling (homeostatic, multiplicative): each postsynaptic neuron j scales all its incoming
 * weights W[:, j] by one positive factor, toward a target total |W[:, j]| or a target rate. Signs never
 * change, so it composes with Dale's principle. Named by the source document; the reference never
 * implemented it.
 */
export const synapticScaling: Transform<SynapticScalingParams, SynapticScalingState> = defineTransform<SynapticScalingParams, SynapticScalingState>({
  name: 'bio/synaptic-scaling',
  description: "homeostatic multiplicative scaling of each postsynaptic neuron's incoming weights",
  defaults: SYNAPTIC_SCALING_DEFAULTS,
  validate: validateSynapticScaling,
  init: () => ({ rate: 0 }),
  apply(input: BioInput, state, p) {
    const layout = layoutOf('bio/synaptic-scaling', input, false);
    const nPost = layout.kind === 'dense' ? layout.nPost : (layout.synapses.nPost ?? input.activity?.shape[1]);
    if (nPost === undefined) throw new PlasticityError('E_PARAM', 'bio/synaptic-scaling: on stored synapses it needs nPost in the synapse context (the training-step helper adds it)');
    const a = input.activity;
    if (p.mode === 'rate') {
      if (!a || a.rank !== 2 || a.shape[1] !== nPost) throw new PlasticityError('E_SHAPE', `bio/synaptic-scaling: mode 'rate' needs the postsynaptic activity [batch, ${nPost}] of this step, got ${a ? `[${a.shape.join(', ')}]` : 'none'}`);
      if (state.rate instanceof tf.Tensor) checkStateSize('bio/synaptic-scaling', 'rate', state.rate, nPost);
    }
    if (p.mode === 'total' && useHost()) {
      const ins = layout.kind === 'dense' ? [input.weights] : [input.weights, layout.synapses.post];
      const [w] = hostKernel(ins, [input.weights.shape], ([wv, post], [out], scratch) => scaleTotalHost(wv as Float32Array, (post ?? null) as Int32Array | null, nPost, p, out!, scratch), 3 * nPost);
      return { weights: w!, state: { rate: state.rate } };
    }
    const out = tf.tidy(() => {
      const w = input.weights;
      let current: tf.Tensor1D;
      let rate: tf.Tensor | number = state.rate;
      if (p.mode === 'total') {
        current = (layout.kind === 'dense' ? tf.sum(tf.abs(w), 0) : tf.scatterND(tf.reshape(layout.synapses.post, [-1, 1]), tf.abs(w), [nPost]) /* sums repeated posts; wasm has no UnsortedSegmentSum */) as tf.Tensor1D;
      } else {
        const now = tf.mean(a!, 0) as tf.Tensor1D;
        rate = state.rate instanceof tf.Tensor ? tf.add(state.rate, tf.div(tf.sub(now, state.rate), p.tauSteps)) : now;
        current = rate as tf.Tensor1D;
      }
      // zero total or rate: the factor's upper bound (no division by zero)
      const ratio = tf.div(p.target, tf.maximum(current, p.target / p.maxFactor ** (1 / p.strength)));
      const factor = tf.clipByValue(tf.pow(ratio, p.strength), 1 / p.maxFactor, p.maxFactor) as tf.Tensor1D;
      const perSynapse = layout.kind === 'dense' ? tf.reshape(factor, [1, nPost]) : tf.gather(factor, layout.synapses.post);
      return { w: tf.mul(w, perSynapse), rate };
    });
    return { weights: out.w, state: { rate: out.rate } };
  },
  fused: {
    setup: ({ params, table }) => {
      if (params.mode !== 'total') {
        throw new PlasticityError('E_PARAM', "bio/synaptic-scaling: in a spiking network only mode 'total' runs (the fused engine hands transforms no activity); use the training-step helper for 'rate'");
      }
      const p = params as SynapticScalingParams;
      return {
        apply(w) {
          for (let j = 0; j < table.nPost; j++) {
            let total = 0;
            forEachInColumn(table, j, (k) => { total += Math.abs(w[k]!); });
            const ratio = p.target / Math.max(total, p.target / p.maxFactor ** (1 / p.strength));
            const f = Math.min(p.maxFactor, Math.max(1 / p.maxFactor, ratio ** p.strength));
            forEachInColumn(table, j, (k) => { w[k] = w[k]! * f; });
          }
        },
      };
    },
  },
});

/** The host kernel of mode 'total': Σ|W[:, j]| per postsynaptic neuron (float64), the factor as the
 *  tensor form computes it, then W[:, j]·factor_j in float32. `post`: the stored synapses' posts (sparse).
 *  The sums and products run in the WebAssembly kernels where they can (totals and factors in `scratch`). */
function scaleTotalHost(w: Float32Array, post: Int32Array | null, nPost: number, p: SynapticScalingParams, out: Float32Array, scratch: Float32Array | null): void {
  const n = w.length;
  const k = wasmKernels();
  const at = k && scratch ? pointers(k, post ? [w, out, scratch, post] : [w, out, scratch]) : null;
  if (at && at[2]! % 8 === 0) { // the totals are float64
    const [pw, pOut, pTotals, pPost] = at as [number, number, number, number | undefined];
    const pFactor = pTotals + 8 * nPost;
    if (pPost !== undefined) k!.exports.postTotals(pw, pPost, n, pTotals, nPost);
    else k!.exports.columnTotals(pw, n / nPost, nPost, pTotals);
    scalingFactors(new Float64Array(k!.memory.buffer, pTotals, nPost), p, new Float32Array(k!.memory.buffer, pFactor, nPost));
    if (pPost !== undefined) k!.exports.scaleByPost(pw, pPost, pFactor, pOut, n);
    else k!.exports.scaleColumns(pw, n / nPost, nPost, pFactor, pOut);
    return;
  }
  const total = new Float64Array(nPost);
  if (post) for (let k = 0; k < n; k++) { const j = post[k]!; total[j] = total[j]! + Math.abs(w[k]!); }
  else for (let k = 0; k < n;) for (let j = 0; j < nPost; j++, k++) total[j] = total[j]! + Math.abs(w[k]!);
  const factor = scalingFactors(total, p, new Float32Array(nPost));
  if (post) for (let k = 0; k < n; k++) out[k] = w[k]! * factor[post[k]!]!;
  else {
    for (let k = 0; k < n;) for (let j = 0; j < nPost; j++, k++) out[k] = w[k]! * factor[j]!;
  }
}

/** Each postsynaptic neuron's factor from its total (as the tensor form computes it), into `factor`. */
function scalingFactors(total: Float64Array, p: SynapticScalingParams, factor: Float32Array): Float32Array {
  const floor = p.target / p.maxFactor ** (1 / p.strength);
  const lo = 1 / p.maxFactor, hi = p.maxFactor, s = p.strength;
  for (let j = 0; j < total.length; j++) {
    const ratio = p.target / Math.max(Math.fround(total[j]!), floor);
    // ratio^s as e^(s·ln ratio): a third of Math.pow's time in V8, equal to it within 1e-15
    factor[j] = Math.min(hi, Math.max(lo, Math.exp(s * Math.log(ratio))));
  }
  return factor;
}
