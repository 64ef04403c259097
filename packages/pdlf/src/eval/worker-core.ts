// The worker side of the pool protocol, independent of the runtime: Node's worker script
// (worker-node.ts) and a browser's web worker (serveWebWorker) both call serveFitness.
import type { JsonValue } from '@plasticity/core';
import type { FromWorker, InitMessage, TaskMessage, WorkerEndpoint } from './protocol.js';
import type { BatchFitnessFunction, FitnessFunction } from './types.js';

function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/**
 * Serves fitness evaluations over `endpoint`: loads the module named by the first `init` message, then
 * answers each `task` with its fitness values (or a `task-error` when the function throws or returns
 * something that is not a number per solution).
 */
export function serveFitness(endpoint: WorkerEndpoint, importModule: (url: string) => Promise<Record<string, unknown>> = (url) => import(/* @vite-ignore */ url)): void {
  let fn: FitnessFunction | BatchFitnessFunction | null = null;
  let init: InitMessage | null = null;
  let queue: Promise<void> = Promise.resolve();
  const post = (message: FromWorker, transfer?: ArrayBuffer[]) => endpoint.post(message, transfer);

  async function load(message: InitMessage): Promise<void> {
    try {
      const mod = await importModule(message.module);
      const candidate = mod[message.exportName];
      if (typeof candidate !== 'function') {
        post({ type: 'init-error', message: `module ${message.module} has no function export '${message.exportName}' (exports: ${Object.keys(mod).join(', ') || 'none'})` });
        return;
      }
      fn = candidate as FitnessFunction;
      init = message;
      post({ type: 'ready' });
    } catch (error) {
      post({ type: 'init-error', message: `module ${message.module} could not be loaded: ${errorText(error)}` });
    }
  }

  async function run(task: TaskMessage): Promise<void> {
    const { taskId, indices, dim, solutions, generation } = task;
    const data: JsonValue = init!.data;
    const worker = init!.worker;
    const views = indices.map((_, k) => solutions.subarray(k * dim, (k + 1) * dim));
    const fitness = new Float64Array(indices.length);
    try {
      if (init!.batch) {
        const out = await (fn as BatchFitnessFunction)(views, { indices, generation, data, worker });
        if (!out || typeof out !== 'object' || (out as ArrayLike<number>).length !== indices.length) {
          throw new Error(`the batch fitness function must return ${indices.length} numbers, got ${out === null || typeof out !== 'object' ? String(out) : `length ${(out as ArrayLike<number>).length}`}`);
        }
        for (let k = 0; k < indices.length; k++) {
          const f = (out as ArrayLike<number>)[k];
          if (typeof f !== 'number') throw new Error(`the batch fitness function returned ${typeof f} at position ${k}, expected a number`);
          fitness[k] = f;
        }
      } else {
        for (let k = 0; k < indices.length; k++) {
          const f = await (fn as FitnessFunction)(views[k]!, { index: indices[k]!, generation, data, worker });
          if (typeof f !== 'number') throw new Error(`the fitness function returned ${typeof f} for solution ${indices[k]}, expected a number`);
          fitness[k] = f;
        }
      }
    } catch (error) {
      post({ type: 'task-error', taskId, message: errorText(error) });
      return;
    }
    post({ type: 'result', taskId, fitness }, [fitness.buffer as ArrayBuffer]);
  }

  endpoint.onMessage((message) => {
    // One message at a time, in order (an async fitness function must not interleave with the next task).
    queue = queue.then(() => (message.type === 'init' ? load(message) : fn ? run(message) : undefined));
  });
}
