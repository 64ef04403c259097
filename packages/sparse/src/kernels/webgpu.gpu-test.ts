// WebGPU kernel suite (webgpu.suite.ts) in Node: dawn.node (the `webgpu` package) on the SwiftShader
// Vulkan ICD that Debian's chromium package ships. Run with vitest.webgpu.config.ts (pnpm test:webgpu).
// Without the ICD every test reports itself skipped, with the reason.
import { existsSync } from 'node:fs';
import { afterAll } from 'vitest';
import type * as TF from '@tensorflow/tfjs-core';
import { defineWebgpuSuite } from './webgpu.suite.js';

const ICD = process.env.VK_ICD_FILENAMES ?? '/usr/lib/chromium/vk_swiftshader_icd.json';
const skipReason = existsSync(ICD)
  ? null
  : `WebGPU suite skipped: no Vulkan ICD at ${ICD} (install Debian's chromium package, which ships the SwiftShader ICD, or set VK_ICD_FILENAMES)`;
if (skipReason !== null) console.warn(skipReason);

type Nav = { gpu?: unknown };
if (skipReason === null) {
  process.env.VK_ICD_FILENAMES = ICD; // read by dawn.node at create()
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  // Node 20 has no navigator (21+ has a getter): define one. tfjs-backend-webgpu registers itself
  // only if navigator.gpu exists when it is imported.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: create([]) }, configurable: true, writable: true });
}
const tf: typeof TF = await import('@tensorflow/tfjs-core');
await import('@tensorflow/tfjs-backend-cpu');
if (skipReason === null) await import('@tensorflow/tfjs-backend-webgpu');

defineWebgpuSuite({
  tf,
  skipReason,
  startHint: `VK_ICD_FILENAMES=${ICD}, LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? ''}; is libvulkan.so.1 loadable?`,
});

afterAll(() => {
  // dawn.node keeps the process alive while navigator.gpu exists.
  const nav = (globalThis as { navigator?: Nav }).navigator;
  if (nav !== undefined) delete nav.gpu;
});
