// Online adaptation through a change point (the blog's real claim, measured): every model streams the
// series one step at a time from untrained weights — predict x(t+1) from x(t), then learn from the
// error (`trainStep` on one time step returns the prediction made before the update) — and never sees
// a point twice. Two series the package generates, 5 seeds each:
//   sine: the blog's sine with its pattern change (`sineRegime`);
//   load: a daily load curve (period 24, AR(1) noise) whose level jumps by 1 (`loadCurve`);
// each 1200 points with the change at 800 (800 steps to learn the first regime online, 400 after).
// Models (hidden 32, Adam 1e-3 for all, batch 1):
//   SPN faithful, the blog's plastic update on; SPN plastic mode, core/oja on W_SP; the same SPN with
//   plasticity off (both modes compute the same thing then: one run); a plain online MLP 1-32-32-32-1;
//   persistence x̂(t+1) = x(t).
// Metrics per run, by the index of the predicted point: the pre-change level (mean squared error over the
// 200 predictions before the change point c), the error after the change (first 100 / 200 predictions and
// all of them), and the recovery time: the first k ≥ 0 such that the mean error over predictions
// [c + k, c + k + 100) is within 1.5× the pre-change level (null: not within the run). The windows span
// more than one period of either series (63 and 24 steps).
//   node packages/spn/experiments/online-adaptation.mjs [--seeds 5] [--lr 0.001] [--length 1200] [--change 800] [--cpu]
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@plasticity/core';
import { SynapticPlasticityNetwork, loadCurve, sineRegime } from '@plasticity/spn';
import { makeMlp } from './mlp.mjs';
import { lineChart, writeFigure } from './plot.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SEEDS = arg('seeds', 5);
const LR = arg('lr', 1e-3);
const N = arg('length', 1200);
const CP = arg('change', 800);
const HIDDEN = 32, PRE = 200, WINDOW = 100, FACTOR = 1.5;
const backend = await initBackend(process.argv.includes('--cpu') ? 'cpu' : 'wasm');
const here = new URL('./results/', import.meta.url);

const SERIES = {
  sine: { label: 'sine, pattern change', make: (seed) => sineRegime(seed, { length: N, changePoint: CP }) },
  load: { label: 'load curve, level shift', make: (seed) => loadCurve(seed, { length: N, changePoint: CP }) },
};
const MODELS = {
  spnBlog: 'SPN faithful, blog plasticity',
  spnOja: 'SPN plastic mode, Oja',
  spnOff: 'SPN, plasticity off',
  mlp: 'MLP 1-32-32-32-1',
  persistence: 'persistence',
};

/** Streams an SPN over the series: predictions[i] is the forecast of series[i + 1] made before learning it. */
function streamSpn(series, seed, mode, plasticity) {
  const net = new SynapticPlasticityNetwork({ mode, inputDim: 1, hiddenDim: HIDDEN, outputDim: 1, seed });
  const shape = mode === 'faithful' ? [1, 1] : [1, 1, 1];
  const out = new Float32Array(series.length - 1);
  for (let i = 0; i + 1 < series.length; i++) {
    const r = net.trainStep({ data: [series[i]], shape }, { data: [series[i + 1]], shape }, { plasticity, learningRate: LR });
    out[i] = r.output.dataSync()[0];
    tf.dispose([r.output, r.loss]);
  }
  net.dispose();
  return out;
}

