import { PlasticityError } from '@plasticity/core';

// Node worker threads that share the matrix-product module's memory. A product is posted through a
// control block at the start of that memory (Int32 slots below): the calling thread writes the operands'
// addresses, bumps SEQ and wakes the workers. Then every participating thread, the caller included, claims
// chunks of CHUNK 8-column panels of B from the NEXT counter, packs and multiplies them, until none are
// left (so a thread that started late or runs slower takes fewer); each worker then adds one to DONE and
// wakes the caller. No message passing, so the step stays synchronous.

const SEQ = 0;
const DONE = 1;
const THREADS = 2;
const FAILED = 3;
const GENERATION = 4; // of the running pool: a worker of an older (stopped) pool exits when it wakes
const NEXT = 5;
const ARGS = 8; // 15 slots: runShare's arguments
const PANELS = 23;
const READY = 24; // one flag per worker
/** Panels per claim: 64 columns (for K = 1024, 256 KB of packed B). */
const CHUNK = 8;
/** A product that has not finished after this long means a worker is gone. */
const TIMEOUT_MS = 60_000;

/** The worker's source (CommonJS, run with `eval`): the same module on the same memory, waiting on SEQ. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, index, generation } = workerData;
const { pack, gemm } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const ctl = new Int32Array(memory.buffer, 0, 64);
Atomics.store(ctl, ${READY} + index, 1);
let seen = Atomics.load(ctl, ${SEQ});
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  if (Atomics.load(ctl, ${GENERATION}) !== generation) break;
  const seq = Atomics.load(ctl, ${SEQ});
  if (seq === seen) continue;
  seen = seq;
  if (index + 1 >= Atomics.load(ctl, ${THREADS})) continue;
  // claimChunks and runShare below, written out: this source must not depend on names a bundler may change
  const panels = ctl[${PANELS}];
  const [a, ars, acs, b, brs, bcs, N, K, packed, c, ldc, M, bias, mask, relu] = ctl.subarray(${ARGS}, ${ARGS} + 15);
  try {
    for (let p0 = Atomics.add(ctl, ${NEXT}, ${CHUNK}); p0 < panels; p0 = Atomics.add(ctl, ${NEXT}, ${CHUNK})) {
      const p1 = Math.min(p0 + ${CHUNK}, panels);
      pack(b, brs, bcs, N, K, packed, p0, p1);
      gemm(a, ars, acs, packed, c, ldc, M, K, p0, p1, bias, mask, relu);
    }
  } catch {
    Atomics.store(ctl, ${FAILED}, 1);
  }
  Atomics.add(ctl, ${DONE}, 1);
  Atomics.notify(ctl, ${DONE});
}
`;

export interface GemmWorkers {
  /** How many workers there are. */
  readonly size: number;
  /** How many of the first workers are running (they join products in index order). */
  ready(): number;
  /** One product on `threads` threads (this one and threads − 1 workers): pack B and multiply, by chunks of panels. */
  run(threads: number, panels: number, args: readonly number[]): void;
  stop(): void;
}

export interface KernelExports {
  pack(b: number, brs: number, bcs: number, N: number, K: number, out: number, p0: number, p1: number): void;
  gemm(a: number, ars: number, acs: number, bp: number, c: number, ldc: number, M: number, K: number, p0: number, p1: number, bias: number, mask: number, relu: number): void;
}

/**
 * One thread's share of a product: pack panels [p0, p1) of B and multiply them. `args`: a, ars, acs, b,
 * brs, bcs, N, K, packed, c, ldc, M, bias, mask, relu (addresses in the module's memory; 0: none).
 * The workers' source repeats it.
 */
export function runShare(k: KernelExports, args: readonly number[], p0: number, p1: number): void {
  const [a, ars, acs, b, brs, bcs, N, K, packed, c, ldc, M, bias, mask, relu] = args as number[];
  k.pack(b!, brs!, bcs!, N!, K!, packed!, p0, p1);
  k.gemm(a!, ars!, acs!, packed!, c!, ldc!, M!, K!, p0, p1, bias!, mask!, relu!);
}

interface NodeModules {
  readonly worker_threads: typeof import('node:worker_threads');
  readonly os: typeof import('node:os');
}

/**
 * Node's worker_threads and os, loaded synchronously (process.getBuiltinModule, Node ≥ 20.16), so that
 * workers start inside a synchronous step (a dynamic import would wait for the caller to yield); null
 * elsewhere (browsers, older Node).
 */
function nodeModules(): NodeModules | null {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof get !== 'function') return null;
  return { worker_threads: get('node:worker_threads') as NodeModules['worker_threads'], os: get('node:os') as NodeModules['os'] };
}

/** Cores available to this process (1 where unknown). */
export function availableCores(): number {
  return nodeModules()?.os.availableParallelism() ?? 1;
}

/**
 * Starts `count` worker threads on `memory` beside `own`, this thread's instance of `module`; they join
 * products once running (`ready()`). Null where Node's worker threads are missing.
 */
export function startWorkers(module: WebAssembly.Module, memory: WebAssembly.Memory, own: KernelExports, count: number): GemmWorkers | null {
  const node = nodeModules();
  if (node === null || count < 1) return null;
  const { Worker } = node.worker_threads;
  const ctl = new Int32Array(memory.buffer, 0, 64);
  const generation = Atomics.add(ctl, GENERATION, 1) + 1;
  const threads = Array.from({ length: count }, (_, index) => {
    Atomics.store(ctl, READY + index, 0);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, index, generation } });
    worker.unref(); // idle workers never keep the process alive
    // a worker that failed or exited takes no more shares (unless its pool was replaced meanwhile)
    const gone = () => {
      if (Atomics.load(ctl, GENERATION) === generation) Atomics.store(ctl, READY + index, 0);
    };
    worker.on('error', gone);
    worker.on('exit', gone);
    return worker;
  });
  return {
    size: count,
    ready() {
      let n = 0;
      while (n < count && Atomics.load(ctl, READY + n) === 1) n++;
      return n;
    },
    run(participants, panels, args) {
      ctl.set(args, ARGS);
      ctl[PANELS] = panels;
      Atomics.store(ctl, THREADS, participants);
      Atomics.store(ctl, DONE, 0);
      Atomics.store(ctl, FAILED, 0);
      Atomics.store(ctl, NEXT, 0);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      for (let p0 = Atomics.add(ctl, NEXT, CHUNK); p0 < panels; p0 = Atomics.add(ctl, NEXT, CHUNK)) runShare(own, args, p0, Math.min(p0 + CHUNK, panels));
      const start = Date.now();
      for (let done = Atomics.load(ctl, DONE); done < participants - 1; done = Atomics.load(ctl, DONE)) {
        Atomics.wait(ctl, DONE, done, 100);
        if (Date.now() - start > TIMEOUT_MS) throw new PlasticityError('E_BACKEND', `gemm: a worker thread did not finish its share in ${TIMEOUT_MS / 1000} s`);
      }
      if (Atomics.load(ctl, FAILED) !== 0) throw new PlasticityError('E_BACKEND', 'gemm: a worker thread failed');
    },
    stop() {
      Atomics.add(ctl, GENERATION, 1);
      Atomics.add(ctl, SEQ, 1);
      Atomics.notify(ctl, SEQ);
      for (const w of threads) void w.terminate();
    },
  };
}
