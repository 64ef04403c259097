import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The JSON report feeds the counts line of .ci/run.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    include: ['src/**/*.test.ts'],
    // Bundles the pool's worker script once (workers run plain JavaScript, not the TypeScript sources).
    globalSetup: ['test/build-worker.ts'],
    testTimeout: 30_000,
  },
});
