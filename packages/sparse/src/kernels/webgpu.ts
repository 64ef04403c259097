/**
 * Kernels of names.ts for the 'webgpu' backend: WGSL programs (webgpu-programs.ts) run through
 * tfjs-backend-webgpu's `runWebGPUProgram`. This module imports no backend; the programs are plain
 * objects and the backend is reached through the kernel's `backend` argument.
 *
 * - EventMatVec: zero the output, then each (batch, active row) scatters its slots with a float
 *   compare-exchange add (WGSL has no f32 atomicAdd): sums are exact up to float32 rounding but
 *   their order, hence the last bits, may differ between runs. Compare within a tolerance.
 * - RowDot, Sddmm: one invocation (RowDot) or one lane per slot (Sddmm) writes each output; no atomics;
 *   deterministic.
 * - OnRows, AddOuter: update the touched slots only (each position appears once per call, so no
 *   races). In place when the weights buffer has no other handle (as the cpu kernels: the output
 *   shares the dataId, one more reference, O(touched) work); otherwise into a copy (a clone or
 *   reshape shares the buffer and must not change). Callers replace their weights tensor by the
 *   output either way (names.ts).
 *
 * Every dispatch is folded so that no grid dimension exceeds maxComputeWorkgroupsPerDimension, and a
 * tensor larger than one storage binding allows throws E_BACKEND instead of reading zeros.
 */
