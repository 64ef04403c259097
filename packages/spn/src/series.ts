import { PlasticityError, createRng, describeValue } from '@plasticity/core';

/** Options of `sineRegime`. */
export interface SineRegimeOptions {
  /** Number of points (default 1000). */
  readonly length?: number;
  /** First index of the second regime (default 500). */
  readonly changePoint?: number;
  /** Standard deviation of the white noise (default 0.1). */
  readonly noise?: number;
}

/** Options of `loadCurve`. */
export interface LoadCurveOptions {
  /** Number of points (default 1000). */
  readonly length?: number;
  /** First index after the level shift (default 500). */
  readonly changePoint?: number;
  /** Steps per "day" (default 24). */
  readonly period?: number;
  /** Amplitude A of the daily cycle (default 1). */
  readonly amplitude?: number;
  /** Level before the change point (default 0). */
  readonly level?: number;
  /** Added to the level from the change point on (default 1). */
  readonly shift?: number;
  /** Factor on the daily cycle's amplitude from the change point on (default 1: a pure level shift). */
  readonly amplitudeFactor?: number;
  /** AR(1) coefficient φ of the noise (default 0.6). */
  readonly phi?: number;
  /** Standard deviation σ of the AR(1) innovations (default 0.1). */
  readonly sigma?: number;
}

function count(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) throw new PlasticityError('E_PARAM', `${name} must be an integer >= ${min}, got ${describeValue(value)}`);
  return value;
}

function finite(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new PlasticityError('E_PARAM', `${name} must be a finite number, got ${describeValue(value)}`);
  return value;
}

/**
 * The blog's `generate_time_series(length, change_point)`: x(t) = sin(0.1·t) + ε(t) + [t ≥ c]·0.5·sin(0.2·t),
 * ε ~ N(0, noise²) i.i.d. from the seeded stream `series` (seed s always gives the same series).
 */
export function sineRegime(seed: number, options: SineRegimeOptions = {}): Float32Array {
  const length = count('length', options.length ?? 1000, 1);
  const changePoint = count('changePoint', options.changePoint ?? 500, 0);
  const sd = finite('noise', options.noise ?? 0.1);
  const noise = createRng(seed).stream('series').normal(length, 0, sd);
  return Float32Array.from({ length }, (_, t) => Math.sin(0.1 * t) + noise[t]! + (t >= changePoint ? 0.5 * Math.sin(0.2 * t) : 0));
}

/** The deterministic part of `loadCurve` at time t (level, daily cycle with its harmonic). */
export function loadCurveMean(t: number, options: LoadCurveOptions = {}): number {
  const changePoint = options.changePoint ?? 500;
  const period = options.period ?? 24;
  const after = t >= changePoint;
  const level = (options.level ?? 0) + (after ? (options.shift ?? 1) : 0);
  const amplitude = (options.amplitude ?? 1) * (after ? (options.amplitudeFactor ?? 1) : 1);
  const phase = (2 * Math.PI * t) / period;
  return level + amplitude * (Math.sin(phase) + 0.3 * Math.sin(2 * phase + 1));
}

/**
 * A synthetic load curve with a level shift: x(t) = L(t) + A(t)·(sin(2πt/P) + 0.3·sin(4πt/P + 1)) + e(t),
 * a daily cycle of period P with one harmonic; at the change point c the level L jumps from `level` to
 * `level + shift` and the amplitude A from `amplitude` to `amplitude · amplitudeFactor`. The noise is
 * AR(1), e(t) = φ·e(t−1) + σ·ε(t) with ε ~ N(0, 1) from the seeded stream `load-noise`, started in its
 * stationary distribution (sd σ/√(1 − φ²)), so every segment has the same noise statistics:
 * mean 0, variance σ²/(1 − φ²), lag-1 autocorrelation φ. Defaults: P 24, A 1, level 0, shift 1, factor
 * 1, φ 0.6, σ 0.1, 1000 points, change at 500.
 */
export function loadCurve(seed: number, options: LoadCurveOptions = {}): Float32Array {
  const length = count('length', options.length ?? 1000, 1);
  count('changePoint', options.changePoint ?? 500, 0);
  count('period', options.period ?? 24, 2);
  const phi = finite('phi', options.phi ?? 0.6);
  if (Math.abs(phi) >= 1) throw new PlasticityError('E_PARAM', `phi must lie in (-1, 1) for a stationary AR(1), got ${phi}`);
  const sigma = finite('sigma', options.sigma ?? 0.1);
  for (const key of ['amplitude', 'level', 'shift', 'amplitudeFactor'] as const) if (options[key] !== undefined) finite(key, options[key]);
  const eps = createRng(seed).stream('load-noise').normal(length, 0, 1);
  const out = new Float32Array(length);
  let e = (sigma / Math.sqrt(1 - phi * phi)) * eps[0]!;
  for (let t = 0; t < length; t++) {
    if (t > 0) e = phi * e + sigma * eps[t]!;
    out[t] = loadCurveMean(t, options) + e;
  }
  return out;
}
