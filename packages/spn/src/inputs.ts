import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, describeValue } from '@plasticity/core';

/** Inputs and targets: a float tensor, nested number arrays, or `{ data, shape }` with a flat array. */
export type ArrayInput = tf.Tensor | number[] | number[][] | number[][][] | { readonly data: ArrayLike<number>; readonly shape: readonly number[] };

function shapeOfNested(value: unknown, name: string): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0];
  }
  if (shape.length === 0) throw new PlasticityError('E_SHAPE', `${name} must be a tensor, a nested number array or { data, shape }, got ${describeValue(value)}`);
  return shape;
}

function flatten(value: unknown, shape: number[], name: string): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  let k = 0;
  const walk = (node: unknown, depth: number): void => {
    if (!Array.isArray(node) || node.length !== shape[depth]) {
      throw new PlasticityError('E_SHAPE', `${name} is ragged: expected ${shape[depth]} entries at depth ${depth}, got ${describeValue(node)}`);
    }
    if (depth === shape.length - 1) {
      for (const v of node) {
        if (typeof v !== 'number') throw new PlasticityError('E_SHAPE', `${name} must hold numbers, got ${describeValue(v)}`);
        out[k++] = v;
      }
    } else {
      for (const child of node) walk(child, depth + 1);
    }
  };
  walk(value, 0);
  return out;
}

/** Host values and shape of an input that is not a tensor (copied as float32); tensors pass through. */
export function hostInput(value: ArrayInput, name: string): { tensor: tf.Tensor | null; data: Float32Array | null; shape: number[] } {
  if (value instanceof tf.Tensor) {
    if (value.isDisposed) throw new PlasticityError('E_PARAM', `${name} is a disposed tensor`);
    if (value.dtype !== 'float32' && value.dtype !== 'int32') throw new PlasticityError('E_SHAPE', `${name} must be a float32 tensor, got dtype ${value.dtype}`);
    return { tensor: value, data: null, shape: [...value.shape] };
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'data' in value && 'shape' in value) {
    const shape = [...value.shape];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || value.data.length !== size) {
      throw new PlasticityError('E_SHAPE', `${name}: data of length ${value.data.length} does not fill shape [${shape.join(', ')}]`);
    }
    return { tensor: null, data: Float32Array.from(value.data), shape };
  }
  const shape = shapeOfNested(value, name);
  return { tensor: null, data: flatten(value, shape, name), shape };
}

export function checkFiniteHost(data: Float32Array, name: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new PlasticityError('E_PARAM', `${name} must be finite: element ${i} is ${describeValue(data[i])}`);
  }
}

/** Rejects NaN / ±Infinity in a tensor (one async readback of a single boolean). */
export async function checkFiniteTensor(t: tf.Tensor, name: string): Promise<void> {
  const flag = tf.tidy(() => tf.all(tf.isFinite(t)));
  const ok = (await flag.data())[0] === 1;
  flag.dispose();
  if (!ok) throw new PlasticityError('E_PARAM', `${name} must be finite: it holds NaN or ±Infinity`);
}

export function checkShape(name: string, shape: readonly number[], expected: readonly (number | null)[], meaning: string): void {
  const ok = shape.length === expected.length && expected.every((e, i) => (e === null ? shape[i]! >= 1 : e === shape[i]));
  if (!ok) {
    const want = `[${expected.map((e) => (e === null ? '*' : e)).join(', ')}]`;
    throw new PlasticityError('E_SHAPE', `${name} must have shape ${want} (${meaning}), got [${shape.join(', ')}]`);
  }
}
