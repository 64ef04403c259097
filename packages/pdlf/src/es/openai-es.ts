import { PlasticityError, Problems, createRng, describeValue, type JsonValue } from '@plasticity/core';
import { StrategyBase, checkCommonState, checkPerParameter, perParameter, throwProblems } from './base.js';
import { ascentStep, createMoments, type OptimizerMoments, type OptimizerName, type OptimizerSettings } from './optimizer.js';
import { applyWeightDecay, centredRanks, finiteFitness, zScores } from './shaping.js';
import type { EsState } from './types.js';

export type FitnessShaping = 'centred-rank' | 'z-score' | 'none';

/** OpenAI-ES options. Defaults follow evosax's OpenES as evojax wraps it (Adam β1 0.99, σ and lr decay with limits). */
export interface OpenAiEsOptions {
  readonly dim: number;
  readonly seed: number;
  /** Population size: 256 (even when antithetic). */
  readonly popSize?: number;
  /** Mirrored sampling: members 2k and 2k+1 are centre ± σ·ε_k: true. */
  readonly antithetic?: boolean;
  /** Initial centre: 0. */
  readonly initCentre?: number | ArrayLike<number>;
  /** Initial σ (one for all parameters): 0.04. */
  readonly sigma?: number;
  /** σ is multiplied by this after each generation: 0.999. */
  readonly sigmaDecay?: number;
  /** σ never decays below this: 0.01. */
  readonly sigmaLimit?: number;
  /** Learning rate of the centre: 0.01. */
  readonly lr?: number;
  /** The learning rate is multiplied by this after each generation: 0.999. */
  readonly lrDecay?: number;
  /** The learning rate never decays below this: 0.001. */
  readonly lrLimit?: number;
  /** 'centred-rank' (default): ranks / (pop − 1) − 0.5; 'z-score': (f − mean)/std; 'none': raw fitness. */
  readonly fitnessShaping?: FitnessShaping;
  /** L2 penalty subtracted from the shaped fitness, weightDecay · mean(x²) per member: 0. */
  readonly weightDecay?: number;
  /** 'adam' (default), 'sgd' (with momentum) or 'clipup'. */
  readonly optimizer?: OptimizerName;
  /** Adam β1: 0.99 (evosax and estool). */
  readonly beta1?: number;
  /** Adam β2: 0.999. */
  readonly beta2?: number;
  /** Adam ε: 1e-8. */
  readonly epsilon?: number;
  /** SGD and ClipUp momentum: 0.9. */
  readonly momentum?: number;
  /** ClipUp's largest step: 0.15. */
  readonly maxSpeed?: number;
}

type Resolved = Required<Omit<OpenAiEsOptions, 'initCentre'>> & { initCentre: number | ArrayLike<number> };

export const OPENAI_ES_DEFAULTS = {
  popSize: 256, antithetic: true, initCentre: 0, sigma: 0.04, sigmaDecay: 0.999, sigmaLimit: 0.01, lr: 0.01, lrDecay: 0.999,
  lrLimit: 0.001, fitnessShaping: 'centred-rank', weightDecay: 0, optimizer: 'adam', beta1: 0.99, beta2: 0.999, epsilon: 1e-8,
  momentum: 0.9, maxSpeed: 0.15,
} as const satisfies Omit<Resolved, 'dim' | 'seed'>;

const KEYS = new Set(['dim', 'seed', ...Object.keys(OPENAI_ES_DEFAULTS)]);

