import * as tf from '@tensorflow/tfjs-core';

// Reading a tensor where its backend keeps it in this process's memory (cpu: the backend's own typed
// array; wasm: a view of its heap), without dataSync: the one way library code reads values on the host
// synchronously. On other backends (webgl, webgpu) reading is an asynchronous device transfer, so
// there is no host view and callers take their tensor path instead.

export type HostValues = Float32Array | Int32Array | Uint8Array;

interface MemoryBackend {
  data?: { get(dataId: object): { values?: unknown } | undefined };
  typedArrayFromHeap?(t: tf.TensorInfo): HostValues;
  dataIdMap?: { has(dataId: object): boolean };
}

/** The backend that holds a tensor's data (not necessarily the active one). */
function backendOf(t: tf.Tensor): MemoryBackend | undefined {
  const info = (tf.engine() as unknown as { state: { tensorInfo: WeakMap<object, { backend: unknown }> } }).state.tensorInfo.get(t.dataId as object);
  return info?.backend as MemoryBackend | undefined;
}

/**
 * The values of `t` in host memory, or undefined where its backend keeps them elsewhere (GPU backends) or
 * has not materialised them. `'view'` (default) is the backend's own memory — read-only; on wasm valid only
 * until the next tfjs allocation, which may move the heap — and `'stable'` an array that stays valid: on cpu
 * still the backend's array (it never moves), on wasm a copy.
 */
export function hostValues(t: tf.Tensor, kind: 'view' | 'stable' = 'view'): HostValues | undefined {
  if (t.isDisposed) return undefined;
  const be = backendOf(t);
  if (!be) return undefined;
  if (typeof be.typedArrayFromHeap === 'function') {
    if (!be.dataIdMap?.has(t.dataId as object)) return undefined;
    const view = be.typedArrayFromHeap(t);
    return kind === 'stable' ? view.slice() : view;
  }
  // the cpu backend: its tensors' values are plain typed arrays (a webgl/webgpu backend has GPU data there)
  if (tf.engine().backendNames().some((n) => n === 'cpu' && tf.engine().registry[n] === be)) {
    const values = be.data?.get(t.dataId as object)?.values;
    return values instanceof Float32Array || values instanceof Int32Array || values instanceof Uint8Array ? values : undefined;
  }
  return undefined;
}
