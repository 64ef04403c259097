import { getKernel, registerKernel, type DataId, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { ADD_OUTER, EVENT_MATVEC, ON_ROWS, ROW_DOT, SDDMM } from './names.js';
import * as ref from './reference.js';

/** The part of tfjs-backend-cpu's MathBackendCPU the kernels use (library code imports no backend). */
interface CpuBackend {
  data: { get(dataId: DataId): { values: ArrayLike<number> } };
  refCount(dataId: DataId): number;
  incRef(dataId: DataId): void;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}

type Inputs = Record<string, TensorInfo | undefined>;

function values(backend: CpuBackend, t: TensorInfo): ArrayLike<number> {
  return backend.data.get(t.dataId).values;
}

function slotOf(backend: CpuBackend, inputs: Inputs): ArrayLike<number> | null {
  return inputs.slot ? values(backend, inputs.slot) : null;
}

/** Number of elements (weights may be [nnz] or, for dense connections, [nPre, nPost]). */
function elements(t: TensorInfo): number {
  return t.shape.reduce((p, d) => p * d, 1);
}

/** Rows of a batched operand: [batch, n] or [n] (batch 1). */
function batchOf(t: TensorInfo, n: number): number {
  const size = t.shape.reduce((p, d) => p * d, 1);
  return n === 0 ? (t.shape.length > 1 ? t.shape[0]! : 1) : size / n;
}

/**
 * Weights for an in-place update: tfjs's own buffer when this handle is its only user, so the
 * update costs O(touched); otherwise (a clone or reshape shares the buffer) a copy, so no other
 * tensor changes. Returns the array to write and the TensorInfo to return.
 */
function writableWeights(backend: CpuBackend, w: TensorInfo): { array: Float32Array; out: TensorInfo } {
  const data = backend.data.get(w.dataId).values;
  if (data instanceof Float32Array && backend.refCount(w.dataId) === 1) {
    // As tfjs-backend-cpu's Identity: the output shares the dataId, one more reference.
    backend.incRef(w.dataId);
    return { array: data, out: { dataId: w.dataId, shape: w.shape, dtype: 'float32' } };
  }
  const copy = Float32Array.from(data);
  return { array: copy, out: backend.makeTensorInfo(w.shape.slice(), 'float32', copy) };
}

/** The `ex` input of an update and its attrs as reference.UpdateExtras, or null without `ex`. */
export function extrasOf(ex: ArrayLike<number> | null, attrs: unknown): ref.UpdateExtras | null {
  if (ex === null) return null;
  const a = attrs as { lrLen?: number; nBounds?: number; byIdx?: number; hasMin?: number; hasMax?: number };
  return { ex, lrLen: a.lrLen ?? 0, nBounds: a.nBounds ?? 0, byIdx: a.byIdx === 1, hasMin: a.hasMin === 1, hasMax: a.hasMax === 1 };
}

function homogeneousUpdate(kernel: string): never {
  throw new Error(`${kernel}: plastic updates need one weight per synapse, got a homogeneous (length-1) weight`);
}

const eventMatVec: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as CpuBackend;
  const { ptr, idx, weights, events } = inputs as Required<Inputs>;
  const { nCols, mode } = attrs as unknown as { nCols: number; mode: 'binary' | 'float' };
  const nRows = ptr!.shape[0]! - 1;
  const batch = batchOf(events!, nRows);
  const out = new Float32Array(batch * nCols);
  ref.eventMatVec(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), values(b, weights!), values(b, events!),
    batch, nRows, nCols, mode === 'binary', out);
  return b.makeTensorInfo(events!.shape.length === 1 ? [nCols] : [batch, nCols], 'float32', out);
};

const rowDot: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackend;
  const { ptr, idx, weights, v } = inputs as Required<Inputs>;
  const nRows = ptr!.shape[0]! - 1;
  const nCols = v!.shape[v!.shape.length - 1]!;
  const batch = v!.shape.length === 1 ? 1 : v!.shape[0]!;
  const out = new Float32Array(batch * nRows);
  ref.rowDot(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), values(b, weights!), values(b, v!),
    batch, nRows, nCols, out);
  return b.makeTensorInfo(v!.shape.length === 1 ? [nRows] : [batch, nRows], 'float32', out);
};

const onRows: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as CpuBackend;
  const { ptr, idx, weights, active, values: vals } = inputs as Required<Inputs>;
  const { wMin, wMax } = attrs as unknown as { wMin: number; wMax: number };
  const nRows = ptr!.shape[0]! - 1;
  const nnz = idx!.shape[0]!;
  if (elements(weights!) !== nnz && nnz > 0) homogeneousUpdate(ON_ROWS);
  const { array, out } = writableWeights(b, weights!);
  const x = extrasOf(inputs.ex ? values(b, inputs.ex) : null, attrs);
  if (x) {
    ref.onRowsEx(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), array, values(b, active!), values(b, vals!),
      nRows, wMin, wMax, x);
  } else {
    ref.onRows(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), array, values(b, active!), values(b, vals!),
      nRows, wMin, wMax);
  }
  return out;
};

const addOuter: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as CpuBackend;
  const { ptr, idx, weights, a, c } = inputs as Required<Inputs>;
  const { scale, wMin, wMax } = attrs as unknown as { scale: number; wMin: number; wMax: number };
  const nRows = ptr!.shape[0]! - 1;
  const nCols = c!.shape[c!.shape.length - 1]!;
  const nnz = idx!.shape[0]!;
  if (elements(weights!) !== nnz && nnz > 0) homogeneousUpdate(ADD_OUTER);
  const { array, out } = writableWeights(b, weights!);
  const x = extrasOf(inputs.ex ? values(b, inputs.ex) : null, attrs);
  if (x) {
    ref.addOuterEx(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), array, values(b, a!), values(b, c!),
      batchOf(a!, nRows), nRows, nCols, scale, wMin, wMax, x);
  } else {
    ref.addOuter(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), array, values(b, a!), values(b, c!),
      batchOf(a!, nRows), nRows, nCols, scale, wMin, wMax);
  }
  return out;
};

const sddmm: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as CpuBackend;
  const { ptr, idx, a, c } = inputs as Required<Inputs>;
  const nRows = ptr!.shape[0]! - 1;
  const nCols = c!.shape[c!.shape.length - 1]!;
  // One entry per slot even for a homogeneous weight; the gradient sums them in that case.
  const out = new Float32Array(idx!.shape[0]!);
  ref.sddmm(values(b, ptr!), values(b, idx!), slotOf(b, inputs as Inputs), values(b, a!), values(b, c!),
    batchOf(a!, nRows), nRows, nCols, out);
  return b.makeTensorInfo([out.length], 'float32', out);
};

const KERNELS: ReadonlyArray<readonly [string, KernelFunc]> = [
  [EVENT_MATVEC, eventMatVec], [ROW_DOT, rowDot], [ON_ROWS, onRows], [ADD_OUTER, addOuter], [SDDMM, sddmm],
];

/** Registers the five kernels of names.ts for the 'cpu' backend (plain JS on tfjs's typed arrays). */
export function registerCpuKernels(): void {
  // idempotent: a second call (another entry point, a test) must not make tfjs warn
  for (const [kernelName, kernelFunc] of KERNELS) if (getKernel(kernelName, 'cpu') === undefined) registerKernel({ kernelName, backendName: 'cpu', kernelFunc });
}
