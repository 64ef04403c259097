import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError } from '@plasticity/core';

/** Backends whose tensors live in this process's memory (a synchronous read is a copy, never a device wait). */
export const IN_MEMORY_BACKENDS: readonly string[] = ['cpu', 'wasm'];

export function inMemoryBackend(): boolean {
  return IN_MEMORY_BACKENDS.includes(tf.getBackend());
}

/**
 * A tensor's values, read synchronously — for the host step path only, which runs only on the cpu and wasm
 * backends: there the values are in memory (cpu: the backend's own array, not to be written; wasm: a copy of
 * its heap), so this neither blocks on a device nor leaves the hot path asynchronous work to wait for.
 */
export function readInMemory(t: tf.Tensor): Float32Array {
  if (!inMemoryBackend()) throw new PlasticityError('E_PARAM', `the host step path runs on the cpu and wasm backends only (backend: ${tf.getBackend()})`);
  // eslint-disable-next-line no-restricted-properties -- in-memory backends only (checked above): no device readback
  const values = t.dataSync();
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}
