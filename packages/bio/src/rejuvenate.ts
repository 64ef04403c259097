import { createRng, defineTransform, describeValue, type Rng, type Transform } from '@plasticity/core';
import type { FusedTransform } from '@plasticity/core/fused';
import * as tf from '@tensorflow/tfjs-core';
import { DALE_SIGN, layoutOf, ParamProblems, signLayout, type BioInput } from './checks.js';
import { DRAW_BLOCK, drawBlockFloats, normalArray, normalAt, normalDraws, rawUint32, rngFields, rngFrom, uniformArray, unit, wasmDrawBlocks, type RngFields } from './draws.js';
import { KERNEL_CONSTANTS, pointers, wasmKernels } from './wasm.js';
import { hostKernel, useHost } from './host.js';

export interface RejuvenateParams {
  [key: string]: string | number | boolean;
  /** Rejuvenation strength d_re (rejuvenation_parameter_dre): higher → fewer weights re-drawn. */
  dre: number;
  /** 'lognormal' (newer reference): p = exp(−dre·|w|/std(W)), new magnitudes log-normal;
   *  'classic' (reference v0.0.2): re-drawn where |N(0, max|W|/dre)| > |w|, new weights U(−max|W|, max|W|). */
  mode: 'lognormal' | 'classic';
  /** Every weight is clamped to [−limit, limit] first (the reference clamps to [−1, 1]); 0: no clamp. */
  limit: number;
  /** true: the reference's lognormal exactly (moments of W, not |W|; σ halved; new weights always
   *  positive). false: moments of |W|, the replaced weight's sign kept (random for 0 and NaN). */
  compat: boolean;
  /** Rejuvenate on every n-th step only (1: every step, as the reference). */
  everySteps: number;
  /** Seed of the fused form in a spiking network (the fused engine hands transforms no random stream);
   *  the training-step helper seeds each weight tensor from its own seed instead. */
  seed: number;
}

export const REJUVENATE_DEFAULTS: RejuvenateParams = { dre: 8.0, mode: 'lognormal', limit: 1, compat: false, everySteps: 1, seed: 0 };

export function validateRejuvenate(p: RejuvenateParams): string[] {
  const c = new ParamProblems();
  c.positive('dre', p.dre);
  c.oneOf('mode', p.mode, ['lognormal', 'classic']);
  c.nonNegative('limit', p.limit);
  c.add(typeof p.compat === 'boolean', `compat must be a boolean, got ${describeValue(p.compat)}`);
  c.integer('everySteps', p.everySteps, 1);
  c.integer('seed', p.seed, 0);
  return c.list;
}

export type RejuvenateState = RngFields & { readonly [key: string]: number; readonly calls: number };

/** The statistics one rejuvenation step draws from (computed over the finite, clamped weights). */
export interface RejuvenationStats {
  /** std of W (lognormal: spread of the replacement probability). */
  readonly std: number;
  readonly logMean: number;
  readonly logSigma: number;
  /** max |W| (classic). */
  readonly maxAbs: number;
}

/** Lognormal parameters matched to a mean m and standard deviation s (each floored to 1e-8). */
export function lognormalMoments(m: number, s: number, compat: boolean): { logMean: number; logSigma: number } {
  const mean = m > 0 ? m : 1e-8;
  const std = s > 0 ? s : 1e-8;
  const logVar = Math.log(1 + (std * std) / (mean * mean));
  return { logMean: Math.log(mean) - logVar / 2, logSigma: compat ? 0.5 * Math.sqrt(logVar) : Math.sqrt(logVar) };
}

/**
 * Rejuvenation: weak weights are re-drawn with a probability that falls with |w|; NaN weights are always
 * replaced (reference: rejuvenate_weights, rejuvenate_weights_old). Elementwise, so it acts the same on a
 * dense W[pre, post] and on the stored synapses [nnz] of a connection.
 */
