import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the counts line of .ci/run.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    include: ['src/**/*.test.ts'],
    setupFiles: ['@plasticity/testing/setup'],
    testTimeout: 60_000,
  },
});
