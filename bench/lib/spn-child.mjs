// One process per measurement (so the peak RSS is this configuration's): the training step of
// @plasticity/spn's faithful mode — blog update, forward, MSE, gradient, Adam — on fixed random data.
//   node bench/lib/spn-child.mjs BACKEND BATCH INPUT HIDDEN STEPS [PATH]
// PATH: the network's stepPath, auto (default) | host | tfjs.
// prints {"step_ms_median", "step_ms_min", "samples_ms", "peak_rss_MB", "backend", "path", "threads"} (path: the one
// taken; threads: of the host path's matrix products).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '@plasticity/core';
import { SynapticPlasticityNetwork, hostThreads } from '@plasticity/spn';

const [backend, batch, input, hidden, steps] = [process.argv[2], ...process.argv.slice(3, 7).map(Number)];
const stepPath = process.argv[7] ?? 'auto';
await initBackend(backend, { strict: true });
const net = new SynapticPlasticityNetwork({ inputDim: input, hiddenDim: hidden, outputDim: 1, seed: 0 });
net.stepPath = stepPath;
const x = tf.randomNormal([batch, input], 0, 1, 'float32', 1);
const y = tf.randomNormal([batch, 1], 0, 1, 'float32', 2);
const step = () => {
  const r = net.trainStep(x, y);
  r.output.dispose();
  return r.loss;
};
for (let i = 0; i < 3; i++) {
  const loss = step();
  await loss.data();
  loss.dispose();
}
// the host path keeps Adam's moments as host arrays: tells which path 'auto' took
const taken = net.optimizerMomentValues().m[0] instanceof Float32Array ? 'host' : 'tfjs';
const samples = [];
for (let i = 0; i < steps; i++) {
  const t0 = performance.now();
  const loss = step();
  await loss.data(); // the step is done when its loss can be read (torch's loss.item())
  loss.dispose();
  samples.push(performance.now() - t0);
}
const s = [...samples].sort((a, b) => a - b);
const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
console.log(JSON.stringify({ step_ms_median: median, step_ms_min: s[0], samples_ms: samples, peak_rss_MB: process.resourceUsage().maxRSS / 1024, backend: tf.getBackend(), path: taken, threads: taken === 'host' ? hostThreads() : 1 }));
net.dispose();
