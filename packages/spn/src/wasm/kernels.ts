import { PlasticityError, describeValue } from '@plasticity/core';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasm-binary.js';
import { runShare, startWorkers, type GemmWorkers, type KernelExports } from './workers.js';

// The host step's matrix products: C[M, N] = op(A)·op(B) over row-major Float32Arrays. They run in a
// WebAssembly SIMD module (assembly/gemm.ts) whose memory the operands are copied into; in Node its memory
// is shared with worker threads that take part of the columns of every large product. Each element of C
// is summed by one thread, in float32, k ascending, so the result does not depend on the number of threads.
// Where WebAssembly SIMD is missing a plain JS loop (sums in double) runs.

/** 'N': the operand as stored; 'T': its transpose. */
export type Op = 'N' | 'T';

/** Below this many multiply-adds a product runs on the calling thread alone (waking workers costs ~10 µs). */
const THREADED_MIN_MACS = 1 << 18;
/** Bytes kept for the control block at the start of the memory (shared with the workers). */
export const CONTROL_BYTES = 256;

interface Kernels extends KernelExports {
  readonly adam: (w: number, g: number, m: number, v: number, n: number, b1: number, b1c: number, b2: number, b2c: number, stepSize: number, rc: number, eps: number) => void;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly shared: boolean;
}

