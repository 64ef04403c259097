import * as tf from '@tensorflow/tfjs-core';
import { defineRule, type Bounds, type Rule, type RuleStepIO, type SynapseOps, type TraceMode } from '@plasticity/core';
import type { FusedPairStdp } from './fused/spec.js';
import { specKernel } from './fused/spec-kernel.js';
import {
  BATCH_REDUCE,
  Problems,
  addTouched,
  asSpikes,
  assertValid,
  batchScale,
  checkDims,
  checkStateTensor,
  stateShape,
  checkStepIO,
  decayFactor,
  perSynapseOuter,
  row,
  touchedWhere,
  type BatchReduce,
  type StepShape,
} from './common.js';

export const STDP_WEIGHT_DEPENDENCES = ['additive', 'multiplicative', 'soft-bound'] as const;
export type StdpWeightDependence = (typeof STDP_WEIGHT_DEPENDENCES)[number];
/** The pairings are core's trace modes with exact decay (one vocabulary with the fused kernels). */
export const STDP_PAIRINGS = ['all-to-all', 'nearest'] as const satisfies readonly TraceMode[];
export const STDP_SAME_STEP = ['ltp', 'ignore'] as const;
export type StdpSameStep = (typeof STDP_SAME_STEP)[number];
export type StdpPairing = (typeof STDP_PAIRINGS)[number];

/** Parameters of `core/stdp` (JSON; times in ms, amplitudes in weight units). */
export type StdpParams = {
  /** Potentiation window time constant τ+ (ms) of the presynaptic trace. */
  readonly tauPlusMs: number;
  /** Depression window time constant τ− (ms) of the postsynaptic trace. */
  readonly tauMinusMs: number;
  /** A+ > = 0: potentiation amplitude (weight units) for a pre→post pair at Δt → 0+. */
  readonly aPlus: number;
  /** A− >= 0: depression amplitude (weight units, a magnitude) for a post→pre pair at Δt → 0+. */
  readonly aMinus: number;
  /** Lower weight bound (hard clip for 'additive'; soft bound for the others). */
  readonly wMin: number;
  /** Upper weight bound. */
  readonly wMax: number;
  readonly weightDependence: StdpWeightDependence;
  /** μ+ of 'multiplicative' (Gütig et al. 2003): LTP ∝ (wMax − w)^μ+. 0 = additive, 1 = multiplicative. */
  readonly muPlus: number;
  /** μ− of 'multiplicative': LTD ∝ (w − wMin)^μ−. */
  readonly muMinus: number;
  readonly pairing: StdpPairing;
  /**
   * A pre and a post spike in the same step: 'ltp' pairs them as Δt = 0 (Brian2's order, the fused
   * engine's); 'ignore' does not pair them (both traces take their spikes after both updates, the
   * BrainEvent recipe; generic path only).
   */
  readonly sameStepPairs: StdpSameStep;
  readonly batchReduce: BatchReduce;
};

/** Rule state: one presynaptic and one postsynaptic trace per batch sample. */
export type StdpState = {
  /** Presynaptic trace x_pre, [batch, nPre] (τ+). */
  readonly xPre: tf.Tensor2D;
  /** Postsynaptic trace x_post, [batch, nPost] (τ−). */
  readonly xPost: tf.Tensor2D;
};

export const STDP_NAME = 'core/stdp';

/** Song, Miller & Abbott (2000) / Brian2's example: τ± = 20 ms, A−/A+ = 1.05, additive, weights in [0, 1]. */
export const STDP_DEFAULTS: StdpParams = {
  tauPlusMs: 20,
  tauMinusMs: 20,
  aPlus: 0.01,
  aMinus: 0.0105,
  wMin: 0,
  wMax: 1,
  weightDependence: 'additive',
  muPlus: 1,
  muMinus: 1,
  pairing: 'all-to-all',
  sameStepPairs: 'ltp',
  batchReduce: 'sum',
};

export function validateStdp(p: StdpParams): string[] {
  const v = new Problems();
  v.positive('tauPlusMs', p.tauPlusMs);
  v.positive('tauMinusMs', p.tauMinusMs);
  v.nonNegative('aPlus', p.aPlus);
  v.nonNegative('aMinus', p.aMinus);
  v.bounds(p.wMin, p.wMax);
  v.oneOf('weightDependence', p.weightDependence, STDP_WEIGHT_DEPENDENCES);
  v.nonNegative('muPlus', p.muPlus);
  v.nonNegative('muMinus', p.muMinus);
  v.oneOf('pairing', p.pairing, STDP_PAIRINGS);
  v.oneOf('sameStepPairs', p.sameStepPairs, STDP_SAME_STEP);
  v.oneOf('batchReduce', p.batchReduce, BATCH_REDUCE);
  return v.list;
}

/** Weight factor of LTP, f+(w): 1 (additive), (wMax − w)₊^μ+ (multiplicative), (wMax − w)₊ (soft-bound). */
export function ltpFactor(w: tf.Tensor, p: StdpParams): tf.Tensor {
  return tf.tidy(() => {
    if (p.weightDependence === 'additive') return tf.onesLike(w);
    const room = tf.relu(tf.sub(p.wMax, w));
    return p.weightDependence === 'soft-bound' ? room : tf.pow(room, tf.scalar(p.muPlus));
  });
}

