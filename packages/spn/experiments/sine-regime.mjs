// The blog's experiment: a noisy sine of 1000 points whose pattern changes at t = 500, one-step-ahead
// forecasting, hidden 32, batch 32, 50 epochs of Adam 1e-3, in the blog's order (no shuffling,
// reset_memory each epoch, evaluation in batches of 32 after a reset). Compared per seed (5 seeds):
// the SPN (faithful mode), the same network with plasticity off, a plain MLP of the same size
// (1 → 32 → 32 → 32 → 1, ReLU, PyTorch-style init, same Adam), and persistence (x̂(t+1) = x(t)).
// MSE before and after the change point by the target's index.
//   node packages/spn/experiments/sine-regime.mjs [--epochs 50] [--seeds 5]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@plasticity/core';
import { SynapticPlasticityNetwork, sineRegime } from '@plasticity/spn';
import { makeMlp } from './mlp.mjs';
import { lineChart, writeFigure } from './plot.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const EPOCHS = arg('epochs', 50);
const SEEDS = arg('seeds', 5);
const N = 1000, CP = 500, HIDDEN = 32, BATCH = 32, LR = 1e-3;
const backend = await initBackend('wasm');
const here = new URL('./results/', import.meta.url);


function splitMse(pred, target) {
  let [sb, nb, sa, na] = [0, 0, 0, 0];
  for (let i = 0; i < target.length; i++) {
    const e = (pred[i] - target[i]) ** 2;
    if (i + 1 < CP) {
      sb += e;
      nb++;
    } else {
      sa += e;
      na++;
    }
  }
  return { before: sb / nb, after: sa / na, all: (sb + sa) / (nb + na) };
}

async function spn(seed, x, y, plasticity) {
  const net = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: HIDDEN, outputDim: 1, seed });
  await net.fit(x, y, { epochs: EPOCHS, batchSize: BATCH, learningRate: LR, plasticity });
  net.resetMemory();
  const p = await net.predict(x, { batchSize: BATCH });
  const out = await p.data();
  p.dispose();
  net.dispose();
  return Float32Array.from(out);
}

async function mlp(seed, x, y) {
  const { vars, forward: f } = makeMlp(seed, HIDDEN);
  const adam = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  const n = x.shape[0];
  for (let e = 0; e < EPOCHS; e++) {
    for (let s = 0; s < n; s += BATCH) {
      const size = Math.min(BATCH, n - s);
      tf.tidy(() => {
        const xb = tf.slice(x, [s, 0], [size, 1]);
        const yb = tf.slice(y, [s, 0], [size, 1]);
        adam.minimize(() => tf.losses.meanSquaredError(yb, f(xb)), false, vars);
      });
    }
  }
  const p = tf.tidy(() => f(x));
  const out = Float32Array.from(await p.data());
  tf.dispose([p, ...vars]);
  adam.dispose();
  return out;
}

const started = Date.now();
const runs = [];
let figure = null;
for (let seed = 0; seed < SEEDS; seed++) {
  const series = sineRegime(seed, { length: N, changePoint: CP }); // the blog's generate_time_series(1000, 500)
  const x = tf.tensor2d(series.slice(0, N - 1), [N - 1, 1]);
  const y = tf.tensor2d(series.slice(1), [N - 1, 1]);
  const target = series.slice(1);
  const persistence = series.slice(0, N - 1);
  const preds = { spn: await spn(seed, x, y, true), spnNoPlasticity: await spn(seed, x, y, false), mlp: await mlp(seed, x, y), persistence };
  const mse = Object.fromEntries(Object.entries(preds).map(([k, p]) => [k, splitMse(p, target)]));
  runs.push({ seed, mse });
  console.log(`seed ${seed}: ${Object.entries(mse).map(([k, m]) => `${k} ${m.before.toFixed(4)}/${m.after.toFixed(4)}`).join('  ')}`);
  if (seed === 0) figure = { target: Array.from(target), spn: Array.from(preds.spn), mlp: Array.from(preds.mlp), spnNoPlasticity: Array.from(preds.spnNoPlasticity) };
  tf.dispose([x, y]);
}
const models = Object.keys(runs[0].mse);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => Math.sqrt(mean(xs.map((v) => (v - mean(xs)) ** 2)));
const summary = Object.fromEntries(models.map((m) => [m, Object.fromEntries(['before', 'after', 'all'].map((part) => {
  const v = runs.map((r) => r.mse[m][part]);
  return [part, { mean: mean(v), sd: sd(v) }];
}))]));
const report = {
  experiment: 'sine-regime', description: 'blog sine series (1000 points, change at 500), one-step-ahead MSE before/after the change point',
  config: { length: N, changePoint: CP, hidden: HIDDEN, batchSize: BATCH, epochs: EPOCHS, learningRate: LR, seeds: SEEDS, backend },
  machine: `${os.cpus()[0]?.model}, ${os.cpus().length} cores, load ${os.loadavg().map((v) => v.toFixed(2)).join('/')}`,
  wallSeconds: (Date.now() - started) / 1000, date: new Date().toISOString(), summary, runs,
};
writeFileSync(new URL('sine-regime.json', here), JSON.stringify(report, null, 2) + '\n');
writeFigure(new URL('sine-regime', here).pathname, lineChart([
  { label: 'truth', color: '#222', y: figure.target, width: 1 },
  { label: 'SPN (faithful)', color: '#d62728', y: figure.spn },
  { label: 'SPN, plasticity off', color: '#1f77b4', y: figure.spnNoPlasticity, dash: '4 3' },
  { label: 'MLP', color: '#2ca02c', y: figure.mlp, dash: '2 2' },
], { title: `One-step forecast, seed 0 (${EPOCHS} epochs, hidden ${HIDDEN}, batch ${BATCH})`, xLabel: 'time step of the target − 1', yLabel: 'value', marks: [{ x: CP - 1, label: 'change point', color: '#9467bd' }] }));
console.log(JSON.stringify(summary, null, 1));