import { PlasticityError } from '@plasticity/core';
import { getKernel, registerKernel, type DataId, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { ADD_OUTER, EVENT_MATVEC, ON_ROWS, ROW_DOT, SDDMM } from './names.js';
import * as programs from './webgpu-programs.js';
import { checkBindingSize, sizeOf, type GpuBackend } from './webgpu-program.js';

type Inputs = Record<string, TensorInfo | undefined>;

/** The kernel's backend as the WebGPU backend of tfjs 4.22.0 (E_BACKEND if its internals differ). */
function gpuBackend(kernel: string, backend: unknown): GpuBackend {
  const b = backend as Partial<GpuBackend> | null;
  if (typeof b?.runWebGPUProgram !== 'function' || typeof b.refCount !== 'function' || b.device?.limits === undefined) {
    throw new PlasticityError('E_BACKEND',
      `${kernel}: the 'webgpu' backend lacks runWebGPUProgram/device.limits; these kernels need @tensorflow/tfjs-backend-webgpu 4.22.0`);
  }
  return b as GpuBackend;
}

function input(kernel: string, inputs: Inputs, name: string): TensorInfo {
  const t = inputs[name];
  if (t === undefined) throw new PlasticityError('E_PARAM', `${kernel}: input '${name}' is missing`);
  return t;
}

/** ptr, idx and the optional slot, checked for dtype and length (their contents are the caller's contract). */
function structure(kernel: string, inputs: Inputs): {
  ptr: TensorInfo; idx: TensorInfo; slot: TensorInfo | undefined; nRows: number; nnz: number;
} {
  const ptr = input(kernel, inputs, 'ptr');
  const idx = input(kernel, inputs, 'idx');
  const slot = inputs.slot;
  for (const [name, t] of [['ptr', ptr], ['idx', idx], ['slot', slot]] as const) {
    if (t !== undefined && (t.dtype !== 'int32' || t.shape.length !== 1)) {
      throw new PlasticityError('E_FORMAT', `${kernel}: ${name} must be a 1-D int32 tensor, got ${t.dtype} [${t.shape.join(', ')}]`);
    }
  }
  const nRows = ptr.shape[0]! - 1;
  if (nRows < 0) throw new PlasticityError('E_FORMAT', `${kernel}: ptr must have nRows + 1 >= 1 entries, got 0`);
  const nnz = idx.shape[0]!;
  if (slot !== undefined && slot.shape[0] !== nnz) {
    throw new PlasticityError('E_SHAPE', `${kernel}: slot has ${slot.shape[0]} entries, expected nnz = ${nnz} (the length of idx)`);
  }
  return { ptr, idx, slot, nRows, nnz };
}

/** Batch of an operand of n columns: [batch, n] or [n] (batch 1). */
function batchOf(kernel: string, name: string, t: TensorInfo, n: number): number {
  const size = sizeOf(t.shape);
  if (n === 0) return t.shape.length > 1 ? t.shape[0]! : 1;
  if (t.shape.length > 2 || size % n !== 0 || (t.shape.length === 2 && t.shape[1] !== n)) {
    throw new PlasticityError('E_SHAPE', `${kernel}: ${name} must be [batch, ${n}] or [${n}], got [${t.shape.join(', ')}]`);
  }
  return size / n;
}

function expectLength(kernel: string, name: string, t: TensorInfo, n: number): void {
  if (sizeOf(t.shape) !== n) {
    throw new PlasticityError('E_SHAPE', `${kernel}: ${name} must have ${n} elements, got [${t.shape.join(', ')}]`);
  }
}

/** Weight access of a propagation kernel: one weight per slot, or one homogeneous weight. */
function weightAccess(kernel: string, weights: TensorInfo, nnz: number, slot: TensorInfo | undefined): programs.WeightAccess {
  const n = sizeOf(weights.shape);
  const homogeneous = n === 1 && nnz !== 1;
  if (!homogeneous && slot === undefined && n !== nnz) {
    throw new PlasticityError('E_SHAPE', `${kernel}: weights has ${n} elements, expected nnz = ${nnz} or 1 (homogeneous)`);
  }
  return { homogeneous, hasSlot: slot !== undefined };
}

/** Plastic updates need one weight per synapse. */
function perSynapseWeights(kernel: string, weights: TensorInfo, nnz: number): void {
  const n = sizeOf(weights.shape);
  if (nnz > 0 && n === 1 && nnz !== 1) {
    throw new PlasticityError('E_PARAM', `${kernel}: plastic updates need one weight per synapse, got a homogeneous (length-1) weight`);
  }
  if (n < nnz) throw new PlasticityError('E_SHAPE', `${kernel}: weights has ${n} elements, fewer than nnz = ${nnz}`);
}

function checkBindings(backend: GpuBackend, kernel: string, tensors: Record<string, TensorInfo | undefined>, outShape: number[]): void {
  for (const [name, t] of Object.entries(tensors)) if (t !== undefined) checkBindingSize(backend, kernel, name, t.shape);
  checkBindingSize(backend, kernel, 'the output', outShape);
}

/**
 * The buffer an update writes: the weights themselves when no other handle shares them (one more
 * reference for the returned handle, as tfjs's Identity), else a fresh copy.
 */
function updateTarget(backend: GpuBackend, weights: TensorInfo): { out: TensorInfo; inPlace: boolean } {
  if (weights.dtype === 'float32' && backend.refCount(weights.dataId) === 1) {
    // tfjs keeps a tensor's values on the host after a read and answers later reads from there; a
    // write in place must drop that copy (once the GPU buffer holds the data), or reads go stale.
    const be = backend as unknown as { uploadToGPU(id: DataId): void; tensorMap: { get(id: DataId): { values: unknown } | undefined } };
    be.uploadToGPU(weights.dataId);
    const data = be.tensorMap.get(weights.dataId);
    if (data) data.values = null;
    backend.incRef(weights.dataId);
    return { out: { dataId: weights.dataId, shape: weights.shape.slice(), dtype: 'float32' }, inPlace: true };
  }
  const shape = weights.shape.slice();
  return { out: run(backend, programs.copyWeights(backend, shape), [weights]), inPlace: false };
}

function run(backend: GpuBackend, built: programs.Built, inputs: Array<TensorInfo | undefined>, output?: TensorInfo): TensorInfo {
  const bound = inputs.filter((t): t is TensorInfo => t !== undefined);
  return backend.runWebGPUProgram(built.program, bound, 'float32', built.uniforms, output);
}

/** The attrs of an update's optional `ex` input (names.ts), or null without one (float32 expected). */
function extrasOf(ex: TensorInfo | undefined, attrs: unknown): programs.UpdateExtras | null {
  if (ex === undefined) return null;
  if (ex.dtype !== 'float32') throw new PlasticityError('E_FORMAT', `ex must be float32, got ${ex.dtype}`);
  const a = attrs as { lrLen?: number; nBounds?: number; byIdx?: number; hasMin?: number; hasMax?: number };
  return { lrLen: a.lrLen ?? 0, nBounds: a.nBounds ?? 0, byIdx: a.byIdx === 1, hasMin: a.hasMin === 1, hasMax: a.hasMax === 1 };
}

const eventMatVec: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = gpuBackend(EVENT_MATVEC, b);
  const { ptr, idx, slot, nRows, nnz } = structure(EVENT_MATVEC, inputs as Inputs);
  const weights = input(EVENT_MATVEC, inputs as Inputs, 'weights');
  const events = input(EVENT_MATVEC, inputs as Inputs, 'events');
  const { nCols, mode } = attrs as unknown as { nCols: number; mode: 'binary' | 'float' };
  if (!(Number.isInteger(nCols) && nCols >= 0)) {
    throw new PlasticityError('E_PARAM', `${EVENT_MATVEC}: attrs.nCols must be a non-negative integer, got ${nCols}`);
  }
  const batch = batchOf(EVENT_MATVEC, 'events', events, nRows);
  const access = weightAccess(EVENT_MATVEC, weights, nnz, slot);
  const outShape = events.shape.length === 1 ? [nCols] : [batch, nCols];
  checkBindings(backend, EVENT_MATVEC, { ptr, idx, slot, weights, events }, outShape);
  const out = run(backend, programs.fillZeros(backend, outShape), []);
  if (sizeOf(outShape) === 0 || nnz === 0 || batch * nRows === 0) return out;
  const scatter = programs.eventMatVecScatter(backend, outShape, access, mode === 'binary', batch, nRows, nCols, nnz);
  return run(backend, scatter, [ptr, idx, weights, events, slot], out);
};

