import { PlasticityError, describeValue, type JsonValue, type Params } from '@plasticity/core';

/**
 * `faithful`: the blog's model exactly as the fixed PyTorch peer computes it (inputs [batch, features],
 * state carried across batches row by row). `plastic`: a registered rule as the plastic update, real
 * memory state, and an explicit time axis (inputs [batch, time, features], per-sequence state).
 */
export type SpnMode = 'faithful' | 'plastic';
export const SPN_MODES: readonly SpnMode[] = ['faithful', 'plastic'];

/** A plasticity rule by registry name with (partial) parameters; defaults are filled from the rule. */
export interface RuleSpec {
  readonly name: `${string}/${string}`;
  readonly params?: Params;
}

/** The whole configuration of a network: JSON only, so `toConfig()` / `fromConfig()` round-trip it. */
export interface SpnConfig {
  readonly mode: SpnMode;
  readonly inputDim: number;
  readonly hiddenDim: number;
  readonly outputDim: number;
  /** Seed of the weight initialisation (and of `fit`'s shuffling unless `fit` is given its own). */
  readonly seed: number;
  /** Faithful mode: η of the blog's update W(t) = W(t−1) + η·mean(a(t))·mean(x(t)). */
  readonly plasticityRate: number;
  /** Decay of the running activity a(t) = d·a(t−1) + (1 − d)·x(t) (blog: 0.9). */
  readonly activityDecay: number;
  /** Decay of the memory EMA m(t) = d·m(t−1) + (1 − d)·h(t) (blog: 0.9). */
  readonly memoryDecay: number;
  /** Plastic mode: 0 keeps the memory as one EMA; K ≥ 1 keeps the last K hidden states (a ring buffer). */
  readonly memorySlots: number;
  /** Plastic mode: the rule applied to the first layer's weights after each call. */
  readonly rule: RuleSpec;
}

export const DEFAULT_RULE: RuleSpec = Object.freeze({
  name: 'core/oja',
  params: Object.freeze({ eta: 1e-3, batchReduce: 'mean', wMin: -1, wMax: 1 }),
});

export const SPN_DEFAULTS: Omit<SpnConfig, 'inputDim' | 'outputDim'> = Object.freeze({
  mode: 'faithful',
  hiddenDim: 128,
  seed: 0,
  plasticityRate: 0.01,
  activityDecay: 0.9,
  memoryDecay: 0.9,
  memorySlots: 0,
  rule: DEFAULT_RULE,
});

export type SpnOptions = Partial<SpnConfig> & Pick<SpnConfig, 'inputDim' | 'outputDim'>;

const KEYS = new Set<string>(['mode', 'inputDim', 'hiddenDim', 'outputDim', 'seed', 'plasticityRate', 'activityDecay', 'memoryDecay', 'memorySlots', 'rule']);

function param(message: string): PlasticityError {
  return new PlasticityError('E_PARAM', `SynapticPlasticityNetwork: ${message}`);
}

function dimension(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > 1 << 20) {
    throw param(`${name} must be an integer in [1, 1048576], got ${describeValue(value)}`);
  }
  return value;
}

function decay(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) {
    throw param(`${name} must be a number in [0, 1), got ${describeValue(value)}`);
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, JsonValue> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Fills defaults and validates every field; throws E_PARAM naming the field. Returns a frozen copy. */
export function resolveSpnConfig(options: unknown): SpnConfig {
  if (!isPlainObject(options)) throw param(`config must be an object, got ${describeValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!KEYS.has(key)) throw param(`unknown config field ${JSON.stringify(key)} (known: ${[...KEYS].join(', ')})`);
  }
  const merged = { ...SPN_DEFAULTS, ...options } as Record<string, unknown>;
  if (!SPN_MODES.includes(merged.mode as SpnMode)) throw param(`mode must be 'faithful' or 'plastic', got ${describeValue(merged.mode)}`);
  const seed = merged.seed;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw param(`seed must be an integer, got ${describeValue(seed)}`);
  const rate = merged.plasticityRate;
  if (typeof rate !== 'number' || !Number.isFinite(rate)) throw param(`plasticityRate must be a finite number, got ${describeValue(rate)}`);
  const slots = merged.memorySlots;
  if (typeof slots !== 'number' || !Number.isSafeInteger(slots) || slots < 0 || slots > 4096) {
    throw param(`memorySlots must be an integer in [0, 4096], got ${describeValue(slots)}`);
  }
  if (merged.mode === 'faithful' && slots !== 0) {
    throw param(`memorySlots is a plastic-mode option (the blog's slots are all equal, so faithful mode keeps one EMA); got ${slots} with mode 'faithful'`);
  }
  const rule = merged.rule;
  if (!isPlainObject(rule) || typeof rule.name !== 'string' || !/^[^/]+\/[^/]+$/.test(rule.name)) {
    throw param(`rule must be { name: 'namespace/name', params? }, got ${describeValue(rule)}`);
  }
  if (rule.params !== undefined && !isPlainObject(rule.params)) throw param(`rule.params must be an object, got ${describeValue(rule.params)}`);
  for (const key of Object.keys(rule)) {
    if (key !== 'name' && key !== 'params') throw param(`unknown rule field ${JSON.stringify(key)} (known: name, params)`);
  }
  return Object.freeze({
    mode: merged.mode as SpnMode,
    inputDim: dimension('inputDim', merged.inputDim),
    hiddenDim: dimension('hiddenDim', merged.hiddenDim),
    outputDim: dimension('outputDim', merged.outputDim),
    seed,
    plasticityRate: rate,
    activityDecay: decay('activityDecay', merged.activityDecay),
    memoryDecay: decay('memoryDecay', merged.memoryDecay),
    memorySlots: slots,
    rule: Object.freeze({ name: rule.name as RuleSpec['name'], params: Object.freeze({ ...((rule.params ?? {}) as Params) }) }),
  });
}
