import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, check, describeValue, type Bounds, type SpikeVector, type ValueVector } from '@plasticity/core';

/**
 * Input normalisation shared by every format: spike/value vectors become float32 tensors of shape
 * [batch, n]; bounds become kernel attrs. Validation happens here, before anything changes.
 */

/** A float32 [batch, n] view of an operand; `rank1` says whether the caller passed [n]. */
export interface Operand {
  readonly tensor: tf.Tensor2D;
  readonly rank1: boolean;
}

function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/** Throws unless `x` is a tensor of shape [n] / [batch, n] (batched) or a typed array of length n. */
export function checkOperand(name: string, x: SpikeVector | ValueVector, n: number, batched: boolean): void {
  if (isTensor(x)) {
    if (x.isDisposed) throw new PlasticityError('E_PARAM', `${name} is a disposed tensor`);
    if (x.dtype === 'string' || x.dtype === 'complex64') throw new PlasticityError('E_SHAPE', `${name} must be numeric, got dtype ${x.dtype}`);
    const ok = (x.rank === 1 && x.shape[0] === n) || (batched && x.rank === 2 && x.shape[1] === n);
    if (!ok) {
      throw new PlasticityError('E_SHAPE', `${name} must have shape [${n}]${batched ? ` or [batch, ${n}]` : ''}, got [${x.shape.join(', ')}]`);
    }
    return;
  }
  if (x instanceof Float32Array || x instanceof Uint8Array) {
    check.length(name, x.length, n);
    return;
  }
  throw new PlasticityError('E_PARAM', `${name} must be a tensor, Float32Array or Uint8Array, got ${describeValue(x)}`);
}

/** Index of the first NaN or ±Infinity in `x`, or -1 (x - x is 0 exactly for finite x). */
export function firstNonFinite(x: Float32Array): number {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

export function nonFiniteError(name: string, value: number, index: number): PlasticityError {
  return new PlasticityError('E_PARAM', `${name} must contain only finite numbers, got ${describeValue(value)} at index ${index}`);
}

/**
 * checkOperand for values that are added to weights: a host Float32Array must also be finite, or a
 * NaN/±Infinity would be written into every weight it touches. Host arrays are cheap to check;
 * tensors are not read back (no synchronous readback in library code).
 */
export function checkValues(name: string, x: ValueVector, n: number): void {
  checkOperand(name, x, n, false);
  if (x instanceof Float32Array) {
    const bad = firstNonFinite(x);
    if (bad >= 0) throw nonFiniteError(name, x[bad]!, bad);
  }
}

/**
 * The operand as float32 [batch, n]. New tensors are created in the current scope, so call this
 * inside tf.tidy (typed arrays are wrapped without a copy on cpu; they are only read).
 */
export function operand(x: SpikeVector | ValueVector, n: number): Operand {
  if (isTensor(x)) {
    const f = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    return { tensor: f.rank === 1 ? tf.reshape(f, [1, n]) : (f as tf.Tensor2D), rank1: f.rank === 1 };
  }
  const values = x instanceof Float32Array ? x : Float32Array.from(x);
  return { tensor: tf.tensor2d(values, [1, n], 'float32'), rank1: true };
}

/**
 * A rank-1 kernel input made without copies or scopes, for the per-step hot paths: a Uint8Array
 * becomes a bool tensor over the same bytes (kernels test != 0, so any non-zero byte is active), a
 * Float32Array a float32 tensor, a [n] tensor is used as is. Values (`float: true`) are float32.
 * Dispose the result when `owned`.
 */
export function rank1Input(x: SpikeVector | ValueVector, n: number, float: boolean): { tensor: tf.Tensor; owned: boolean } {
  if (isTensor(x)) {
    if (x.rank !== 1) return { tensor: tf.reshape(x, [n]), owned: true };
    if (float && x.dtype !== 'float32') return { tensor: tf.cast(x, 'float32'), owned: true };
    return { tensor: x, owned: false };
  }
  if (x instanceof Uint8Array) {
    return { tensor: float ? tf.tensor1d(Float32Array.from(x), 'float32') : tf.tensor1d(x, 'bool'), owned: true };
  }
  return { tensor: tf.tensor1d(x, 'float32'), owned: true };
}

/** An unbatched operand as float32 [n] (inside tf.tidy, like `operand`). */
export function vector(x: SpikeVector | ValueVector, n: number): tf.Tensor1D {
  return tf.reshape(operand(x, n).tensor, [n]);
}

/** Checks two batched operands agree on the batch size. */
export function checkSameBatch(nameA: string, a: SpikeVector | ValueVector, nameB: string, b: SpikeVector | ValueVector): void {
  const batchA = isTensor(a) && a.rank === 2 ? a.shape[0] : 1;
  const batchB = isTensor(b) && b.rank === 2 ? b.shape[0] : 1;
  if (batchA !== batchB) {
    throw new PlasticityError('E_SHAPE', `${nameA} and ${nameB} must have the same batch size, got ${batchA} and ${batchB}`);
  }
}

/** Kernel attrs for optional bounds (validated: finite, wMin <= wMax); absent → ∓Infinity. */
export function boundAttrs(bounds: Bounds | undefined): { wMin: number; wMax: number } {
  if (bounds === undefined) return { wMin: -Infinity, wMax: Infinity };
  if (bounds === null || typeof bounds !== 'object') {
    throw new PlasticityError('E_PARAM', `bounds must be an object { wMin?, wMax }, got ${describeValue(bounds)}`);
  }
  check.bounds('bounds', bounds.wMin, bounds.wMax);
  return { wMin: bounds.wMin ?? -Infinity, wMax: bounds.wMax ?? Infinity };
}

/** Weight values given by the user: a finite number array, Float32Array or tensor of length n. */
export function checkWeightValues(name: string, values: ArrayLike<number>, n: number): Float32Array {
  check.length(name, values.length, n);
  check.allFinite(name, values);
  return Float32Array.from(values);
}

/** True while tf.grad / tf.variableGrads is recording (kernels then receive every optional input). */
export function tapeActive(): boolean {
  return (tf.engine() as unknown as { state: { activeTape: unknown[] | null } }).state.activeTape != null;
}
