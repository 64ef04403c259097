import * as tf from '@tensorflow/tfjs-core';
import { wasmAllowed } from './host.js';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasm-binary.js';

// The host kernels' WebAssembly SIMD module (assembly/kernels.ts) bound to tfjs-backend-wasm's own memory,
// so that it works on tensors in place: a kernel's pointers are the byte offsets of the heap views that
// hostKernel hands its body. On the cpu backend (arrays of its own), and where the module cannot be
// instantiated, the JS host kernels run.

export interface BioKernelExports {
  draws(state: number, out: number, n: number): void;
  drawsLanes(state: number, out: number, q: number): void;
  volumeLr(w: number, g: number, raw: number, out: number, n: number, baseLr: number, negSf: number, lrVar: number, constants: number): void;
  crystallize(w: number, g: number, f: number, gOut: number, fOut: number, n: number, thr: number, meanAbs: number, damp: number): void;
  sumAbs(x: number, n: number): number;
  mul(a: number, b: number, out: number, n: number): void;
  postTotals(w: number, post: number, n: number, totals: number, nPost: number): void;
  scaleByPost(w: number, post: number, factor: number, out: number, n: number): void;
  columnTotals(w: number, rows: number, cols: number, totals: number): void;
  scaleColumns(w: number, rows: number, cols: number, factor: number, out: number): void;
  clampStats(weights: number, w: number, n: number, limit: number, stats: number): void;
  redrawLognormal(w: number, nan: number, raw: number, n: number, k0: number, logMean: number, logSigma: number, limit: number, compat: number, draw: number, third: number, constants: number, list: number,
    signs: number, stride: number, period: number, first: number): void;
  dale(w: number, s: number, out: number, n: number, stride: number, period: number, flip: number): void;
  readonly CONSTANTS_BYTES: WebAssembly.Global;
  redrawClassic(w: number, nan: number, n: number, sigma: number, maxAbs: number, uniform: number, normals: number, constants: number, signs: number, stride: number, period: number, first: number): void;
}

/** Bytes of scratch the float32x4 kernels (volumeLr, redrawLognormal, redrawClassic) need for their constants table (CONSTANTS_BYTES). */
export const KERNEL_CONSTANTS = 1008;

export interface BioKernels {
  readonly exports: BioKernelExports;
  readonly memory: WebAssembly.Memory;
}

const compiled: (WebAssembly.Module | null | undefined)[] = [undefined, undefined];
const instances = new WeakMap<WebAssembly.Memory, BioKernels | null>();

/**
 * The compiled module, or null where there is none (yet). Node compiles it synchronously; a browser's main
 * thread refuses to compile a module over 4 KB so, and compiles it in the background instead (the JS
 * kernels run until it is ready).
 */
function compile(shared: boolean): WebAssembly.Module | null {
  const i = shared ? 1 : 0;
  if (compiled[i] === undefined) {
    const text = atob(shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
    if (!WebAssembly.validate(bytes)) compiled[i] = null; // no SIMD here
    else {
      try {
        compiled[i] = new WebAssembly.Module(bytes);
      } catch {
        compiled[i] = null;
        WebAssembly.compile(bytes).then((m) => { compiled[i] = m; }, () => undefined);
      }
    }
  }
  return compiled[i]!;
}

/** The module on the active wasm backend's memory, or null (another backend, no SIMD, setHostKernels not 'auto'). */
export function wasmKernels(): BioKernels | null {
  if (!wasmAllowed() || typeof WebAssembly === 'undefined' || tf.getBackend() !== 'wasm') return null;
  const mod = (tf.backend() as unknown as { wasm?: { asm?: { memory?: unknown }; wasmMemory?: unknown } }).wasm;
  const memory = mod?.asm?.memory ?? mod?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  let k = instances.get(memory);
  if (k === undefined) {
    const module = compile(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer);
    if (module === null) return null; // none here, or still compiling
    try {
      k = { exports: new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as BioKernelExports, memory };
    } catch {
      k = null;
    }
    instances.set(memory, k);
  }
  return k;
}

/** The byte offsets of `views` in the module's memory, or null if one of them is elsewhere. */
export function pointers(k: BioKernels, views: readonly ArrayBufferView[]): number[] | null {
  const buffer = k.memory.buffer;
  const out: number[] = [];
  for (const v of views) {
    if (v.buffer !== buffer) return null;
    out.push(v.byteOffset);
  }
  return out;
}
