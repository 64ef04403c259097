import { PlasticityError, TRACE_MODES, check, checkTrace, describeValue, type TraceMode } from '@plasticity/core';

/**
 * The built-in kernels' own description of the rule they run, translated from the plugins' params
 * (internal to @plasticity/rules: the engine only sees kernel configs).
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
// Fused rule specs (JSON only)

/** How the size of an STDP update depends on the current weight w (with ŵ = (w − wMin)/(wMax − wMin)):
 *  - `'additive'`: Δ+ = aPlus·xPre, Δ− = aMinus·xPost; hard bounds: w ← clip(w ± Δ, wMin, wMax)
 *    (each bound optional);
 *  - `'multiplicative'` (Gütig et al. 2003, NEST `stdp_synapse` on normalised weights):
 *    Δ+ = aPlus·(1 − ŵ)^muPlus·xPre, Δ− = aMinus·ŵ^muMinus·xPost; µ = 0 is additive, µ = 1
 *    multiplicative; needs finite wMin < wMax; the result is clipped to [wMin, wMax];
 *  - `'soft-bound'` (van Rossum et al. 2000 soft bounds as Norse's `multiplicative_relu`):
 *    Δ+ = aPlus·max(0, wMax − w)·xPre, Δ− = aMinus·max(0, w − wMin)·xPost; LTP vanishes as
 *    w → wMax and LTD as w → wMin; needs finite wMin < wMax.
 *  Potentiation adds Δ+, depression subtracts Δ−. */
export type WeightDependence = 'additive' | 'multiplicative' | 'soft-bound';
export const WEIGHT_DEPENDENCES: readonly WeightDependence[] = ['additive', 'multiplicative', 'soft-bound'];

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
