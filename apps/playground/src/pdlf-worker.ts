// A module web worker of the PDLF page's WorkerPool: serves the pool protocol of @plasticity/pdlf with
// the fitness functions of pdlf-fitness.ts (bundled into this worker; the module URL the pool sends is
// only a name here, nothing is fetched).
import { serveFitness } from '@plasticity/pdlf/worker';
import * as fitnessModule from './pdlf-fitness.js';

const scope = globalThis as unknown as {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: never }) => void): void;
};
serveFitness(
  { post: (message, transfer) => scope.postMessage(message, transfer ?? []), onMessage: (handler) => scope.addEventListener('message', (event) => handler(event.data)) },
  async () => fitnessModule as unknown as Record<string, unknown>,
);
