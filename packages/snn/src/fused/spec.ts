import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, check, describeValue, type Params, type PluginState, type Rule } from '@plasticity/core';

/**
 * The fused rule spec: the JSON-only description of a plasticity rule that the fused engine of
 * @plasticity/snn executes on typed arrays (many steps per call, no tfjs op per step).
 *
 * Conventions (all rules):
 * - weights are W[pre, post]; time is in milliseconds; an event is active iff it is != 0;
 * - within one time step the engine runs, for every projection: the pre pathway (depression on pre
 *   spikes, read from the post trace) BEFORE the post pathway (potentiation on post spikes, read from
 *   the pre trace), each trace decayed to the current step first and incremented after its pathway
 *   read the other side — Brian2's order (`on_pre` before `on_post`), so a pre and a post spike in the
 *   same step count as Δt = 0 → potentiation `aPlus` (pre trace already holds the new spike);
 * - bounds clip only the synapses an update touches; `wMin <= wMax`.
 */

// ---------------------------------------------------------------------------------------------
// Traces

/** The three trace update modes; they give different numbers, so the mode is a parameter.
 *  - `'all-to-all'`: x ← x·e^(−dt/τ) + a·s (Brian2, BrainPy, NEST; exact exponential decay)
 *  - `'nearest'`:    x ← x·e^(−dt/τ); then x ← a·s where s != 0 (BindsNET default; nearest spike)
 *  - `'euler'`:      x ← x + dt/τ·(−x + a·s) (Norse; the jump scales with dt/τ; needs dt < τ)
 *  `s` is the event value (1 for a binary spike); an element is active iff s != 0. */
export type TraceMode = 'all-to-all' | 'nearest' | 'euler';
export const TRACE_MODES: readonly TraceMode[] = ['all-to-all', 'nearest', 'euler'];

/** Multiplicative decay per step of a trace: e^(−dt/τ) (all-to-all, nearest) or 1 − dt/τ (euler). */
export function traceDecay(mode: TraceMode, dtMs: number, tauMs: number): number {
  checkTrace('traceDecay', mode, dtMs, tauMs);
  return mode === 'euler' ? 1 - dtMs / tauMs : Math.exp(-dtMs / tauMs);
}

/** The increment a spike of value s adds after decay: a·s (all-to-all), a·s·dt/τ (euler). For
 *  nearest the trace is set to a·s instead. */
export function traceJump(mode: TraceMode, dtMs: number, tauMs: number, scale = 1): number {
  checkTrace('traceJump', mode, dtMs, tauMs);
  return mode === 'euler' ? (scale * dtMs) / tauMs : scale;
}

/** Validates a trace configuration; throws PlasticityError naming the argument. */
export function checkTrace(where: string, mode: unknown, dtMs: unknown, tauMs: unknown, scale: unknown = 1): void {
  check.oneOf(`${where}: mode`, mode, TRACE_MODES);
  check.positive(`${where}: dtMs`, dtMs);
  check.positive(`${where}: tauMs`, tauMs);
  check.finite(`${where}: scale`, scale);
  if (mode === 'euler' && (dtMs as number) >= (tauMs as number)) {
    throw new PlasticityError('E_PARAM', `${where}: euler traces need dtMs < tauMs, got dtMs=${describeValue(dtMs)}, tauMs=${describeValue(tauMs)}`);
  }
}

/**
 * One step of a trace, in place on typed arrays: `x[i]` is updated with event `s[i]` (length n).
 * Arithmetic is float32 per operation (Math.fround after each op), the same rounding as the tfjs
 * cpu backend applies to `updateTraceTensor`, so both give identical numbers on cpu.
 */
export function updateTrace(
  x: Float32Array,
  s: ArrayLike<number>,
  mode: TraceMode,
  dtMs: number,
  tauMs: number,
  scale = 1,
): Float32Array {
  checkTrace('updateTrace', mode, dtMs, tauMs, scale);
  check.length('updateTrace: s', s.length, x.length);
  const f = Math.fround;
  const n = x.length;
  if (mode === 'euler') {
    const k = f(dtMs / tauMs);
    const a = f(scale);
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      // x + k·(a·s − x), op by op as the tensor version
      x[i] = f(xi + f(k * f(f(a * s[i]!) - xi)));
    }
    return x;
  }
  const d = f(Math.exp(-dtMs / tauMs));
  const a = f(scale);
  if (mode === 'all-to-all') {
    for (let i = 0; i < n; i++) x[i] = f(f(x[i]! * d) + f(a * s[i]!));
  } else {
    for (let i = 0; i < n; i++) {
      const si = s[i]!;
      x[i] = si !== 0 ? f(a * si) : f(x[i]! * d);
    }
  }
  return x;
}

