// The engine on the WebGPU backend in Node: dawn.node (the `webgpu` package) on the SwiftShader Vulkan
// ICD that Debian's chromium package ships (as @plasticity/sparse's WebGPU suite). Without the ICD the
// tests report themselves skipped, with the reason. Run: npx vitest run -c vitest.webgpu.config.ts
import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

const CHROMIUM_DIR = '/usr/lib/chromium';
const ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
if (process.env.VK_ICD_FILENAMES === undefined && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
// dawn.node dlopens libvulkan.so.1; chromium ships one next to the ICD (read at process start).
if (existsSync(`${CHROMIUM_DIR}/libvulkan.so.1`) && !(process.env.LD_LIBRARY_PATH ?? '').split(':').includes(CHROMIUM_DIR)) {
  process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, CHROMIUM_DIR].filter(Boolean).join(':');
}

export default defineConfig({
  test: {
    name: 'webgpu-node',
    include: ['src/**/*.gpu-test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results-webgpu.json' },
  },
});
