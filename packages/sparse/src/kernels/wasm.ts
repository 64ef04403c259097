import { getKernel, registerKernel, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { ADD_OUTER, EVENT_MATVEC, ON_ROWS, ROW_DOT, SDDMM } from './names.js';
import * as ref from './reference.js';
import { extrasOf } from './cpu.js';
import { kernelsFor, offsetOf, scratchFor, type KernelExports, type WasmBackend } from './wasm-module.js';

/**
 * Kernels of names.ts for tfjs's 'wasm' backend. They run a small SIMD WebAssembly module of our own
 * (assembly/kernels.ts) that imports tfjs-backend-wasm's memory, so every tensor is read and written
 * where it lives on the wasm heap: no copies, in-place weight updates. Results are bit-identical to
 * the cpu kernels (the same float32/float64 operations in the same order, see assembly/kernels.ts).
 * Where the module cannot run (no WebAssembly SIMD, or tfjs's threaded build with a shared memory)
 * the kernels run the reference functions on views of the same heap.
 *
 * Structure tensors must be valid (the connections validate them at construction): an out-of-range
 * index here would address other tensors on the heap, not throw.
 */

type Inputs = Record<string, TensorInfo | undefined>;
type Heap = WasmBackend['wasm'];

const KIND: Record<string, number> = { float32: 0, int32: 1, bool: 2 };

function size(t: TensorInfo): number {
  return t.shape.reduce((p, d) => p * d, 1);
}

/** Rows of a batched operand: [batch, n] or [n] (batch 1), as the cpu kernels count them. */
function batchOf(t: TensorInfo, n: number): number {
  return n === 0 ? (t.shape.length > 1 ? t.shape[0]! : 1) : size(t) / n;
}

/** A typed-array view of a tensor on the heap (take views after any allocation). */
function view(heap: Heap, backend: WasmBackend, t: TensorInfo): Float32Array | Int32Array | Uint8Array {
  const off = offsetOf(backend, t);
  const n = size(t);
  if (t.dtype === 'float32') return new Float32Array(heap.HEAPU8.buffer, off, n);
  if (t.dtype === 'int32') return new Int32Array(heap.HEAPU8.buffer, off, n);
  return new Uint8Array(heap.HEAPU8.buffer, off, n);
}

function f32View(heap: Heap, backend: WasmBackend, t: TensorInfo): Float32Array {
  return new Float32Array(heap.HEAPU8.buffer, offsetOf(backend, t), size(t));
}

/** Value operands the module reads as float32; other dtypes take the reference path. */
function allFloat(...ts: TensorInfo[]): boolean {
  return ts.every((t) => t.dtype === 'float32');
}

function homogeneousUpdate(kernel: string): never {
  throw new Error(`${kernel}: plastic updates need one weight per synapse, got a homogeneous (length-1) weight`);
}

/**
 * Weights for an in-place update: tfjs's own buffer when this handle is its only user (the output
 * shares the dataId with one more reference, as tfjs's Reshape does); otherwise (a clone or reshape
 * shares the buffer) a fresh copy, so no other tensor changes. Same policy as the cpu kernels.
 */
function writableWeights(backend: WasmBackend, w: TensorInfo): TensorInfo {
  if (backend.refCount(w.dataId) === 1) {
    backend.incRef(w.dataId);
    return { dataId: w.dataId, shape: w.shape, dtype: 'float32' };
  }
  const out = backend.makeOutput(w.shape.slice(), 'float32');
  const heap = backend.wasm;
  const src = offsetOf(backend, w);
  heap.HEAPU8.copyWithin(offsetOf(backend, out), src, src + size(w) * 4);
  return out;
}

function structure(backend: WasmBackend, inputs: Inputs) {
  const { ptr, idx, slot } = inputs;
  return {
    nRows: ptr!.shape[0]! - 1,
    nnz: idx!.shape[0]!,
    ptr: offsetOf(backend, ptr!),
    idx: offsetOf(backend, idx!),
    slot: slot ? offsetOf(backend, slot) : 0,
  };
}

function zero(heap: Heap, off: number, bytes: number): void {
  heap.HEAPU8.fill(0, off, off + bytes);
}

const eventMatVec: KernelFunc = ({ inputs, backend: be, attrs }) => {
  const backend = be as unknown as WasmBackend;
  const { ptr, idx, weights, events, slot } = inputs as Inputs;
  const { nCols, mode } = attrs as unknown as { nCols: number; mode: 'binary' | 'float' };
  const nRows = ptr!.shape[0]! - 1;
  const batch = batchOf(events!, nRows);
  const out = backend.makeOutput(events!.shape.length === 1 ? [nCols] : [batch, nCols], 'float32');
  const heap = backend.wasm;
  const kern = kernelsFor(backend);
  const kind = KIND[events!.dtype];
  if (!kern || kind === undefined || weights!.dtype !== 'float32') {
    const o = f32View(heap, backend, out);
    o.fill(0);
    ref.eventMatVec(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
      view(heap, backend, weights!), view(heap, backend, events!), batch, nRows, nCols, mode === 'binary', o);
    return out;
  }
  const list = scratchFor(backend, (nRows + 1) * 4);
  const s = structure(backend, inputs as Inputs);
  const w = offsetOf(backend, weights!);
  const homog = size(weights!) === 1 && s.nnz !== 1 ? 1 : 0;
  const ev = offsetOf(backend, events!);
  const o = offsetOf(backend, out);
  zero(heap, o, batch * nCols * 4);
  const evBytes = kind === 2 ? 1 : 4;
  const binaryPerSynapse = mode === 'binary' && s.slot === 0 && homog === 0;
  for (let b = 0; b < batch; b++) {
    const e = ev + b * nRows * evBytes;
    const nAct = kern.activeList(e, nRows, kind, list);
    if (binaryPerSynapse) kern.matvecBinary(s.ptr, s.idx, w, list, nAct, o + b * nCols * 4);
    else kern.matvec(s.ptr, s.idx, s.slot, w, homog, list, nAct, e, mode === 'binary' ? -1 : kind, o + b * nCols * 4);
  }
  return out;
};

const rowDot: KernelFunc = ({ inputs, backend: be }) => {
  const backend = be as unknown as WasmBackend;
  const { ptr, idx, weights, v, slot } = inputs as Inputs;
  const nRows = ptr!.shape[0]! - 1;
  const nCols = v!.shape[v!.shape.length - 1]!;
  const batch = v!.shape.length === 1 ? 1 : v!.shape[0]!;
  const out = backend.makeOutput(v!.shape.length === 1 ? [nRows] : [batch, nRows], 'float32');
  const heap = backend.wasm;
  const kern = kernelsFor(backend);
  if (!kern || !allFloat(weights!, v!)) {
    ref.rowDot(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
      view(heap, backend, weights!), view(heap, backend, v!), batch, nRows, nCols, f32View(heap, backend, out));
    return out;
  }
  const s = structure(backend, inputs as Inputs);
  const homog = size(weights!) === 1 && s.nnz !== 1 ? 1 : 0;
  const w = offsetOf(backend, weights!);
  const vo = offsetOf(backend, v!);
  const o = offsetOf(backend, out);
  for (let b = 0; b < batch; b++) kern.rowDot(s.ptr, s.idx, s.slot, w, homog, nRows, vo + b * nCols * 4, o + b * nRows * 4);
  return out;
};

const onRows: KernelFunc = ({ inputs, backend: be, attrs }) => {
  const backend = be as unknown as WasmBackend;
  const { ptr, idx, weights, active, values, slot } = inputs as Inputs;
  const { wMin, wMax } = attrs as unknown as { wMin: number; wMax: number };
  const nRows = ptr!.shape[0]! - 1;
  const nnz = idx!.shape[0]!;
  if (size(weights!) !== nnz && nnz > 0) homogeneousUpdate(ON_ROWS);
  const out = writableWeights(backend, weights!);
  const heap = backend.wasm;
  const kern: KernelExports | null = kernelsFor(backend);
  const kind = KIND[active!.dtype];
  const ex = (inputs as Inputs).ex;
  if (!kern || kind === undefined || !allFloat(values!, ...(ex ? [ex] : []))) {
    const x = extrasOf(ex ? view(heap, backend, ex) : null, attrs);
    if (x) {
      ref.onRowsEx(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
        f32View(heap, backend, out), view(heap, backend, active!), view(heap, backend, values!), nRows, wMin, wMax, x);
    } else {
      ref.onRows(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
        f32View(heap, backend, out), view(heap, backend, active!), view(heap, backend, values!), nRows, wMin, wMax);
    }
    return out;
  }
  const list = scratchFor(backend, (nRows + 1) * 4);
  const s = structure(backend, inputs as Inputs);
  const nAct = kern.activeList(offsetOf(backend, active!), nRows, kind, list);
  if (ex) {
    kern.updateEx(s.ptr, s.idx, s.slot, offsetOf(backend, out), list, nAct, offsetOf(backend, values!), 0, 1, nRows, 0, 1,
      wMin, wMax, offsetOf(backend, ex), ...exArgs(attrs));
    return out;
  }
  // Clamping in float32 to float32(bound) equals the cpu's float64 clamp rounded to float32 (rounding
  // is monotonic); ±Infinity bounds clamp nothing, as the cpu's unclipped path.
  kern.onRows(s.ptr, s.idx, s.slot, offsetOf(backend, out), list, nAct, offsetOf(backend, values!), wMin, wMax);
  return out;
};

const addOuter: KernelFunc = ({ inputs, backend: be, attrs }) => {
  const backend = be as unknown as WasmBackend;
  const { ptr, idx, weights, a, c, slot } = inputs as Inputs;
  const { scale, wMin, wMax } = attrs as unknown as { scale: number; wMin: number; wMax: number };
  const nRows = ptr!.shape[0]! - 1;
  const nCols = c!.shape[c!.shape.length - 1]!;
  const nnz = idx!.shape[0]!;
  if (size(weights!) !== nnz && nnz > 0) homogeneousUpdate(ADD_OUTER);
  const batch = batchOf(a!, nRows);
  const out = writableWeights(backend, weights!);
  const heap = backend.wasm;
  const kern = kernelsFor(backend);
  const ex = (inputs as Inputs).ex;
  if (!kern || !allFloat(a!, c!, ...(ex ? [ex] : []))) {
    const x = extrasOf(ex ? view(heap, backend, ex) : null, attrs);
    if (x) {
      ref.addOuterEx(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
        f32View(heap, backend, out), view(heap, backend, a!), view(heap, backend, c!), batch, nRows, nCols, scale, wMin, wMax, x);
    } else {
      ref.addOuter(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
        f32View(heap, backend, out), view(heap, backend, a!), view(heap, backend, c!), batch, nRows, nCols, scale, wMin, wMax);
    }
    return out;
  }
  const list = scratchFor(backend, (nRows + 1) * 4);
  const s = structure(backend, inputs as Inputs);
  const ao = offsetOf(backend, a!);
  const nAct = kern.activeAny(ao, batch, nRows, 0, list);
  if (ex) {
    kern.updateEx(s.ptr, s.idx, s.slot, offsetOf(backend, out), list, nAct, ao, offsetOf(backend, c!), batch, nRows, nCols, scale,
      wMin, wMax, offsetOf(backend, ex), ...exArgs(attrs));
    return out;
  }
  kern.addOuter(s.ptr, s.idx, s.slot, offsetOf(backend, out), list, nAct, ao, offsetOf(backend, c!),
    batch, nRows, nCols, scale, wMin, wMax);
  return out;
};

/** lrLen, nB and flags of updateEx from an update's attrs (see names.ts). */
function exArgs(attrs: unknown): [number, number, number] {
  const a = attrs as { lrLen?: number; nBounds?: number; byIdx?: number; hasMin?: number; hasMax?: number };
  return [a.lrLen ?? 0, a.nBounds ?? 0, (a.byIdx === 1 ? 2 : 0) | (a.hasMin === 1 ? 4 : 0) | (a.hasMax === 1 ? 8 : 0)];
}

const sddmm: KernelFunc = ({ inputs, backend: be }) => {
  const backend = be as unknown as WasmBackend;
  const { ptr, idx, a, c, slot } = inputs as Inputs;
  const nRows = ptr!.shape[0]! - 1;
  const nCols = c!.shape[c!.shape.length - 1]!;
  const nnz = idx!.shape[0]!;
  const batch = batchOf(a!, nRows);
  const out = backend.makeOutput([nnz], 'float32');
  const heap = backend.wasm;
  const kern = kernelsFor(backend);
  if (!kern || !allFloat(a!, c!)) {
    const o = f32View(heap, backend, out);
    o.fill(0);
    ref.sddmm(view(heap, backend, ptr!), view(heap, backend, idx!), slot ? view(heap, backend, slot) : null,
      view(heap, backend, a!), view(heap, backend, c!), batch, nRows, nCols, o);
    return out;
  }
  const s = structure(backend, inputs as Inputs);
  const o = offsetOf(backend, out);
  zero(heap, o, nnz * 4);
  kern.sddmm(s.ptr, s.idx, s.slot, offsetOf(backend, a!), offsetOf(backend, c!), batch, nRows, nCols, o);
  return out;
};

const KERNELS: ReadonlyArray<readonly [string, KernelFunc]> = [
  [EVENT_MATVEC, eventMatVec], [ROW_DOT, rowDot], [ON_ROWS, onRows], [ADD_OUTER, addOuter], [SDDMM, sddmm],
];

/**
 * Registers the five kernels of names.ts for the 'wasm' backend. The SIMD module is compiled and
 * bound to tfjs's memory on the first call (synchronously; it is under the browsers' 4 KB limit).
 */
export function registerWasmKernels(): void {
  // idempotent: a second call (another entry point, a test) must not make tfjs warn
  for (const [kernelName, kernelFunc] of KERNELS) if (getKernel(kernelName, 'wasm') === undefined) registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
}