/**
 * One step of a trace with tfjs ops: returns the new trace (a new tensor; the inputs are not
 * disposed). Same numbers as `updateTrace` on the cpu backend.
 */
export function updateTraceTensor(x: Tensor, s: Tensor, mode: TraceMode, dtMs: number, tauMs: number, scale = 1): Tensor {
  checkTrace('updateTraceTensor', mode, dtMs, tauMs, scale);
  check.shape('updateTraceTensor: s', s.shape, x.shape);
  return tf.tidy(() => {
    const sf = s.dtype === 'float32' ? s : tf.cast(s, 'float32');
    const as = tf.mul(sf, tf.scalar(scale, 'float32'));
    if (mode === 'euler') return tf.add(x, tf.mul(tf.sub(as, x), tf.scalar(dtMs / tauMs, 'float32')));
    const decayed = tf.mul(x, tf.scalar(Math.exp(-dtMs / tauMs), 'float32'));
    if (mode === 'all-to-all') return tf.add(decayed, as);
    return tf.where(tf.notEqual(sf, tf.scalar(0, 'float32')), as, decayed);
  });
}

/** Closed form of a trace after a spike of value s = 1 at step 0 followed by k silent steps (tests, docs). */
export function traceAfter(mode: TraceMode, dtMs: number, tauMs: number, k: number, scale = 1): number {
  checkTrace('traceAfter', mode, dtMs, tauMs, scale);
  check.integer('traceAfter: k', k, 0);
  if (mode === 'euler') return ((scale * dtMs) / tauMs) * Math.pow(1 - dtMs / tauMs, k);
  return scale * Math.exp((-k * dtMs) / tauMs);
}

// ---------------------------------------------------------------------------------------------
// Fused rule specs (JSON only)

/** How the size of an STDP update depends on the current weight w (with ŵ = (w − wMin)/(wMax − wMin)):
 *  - `'additive'`: Δ+ = aPlus·xPre, Δ− = aMinus·xPost; hard bounds: w ← clip(w ± Δ, wMin, wMax)
 *    (each bound optional);
 *  - `'multiplicative'` (Gütig et al. 2003, NEST `stdp_synapse` on normalised weights):
 *    Δ+ = aPlus·(1 − ŵ)^muPlus·xPre, Δ− = aMinus·ŵ^muMinus·xPost; µ = 0 is additive, µ = 1
 *    multiplicative; needs finite wMin < wMax; the result is clipped to [wMin, wMax];
 *  - `'soft'` (van Rossum et al. 2000 soft bounds as Norse's `multiplicative_relu`):
 *    Δ+ = aPlus·max(0, wMax − w)·xPre, Δ− = aMinus·max(0, w − wMin)·xPost; LTP vanishes as
 *    w → wMax and LTD as w → wMin; needs finite wMin < wMax.
 *  Potentiation adds Δ+, depression subtracts Δ−. */
export type WeightDependence = 'additive' | 'multiplicative' | 'soft';
export const WEIGHT_DEPENDENCES: readonly WeightDependence[] = ['additive', 'multiplicative', 'soft'];

/** No plasticity (the projection only propagates). */
export interface FusedNone {
  readonly kind: 'none';
}

/**
 * Pair STDP with the onPre/onPost pattern:
 *   pre trace xPre (τ = tauPlusMs, jump 1), post trace xPost (τ = tauMinusMs, jump 1), both in `traceMode`;
 *   on a pre spike of i:  W[i, j] −= Δ−(W[i, j], xPost[j])   for every stored synapse of i (LTD);
 *   on a post spike of j: W[i, j] += Δ+(W[i, j], xPre[i])    for every stored synapse of j (LTP).
 * A single pre spike then a post spike Δt later gives +aPlus·e^(−Δt/τ+); the reverse order gives
 * −aMinus·e^(−Δt/τ−) (all-to-all and nearest; euler scales the jump by dt/τ).
 * Song, Miller & Abbott as in Brian2: aPlus = dApre, aMinus = −dApost, wMin = 0, wMax = gmax.
 */