/** Every problem with an OpenAI-ES configuration ([] when valid). */
export function validateOpenAiEs(options: OpenAiEsOptions): string[] {
  const p = new Problems();
  if (options === null || typeof options !== 'object') return [`options must be an object, got ${describeValue(options)}`];
  for (const key of Object.keys(options)) if (!KEYS.has(key)) p.list.push(`unknown option '${key}' (known: ${[...KEYS].join(', ')})`);
  const o = { ...OPENAI_ES_DEFAULTS, ...options } as Resolved;
  const dimOk = p.add(Number.isSafeInteger(o.dim) && o.dim >= 1, `dim must be an integer >= 1, got ${describeValue(o.dim)}`);
  p.add(Number.isSafeInteger(o.seed), `seed must be a safe integer, got ${describeValue(o.seed)}`);
  p.add(typeof o.antithetic === 'boolean', `antithetic must be true or false, got ${describeValue(o.antithetic)}`);
  if (o.antithetic === false) p.add(Number.isSafeInteger(o.popSize) && o.popSize >= 2, `popSize must be an integer >= 2, got ${describeValue(o.popSize)}`);
  else p.add(Number.isSafeInteger(o.popSize) && o.popSize >= 2 && o.popSize % 2 === 0, `popSize must be an even integer >= 2 with antithetic sampling, got ${describeValue(o.popSize)}`);
  if (dimOk) checkPerParameter(p.list, 'initCentre', o.initCentre, o.dim, false);
  p.positive('sigma', o.sigma, 'the perturbation scale');
  p.nonNegative('sigmaLimit', o.sigmaLimit);
  p.nonNegative('lr', o.lr);
  p.nonNegative('lrLimit', o.lrLimit);
  for (const name of ['sigmaDecay', 'lrDecay'] as const) {
    if (p.finite(name, o[name])) p.add(o[name] > 0 && o[name] <= 1, `${name} must be in (0, 1], got ${o[name]}`);
  }
  p.oneOf('fitnessShaping', o.fitnessShaping, ['centred-rank', 'z-score', 'none']);
  p.nonNegative('weightDecay', o.weightDecay);
  p.oneOf('optimizer', o.optimizer, ['adam', 'sgd', 'clipup']);
  p.positive('maxSpeed', o.maxSpeed, 'the largest ClipUp step');
  for (const name of ['beta1', 'beta2', 'momentum'] as const) {
    if (p.finite(name, o[name])) p.add(o[name] >= 0 && o[name] < 1, `${name} must be in [0, 1), got ${o[name]}`);
  }
  p.positive('epsilon', o.epsilon, 'it keeps the Adam step finite');
  return p.list;
}

/**
 * OpenAI-ES (Salimans et al. 2017; as in estool and evosax): members `centre + σ·ε_i` with ε_i ~ N(0, I)
 * (mirrored pairs by default), shaped fitness F_i (centred ranks by default, then the optional L2 penalty),
 * gradient estimate `g = Σ_i F_i·ε_i / (pop·σ)`, an optimizer ascent step on the centre (Adam by default),
 * then `σ ← max(σ·sigmaDecay, sigmaLimit)` and `lr ← max(lr·lrDecay, lrLimit)`. Higher fitness is better.
 */
export class OpenAIES extends StrategyBase {
  readonly algorithm = 'openai-es' as const;
  private readonly options: Resolved;
  private readonly settings: OptimizerSettings;
  private sigmaValue: number;
  private lrValue: number;
  private moments: OptimizerMoments;

  constructor(options: OpenAiEsOptions) {
    throwProblems('OpenAI-ES', validateOpenAiEs(options));
    const o = { ...OPENAI_ES_DEFAULTS, ...options } as Resolved;
    super(o.dim, o.popSize, createRng(o.seed).stream('openai-es'), perParameter(o.initCentre, o.dim));
    this.options = o;
    this.settings = { optimizer: o.optimizer, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, momentum: o.momentum, maxSpeed: o.maxSpeed };
    this.sigmaValue = o.sigma;
    this.lrValue = o.lr;
    this.moments = createMoments(this.settings, o.dim);
  }

  /** The current perturbation scale. */
  get sigma(): number {
    return this.sigmaValue;
  }

  /** The current learning rate. */
  get lr(): number {
    return this.lrValue;
  }

