import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { saveCheckpoint } from '@plasticity/core';
import { expectPlasticityError } from '@plasticity/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { InProcessEvaluator } from '../eval/in-process.js';
import type { EvaluateOptions, Evaluator } from '../eval/types.js';
import { createNodeWorkerPool, fileCheckpoint, readCheckpointFile } from '../node.js';
import { loadEsCheckpoint, restoreStrategy, saveEsCheckpoint } from './checkpoint.js';
import { OpenAIES } from './openai-es.js';
import { PGPE } from './pgpe.js';
import { search, type SearchProgress } from './search.js';
import type { EvolutionStrategy } from './types.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'pdlf-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic fitness with a non-trivial landscape (a shifted, tilted sphere). */
const fitness = (x: Float32Array) => {
  let s = 0;
  for (let j = 0; j < x.length; j++) s -= (x[j]! - 0.3 * Math.sin(j)) ** 2 * (1 + j);
  return s;
};

/** Records every population it evaluates. */
class Recorder implements Evaluator {
  readonly seen: Float32Array[][] = [];
  private readonly inner = new InProcessEvaluator(fitness);
  evaluate(solutions: readonly Float32Array[], options?: EvaluateOptions) {
    this.seen.push(solutions.map((s) => s.slice()));
    return this.inner.evaluate(solutions, options);
  }
  async close() {}
}

