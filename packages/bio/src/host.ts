import * as tf from '@tensorflow/tfjs-core';

// Host kernels: on the backends whose tensors live in host memory (cpu, wasm) the per-step elementwise
// work of a transform is one pass over typed arrays instead of a chain of tfjs ops, each of which
// allocates and walks a full-size tensor. Reading a tensor there is a copy (wasm) or free (cpu), and the
// arrays a transform reads or writes are kept per tensor data, so that the next transform of the same
// step (the trainer hands each transform the previous one's output) reads them without another copy.
// On other backends (webgl, webgpu) the tensor ops run as before.

export type HostKernelsMode = 'auto' | 'on' | 'off';
let mode: HostKernelsMode = 'auto';

/**
 * Where the bio transforms run their per-step elementwise work: 'auto' (default) as typed-array passes on
 * the cpu and wasm backends and as tfjs ops elsewhere; 'off' always as tfjs ops (the reference form);
 * 'on' always host-side (reads the tensors back on any backend). Returns the previous mode.
 */
export function setHostKernels(next: HostKernelsMode): HostKernelsMode {
  if (next !== 'auto' && next !== 'on' && next !== 'off') throw new TypeError(`host kernels mode must be 'auto', 'on' or 'off', got ${JSON.stringify(next)}`);
  const prev = mode;
  mode = next;
  return prev;
}

/** Whether the host kernels are used now. */
export function useHost(): boolean {
  if (mode !== 'auto') return mode === 'on';
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm';
}

// Keyed by the tensor's dataId (the buffer, which tfjs never changes in place): a variable that is
// assigned a new value gets a new dataId, so a stale entry is never read, and entries go with their data.
const cache = new WeakMap<object, Float32Array | Int32Array>();

/** The values of `t` (read-only: on cpu this may be the backend's own buffer). */
export function hostData(t: tf.Tensor): Float32Array {
  return hostValues(t) as Float32Array;
}

/** The values of an int32 tensor (read-only). */
export function hostInts(t: tf.Tensor): Int32Array {
  return hostValues(t) as Int32Array;
}

function hostValues(t: tf.Tensor): Float32Array | Int32Array {
  const id = t.dataId as object;
  let v = cache.get(id);
  if (!v) {
    // the host kernels run where tensors live in host memory (cpu: no copy, wasm: a memcpy); 'on' elsewhere is opt-in
    // eslint-disable-next-line no-restricted-properties
    v = t.dataSync() as Float32Array | Int32Array;
    cache.set(id, v);
  }
  return v;
}

/** A float32 tensor of `values` (which the caller must not change afterwards). */
export function fromHost(values: Float32Array, shape: readonly number[]): tf.Tensor {
  const t = tf.tensor(values, [...shape], 'float32');
  cache.set(t.dataId as object, values);
  return t;
}
