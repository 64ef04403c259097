// Which tfjs backends this browser can run, and switching between them. Every backend is really
// started once (initBackend with strict: true), so "unavailable" always comes with the reason it failed.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '@plasticity/core';
// The wasm binaries are emitted by Vite as files next to the bundle; nothing is fetched from a CDN.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'wasm', 'cpu'];

export interface BackendStatus {
  readonly name: BackendName;
  readonly available: boolean;
  /** Why it cannot be used (only when unavailable). */
  readonly reason?: string;
}

/** Where the tfjs wasm binaries are (also used by the web workers of the PDLF page). */
export const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
};

/** Why WebGPU cannot start here, before tfjs tries (its own failure message is less helpful). */
async function webgpuObstacle(): Promise<string | undefined> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) {
    return window.isSecureContext
      ? 'navigator.gpu is missing: this browser has no WebGPU (Chromium on Linux needs --enable-unsafe-webgpu)'
      : 'navigator.gpu is missing: WebGPU needs a secure context (https or localhost)';
  }
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return 'navigator.gpu.requestAdapter() returned no adapter (no usable GPU, and no software adapter offered)';
  return undefined;
}

/** Starts one backend; resolves to undefined when it runs, or to the reason it does not. */
async function tryStart(name: BackendName): Promise<string | undefined> {
  if (name === 'webgpu') {
    const obstacle = await webgpuObstacle();
    if (obstacle) return obstacle;
  }
  if (name === 'wasm' && typeof WebAssembly !== 'object') return 'this browser has no WebAssembly';
  try {
    await initBackend(name, { strict: true, wasmPaths: WASM_PATHS, log: () => {} });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Probes every backend in the order WebGPU → WASM → CPU and leaves the first available one active. */
export async function probeBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const name of BACKEND_ORDER) {
    const reason = await tryStart(name);
    out.push(reason === undefined ? { name, available: true } : { name, available: false, reason });
  }
  const best = out.find((s) => s.available);
  if (best) await useBackend(best.name);
  return out;
}

/** Makes an already started backend the active one. */
export async function useBackend(name: BackendName): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') failed`);
  await tf.ready();
}

export const activeBackend = (): BackendName => tf.getBackend() as BackendName;
