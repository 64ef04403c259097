// Node-only helpers: the worker-thread pool and checkpoint files. Browsers use the main entry with
// webWorkerFactory instead.
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { PlasticityError, describeValue } from '@plasticity/core';
import { WorkerPool, type WorkerFactory, type WorkerPoolOptions } from './eval/pool.js';
import type { FitnessModuleSpec } from './eval/types.js';

/** The worker script shipped with the package (dist/worker-node.js, beside this module). */
export const WORKER_SCRIPT: URL = new URL('./worker-node.js', import.meta.url);

export interface NodeWorkerOptions {
  /** The script the workers run: WORKER_SCRIPT unless given (it must call serveFitness on parentPort). */
  readonly script?: string | URL;
  /** Memory limits per worker (Node's Worker resourceLimits). */
  readonly resourceLimits?: ResourceLimits;
}

/** A WorkerFactory of Node worker threads. */
export function nodeWorkerFactory(options: NodeWorkerOptions = {}): WorkerFactory {
  const script = options.script ?? WORKER_SCRIPT;
  return (events) => {
    const worker = new Worker(script, { resourceLimits: options.resourceLimits });
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      events.exit(reason);
    };
    worker.on('message', (message) => events.message(message));
    worker.on('error', (error) => end(`error: ${error instanceof Error ? error.message : String(error)}`));
    worker.on('messageerror', (error) => end(`message error: ${String(error)}`));
    worker.on('exit', (code) => end(`exited with code ${code}`));
    return {
      post: (message, transfer) => worker.postMessage(message, transfer),
      terminate: () => {
        ended = true;
        void worker.terminate();
      },
      ref: () => worker.ref(),
      unref: () => worker.unref(),
    };
  };
}

/** A fitness module given as an absolute path or a URL, as the file:// URL string a worker imports. */
export function fitnessModuleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (typeof module !== 'string' || module === '') throw new PlasticityError('E_PARAM', `fitness.module must be an absolute path or a URL, got ${describeValue(module)}`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(module) && !/^[a-z]:[\\/]/i.test(module)) return module;
  if (!path.isAbsolute(module)) {
    throw new PlasticityError('E_PARAM', `fitness.module must be an absolute path or a URL (workers resolve relative paths elsewhere), got ${describeValue(module)}; try new URL('${module}', import.meta.url)`);
  }
  return pathToFileURL(module).href;
}

export interface NodeWorkerPoolOptions extends Omit<WorkerPoolOptions, 'factory' | 'size'>, NodeWorkerOptions {
  /** Number of worker threads: os.availableParallelism() unless given. */
  readonly size?: number;
}

/** A pool of Node worker threads evaluating `fitness` (a module path + export name). Call close() when done. */
export function createNodeWorkerPool(options: NodeWorkerPoolOptions): WorkerPool {
  if (options === null || typeof options !== 'object') throw new PlasticityError('E_PARAM', `pool options must be an object, got ${describeValue(options)}`);
  const { script, resourceLimits, size, fitness, ...rest } = options;
  if (fitness === null || typeof fitness !== 'object') throw new PlasticityError('E_PARAM', `fitness must be { module, exportName?, batch?, data? }, got ${describeValue(fitness)}`);
  const spec: FitnessModuleSpec = { ...fitness, module: fitnessModuleUrl(fitness.module) };
  return new WorkerPool({ ...rest, fitness: spec, size: size ?? os.availableParallelism(), factory: nodeWorkerFactory({ script, resourceLimits }) });
}

/** Writes a checkpoint file atomically (a temporary file beside it, then a rename): a crash never leaves half a file. */
export async function writeCheckpointFile(file: string, bytes: Uint8Array): Promise<void> {
  if (!(bytes instanceof Uint8Array)) throw new PlasticityError('E_PARAM', `bytes must be a Uint8Array, got ${describeValue(bytes)}`);
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, bytes);
  try {
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/** The bytes of a checkpoint file, or null when there is none (to resume if one exists). */
export async function readCheckpointFile(file: string): Promise<Uint8Array | null> {
  try {
    return new Uint8Array(await fs.readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** The `checkpoint` option of search() for a file: save every `everyGenerations` generations, atomically. */
export function fileCheckpoint(file: string, everyGenerations = 1): { everyGenerations: number; save: (bytes: Uint8Array) => Promise<void> } {
  return { everyGenerations, save: (bytes) => writeCheckpointFile(file, bytes) };
}
