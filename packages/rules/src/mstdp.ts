import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, defineRule, type Rule, type RuleStepIO, type SynapseContext, type SynapseOps } from '@plasticity/core';
import type { FusedMstdp, FusedMstdpet } from './fused/spec.js';
import { specKernel } from './fused/spec-kernel.js';
import {
  BATCH_REDUCE,
  Problems,
  addTouched,
  asSpikes,
  assertValid,
  batchScale,
  checkDims,
  checkModulator,
  checkStateTensor,
  checkStepIO,
  decayFactor,
  modulatorColumn,
  row,
  stateShape,
  toBounds,
  touchedWhere,
  type BatchReduce,
  type StepShape,
} from './common.js';

/** Parameters of `core/mstdp` (Florian 2007 as BindsNET's MSTDP; times in ms). */
export type MstdpParams = {
  /** Learning rate ν (BindsNET nu[0]). */
  readonly nu: number;
  /** a+ >= 0: jump of the presynaptic eligibility trace P+ per pre spike. */
  readonly aPlus: number;
  /** a− >= 0: magnitude of the (negative) jump of P− per post spike (BindsNET's a_minus = −aMinus). */
  readonly aMinus: number;
  readonly tauPlusMs: number;
  readonly tauMinusMs: number;
  /** Optional bounds (null: none); clip the synapses an update touches. */
  readonly wMin: number | null;
  readonly wMax: number | null;
  readonly batchReduce: BatchReduce;
  /** Name of the network's neuromodulator signal that drives the rule (fused engine and Network). */
  readonly modulator: string;
};

export type MstdpetParams = MstdpParams & {
  /** τz (ms): time constant of the per-synapse eligibility trace z. */
  readonly tauZMs: number;
};

export type MstdpState = {
  /** P+ [batch, nPre] and P− [batch, nPost] (P− <= 0). */
  readonly pPlus: tf.Tensor2D;
  readonly pMinus: tf.Tensor2D;
  /** The previous step's spikes, [batch, nPre] / [batch, nPost]: e(t−1) = P+⊗s_post + s_pre⊗P−. */
  readonly lastPre: tf.Tensor2D;
  readonly lastPost: tf.Tensor2D;
};

export type MstdpetState = MstdpState & {
  /** Eligibility trace z per stored synapse and batch sample, [batch, nnz] in the connection's
   *  storage order ([batch, 0] until the first step sees the connection). */
  readonly z: tf.Tensor2D;
};

export const MSTDP_NAME = 'core/mstdp';
export const MSTDPET_NAME = 'core/mstdpet';

/** BindsNET defaults: a± = ±1, τ± = 20 ms (τz = 25 ms for MSTDPET). */
export const MSTDP_DEFAULTS: MstdpParams = {
  nu: 0.01,
  aPlus: 1,
  aMinus: 1,
  tauPlusMs: 20,
  tauMinusMs: 20,
  wMin: null,
  wMax: null,
  batchReduce: 'sum',
  modulator: 'reward',
};
export const MSTDPET_DEFAULTS: MstdpetParams = { ...MSTDP_DEFAULTS, tauZMs: 25 };

function validateCommon(v: Problems, p: MstdpParams): void {
  v.finite('nu', p.nu);
  v.nonNegative('aPlus', p.aPlus);
  v.nonNegative('aMinus', p.aMinus);
  v.positive('tauPlusMs', p.tauPlusMs);
  v.positive('tauMinusMs', p.tauMinusMs);
  v.optionalBounds(p.wMin, p.wMax);
  v.oneOf('batchReduce', p.batchReduce, BATCH_REDUCE);
  if (typeof p.modulator !== 'string' || p.modulator.length === 0) {
    v.list.push(`modulator must be a non-empty signal name, got ${JSON.stringify(p.modulator)}`);
  }
}

export function validateMstdp(p: MstdpParams): string[] {
  const v = new Problems();
  validateCommon(v, p);
  return v.list;
}

export function validateMstdpet(p: MstdpetParams): string[] {
  const v = new Problems();
  validateCommon(v, p);
  v.positive('tauZMs', p.tauZMs);
  return v.list;
}

