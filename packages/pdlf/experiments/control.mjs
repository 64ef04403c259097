// Multi-task control and injury: PDLF's plastic spiking policy (core/scp, the control rule) against
// the weight-trained spiking baseline, both evolved with PGPE on the eight training directions of the
// reach task (the goal direction is an observation); then generalisation to eight held-out directions,
// a temporary injury (the official protocol: a 1000-step episode, every weight zeroed on steps 501–549,
// then recovery) and permanent
// injuries (10–50 % of the hidden neurons blocked: weights zeroed and frozen). Writes
// results/control.json and figures.
//   node experiments/control.mjs     (after `pnpm build`; CTRL_GENERATIONS, CTRL_POP to change the budget;
//                                     --plot-only redraws the figures from the JSON)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@plasticity/core';
import { HELD_OUT_DIRECTIONS, InProcessEvaluator, PGPE, SpikingPolicy, evaluateReach, meanScpWindow, reachReference, search } from '@plasticity/pdlf';
import { bars, lines, writeFigure } from './plot.mjs';

await tf.setBackend('cpu');
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(out, { recursive: true });

const GENERATIONS = Number(process.env.CTRL_GENERATIONS ?? 80);
const POP = Number(process.env.CTRL_POP ?? 48);
const HIDDEN = 32;
const STEPS = 100;
const INJURY = { steps: 1000, from: 501, to: 550 }; // the official injury window of a 1000-step episode (steps 501–549)
const FRACTIONS = [0, 0.1, 0.2, 0.3, 0.4, 0.5];
const BASELINE_INIT_STD = 0.5; // as in the working-memory experiment: at 0.04 the baseline stays silent
const DTS = Array.from({ length: 21 }, (_, k) => k - 10); // pre/post intervals (steps) of the rule windows

const policies = {
  PDLF: new SpikingPolicy({ nIn: 4, nOut: 2, hidden: [HIDDEN], rule: 'core/scp', lesion: true }),
  'weight-trained SNN': new SpikingPolicy({ nIn: 4, nOut: 2, hidden: [HIDDEN], plastic: false, lesion: true }),
  // the official ablation: only lr·(B·y + D), no cooperation term
  'PDLF, BD ablation': new SpikingPolicy({ nIn: 4, nOut: 2, hidden: [HIDDEN], rule: 'core/scp', terms: 'BD', lesion: true }),
};

