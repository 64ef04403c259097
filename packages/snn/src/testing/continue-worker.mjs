// Worker thread for spec.test.ts: rebuilds a network from a spec, restores a checkpoint and continues,
// the way an application hands an experiment to a worker (JSON spec + checkpoint bytes, no code).
import { parentPort, workerData } from 'node:worker_threads';
import { createRegistry, initBackend } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { buildNetwork } from '@plasticity/snn';

await initBackend('cpu'); // as an application starts it (quiet: no tfjs-node advert)
const registry = createRegistry();
registerBuiltins(registry);
const net = buildNetwork(workerData.spec, registry);
await net.loadCheckpoint(workerData.checkpoint);
await net.run(workerData.durationMs);
const weights = [];
for (const p of workerData.spec.projections) weights.push(await net.weights(p.name));
parentPort.postMessage({ weights, step: net.stepCount, state: net.state('exc') });
net.dispose();
