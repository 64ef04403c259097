// Experiment 2: continual learning, two tasks one after the other. Task A and task B are two different
// 10-D Gaussian-mixture problems (4 classes of 2 clusters each, cluster centres from different seeds),
// learned by one MLP 10 → 32 → 32 → 4 with one shared head: STEPS full-batch steps on A, then STEPS on B
// (no replay, the trainer and its per-synapse factors carry over). How much of A survives learning B,
// with and without crystallize and fuzzy learning rates, under Adam and under plain SGD (the transforms
// scale gradients per synapse; Adam divides a constant per-synapse scale out again, SGD does not).
// Budget: ≤ 3 minutes on a loaded 2-core machine (STEPS / SEEDS from the environment for a quick try).
//   node packages/bio/experiments/continual.mjs     (after building packages/bio)
// Writes results/continual.json, continual.{svg,png}, continual-curves.{svg,png} and the README section.
import { mkdirSync, writeFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@plasticity/core';
import { BioTrainer } from '../dist/index.js';
import { RESULTS_DIR, accuracy, gaussianMixture, machine, meanSd, mlp } from './common.mjs';
import { COLORS, barChart, lineChart, saveFigure } from './plot.mjs';
import { writeSection } from './tables.mjs';

const t0 = performance.now();
const BACKEND = 'wasm';
await initBackend(BACKEND);
mkdirSync(RESULTS_DIR, { recursive: true });

const STEPS = +(process.env.STEPS ?? 120), EVAL_EVERY = 10, LAYERS = [10, 32, 32, 4];
const SEEDS = (process.env.SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const OPTIMIZERS = { Adam: { lr: 0.01, make: () => tf.train.adam(0.01) }, SGD: { lr: 0.2, make: () => tf.train.sgd(0.2) } };
const CRYSTAL_HIGH = { transform: 'bio/crystallize', params: { crystalThresh: 0.01 } };
const VARIANTS = {
  plain: [],
  'fuzzy-lr': ['bio/fuzzy-lr'],
  crystallize: ['bio/crystallize'],
  'crystallize + fuzzy-lr': ['bio/fuzzy-lr', 'bio/crystallize'],
  'crystallize (thresh 1e-2) + fuzzy-lr': ['bio/fuzzy-lr', CRYSTAL_HIGH],
  // control: no transform, but task B at a tenth of the learning rate (the plain way to trade learning B for keeping A)
  'plain, B at lr/10': [],
};
const LOW_LR_B = 'plain, B at lr/10';
const MIX = { dim: 10, classes: 4, perClass: 2, spread: 1, noise: 0.7 };
const taskA = { train: gaussianMixture(400, { ...MIX, taskSeed: 11, seed: 1 }), test: gaussianMixture(1000, { ...MIX, taskSeed: 11, seed: 2 }) };
const taskB = { train: gaussianMixture(400, { ...MIX, taskSeed: 22, seed: 3 }), test: gaussianMixture(1000, { ...MIX, taskSeed: 22, seed: 4 }) };

async function crystalStats(trainer) {
  if (!trainer || !trainer.weights.length) return null;
  const fs = [];
  for (const w of trainer.weights.filter((x) => x.transformed)) {
    let st;
    try { st = trainer.stateOf(w.name, 'bio/crystallize'); } catch { return null; }
    fs.push(...(await st.factors.data()));
    tf.dispose(Object.values(st).filter((v) => v instanceof tf.Tensor));
  }
  return { meanFactor: +(fs.reduce((a, b) => a + b, 0) / fs.length).toFixed(4), damped: +(fs.filter((f) => f < 1).length / fs.length).toFixed(4), below01: +(fs.filter((f) => f < 0.1).length / fs.length).toFixed(4) };
}

const runs = [];
for (const [opt, o] of Object.entries(OPTIMIZERS)) {
  for (const [variant, transforms] of Object.entries(VARIANTS)) {
    for (const seed of SEEDS) {
      const net = mlp(LAYERS, seed);
      const optimizer = o.make();
      let task = taskA;
      const loss = () => tf.losses.softmaxCrossEntropy(task.train.y, net.forward(task.train.x));
      const trainer = transforms.length ? new BioTrainer({ target: net.target, transforms, optimizer, seed }) : null;
      const curve = { step: [], a: [], b: [] };
      const evaluate = async (s) => { curve.step.push(s); curve.a.push(await accuracy(net, taskA.test)); curve.b.push(await accuracy(net, taskB.test)); };
      const phase = async (offset) => {
        for (let s = 1; s <= STEPS; s++) {
          if (trainer) trainer.stepWith(loss).dispose();
          else tf.dispose(optimizer.minimize(loss, true, net.vars));
          if (s % EVAL_EVERY === 0) await evaluate(offset + s);
        }
      };
      await evaluate(0);
      await phase(0);
      const aAfterA = curve.a.at(-1), bBeforeB = curve.b.at(-1), crystalAfterA = await crystalStats(trainer);
      task = taskB;
      if (variant === LOW_LR_B) { if (typeof optimizer.setLearningRate === 'function') optimizer.setLearningRate(o.lr / 10); else optimizer.learningRate = o.lr / 10; }
      await phase(STEPS);
      runs.push({ optimizer: opt, variant, seed, aAfterA, bBeforeB, aAfterB: curve.a.at(-1), bAfterB: curve.b.at(-1), crystalAfterA, crystalAfterB: await crystalStats(trainer), curve });
      trainer?.dispose();
      optimizer.dispose();
      net.dispose();
    }
    const rs = runs.filter((r) => r.optimizer === opt && r.variant === variant);
    console.log(`${opt} ${variant.padEnd(36)} A after A ${rs.map((r) => r.aAfterA.toFixed(2)).join(' ')} | A after B ${rs.map((r) => r.aAfterB.toFixed(2)).join(' ')} | B ${rs.map((r) => r.bAfterB.toFixed(2)).join(' ')}  (${((performance.now() - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
  }
}

const rows = [];
for (const opt of Object.keys(OPTIMIZERS)) for (const variant of Object.keys(VARIANTS)) {
  const rs = runs.filter((r) => r.optimizer === opt && r.variant === variant);
  const plain = runs.filter((r) => r.optimizer === opt && r.variant === 'plain');
  const cAfterB = rs.map((r) => r.crystalAfterB).filter(Boolean);
  rows.push({
    optimizer: opt, variant,
    aAfterA: meanSd(rs.map((r) => r.aAfterA)), aAfterB: meanSd(rs.map((r) => r.aAfterB)),
    retention: meanSd(rs.map((r) => r.aAfterB / r.aAfterA)), bAfterB: meanSd(rs.map((r) => r.bAfterB)),
    bothAfterB: meanSd(rs.map((r) => (r.aAfterB + r.bAfterB) / 2)),
    retentionDeltaVsPlain: meanSd(rs.map((r, i) => r.aAfterB / r.aAfterA - plain[i].aAfterB / plain[i].aAfterA)),
    bDeltaVsPlain: meanSd(rs.map((r, i) => r.bAfterB - plain[i].bAfterB)),
    crystallizeFactorsAfterA: rs[0].crystalAfterA ? meanSd(rs.map((r) => r.crystalAfterA.meanFactor)) : null,
    crystallizeDampedFractionAfterB: cAfterB.length ? meanSd(cAfterB.map((c) => c.damped)) : null,
    crystallizeFactorsAfterB: cAfterB.length ? meanSd(cAfterB.map((c) => c.meanFactor)) : null,
    perSeed: rs.map(({ seed, aAfterA, aAfterB, bAfterB, crystalAfterA, crystalAfterB }) => ({ seed, aAfterA, aAfterB, bAfterB, crystalAfterA, crystalAfterB })),
  });
}

// The verdict follows the numbers: a variant "keeps more of A" when its paired retention gain over the
// plain run of the same optimizer exceeds 2 standard errors and 2 points.
const se = (s) => (2 * s.sd) / Math.sqrt(SEEDS.length);
const sentences = [];
for (const opt of Object.keys(OPTIMIZERS)) {
  const plain = rows.find((r) => r.optimizer === opt && r.variant === 'plain');
  const others = rows.filter((r) => r.optimizer === opt && r.variant !== 'plain');
  const kept = others.filter((r) => r.retentionDeltaVsPlain.mean > 0.02 && r.retentionDeltaVsPlain.mean > se(r.retentionDeltaVsPlain));
  const lost = others.filter((r) => r.retentionDeltaVsPlain.mean < -0.02 && -r.retentionDeltaVsPlain.mean > se(r.retentionDeltaVsPlain));
  const bWorse = others.filter((r) => r.bDeltaVsPlain.mean < -0.02 && -r.bDeltaVsPlain.mean > se(r.bDeltaVsPlain));
  sentences.push(`${opt}: plain keeps ${(100 * plain.retention.mean).toFixed(0)}% of its task-A accuracy; ` +
    (kept.length ? `keeping more (paired gain > 2 points and > 2 standard errors): ${kept.map((r) => `${r.variant} (${(100 * r.retention.mean).toFixed(0)}%)`).join(', ')}` : 'no variant keeps measurably more') +
    (lost.length ? `; keeping less: ${lost.map((r) => r.variant).join(', ')}` : '') +
    (bWorse.length ? `; learning B worse: ${bWorse.map((r) => `${r.variant} (${r.bAfterB.mean.toFixed(3)})`).join(', ')}` : '') + '.');
}
const crystalRows = rows.filter((r) => r.crystallizeDampedFractionAfterB);
sentences.push(`Share of synapses crystallize had damped by the end (factor < 1): ${crystalRows.map((r) => `${r.optimizer} ${r.variant} ${(100 * r.crystallizeDampedFractionAfterB.mean).toFixed(1)}% (mean factor ${r.crystallizeFactorsAfterB.mean.toFixed(3)})`).join('; ')}.`);
const verdict = sentences.join(' ');

const report = {
  experiment: 'continual',
  date: new Date().toISOString(),
  machine: machine(),
  wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
  config: {
    task: `two 10-D Gaussian mixtures (4 classes × 2 clusters, centres N(0, ${MIX.spread}²) from different seeds, noise ${MIX.noise}), 400 training / 1000 test points each`,
    classes: MIX.classes, layers: LAYERS, optimizer: Object.entries(OPTIMIZERS).map(([k, v]) => `${k} ${v.lr}`).join(' or '), stepsPerTask: STEPS, evalEvery: EVAL_EVERY, seeds: SEEDS, backend: BACKEND,
    variants: Object.fromEntries(Object.entries(VARIANTS).map(([k, v]) => [k, v.map((t) => (typeof t === 'string' ? t : `${t.transform} ${JSON.stringify(t.params)}`))])),
  },
  verdict,
  rows,
  curves: Object.fromEntries(Object.keys(OPTIMIZERS).flatMap((opt) => Object.keys(VARIANTS).map((v) => {
    const rs = runs.filter((r) => r.optimizer === opt && r.variant === v);
    const mean = (key) => rs[0].curve[key].map((_, k) => +(rs.reduce((a, r) => a + r.curve[key][k], 0) / rs.length).toFixed(4));
    return [`${opt} / ${v}`, { step: rs[0].curve.step, a: mean('a'), b: mean('b') }];
  }))),
};
tf.dispose([taskA.train.x, taskA.train.y, taskA.test.x, taskA.test.y, taskB.train.x, taskB.train.y, taskB.test.x, taskB.test.y]);
writeFileSync(`${RESULTS_DIR}/continual.json`, `${JSON.stringify(report, null, 1)}\n`);

const short = { 'plain, B at lr/10': 'plain, B lr/10', plain: 'plain', 'fuzzy-lr': 'fuzzy', crystallize: 'cryst.', 'crystallize + fuzzy-lr': 'cryst. + fuzzy', 'crystallize (thresh 1e-2) + fuzzy-lr': 'cryst. 1e-2 + fuzzy' };
saveFigure(RESULTS_DIR, 'continual', barChart({
  title: `Task A then task B (${STEPS} steps each, ${SEEDS.length} seeds): accuracy on A and B`,
  yLabel: 'test accuracy', series: ['A after learning A', 'A after learning B', 'B after learning B'],
  groups: rows.map((r) => ({ label: short[r.variant], sublabel: r.optimizer, bars: [r.aAfterA, r.aAfterB, r.bAfterB].map((s, k) => ({ value: s.mean, err: s.sd, points: r.perSeed.map((p) => [p.aAfterA, p.aAfterB, p.bAfterB][k]) })) })),
  yMin: 0, yMax: 1,
}));
const curveSeries = [];
Object.keys(OPTIMIZERS).forEach((opt, oi) => Object.keys(VARIANTS).forEach((v, vi) => {
  const c = report.curves[`${opt} / ${v}`];
  curveSeries.push({ label: `${opt}, ${short[v]}`, x: c.step, y: c.a, color: COLORS[vi], dash: oi === 1 });
}));
const curveLegend = [...Object.keys(VARIANTS).map((v, vi) => ({ label: short[v], color: COLORS[vi] })), { label: 'solid: Adam', color: '#000' }, { label: 'dashed: SGD', color: '#000', dash: true }];
saveFigure(RESULTS_DIR, 'continual-curves', lineChart({
  title: `Accuracy on task A while learning A (steps 0-${STEPS}) then B (mean of ${SEEDS.length} seeds)`,
  xLabel: 'training step (task B from step ' + STEPS + ')', yLabel: 'task-A test accuracy', series: curveSeries, yRange: [0, 1], legendAt: 'columns', legendCols: 4, legend: curveLegend, marks: [{ x: STEPS, label: 'task B starts' }],
}));
writeSection('continual');
console.log(verdict);
console.log(`done in ${report.wallSeconds} s`);
