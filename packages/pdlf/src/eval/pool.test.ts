import { fileURLToPath } from 'node:url';
import { expectPlasticityError } from '@plasticity/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { InProcessEvaluator } from './in-process.js';
import { createNodeWorkerPool, type NodeWorkerPoolOptions } from '../node.js';
import type { WorkerPool } from './pool.js';
import type { EvaluatorEvent } from './types.js';

const script = inject('workerScript');
/** The same -Σx² as __fixtures__/sphere.mjs. */
const sphere = (x: Float32Array) => {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j]! * x[j]!;
  return -s;
};
const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
const pools: WorkerPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

function pool(options: Partial<NodeWorkerPoolOptions> & Pick<NodeWorkerPoolOptions, 'fitness'>, events: EvaluatorEvent[] = []): WorkerPool {
  const p = createNodeWorkerPool({ size: 2, script, onEvent: (e) => events.push(e), ...options });
  pools.push(p);
  return p;
}

/** n solutions of dim 3 with distinct values. */
function population(n: number, dim = 3): Float32Array[] {
  return Array.from({ length: n }, (_, i) => Float32Array.from({ length: dim }, (_, j) => (i - n / 2) * 0.25 + j * 0.125));
}
const expected = (xs: Float32Array[]) => Float64Array.from(xs.map((x) => sphere(x)));

