import * as tf from '@tensorflow/tfjs-core';
import type { DataId } from '@tensorflow/tfjs-core';
import { nonFiniteError, firstNonFinite } from '../operands.js';
import * as ref from './reference.js';
import type { StepEvents } from '../event-list.js';
import { hostContext, kernelsFor, offsetOf, scratchFor, type WasmBackend } from './wasm-module.js';

/**
 * Per-step kernels for simulation loops on the cpu and wasm backends, called without any tfjs
 * kernel call: no tensor is allocated, host arrays (event lists, values, the caller's output) are
 * read and written directly, weights are updated in place. On cpu they run the reference
 * functions on tfjs's own typed arrays; on wasm our SIMD module on tfjs's heap, with host inputs
 * copied into a scratch block there and the output copied out. Arithmetic and order are those of
 * the registered kernels, so results are bit-identical to them (and cpu = wasm).
 *
 * Every function returns false, having changed nothing, when it cannot run here (another backend,
 * weights shared with another tensor, an operand dtype the module does not read); the caller then
 * takes the tensor path.
 */

/** A compressed view's structure tensors. */
export interface HostView {
  readonly ptr: tf.Tensor;
  readonly idx: tf.Tensor;
  readonly slot?: tf.Tensor;
}

interface CpuBackend {
  data: { get(dataId: DataId): { values?: unknown } | undefined };
  refCount(dataId: DataId): number;
}

interface Engine {
  readonly backendName: string | null;
  readonly backend: unknown;
}

type Values = ArrayLike<number>;

function engine(): Engine {
  return tf.engine() as unknown as Engine;
}

function cpuValues(be: CpuBackend, t: tf.Tensor): Values {
  return be.data.get(t.dataId)!.values as Values;
}

const KIND: Record<string, number> = { float32: 0, int32: 1, bool: 2 };

/** Typed views of the whole heap, rebuilt when the memory grows (its buffer changes). */
interface HeapViews {
  buffer: ArrayBufferLike;
  u8: Uint8Array;
  i32: Int32Array;
  f32: Float32Array;
  /** The last output region handed out (so a step allocates no view). */
  outOff: number;
  outLen: number;
  outView: Float32Array;
}
function heapViews(be: WasmBackend): HeapViews {
  const u8 = be.wasm.HEAPU8;
  const ctx = hostContext(be);
  let h = ctx.heap as HeapViews | undefined;
  if (!h || h.buffer !== u8.buffer) {
    h = { buffer: u8.buffer, u8, i32: new Int32Array(u8.buffer), f32: new Float32Array(u8.buffer), outOff: -1, outLen: 0, outView: new Float32Array(0) };
    ctx.heap = h;
  }
  return h;
}

function outRegion(h: HeapViews, off: number, n: number): Float32Array {
  if (h.outOff !== off || h.outLen !== n) {
    h.outView = h.f32.subarray(off >> 2, (off >> 2) + n);
    h.outOff = off;
    h.outLen = n;
  }
  return h.outView;
}

const align = (bytes: number): number => (bytes + 15) & ~15;

/** Heap offsets of a view's structure tensors: fixed for the tensors' lifetime, looked up once. */
interface ViewOffsets {
  readonly ptr: number;
  readonly idx: number;
  readonly slot: number;
}
const viewOffsets = new WeakMap<HostView, ViewOffsets>();

function offsetsOf(be: WasmBackend, view: HostView): ViewOffsets {
  let o = viewOffsets.get(view);
  if (o === undefined) {
    o = { ptr: offsetOf(be, view.ptr), idx: offsetOf(be, view.idx), slot: view.slot ? offsetOf(be, view.slot) : 0 };
    viewOffsets.set(view, o);
  }
  return o;
}

/** True on the backends these functions serve (the connection then needs no tensor path). */
export function hostBackendActive(): boolean {
  const name = engine().backendName;
  return name === 'cpu' || name === 'wasm';
}

/**
 * Writes a list's entries into the heap list at `list` (byte offset), skipping zero-valued ones,
 * and their values by row into `byRow` when given. Returns the number written.
 */
function listToHeap(h: HeapViews, ev: StepEvents, list: number, byRow: number): number {
  const rows = ev.rows!;
  const values = ev.values;
  const base = list >> 2;
  let n = 0;
  if (values === null) {
    for (let a = 0; a < ev.count; a++) h.i32[base + a] = rows[a]!;
    return ev.count;
  }
  for (let a = 0; a < ev.count; a++) {
    const v = values[a]!;
    if (v === 0) continue;
    h.i32[base + n++] = rows[a]!;
    if (byRow) h.f32[(byRow >> 2) + rows[a]!] = v;
  }
  return n;
}

