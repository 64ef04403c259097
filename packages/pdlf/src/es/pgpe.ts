import { PlasticityError, Problems, createRng, describeValue, type JsonValue } from '@plasticity/core';
import { StrategyBase, checkCommonState, checkPerParameter, perParameter, throwProblems } from './base.js';
import { ascentStep, createMoments, type OptimizerMoments, type OptimizerName, type OptimizerSettings } from './optimizer.js';
import { centredRanks, finiteFitness } from './shaping.js';
import type { EsState } from './types.js';

/** PGPE options. Defaults are those the PDLF scripts pass to evojax (pop 256, centre lr 0.01, std lr 0.07, init std 0.04, Adam). */
export interface PgpeOptions {
  /** Number of parameters. */
  readonly dim: number;
  /** Seed of the search's own RNG stream (any safe integer). */
  readonly seed: number;
  /** Population size, even (antithetic pairs): 256. */
  readonly popSize?: number;
  /** Initial centre, a number for every parameter or an array of dim: 0. */
  readonly initCentre?: number | ArrayLike<number>;
  /** Initial standard deviation, > 0, a number or an array of dim: 0.04. */
  readonly initStd?: number | ArrayLike<number>;
  /** Centre learning rate: 0.01. */
  readonly centreLr?: number;
  /** Standard-deviation learning rate: 0.07. */
  readonly stdLr?: number;
  /** Largest relative change of each std in one generation (evojax `stdev_max_change`): 0.2. */
  readonly stdMaxChange?: number;
  /** Rank-transform the fitness to [-0.5, 0.5] (evojax `solution_ranking`): true. */
  readonly rankFitness?: boolean;
  /** Optimizer of the centre: 'adam' (default, as PDLF runs it), 'sgd' (evojax's optimizer=None, with optional momentum) or 'clipup'. */
  readonly optimizer?: OptimizerName;
  /** Adam β1: 0.9. */
  readonly beta1?: number;
  /** Adam β2: 0.999. */
  readonly beta2?: number;
  /** Adam ε: 1e-8. */
  readonly epsilon?: number;
  /** Momentum: 0 for SGD, 0.9 for ClipUp (evojax's defaults). */
  readonly momentum?: number;
  /** ClipUp's largest step: 0.15 (evojax's default). */
  readonly maxSpeed?: number;
  /** The centre learning rate is multiplied by this every `lrDecaySteps` generations (evojax `center_lr_decay_coef`): 1. */
  readonly lrDecayCoef?: number;
  /** evojax `center_lr_decay_steps`: 1000. */
  readonly lrDecaySteps?: number;
  /**
   * The step index of Adam's bias correction. 'evojax' (default): floor(generation / lrDecaySteps), what
   * evojax passes to its optimizer (so with the defaults the correction stays at its first-step value for
   * 1000 generations); 'per-generation': the generation, textbook Adam.
   */
  readonly adamBiasCorrection?: 'evojax' | 'per-generation';
  /** L2 penalty subtracted from the shaped fitness: weightDecay · mean(x²) per member: 0 (evojax's PGPE has none). */
  readonly weightDecay?: number;
}

type Resolved = Required<Omit<PgpeOptions, 'initCentre' | 'initStd'>> & { initCentre: number | ArrayLike<number>; initStd: number | ArrayLike<number> };

export const PGPE_DEFAULTS = {
  popSize: 256, initCentre: 0, initStd: 0.04, centreLr: 0.01, stdLr: 0.07, stdMaxChange: 0.2, rankFitness: true,
  optimizer: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, momentum: 0, maxSpeed: 0.15, lrDecayCoef: 1, lrDecaySteps: 1000,
  adamBiasCorrection: 'evojax', weightDecay: 0,
} as const satisfies Omit<Resolved, 'dim' | 'seed'>;

const KEYS = new Set(['dim', 'seed', ...Object.keys(PGPE_DEFAULTS)]);

/** The options with defaults filled in (ClipUp's momentum defaults to 0.9, SGD's to 0). */
function resolve(options: PgpeOptions): Resolved {
  const momentum = options.optimizer === 'clipup' && options.momentum === undefined ? { momentum: 0.9 } : {};
  return { ...PGPE_DEFAULTS, ...momentum, ...options } as Resolved;
}

