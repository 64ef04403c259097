// Worker thread for spec.test.ts: rebuilds a network from a spec, restores a checkpoint and continues,
// the way an application hands an experiment to a worker (JSON spec + checkpoint bytes, no code).
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRegistry } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { buildNetwork } from '@plasticity/snn';

await tf.setBackend('cpu');
const registry = createRegistry();
registerBuiltins(registry);
const net = buildNetwork(workerData.spec, registry);
await net.loadCheckpoint(workerData.checkpoint);
await net.run(workerData.durationMs);
const weights = [];
for (const p of workerData.spec.projections) weights.push(await net.weights(p.name));
parentPort.postMessage({ weights, step: net.stepCount, state: net.state('exc') });
net.dispose();