const rowDot: KernelFunc = ({ inputs, backend: b }) => {
  const backend = gpuBackend(ROW_DOT, b);
  const { ptr, idx, slot, nRows, nnz } = structure(ROW_DOT, inputs as Inputs);
  const weights = input(ROW_DOT, inputs as Inputs, 'weights');
  const v = input(ROW_DOT, inputs as Inputs, 'v');
  if (v.shape.length < 1 || v.shape.length > 2) {
    throw new PlasticityError('E_SHAPE', `${ROW_DOT}: v must be [batch, nCols] or [nCols], got [${v.shape.join(', ')}]`);
  }
  const nCols = v.shape[v.shape.length - 1]!;
  const batch = v.shape.length === 1 ? 1 : v.shape[0]!;
  const access = weightAccess(ROW_DOT, weights, nnz, slot);
  const outShape = v.shape.length === 1 ? [nRows] : [batch, nRows];
  checkBindings(backend, ROW_DOT, { ptr, idx, slot, weights, v }, outShape);
  if (sizeOf(outShape) === 0 || nnz === 0 || sizeOf(v.shape) === 0) return run(backend, programs.fillZeros(backend, outShape), []);
  return run(backend, programs.rowDot(backend, outShape, access, batch, nRows, nCols), [ptr, idx, weights, v, slot]);
};

const onRows: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = gpuBackend(ON_ROWS, b);
  const { ptr, idx, slot, nRows, nnz } = structure(ON_ROWS, inputs as Inputs);
  const weights = input(ON_ROWS, inputs as Inputs, 'weights');
  const active = input(ON_ROWS, inputs as Inputs, 'active');
  const values = input(ON_ROWS, inputs as Inputs, 'values');
  const { wMin, wMax } = attrs as unknown as { wMin: number; wMax: number };
  perSynapseWeights(ON_ROWS, weights, nnz);
  expectLength(ON_ROWS, 'active', active, nRows);
  const shape = weights.shape.slice();
  const ex = (inputs as Inputs).ex;
  checkBindings(backend, ON_ROWS, { ptr, idx, slot, weights, active, values, ex }, shape);
  const { out, inPlace } = updateTarget(backend, weights);
  if (nnz === 0 || sizeOf(values.shape) === 0) return out;
  const update = programs.onRows(backend, shape, slot !== undefined, inPlace, nRows, nnz, wMin, wMax, extrasOf(ex, attrs));
  return run(backend, update, [ptr, idx, inPlace ? undefined : weights, active, values, slot, ex], out);
};

