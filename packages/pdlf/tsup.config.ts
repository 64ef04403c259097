import { defineConfig } from 'tsup';

// `worker-node` is the script each pool worker runs; `node.ts` starts it as `new URL('./worker-node.js',
// import.meta.url)`, so both must land side by side in dist/ (they do: one flat output folder).
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    worker: 'src/worker.ts',
    'worker-node': 'src/eval/worker-node.ts',
    'task-fitness': 'src/task-fitness.ts',
  },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', node: 'src/node.ts', worker: 'src/worker.ts', 'task-fitness': 'src/task-fitness.ts' } },
  sourcemap: true,
  clean: true,
  target: 'es2022',
});
