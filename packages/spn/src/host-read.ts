import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, hostValues } from '@plasticity/core';

/** Backends whose tensors live in this process's memory (a synchronous read is a copy, never a device wait). */
export const IN_MEMORY_BACKENDS: readonly string[] = ['cpu', 'wasm'];

export function inMemoryBackend(): boolean {
  return IN_MEMORY_BACKENDS.includes(tf.getBackend());
}

/**
 * A tensor's values for the host step path, which runs only on the cpu and wasm backends: read where they
 * keep them (core's hostValues — cpu: the backend's own array, not to be written; wasm: a copy of its heap),
 * with no dataSync, so nothing waits on a device.
 */
export function readInMemory(t: tf.Tensor): Float32Array {
  const values = hostValues(t, 'stable');
  if (!values) throw new PlasticityError('E_PARAM', `the host step path runs on the cpu and wasm backends only (backend: ${tf.getBackend()})`);
  return values instanceof Float32Array ? values : Float32Array.from(values);
}