const file = path.join(out, 'control.json');
let report;
if (process.argv.includes('--plot-only')) {
  report = JSON.parse(readFileSync(file, 'utf8'));
} else {
  const results = {};
  for (const [name, policy] of Object.entries(policies)) {
    console.log(name);
    const es = new PGPE({ dim: policy.dim, seed: 7, popSize: POP, ...(policy.options.plastic ? {} : { initStd: BASELINE_INIT_STD }) });
    const evaluator = new InProcessEvaluator({ batch: async (sols) => (await evaluateReach(policy, sols, { steps: STEPS })).fitness });
    const curve = [], windows = [];
    const snapshot = new Set([1, Math.round(GENERATIONS / 4), Math.round(GENERATIONS / 2), GENERATIONS]);
    const t0 = performance.now();
    const r = await search({
      es, evaluator, maxGenerations: GENERATIONS,
      onProgress: (p) => {
        curve.push({ generation: p.generation, best: p.bestFitness, mean: p.meanFitness });
        // the evolved rule, read as an STDP window (the mean over each projection's synapses of the centre)
        if (policy.options.plastic && snapshot.has(p.generation)) {
          windows.push({ generation: p.generation, ...Object.fromEntries(['in->h0', 'h0->out'].map((pr) => [pr, Array.from(meanScpWindow(es.centre, policy.slices, pr, DTS))])) });
        }
        if (p.generation % 20 === 0 || p.generation === GENERATIONS) console.log(`  generation ${p.generation}/${GENERATIONS}: best ${p.bestFitness.toFixed(2)}, mean ${p.meanFitness.toFixed(2)}, ${p.evaluationsPerSecond.toFixed(0)} evaluations/s`);
      },
    });
    await evaluator.close();
    const genome = r.best.solution;
    const train = (await evaluateReach(policy, [genome], { steps: STEPS })).fitness[0];
    const heldOut = (await evaluateReach(policy, [genome], { steps: STEPS, directions: HELD_OUT_DIRECTIONS })).fitness[0];
    // the injury episode is the official 1000 steps long (the policy was evolved on 100-step episodes)
    const intact = await evaluateReach(policy, [genome], { steps: INJURY.steps }, { recordRewards: true });
    const hurt = await evaluateReach(policy, [genome], { steps: INJURY.steps }, { recordRewards: true, injury: { kind: 'temporary', from: INJURY.from, to: INJURY.to } });
    const permanent = [];
    for (const f of FRACTIONS) {
      // the same neurons for every direction; three draws of which neurons, averaged
      let sum = 0;
      for (let draw = 0; draw < 3; draw++) {
        const order = Array.from(createRng(100 + draw).uniform(HIDDEN)).map((u, i) => [u, i]).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
        const blocked = [{ layer: 'h0', neurons: order.slice(0, Math.round(f * HIDDEN)) }];
        sum += (await evaluateReach(policy, [genome], { steps: STEPS }, { injury: { kind: 'permanent', blocked } })).fitness[0] / 3;
      }
      permanent.push(sum);
    }
    results[name] = { train, heldOut, curve, windows, intact: Array.from(intact.rewards), temporary: Array.from(hurt.rewards), permanent, wallS: (performance.now() - t0) / 1000 };
    console.log(`  return: training directions ${train.toFixed(2)}, held-out ${heldOut.toFixed(2)} (reference ${reachReference({ steps: STEPS }).toFixed(2)}); blocked ${FRACTIONS.map((f, k) => `${f * 100}%: ${permanent[k].toFixed(2)}`).join(', ')}`);
  }

  report = {
    budget: { generations: GENERATIONS, population: POP, hidden: HIDDEN, steps: STEPS, es: `PGPE, centre lr 0.01, std lr 0.07, init std 0.04 (baseline ${BASELINE_INIT_STD}), Adam` },
    windowDts: DTS, reference: reachReference({ steps: STEPS }), heldOutReference: reachReference({ steps: STEPS, directions: HELD_OUT_DIRECTIONS }), injury: INJURY, fractions: FRACTIONS, date: new Date().toISOString(), results,
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');

}
const { results, reference, budget, windowDts } = report;
const names = Object.keys(results);
const SHORT = { PDLF: 'PDLF', 'weight-trained SNN': 'weight-trained', 'PDLF, BD ablation': 'BD ablation' };
const COLORS = ['#2563eb', '#dc2626', '#16a34a'];
writeFigure(out, 'control-generalisation', bars({
  title: `Reach task: return per episode (${budget.generations} generations, population ${budget.population})`, yLabel: 'return (mean over directions)',
  groups: [{ label: 'training directions', values: names.map((n) => results[n].train) }, { label: 'held-out directions', values: names.map((n) => results[n].heldOut) }],
  names, hLines: [{ y: reference, label: 'best constant action (training directions)' }], yMin: Math.min(0, ...names.flatMap((n) => [results[n].train, results[n].heldOut])),
}));
const t = Array.from({ length: report.injury.steps ?? budget.steps }, (_, k) => k);
writeFigure(out, 'control-temporary-injury', lines({
  title: `Temporary injury: every weight zeroed on steps ${report.injury.from}–${report.injury.to - 1} of ${t.length}`, xLabel: 'step', yLabel: 'reward (mean over directions)',
  series: names.flatMap((n, k) => [
    { label: `${SHORT[n]}, intact`, x: t, y: results[n].intact, color: COLORS[k] },
    { label: `${SHORT[n]}, injured`, x: t, y: results[n].temporary, color: COLORS[k], dashed: true },
  ]),
}));
writeFigure(out, 'control-permanent-injury', lines({
  title: 'Permanent injury: hidden neurons blocked (weights zeroed and frozen)', xLabel: 'fraction of hidden neurons blocked', yLabel: 'return (mean over directions)',
  series: names.map((n) => ({ label: n, x: FRACTIONS, y: results[n].permanent })), yMin: Math.min(0, ...names.flatMap((n) => results[n].permanent)),
}));
console.log(`wrote ${path.relative(process.cwd(), out)}/control.json and figures`);
writeFigure(out, 'control-rule-windows', lines({
  title: 'Evolved control rule as an STDP window (hidden → readout, mean)', xLabel: 'Δt = t_post − t_pre (steps)', yLabel: 'Δw per pair',
  series: results.PDLF.windows.map((w) => ({ label: `generation ${w.generation}`, x: windowDts, y: w['h0->out'] })),
  hLines: [{ y: 0, label: '' }],
}));
