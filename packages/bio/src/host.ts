import { PlasticityError, describeValue, hostValues } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';

// Host kernels: on the backends whose tensors live in host memory (cpu, wasm) the per-step elementwise
// work of a transform is one pass over typed arrays instead of a chain of tfjs ops, each of which
// allocates and walks a full-size tensor. The pass reads the inputs where the backend keeps them (core's
// hostValues: the cpu backend's arrays, views of the wasm heap; no readback) and writes fresh outputs (on
// wasm, views of outputs allocated in its heap: no upload). On other backends (webgl, webgpu), where a
// read is an asynchronous device transfer, the tensor ops run.

export type HostKernelsMode = 'auto' | 'js' | 'off';
let mode: HostKernelsMode = 'auto';

/**
 * Where the bio transforms run their per-step elementwise work: 'auto' (default) as typed-array passes on
 * the cpu and wasm backends — on wasm in the package's WebAssembly SIMD kernels where they can run, else in
 * JS — and as tfjs ops elsewhere; 'js' the same but never the WebAssembly kernels; 'off' always as tfjs ops
 * (the reference form). Returns the previous mode.
 */
export function setHostKernels(next: HostKernelsMode): HostKernelsMode {
  if (next !== 'auto' && next !== 'js' && next !== 'off') throw new PlasticityError('E_PARAM', `host kernels mode must be 'auto', 'js' or 'off', got ${describeValue(next)}`);
  const prev = mode;
  mode = next;
  return prev;
}

/** Whether the WebAssembly kernels may run now (mode 'auto'). */
export function wasmAllowed(): boolean {
  return mode === 'auto';
}

/** Whether the host kernels are used now. */
export function useHost(): boolean {
  const b = tf.getBackend();
  return mode !== 'off' && (b === 'cpu' || b === 'wasm');
}

interface WasmLike {
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

function wasmBackend(): WasmLike | null {
  if (tf.getBackend() !== 'wasm') return null;
  const b = tf.backend() as unknown as Partial<WasmLike>;
  return typeof b.makeOutput === 'function' && typeof b.typedArrayFromHeap === 'function' ? (b as WasmLike) : null;
}

type Values = Float32Array | Int32Array;

/**
 * Runs `body` on the values of `inputs` (read-only) and fresh float32 outputs of `outShapes`, which it must
 * fill completely, and returns the output tensors. Outputs are allocated first (on wasm in its heap), then
 * the views taken, so that no allocation moves the memory under them while `body` runs; `body` must not
 * run tfjs ops. On wasm, `scratchFloats` > 0 also gives `body` a scratch array of that many floats in the
 * heap (for the WebAssembly kernels, wasm.ts), freed afterwards; elsewhere scratch is null. For the cpu
 * and wasm backends only (useHost()).
 */
export function hostKernel(inputs: readonly tf.Tensor[], outShapes: readonly (readonly number[])[],
  body: (ins: Values[], outs: Float32Array[], scratch: Float32Array | null) => void, scratchFloats = 0): tf.Tensor[] {
  const wasm = wasmBackend();
  // the scratch serves the WebAssembly kernels only: none in mode 'js'
  const shapes = wasm && scratchFloats > 0 && wasmAllowed() ? [...outShapes, [scratchFloats]] : outShapes;
  const infos = wasm ? shapes.map((shape) => wasm.makeOutput([...shape], 'float32')) : null;
  const tensors = infos ? infos.map((info) => tf.engine().makeTensorFromTensorInfo(info)) : null;
  const scratchTensor = tensors && shapes.length > outShapes.length ? tensors.pop()! : null;
  try {
    const ins = inputs.map((t, i) => {
      const v = hostValues(t);
      if (!(v instanceof Float32Array || v instanceof Int32Array)) {
        throw new PlasticityError('E_BACKEND', `bio host kernel: input ${i} (${t.dtype}) is not in host memory (backend ${tf.getBackend()}); the host kernels run on cpu and wasm only`);
      }
      return v;
    });
    const views = infos ? infos.map((info) => wasm!.typedArrayFromHeap(info)) : outShapes.map((shape) => new Float32Array(shape.reduce((a, b) => a * b, 1)));
    const scratch = scratchTensor ? views.pop()! : null;
    body(ins, views, scratch);
    return tensors ?? views.map((v, i) => tf.tensor(v, [...outShapes[i]!], 'float32'));
  } catch (error) {
    if (tensors) tf.dispose(tensors);
    throw error;
  } finally {
    scratchTensor?.dispose();
  }
}
