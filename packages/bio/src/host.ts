import * as tf from '@tensorflow/tfjs-core';

// Host kernels: on the backends whose tensors live in host memory (cpu, wasm) the per-step elementwise
// work of a transform is one pass over typed arrays instead of a chain of tfjs ops, each of which
// allocates and walks a full-size tensor. On wasm the pass reads and writes views of the backend's memory
// (no read-back copy, no upload); on cpu the backend's own arrays. On other backends (webgl, webgpu) the
// tensor ops run as before.

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

interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
  disposeData(dataId: object, force?: boolean): boolean;
  dataIdMap: { has(dataId: object): boolean };
}

function wasmBackend(): WasmLike | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmLike>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' && b.dataIdMap ? (b as WasmLike) : null;
}

type Values = Float32Array | Int32Array;

/**
 * Runs `body` on the values of `inputs` (read-only) and fresh float32 outputs of `outShapes`, which it must
 * fill completely, and returns the output tensors. On wasm both are views of the backend's memory (no copy:
 * outputs are allocated first, so that no allocation moves the memory under the views while `body` runs;
 * `body` must not run tfjs ops); on cpu the backend's own arrays; elsewhere a read-back and an upload.
 */
export function hostKernel(inputs: readonly tf.Tensor[], outShapes: readonly (readonly number[])[], body: (ins: Values[], outs: Float32Array[]) => void): tf.Tensor[] {
  const wasm = wasmBackend();
  if (wasm && inputs.every((t) => wasm.dataIdMap.has(t.dataId as object))) {
    const infos = outShapes.map((shape) => wasm.makeOutput([...shape], 'float32'));
    const tensors = infos.map((info) => tf.engine().makeTensorFromTensorInfo(info));
    try {
      const ins = inputs.map((t) => wasm.typedArrayFromHeap(t));
      const outs = infos.map((info) => wasm.typedArrayFromHeap(info) as Float32Array);
      body(ins, outs);
    } catch (error) {
      tf.dispose(tensors);
      throw error;
    }
    return tensors;
  }
  // the host kernels run where tensors live in host memory (cpu: no copy); 'on' elsewhere is opt-in
  // eslint-disable-next-line no-restricted-properties
  const ins = inputs.map((t) => t.dataSync() as Values);
  const outs = outShapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
  body(ins, outs);
  return outs.map((v, i) => tf.tensor(v, [...outShapes[i]!], 'float32'));
}
