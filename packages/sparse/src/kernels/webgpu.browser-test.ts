// WebGPU kernel suite (webgpu.suite.ts) in headless Chromium with --enable-unsafe-webgpu (SwiftShader
// adapter without a GPU). Run with vitest.webgpu.config.ts (project webgpu-browser).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { defineWebgpuSuite } from './webgpu.suite.js';

const gpu = (globalThis.navigator as { gpu?: unknown } | undefined)?.gpu;
defineWebgpuSuite({
  tf,
  skipReason: gpu ? null : 'WebGPU suite skipped: navigator.gpu is missing (start Chromium with --enable-unsafe-webgpu)',
  startHint: 'navigator.gpu exists but no adapter was found',
});