/** Weight factor of LTD, f−(w): 1 (additive), (w − wMin)₊^μ− (multiplicative), (w − wMin)₊ (soft-bound). */
export function ltdFactor(w: tf.Tensor, p: StdpParams): tf.Tensor {
  return tf.tidy(() => {
    if (p.weightDependence === 'additive') return tf.onesLike(w);
    const room = tf.relu(tf.sub(w, p.wMin));
    return p.weightDependence === 'soft-bound' ? room : tf.pow(room, tf.scalar(p.muMinus));
  });
}

/** Trace update after the weight update: x + s (all-to-all) or 1 where s fired (nearest). */
export function advanceTrace(decayed: tf.Tensor2D, spikes: tf.Tensor2D, pairing: StdpPairing): tf.Tensor2D {
  return tf.tidy(() =>
    (pairing === 'nearest' ? tf.where(tf.greater(spikes, 0), tf.onesLike(decayed), decayed) : tf.add(decayed, spikes)) as tf.Tensor2D,
  );
}

function stdpDims(state: StdpState): StepShape {
  const [batch, nPre] = stateShape(STDP_NAME, 'xPre', state?.xPre, 2) as [number, number];
  const nPost = stateShape(STDP_NAME, 'xPost', state.xPost, 2)[1]!;
  checkStateTensor(STDP_NAME, 'xPost', state.xPost, [batch, nPost]);
  return { batch, nPre, nPost };
}

/**
 * Applies one step of pair STDP to `conn` and returns the new traces. Ordering (every format, every
 * weight dependence; Brian2's order, `on_pre` before `on_post`, as the fused kernel):
 * 1. decay both traces: x_pre ← x_pre·e^(−dt/τ+), x_post ← x_post·e^(−dt/τ−);
 * 2. pre pathway — depression for active pre i: W[i,j] += −A−·f−(W[i,j])·x_post[j]   (conn.onPre),
 *    clipped to [wMin, wMax]; then the pre spikes enter x_pre (x += s, or x = 1 under 'nearest');
 * 3. post pathway — potentiation for active post j: W[i,j] += A+·f+(W[i,j])·x_pre[i] (conn.onPost),
 *    clipped; then the post spikes enter x_post.
 * x_post is read before this step's post spikes and x_pre after this step's pre spikes, so a pre
 * and a post spike in the same step pair as Δt = 0 (potentiation A+·f+(W)); every other pair has
 * strictly ordered steps. With sameStepPairs = 'ignore' step 3 reads x_pre without this step's pre
 * spikes (decay, depression, potentiation, then both traces take their spikes).
 */
function applyStdp(
  conn: SynapseOps,
  sPre: tf.Tensor2D,
  sPost: tf.Tensor2D,
  xPreD: tf.Tensor2D,
  xPostD: tf.Tensor2D,
  p: StdpParams,
): StdpState {
  const batch = sPre.shape[0];
  const scale = batchScale(p.batchReduce, batch);
  const bounds: Bounds = { wMin: p.wMin, wMax: p.wMax };
  const xPre = advanceTrace(xPreD, sPre, p.pairing);
  const xPreLtp = p.sameStepPairs === 'ignore' ? xPreD : xPre;
  try {
    if (p.weightDependence === 'additive') {
      if (batch === 1) {
        // Event-driven: cost ∝ (active pre × fan-out) + (active post × fan-in).
        const [preActive, postActive, ltd, ltp] = tf.tidy(() => [
          row(sPre),
          row(sPost),
          tf.mul(row(xPostD), -p.aMinus * scale),
          tf.mul(row(xPreLtp), p.aPlus * scale),
        ]);
        try {
          conn.onPre(preActive!, ltd!, bounds);
          conn.onPost(ltp!, postActive!, bounds);
        } finally {
          tf.dispose([preActive!, postActive!, ltd!, ltp!]);
        }
      } else {
        // Batched: outer products summed over the batch (rows without a pre spike skip the LTD pass).
        conn.addOuter(sPre, xPostD, -p.aMinus * scale, bounds);
        conn.addOuter(xPreLtp, sPost, p.aPlus * scale, bounds);
      }
    } else {
      // Weight-dependent: the update needs W itself, so it runs elementwise over the stored synapses
      // (O(nnz) per step); depression then potentiation, each clipped, as in the additive case. Only
      // touched synapses are clipped, as in the fused kernel: depression touches the synapses of active
      // pre neurons, potentiation those of active post neurons with a nonzero presynaptic trace.
      conn.mapSynapses((w, ctx) =>
        tf.tidy(() => {
          const ltd = tf.mul(tf.mul(ltdFactor(w, p), perSynapseOuter(sPre, xPostD, ctx)), -p.aMinus * scale) as tf.Tensor1D;
          const w1 = addTouched(w, ltd, touchedWhere(tf.gather(sPre, ctx.pre, 1) as tf.Tensor2D), bounds);
          const ltp = tf.mul(tf.mul(ltpFactor(w1, p), perSynapseOuter(xPreLtp, sPost, ctx)), p.aPlus * scale) as tf.Tensor1D;
          const ltpTouched = touchedWhere(tf.mul(tf.gather(sPost, ctx.post, 1), tf.cast(tf.notEqual(tf.gather(xPreLtp, ctx.pre, 1), 0), 'float32')) as tf.Tensor2D);
          return addTouched(w1, ltp, ltpTouched, bounds);
        }),
      );
    }
  } catch (error) {
    xPre.dispose();
    throw error;
  }
  return { xPre, xPost: advanceTrace(xPostD, sPost, p.pairing) };
}

