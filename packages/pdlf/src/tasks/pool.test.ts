import '@tensorflow/tfjs-backend-cpu';
import { fileURLToPath } from 'node:url';
import { createRng, initBackend } from '@plasticity/core';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createNodeWorkerPool } from '../node.js';
import { SpikingPolicy } from '../policy/spiking.js';
import { evaluateCopy } from './copy-eval.js';
import { evaluateReach } from './reach.js';

// The tasks spread over worker threads (@plasticity/pdlf/task-fitness, the built module a pool
// loads): every chunk of genomes runs as one population network in its worker, and each genome
// scores what it scores in this thread.

const taskFitness = fileURLToPath(new URL('../../dist/task-fitness.js', import.meta.url));

beforeAll(async () => {
  await initBackend('cpu'); // quiet: no tfjs-node advert
});

describe('tasks in a worker pool', () => {
  it('copy and reach: the pool gives every genome its in-process fitness, chunked over two workers', async () => {
    const cases = [
      { exportName: 'copy', policy: { hidden: [8] }, task: { length: 3, latency: 2, stimulusSteps: 2, sequences: 2 } },
      { exportName: 'reach', policy: { nIn: 4, nOut: 2, hidden: [8], rule: 'core/scp' as const }, task: { steps: 20, directions: [0, 2] } },
    ];
    for (const c of cases) {
      const policy = new SpikingPolicy(c.policy);
      const rng = createRng(9);
      const genomes = Array.from({ length: 6 }, () => rng.normal(policy.dim, 0, 1));
      const pool = createNodeWorkerPool({ size: 2, script: inject('workerScript'), fitness: { module: taskFitness, exportName: c.exportName, batch: true, data: JSON.parse(JSON.stringify({ policy: c.policy, task: c.task, seed: 100 })) } });
      try {
        const pooled = await pool.evaluate(genomes, { generation: 4 });
        const here = c.exportName === 'copy'
          ? await evaluateCopy(policy, genomes, c.task, { seed: 104 })
          : await evaluateReach(policy, genomes, c.task, { seed: 104 });
        expect(Array.from(pooled)).toEqual(Array.from(here.fitness));
        expect(new Set(pooled).size).toBeGreaterThan(1);
      } finally {
        await pool.close();
      }
    }
  });
});
