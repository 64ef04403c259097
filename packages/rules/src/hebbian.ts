import * as tf from '@tensorflow/tfjs-core';
import { defineRule, type Rule, type RuleStepIO } from '@plasticity/core';
import {
  BATCH_REDUCE,
  Problems,
  asBatch,
  assertValid,
  batchScale,
  checkDims,
  checkStateTensor,
  checkStepIO,
  decayFactor,
  perSynapseOuter,
  toBounds,
  type BatchReduce,
} from './common.js';

// Rate-based rules. `io.pre` is the input x (rates or spikes, [batch, nPre]) and `io.post` the output
// y ([batch, nPost]) of this step; values are used as given (float events scale, spikes count as 1).
// The learning rate `eta` applies once per step() call. Bounds are optional (null = unbounded).

type RateCommon = {
  /** Learning rate η per step (dimensionless per update). */
  readonly eta: number;
  /** Optional lower bound (null: none). */
  readonly wMin: number | null;
  /** Optional upper bound (null: none). */
  readonly wMax: number | null;
  readonly batchReduce: BatchReduce;
};

function validateCommon(v: Problems, p: RateCommon): void {
  v.finite('eta', p.eta);
  v.optionalBounds(p.wMin, p.wMax);
  v.oneOf('batchReduce', p.batchReduce, BATCH_REDUCE);
}

/** Rate rules carry no per-neuron memory except BCM's threshold; the state records the dimensions. */
export type RateState = {
  readonly nPre: number;
  readonly nPost: number;
  readonly batch: number;
};

function rateDims(name: string, state: RateState): { batch: number; nPre: number; nPost: number } {
  const ok = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (state === null || typeof state !== 'object' || !ok(state.nPre) || !ok(state.nPost) || !ok(state.batch) || state.batch < 1) {
    return checkDims(name, state);
  }
  return { batch: state.batch, nPre: state.nPre, nPost: state.nPost };
}

// ---------------------------------------------------------------------------------------------
// Hebbian

export type HebbianParams = RateCommon;
export const HEBBIAN_NAME = 'core/hebbian';
export const HEBBIAN_DEFAULTS: HebbianParams = { eta: 1e-3, wMin: null, wMax: null, batchReduce: 'sum' };

export function validateHebbian(p: HebbianParams): string[] {
  const v = new Problems();
  validateCommon(v, p);
  return v.list;
}

/**
 * `core/hebbian` — plain Hebb: ΔW[i,j] = η·Σ_b x[b,i]·y[b,j] ('sum'; ×1/B under 'mean'), through
 * `conn.addOuter` (only rows with x[i] != 0 are touched; bounds clip the touched synapses).
 */
export const hebbian: Rule<HebbianParams, RateState> = defineRule<HebbianParams, RateState>({
  name: HEBBIAN_NAME,
  description: 'Hebbian rule ΔW = η·x⊗y',
  defaults: HEBBIAN_DEFAULTS,
  validate: validateHebbian,
  init(dims, params) {
    assertValid(HEBBIAN_NAME, validateHebbian, params);
    return { ...checkDims(HEBBIAN_NAME, dims) };
  },
  step(io: RuleStepIO, state: RateState, p: HebbianParams): RateState {
    assertValid(HEBBIAN_NAME, validateHebbian, p);
    const dims = rateDims(HEBBIAN_NAME, state);
    checkStepIO(HEBBIAN_NAME, io, dims);
    const [x, y] = tf.tidy(() => [asBatch(io.pre, dims.batch), asBatch(io.post, dims.batch)]);
    try {
      io.conn.addOuter(x!, y!, p.eta * batchScale(p.batchReduce, dims.batch), toBounds(p.wMin, p.wMax));
    } finally {
      tf.dispose([x!, y!]);
    }
    return state;
  },
});

// ---------------------------------------------------------------------------------------------
// Oja

export type OjaParams = RateCommon;
export const OJA_NAME = 'core/oja';
export const OJA_DEFAULTS: OjaParams = { eta: 1e-2, wMin: null, wMax: null, batchReduce: 'sum' };

export function validateOja(p: OjaParams): string[] {
  const v = new Problems();
  validateCommon(v, p);
  return v.list;
}

/**
 * `core/oja` — Oja (1982): ΔW[i,j] = η·y[j]·(x[i] − y[j]·W[i,j]), with y the postsynaptic
 * activity given in `io.post` (for the classic rule y = xᵀW, computed by the caller). Batched:
 * ΔW[i,j] = η·(Σ_b x[b,i]·y[b,j] − Σ_b y[b,j]²·W[i,j]) ('sum'; ×1/B under 'mean'). The decay term
 * needs W, so the update runs elementwise over the stored synapses (`conn.mapSynapses`, O(nnz)).
 * For a single output with y = xᵀw, w converges to the first principal component with ‖w‖ = 1.
 */