  static fromState(state: EsState): OpenAIES {
    const config = (state as Partial<EsState> | null)?.config as Record<string, unknown> | undefined;
    if (!config || typeof config !== 'object') throw new PlasticityError('E_CHECKPOINT', 'not a valid openai-es state: config is missing');
    let es: OpenAIES;
    try {
      es = new OpenAIES({ ...(config as unknown as OpenAiEsOptions), initCentre: 0 });
    } catch (error) {
      throw new PlasticityError('E_CHECKPOINT', `not a valid openai-es state: ${(error as Error).message}`);
    }
    checkCommonState(state, 'openai-es', es.dim);
    const { m, v } = state.arrays;
    const { sigma, lr } = state.scalars;
    const adam = es.settings.optimizer === 'adam';
    const fits = (a: unknown, n: number) => a instanceof Float64Array && a.length === n;
    if (!fits(m, es.dim) || !fits(v, adam ? es.dim : 0)) {
      throw new PlasticityError('E_CHECKPOINT', `not a valid openai-es state: m${adam ? ' and v' : ''} must be Float64Arrays of length ${es.dim}`);
    }
    if (!(typeof sigma === 'number' && sigma > 0 && Number.isFinite(sigma)) || !(typeof lr === 'number' && lr >= 0 && Number.isFinite(lr))) {
      throw new PlasticityError('E_CHECKPOINT', `not a valid openai-es state: sigma (${describeValue(sigma)}) must be > 0 and lr (${describeValue(lr)}) >= 0`);
    }
    es.restoreCommon(state);
    es.moments = { m: Float64Array.from(m!), v: Float64Array.from(v!) };
    es.sigmaValue = sigma;
    es.lrValue = lr;
    return es;
  }

  protected noiseRows(): number {
    return this.options.antithetic ? this.popSize / 2 : this.popSize;
  }

  /** Row of ε for member i and its sign. */
  private row(i: number): [number, number] {
    return this.options.antithetic ? [i >> 1, i & 1 ? -1 : 1] : [i, 1];
  }

  protected member(z: Float32Array, i: number, out: Float32Array): void {
    const [k, sign] = this.row(i);
    const c = this.centreValues;
    const sigma = this.sigmaValue;
    const base = k * this.dim;
    for (let j = 0; j < this.dim; j++) out[j] = c[j]! + sign * (sigma * z[base + j]!);
  }

  protected update(fitness: ArrayLike<number>, z: Float32Array): void {
    const o = this.options;
    const dim = this.dim;
    const shaped = o.fitnessShaping === 'centred-rank' ? centredRanks(fitness) : o.fitnessShaping === 'z-score' ? zScores(fitness) : finiteFitness(fitness);
    if (o.weightDecay > 0) {
      applyWeightDecay(shaped, Array.from({ length: this.popSize }, (_, i) => this.pendingMember(i)), o.weightDecay);
    }
    const grad = new Float64Array(dim);
    for (let i = 0; i < this.popSize; i++) {
      const [k, sign] = this.row(i);
      const w = sign * shaped[i]!;
      if (w === 0) continue;
      const base = k * dim;
      for (let j = 0; j < dim; j++) grad[j] = grad[j]! + w * z[base + j]!;
    }
    const scale = 1 / (this.popSize * this.sigmaValue);
    for (let j = 0; j < dim; j++) grad[j] = grad[j]! * scale;
    ascentStep(this.centreValues, grad, this.lrValue, this.gen, this.settings, this.moments);
    this.sigmaValue = Math.max(this.sigmaValue * o.sigmaDecay, o.sigmaLimit);
    this.lrValue = Math.max(this.lrValue * o.lrDecay, o.lrLimit);
  }

  protected configJson(): { [key: string]: JsonValue } {
    const { initCentre, ...rest } = this.options;
    return { ...rest, initCentre: typeof initCentre === 'number' ? initCentre : null };
  }

  protected extraScalars(): { [key: string]: number } {
    return { sigma: this.sigmaValue, lr: this.lrValue };
  }

  protected extraArrays(): { [key: string]: Float64Array } {
    return { m: this.moments.m.slice(), v: this.moments.v.slice() };
  }
}
