import { createRng, defineTransform, type Transform } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { layoutOf, ParamProblems, type BioInput } from './checks.js';
import { cosSinUnit, drawBlockFloats, normalArray, normalDraws, rawUint32, rngFields, rngFrom, wasmDrawBlocks, type RngFields } from './draws.js';
import { pointers, wasmKernels, KERNEL_CONSTANTS } from './wasm.js';
import { hostKernel, useHost } from './host.js';

export interface VolumeLrParams {
  [key: string]: number;
  /** Mean factor of a zero weight (base_lr). */
  baseLr: number;
  /** How fast the mean factor falls with the synapse's volume v = |w|/(|w| + 1) (stability_factor). */
  stabilityFactor: number;
  /** Standard deviation of the factor relative to its mean (lr_variability). */
  lrVariability: number;
}

export const VOLUME_LR_DEFAULTS: VolumeLrParams = { baseLr: 0.1, stabilityFactor: 2.0, lrVariability: 0.2 };

export function validateVolumeLr(p: VolumeLrParams): string[] {
  const c = new ParamProblems();
  c.between01('baseLr', p.baseLr);
  c.positive('stabilityFactor', p.stabilityFactor);
  c.positive('lrVariability', p.lrVariability);
  return c.list;
}

/** Mean factor of a weight of magnitude |w|: baseLr·exp(−stabilityFactor·|w|/(|w| + 1)). */
export function volumeMeanFactor(p: VolumeLrParams, w: number): number {
  const a = Math.abs(w);
  return p.baseLr * Math.exp(-p.stabilityFactor * (a / (a + 1)));
}

export type VolumeLrState = RngFields;

/**
 * Volume-dependent learning rate: gradient ← gradient · |N(m, lrVariability·m)| with
 * m = baseLr·exp(−stabilityFactor·|w|/(|w| + 1)), resampled every step (reference: volume_dependent_lr).
 * Larger synapses learn exponentially more slowly; every factor is positive.
 */
export const volumeLr: Transform<VolumeLrParams, VolumeLrState> = defineTransform<VolumeLrParams, VolumeLrState>({
  name: 'bio/volume-lr',
  description: 'larger |w| → exponentially smaller, stochastic, positive gradient factors',
  defaults: VOLUME_LR_DEFAULTS,
  validate: validateVolumeLr,
  init: (_shape, _params, seed) => rngFields(createRng(seed)),
  apply(input: BioInput, state, p) {
    const { weights, gradient } = input;
    layoutOf('bio/volume-lr', input, true);
    const rng = rngFrom(state);
    if (useHost()) {
      const n = weights.size, nRaw = normalDraws(n);
      const [g] = hostKernel([weights, gradient!], [weights.shape], ([w, gr], [out], scratch) => {
        const k = wasmKernels();
        const at = k && scratch ? pointers(k, [w!, gr!, out!, scratch]) : null;
        if (at) {
          const [pw, pg, pOut, pScratch] = at as [number, number, number, number];
          const cst = pScratch + 4 * drawBlockFloats(1, n);
          wasmDrawBlocks(k!, rng, pScratch, n, [0], nRaw, (i0, len, [raw]) =>
            k!.exports.volumeLr(pw + 4 * i0, pg + 4 * i0, raw!, pOut + 4 * i0, len, p.baseLr, -p.stabilityFactor, p.lrVariability, cst));
        }
        else volumeLrHost(w as Float32Array, gr as Float32Array, rawUint32(rng, nRaw), p, out!);
      }, drawBlockFloats(1, n) + KERNEL_CONSTANTS / 4);
      return { gradient: g!, state: rngFields(rng) };
    }
    const z = normalArray(rng, weights.size, 0, 1);
    const g = tf.tidy(() => {
      const a = tf.abs(weights);
      const mean = tf.mul(p.baseLr, tf.exp(tf.mul(-p.stabilityFactor, tf.div(a, tf.add(a, 1)))));
      const factor = tf.abs(tf.mul(mean, tf.add(1, tf.mul(p.lrVariability, tf.tensor(z, weights.shape, 'float32')))));
      return tf.mul(gradient!, factor);
    });
    return { gradient: g, state: rngFields(rng) };
  },
});

const TWO_POW_M32 = 1 / 4294967296;

/** The host kernel: the same draws (z as float32, as normalArray stores them; the angle's cos/sin from
 *  cosSinUnit) and the same formula, in one pass, computed in float64 and rounded once (the tfjs ops round
 *  after each op). */
function volumeLrHost(w: Float32Array, g: Float32Array, raw: Uint32Array, p: VolumeLrParams, out: Float32Array): void {
  const n = w.length;
  const { baseLr, lrVariability } = p;
  const negSf = -p.stabilityFactor;
  const f32 = Math.fround;
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log((raw[i]! + 0.5) * TWO_POW_M32));
    const b = raw[i + 1]!;
    const a0 = Math.abs(w[i]!);
    out[i] = g[i]! * Math.abs(baseLr * Math.exp(negSf * (a0 / (a0 + 1))) * (1 + lrVariability * f32(r * cosSinUnit(b, true))));
    if (i + 1 < n) {
      const a1 = Math.abs(w[i + 1]!);
      out[i + 1] = g[i + 1]! * Math.abs(baseLr * Math.exp(negSf * (a1 / (a1 + 1))) * (1 + lrVariability * f32(r * cosSinUnit(b, false))));
    }
  }
}
