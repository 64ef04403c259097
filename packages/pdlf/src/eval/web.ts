import { PlasticityError } from '@plasticity/core';
import type { WorkerFactory } from './pool.js';

/**
 * A WorkerFactory of web workers (module workers) running `script`, a worker script of yours that calls
 * `serveWebWorker()` from '@plasticity/pdlf/worker'. For WorkerPool in browsers.
 */
export function webWorkerFactory(script: string | URL): WorkerFactory {
  return (events) => {
    const WorkerCtor = (globalThis as { Worker?: new (url: string | URL, options?: { type?: 'module' }) => WebWorkerLike }).Worker;
    if (!WorkerCtor) throw new PlasticityError('E_BACKEND', 'web workers are not available here (no global Worker); in Node use createNodeWorkerPool from @plasticity/pdlf/node');
    const worker = new WorkerCtor(script, { type: 'module' });
    let ended = false;
    worker.onmessage = (event) => events.message(event.data as never);
    worker.onerror = (event) => {
      if (ended) return;
      ended = true;
      events.exit(`error: ${event.message ?? 'worker error'}`);
    };
    worker.onmessageerror = () => {
      if (ended) return;
      ended = true;
      events.exit('message error');
    };
    return {
      post: (message, transfer) => worker.postMessage(message, transfer ?? []),
      terminate: () => {
        ended = true;
        worker.terminate();
      },
    };
  };
}

interface WebWorkerLike {
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
  onmessageerror: ((event: unknown) => void) | null;
  postMessage(message: unknown, transfer: unknown[]): void;
  terminate(): void;
}
