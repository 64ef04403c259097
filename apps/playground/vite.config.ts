import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the build works from any path (vite preview, a static file server, a subfolder).
  base: './',
  // One copy of tfjs-core: the backends and every @plasticity package register into the same engine.
  resolve: { dedupe: ['@tensorflow/tfjs-core'] },
  build: {
    target: 'es2022',
    // tfjs is large; the warning says nothing useful here.
    chunkSizeWarningLimit: 4000,
    // The tfjs wasm binaries are imported with ?url (src/backend.ts): keep them as files, never inlined.
    assetsInlineLimit: (file) => (file.endsWith('.wasm') ? false : undefined),
  },
  worker: { format: 'es' },
});
