import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { TOLERANCE, type TestBackend } from './backends.js';

function countTensors(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || typeof value !== 'object' || seen.has(value)) return 0;
  seen.add(value);
  if (value instanceof tf.Tensor) return value.isDisposed ? 0 : 1;
  if (ArrayBuffer.isView(value)) return 0;
  let n = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value)) n += countTensors(v, seen);
  return n;
}

/**
 * Runs `fn` and asserts that the number of live tensors grew by exactly the number of tensors it
 * returned (found in the result, arrays and plain objects included). Returns the result.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  const returned = countTensors(result);
  expect(tf.memory().numTensors - before, `tensors leaked (beyond the ${returned} returned)`).toBe(returned);
  return result;
}

export interface Tolerance {
  atol?: number;
  rtol?: number;
  /** Use this backend's default tolerance (default: the active backend's). */
  backend?: TestBackend;
}

/**
 * |actual − expected| <= atol + rtol·|expected| elementwise, with the first offending index and the
 * largest error in the message. NaN only matches NaN.
 */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, tolerance: Tolerance = {}): void {
  const backend = tolerance.backend ?? (tf.getBackend() as TestBackend);
  const defaults = TOLERANCE[backend] ?? TOLERANCE.cpu;
  const atol = tolerance.atol ?? defaults.atol;
  const rtol = tolerance.rtol ?? defaults.rtol;
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  expect(a.length, 'length').toBe(e.length);
  let worst = 0;
  let first = -1;
  for (let i = 0; i < e.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    const bad = Number.isNaN(y) ? !Number.isNaN(x) : !(Math.abs(x - y) <= atol + rtol * Math.abs(y));
    if (bad) {
      if (first < 0) first = i;
      worst = Math.max(worst, Math.abs(x - y));
    }
  }
  if (first >= 0) {
    expect.fail(`index ${first}: got ${a[first]}, expected ${e[first]} (atol ${atol}, rtol ${rtol}; max |error| ${worst})`);
  }
}

/** Reads a tensor back (async, so it is valid on WebGPU too) and compares. */
export async function expectTensorClose(actual: tf.Tensor, expected: ArrayLike<number> | tf.Tensor, tolerance: Tolerance = {}): Promise<void> {
  const e = expected instanceof tf.Tensor ? await expected.data() : expected;
  expectClose(await actual.data(), e, tolerance);
}

/**
 * Expects `fn` to throw a PlasticityError with `code` whose message matches `message` (checked by
 * name and code, so this package needs no dependency on @plasticity/core).
 */
export function expectPlasticityError(fn: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error(`expected a PlasticityError ${code}, nothing was thrown`);
  const e = thrown as { name?: string; code?: string; message?: string };
  if (e.name !== 'PlasticityError') throw new Error(`expected a PlasticityError ${code}, got ${String(thrown)}`);
  if (e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
  if (!message.test(e.message ?? '')) throw new Error(`expected a message matching ${message}, got: ${e.message}`);
}