const bits = (a: Float64Array | Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

const makers: [string, () => EvolutionStrategy][] = [
  ['PGPE', () => new PGPE({ dim: 6, seed: 21, popSize: 10, centreLr: 0.05 })],
  ['OpenAI-ES', () => new OpenAIES({ dim: 6, seed: 21, popSize: 10, weightDecay: 0.01 })],
  ['OpenAI-ES, no mirroring, SGD', () => new OpenAIES({ dim: 6, seed: 21, popSize: 9, antithetic: false, optimizer: 'sgd', fitnessShaping: 'z-score' })],
];

describe('checkpoint and resume', () => {
  for (const [name, make] of makers) {
    it(`${name}: continues bit for bit from a checkpoint file, also one saved between ask and tell`, async () => {
      const whole = make();
      const wholeHistory: string[] = [];
      for (let g = 0; g < 6; g++) {
        const pop = whole.ask();
        wholeHistory.push(pop.map(bits).join());
        whole.tell(pop.map(fitness));
      }

      const first = make();
      const history: string[] = [];
      for (let g = 0; g < 3; g++) {
        const pop = first.ask();
        history.push(pop.map(bits).join());
        first.tell(pop.map(fitness));
      }
      first.ask(); // a population is pending: the checkpoint holds the RNG state before it was drawn
      const file = path.join(dir, `${name}.ckpt`);
      writeFileSync(file, await saveEsCheckpoint(first, { note: 'mine' }));
      first.tell(new Array(first.popSize).fill(NaN)); // whatever happens afterwards does not matter

      for (let copy = 0; copy < 2; copy++) { // loading twice gives the same search again
        const { state, data } = loadEsCheckpoint(readFileSync(file));
        expect(data).toEqual({ note: 'mine' });
        const resumed = restoreStrategy(state);
        expect(resumed.generation).toBe(3);
        const rest: string[] = [];
        for (let g = 3; g < 6; g++) {
          const pop = resumed.ask();
          rest.push(pop.map(bits).join());
          resumed.tell(pop.map(fitness));
        }
        expect([...history, ...rest]).toEqual(wholeHistory);
        expect(bits(resumed.centre)).toBe(bits(whole.centre));
        expect(resumed.state()).toEqual(whole.state());
        expect(resumed.best).toEqual(whole.best);
      }
    });
  }

  it('rejects damaged and foreign checkpoints with E_CHECKPOINT', async () => {
    const bytes = await saveEsCheckpoint(new PGPE({ dim: 2, seed: 1, popSize: 2 }));
    const damaged = bytes.slice();
    damaged[40] = damaged[40]! ^ 0xff;
    expectPlasticityError(() => loadEsCheckpoint(damaged), 'E_CHECKPOINT', /checksum mismatch/);
    const foreign = await saveCheckpoint({ data: { other: true } });
    expectPlasticityError(() => loadEsCheckpoint(foreign), 'E_CHECKPOINT', /not an evolution-strategy checkpoint/);
    const { state } = loadEsCheckpoint(bytes);
    expectPlasticityError(() => restoreStrategy({ ...state, arrays: { ...state.arrays, stdev: new Float64Array(3) } }), 'E_CHECKPOINT', /stdev, m and v must be Float64Arrays of length 2/);
    expectPlasticityError(() => restoreStrategy({ ...state, algorithm: 'cma-es' as never }), 'E_CHECKPOINT', /unknown evolution strategy "cma-es"/);
    expectPlasticityError(() => restoreStrategy({ ...state, config: { ...state.config, popSize: 3 } }), 'E_CHECKPOINT', /popSize must be an even integer/);
  });
});

describe('search()', () => {
  it('runs to maxGenerations, reporting progress', async () => {
    const progress: SearchProgress[] = [];
    const result = await search({ es: new PGPE({ dim: 4, seed: 3, popSize: 8 }), evaluator: new InProcessEvaluator(fitness), maxGenerations: 5, onProgress: (p) => void progress.push(p) });
    expect(result).toMatchObject({ stopReason: 'max-generations', generation: 5, evaluations: 40 });
    expect(progress.map((p) => p.generation)).toEqual([1, 2, 3, 4, 5]);
    expect(progress.map((p) => p.evaluations)).toEqual([8, 16, 24, 32, 40]);
    for (const p of progress) {
      expect(p.evaluationsPerSecond).toBeGreaterThan(0);
      expect(p.meanFitness).toBeLessThanOrEqual(p.bestFitness);
      expect(p.bestEver).toBeGreaterThanOrEqual(p.bestFitness);
      expect(p.etaMs).toBeGreaterThanOrEqual(0);
    }
    expect(progress[4]!.etaMs).toBe(0);
    expect(result.best!.fitness).toBe(Math.max(...progress.map((p) => p.bestFitness)));
  });

  it('stops at a target fitness, at maxEvaluations and on an abort signal', async () => {
    const evaluator = new InProcessEvaluator(fitness);
    const target = await search({ es: new PGPE({ dim: 2, seed: 3, popSize: 8, centreLr: 0.1 }), evaluator, targetFitness: -0.5, maxGenerations: 500 });
    expect(target.stopReason).toBe('target-fitness');
    expect(target.generation).toBeLessThan(500);
    expect((await search({ es: new PGPE({ dim: 2, seed: 3, popSize: 8 }), evaluator, maxEvaluations: 20 })).generation).toBe(3);
    const controller = new AbortController();
    const saved: number[] = [];
    const aborted = await search({
      es: new PGPE({ dim: 2, seed: 3, popSize: 8 }), evaluator, signal: controller.signal, checkpoint: { everyGenerations: 100, save: (_b, info) => void saved.push(info.generation) },
      onProgress: (p) => { if (p.generation === 4) controller.abort(); },
    });
    expect(aborted).toMatchObject({ stopReason: 'aborted', generation: 4 });
    expect(saved).toEqual([4]); // the checkpoint at the stop
  });

  it('resumed from its checkpoint file, gives the uninterrupted search bit for bit', async () => {
    const make = () => new PGPE({ dim: 5, seed: 8, popSize: 12, centreLr: 0.05 });
    const whole = new Recorder();
    const reference = await search({ es: make(), evaluator: whole, maxGenerations: 8 });

    const file = path.join(dir, 'search.ckpt');
    const part = new Recorder();
    const first = await search({ es: make(), evaluator: part, maxGenerations: 3, checkpoint: fileCheckpoint(file, 2) });
    expect(first.generation).toBe(3);
    const bytes = await readCheckpointFile(file);
    expect(bytes).not.toBeNull();
    const resumed = await search({ resume: bytes!, evaluator: part, maxGenerations: 8, checkpoint: fileCheckpoint(file, 2) });
    expect(resumed).toMatchObject({ generation: 8, evaluations: 96, stopReason: 'max-generations' });
    expect(part.seen.map((pop) => pop.map(bits).join())).toEqual(whole.seen.map((pop) => pop.map(bits).join()));
    expect(bits(resumed.es.centre)).toBe(bits(reference.es.centre));
    expect(resumed.best).toEqual(reference.best);
    expect(await readCheckpointFile(path.join(dir, 'none.ckpt'))).toBeNull();
  });

  it('on the worker pool, with a worker crashing mid-search, gives the same search as in-process', async () => {
    const module = fileURLToPath(new URL('../eval/__fixtures__/faulty.mjs', import.meta.url));
    const pool = createNodeWorkerPool({ fitness: { module, exportName: 'crashFirst', data: { slot: 1 } }, size: 2, chunkSize: 3, script: inject('workerScript') });
    try {
      const make = () => new PGPE({ dim: 3, seed: 4, popSize: 12 });
      const sphere = (x: Float32Array) => -x.reduce((s, v) => s + v * v, 0);
      await pool.start(); // both workers ready, so slot 1 gets the second chunk
      const onPool = await search({ es: make(), evaluator: pool, maxGenerations: 4 });
      const inProcess = await search({ es: make(), evaluator: new InProcessEvaluator(sphere), maxGenerations: 4 });
      expect(pool.stats).toMatchObject({ failures: 1, replacements: 1, gaveUp: 0 });
      expect(bits(onPool.es.centre)).toBe(bits(inProcess.es.centre));
    } finally {
      await pool.close();
    }
  });

  it('rejects invalid options before any evaluation', async () => {
    let calls = 0;
    const evaluator = new InProcessEvaluator(() => ++calls);
    const es = new PGPE({ dim: 2, seed: 1, popSize: 2 });
    await expect(search({ es, evaluator })).rejects.toThrow(/E_PARAM: .*give a stopping criterion/);
    await expect(search({ evaluator, maxGenerations: 1 })).rejects.toThrow(/es \(a strategy\) or resume \(checkpoint bytes\) is required/);
    await expect(search({ es, resume: new Uint8Array(4), evaluator, maxGenerations: 1 })).rejects.toThrow(/pass es or resume, not both/);
    await expect(search({ es, evaluator, maxGenerations: -1, checkpoint: { everyGenerations: 0, save: () => {} } })).rejects.toThrow(/maxGenerations must be an integer >= 0, got -1; checkpoint must be/);
    await expect(search({ resume: new Uint8Array(40), evaluator, maxGenerations: 1 })).rejects.toThrow(/E_CHECKPOINT/);
    expect(calls).toBe(0);
    expect(es.generation).toBe(0);
  });
});
