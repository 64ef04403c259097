import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, defineRule, describeValue, type PluginName, type Rng, type Rule, type RuleStepIO, type SynapseArrays, type SynapseContext, type SynapseStructure } from '@plasticity/core';
import { defineFusedKernel, propagate, type FusedKernel, type StepIO, type SynapseTable } from '@plasticity/core/fused';
import { simdInstance, simdModule } from './fused/simd.js';
import { PDLF_WASM_BASE64 } from './fused/wasm-binary.js';
import {
  Problems,
  asBatch,
  assertValid,
  checkDims,
  checkStateTensor,
  checkStepIO,
  perSynapseOuter,
  stateShape,
  type StepShape,
} from './common.js';

// The plasticity rules of the Plasticity-Driven Learning Framework (PDLF), computed as its official
// code computes them. Every synapse owns five evolved coefficients lr, A, B, C, D (per-synapse arrays,
// storage order); x and y are the pre and post activities of this step, optionally low-pass filtered
// (x̄ ← x̄·d + (1 − d)·x, d = e^(−dt/τ); τ = dt gives the official trace x̄/e + x·(1 − 1/e)):
//   core/scp (synaptic cooperation; the control policy):  Δw = lr·(A·x·(y − C) + B·y + D)
//   core/pdp (presynaptic-dependent; the working-memory policy):  Δw = lr·(A·x·y + B·x + C·y + D)
// then, by default, every stored weight of the projection is divided by the largest |w| (the
// official per-layer max-abs normalisation after each step; skipped when all weights are 0, where the
// official code divides by zero). With a batch, x·y, x and y are summed over it (one plastic matrix
// for the batch, as the official batched policy does). `terms` switches terms off for ablations:
// the letters present keep their coefficient, e.g. 'BD' is the official ablation lr·(B·y + D).

export const PDLF_FORMS = ['scp', 'pdp'] as const;
export type PdlfForm = (typeof PDLF_FORMS)[number];
export const PDLF_COEFFICIENTS = ['lr', 'A', 'B', 'C', 'D'] as const;
export const PDLF_NORMALIZE = ['max-abs', 'none'] as const;

export type PdlfParams = {
  /** Which coefficients take part ('ABCD' = the full rule; 'BD' = the official ablation). */
  readonly terms: string;
  /** 'max-abs': divide the projection's weights by their largest |w| after every step (official). */
  readonly normalize: (typeof PDLF_NORMALIZE)[number];
  /** Low-pass time constant of the pre activity (ms); 0 uses it raw (the official input layer). */
  readonly preTauMs: number;
  /** Low-pass time constant of the post activity (ms); 0 uses it raw (the official readout). */
  readonly postTauMs: number;
  /** Initial value of every synapse's coefficients (before an evolution strategy sets them). */
  readonly init: { readonly lr: number; readonly A: number; readonly B: number; readonly C: number; readonly D: number };
  /** Standard deviation of Gaussian noise added to each initial coefficient (seeded per projection). */
  readonly initStd: number;
};

const DEFAULTS: PdlfParams = {
  terms: 'ABCD',
  normalize: 'max-abs',
  preTauMs: 0,
  postTauMs: 0,
  init: { lr: 0.01, A: 1, B: 0, C: 0, D: 0 },
  initStd: 0,
};

export const SCP_NAME: PluginName = 'core/scp';
export const PDP_NAME: PluginName = 'core/pdp';

export function validatePdlf(p: PdlfParams): string[] {
  const v = new Problems();
  v.add(typeof p.terms === 'string' && /^(?!.*(.).*\1)[ABCD]*$/.test(p.terms),
    `terms must be a string of distinct letters from "ABCD" (e.g. "ABCD", "BD"), got ${describeValue(p.terms)}`);
  v.oneOf('normalize', p.normalize, PDLF_NORMALIZE);
  v.nonNegative('preTauMs', p.preTauMs);
  v.nonNegative('postTauMs', p.postTauMs);
  if (v.add(p.init !== null && typeof p.init === 'object', `init must be an object { lr, A, B, C, D }, got ${describeValue(p.init)}`)) {
    for (const k of PDLF_COEFFICIENTS) v.finite(`init.${k}`, p.init[k]);
  }
  v.nonNegative('initStd', p.initStd);
  return v.list;
}

/** Filtered activities x̄ [batch, nPre] and ȳ [batch, nPost] (zeros when a side is unfiltered). */
export type PdlfState = { readonly xBar: tf.Tensor2D; readonly yBar: tf.Tensor2D };

