// For worker scripts: serve the pool protocol from your own worker (a browser's web worker, or a Node
// worker that needs extra setup such as a tfjs backend before the fitness module loads).
export { serveFitness } from './eval/worker-core.js';
export type { WorkerEndpoint, ToWorker, FromWorker, InitMessage, TaskMessage } from './eval/protocol.js';
import { serveFitness } from './eval/worker-core.js';
import type { ToWorker } from './eval/protocol.js';

/** Serves the pool protocol from inside a web worker (`self`); call it once at the top of the worker script. */
export function serveWebWorker(): void {
  const scope = globalThis as unknown as { postMessage(message: unknown, transfer?: Transferable[]): void; addEventListener(type: 'message', listener: (event: { data: ToWorker }) => void): void };
  serveFitness({
    post: (message, transfer) => scope.postMessage(message, transfer ?? []),
    onMessage: (handler) => scope.addEventListener('message', (event) => handler(event.data)),
  });
}