export const rejuvenate: Transform<RejuvenateParams, RejuvenateState> = defineTransform<RejuvenateParams, RejuvenateState>({
  name: 'bio/rejuvenate',
  description: 're-draw weak weights with a probability decreasing in |w|; NaN weights always replaced',
  defaults: REJUVENATE_DEFAULTS,
  validate: validateRejuvenate,
  init: (_shape, _params, seed) => ({ calls: 0, ...rngFields(createRng(seed)) }),
  apply(input: BioInput, state, p) {
    const { weights } = input;
    // Dale's signs (bio/dale on the same weights): a re-drawn weight takes its neuron's sign (not in compat)
    const signs = p.compat ? null : signLayout('bio/rejuvenate', input, layoutOf('bio/rejuvenate', input, false));
    const calls = state.calls + 1;
    if (calls % p.everySteps !== 0) return { state: { ...state, calls } };
    const rng = rngFrom(state);
    if (useHost()) {
      const [w] = hostKernel(signs ? [weights, signs.values] : [weights], [weights.shape], ([wv, sv], [out], scratch) => {
        const hs = signs ? { values: sv as Float32Array, stride: signs.stride, period: signs.period } : null;
        if (!rejuvenateWasm(wv as Float32Array, p, rng, out!, scratch, hs)) rejuvenateHost(wv as Float32Array, p, rng, out, hs);
      }, rejuvenateScratch(weights.size));
      return { weights: w!, state: { calls, ...rngFields(rng) } };
    }
    const n = weights.size;
    const shape = weights.shape;
    const u = tf.tensor(uniformArray(rng, n, 0, 1), shape, 'float32');
    const draw = p.mode === 'lognormal' ? normalArray(rng, n, 0, 1) : uniformArray(rng, n, -1, 1);
    const signDraws = !p.compat && p.mode === 'lognormal' ? uniformArray(rng, n, -1, 1) : null;
    const thr = p.mode === 'classic' ? normalArray(rng, n, 0, 1) : null;
    const out = tf.tidy(() => {
      const nan = tf.isNaN(weights);
      let w = tf.where(nan, tf.zerosLike(weights), weights);
      if (p.limit > 0) w = tf.clipByValue(w, -p.limit, p.limit);
      const a = tf.abs(w);
      const d = tf.tensor(draw, shape, 'float32');
      let mask: tf.Tensor;
      let fresh: tf.Tensor;
      if (p.mode === 'lognormal') {
        const x = p.compat ? w : a;
        const m = tf.mean(x);
        const s = tf.sqrt(tf.mean(tf.square(tf.sub(x, m))));
        const mean = tf.where(tf.greater(m, 0), m, tf.scalar(1e-8));
        const std = tf.where(tf.greater(s, 0), s, tf.scalar(1e-8));
        const logVar = tf.log(tf.add(1, tf.div(tf.square(std), tf.square(mean))));
        const logMean = tf.sub(tf.log(mean), tf.div(logVar, 2));
        const logSigma = p.compat ? tf.mul(0.5, tf.sqrt(logVar)) : tf.sqrt(logVar);
        // the reference uses std(W) for the replacement probability in both variants
        const sw = p.compat ? std : (() => { const mw = tf.mean(w); const v = tf.sqrt(tf.mean(tf.square(tf.sub(w, mw)))); return tf.where(tf.greater(v, 0), v, tf.scalar(1e-8)); })();
        const prob = tf.clipByValue(tf.exp(tf.div(tf.mul(-p.dre, a), sw)), 0, 1);
        mask = tf.logicalOr(tf.less(u, prob), nan);
        let mag = tf.exp(tf.add(logMean, tf.mul(logSigma, d)));
        if (p.limit > 0) mag = tf.minimum(mag, p.limit);
        if (p.compat) fresh = mag;
        else if (signs) fresh = tf.mul(mag, signs.values);
        else {
          const old = tf.sign(w);
          const random = tf.sign(tf.tensor(signDraws!, shape, 'float32'));
          fresh = tf.mul(mag, tf.where(tf.equal(old, 0), random, old));
        }
      } else {
        const maxAbs = tf.max(a);
        const t = tf.abs(tf.mul(tf.tensor(thr!, shape, 'float32'), tf.add(tf.div(maxAbs, p.dre), 1e-13)));
        mask = tf.logicalOr(tf.greater(t, a), nan);
        fresh = signs ? tf.mul(tf.mul(tf.abs(d), maxAbs), signs.values) : tf.mul(d, maxAbs);
      }
      return tf.where(mask, fresh, w);
    });
    u.dispose();
    return { weights: out, state: { calls, ...rngFields(rng) } };
  },
  fused: {
    setup: ({ params, synapses }) => rejuvenateFused(params as RejuvenateParams, createRng(params.seed as number).stream('bio/rejuvenate'),
      params.compat ? null : synapses[DALE_SIGN] ?? null),
  },
});