function pdlfDims(name: string, state: PdlfState): StepShape {
  const [batch, nPre] = stateShape(name, 'xBar', state?.xBar, 2) as [number, number];
  const nPost = stateShape(name, 'yBar', state.yBar, 2)[1]!;
  checkStateTensor(name, 'yBar', state.yBar, [batch, nPost]);
  return { batch, nPre, nPost };
}

/** The five coefficient arrays of a projection: `init` plus seeded noise of std `initStd`. */
function pdlfArrays({ nnz }: SynapseStructure, p: PdlfParams, rng: Rng): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const k of PDLF_COEFFICIENTS) {
    const a = p.initStd > 0 ? rng.normal(nnz, p.init[k], p.initStd) : new Float32Array(nnz);
    if (p.initStd === 0) a.fill(p.init[k]);
    out[k] = a;
  }
  return out;
}

function checkArrays(name: string, synapses: SynapseArrays | undefined, nnz: number): SynapseArrays {
  for (const k of PDLF_COEFFICIENTS) {
    const a = synapses?.[k];
    if (!(a instanceof Float32Array) || a.length !== nnz) {
      throw new PlasticityError('E_PARAM', `${name}: io.synapses.${k} must be a Float32Array of length ${nnz} (the connection's stored synapses), got ${describeValue(a)}`);
    }
  }
  return synapses!;
}

/** d and 1 − d of a low-pass filter as float32 scalars (tfjs multiplies by float32). */
function decay(dtMs: number, tauMs: number): [number, number] {
  return tauMs > 0 ? [Math.fround(Math.exp(-dtMs / tauMs)), Math.fround(1 - Math.exp(-dtMs / tauMs))] : [0, 1];
}

/** This step's activity of one side, filtered when τ > 0; returns [value for the rule, next state]. */
function filtered(t: tf.Tensor, bar: tf.Tensor2D, batch: number, dtMs: number, tauMs: number): [tf.Tensor2D, tf.Tensor2D] {
  if (tauMs === 0) return [asBatch(t, batch), bar];
  const [d, d1] = decay(dtMs, tauMs);
  const next = tf.tidy(() => tf.add(tf.mul(bar, d), tf.mul(asBatch(t, batch), d1)) as tf.Tensor2D);
  return [tf.clone(next), next];
}

/** Δw before lr, op by op in float32 (the fused kernel repeats this order exactly). */
function update(form: PdlfForm, on: Set<string>, xy: tf.Tensor1D, xs: tf.Tensor1D, ys: tf.Tensor1D, c: Record<string, tf.Tensor1D>): tf.Tensor1D {
  let u: tf.Tensor1D | null = null;
  const add = (t: tf.Tensor1D) => { u = u === null ? t : (tf.add(u, t) as tf.Tensor1D); };
  if (form === 'pdp') {
    if (on.has('A')) add(tf.mul(c.A!, xy));
    if (on.has('B')) add(tf.mul(c.B!, xs));
    if (on.has('C')) add(tf.mul(c.C!, ys));
  } else {
    if (on.has('A')) add(tf.mul(c.A!, xy));
    if (on.has('A') && on.has('C')) u = tf.sub(u ?? tf.zerosLike(xy), tf.mul(tf.mul(c.A!, c.C!), xs)) as tf.Tensor1D;
    if (on.has('B')) add(tf.mul(c.B!, ys));
  }
  if (on.has('D')) add(c.D!);
  return u ?? (tf.zerosLike(xy) as tf.Tensor1D);
}

function pdlfStep(name: PluginName, form: PdlfForm, io: RuleStepIO, state: PdlfState, p: PdlfParams): PdlfState {
  assertValid(name, validatePdlf, p);
  const dims = pdlfDims(name, state);
  checkStepIO(name, io, dims);
  const synapses = checkArrays(name, io.synapses, io.conn.nnz);
  const [x, xBar] = filtered(io.pre, state.xBar, dims.batch, io.dtMs, p.preTauMs);
  const [y, yBar] = filtered(io.post, state.yBar, dims.batch, io.dtMs, p.postTauMs);
  const on = new Set(p.terms);
  try {
    io.conn.mapSynapses((w, ctx: SynapseContext) => tf.tidy(() => {
      const c = ctx.params;
      const xy = perSynapseOuter(x, y, ctx);
      const xs = tf.gather(tf.sum(x, 0), ctx.pre) as tf.Tensor1D;
      const ys = tf.gather(tf.sum(y, 0), ctx.post) as tf.Tensor1D;
      const next = tf.add(w, tf.mul(c.lr!, update(form, on, xy, xs, ys, c)));
      if (p.normalize === 'none') return next as tf.Tensor1D;
      const m = tf.max(tf.abs(next));
      return tf.where(tf.greater(m, 0), tf.div(next, m), next) as tf.Tensor1D;
    }), synapses);
  } catch (error) {
    tf.dispose([xBar !== state.xBar ? xBar : null, yBar !== state.yBar ? yBar : null].filter((t): t is tf.Tensor2D => t !== null));
    throw error;
  } finally {
    tf.dispose([x, y]);
  }
  return { xBar, yBar };
}

