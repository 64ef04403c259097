import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the counts line of .ci/run.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
