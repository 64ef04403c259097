// Vitest global setup: bundles the pool's worker script to plain JavaScript once per run (workers cannot
// load the TypeScript sources); tests find it through `inject('workerScript')`.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { TestProject } from 'vitest/node';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export default async function setup(project: TestProject): Promise<void> {
  const outdir = path.join(root, 'node_modules', '.cache', 'pdlf-test');
  mkdirSync(outdir, { recursive: true });
  const outfile = path.join(outdir, 'worker-node.mjs');
  await build({ entryPoints: [path.join(root, 'src/eval/worker-node.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'error' });
  project.provide('workerScript', outfile);
}

declare module 'vitest' {
  export interface ProvidedContext {
    workerScript: string;
  }
}