const f = Math.fround;

/**
 * The fused kernel of both forms: the tensor step's arithmetic (each operation rounded to float32 in
 * the same order), so fused = tensor step bit for bit at batch 1. Propagation uses the weights
 * before this step's update, as the official policies read their fast weights before changing them.
 */
export function pdlfKernel(t: SynapseTable, form: PdlfForm, p: PdlfParams, synapses: SynapseArrays, dtMs: number): FusedKernel {
  const { nPre, nPost, dense, rowPtr, rowIdx, rowPos } = t;
  const [dx, dx1] = decay(dtMs, p.preTauMs), [dy, dy1] = decay(dtMs, p.postTauMs);
  const xBar = new Float32Array(nPre), yBar = new Float32Array(nPost);
  const lr = synapses.lr!, A = synapses.A!, B = synapses.B!, C = synapses.C!, D = synapses.D!;
  const on = new Set(p.terms);
  const hasA = on.has('A'), hasB = on.has('B'), hasC = on.has('C'), hasD = on.has('D');
  const normalize = p.normalize === 'max-abs';
  const full = hasA && hasB && hasC && hasD, pdpForm = form === 'pdp';
  const simd = dense && full ? pdlfSimd(t, synapses) : null;

  /** Δw before lr for synapse k with activities xi, yj, in the tensor step's order of operations
   *  (starting from 0 changes nothing: 0 + v = v in float32). */
  const upd = form === 'pdp'
    ? (k: number, xi: number, yj: number): number => {
      let u = 0;
      if (hasA) u = f(A[k]! * f(xi * yj));
      if (hasB) u = f(u + f(B[k]! * xi));
      if (hasC) u = f(u + f(C[k]! * yj));
      if (hasD) u = f(u + D[k]!);
      return u;
    }
    : (k: number, xi: number, yj: number): number => {
      let u = 0;
      if (hasA) u = f(A[k]! * f(xi * yj));
      if (hasA && hasC) u = f(u - f(f(A[k]! * C[k]!) * xi));
      if (hasB) u = f(u + f(B[k]! * yj));
      if (hasD) u = f(u + D[k]!);
      return u;
    };

  const side = (bar: Float32Array, value: Float32Array, d: number, d1: number, tau: number): Float32Array => {
    if (tau === 0) return value;
    for (let i = 0; i < bar.length; i++) bar[i] = f(f(bar[i]! * d) + f(value[i]! * d1));
    return bar;
  };

  return {
    step(io: StepIO) {
      propagate(t, io);
      const x = side(xBar, io.preValue, dx, dx1, p.preTauMs);
      const y = side(yBar, io.postValue, dy, dy1, p.postTauMs);
      const w = io.w;
      if (simd) {
        simd.run(w, x, y, pdpForm, normalize);
        return;
      }
      let m = 0;
      if (dense && full) {
        // the full rule on a dense table, written out (the general loop below calls upd per synapse)
        for (let i = 0, k = 0; i < nPre; i++) {
          const xi = x[i]!;
          for (let j = 0; j < nPost; j++, k++) {
            const yj = y[j]!;
            let u: number;
            if (pdpForm) u = f(f(f(f(A[k]! * f(xi * yj)) + f(B[k]! * xi)) + f(C[k]! * yj)) + D[k]!);
            else u = f(f(f(f(A[k]! * f(xi * yj)) - f(f(A[k]! * C[k]!) * xi)) + f(B[k]! * yj)) + D[k]!);
            const v = f(w[k]! + f(lr[k]! * u));
            w[k] = v;
            const a = Math.abs(v);
            if (a > m) m = a;
          }
        }
      } else if (dense) {
        for (let i = 0, k = 0; i < nPre; i++) {
          const xi = x[i]!;
          for (let j = 0; j < nPost; j++, k++) {
            const v = f(w[k]! + f(lr[k]! * upd(k, xi, y[j]!)));
            w[k] = v;
            const a = Math.abs(v);
            if (a > m) m = a;
          }
        }
      } else {
        for (let i = 0; i < nPre; i++) {
          const xi = x[i]!;
          for (let s = rowPtr[i]!, e = rowPtr[i + 1]!; s < e; s++) {
            const k = rowPos[s]!;
            const v = f(w[k]! + f(lr[k]! * upd(k, xi, y[rowIdx[s]!]!)));
            w[k] = v;
            const a = Math.abs(v);
            if (a > m) m = a;
          }
        }
      }
      if (normalize && m > 0) for (let k = 0; k < w.length; k++) w[k] = f(w[k]! / m);
    },
    // the SIMD path holds copies of the coefficients: a run or step starts by taking them again
    attach() { simd?.takeCoefficients(); },
    state: () => ({ arrays: { xBar: xBar.slice(), yBar: yBar.slice() }, data: {} }),
    setState(arrays) { xBar.set(arrays.xBar!); yBar.set(arrays.yBar!); },
    reset() { xBar.fill(0); yBar.fill(0); },
    traces: () => ({ xBar: Float64Array.from(xBar), yBar: Float64Array.from(yBar) }),
  };
}