/** The same stream for a plain MLP of the same width (PyTorch-style init, tfjs Adam with the same rate). */
function streamMlp(series, seed) {
  const { vars, forward: f } = makeMlp(seed, HIDDEN);
  const adam = tf.train.adam(LR, 0.9, 0.999, 1e-8);
  const out = new Float32Array(series.length - 1);
  for (let i = 0; i + 1 < series.length; i++) {
    tf.tidy(() => {
      const x = tf.tensor2d([series[i]], [1, 1]);
      const y = tf.tensor2d([series[i + 1]], [1, 1]);
      adam.minimize(() => {
        const p = f(x);
        out[i] = p.dataSync()[0];
        return tf.losses.meanSquaredError(y, p);
      }, false, vars);
    });
  }
  tf.dispose(vars);
  adam.dispose();
  return out;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => Math.sqrt(mean(xs.map((v) => (v - mean(xs)) ** 2)));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Squared errors by the index of the predicted point (index 0 is never predicted: NaN). */
function errors(pred, series) {
  const e = new Float64Array(series.length).fill(Number.NaN);
  for (let i = 0; i < pred.length; i++) e[i + 1] = (pred[i] - series[i + 1]) ** 2;
  return e;
}

function metrics(e) {
  const avg = (from, to) => mean(Array.from(e.subarray(from, to)));
  const pre = avg(CP - PRE, CP);
  let recovery = null;
  for (let k = 0; CP + k + WINDOW <= e.length; k++) {
    if (avg(CP + k, CP + k + WINDOW) <= FACTOR * pre) {
      recovery = k;
      break;
    }
  }
  return { pre, after100: avg(CP, CP + 100), after200: avg(CP, CP + 200), afterAll: avg(CP, e.length), recovery, finite: e.subarray(1).every(Number.isFinite) };
}

/** Trailing mean over WINDOW predictions (NaN before a full window). */
function rolling(e) {
  const r = new Float64Array(e.length).fill(Number.NaN);
  for (let t = WINDOW; t < e.length; t++) r[t] = mean(Array.from(e.subarray(t - WINDOW + 1, t + 1)));
  return r;
}

const started = Date.now();
const runs = [];
const curves = {};
for (const [name, spec] of Object.entries(SERIES)) {
  curves[name] = Object.fromEntries(Object.keys(MODELS).map((m) => [m, new Float64Array(N).fill(0)]));
  for (let seed = 0; seed < SEEDS; seed++) {
    const series = spec.make(seed);
    const t0 = Date.now();
    const preds = {
      spnBlog: streamSpn(series, seed, 'faithful', true),
      spnOja: streamSpn(series, seed, 'plastic', true),
      spnOff: streamSpn(series, seed, 'faithful', false),
      mlp: streamMlp(series, seed),
      persistence: series.slice(0, N - 1),
    };
    const m = {};
    for (const [model, p] of Object.entries(preds)) {
      const e = errors(p, series);
      m[model] = metrics(e);
      const r = rolling(e);
      for (let t = 0; t < N; t++) curves[name][model][t] += r[t] / SEEDS;
    }
    runs.push({ series: name, seed, metrics: m });
    console.log(`${name} seed ${seed} (${((Date.now() - t0) / 1000).toFixed(1)} s): ${Object.entries(m).map(([k, v]) => `${k} pre ${v.pre.toFixed(4)} after200 ${v.after200.toFixed(4)} rec ${v.recovery}`).join(' | ')}`);
  }
}

const summary = {};
for (const name of Object.keys(SERIES)) {
  summary[name] = {};
  for (const model of Object.keys(MODELS)) {
    const ms = runs.filter((r) => r.series === name).map((r) => r.metrics[model]);
    const stat = (k) => ({ mean: mean(ms.map((v) => v[k])), sd: sd(ms.map((v) => v[k])) });
    const rec = ms.map((v) => v.recovery);
    const recovered = rec.filter((v) => v !== null);
    summary[name][model] = {
      pre: stat('pre'), after100: stat('after100'), after200: stat('after200'), afterAll: stat('afterAll'),
      recovery: { perSeed: rec, recovered: recovered.length, median: recovered.length === rec.length ? median(rec) : null },
      allFinite: ms.every((v) => v.finite),
    };
  }
}
const report = {
  experiment: 'online-adaptation',
  description: 'predict-then-learn streaming (batch 1, each point seen once, from untrained weights) through a change point; recovery time and error after the change',
  config: { length: N, changePoint: CP, hidden: HIDDEN, learningRate: LR, seeds: SEEDS, preWindow: PRE, recoveryWindow: WINDOW, recoveryFactor: FACTOR, backend },
  series: Object.fromEntries(Object.entries(SERIES).map(([k, v]) => [k, v.label])),
  models: MODELS,
  machine: `${os.cpus()[0]?.model}, ${os.cpus().length} cores, load ${os.loadavg().map((v) => v.toFixed(2)).join('/')}`,
  wallSeconds: (Date.now() - started) / 1000, date: new Date().toISOString(), summary, runs,
};
writeFileSync(new URL('online-adaptation.json', here), JSON.stringify(report, null, 2) + '\n');

const colors = { spnBlog: '#d62728', spnOja: '#ff7f0e', spnOff: '#1f77b4', mlp: '#2ca02c', persistence: '#7f7f7f' };
const dashes = { spnOff: '4 3', mlp: '2 2', persistence: '6 2' };
for (const [name, spec] of Object.entries(SERIES)) {
  const from = Math.max(WINDOW, CP - 300); // the first regime's learning curve is left out
  const x = Array.from({ length: N - from }, (_, i) => i + from);
  const series = Object.keys(MODELS).map((m) => ({ label: MODELS[m], color: colors[m], dash: dashes[m], x, y: Array.from(curves[name][m].subarray(from)) }));
  const ys = series.flatMap((s) => s.y).filter(Number.isFinite).sort((a, b) => a - b);
  const top = Math.min(ys[ys.length - 1], 4 * ys[Math.floor(ys.length * 0.9)]);
  writeFigure(new URL(`online-${name}`, here).pathname, lineChart(series, {
    title: `Online, predict then learn: ${spec.label} — rolling MSE over the last ${WINDOW} predictions, mean of ${SEEDS} seeds`,
    xLabel: 'index of the predicted point', yLabel: `MSE over the last ${WINDOW}`, yRange: [0, top],
    marks: [{ x: CP, label: 'change point', color: '#9467bd' }],
  }));
}
console.log(`${report.wallSeconds.toFixed(0)} s`);
console.log(JSON.stringify(summary, (k, v) => (typeof v === 'number' ? +v.toFixed(4) : v), 1));
