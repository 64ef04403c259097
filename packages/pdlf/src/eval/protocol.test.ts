// The pool and the worker side of its protocol without worker_threads: a factory that runs serveFitness
// on this thread and passes structured clones with setTimeout, as a browser's postMessage would. This is
// the path a web-worker factory takes (nothing in WorkerPool or serveFitness needs Node).
import { describe, expect, it } from 'vitest';
import { WorkerPool, type WorkerFactory } from './pool.js';
import type { ToWorker } from './protocol.js';
import type { EvaluatorEvent } from './types.js';
import { serveFitness } from './worker-core.js';

const inThread: WorkerFactory = (events) => {
  let deliver: ((message: ToWorker) => void) | null = null;
  let alive = true;
  serveFitness({
    post: (message) => {
      const copy = structuredClone(message);
      setTimeout(() => alive && events.message(copy));
    },
    onMessage: (handler) => {
      deliver = handler;
    },
  });
  return {
    post: (message) => {
      const copy = structuredClone(message);
      setTimeout(() => alive && deliver!(copy));
    },
    terminate: () => {
      alive = false;
    },
  };
};

const sphere = (x: Float32Array) => -x.reduce((s, v) => s + v * v, 0);
const population = (n: number) => Array.from({ length: n }, (_, i) => Float32Array.of(i * 0.5 - 2, 1, -i));
const module = new URL('./__fixtures__/faulty.mjs', import.meta.url).href;

describe('WorkerPool over the plain message protocol', () => {
  it('evaluates in order, replaces a worker whose function throws, gives up on a poisonous solution', async () => {
    const events: EvaluatorEvent[] = [];
    const xs = population(9);
    const crash = new WorkerPool({ factory: inThread, size: 3, chunkSize: 2, fitness: { module, exportName: 'crashFirst', data: { slot: 0 } }, onEvent: (e) => events.push(e) });
    await crash.start();
    expect(await crash.evaluate(xs)).toEqual(Float64Array.from(xs.map(sphere)));
    expect(events.map((e) => e.type)).toEqual(['worker-failed', 'worker-replaced']);
    await crash.close();

    xs[4]![0] = 500;
    const poison = new WorkerPool({ factory: inThread, size: 2, chunkSize: 3, maxAttempts: 2, fitness: { module, exportName: 'poison' } });
    const fitness = await poison.evaluate(xs);
    expect(Number.isNaN(fitness[4])).toBe(true);
    expect(Array.from(fitness).filter((_, i) => i !== 4)).toEqual(xs.filter((_, i) => i !== 4).map(sphere));
    expect(poison.stats).toMatchObject({ gaveUp: 1, failures: 2 });
    await poison.close();
  });
});