/** Every problem with a PGPE configuration ([] when valid). */
export function validatePgpe(options: PgpeOptions): string[] {
  const p = new Problems();
  if (options === null || typeof options !== 'object') return [`options must be an object, got ${describeValue(options)}`];
  for (const key of Object.keys(options)) if (!KEYS.has(key)) p.list.push(`unknown option '${key}' (known: ${[...KEYS].join(', ')})`);
  const o = resolve(options);
  const dimOk = p.add(Number.isSafeInteger(o.dim) && o.dim >= 1, `dim must be an integer >= 1, got ${describeValue(o.dim)}`);
  p.add(Number.isSafeInteger(o.seed), `seed must be a safe integer, got ${describeValue(o.seed)}`);
  p.add(Number.isSafeInteger(o.popSize) && o.popSize >= 2 && o.popSize % 2 === 0,
    `popSize must be an even integer >= 2 (antithetic pairs), got ${describeValue(o.popSize)}`);
  if (dimOk) {
    checkPerParameter(p.list, 'initCentre', o.initCentre, o.dim, false);
    checkPerParameter(p.list, 'initStd', o.initStd, o.dim, true);
  }
  p.nonNegative('centreLr', o.centreLr);
  p.nonNegative('stdLr', o.stdLr);
  if (p.finite('stdMaxChange', o.stdMaxChange)) p.add(o.stdMaxChange >= 0 && o.stdMaxChange < 1, `stdMaxChange must be in [0, 1), got ${o.stdMaxChange}`);
  p.add(typeof o.rankFitness === 'boolean', `rankFitness must be true or false, got ${describeValue(o.rankFitness)}`);
  p.oneOf('optimizer', o.optimizer, ['adam', 'sgd', 'clipup']);
  p.positive('maxSpeed', o.maxSpeed, 'the largest ClipUp step');
  for (const name of ['beta1', 'beta2'] as const) {
    if (p.finite(name, o[name])) p.add(o[name] >= 0 && o[name] < 1, `${name} must be in [0, 1), got ${o[name]}`);
  }
  p.positive('epsilon', o.epsilon, 'it keeps the Adam step finite');
  if (p.finite('momentum', o.momentum)) p.add(o.momentum >= 0 && o.momentum < 1, `momentum must be in [0, 1), got ${o.momentum}`);
  p.positive('lrDecayCoef', o.lrDecayCoef, 'a multiplicative decay');
  p.add(Number.isSafeInteger(o.lrDecaySteps) && o.lrDecaySteps >= 1, `lrDecaySteps must be an integer >= 1, got ${describeValue(o.lrDecaySteps)}`);
  p.oneOf('adamBiasCorrection', o.adamBiasCorrection, ['evojax', 'per-generation']);
  p.nonNegative('weightDecay', o.weightDecay);
  return p.list;
}

/**
 * PGPE (Sehnke et al. 2010) as evojax's `algo/pgpe.py` runs it, the strategy of the PDLF code:
 * antithetic pairs `centre ± noise` with `noise = N(0, 1)·std` per parameter (population order:
 * +noise₀, −noise₀, +noise₁, −noise₁, …); fitness rank-transformed to [-0.5, 0.5]; with K = pop/2 pairs,
 * scores s⁺, s⁻ and baseline b = mean of all scores,
 *   ∇centre = mean_k noise_k·(s⁺_k − s⁻_k)/2,
 *   ∇std    = mean_k ((s⁺_k + s⁻_k)/2 − b)·(noise_k² − std²)/std;
 * the centre takes an optimizer ascent step (Adam by default), the std moves by `stdLr·∇std`, clipped
 * to within ±stdMaxChange·std of its old value. Higher fitness is better.
 */
export class PGPE extends StrategyBase {
  readonly algorithm = 'pgpe' as const;
  private readonly options: Resolved;
  private readonly settings: OptimizerSettings;
  private stdev: Float64Array;
  private moments: OptimizerMoments;

  constructor(options: PgpeOptions) {
    throwProblems('PGPE', validatePgpe(options));
    const o = resolve(options);
    super(o.dim, o.popSize, createRng(o.seed).stream('pgpe'), perParameter(o.initCentre, o.dim));
    this.options = o;
    this.settings = { optimizer: o.optimizer, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, momentum: o.momentum, maxSpeed: o.maxSpeed };
    this.stdev = perParameter(o.initStd, o.dim);
    this.moments = createMoments(this.settings, o.dim);
  }

  /** The per-parameter standard deviation (float64 copy). */
  get std(): Float64Array {
    return this.stdev.slice();
  }