/**
 * The fused-engine description of the same rule. The engine's 'multiplicative' works on the
 * normalised weight ŵ = (w − wMin)/(wMax − wMin), so A± are rescaled by (wMax − wMin)^μ± to give
 * A±·(wMax − w)^μ+ and A±·(w − wMin)^μ− exactly; undefined (generic path) when wMin = wMax there,
 * and for sameStepPairs = 'ignore' (the engine runs Brian2's order only).
 */
export function stdpToFused(p: StdpParams): FusedPairStdp | undefined {
  if (p.sameStepPairs !== 'ltp') return undefined;
  const base = { kind: 'stdp' as const, tauPlusMs: p.tauPlusMs, tauMinusMs: p.tauMinusMs, traceMode: p.pairing, wMin: p.wMin, wMax: p.wMax };
  if (p.weightDependence === 'additive') return { ...base, aPlus: p.aPlus, aMinus: p.aMinus, weightDependence: 'additive' };
  if (p.wMax <= p.wMin) return undefined;
  if (p.weightDependence === 'soft-bound') return { ...base, aPlus: p.aPlus, aMinus: p.aMinus, weightDependence: 'soft-bound' };
  const range = p.wMax - p.wMin;
  return {
    ...base,
    aPlus: p.aPlus * range ** p.muPlus,
    aMinus: p.aMinus * range ** p.muMinus,
    weightDependence: 'multiplicative',
    muPlus: p.muPlus,
    muMinus: p.muMinus,
  };
}

/** The fused kernel of core/stdp (lazy potentiation for additive STDP where the network allows it). */
export const stdpKernel = specKernel<StdpParams>(STDP_NAME, stdpToFused, (p) =>
  p.sameStepPairs !== 'ltp'
    ? "sameStepPairs 'ignore' has no fused kernel (the engine pairs same-step spikes in Brian2's order)"
    : `weightDependence '${p.weightDependence}' needs wMin < wMax, got wMin=${p.wMin}, wMax=${p.wMax}`);

/**
 * `core/stdp` — pair-based STDP on any SynapseOps connection (Dense, CSR, COO). Weights W[pre, post].
 *
 * Pair window: pre at t, post at t + Δt (Δt >= 0) gives ΔW = A+·f+(W)·e^(−Δt/τ+); post at t, pre at
 * t + Δt (Δt > 0) gives ΔW = −A−·f−(W)·e^(−Δt/τ−). `pairing` picks all pairs ('all-to-all', traces x += s) or
 * only the nearest earlier partner of each spike ('nearest', traces reset to 1: symmetric
 * nearest-neighbour as NEST's stdp_nn_symm). Batch: per-sample traces, updates summed ('sum') or
 * averaged ('mean') over the batch. `step` never disposes its input state (see releaseState).
 */
export const stdp: Rule<StdpParams, StdpState> = defineRule<StdpParams, StdpState>({
  name: STDP_NAME,
  description: 'pair STDP: additive (hard bounds), multiplicative (Gütig μ±) or soft-bound; all-to-all or nearest pairing',
  defaults: STDP_DEFAULTS,
  validate: validateStdp,
  fused: stdpKernel,
  init(dims, params) {
    assertValid(STDP_NAME, validateStdp, params);
    const d = checkDims(STDP_NAME, dims);
    return { xPre: tf.zeros([d.batch, d.nPre]), xPost: tf.zeros([d.batch, d.nPost]) };
  },
  step(io: RuleStepIO, state: StdpState, p: StdpParams): StdpState {
    assertValid(STDP_NAME, validateStdp, p);
    const dims = stdpDims(state);
    checkStepIO(STDP_NAME, io, dims);
    const { batch } = dims;
    const [sPre, sPost, xPreD, xPostD] = tf.tidy(() => [
      asSpikes(io.pre, batch),
      asSpikes(io.post, batch),
      tf.mul(state.xPre, decayFactor(io.dtMs, p.tauPlusMs)) as tf.Tensor2D,
      tf.mul(state.xPost, decayFactor(io.dtMs, p.tauMinusMs)) as tf.Tensor2D,
    ]);
    try {
      return applyStdp(io.conn, sPre!, sPost!, xPreD!, xPostD!, p);
    } finally {
      tf.dispose([sPre!, sPost!, xPreD!, xPostD!]);
    }
  },
});
