import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, describeValue } from './errors.js';
import * as check from './validate.js';

/**
 * Trace maths shared by rules (tensor path) and fused kernels (typed arrays). Time is in ms; an
 * event is active iff it is != 0.
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