const addOuter: KernelFunc = ({ inputs, backend: b, attrs }) => {
  const backend = gpuBackend(ADD_OUTER, b);
  const { ptr, idx, slot, nRows, nnz } = structure(ADD_OUTER, inputs as Inputs);
  const weights = input(ADD_OUTER, inputs as Inputs, 'weights');
  const a = input(ADD_OUTER, inputs as Inputs, 'a');
  const c = input(ADD_OUTER, inputs as Inputs, 'c');
  const { scale, wMin, wMax } = attrs as unknown as { scale: number; wMin: number; wMax: number };
  perSynapseWeights(ADD_OUTER, weights, nnz);
  const batch = batchOf(ADD_OUTER, 'a', a, nRows);
  const nCols = c.shape[c.shape.length - 1] ?? 0;
  if (nnz > 0 && sizeOf(c.shape) !== batch * nCols) {
    throw new PlasticityError('E_SHAPE', `${ADD_OUTER}: c must be [${batch}, nCols] like a's batch, got [${c.shape.join(', ')}]`);
  }
  const shape = weights.shape.slice();
  const ex = (inputs as Inputs).ex;
  checkBindings(backend, ADD_OUTER, { ptr, idx, slot, weights, a, c, ex }, shape);
  const { out, inPlace } = updateTarget(backend, weights);
  if (nnz === 0 || batch === 0 || nCols === 0) return out;
  const update = programs.addOuter(backend, shape, slot !== undefined, inPlace, batch, nRows, nCols, nnz, scale, wMin, wMax, extrasOf(ex, attrs));
  return run(backend, update, [ptr, idx, inPlace ? undefined : weights, a, c, slot, ex], out);
};

const sddmm: KernelFunc = ({ inputs, backend: b }) => {
  const backend = gpuBackend(SDDMM, b);
  const { ptr, idx, slot, nRows, nnz } = structure(SDDMM, inputs as Inputs);
  const a = input(SDDMM, inputs as Inputs, 'a');
  const c = input(SDDMM, inputs as Inputs, 'c');
  const batch = batchOf(SDDMM, 'a', a, nRows);
  const nCols = c.shape[c.shape.length - 1] ?? 0;
  if (nnz > 0 && sizeOf(c.shape) !== batch * nCols) {
    throw new PlasticityError('E_SHAPE', `${SDDMM}: c must be [${batch}, nCols] like a's batch, got [${c.shape.join(', ')}]`);
  }
  const shape = [nnz];
  checkBindings(backend, SDDMM, { ptr, idx, slot, a, c }, shape);
  if (nnz === 0 || batch === 0 || nCols === 0) return run(backend, programs.fillZeros(backend, shape), []);
  const out = slot !== undefined ? run(backend, programs.fillZeros(backend, shape), []) : undefined;
  return run(backend, programs.sddmm(backend, shape, slot !== undefined, batch, nRows, nCols, nnz), [ptr, idx, a, c, slot], out);
};

const KERNELS: ReadonlyArray<readonly [string, KernelFunc]> = [
  [EVENT_MATVEC, eventMatVec], [ROW_DOT, rowDot], [ON_ROWS, onRows], [ADD_OUTER, addOuter], [SDDMM, sddmm],
];

/**
 * Registers the five kernels of names.ts for the 'webgpu' backend (WGSL programs run by
 * tfjs-backend-webgpu's runWebGPUProgram; idempotent). Works whether or not the backend is loaded:
 * tfjs looks kernels up by name when an op runs on 'webgpu'.
 */
export function registerWebgpuKernels(): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (getKernel(kernelName, 'webgpu') === undefined) registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
}
