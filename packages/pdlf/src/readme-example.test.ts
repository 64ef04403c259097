// The README's examples. The first as written; the second except for `script` (the test's bundled worker, since the
// sources have no dist/worker-node.js beside them) and a temporary folder for the files.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, expect, inject, it } from 'vitest';
import { InProcessEvaluator, PGPE, search, type SearchResult } from './index.js';
import { createNodeWorkerPool, fileCheckpoint, readCheckpointFile } from './node.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pdlf-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, 'fitness.mjs'), `
export function fitness(x, context) {       // higher is better
  let s = 0;
  for (let j = 0; j < x.length; j++) s -= (x[j] - context.data.target) ** 2;
  return s;
}
`);

async function example(maxGenerations: number, lines: string[]): Promise<SearchResult> {
  const pool = createNodeWorkerPool({
    fitness: { module: new URL('./fitness.mjs', pathToFileURL(`${dir}/`)), exportName: 'fitness', data: { target: 0.5 } },
    script: inject('workerScript'),
  });
  const file = path.join(dir, 'search.ckpt');
  const resume = await readCheckpointFile(file);              // null on the first run
  try {
    const result = await search({
      ...(resume ? { resume } : { es: new PGPE({ dim: 16, seed: 42, popSize: 64, centreLr: 0.05 }) }),
      evaluator: pool,
      maxGenerations,
      targetFitness: -1e-3,
      checkpoint: fileCheckpoint(file, 10),
      onProgress: (p) => void lines.push(`gen ${p.generation} best ${p.bestFitness.toFixed(4)} ${p.evaluationsPerSecond.toFixed(0)} eval/s eta ${((p.etaMs ?? 0) / 1000).toFixed(0)} s`),
    });
    return result;
  } finally {
    await pool.close();
  }
}

it('README example: a pooled, checkpointed PGPE search that resumes from its file', async () => {
  const lines: string[] = [];
  const first = await example(20, lines);
  expect(first).toMatchObject({ stopReason: 'max-generations', generation: 20, evaluations: 20 * 64 });
  const second = await example(200, lines); // resumes at generation 20 from search.ckpt
  expect(lines[20]).toMatch(/^gen 21 best /);
  expect(second.stopReason).toBe('target-fitness');
  expect(second.best!.fitness).toBeGreaterThanOrEqual(-1e-3);
  expect(Math.max(...Array.from(second.es.centre, (c) => Math.abs(c - 0.5)))).toBeLessThan(0.05);
});

it('README example: PGPE in-process reaches the target', async () => {
  const evaluator = new InProcessEvaluator((x) => {          // higher is better
    let s = 0;
    for (const v of x) s -= (v - 0.5) ** 2;
    return s;
  });
  const result = await search({
    es: new PGPE({ dim: 16, seed: 42, popSize: 64, centreLr: 0.05 }),
    evaluator,
    maxGenerations: 300,
    targetFitness: -1e-3,
  });
  expect(result.stopReason).toBe('target-fitness');
  expect(result.best!.fitness).toBeGreaterThanOrEqual(-1e-3);
});