function initCommon(name: string, dims: unknown): MstdpState {
  const d = checkDims(name, dims);
  return {
    pPlus: tf.zeros([d.batch, d.nPre]),
    pMinus: tf.zeros([d.batch, d.nPost]),
    lastPre: tf.zeros([d.batch, d.nPre]),
    lastPost: tf.zeros([d.batch, d.nPost]),
  };
}

function mstdpDims(name: string, state: MstdpState): StepShape {
  const [batch, nPre] = stateShape(name, 'pPlus', state?.pPlus, 2) as [number, number];
  const nPost = stateShape(name, 'pMinus', state.pMinus, 2)[1]!;
  checkStateTensor(name, 'pMinus', state.pMinus, [batch, nPost]);
  checkStateTensor(name, 'lastPre', state.lastPre, [batch, nPre]);
  checkStateTensor(name, 'lastPost', state.lastPost, [batch, nPost]);
  return { batch, nPre, nPost };
}

/** P± decay and jump, and this step's spikes become "last" (new tensors). */
function advanceEligibility(state: MstdpState, sPre: tf.Tensor2D, sPost: tf.Tensor2D, dtMs: number, p: MstdpParams): MstdpState {
  return tf.tidy(() => ({
    pPlus: tf.add(tf.mul(state.pPlus, decayFactor(dtMs, p.tauPlusMs)), tf.mul(sPre, p.aPlus)) as tf.Tensor2D,
    pMinus: tf.sub(tf.mul(state.pMinus, decayFactor(dtMs, p.tauMinusMs)), tf.mul(sPost, p.aMinus)) as tf.Tensor2D,
    lastPre: tf.clone(sPre),
    lastPost: tf.clone(sPost),
  }));
}

/**
 * The two parts of e(t−1) per stored synapse and batch sample, [batch, nnz] each, from the previous
 * step's spikes and traces: P+[pre]·s_post[post] (post spike) and s_pre[pre]·P−[post] (pre spike).
 */
function eligibilityParts(state: MstdpState, ctx: SynapseContext): [tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => [
    tf.mul(tf.gather(state.pPlus, ctx.pre, 1), tf.gather(state.lastPost, ctx.post, 1)) as tf.Tensor2D,
    tf.mul(tf.gather(state.lastPre, ctx.pre, 1), tf.gather(state.pMinus, ctx.post, 1)) as tf.Tensor2D,
  ]);
}

/** e(t−1) = P+⊗s_post + s_pre⊗P− per stored synapse and batch sample, [batch, nnz]. */
function pointEligibility(state: MstdpState, ctx: SynapseContext): tf.Tensor2D {
  return tf.tidy(() => tf.add(...eligibilityParts(state, ctx)) as tf.Tensor2D);
}

/**
 * W += scale·Σ_b r_b·e_b(t−1), clipped once on the total (BindsNET clamps after the whole update; clipping
 * the pre and post parts separately gives another weight whenever the first part crosses a bound). Only
 * synapses with a nonzero part of e_b in a rewarded sample are touched (even when the parts cancel), so only
 * those are clipped, as in the fused kernel.
 * Elementwise over the stored synapses (conn.mapSynapses, O(nnz)); skipped when there is no reward.
 */
function applyPointEligibility(conn: SynapseOps, state: MstdpState, modulator: RuleStepIO['modulator'], r: tf.Tensor2D, scale: number, p: MstdpParams): void {
  if (modulator === undefined || modulator === null || modulator === 0) return;
  const bounds = toBounds(p.wMin, p.wMax);
  if (bounds === undefined) {
    // Unbounded: no clipping, so the two parts can go separately and event-driven (cost ∝ spikes × fan).
    applyUnbounded(conn, state, r, scale);
    return;
  }
  conn.mapSynapses((w, ctx) =>
    tf.tidy(() => {
      const [post, pre] = eligibilityParts(state, ctx);
      const delta = tf.mul(tf.sum(tf.mul(tf.add(post, pre), r), 0), scale) as tf.Tensor1D;
      const reached = tf.logicalOr(tf.notEqual(post, 0), tf.notEqual(pre, 0));
      return addTouched(w, delta, touchedWhere(tf.cast(reached, 'float32') as tf.Tensor2D, r), bounds);
    }),
  );
}