/**
 * Dense events on the heap: (offset, kind) of a tensor, or of a host array copied to `scratch`
 * (room for n float32). Null for a tensor dtype the module does not read.
 */
function denseToHeap(be: WasmBackend, h: HeapViews, dense: Uint8Array | Float32Array | tf.Tensor, scratch: number): [number, number] | null {
  if (dense instanceof tf.Tensor) {
    const kind = KIND[dense.dtype];
    return kind === undefined ? null : [offsetOf(be, dense), kind];
  }
  if (dense instanceof Uint8Array) {
    h.u8.set(dense, scratch);
    return [scratch, 2];
  }
  h.f32.set(dense, scratch >> 2);
  return [scratch, 0];
}

/**
 * out = events @ W over a row view (out: host Float32Array [nCols], overwritten). Binary mode adds
 * the weight, float mode weight × event value.
 */
export function hostEventMatVec(view: HostView, weights: tf.Tensor, ev: StepEvents, nRows: number,
  binary: boolean, out: Float32Array): boolean {
  const e = engine();
  if (e.backendName === 'cpu') {
    const be = e.backend as CpuBackend;
    const ptr = cpuValues(be, view.ptr);
    const idx = cpuValues(be, view.idx);
    const slot = view.slot ? cpuValues(be, view.slot) : null;
    const w = cpuValues(be, weights);
    out.fill(0);
    if (ev.rows) ref.eventMatVecList(ptr, idx, slot, w, ev.rows, ev.count, ev.values, binary, out);
    else ref.eventMatVec(ptr, idx, slot, w, ev.dense instanceof tf.Tensor ? cpuValues(be, ev.dense) : ev.dense!, 1, nRows, out.length, binary, out);
    return true;
  }
  if (e.backendName !== 'wasm') return false;
  const be = e.backend as WasmBackend;
  const kern = kernelsFor(be);
  if (!kern) return wasmReferenceMatVec(be, view, weights, ev, nRows, binary, out);
  const nCols = out.length;
  const listBytes = align((nRows + 1) * 4);
  const outBytes = align(nCols * 4);
  const base = scratchFor(be, listBytes + outBytes + align(nRows * 4));
  const list = base;
  const o = base + listBytes;
  const scratch = o + outBytes;
  const h = heapViews(be); // after scratchFor: an allocation may have grown the heap
  let nAct: number;
  let evPtr = 0;
  let evKind = -1;
  if (ev.rows) {
    nAct = listToHeap(h, ev, list, binary ? 0 : scratch);
    if (!binary && ev.values) {
      evPtr = scratch;
      evKind = 0;
    }
  } else {
    const d = denseToHeap(be, h, ev.dense!, scratch);
    if (!d) return false;
    [evPtr, evKind] = d;
    nAct = kern.activeList(evPtr, nRows, evKind, list);
    if (binary) evKind = -1;
  }
  const w = offsetOf(be, weights);
  const homog = weights.size === 1 && view.idx.size !== 1 ? 1 : 0;
  h.u8.fill(0, o, o + nCols * 4);
  const v = offsetsOf(be, view);
  if (evKind < 0 && v.slot === 0 && !homog) kern.matvecBinary(v.ptr, v.idx, w, list, nAct, o);
  else kern.matvec(v.ptr, v.idx, v.slot, w, homog, list, nAct, evPtr, evKind, o);
  out.set(outRegion(h, o, nCols));
  return true;
}

/** Heap views of a tensor on wasm (for the reference fallback without SIMD). */
function heapArray(be: WasmBackend, t: tf.Tensor): Float32Array | Int32Array | Uint8Array {
  const buf = be.wasm.HEAPU8.buffer;
  const off = offsetOf(be, t);
  if (t.dtype === 'float32') return new Float32Array(buf, off, t.size);
  if (t.dtype === 'int32') return new Int32Array(buf, off, t.size);
  return new Uint8Array(buf, off, t.size);
}

function wasmReferenceMatVec(be: WasmBackend, view: HostView, weights: tf.Tensor, ev: StepEvents, nRows: number,
  binary: boolean, out: Float32Array): boolean {
  const slot = view.slot ? heapArray(be, view.slot) : null;
  const ptr = heapArray(be, view.ptr);
  const idx = heapArray(be, view.idx);
  const w = heapArray(be, weights);
  out.fill(0);
  if (ev.rows) ref.eventMatVecList(ptr, idx, slot, w, ev.rows, ev.count, ev.values, binary, out);
  else ref.eventMatVec(ptr, idx, slot, w, ev.dense instanceof tf.Tensor ? heapArray(be, ev.dense) : ev.dense!, 1, nRows, out.length, binary, out);
  return true;
}