describe('WorkerPool on worker threads', () => {
  it('evaluates a population in chunks and returns the fitness in order', async () => {
    const xs = population(23);
    const p = pool({ fitness: { module: fixture('sphere.mjs') }, chunkSize: 4 });
    expect(await p.evaluate(xs)).toEqual(expected(xs));
    expect(await p.evaluate(xs.slice(0, 5), { generation: 1 })).toEqual(expected(xs.slice(0, 5)));
    expect(await p.evaluate([])).toEqual(new Float64Array(0));
    expect(p.stats).toMatchObject({ failures: 0, replacements: 0, tasks: 6 + 2 });
  });

  it('runs batch functions and hands the spec data to async functions', async () => {
    const xs = population(10);
    const batch = pool({ fitness: { module: fixture('sphere.mjs'), exportName: 'batch', batch: true } });
    expect(await batch.evaluate(xs)).toEqual(expected(xs));
    const withData = pool({ fitness: { module: new URL('./__fixtures__/sphere.mjs', import.meta.url), exportName: 'withData', data: { offset: 10 } } });
    expect(await withData.evaluate(xs)).toEqual(Float64Array.from(xs.map((x) => sphere(x) + 10)));
  });

  for (const [name, exportName, extra] of [
    ['throws', 'crashFirst', {}],
    ['exits (process.exit in the worker)', 'exitFirst', {}],
    ['hangs (past taskTimeoutMs)', 'hangFirst', { taskTimeoutMs: 1000 }],
  ] as const) {
    it(`replaces a worker that ${name} and re-runs its evaluations`, async () => {
      const xs = population(16);
      const events: EvaluatorEvent[] = [];
      const p = pool({ fitness: { module: fixture('faulty.mjs'), exportName, data: { slot: 0 } }, chunkSize: 2, ...extra }, events);
      await p.start(); // both workers ready: the first chunk goes to slot 0
      expect(await p.evaluate(xs)).toEqual(expected(xs));
      const failed = events.filter((e) => e.type === 'worker-failed');
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ slot: 0, incarnation: 0, reason: name.startsWith('throws') ? 'threw' : name.startsWith('exits') ? 'exited' : 'timeout', indices: [0, 1] });
      expect(events).toContainEqual({ type: 'worker-replaced', slot: 0, incarnation: 1 });
      expect(p.stats).toMatchObject({ failures: 1, replacements: 1, gaveUp: 0 });
      // The pool keeps working after the recovery.
      expect(await p.evaluate(xs.slice(3, 9))).toEqual(expected(xs.slice(3, 9)));
    });
  }

  it('gives a solution that always fails NaN after maxAttempts and evaluates its chunk-mates', async () => {
    const xs = population(8);
    xs[5]![0] = 1000;
    const events: EvaluatorEvent[] = [];
    const p = pool({ fitness: { module: fixture('faulty.mjs'), exportName: 'poison' }, chunkSize: 4, maxAttempts: 2 }, events);
    const fitness = await p.evaluate(xs);
    const want = expected(xs);
    want[5] = NaN;
    expect(fitness).toEqual(want);
    expect(events.filter((e) => e.type === 'gave-up')).toEqual([expect.objectContaining({ type: 'gave-up', indices: [5], attempts: 2 })]);
    expect(p.stats.gaveUp).toBe(1);
  });

  it('treats a fitness function that returns a non-number as failing', async () => {
    const p = pool({ fitness: { module: fixture('faulty.mjs'), exportName: 'notANumber' }, size: 1, maxAttempts: 1 });
    const fitness = await p.evaluate(population(2));
    expect(Array.from(fitness)).toEqual([NaN, NaN]);
  });

  it('rejects configuration errors: missing export, a module that does not load, a worker script that does not start', async () => {
    await expect(pool({ fitness: { module: fixture('sphere.mjs'), exportName: 'notAFunction' }, size: 1 }).evaluate(population(2)))
      .rejects.toThrow(/E_PARAM: fitness module failed in worker 0: .*no function export 'notAFunction'/);
    await expect(pool({ fitness: { module: fixture('broken-import.mjs') }, size: 1 }).evaluate(population(2)))
      .rejects.toThrow(/could not be loaded: Error: this module cannot be loaded/);
    const noScript = pool({ fitness: { module: fixture('sphere.mjs') }, size: 1, script: fixture('missing-worker.mjs'), maxAttempts: 2 });
    await expect(noScript.evaluate(population(2))).rejects.toThrow(/worker 0 failed to start 2 times in a row/);
    await expect(noScript.evaluate(population(2))).rejects.toThrow(/failed to start/); // stays failed
  });

  it('rejects invalid options and input with PlasticityError before starting workers', async () => {
    expectPlasticityError(() => createNodeWorkerPool({ fitness: { module: 'sphere.mjs' }, script }), 'E_PARAM', /absolute path or a URL .* got "sphere.mjs"/);
    expectPlasticityError(() => createNodeWorkerPool({ fitness: { module: fixture('sphere.mjs') }, size: 0, taskTimeoutMs: -1, script }), 'E_PARAM',
      /size must be an integer >= 1, got 0; taskTimeoutMs must be a number > 0/);
    expectPlasticityError(() => createNodeWorkerPool({ fitness: { module: fixture('sphere.mjs'), data: { f: () => 1 } as never }, script }), 'E_PARAM', /fitness.data must be JSON/);
    const p = pool({ fitness: { module: fixture('sphere.mjs') } });
    expectPlasticityError(() => p.evaluate([new Float32Array(2), new Float32Array(3)]), 'E_SHAPE', /solutions\[0\] has 2, solutions\[1\] has 3/);
    expectPlasticityError(() => p.evaluate([[1, 2]] as never), 'E_PARAM', /solutions\[0\] must be a Float32Array/);
    expectPlasticityError(() => p.evaluate([], { generation: -1 }), 'E_PARAM', /generation must be an integer >= 0/);
    expect(p.stats.tasks).toBe(0);
    await p.close();
    await expect(p.evaluate(population(1))).rejects.toThrow(/closed/);
  });
});

describe('InProcessEvaluator', () => {
  it('evaluates a function, a batch function and a module spec alike', async () => {
    const xs = population(7);
    expect(await new InProcessEvaluator(sphere).evaluate(xs)).toEqual(expected(xs));
    expect(await new InProcessEvaluator({ batch: (s) => s.map(sphere) }).evaluate(xs)).toEqual(expected(xs));
    expect(await new InProcessEvaluator({ module: new URL('./__fixtures__/sphere.mjs', import.meta.url).href, exportName: 'withData', data: { offset: 1 } }).evaluate(xs))
      .toEqual(Float64Array.from(xs.map((x) => sphere(x) + 1)));
  });

  it('gives a member whose call throws NaN and reports it', async () => {
    const events: EvaluatorEvent[] = [];
    const evaluator = new InProcessEvaluator((x, c) => {
      if (c.index === 1) throw new Error('bad member');
      return x[0]!;
    }, { onEvent: (e) => events.push(e) });
    expect(Array.from(await evaluator.evaluate(population(3)))).toEqual([-0.375, NaN, 0.125]);
    expect(events).toEqual([{ type: 'gave-up', indices: [1], attempts: 1, message: 'bad member' }]);
  });
});
