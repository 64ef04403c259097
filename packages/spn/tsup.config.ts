import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', layers: 'src/tfjs-layers/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
