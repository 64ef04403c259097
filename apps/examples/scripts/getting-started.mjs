// Getting started: 200 Poisson inputs → 50 LIF neurons through a sparse (CSR) connection that learns by
// pair STDP, run by the fused engine. Run it with `pnpm --filter @plasticity/examples getting-started`.
import { initBackend } from '@plasticity/core';
import { stdp } from '@plasticity/rules';
import { Network, lif } from '@plasticity/snn';
import { CSRConnection } from '@plasticity/sparse';

const backend = await initBackend(); // webgpu → wasm → cpu, whichever starts (wasm in Node)

const net = new Network({ dtMs: 0.5, seed: 42 });
net.addPoisson('input', { n: 200, rateHz: 20 });
// Current-based LIF: each input spike adds its weight (in mV) to v. Parameters left out take lif.defaults.
net.addPopulation('exc', { n: 50, neuron: lif, params: { tauMMs: 20, vThreshMv: -50, refractoryMs: 2 } });

// W[pre, post]: 20% of the 200 × 50 pairs exist, weights uniform in [0, 3] mV.
const w = CSRConnection.random({ nPre: 200, nPost: 50, p: 0.2, seed: 1, init: { dist: 'uniform', low: 0, high: 3 } });
const before = await w.getWeights();
net.connect('input', 'exc', {
  connection: w,
  rule: stdp,
  ruleParams: { aPlus: 0.03, aMinus: 0.0315, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: 3 },
});

const spikes = net.monitorSpikes('exc');
const v = net.monitorState('exc', 'v', { every: 2, indices: [0] }); // neuron 0's membrane potential, every 1 ms
await net.run(5_000); // 5 s of simulated time

const after = await w.getWeights();
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const counts = spikes.counts(50);
const result = {
  backend,
  synapses: w.nnz,
  outputRateHz: +(spikes.count / 50 / 5).toFixed(2),
  silentNeurons: counts.filter((c) => c === 0).length,
  meanWeightBefore: +mean(before).toFixed(4),
  meanWeightAfter: +mean(after).toFixed(4),
  weightsAtBounds: after.filter((x) => x === 0 || x === 3).length,
  vSamples: v.values().length,
};
console.log(JSON.stringify(result));
w.dispose();
net.dispose();
