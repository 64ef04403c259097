import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, describeValue, type SpikeVector } from '@plasticity/core';
import { checkOperand } from './operands.js';

/**
 * Events as a list of active neuron indices (BrainEvent's "compact binary" events): what a
 * simulation loop has after its threshold test, so the kernels skip the scan of a dense vector.
 *
 * - `indices`: Int32Array of active neuron indices, strictly increasing, each in [0, n). The order
 *   makes the result bit-identical to the same events given as a dense vector (rows are summed in
 *   the same order) and rules out listing a neuron twice.
 * - `count`: how many leading entries of `indices` are events (default: all), so one preallocated
 *   array serves every step; `{ indices, count }` may be one object that the loop updates.
 * - `values`: optional Float32Array, `values[a]` the value of event `a` (float mode multiplies the
 *   weight by it). An event whose value is 0 is inactive, as everywhere (active iff != 0).
 */
export interface EventList {
  readonly indices: Int32Array;
  readonly count?: number;
  readonly values?: Float32Array;
}

/** True for an object with an `indices` field (typed arrays and tensors are dense events). */
export function isEventList(x: unknown): x is EventList {
  return typeof x === 'object' && x !== null && !(x instanceof tf.Tensor) && !ArrayBuffer.isView(x) && 'indices' in x;
}

/**
 * Validates an event list against n neurons and returns its number of events. Checks every listed
 * index (integer by type; range and order here), so a bad list throws before anything changes.
 */
export function checkEventList(name: string, list: EventList, n: number): number {
  const { indices, values } = list;
  if (!(indices instanceof Int32Array)) {
    throw new PlasticityError('E_PARAM', `${name}.indices must be an Int32Array of active neuron indices, got ${describeValue(indices)}`);
  }
  const count = list.count ?? indices.length;
  if (!Number.isInteger(count) || count < 0 || count > indices.length) {
    throw new PlasticityError('E_SHAPE', `${name}.count must be an integer in [0, ${indices.length}] (indices.length), got ${describeValue(list.count)}`);
  }
  if (values !== undefined) {
    if (!(values instanceof Float32Array)) {
      throw new PlasticityError('E_PARAM', `${name}.values must be a Float32Array (one value per listed event), got ${describeValue(values)}`);
    }
    if (values.length < count) throw new PlasticityError('E_SHAPE', `${name}.values must have at least ${count} entries (count), got ${values.length}`);
  }
  let prev = -1;
  for (let a = 0; a < count; a++) {
    const i = indices[a]!;
    if (i <= prev || i >= n) {
      const why = i < 0 || i >= n ? `in [0, ${n})` : `strictly increasing (after ${prev})`;
      throw new PlasticityError('E_PARAM', `${name}.indices[${a}] must be ${why}, got ${i}`);
    }
    prev = i;
  }
  return count;
}

/** The dense [n] events of a checked list: 0/1 bytes, or float32 values (for the tensor paths). */
export function denseEvents(list: EventList, count: number, n: number): Uint8Array | Float32Array {
  const { indices, values } = list;
  if (values === undefined) {
    const out = new Uint8Array(n);
    for (let a = 0; a < count; a++) out[indices[a]!] = 1;
    return out;
  }
  const out = new Float32Array(n);
  for (let a = 0; a < count; a++) out[indices[a]!] = values[a]!;
  return out;
}

/** Events of one step as the per-step kernels take them: a checked list, or a dense [n] vector. */
export interface StepEvents {
  /** Active indices, strictly increasing (null: the events are `dense`). */
  readonly rows: Int32Array | null;
  readonly count: number;
  /** Per-entry values of a list (0 = inactive), or null. */
  readonly values: Float32Array | null;
  /** A dense [n] vector (host Uint8Array/Float32Array or a rank-1 tensor), or null for a list. */
  readonly dense: Uint8Array | Float32Array | tf.Tensor | null;
}

/** Validates one step's events (a list, or a [n] vector) for n neurons. */
export function stepEvents(name: string, x: SpikeVector | EventList, n: number): StepEvents {
  if (isEventList(x)) {
    const count = checkEventList(name, x, n);
    return { rows: x.indices, count, values: x.values ?? null, dense: null };
  }
  checkOperand(name, x, n, false);
  return { rows: null, count: 0, values: null, dense: x };
}

/** The events as a SpikeVector for the tensor paths (a list becomes a dense host array). */
export function spikeVector(ev: StepEvents, n: number): SpikeVector {
  return ev.rows ? denseEvents({ indices: ev.rows, ...(ev.values ? { values: ev.values } : {}) }, ev.count, n) : ev.dense!;
}

/** Checks a caller-owned output: a Float32Array of length n. */
export function checkOut(out: unknown, n: number): asserts out is Float32Array {
  if (!(out instanceof Float32Array)) throw new PlasticityError('E_PARAM', `out must be a Float32Array of length ${n}, got ${describeValue(out)}`);
  if (out.length !== n) throw new PlasticityError('E_SHAPE', `out must have length ${n}, got ${out.length}`);
}

/** The error of a host-array method on a backend whose data needs an asynchronous readback. */
export function hostOnly(method: string): PlasticityError {
  return new PlasticityError('E_BACKEND',
    `${method} writes host arrays synchronously and runs on the cpu and wasm backends, not on '${tf.getBackend()}' ` +
    '(its results need an asynchronous readback): use propagate and read the tensor with await data()');
}