export interface FusedPairStdp {
  readonly kind: 'stdp';
  /** LTP amplitude (weight units, >= 0), applied on post spikes with the pre trace. */
  readonly aPlus: number;
  /** LTD amplitude (weight units, >= 0; subtracted), applied on pre spikes with the post trace. */
  readonly aMinus: number;
  readonly tauPlusMs: number;
  readonly tauMinusMs: number;
  readonly traceMode: TraceMode;
  readonly weightDependence: WeightDependence;
  /** Gütig exponents (multiplicative only; default 1). */
  readonly muPlus?: number;
  readonly muMinus?: number;
  readonly wMin?: number;
  readonly wMax?: number;
}

/**
 * Triplet STDP (Pfister & Gerstner 2006). Pre detectors r1 (tauPlusMs), r2 (tauXMs); post detectors
 * o1 (tauMinusMs), o2 (tauYMs); all with jump 1 in `traceMode` ('all-to-all' = the all-to-all model,
 * 'nearest' = the nearest-spike model).
 *   on a pre spike of i:  W[i, j] −= o1[j]·(a2Minus + a3Minus·r2[i]);  then r1[i], r2[i] jump
 *   on a post spike of j: W[i, j] += r1[i]·(a2Plus + a3Plus·o2[j]);   then o1[j], o2[j] jump
 * r2 and o2 are read before their own spike's jump (t − ε). The "minimal" model is a3Minus = 0.
 * Additive with optional hard bounds.
 */
export interface FusedTripletStdp {
  readonly kind: 'triplet';
  readonly a2Plus: number;
  readonly a3Plus: number;
  readonly a2Minus: number;
  readonly a3Minus: number;
  readonly tauPlusMs: number;
  readonly tauMinusMs: number;
  readonly tauXMs: number;
  readonly tauYMs: number;
  readonly traceMode: TraceMode;
  readonly wMin?: number;
  readonly wMax?: number;
}

/**
 * Reward-modulated STDP (Florian 2007), exactly as BindsNET's `MSTDP` (batch 1), per step:
 *   W += nu·r(t)·e(t−1)                               (r: the neuromodulator `modulator`)
 *   pPlus ← pPlus·e^(−dt/τ+) + aPlus·sPre;  pMinus ← pMinus·e^(−dt/τ−) + aMinus·sPost
 *   e(t) = pPlus ⊗ sPost + sPre ⊗ pMinus               (point eligibility, on stored synapses)
 * then clip to [wMin, wMax] (each optional). BindsNET defaults: aPlus = 1, aMinus = −1, τ± = 20 ms.
 */
export interface FusedMstdp {
  readonly kind: 'mstdp';
  readonly nu: number;
  readonly aPlus: number;
  readonly aMinus: number;
  readonly tauPlusMs: number;
  readonly tauMinusMs: number;
  /** Name of the network's neuromodulator signal that multiplies the update (e.g. 'reward'). */
  readonly modulator: string;
  readonly wMin?: number;
  readonly wMax?: number;
}

/**
 * MSTDP with an eligibility trace (Florian 2007, BindsNET `MSTDPET`), per step:
 *   z ← z·e^(−dt/τz) + e(t−1)/τz;   W += nu·dt·r(t)·z;
 *   pPlus, pMinus and e(t) as in MSTDP. BindsNET default τz = 25 ms. Clipped as MSTDP.
 */
export interface FusedMstdpet extends Omit<FusedMstdp, 'kind'> {
  readonly kind: 'mstdpet';
  readonly tauZMs: number;
}

/** Every rule the fused engine executes. JSON values only. */
export type FusedRuleSpec = FusedNone | FusedPairStdp | FusedTripletStdp | FusedMstdp | FusedMstdpet;
export type FusedRuleKind = FusedRuleSpec['kind'];
export const FUSED_RULE_KINDS: readonly FusedRuleKind[] = ['none', 'stdp', 'triplet', 'mstdp', 'mstdpet'];

/**
 * A rule plugin that can describe itself to the fused engine. Rule plugins add the optional
 * `toFused(params)`; the Network uses it when present and falls back to the plugin's tensor `step`
 * (one tfjs dispatch per step, slow) when absent or when it returns undefined.
 */
export interface FusableRule<P extends Params = Params> {
  toFused?(params: P): FusedRuleSpec | undefined;
}

