import * as tf from '@tensorflow/tfjs-core';
import { defineRule, type Rule, type RuleStepIO } from '@plasticity/core';
import { rateKernelConfig } from './fused/rate.js';
import {
  BATCH_REDUCE,
  stateShape,
  type StepShape,
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
// y ([batch, nPost]) of this step. With traceTauMs = 0 the values are used as given; with
// traceTauMs > 0 both are first low-pass filtered, x̄ ← x̄·d + (1 − d)·x with d = e^(−dt/τ) (unit
// gain: a constant rate passes unchanged, a 0/1 spike train becomes its firing probability per step),
// and the rule uses x̄ and ȳ — the way to drive these rules with spikes. The learning rate `eta`
// applies once per step() call. Bounds are optional (null = unbounded).

type RateCommon = {
  /** Learning rate η per step (dimensionless per update). */
  readonly eta: number;
  /** Optional lower bound (null: none). */
  readonly wMin: number | null;
  /** Optional upper bound (null: none). */
  readonly wMax: number | null;
  readonly batchReduce: BatchReduce;
  /** 0: use x and y as given; > 0: low-pass filter them with this time constant (ms) first. */
  readonly traceTauMs: number;
};

function validateCommon(v: Problems, p: RateCommon): void {
  v.finite('eta', p.eta);
  v.nonNegative('traceTauMs', p.traceTauMs);
  v.optionalBounds(p.wMin, p.wMax);
  v.oneOf('batchReduce', p.batchReduce, BATCH_REDUCE);
}

/** Filtered activity x̄ [batch, nPre] and ȳ [batch, nPost] (used when traceTauMs > 0). */
export type RateState = {
  readonly xBar: tf.Tensor2D;
  readonly yBar: tf.Tensor2D;
};

function initRate(name: string, dims: unknown): RateState {
  const d = checkDims(name, dims);
  return { xBar: tf.zeros([d.batch, d.nPre]), yBar: tf.zeros([d.batch, d.nPost]) };
}

function rateDims(name: string, state: RateState): StepShape {
  const [batch, nPre] = stateShape(name, 'xBar', state?.xBar, 2) as [number, number];
  const nPost = stateShape(name, 'yBar', state.yBar, 2)[1]!;
  checkStateTensor(name, 'yBar', state.yBar, [batch, nPost]);
  return { batch, nPre, nPost };
}

/** x and y of this step ([batch, n] float32, new tensors) and the next filter state. */
function rateInputs(io: RuleStepIO, state: RateState, p: RateCommon, batch: number): { x: tf.Tensor2D; y: tf.Tensor2D; next: RateState } {
  if (p.traceTauMs === 0) {
    return { x: asBatch(io.pre, batch), y: asBatch(io.post, batch), next: state };
  }
  const d = decayFactor(io.dtMs, p.traceTauMs);
  const [xBar, yBar] = tf.tidy(() => [
    tf.add(tf.mul(state.xBar, d), tf.mul(asBatch(io.pre, batch), 1 - d)) as tf.Tensor2D,
    tf.add(tf.mul(state.yBar, d), tf.mul(asBatch(io.post, batch), 1 - d)) as tf.Tensor2D,
  ]);
  // The filtered values are both this step's input and the next state: hand out copies to dispose.
  const [x, y] = tf.tidy(() => [tf.clone(xBar!), tf.clone(yBar!)]);
  return { x: x!, y: y!, next: { xBar: xBar!, yBar: yBar! } };
}

/**
 * The step all three rate rules share: validate, read this step's (filtered) x and y, hand them to
 * `update` with the batch-scaled learning rate, release them, and on failure release the new
 * filter state too, so a throwing step changes nothing.
 */
function rateStep<P extends RateCommon>(name: string, validate: (p: P) => string[], io: RuleStepIO, state: RateState, p: P,
  update: (x: tf.Tensor2D, y: tf.Tensor2D, eta: number) => void): RateState {
  assertValid(name, validate, p);
  const dims = rateDims(name, state);
  checkStepIO(name, io, dims);
  const { x, y, next } = rateInputs(io, state, p, dims.batch);
  try {
    update(x, y, p.eta * batchScale(p.batchReduce, dims.batch));
  } catch (error) {
    if (next !== state) tf.dispose([next.xBar, next.yBar]);
    throw error;
  } finally {
    tf.dispose([x, y]);
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Hebbian

export type HebbianParams = RateCommon;
export const HEBBIAN_NAME = 'core/hebbian';
export const HEBBIAN_DEFAULTS: HebbianParams = { eta: 1e-3, wMin: null, wMax: null, batchReduce: 'sum', traceTauMs: 0 };

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
  fused: rateKernelConfig<HebbianParams>(HEBBIAN_NAME, 'hebbian'),
  init(dims, params) {
    assertValid(HEBBIAN_NAME, validateHebbian, params);
    return initRate(HEBBIAN_NAME, dims);
  },
  step(io: RuleStepIO, state: RateState, p: HebbianParams): RateState {
    return rateStep(HEBBIAN_NAME, validateHebbian, io, state, p, (x, y, eta) => io.conn.addOuter(x, y, eta, toBounds(p.wMin, p.wMax)));
  },
});

// ---------------------------------------------------------------------------------------------
// Oja

export type OjaParams = RateCommon;
export const OJA_NAME = 'core/oja';
export const OJA_DEFAULTS: OjaParams = { eta: 1e-2, wMin: null, wMax: null, batchReduce: 'sum', traceTauMs: 0 };

/** Oja's parameters are the plain Hebbian ones, and so are their checks. */
export const validateOja: (p: OjaParams) => string[] = validateHebbian;

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
  fused: rateKernelConfig<OjaParams>(OJA_NAME, 'oja'),
  init(dims, params) {
    assertValid(OJA_NAME, validateOja, params);
    return initRate(OJA_NAME, dims);
  },
  step(io: RuleStepIO, state: RateState, p: OjaParams): RateState {
    return rateStep(OJA_NAME, validateOja, io, state, p, (x, y, eta) => {
      const y2 = tf.tidy(() => tf.sum(tf.square(y), 0) as tf.Tensor1D);
      try {
        io.conn.mapSynapses(
          (w, ctx) =>
            tf.tidy(() => {
              const hebb = perSynapseOuter(x, y, ctx);
              const decay = tf.mul(tf.gather(y2, ctx.post), w);
              return tf.add(w, tf.mul(tf.sub(hebb, decay), eta)) as tf.Tensor1D;
            }),
          undefined,
          toBounds(p.wMin, p.wMax),
        );
      } finally {
        y2.dispose();
      }
    });
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
export const BCM_DEFAULTS: BcmParams = { eta: 1e-3, tauThetaMs: 100, thetaInit: 0, wMin: null, wMax: null, batchReduce: 'sum', traceTauMs: 0 };

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
  fused: rateKernelConfig<BcmParams>(BCM_NAME, 'bcm'),
  init(dims, params) {
    assertValid(BCM_NAME, validateBcm, params);
    const rate = initRate(BCM_NAME, dims);
    return { ...rate, theta: tf.fill([rate.yBar.shape[1]], params.thetaInit) as tf.Tensor1D };
  },
  step(io: RuleStepIO, state: BcmState, p: BcmParams): BcmState {
    assertValid(BCM_NAME, validateBcm, p);
    checkStateTensor(BCM_NAME, 'theta', state.theta, [rateDims(BCM_NAME, state).nPost]);
    let y2: tf.Tensor | undefined;
    const next = rateStep(BCM_NAME, validateBcm, io, state, p, (x, y, eta) => {
      const phi = tf.tidy(() => tf.mul(y, tf.sub(y, state.theta)));
      y2 = tf.tidy(() => tf.mean(tf.square(y), 0));
      try {
        io.conn.addOuter(x, phi, eta, toBounds(p.wMin, p.wMax));
      } catch (error) {
        y2.dispose();
        throw error;
      } finally {
        phi.dispose();
      }
    });
    const d = decayFactor(io.dtMs, p.tauThetaMs);
    const theta = tf.tidy(() => tf.add(tf.mul(state.theta, d), tf.mul(y2!, 1 - d)) as tf.Tensor1D);
    y2!.dispose();
    return { xBar: next.xBar, yBar: next.yBar, theta };
  },
});