  /** Continues a search from `state()` (validated first; throws E_CHECKPOINT when it does not fit). */
  static fromState(state: EsState): PGPE {
    const config = (state as Partial<EsState> | null)?.config as Record<string, unknown> | undefined;
    if (!config || typeof config !== 'object') throw new PlasticityError('E_CHECKPOINT', 'not a valid pgpe state: config is missing');
    let es: PGPE;
    try {
      es = new PGPE({ ...(config as unknown as PgpeOptions), initCentre: 0, initStd: PGPE_DEFAULTS.initStd });
    } catch (error) {
      throw new PlasticityError('E_CHECKPOINT', `not a valid pgpe state: ${(error as Error).message}`);
    }
    checkCommonState(state, 'pgpe', es.dim);
    const { stdev, m, v } = state.arrays;
    const adam = es.settings.optimizer === 'adam';
    const fits = (a: unknown, n: number) => a instanceof Float64Array && a.length === n;
    if (!fits(stdev, es.dim) || !fits(m, es.dim) || !fits(v, adam ? es.dim : 0)) {
      throw new PlasticityError('E_CHECKPOINT', `not a valid pgpe state: stdev, m${adam ? ' and v' : ''} must be Float64Arrays of length ${es.dim}`);
    }
    for (let j = 0; j < es.dim; j++) {
      if (!(stdev![j]! > 0) || !Number.isFinite(stdev![j])) throw new PlasticityError('E_CHECKPOINT', `not a valid pgpe state: stdev[${j}] = ${stdev![j]} is not a positive number`);
    }
    es.restoreCommon(state);
    es.stdev = Float64Array.from(stdev!);
    es.moments = { m: Float64Array.from(m!), v: Float64Array.from(v!) };
    return es;
  }

  protected noiseRows(): number {
    return this.popSize / 2;
  }

  protected member(z: Float32Array, i: number, out: Float32Array): void {
    const k = i >> 1;
    const sign = i & 1 ? -1 : 1;
    const c = this.centreValues;
    const s = this.stdev;
    const base = k * this.dim;
    for (let j = 0; j < this.dim; j++) out[j] = c[j]! + sign * (z[base + j]! * s[j]!);
  }

  protected update(fitness: ArrayLike<number>, z: Float32Array): void {
    const o = this.options;
    const dim = this.dim;
    const pairs = this.popSize / 2;
    const scores = o.rankFitness ? centredRanks(fitness) : finiteFitness(fitness);
    if (o.weightDecay > 0) {
      for (let i = 0; i < this.popSize; i++) {
        const x = this.pendingMember(i);
        let sq = 0;
        for (let j = 0; j < dim; j++) sq += x[j]! * x[j]!;
        scores[i] = scores[i]! - (o.weightDecay * sq) / dim;
      }
    }
    let baseline = 0;
    for (let i = 0; i < scores.length; i++) baseline += scores[i]!;
    baseline /= scores.length;

    const gradCentre = new Float64Array(dim);
    const gradStd = new Float64Array(dim);
    const s = this.stdev;
    for (let k = 0; k < pairs; k++) {
      const plus = scores[2 * k]!;
      const minus = scores[2 * k + 1]!;
      const half = (plus - minus) * 0.5;
      const spread = (plus + minus) / 2 - baseline;
      const base = k * dim;
      for (let j = 0; j < dim; j++) {
        const noise = z[base + j]! * s[j]!;
        gradCentre[j] = gradCentre[j]! + noise * half;
        gradStd[j] = gradStd[j]! + (spread * (noise * noise - s[j]! * s[j]!)) / s[j]!;
      }
    }
    for (let j = 0; j < dim; j++) {
      gradCentre[j] = gradCentre[j]! / pairs;
      gradStd[j] = gradStd[j]! / pairs;
    }

    const t = this.gen;
    const decayIndex = Math.floor(t / o.lrDecaySteps);
    const lr = o.centreLr * o.lrDecayCoef ** decayIndex;
    const stepIndex = o.adamBiasCorrection === 'evojax' ? decayIndex : t;
    ascentStep(this.centreValues, gradCentre, lr, stepIndex, this.settings, this.moments);

    for (let j = 0; j < dim; j++) {
      const allowed = Math.abs(s[j]!) * o.stdMaxChange;
      const proposed = s[j]! + o.stdLr * gradStd[j]!;
      s[j] = Math.min(Math.max(proposed, s[j]! - allowed), s[j]! + allowed);
    }
  }

  protected configJson(): { [key: string]: JsonValue } {
    const { initCentre, initStd, ...rest } = this.options;
    // Array initial values are not config: the state's arrays carry the centre and std.
    return { ...rest, initCentre: typeof initCentre === 'number' ? initCentre : null, initStd: typeof initStd === 'number' ? initStd : null };
  }

  protected extraScalars(): { [key: string]: number | null } {
    return {};
  }

  protected extraArrays(): { [key: string]: Float64Array } {
    return { stdev: this.stdev.slice(), m: this.moments.m.slice(), v: this.moments.v.slice() };
  }
}
