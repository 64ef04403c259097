import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts', fused: 'src/fused/index.ts' },
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    // Kept as a lazy chunk import; built by the second config below.
    external: ['./gradients-bundle.js'],
  },
  {
    // tfjs-core's gradient registrations with their op dependencies in one file that plain Node ESM can
    // load; loaded by ensureGradients() only when no gradients are registered yet.
    entry: { 'gradients-bundle': 'src/gradients-bundle.ts' },
    format: ['esm'],
    dts: false,
    minify: true,
    target: 'es2022',
    noExternal: [/@tensorflow\/tfjs-core/],
    platform: 'neutral',
  },
]);
