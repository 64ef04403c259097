// WebGPU kernel suite in Node: dawn.node (the `webgpu` package) on the SwiftShader Vulkan ICD that
// Debian's chromium package ships. Run: npx vitest run -c vitest.webgpu.config.ts (or pnpm test:webgpu).
// Without the ICD the suite reports every test as skipped, with the reason.
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const CHROMIUM_DIR = '/usr/lib/chromium';
const ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;

if (process.env.VK_ICD_FILENAMES === undefined && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
// dawn.node dlopens libvulkan.so.1. Chromium ships its own loader next to the ICD; Debian's
// libvulkan1 is often absent. The dynamic linker reads LD_LIBRARY_PATH at process start, so it is
// set here, in the parent, and inherited by the forked test workers.
if (existsSync(`${CHROMIUM_DIR}/libvulkan.so.1`) && !(process.env.LD_LIBRARY_PATH ?? '').split(':').includes(CHROMIUM_DIR)) {
  process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, CHROMIUM_DIR].filter(Boolean).join(':');
}

export default defineConfig({
  test: {
    // The JSON report feeds the counts line of .ci/run (test-results*.json).
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results-webgpu.json' },
    include: ['src/**/*.gpu-test.ts'],
    environment: 'node',
    pool: 'forks', // the native module lives in a child process
    fileParallelism: false,
    testTimeout: 120_000,
  },
});