/**
 * In place: w(k) = clip(w(k) + values[idx[k]]) on the slots of the active rows of a view. `values`
 * is a host Float32Array (checked finite here, before any weight changes: E_PARAM naming
 * `valuesName`) or a rank-1 float32 tensor. Returns false when the weights are shared with another
 * tensor or an operand has a dtype the module does not read.
 */
export function hostOnRows(view: HostView, weights: tf.Tensor, ev: StepEvents, nRows: number,
  values: Float32Array | tf.Tensor, valuesName: string, wMin: number, wMax: number): boolean {
  const e = engine();
  if (e.backendName === 'cpu') {
    const be = e.backend as CpuBackend;
    const w = cpuValues(be, weights);
    if (!(w instanceof Float32Array) || be.refCount(weights.dataId) !== 1) return false;
    if (values instanceof Float32Array) {
      const bad = firstNonFinite(values);
      if (bad >= 0) throw nonFiniteError(valuesName, values[bad]!, bad);
    }
    const vals = values instanceof Float32Array ? values : cpuValues(be, values);
    return cpuOnRows(be, view, w, ev, nRows, vals, wMin, wMax);
  }
  if (e.backendName !== 'wasm') return false;
  const be = e.backend as WasmBackend;
  const wd = be.dataIdMap.get(weights.dataId)!; // one lookup for the owner count and the offset
  if (wd.refCount !== 1 || weights.dtype !== 'float32') return false;
  if (!(values instanceof Float32Array) && values.dtype !== 'float32') return false;
  const kern = kernelsFor(be);
  if (!kern) return wasmReferenceOnRows(be, view, weights, ev, nRows, values, valuesName, wMin, wMax);
  const listBytes = align((nRows + 1) * 4);
  const nValues = values instanceof Float32Array ? values.length : values.size;
  const valBytes = values instanceof Float32Array ? align(nValues * 4) : 0;
  const base = scratchFor(be, listBytes + valBytes + align(nRows * 4));
  const list = base;
  const h = heapViews(be);
  let vals: number;
  if (values instanceof Float32Array) {
    vals = base + listBytes;
    h.f32.set(values, vals >> 2);
    const bad = kern.firstNonFinite(vals, nValues);
    if (bad >= 0) throw nonFiniteError(valuesName, values[bad]!, bad);
  } else {
    vals = offsetOf(be, values);
  }
  let nAct: number;
  if (ev.rows) {
    nAct = listToHeap(h, ev, list, 0);
  } else {
    const d = denseToHeap(be, h, ev.dense!, base + listBytes + valBytes);
    if (!d) return false;
    nAct = kern.activeList(d[0], nRows, d[1], list);
  }
  const v = offsetsOf(be, view);
  kern.onRows(v.ptr, v.idx, v.slot, wd.memoryOffset, list, nAct, vals, wMin, wMax);
  return true;
}

function cpuOnRows(be: CpuBackend, view: HostView, w: Float32Array, ev: StepEvents, nRows: number, vals: Values,
  wMin: number, wMax: number): boolean {
  const ptr = cpuValues(be, view.ptr);
  const idx = cpuValues(be, view.idx);
  const slot = view.slot ? cpuValues(be, view.slot) : null;
  if (ev.rows) ref.onRowsList(ptr, idx, slot, w, ev.rows, ev.count, ev.values, vals, wMin, wMax);
  else ref.onRows(ptr, idx, slot, w, ev.dense instanceof tf.Tensor ? cpuValues(be, ev.dense) : ev.dense!, vals, nRows, wMin, wMax);
  return true;
}

function wasmReferenceOnRows(be: WasmBackend, view: HostView, weights: tf.Tensor, ev: StepEvents, nRows: number,
  values: Float32Array | tf.Tensor, valuesName: string, wMin: number, wMax: number): boolean {
  if (values instanceof Float32Array) {
    const bad = firstNonFinite(values);
    if (bad >= 0) throw nonFiniteError(valuesName, values[bad]!, bad);
  }
  const vals = values instanceof Float32Array ? values : heapArray(be, values);
  const slot = view.slot ? heapArray(be, view.slot) : null;
  const ptr = heapArray(be, view.ptr);
  const idx = heapArray(be, view.idx);
  const w = heapArray(be, weights) as Float32Array;
  if (ev.rows) ref.onRowsList(ptr, idx, slot, w, ev.rows, ev.count, ev.values, vals, wMin, wMax);
  else ref.onRows(ptr, idx, slot, w, ev.dense instanceof tf.Tensor ? heapArray(be, ev.dense) : ev.dense!, vals, nRows, wMin, wMax);
  return true;
}

