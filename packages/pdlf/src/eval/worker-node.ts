// The script every Node pool worker runs (built to dist/worker-node.js beside dist/node.js).
import { parentPort } from 'node:worker_threads';
import type { ToWorker } from './protocol.js';
import { serveFitness } from './worker-core.js';

if (!parentPort) throw new Error('@plasticity/pdlf worker-node.js must run in a worker thread (it is started by createNodeWorkerPool)');
const port = parentPort;
serveFitness({
  post: (message, transfer) => port.postMessage(message, transfer),
  onMessage: (handler) => port.on('message', (message: ToWorker) => handler(message)),
});
