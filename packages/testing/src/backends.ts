import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Backends every package's suite runs on in Node. WebGPU runs in the browser suites. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;
export type TestBackend = (typeof TEST_BACKENDS)[number] | 'webgpu';

let wasmReady = false;

/** Switches tfjs to `name` (wasm paths resolved from the installed package, threads off in Node). */
export async function useBackend(name: TestBackend): Promise<void> {
  if (name === 'wasm' && !wasmReady && typeof process !== 'undefined') {
    const require = createRequire(import.meta.url);
    setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + path.sep + 'dist' + path.sep);
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    wasmReady = true;
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to start`);
  await tf.ready();
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false; // no tfjs-node advert in test logs
}

/** Absolute and relative tolerance per backend: cpu and wasm are float32-exact kernels; WebGPU is not. */
export const TOLERANCE: Record<TestBackend, { atol: number; rtol: number }> = {
  cpu: { atol: 1e-6, rtol: 1e-5 },
  wasm: { atol: 1e-6, rtol: 1e-5 },
  webgpu: { atol: 1e-4, rtol: 1e-3 },
};