/** W += scale·Σ_b r_b·e_b(t−1) without bounds: onPre(s_pre, r·P−) and onPost(r·P+, s_post) (addOuter when batch > 1). */
function applyUnbounded(conn: SynapseOps, state: MstdpState, r: tf.Tensor2D, scale: number): void {
  if (r.shape[0] === 1) {
    const [preActive, postActive, preTerm, postTerm] = tf.tidy(() => [
      row(state.lastPre),
      row(state.lastPost),
      tf.mul(row(tf.mul(state.pMinus, r) as tf.Tensor2D), scale),
      tf.mul(row(tf.mul(state.pPlus, r) as tf.Tensor2D), scale),
    ]);
    try {
      conn.onPre(preActive!, preTerm!);
      conn.onPost(postTerm!, postActive!);
    } finally {
      tf.dispose([preActive!, postActive!, preTerm!, postTerm!]);
    }
    return;
  }
  const [rMinus, rPlus] = tf.tidy(() => [tf.mul(state.pMinus, r), tf.mul(state.pPlus, r)]);
  try {
    conn.addOuter(state.lastPre, rMinus!, scale);
    conn.addOuter(rPlus!, state.lastPost, scale);
  } finally {
    tf.dispose([rMinus!, rPlus!]);
  }
}

function boundsSpec(p: MstdpParams): { wMin?: number; wMax?: number } {
  return { ...(p.wMin === null ? {} : { wMin: p.wMin }), ...(p.wMax === null ? {} : { wMax: p.wMax }) };
}

export function mstdpToFused(p: MstdpParams): FusedMstdp {
  return {
    kind: 'mstdp',
    nu: p.nu,
    aPlus: p.aPlus,
    aMinus: -p.aMinus,
    tauPlusMs: p.tauPlusMs,
    tauMinusMs: p.tauMinusMs,
    modulator: p.modulator,
    ...boundsSpec(p),
  };
}

export function mstdpetToFused(p: MstdpetParams): FusedMstdpet {
  return { ...mstdpToFused(p), kind: 'mstdpet', tauZMs: p.tauZMs };
}

/** The fused kernels of core/mstdp and core/mstdpet; they read the signal named by `modulator`. */
export const mstdpKernel = specKernel<MstdpParams>(MSTDP_NAME, mstdpToFused, () => 'no fused form for these parameters', (p) => p.modulator);
export const mstdpetKernel = specKernel<MstdpetParams>(MSTDPET_NAME, mstdpetToFused, () => 'no fused form for these parameters', (p) => p.modulator);

/**
 * `core/mstdp` — reward-modulated STDP (Florian 2007), as BindsNET's `MSTDP`. Per step, with the
 * neuromodulator r = `io.modulator` (a number, a scalar tensor or one value per batch sample):
 *   1. W += ν·r(t)·e(t−1), e(t−1) = P+⊗s_post + s_pre⊗P− of the previous step, then clipped once to
 *      the optional bounds (as BindsNET), only where e(t−1) != 0 — elementwise over the stored synapses
 *      (conn.mapSynapses); without bounds event-driven (conn.onPre / conn.onPost, addOuter when
 *      batch > 1); skipped when there is no reward;
 *   2. P+ ← P+·e^(−dt/τ+) + a+·s_pre;  P− ← P−·e^(−dt/τ−) − a−·s_post;
 *   3. e(t) = P+⊗s_post + s_pre⊗P− (kept as its factors; nothing per synapse is stored).
 * Batch: Σ_b r_b·e_b ('sum') or its mean. An absent `io.modulator` counts as 0 (no weight change;
 * the traces still advance), as an unset signal of a Network.
 */
export const mstdp: Rule<MstdpParams, MstdpState> = defineRule<MstdpParams, MstdpState>({
  name: MSTDP_NAME,
  description: 'reward-modulated STDP (Florian 2007, BindsNET MSTDP)',
  defaults: MSTDP_DEFAULTS,
  validate: validateMstdp,
  fused: mstdpKernel,
  init(dims, params) {
    assertValid(MSTDP_NAME, validateMstdp, params);
    return initCommon(MSTDP_NAME, dims);
  },
  step(io: RuleStepIO, state: MstdpState, p: MstdpParams): MstdpState {
    assertValid(MSTDP_NAME, validateMstdp, p);
    const dims = mstdpDims(MSTDP_NAME, state);
    checkStepIO(MSTDP_NAME, io, dims);
    checkModulator(MSTDP_NAME, io.modulator, dims.batch);
    const r = modulatorColumn(io.modulator, dims.batch);
    const [sPre, sPost] = tf.tidy(() => [asSpikes(io.pre, dims.batch), asSpikes(io.post, dims.batch)]);
    try {
      applyPointEligibility(io.conn, state, io.modulator, r, p.nu * batchScale(p.batchReduce, dims.batch), p);
      return advanceEligibility(state, sPre!, sPost!, io.dtMs, p);
    } finally {
      tf.dispose([r, sPre!, sPost!]);
    }
  },
});