let kernelMode: 'wasm' | 'js' = 'wasm';
let kernels: Kernels | null | undefined;
let threadsWanted = 0; // 0: automatic
let workers: GemmWorkers | null = null;
let workersStarting = false;
let workersFailed = false;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** A shared memory where threads can use it (Node; browsers with cross-origin isolation), else a plain one. */
function loadKernels(): Kernels | null {
  if (typeof WebAssembly === 'undefined') return null;
  const canShare = typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  for (const shared of canShare ? [true, false] : [false]) {
    try {
      const bytes = decode(shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
      if (!WebAssembly.validate(bytes)) return null; // no SIMD here
      const module = new WebAssembly.Module(bytes);
      const memory = new WebAssembly.Memory(shared ? { initial: 16, maximum: 65536, shared: true } : { initial: 16 });
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Pick<Kernels, 'pack' | 'gemm' | 'adam'>;
      return { memory, pack: exports.pack, gemm: exports.gemm, adam: exports.adam, module, shared };
    } catch {
      // a shared memory refused: try a plain one
    }
  }
  return null;
}

function getKernels(): Kernels | null {
  if (kernelMode === 'js') return null;
  if (kernels === undefined) kernels = loadKernels();
  return kernels;
}

/** Tests switch to the JS loops ('js') to check them against the module ('wasm', the default). */
export function setGemmKernels(mode: 'wasm' | 'js'): void {
  kernelMode = mode;
}

/** Whether the products run in the WebAssembly module (else in the JS loops). */
export function gemmInWasm(): boolean {
  return getKernels() !== null;
}

/**
 * How many threads the host step's large matrix products use: 0 (default) for automatic — in Node up to
 * 4 (fewer when fewer cores are available), 1 elsewhere — or a count from 1 (the calling thread only) to
 * 16. Workers start in the background and join products once running; results are the same whatever the
 * count. Returns the previous setting.
 */
export function setHostThreads(count: number): number {
  if (!Number.isInteger(count) || count < 0 || count > 16) {
    throw new PlasticityError('E_PARAM', `host threads must be an integer from 0 (automatic) to 16, got ${describeValue(count)}`);
  }
  const previous = threadsWanted;
  threadsWanted = count;
  if (workers !== null && workers.size + 1 !== wantedThreads()) {
    workers.stop();
    workers = null;
  }
  return previous;
}

/** How many threads the next large product would use now: this one and the workers that are running. */
export function hostThreads(): number {
  const k = getKernels();
  return k === null ? 1 : threadsFor(k);
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The threads wanted: the setting, or in Node (automatic) up to 4 as the cores allow (0: not known yet). */
function wantedThreads(): number {
  if (threadsWanted > 0) return threadsWanted;
  return isNode() ? autoThreads : 1;
}

let autoThreads = 0;

/** The threads that take part in the next product: this one and the running workers (starting them if wanted). */
function threadsFor(k: Kernels): number {
  const want = wantedThreads();
  if (want === 1 || !k.shared || workersFailed) return 1;
  if (workers === null && !workersStarting && isNode()) {
    workersStarting = true;
    startWorkers(k.module, k.memory, k, want - 1)
      .then((w) => {
        workers = w;
        autoThreads = w.size + 1;
      })
      .catch(() => { workersFailed = true; }) // no worker threads here: stay on this thread
      .finally(() => { workersStarting = false; });
  }
  return 1 + (workers?.ready() ?? 0);
}

let arenaBytes = 0;

/** Byte offsets of the operands' regions (after the control block), the memory grown to hold them. */
function arena(k: Kernels, sizes: readonly number[]): number[] {
  const offsets: number[] = [];
  let at = CONTROL_BYTES;
  for (const floats of sizes) {
    offsets.push(at);
    at += Math.ceil(floats / 4) * 16;
  }
  if (at > arenaBytes) {
    const have = k.memory.buffer.byteLength;
    if (at > have) k.memory.grow(Math.ceil((at - have) / 65536));
    arenaBytes = k.memory.buffer.byteLength;
  }
  return offsets;
}

function check(name: string, array: Float32Array, length: number): void {
  if (array.length < length) throw new PlasticityError('E_SHAPE', `gemm: ${name} has ${array.length} values, needs ${length}`);
}

/** What is done to each product before it is stored: + bias[n], ReLU, zero where !(mask[m, n] > 0). */
export interface Epilogue {
  readonly bias?: Float32Array;
  readonly relu?: boolean;
  readonly mask?: Float32Array;
}

/**
 * C[M, N] = epilogue(op(A)·op(B)): A is [M, K] ('N') or [K, M] ('T'), B is [K, N] ('N') or [N, K] ('T'),
 * the mask [M, N], all row-major; the first M·N values of `c` are written. The bias is added in float32
 * to the float32 sum; ReLU and the mask turn NaN and −0 into +0.
 */
export function gemm(opA: Op, opB: Op, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array, epilogue: Epilogue = {}): void {
  check('A', a, M * K);
  check('B', b, K * N);
  check('C', c, M * N);
  const { bias, relu = false, mask } = epilogue;
  if (bias) check('bias', bias, N);
  if (mask) check('mask', mask, M * N);
  if (M === 0 || N === 0) return;
  const k = getKernels();
  if (k === null || K === 0) {
    gemmJs(opA, opB, M, N, K, a, b, c);
    finishJs(c, M, N, epilogue);
    return;
  }
  const panels = Math.ceil(N / 8);
  const ldc = panels * 8;
  const [pa, pb, pp, pc, pBias, pMask] = arena(k, [M * K, K * N, K * ldc, M * ldc, bias ? ldc : 0, mask ? M * ldc : 0]) as [number, number, number, number, number, number];
  const f32 = new Float32Array(k.memory.buffer);
  f32.set(a.subarray(0, M * K), pa / 4);
  f32.set(b.subarray(0, K * N), pb / 4);
  if (bias) f32.set(bias.subarray(0, N), pBias / 4);
  if (mask) for (let i = 0; i < M; i++) f32.set(mask.subarray(i * N, (i + 1) * N), pMask / 4 + i * ldc);
  const [ars, acs] = opA === 'N' ? [K, 1] : [1, M];
  const [brs, bcs] = opB === 'N' ? [N, 1] : [1, K];
  const args = [pa, ars, acs, pb, brs, bcs, N, K, pp, pc, ldc, M, bias ? pBias : 0, mask ? pMask : 0, relu ? 1 : 0];
  const threads = M * N * K >= THREADED_MIN_MACS ? threadsFor(k) : 1;
  if (threads > 1) workers!.run(threads, panels, args);
  else runShare(k, args, 0, panels);
  const out = pc / 4;
  if (ldc === N) c.set(f32.subarray(out, out + M * N));
  else for (let i = 0; i < M; i++) c.set(f32.subarray(out + i * ldc, out + i * ldc + N), i * N);
}

/**
 * One parameter's Adam update, each operation rounded to float32 (as host-step.ts's JS loop): w1, m1, v1
 * from w, g, m, v with consts [b1, 1 − b1, b2, 1 − b2, stepSize, √(1 − b2^t), eps]. False (nothing
 * written) where WebAssembly SIMD is missing.
 */
export function adamInWasm(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, w1: Float32Array, m1: Float32Array, v1: Float32Array, consts: readonly number[]): boolean {
  const k = getKernels();
  if (k === null) return false;
  const n = w.length;
  const [pw, pg, pm, pv] = arena(k, [n, n, n, n]) as [number, number, number, number];
  const f32 = new Float32Array(k.memory.buffer);
  f32.set(w, pw / 4);
  f32.set(g, pg / 4);
  f32.set(m, pm / 4);
  f32.set(v, pv / 4);
  const [b1, b1c, b2, b2c, stepSize, rc, eps] = consts as [number, number, number, number, number, number, number];
  k.adam(pw, pg, pm, pv, n, b1, b1c, b2, b2c, stepSize, rc, eps);
  w1.set(f32.subarray(pw / 4, pw / 4 + n));
  m1.set(f32.subarray(pm / 4, pm / 4 + n));
  v1.set(f32.subarray(pv / 4, pv / 4 + n));
  return true;
}

function finishJs(c: Float32Array, M: number, N: number, { bias, relu, mask }: Epilogue): void {
  for (let i = 0; i < M * N; i++) {
    let v = bias ? Math.fround(c[i]! + bias[i % N]!) : c[i]!;
    if ((relu && !(v > 0)) || (mask && !(mask[i]! > 0))) v = 0;
    c[i] = v;
  }
}

/** The same product in plain JS, sums in double (where WebAssembly SIMD is missing). */
function gemmJs(opA: Op, opB: Op, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    for (let kk = 0; kk < K; kk++) {
      const av = opA === 'N' ? a[i * K + kk]! : a[kk * M + i]!;
      if (av === 0) continue;
      if (opB === 'N') for (let j = 0, r = kk * N; j < N; j++) acc[j] = acc[j]! + av * b[r + j]!;
      else for (let j = 0; j < N; j++) acc[j] = acc[j]! + av * b[j * K + kk]!;
    }
    for (let j = 0; j < N; j++) c[i * N + j] = acc[j]!;
  }
}
