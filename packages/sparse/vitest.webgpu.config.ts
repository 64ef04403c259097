// WebGPU kernel suite (src/kernels/webgpu.suite.ts), two projects:
//   webgpu-node     Node + dawn.node (the `webgpu` package) on the SwiftShader Vulkan ICD that Debian's
//                   chromium package ships. Without the ICD every test reports itself skipped, with the reason.
//   webgpu-browser  headless Debian Chromium (vitest browser mode, --enable-unsafe-webgpu → SwiftShader
//                   adapter); defined when /usr/bin/chromium exists, unless PLASTICITY_BROWSER_TESTS=0.
// Run: npx vitest run -c vitest.webgpu.config.ts [--project webgpu-node | --project webgpu-browser]
import { existsSync } from 'node:fs';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

const CHROMIUM_DIR = '/usr/lib/chromium';
const ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

if (process.env.VK_ICD_FILENAMES === undefined && existsSync(ICD)) process.env.VK_ICD_FILENAMES = ICD;
// dawn.node dlopens libvulkan.so.1. Chromium ships its own loader next to the ICD; Debian's
// libvulkan1 is often absent. The dynamic linker reads LD_LIBRARY_PATH at process start, so it is
// set here, in the parent, and inherited by the forked test workers.
if (existsSync(`${CHROMIUM_DIR}/libvulkan.so.1`) && !(process.env.LD_LIBRARY_PATH ?? '').split(':').includes(CHROMIUM_DIR)) {
  process.env.LD_LIBRARY_PATH = [process.env.LD_LIBRARY_PATH, CHROMIUM_DIR].filter(Boolean).join(':');
}

const projects: TestProjectInlineConfiguration[] = [{
  test: {
    name: 'webgpu-node',
    include: ['src/**/*.gpu-test.ts'],
    environment: 'node',
    pool: 'forks', // the native module lives in a child process
    testTimeout: 120_000,
  },
}];
if (existsSync(CHROMIUM) && process.env.PLASTICITY_BROWSER_TESTS !== '0') {
  projects.push({
    test: {
      name: 'webgpu-browser',
      include: ['src/**/*.browser-test.ts'],
      testTimeout: 120_000,
      browser: {
        enabled: true,
        headless: true,
        provider: playwright({
          launchOptions: {
            executablePath: CHROMIUM,
            args: ['--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update',
              '--disable-sync', '--disable-quic', '--no-first-run'],
          },
        }),
        instances: [{ browser: 'chromium' }],
      },
    },
  });
}

export default defineConfig({
  test: {
    // The JSON report feeds the counts line of .ci/run (test-results*.json).
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results-webgpu.json' },
    fileParallelism: false,
    projects,
  },
});