export const oja: Rule<OjaParams, RateState> = defineRule<OjaParams, RateState>({
  name: OJA_NAME,
  description: "Oja's rule ΔW = η·y·(x − y·W)",
  defaults: OJA_DEFAULTS,
  validate: validateOja,
  init(dims, params) {
    assertValid(OJA_NAME, validateOja, params);
    return { ...checkDims(OJA_NAME, dims) };
  },
  step(io: RuleStepIO, state: RateState, p: OjaParams): RateState {
    assertValid(OJA_NAME, validateOja, p);
    const dims = rateDims(OJA_NAME, state);
    checkStepIO(OJA_NAME, io, dims);
    const eta = p.eta * batchScale(p.batchReduce, dims.batch);
    const [x, y, y2] = tf.tidy(() => {
      const yb = asBatch(io.post, dims.batch);
      return [asBatch(io.pre, dims.batch), yb, tf.sum(tf.square(yb), 0) as tf.Tensor1D];
    });
    try {
      io.conn.mapSynapses(
        (w, ctx) =>
          tf.tidy(() => {
            const hebb = perSynapseOuter(x as tf.Tensor2D, y as tf.Tensor2D, ctx);
            const decay = tf.mul(tf.gather(y2!, ctx.post), w);
            return tf.add(w, tf.mul(tf.sub(hebb, decay), eta)) as tf.Tensor1D;
          }),
        undefined,
        toBounds(p.wMin, p.wMax),
      );
    } finally {
      tf.dispose([x!, y!, y2!]);
    }
    return state;
  },
});

// ---------------------------------------------------------------------------------------------
// BCM

export type BcmParams = RateCommon & {
  /** τθ (ms): time constant of the sliding threshold θ ≈ E[y²]; should be faster than learning. */
  readonly tauThetaMs: number;
  /** Initial threshold θ(0) (>= 0). */
  readonly thetaInit: number;
};
export const BCM_NAME = 'core/bcm';
export const BCM_DEFAULTS: BcmParams = { eta: 1e-3, tauThetaMs: 100, thetaInit: 0, wMin: null, wMax: null, batchReduce: 'sum' };

export type BcmState = RateState & {
  /** Sliding threshold θ per postsynaptic neuron, [nPost] (shared by the batch). */
  readonly theta: tf.Tensor1D;
};

export function validateBcm(p: BcmParams): string[] {
  const v = new Problems();
  validateCommon(v, p);
  v.positive('tauThetaMs', p.tauThetaMs);
  v.nonNegative('thetaInit', p.thetaInit);
  return v.list;
}

/**
 * `core/bcm` — Bienenstock, Cooper & Munro (1982): ΔW[i,j] = η·x[i]·y[j]·(y[j] − θ[j]) through
 * `conn.addOuter` (rows with x[i] != 0), then the threshold slides toward E[y²]:
 * θ ← θ·e^(−dt/τθ) + (1 − e^(−dt/τθ))·⟨y²⟩_batch. The weight update of a step uses the θ of the
 * previous step (both derivatives evaluated at the same time, as forward Euler). θ tracks E[y²]
 * as in the BCM literature (BrainCog's E[y] is a deviation we do not copy).
 */
export const bcm: Rule<BcmParams, BcmState> = defineRule<BcmParams, BcmState>({
  name: BCM_NAME,
  description: 'BCM rule ΔW = η·x·y·(y − θ) with θ sliding on E[y²]',
  defaults: BCM_DEFAULTS,
  validate: validateBcm,
  init(dims, params) {
    assertValid(BCM_NAME, validateBcm, params);
    const d = checkDims(BCM_NAME, dims);
    return { ...d, theta: tf.fill([d.nPost], params.thetaInit) as tf.Tensor1D };
  },
  step(io: RuleStepIO, state: BcmState, p: BcmParams): BcmState {
    assertValid(BCM_NAME, validateBcm, p);
    const dims = rateDims(BCM_NAME, state);
    checkStateTensor(BCM_NAME, 'theta', state.theta, [dims.nPost]);
    checkStepIO(BCM_NAME, io, dims);
    const [x, phi, y2] = tf.tidy(() => {
      const y = asBatch(io.post, dims.batch);
      return [asBatch(io.pre, dims.batch), tf.mul(y, tf.sub(y, state.theta)), tf.mean(tf.square(y), 0)];
    });
    try {
      io.conn.addOuter(x!, phi!, p.eta * batchScale(p.batchReduce, dims.batch), toBounds(p.wMin, p.wMax));
      const d = decayFactor(io.dtMs, p.tauThetaMs);
      const theta = tf.tidy(() => tf.add(tf.mul(state.theta, d), tf.mul(y2!, 1 - d)) as tf.Tensor1D);
      return { ...dims, theta };
    } finally {
      tf.dispose([x!, phi!, y2!]);
    }
  },
});