/**
 * `core/mstdpet` — MSTDP with an eligibility trace (Florian 2007, BindsNET `MSTDPET`). Per step:
 *   1. z ← z·e^(−dt/τz) + e(t−1)/τz   (z per stored synapse);
 *   2. W += ν·dt·r(t)·z (clipped to the optional bounds where z != 0: the synapses it touches);
 *   3. P± and e(t) as in core/mstdp.
 * z is a synapse-level state, so the update runs elementwise over the stored synapses
 * (conn.mapSynapses, O(nnz) per step); z is kept in the connection's storage order, so a state
 * belongs to one connection. Batch: Σ_b r_b·z_b ('sum') or its mean; z is per batch sample.
 */
export const mstdpet: Rule<MstdpetParams, MstdpetState> = defineRule<MstdpetParams, MstdpetState>({
  name: MSTDPET_NAME,
  description: 'reward-modulated STDP with eligibility trace (Florian 2007, BindsNET MSTDPET)',
  defaults: MSTDPET_DEFAULTS,
  validate: validateMstdpet,
  fused: mstdpetKernel,
  init(dims, params) {
    assertValid(MSTDPET_NAME, validateMstdpet, params);
    const common = initCommon(MSTDPET_NAME, dims);
    return { ...common, z: tf.zeros([common.pPlus.shape[0], 0]) };
  },
  step(io: RuleStepIO, state: MstdpetState, p: MstdpetParams): MstdpetState {
    assertValid(MSTDPET_NAME, validateMstdpet, p);
    const dims = mstdpDims(MSTDPET_NAME, state);
    checkStepIO(MSTDPET_NAME, io, dims);
    checkModulator(MSTDPET_NAME, io.modulator, dims.batch);
    const zShape = stateShape(MSTDPET_NAME, 'z', state.z, 2);
    const nnz = io.conn.nnz;
    if (zShape[0] !== dims.batch || (zShape[1] !== 0 && zShape[1] !== nnz)) {
      throw new PlasticityError(
        'E_SHAPE',
        `${MSTDPET_NAME}: state.z has shape [${zShape.join(', ')}] but io.conn has ${nnz} synapses and the batch is ${dims.batch} (a state belongs to one connection)`,
      );
    }
    const r = modulatorColumn(io.modulator, dims.batch);
    const [sPre, sPost] = tf.tidy(() => [asSpikes(io.pre, dims.batch), asSpikes(io.post, dims.batch)]);
    const dz = decayFactor(io.dtMs, p.tauZMs);
    const gain = p.nu * io.dtMs * batchScale(p.batchReduce, dims.batch);
    const kept: { z?: tf.Tensor2D } = {};
    try {
      const bounds = toBounds(p.wMin, p.wMax);
      io.conn.mapSynapses((w, ctx) =>
        tf.tidy(() => {
          const e = pointEligibility(state, ctx);
          const zPrev = state.z.shape[1] === 0 ? tf.zerosLike(e) : state.z;
          const zNext = tf.add(tf.mul(zPrev, dz), tf.div(e, p.tauZMs)) as tf.Tensor2D;
          kept.z?.dispose();
          kept.z = tf.keep(zNext);
          // Touched: z != 0 in a rewarded sample; only those are clipped (silent synapses keep their weight).
          const delta = tf.mul(tf.sum(tf.mul(zNext, r), 0), gain) as tf.Tensor1D;
          return addTouched(w, delta, touchedWhere(zNext, r), bounds);
        }),
      );
      const z = kept.z ?? (tf.zeros([dims.batch, nnz]) as tf.Tensor2D);
      return { ...advanceEligibility(state, sPre!, sPost!, io.dtMs, p), z };
    } catch (error) {
      kept.z?.dispose();
      throw error;
    } finally {
      tf.dispose([r, sPre!, sPost!]);
    }
  },
});
