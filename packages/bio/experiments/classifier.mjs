// Experiment 1: a small classifier on a generated data set (three interleaved 2-D spirals, no download):
// an MLP 2 → 24 → 24 → 3 on tf.Variables, Adam, full batch, 5 seeds; plain Adam vs each bio transform
// alone (default parameters, Dale 80/20) vs all of them together, through BioTrainer. Test accuracy on a
// held-out draw, the final training loss and the distribution of the hidden weights W2.
// Budget: ≤ 3 minutes on a loaded 2-core machine (STEPS / SEEDS from the environment for a quick try).
//   node packages/bio/experiments/classifier.mjs     (after building packages/bio)
// Writes results/classifier.json, classifier-accuracy.{svg,png}, classifier-weights.{svg,png} and the
// README's classifier section.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@plasticity/core';
import { BioTrainer } from '../dist/index.js';
import { RESULTS_DIR, accuracy, lossOf, machine, meanSd, mlp, spirals } from './common.mjs';
import { COLORS, barChart, histogramPanels, saveFigure } from './plot.mjs';
import { writeSection } from './tables.mjs';

const t0 = performance.now();
const BACKEND = 'wasm';
await initBackend(BACKEND);
mkdirSync(RESULTS_DIR, { recursive: true });

const STEPS = +(process.env.STEPS ?? 250), LR = 0.02, LAYERS = [2, 24, 24, 3];
const SEEDS = (process.env.SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const DALE = { transform: 'bio/dale', params: { excitatoryFraction: 0.8 } };
const VARIANTS = {
  'plain Adam': [],
  'volume-lr': ['bio/volume-lr'],
  'fuzzy-lr': ['bio/fuzzy-lr'],
  crystallize: ['bio/crystallize'],
  rejuvenate: ['bio/rejuvenate'],
  'synaptic-scaling': ['bio/synaptic-scaling'],
  'Dale 80/20': [DALE],
  all: ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/rejuvenate', 'bio/synaptic-scaling', DALE],
  'all but scaling': ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/rejuvenate', DALE],
};
const SPIRALS = { turns: 1, noise: 0.06 };
const train = spirals(300, 1001, SPIRALS), test = spirals(900, 2002, SPIRALS);

const runs = {};
for (const [name, transforms] of Object.entries(VARIANTS)) {
  runs[name] = [];
  for (const seed of SEEDS) {
    const net = mlp(LAYERS, seed); // the same initial weights for every variant of a seed
    const optimizer = tf.train.adam(LR);
    const loss = () => tf.losses.softmaxCrossEntropy(train.y, net.forward(train.x));
    const trainer = transforms.length ? new BioTrainer({ target: net.target, transforms, optimizer, seed }) : null;
    for (let s = 0; s < STEPS; s++) {
      if (trainer) trainer.stepWith(loss).dispose();
      else tf.dispose(optimizer.minimize(loss, true, net.vars));
    }
    const w2 = await net.W[1].data();
    // Dale: every presynaptic row of every weight keeps one sign (count rows with both signs)
    let daleViolations = null;
    if (transforms.includes(DALE)) {
      daleViolations = 0;
      for (const w of net.W) {
        const [nPre, nPost] = w.shape, v = await w.data();
        for (let i = 0; i < nPre; i++) {
          let pos = false, neg = false;
          for (let j = 0; j < nPost; j++) { pos ||= v[i * nPost + j] > 0; neg ||= v[i * nPost + j] < 0; }
          if (pos && neg) daleViolations++;
        }
      }
    }
    runs[name].push({ seed, accuracy: await accuracy(net, test), trainAccuracy: await accuracy(net, train), loss: await lossOf(net, train), w2: Array.from(w2), daleViolations });
    trainer?.dispose();
    optimizer.dispose();
    net.dispose();
  }
  console.log(`${name.padEnd(17)} test accuracy ${runs[name].map((r) => r.accuracy.toFixed(3)).join(' ')}  (${((performance.now() - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
}

const plain = runs['plain Adam'];
const summary = Object.fromEntries(Object.entries(runs).map(([k, rs]) => {
  const w2 = rs.flatMap((r) => r.w2);
  return [k, {
    accuracy: meanSd(rs.map((r) => r.accuracy)),
    delta: meanSd(rs.map((r, i) => r.accuracy - plain[i].accuracy)),
    trainAccuracy: meanSd(rs.map((r) => r.trainAccuracy)),
    loss: meanSd(rs.map((r) => r.loss)),
    meanAbsW2: +(w2.reduce((a, b) => a + Math.abs(b), 0) / w2.length).toFixed(4),
    zeroFractionW2: +(w2.filter((x) => x === 0).length / w2.length).toFixed(4),
    daleViolations: rs[0].daleViolations === null ? null : rs.reduce((a, r) => a + r.daleViolations, 0),
    perSeed: rs.map(({ seed, accuracy: a, trainAccuracy, loss: l }) => ({ seed, accuracy: a, trainAccuracy, loss: +l.toFixed(5) })),
  }];
}));

// A sentence that follows the numbers: which variants differ from plain Adam by more than 2 sd of the
// paired difference (and more than 1 point of accuracy).
const diff = Object.entries(summary).filter(([k]) => k !== 'plain Adam').map(([k, s]) => ({ k, ...s.delta }));
const better = diff.filter((d) => d.mean > 0.01 && d.mean > 2 * d.sd / Math.sqrt(SEEDS.length)).map((d) => d.k);
const worse = diff.filter((d) => d.mean < -0.01 && -d.mean > 2 * d.sd / Math.sqrt(SEEDS.length)).map((d) => d.k);
const same = diff.filter((d) => !better.includes(d.k) && !worse.includes(d.k)).map((d) => d.k);
const verdict = [
  better.length ? `Better than plain Adam (paired difference > 1 point and > 2 standard errors): ${better.join(', ')}.` : 'No transform beats plain Adam by more than a point at this budget.',
  worse.length ? `Worse: ${worse.join(', ')}.` : '',
  same.length ? `Within noise of plain Adam: ${same.join(', ')}.` : '',
].filter(Boolean).join(' ');

const report = {
  experiment: 'classifier',
  date: new Date().toISOString(),
  machine: machine(),
  wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
  config: {
    task: `three interleaved 2-D spirals (${SPIRALS.turns} turn, noise ${SPIRALS.noise}), ${train.labels.length} training / ${test.labels.length} test points`,
    classes: 3, layers: LAYERS, optimizer: `Adam ${LR}`, steps: STEPS, seeds: SEEDS, backend: BACKEND,
    variants: Object.fromEntries(Object.entries(VARIANTS).map(([k, v]) => [k, v.map((t) => (typeof t === 'string' ? t : `${t.transform} ${JSON.stringify(t.params)}`))])),
  },
  verdict,
  summary,
};
tf.dispose([train.x, train.y, test.x, test.y]);
writeFileSync(`${RESULTS_DIR}/classifier.json`, `${JSON.stringify(report, null, 1)}\n`);

const names = Object.keys(summary);
const absAll = Object.values(runs).flatMap((rs) => rs.flatMap((r) => r.w2.map(Math.abs))).sort((a, b) => a - b);
const W_RANGE = Math.ceil(absAll[Math.floor(0.995 * (absAll.length - 1))] * 2) / 2;
const outside = absAll.filter((x) => x > W_RANGE).length / absAll.length;
saveFigure(RESULTS_DIR, 'classifier-accuracy', barChart({
  title: `Three spirals, MLP ${LAYERS.join('-')}, Adam, ${STEPS} steps: test accuracy (${SEEDS.length} seeds)`,
  yLabel: 'test accuracy', series: ['mean ± sd, dots: seeds'],
  groups: names.map((k) => ({ label: k.replace('synaptic-scaling', 'synaptic scaling'), bars: [{ value: summary[k].accuracy.mean, err: summary[k].accuracy.sd, points: summary[k].perSeed.map((p) => p.accuracy) }] })),
  yMin: 0, yMax: 1,
}));
saveFigure(RESULTS_DIR, 'classifier-weights', histogramPanels({
  title: `Hidden weights W2 [24, 24] after ${STEPS} steps (${SEEDS.length} seeds pooled)`,
  panels: names.map((k, i) => ({
    title: k,
    legend: false,
    series: i === 0 ? [{ label: 'plain Adam', values: runs[k].flatMap((r) => r.w2), color: '#555', fill: true }]
      : [{ label: 'plain', values: runs['plain Adam'].flatMap((r) => r.w2), color: '#999' }, { label: k === 'synaptic-scaling' ? 'scaling' : k.split(' ')[0], values: runs[k].flatMap((r) => r.w2), color: COLORS[i % COLORS.length], fill: true }],
  })),
  cols: 5, range: [-W_RANGE, W_RANGE], bins: 49,
  note: `fraction of weights per bin (own y scale per panel); grey outline: plain Adam; the ${(100 * outside).toFixed(1)}% of weights outside ±${W_RANGE} in the edge bins`,
}));
writeSection('classifier');
console.log(verdict);
console.log(`done in ${report.wallSeconds} s`);