/** The typed-array form (spiking networks): the same algorithm on the stored weights in place; `signs`:
 *  the projection's Dale signs (per synapse), which re-drawn weights take. */
export function rejuvenateFused(p: RejuvenateParams, seedRng: Rng, signs: Float32Array | null = null): FusedTransform {
  let rng = seedRng.clone();
  const start = seedRng.clone();
  let calls = 0;
  return {
    apply(w) {
      calls++;
      if (calls % p.everySteps !== 0) return;
      rejuvenateInPlace(w, p, rng, signs);
    },
    state: () => ({ arrays: {}, data: { calls, ...rngFields(rng) } }),
    setState(_arrays, data) {
      calls = data.calls!;
      rng = rngFrom(data);
    },
    reset() {
      calls = 0;
      rng = start.clone();
    },
  };
}

/** One rejuvenation step on a Float32Array of weights, in place (host arithmetic in float64); with `signs`
 *  (one per weight, Dale's), a re-drawn weight takes that sign. */
export function rejuvenateInPlace(w: Float32Array, p: RejuvenateParams, rng: Rng, signs: Float32Array | null = null): number {
  const n = w.length;
  if (n === 0) return 0;
  const nanAt = new Uint8Array(n);
  let sum = 0, sumAbs = 0, maxAbs = 0;
  for (let k = 0; k < n; k++) {
    let v = w[k]!;
    if (Number.isNaN(v)) { nanAt[k] = 1; v = 0; }
    if (p.limit > 0) v = Math.min(p.limit, Math.max(-p.limit, v));
    w[k] = v;
    sum += v;
    sumAbs += Math.abs(v);
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  let replaced = 0;
  if (p.mode === 'lognormal') {
    const mw = sum / n;
    const ma = p.compat ? mw : sumAbs / n;
    let vw = 0, va = 0;
    for (let k = 0; k < n; k++) {
      vw += (w[k]! - mw) ** 2;
      va += (Math.abs(w[k]!) - ma) ** 2;
    }
    const sw = Math.sqrt(vw / n) > 0 ? Math.sqrt(vw / n) : 1e-8;
    const { logMean, logSigma } = lognormalMoments(ma, p.compat ? Math.sqrt(vw / n) : Math.sqrt(va / n), p.compat);
    for (let k = 0; k < n; k++) {
      const a = Math.abs(w[k]!);
      const prob = Math.min(1, Math.exp((-p.dre * a) / sw));
      if (unit(rng) < prob || nanAt[k]) {
        const z = Math.sqrt(-2 * Math.log(unit(rng))) * Math.cos(2 * Math.PI * unit(rng));
        let mag = Math.exp(logMean + logSigma * z);
        if (p.limit > 0) mag = Math.min(mag, p.limit);
        const s = p.compat ? 1 : signs ? signs[k]! : w[k]! > 0 ? 1 : w[k]! < 0 ? -1 : unit(rng) < 0.5 ? -1 : 1;
        w[k] = s * mag;
        replaced++;
      }
    }
  } else {
    const sigma = maxAbs / p.dre + 1e-13;
    for (let k = 0; k < n; k++) {
      const z = Math.sqrt(-2 * Math.log(unit(rng))) * Math.cos(2 * Math.PI * unit(rng));
      if (Math.abs(z * sigma) > Math.abs(w[k]!) || nanAt[k]) {
        const u = 2 * unit(rng) - 1;
        w[k] = (signs ? signs[k]! * Math.abs(u) : u) * maxAbs;
        replaced++;
      }
    }
  }
  return replaced;
}

const TWO_POW_M32 = 1 / 4294967296;

/**
 * The host kernel of the transform (not of the spiking form above, which draws differently): the same
 * draws in the same order — u = U(0, 1)[n]; lognormal: N(0, 1)[n] then, unless compat, U(−1, 1)[n] for the
 * signs; classic: U(−1, 1)[n] then N(0, 1)[n] — as raw outputs, of which only those used are turned into
 * numbers (a normal only where a weight is replaced), and the same decisions and formulas as the tensor
 * form, in one pass in float64 (statistics summed in float64). With `signs` (Dale's), a re-drawn weight
 * takes the sign of its neuron.
 */
export function rejuvenateHost(weights: Float32Array, p: RejuvenateParams, rng: Rng, out?: Float32Array, signs: HostSigns = null): Float32Array {
  const n = weights.length;
  const lognormal = p.mode === 'lognormal';
  const [nDraw] = drawParts(n, p);
  const raw = rawUint32(rng, drawCount(n, p));
  const w = out ?? new Float32Array(n);
  // each pass is a function of its own: V8 then optimises each loop on its own feedback (one function
  // holding every pass was deoptimised on every call, entering later passes with no type feedback)
  const [sum, sumAbs, maxAbs, nanCount] = clampStats(weights, w, p.limit > 0 ? p.limit : Infinity) as unknown as [number, number, number, number];
  const nan = nanCount > 0 ? weights : null;
  if (lognormal) {
    const mw = sum / n, ma = sumAbs / n;
    const [vw, va] = variances(w, mw, ma);
    const sdw = Math.sqrt(vw / n);
    const sw = sdw > 0 ? sdw : 1e-8;
    const { logMean, logSigma } = lognormalMoments(p.compat ? mw : ma, p.compat ? sdw : Math.sqrt(va / n), p.compat);
    redrawLognormal(w, nan, raw, p.dre / sw, logMean, logSigma, Math.fround(p.limit > 0 ? p.limit : Infinity), p.compat, n, n + nDraw, signs);
  } else {
    redrawClassic(w, nan, raw, Math.fround(Math.fround(maxAbs) / p.dre + 1e-13), maxAbs, n, n + nDraw, signs);
  }
  return w;
}

/** The raw outputs one step draws after the n uniforms: [the replacement draws, the third block]. */
function drawParts(n: number, p: RejuvenateParams): [number, number] {
  const lognormal = p.mode === 'lognormal';
  return [lognormal ? normalDraws(n) : n, lognormal ? (p.compat ? 0 : n) : normalDraws(n)];
}

/** How many raw outputs one step draws. */
function drawCount(n: number, p: RejuvenateParams): number {
  const [nDraw, nThird] = drawParts(n, p);
  return n + nDraw + nThird;
}

/**
 * Where the parts of the draws the WebAssembly kernels read start in the stream: lognormal the uniforms
 * (0), the normals (n) and, unless compat or with Dale's signs, the sign draws; classic the uniforms of the
 * new weights (n) and the normals (2n). The others are skipped, to the tensor form's stream position.
 */
function drawOffsets(n: number, p: RejuvenateParams, signs: HostSigns): number[] {
  const [nDraw, nThird] = drawParts(n, p);
  if (p.mode === 'classic') return [n, n + nDraw];
  return nThird > 0 && !signs ? [0, n, n + nDraw] : [0, n];
}

/**
 * rejuvenateHost in the WebAssembly kernels (wasm.ts), on the wasm backend's memory: the same draws,
 * statistics and decisions (the re-draw in float32, the tensor form's precision). `scratch`
 * (rejuvenateScratch floats) holds the statistics, the draws of one block (wasmDrawBlocks), the kernels'
 * constants and the list of a block's replaced weights. False where the kernels cannot run (nothing done).
 */
function rejuvenateWasm(weights: Float32Array, p: RejuvenateParams, rng: Rng, out: Float32Array, scratch: Float32Array | null, signs: HostSigns): boolean {
  const k = wasmKernels();
  const at = k && scratch ? pointers(k, [weights, out, scratch, ...(signs ? [signs.values] : [])]) : null;
  if (!at || at[2]! % 8 !== 0) return false; // the statistics are float64
  const [pw, pOut, pStats] = at as [number, number, number];
  const pSigns = signs ? at[3]! : 0, stride = signs?.stride ?? 1, period = signs?.period ?? 0;
  const x = k!.exports;
  const n = weights.length;
  const parts = drawOffsets(n, p, signs);
  const pDraws = pStats + 48, cst = pDraws + 4 * drawBlockFloats(3, n), list = cst + KERNEL_CONSTANTS;
  x.clampStats(pw, pOut, n, p.limit > 0 ? p.limit : Infinity, pStats);
  const [sum, sumAbs, maxAbs, nanCount, sumSq] = new Float64Array(k!.memory.buffer, pStats, 5) as unknown as [number, number, number, number, number];
  const nan = nanCount > 0 ? pw : 0;
  const at0 = (ptr: number, i0: number) => (ptr === 0 ? 0 : ptr + 4 * i0);
  if (p.mode === 'lognormal') {
    const mw = sum / n, ma = sumAbs / n;
    // Σ(v − m)² = Σv² − n·m², ≥ 0 (and Σv² = Σ|v|²)
    const vw = Math.max(0, sumSq - n * mw * mw), va = Math.max(0, sumSq - n * ma * ma);
    const sdw = Math.sqrt(vw / n);
    const { logMean, logSigma } = lognormalMoments(p.compat ? mw : ma, p.compat ? sdw : Math.sqrt(va / n), p.compat);
    const k0 = p.dre / (sdw > 0 ? sdw : 1e-8), limit = Math.fround(p.limit > 0 ? p.limit : Infinity);
    wasmDrawBlocks(k!, rng, pDraws, n, parts, drawCount(n, p), (i0, len, [u, normals, third]) =>
      x.redrawLognormal(pOut + 4 * i0, at0(nan, i0), u!, len, k0, logMean, logSigma, limit, p.compat ? 1 : 0, normals!, third ?? 0, cst, list, pSigns, stride, period, i0));
  } else {
    const sigma = Math.fround(Math.fround(maxAbs) / p.dre + 1e-13);
    wasmDrawBlocks(k!, rng, pDraws, n, parts, drawCount(n, p), (i0, len, [uniform, normals]) =>
      x.redrawClassic(pOut + 4 * i0, at0(nan, i0), len, sigma, maxAbs, uniform!, normals!, cst, pSigns, stride, period, i0));
  }
  return true;
}

/** Floats of scratch rejuvenateWasm needs for n weights. */
function rejuvenateScratch(n: number): number {
  return 12 + drawBlockFloats(3, n) + KERNEL_CONSTANTS / 4 + Math.min(DRAW_BLOCK, n) + 4;
}

const stats = new Float64Array(4);

/** w = clamp(weights, ±lim) with NaN → 0; returns [Σv, Σ|v|, max|v|, NaN count] (float64 sums). */
function clampStats(weights: Float32Array, w: Float32Array, limit: number): Float64Array {
  // the bound read back from a Float64Array, so that V8 keeps it, and the values merged with it,
  // unboxed doubles (an integer bound such as 1 would otherwise make every clip a boxed merge)
  stats[0] = limit;
  const lim = stats[0]!, nLim = -lim;
  let sum = 0, sumAbs = 0, maxAbs = 0, nan = 0;
  for (let k = 0; k < weights.length; k++) {
    let v = weights[k]!;
    if (v !== v) { nan++; v = 0; }
    v = v > lim ? lim : v < nLim ? nLim : v;
    w[k] = v;
    sum += v;
    const a = Math.abs(v); // branch-free (random signs would mispredict a branch)
    sumAbs += a;
    if (a > maxAbs) maxAbs = a;
  }
  stats[0] = sum; stats[1] = sumAbs; stats[2] = maxAbs; stats[3] = nan;
  return stats;
}

/** [Σ(v − mw)², Σ(|v| − ma)²] over w (float64). */
function variances(w: Float32Array, mw: number, ma: number): [number, number] {
  let vw = 0, va = 0;
  for (let k = 0; k < w.length; k++) {
    const v = w[k]!;
    const dv = v - mw, da = Math.abs(v) - ma;
    vw += dv * dv;
    va += da * da;
  }
  return [vw, va];
}

/**
 * The lognormal re-draw of the clamped weights w (nan: the original weights where some were NaN, always
 * replaced): u = raw[k] against exp(−k0·|w_k|); the magnitude from the normal pair at atDraw, the sign
 * kept (compat: positive; a zero takes the sign draw at atThird).
 */
function redrawLognormal(w: Float32Array, nan: Float32Array | null, raw: Uint32Array, k0: number, logMean: number, logSigma: number,
  limit: number, compat: boolean, atDraw: number, atThird: number, signs: HostSigns): void {
  const f32 = Math.fround;
  for (let k = 0; k < w.length; k++) {
    const v = w[k]!;
    const u = f32((raw[k]! + 0.5) * TWO_POW_M32);
    const y = k0 * Math.abs(v);
    const isNan = nan !== null && nan[k] !== nan[k];
    // replaced where u < exp(−y), y >= 0. Since e^y >= 1 + y + y²/2 + y³/6 =: P, u·P >= 1 + 1e-9 proves
    // u > exp(−y) (as Math.exp computes it, to 1e-15) without computing it: most kept weights are decided
    // by this bound alone, with exactly the decision the exponential gives (exp(−0) = 1)
    if (!isNan && (u * (1 + y * (1 + y * (0.5 + y / 6))) >= 1 + 1e-9 || !(y === 0 ? u < 1 : u < Math.min(1, Math.exp(-y))))) continue;
    let mag = Math.exp(logMean + logSigma * f32(normalAt(raw, atDraw, k)));
    if (mag > limit) mag = limit;
    if (compat) w[k] = mag;
    else if (signs) w[k] = signAt(signs, k) * mag;
    else {
      const sign = v > 0 ? 1 : v < 0 ? -1 : -1 + 2 * ((raw[atThird + k]! + 0.5) * TWO_POW_M32) > 0 ? 1 : -1;
      w[k] = sign * mag;
    }
  }
}

/** The classic re-draw: replaced where |z_k·sigma| > |w_k| (z from atThird) or NaN, by U(−1, 1)·maxAbs (from
 *  atDraw; with `signs`, its magnitude with the neuron's sign). */
function redrawClassic(w: Float32Array, nan: Float32Array | null, raw: Uint32Array, sigma: number, maxAbs: number, atDraw: number, atThird: number,
  signs: HostSigns): void {
  const f32 = Math.fround;
  for (let k = 0; k < w.length; k++) {
    const t = Math.abs(f32(normalAt(raw, atThird, k)) * sigma);
    if (t > Math.abs(w[k]!) || (nan !== null && nan[k] !== nan[k])) {
      const u = f32(-1 + 2 * ((raw[atDraw + k]! + 0.5) * TWO_POW_M32));
      w[k] = (signs ? signAt(signs, k) * Math.abs(u) : u) * maxAbs;
    }
  }
}

/** Dale's signs of the weights on the host: values[k], values[⌊k/stride⌋] or values[k mod period] (checks.ts's SignLayout). */
type HostSigns = { readonly values: Float32Array; readonly stride: number; readonly period: number } | null;

function signAt(s: NonNullable<HostSigns>, k: number): number {
  return s.values[s.period > 0 ? k % s.period : s.stride > 1 ? Math.floor(k / s.stride) : k]!;
}
