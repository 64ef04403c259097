import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';
import { KERNELS_WASM_BASE64, KERNELS_WASM_SHARED_BASE64 } from './wasm-binary.js';

/**
 * The SIMD kernel module (assembly/kernels.ts) instantiated on tfjs-backend-wasm's own memory, so
 * it works on tensors in place: every pointer is a tensor's byte offset in that memory.
 *
 * Loading: the module is under 3 KB, below the 4 KB that browsers allow to compile synchronously on
 * the main thread (the build fails above that), so it is compiled and instantiated synchronously
 * on the first kernel call: no init hook, no async gap. tfjs's threaded build (cross-origin
 * isolated pages) has a shared memory and gets the same kernels compiled for a shared memory
 * import. Where neither can run (no WebAssembly SIMD) `kernelsFor` returns null and the kernels
 * run the reference functions (reference.ts) on views of the same heap, with identical results.
 */
export interface KernelExports {
  // Every pointer is a byte offset into the bound memory; ptr/idx/slot are int32 CSR-style arrays
  // (row r owns slots ptr[r]..ptr[r+1]), w float32; list is int32 scratch with room for n + 1
  // entries. Event kinds: 0 float32, 1 int32, 2 bool (one byte). assembly/kernels.ts has the
  // exact arithmetic of each.
  /** Writes the indices i < n with ev[i] != 0 to list in increasing order; returns their count. */
  activeList(ev: number, n: number, kind: number, list: number): number;
  /** Rows r of a [batch, n] array with some a[b, r] != 0 to list; returns their count. */
  activeAny(a: number, batch: number, n: number, kind: number, list: number): number;
  /** out[idx[k]] += w[k] over the slots of the nAct listed rows (out zeroed by the caller). */
  matvecBinary(ptr: number, idx: number, w: number, list: number, nAct: number, out: number): void;
  /** The general event matvec: slot-indexed or homogeneous weights, binary (evKind -1) or float events. */
  matvec(ptr: number, idx: number, slot: number, w: number, homog: number, list: number, nAct: number,
    ev: number, evKind: number, out: number): void;
  /** out[r] = Σ_k w(k) · v[idx[k]] for every row r < nRows. */
  rowDot(ptr: number, idx: number, slot: number, w: number, homog: number, nRows: number, v: number, out: number): void;
  /** w(k) = clip(w(k) + vals[idx[k]], lo, hi) in place on the slots of the listed rows. */
  onRows(ptr: number, idx: number, slot: number, w: number, list: number, nAct: number, vals: number,
    lo: number, hi: number): void;
  /** w(k) = clip(w(k) + scale · Σ_b a[b, r] · c[b, idx[k]], lo, hi) in place on the listed rows. */
  addOuter(ptr: number, idx: number, slot: number, w: number, list: number, nAct: number, a: number, c: number,
    batch: number, nRows: number, nCols: number, scale: number, lo: number, hi: number): void;
  /**
   * OnRows (c = 0) or AddOuter (a at `vals`) with a per-synapse factor and/or per-row bounds
   * (ex = [lr, lo, hi]; flags: 2 bound by idx[k], 4 lo set, 8 hi set), in float64 as the cpu kernel.
   */
  updateEx(ptr: number, idx: number, slot: number, w: number, list: number, nAct: number, vals: number, c: number,
    batch: number, nRows: number, nCols: number, scale: number, lo: number, hi: number,
    ex: number, lrLen: number, nB: number, flags: number): void;
  /** Index of the first NaN or ±Infinity among n float32 at p, or -1. */
  firstNonFinite(p: number, n: number): number;
  /** out[pos(k)] = Σ_b a[b, r] · c[b, idx[k]] for every slot of every row r < nRows. */
  sddmm(ptr: number, idx: number, slot: number, a: number, c: number, batch: number, nRows: number, nCols: number,
    out: number): void;
}

/** The emscripten module inside tfjs-backend-wasm 4.22.0 (the parts used here). */
export interface EmscriptenModule {
  /** The exported memory (single-threaded builds). */
  asm?: { memory?: WebAssembly.Memory };
  /** The memory created in JS and shared with the workers (threaded build). */
  wasmMemory?: WebAssembly.Memory;
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(ptr: number): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use (library code imports no backend). */
export interface WasmBackend {
  wasm: EmscriptenModule;
  dataIdMap: { get(dataId: DataId): { memoryOffset: number; refCount: number } | undefined };
  refCount(dataId: DataId): number;
  incRef(dataId: DataId): void;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

const compiled: Array<WebAssembly.Module | null | undefined> = [undefined, undefined];
const instances = new WeakMap<WebAssembly.Memory, KernelExports | null>();
let moduleEnabled = true;

/** Tests switch the module off to run the heap-reference path that hosts without SIMD get. */
export function setKernelModuleEnabled(enabled: boolean): void {
  moduleEnabled = enabled;
}

function decode(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function compile(shared: boolean): WebAssembly.Module | null {
  const i = shared ? 1 : 0;
  if (compiled[i] === undefined) {
    try {
      compiled[i] = new WebAssembly.Module(decode(shared ? KERNELS_WASM_SHARED_BASE64 : KERNELS_WASM_BASE64) as BufferSource);
    } catch {
      compiled[i] = null; // no SIMD (or threads) support: reference fallback
    }
  }
  return compiled[i]!;
}

function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}

/** The kernel module bound to `memory` (shared or not), or null where it cannot be instantiated. */
export function instantiate(memory: WebAssembly.Memory): KernelExports | null {
  const module = compile(isShared(memory));
  if (!module) return null;
  try {
    return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  } catch {
    return null; // a memory the import does not accept: reference fallback
  }
}

/** The kernel module bound to this backend's memory, or null where it cannot run (see above). */
export function kernelsFor(backend: WasmBackend): KernelExports | null {
  if (!moduleEnabled) return null;
  const ctx = hostContext(backend);
  if (ctx.exports !== undefined) return ctx.exports;
  const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let exports = instances.get(memory);
  if (exports === undefined) {
    exports = instantiate(memory);
    instances.set(memory, exports);
  }
  ctx.exports = exports;
  return exports;
}

/**
 * What the per-step calls keep per backend: the kernel module, the scratch block and the heap views.
 * It lives on the backend object under a private symbol, so a step finds it with one property load
 * (three WeakMap lookups cost about 0.1 µs a call), and it goes when the backend goes.
 */
export interface HostContext {
  exports?: KernelExports | null;
  scratch?: { ptr: number; bytes: number };
  heap?: unknown;
}
const HOST_CONTEXT = Symbol('plasticity.sparse.hostContext');

export function hostContext(backend: WasmBackend): HostContext {
  const b = backend as WasmBackend & { [HOST_CONTEXT]?: HostContext };
  return (b[HOST_CONTEXT] ??= {});
}

/** Byte offset of a tensor's data in the wasm heap. */
export function offsetOf(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/**
 * A scratch block of at least `bytes` bytes on the wasm heap, kept per backend and grown on demand
 * (one active-index list at a time). Allocation may grow the memory: take heap views afterwards.
 */
export function scratchFor(backend: WasmBackend, bytes: number): number {
  const ctx = hostContext(backend);
  let block = ctx.scratch;
  if (!block || block.bytes < bytes) {
    const mod = backend.wasm;
    if (block) mod._free(block.ptr);
    const size = Math.max(bytes, 4096, block ? block.bytes * 2 : 0);
    block = { ptr: mod._malloc(size) >>> 0, bytes: size };
    ctx.scratch = block;
  }
  return block.ptr;
}
