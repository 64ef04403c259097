import * as tf from '@tensorflow/tfjs-core';
import type { NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import type { SpikeVector, ValueVector } from '@plasticity/core';
import { rank1Input, tapeActive } from '../operands.js';
import { EVENT_MATVEC, ON_ROWS } from './names.js';

/** The parts of tfjs-core's Engine the fast path uses (tfjs-core 4.22.0). */
interface EngineInternals {
  readonly backendName: string | null;
  readonly backend: tf.KernelBackend;
  readonly state: { profiling: boolean };
  makeTensorFromTensorInfo(info: TensorInfo): tf.Tensor;
}

/**
 * A new tensor object over the same buffer as `t` (one more reference, as tfjs's Identity on cpu):
 * no copy, no kernel call. Call inside tf.tidy or keep the result.
 */
export function shareBuffer<T extends tf.Tensor>(t: T): T {
  const engine = tf.engine() as unknown as EngineInternals;
  (engine.backend as unknown as { incRef(dataId: object): void }).incRef(t.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape.slice(), dtype: t.dtype }) as T;
}

/** Kernel functions found so far for the active backend (see kernelFunction). */
let cachedBackend: string | null = null;
let cachedKernels = new Map<string, tf.KernelFunc>();

/**
 * The registered function of a sparse kernel. tfjs's getKernel builds a key string and probes a
 * registry of every kernel of every backend: ~0.8 µs per call once a step's synapse data has pushed
 * that table out of cache. Sparse kernels are registered once (registerSparseKernels), so a found
 * function is kept for as long as the active backend stays the same; misses are not kept.
 */
function kernelFunction(kernelName: string, backendName: string): tf.KernelFunc | undefined {
  if (backendName !== cachedBackend) {
    cachedBackend = backendName;
    cachedKernels = new Map();
  }
  let fn = cachedKernels.get(kernelName);
  if (fn === undefined) {
    fn = tf.getKernel(kernelName, backendName)?.kernelFunc;
    if (fn) cachedKernels.set(kernelName, fn);
  }
  return fn;
}

/**
 * Runs a sparse kernel on the active backend. Outside a gradient tape and the profiler it calls the
 * registered kernel function directly and wraps its output as runKernel would, skipping the
 * engine's scope and tape bookkeeping: ~5 µs per call, a tenth of a 10^6-synapse step at 5% firing.
 * Otherwise (recording gradients, profiling) it goes through tf.engine().runKernel.
 */
export function runSparseKernel(kernelName: string, inputs: Record<string, tf.Tensor | undefined>, attrs: Record<string, unknown> = {}): tf.Tensor {
  const engine = tf.engine() as unknown as EngineInternals;
  if (!tapeActive() && !engine.state.profiling && engine.backendName !== null) {
    const kernel = kernelFunction(kernelName, engine.backendName);
    if (kernel) {
      const info = kernel({ inputs: inputs as unknown as NamedTensorInfoMap, attrs: attrs as NamedAttrMap, backend: engine.backend });
      return engine.makeTensorFromTensorInfo(info as TensorInfo);
    }
  }
  return tf.engine().runKernel(kernelName, inputs as tf.NamedTensorMap, attrs as NamedAttrMap) as tf.Tensor;
}

/** A compressed view's kernel inputs (see names.ts). */
export interface ViewInputs {
  readonly ptr: tf.Tensor;
  readonly idx: tf.Tensor;
  readonly slot?: tf.Tensor;
}

/**
 * ON_ROWS with rank-1 operands and no tidy scope or reshapes, for the per-step hot paths of every
 * format: returns the updated weights (in place on cpu/wasm; see names.ts). Inputs are built as
 * literal objects of one shape: an object spread here cost ~1.7 µs per call.
 */
export function onRowsUpdate(view: ViewInputs, weights: tf.Tensor, active: SpikeVector, nActive: number,
  values: ValueVector, nValues: number, attrs: Record<string, number>, ex?: tf.Tensor): tf.Tensor {
  const a = rank1Input(active, nActive, false);
  const v = rank1Input(values, nValues, true);
  try {
    const inputs = view.slot
      ? { ptr: view.ptr, idx: view.idx, slot: view.slot, weights, active: a.tensor, values: v.tensor }
      : { ptr: view.ptr, idx: view.idx, weights, active: a.tensor, values: v.tensor };
    if (ex) return runSparseKernel(ON_ROWS, { ...inputs, ex }, attrs);
    return runSparseKernel(ON_ROWS, inputs, attrs);
  } finally {
    if (a.owned) a.tensor.dispose();
    if (v.owned) v.tensor.dispose();
  }
}

/** EVENT_MATVEC of rank-1 events over a view (the per-step propagate), built like onRowsUpdate. */
export function eventMatVec(view: ViewInputs, weights: tf.Tensor, events: tf.Tensor, nCols: number, mode: 'binary' | 'float'): tf.Tensor {
  const inputs = view.slot
    ? { ptr: view.ptr, idx: view.idx, slot: view.slot, weights, events }
    : { ptr: view.ptr, idx: view.idx, weights, events };
  return runSparseKernel(EVENT_MATVEC, inputs, { nCols, mode });
}
