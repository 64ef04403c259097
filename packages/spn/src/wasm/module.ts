import { PlasticityError, describeValue } from '@plasticity/core';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasm-binary.js';
import { availableCores, startWorkers, type GemmWorkers, type KernelExports } from './workers.js';

// The host step's WebAssembly SIMD module (assembly/kernels.ts): one instance per process, on a shared
// memory where threads can use it (Node; browsers with cross-origin isolation), else a plain one; and the
// worker threads that share its large matrix products.

export interface Kernels extends KernelExports {
  readonly attention: (p: number, z: number, t: number, q: number, n: number) => void;
  readonly attentionGrad: (dq: number, z: number, t: number, p: number, dz: number, n: number) => void;
  readonly adam: (w: number, g: number, m: number, v: number, n: number, b1: number, b1c: number, b2: number, b2c: number, stepSize: number, rc: number, eps: number) => void;
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly shared: boolean;
}

let kernelMode: 'wasm' | 'js' = 'wasm';
let kernels: Kernels | null | undefined;
let threadsWanted = 0; // 0: automatic
let workers: GemmWorkers | null = null;
let workersFailed = false;

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function loadKernels(): Kernels | null {
  if (typeof WebAssembly === 'undefined') return null;
  const canShare = typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
  for (const shared of canShare ? [true, false] : [false]) {
    try {
      const bytes = decode(shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
      if (!WebAssembly.validate(bytes)) return null; // no SIMD here
      const module = new WebAssembly.Module(bytes);
      const memory = new WebAssembly.Memory(shared ? { initial: 16, maximum: 65536, shared: true } : { initial: 16 });
      const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Omit<Kernels, 'memory' | 'module' | 'shared'>;
      return { ...exports, memory, module, shared };
    } catch {
      // a shared memory refused: try a plain one
    }
  }
  return null;
}

/** The module, or null where WebAssembly SIMD is missing (or the JS loops are asked for). */
export function getKernels(): Kernels | null {
  if (kernelMode === 'js') return null;
  if (kernels === undefined) kernels = loadKernels();
  return kernels;
}

/** Tests switch to the JS loops ('js') to check them against the module ('wasm', the default). */
export function setGemmKernels(mode: 'wasm' | 'js'): void {
  kernelMode = mode;
}

/** Whether the host step's kernels run in the WebAssembly module (else in JS loops). */
export function gemmInWasm(): boolean {
  return getKernels() !== null;
}

/**
 * How many threads the host step's large matrix products use: 0 (default) for automatic — in Node as many
 * as the cores available, at most 4; 1 elsewhere — or a count from 1 (the calling thread only) to 16.
 * Worker threads (Node ≥ 20.16) start with the first large product and join products once running; the
 * results are the same whatever the count. Returns the previous setting.
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

/** How many threads the next large product uses: this one and the running workers (starting them if wanted). */
export function hostThreads(): number {
  const k = getKernels();
  return k === null ? 1 : threadsFor(k);
}

function wantedThreads(): number {
  return threadsWanted > 0 ? threadsWanted : Math.min(4, availableCores());
}

/** The threads that take part in the next product, and the workers when there are any. */
export function threadsFor(k: Kernels): number {
  const want = wantedThreads();
  if (want === 1 || !k.shared) return 1;
  if (workers === null && !workersFailed) {
    workers = startWorkers(k.module, k.memory, k, want - 1);
    workersFailed = workers === null; // no worker threads here: stay on this thread
  }
  return 1 + (workers?.ready() ?? 0);
}

export function runningWorkers(): GemmWorkers {
  if (workers === null) throw new PlasticityError('E_BACKEND', 'gemm: no worker threads are running');
  return workers;
}
