import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError } from './errors.js';

export type BackendName = 'webgpu' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

export interface InitBackendOptions {
  /** Where the tfjs wasm binaries live (a directory URL/path or a map of file names); resolved in Node. */
  readonly wasmPaths?: string | Record<string, string>;
  /** Throw E_BACKEND instead of falling back when the requested backend cannot start. */
  readonly strict?: boolean;
  /**
   * Receives the reasons a backend was skipped. Default: silent in Node (a missing
   * WebGPU there is the normal case, not news), console.warn in a browser. Pass `console.warn` to see them.
   */
  readonly log?: (message: string) => void;
}

const logged = new Set<string>();

export const isNode = (): boolean =>
  typeof process !== 'undefined' && typeof process.versions === 'object' && process.versions !== null && typeof process.versions.node === 'string';

let gradientsReady: Promise<void> | undefined;

/** Registers tfjs-core's gradients (once) when nothing has, so tf.grad works in plain Node ESM too. */
export function ensureGradients(): Promise<void> {
  gradientsReady ??= tf.getGradient('Sum') ? Promise.resolve() : import('./gradients-bundle.js').then(() => undefined);
  return gradientsReady;
}

async function nodeWasmDirectory(): Promise<string> {
  const { createRequire } = await import(/* @vite-ignore */ 'node:module');
  const path = await import(/* @vite-ignore */ 'node:path');
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + path.sep + 'dist' + path.sep;
}

/** Imports and registers one backend; returns why it cannot be used, or undefined when it can. */
async function load(name: BackendName, options: InitBackendOptions): Promise<string | undefined> {
  if (name === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    return undefined;
  }
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    if (isNode()) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false); // worker blobs fail in Node (ERR_WORKER_PATH)
    const paths = options.wasmPaths ?? (isNode() ? await nodeWasmDirectory() : undefined);
    if (paths !== undefined) wasm.setWasmPaths(paths);
    return undefined;
  }
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (!nav?.gpu) return 'navigator.gpu is missing (this environment has no WebGPU)';
  // The module registers 'webgpu' only if navigator.gpu exists at import time.
  await import('@tensorflow/tfjs-backend-webgpu');
  return undefined;
}

/**
 * Starts a tfjs backend and returns its name. 'auto' tries webgpu → wasm → cpu; a named backend
 * falls back along the same order unless `strict`. Why a backend was skipped goes to `options.log`
 * (silent by default in Node).
 * Also registers all gradients, so `tf.grad` works in plain Node ESM and in bundlers.
 */
export async function initBackend(preference: BackendName | 'auto' = 'auto', options: InitBackendOptions = {}): Promise<BackendName> {
  if (preference !== 'auto' && !BACKENDS.includes(preference)) {
    throw new PlasticityError('E_BACKEND', `backend must be 'auto', 'webgpu', 'wasm' or 'cpu', got ${JSON.stringify(preference)}`);
  }
  await ensureGradients();
  const start = preference === 'auto' ? 0 : BACKENDS.indexOf(preference);
  const order = options.strict ? [preference as BackendName] : BACKENDS.slice(start);
  const log = options.log ?? (isNode() ? undefined : (m: string) => console.warn(m));
  const reasons: string[] = [];
  for (const name of order) {
    let reason: string | undefined;
    try {
      reason = await load(name, options);
      if (reason === undefined && !(await tf.setBackend(name))) reason = `tf.setBackend('${name}') failed to initialise`;
    } catch (error) {
      reason = (error as Error).message;
    }
    if (reason === undefined) {
      await tf.ready();
      if (name === 'cpu' && isNode()) {
        // tfjs-backend-cpu prints an advert for tfjs-node on first use; tfjs-node cannot be installed offline.
        (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      }
      return name;
    }
    reasons.push(`${name}: ${reason}`);
    const message = `[plasticity] backend '${name}' skipped: ${reason}`;
    // Each reason once per process; a silent default does not use up the one telling.
    if (log && !options.strict && !logged.has(message)) {
      logged.add(message);
      log(message);
    }
  }
  throw new PlasticityError('E_BACKEND', `no backend could start (${reasons.join('; ')})`);
}

/**
 * Throws `PlasticityError('E_BACKEND')` when no tfjs backend is started, so a program that forgot
 * `initBackend()` is told so by the first library call instead of by tfjs's "No backend found in registry".
 * Library entry points call it before their first tensor op. Cheap when a backend is set (one field read);
 * when a backend was imported but never set, tfjs's own choice of it is kept (this triggers it).
 * @param caller the entry point, named in the message (e.g. 'createConnection')
 */
export function requireBackend(caller = 'this call'): void {
  if (tf.getBackend()) return;
  try {
    tf.backend();
  } catch (error) {
    throw new PlasticityError(
      'E_BACKEND',
      `${caller} needs a TensorFlow.js backend and none is started (${(error as Error).message}): ` +
        "call `await initBackend()` from @plasticity/core first (or await tf.setBackend('cpu'))",
    );
  }
}
