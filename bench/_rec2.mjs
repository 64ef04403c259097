import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { CSRConnection } from '@plasticity/sparse';
import { Network, lif } from '@plasticity/snn';
import { stdp } from '@plasticity/rules';
await tf.setBackend('cpu'); await tf.ready();
const N = 100000;
const REC = { p: 0.001, connSeed: 2, wHigh: 0.5, drive: { rateHz: 5, w: 16 }, delaySteps: 10, stdp: { aPlus: 0.005, aMinus: 0.00525, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: 1 } };
async function once(seed, ms) {
  const net = new Network({ dtMs: 0.1, seed });
  net.addPoisson('drive', { n: N, rateHz: REC.drive.rateHz });
  net.addPopulation('exc', { n: N, neuron: lif, params: { tauMMs: 20, vRestMv: -65, vResetMv: -65, vInitMv: -65, vThreshMv: -50, refractoryMs: 2, resetMode: 'value', integration: 'exact' } });
  const one = CSRConnection.fromCsr({ nPre: N, nPost: N, indptr: Int32Array.from({ length: N + 1 }, (_, i) => i), indices: Int32Array.from({ length: N }, (_, i) => i), weights: new Float32Array(N).fill(REC.drive.w) });
  const rec = CSRConnection.random({ nPre: N, nPost: N, p: REC.p, seed: REC.connSeed, init: { dist: 'uniform', low: 0, high: REC.wHigh } });
  net.connect('drive', 'exc', { connection: one });
  net.connect('exc', 'exc', { connection: rec, delaySteps: REC.delaySteps, rule: stdp, ruleParams: REC.stdp });
  await net.run(1);
  const t0 = performance.now();
  await net.run(ms);
  const wall = performance.now() - t0;
  console.log('seed', seed, 'ms per step', (wall / (ms * 10)).toFixed(3));
  net.dispose(); one.dispose(); rec.dispose();
}
const n = +(process.env.NETS || 1);
for (let s = 1; s <= n; s++) await once(s, s < n ? +(process.env.FIRST_MS || 200) : 200);