/** A rule plugin together with its optional fused description. */
export type FusableRulePlugin<P extends Params = Params, S extends PluginState = PluginState> = Rule<P, S> & FusableRule<P>;

/** defineRule with a `toFused` method allowed (the object is frozen, kind/specVersion filled in). */
export function defineFusableRule<P extends Params, S extends PluginState>(
  rule: Omit<Rule<P, S>, 'kind' | 'specVersion'> & FusableRule<P>,
): FusableRulePlugin<P, S> {
  return Object.freeze({ ...rule, kind: 'rule', specVersion: 1 }) as FusableRulePlugin<P, S>;
}

function optionalBounds(where: string, wMin: unknown, wMax: unknown, required: boolean): void {
  if (required) {
    check.finite(`${where}.wMin`, wMin);
    check.finite(`${where}.wMax`, wMax);
    if ((wMin as number) >= (wMax as number)) {
      throw new PlasticityError('E_PARAM', `${where}: wMin must be < wMax for this weight dependence, got wMin=${describeValue(wMin)}, wMax=${describeValue(wMax)}`);
    }
    return;
  }
  check.bounds(where, wMin as number | undefined, wMax as number | undefined);
}

/**
 * Validates a fused spec (and the time step it will run with): throws PlasticityError E_PARAM naming
 * the field. Returns the spec with optional fields filled in.
 */
export function validateFusedSpec(spec: FusedRuleSpec, dtMs?: number): FusedRuleSpec {
  if (spec === null || typeof spec !== 'object') {
    throw new PlasticityError('E_PARAM', `fused rule spec must be an object, got ${describeValue(spec)}`);
  }
  const kind = check.oneOf('spec.kind', (spec as { kind?: unknown }).kind, FUSED_RULE_KINDS);
  const w = `spec(${kind})`;
  const dt = dtMs === undefined ? undefined : check.positive('dtMs', dtMs);
  const tau = (name: string, value: unknown, mode: TraceMode = 'all-to-all'): void => {
    check.positive(`${w}.${name}`, value);
    if (dt !== undefined) checkTrace(`${w}.${name}`, mode, dt, value);
  };
  switch (spec.kind) {
    case 'none':
      return spec;
    case 'stdp': {
      check.nonNegative(`${w}.aPlus`, spec.aPlus);
      check.nonNegative(`${w}.aMinus`, spec.aMinus);
      check.oneOf(`${w}.traceMode`, spec.traceMode, TRACE_MODES);
      tau('tauPlusMs', spec.tauPlusMs, spec.traceMode);
      tau('tauMinusMs', spec.tauMinusMs, spec.traceMode);
      check.oneOf(`${w}.weightDependence`, spec.weightDependence, WEIGHT_DEPENDENCES);
      const muPlus = spec.muPlus ?? 1;
      const muMinus = spec.muMinus ?? 1;
      check.nonNegative(`${w}.muPlus`, muPlus);
      check.nonNegative(`${w}.muMinus`, muMinus);
      optionalBounds(w, spec.wMin, spec.wMax, spec.weightDependence !== 'additive');
      return { ...spec, muPlus, muMinus };
    }
    case 'triplet': {
      for (const k of ['a2Plus', 'a3Plus', 'a2Minus', 'a3Minus'] as const) check.nonNegative(`${w}.${k}`, spec[k]);
      check.oneOf(`${w}.traceMode`, spec.traceMode, TRACE_MODES);
      for (const k of ['tauPlusMs', 'tauMinusMs', 'tauXMs', 'tauYMs'] as const) tau(k, spec[k], spec.traceMode);
      optionalBounds(w, spec.wMin, spec.wMax, false);
      return spec;
    }
    case 'mstdp':
    case 'mstdpet': {
      check.finite(`${w}.nu`, spec.nu);
      check.finite(`${w}.aPlus`, spec.aPlus);
      check.finite(`${w}.aMinus`, spec.aMinus);
      tau('tauPlusMs', spec.tauPlusMs);
      tau('tauMinusMs', spec.tauMinusMs);
      if (spec.kind === 'mstdpet') tau('tauZMs', spec.tauZMs);
      if (typeof spec.modulator !== 'string' || spec.modulator.length === 0) {
        throw new PlasticityError('E_PARAM', `${w}.modulator must be a non-empty string, got ${describeValue(spec.modulator)}`);
      }
      optionalBounds(w, spec.wMin, spec.wMax, false);
      return spec;
    }
  }
}