/**
 * The full rule on a dense table in the SIMD module (assembly/pdlf.ts): float32 operations in the JS
 * loop's order, so the same weights bit for bit. The weights are copied in and out around each step
 * (a transform may change them between steps); the coefficients are copied when the kernel is built
 * and at every attach (the start of a run or step), since they change only between calls.
 */
function pdlfSimd(t: SynapseTable, synapses: SynapseArrays) {
  const module = simdModule(PDLF_WASM_BASE64);
  if (!module) return null;
  const { nPre, nPost, nnz } = t;
  const inst = simdInstance(module, [nnz * 4, nnz * 4, nnz * 4, nnz * 4, nnz * 4, nnz * 4, nPre * 4, nPost * 4]);
  if (!inst) return null;
  const [oW, oLr, oA, oB, oC, oD, oX, oY] = inst.offsets as [number, number, number, number, number, number, number, number];
  const view = (o: number, n: number) => new Float32Array(inst.buffer, o, n);
  const W = view(oW, nnz), X = view(oX, nPre), Y = view(oY, nPost);
  const coefficients = ([['lr', oLr], ['A', oA], ['B', oB], ['C', oC], ['D', oD]] as const).map(([k, o]) => [synapses[k]!, view(o, nnz)] as const);
  const rows = inst.exports.pdlfRows as (...args: number[]) => number;
  const scale = inst.exports.scale as (w: number, n: number, m: number) => void;
  const takeCoefficients = () => { for (const [from, to] of coefficients) to.set(from); };
  takeCoefficients();
  return {
    takeCoefficients,
    run(w: Float32Array, x: Float32Array, y: Float32Array, pdp: boolean, normalize: boolean): void {
      W.set(w); X.set(x); Y.set(y);
      const m = rows(oW, oLr, oA, oB, oC, oD, oX, oY, nPre, nPost, pdp ? 0 : 1);
      if (normalize && m > 0) scale(oW, nnz, m);
      w.set(W);
    },
  };
}

function pdlfRule(name: PluginName, form: PdlfForm, description: string): Rule<PdlfParams, PdlfState> {
  return defineRule<PdlfParams, PdlfState>({
    name,
    description,
    defaults: DEFAULTS,
    validate: validatePdlf,
    synapseArrays: pdlfArrays,
    fused: defineFusedKernel<PdlfParams>({ rule: name, setup: (ctx) => pdlfKernel(ctx.table, form, ctx.params, ctx.synapses, ctx.dtMs) }),
    init(dims, params) {
      assertValid(name, validatePdlf, params);
      const d = checkDims(name, dims);
      return { xBar: tf.zeros([d.batch, d.nPre]), yBar: tf.zeros([d.batch, d.nPost]) };
    },
    step: (io, state, p) => pdlfStep(name, form, io, state, p),
  });
}

/** `core/scp` — PDLF's control-policy rule: Δw = lr·(A·x·(y − C) + B·y + D), then max-abs normalisation. */
export const scp = pdlfRule(SCP_NAME, 'scp', 'PDLF control rule Δw = lr·(A·x·(y − C) + B·y + D), per-synapse coefficients');
/** `core/pdp` — PDLF's working-memory rule: Δw = lr·(A·x·y + B·x + C·y + D), then max-abs normalisation. */
export const pdp = pdlfRule(PDP_NAME, 'pdp', 'PDLF working-memory rule Δw = lr·(A·x·y + B·x + C·y + D), per-synapse coefficients');
