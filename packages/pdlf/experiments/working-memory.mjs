// Working memory (the copying task): PDLF's plastic spiking policy against the weight-trained spiking
// baseline of the same architecture, both evolved with PGPE at the official settings (centre lr 0.01,
// std lr 0.07, initial std 0.04, Adam) but a smaller population and budget, over a small Len × Lat
// sweep; then the membrane-reset test on held-out sequences. Writes results/working-memory.json and
// the figures (SVG and PNG).
//   node experiments/working-memory.mjs            (after `pnpm build`; WM_GENERATIONS, WM_POP to change the budget;
//                                                   --plot-only redraws the figures from the JSON)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InProcessEvaluator, PGPE, SpikingPolicy, evaluateCopy, search } from '@plasticity/pdlf';
import { createNodeWorkerPool } from '@plasticity/pdlf/node';
import { bars, lines, writeFigure } from './plot.mjs';

await tf.setBackend('cpu');
const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'results');
mkdirSync(out, { recursive: true });

const GENERATIONS = Number(process.env.WM_GENERATIONS ?? 150);
// WM_WORKERS > 1 spreads each generation over worker threads (each chunk one population network)
const WORKERS = Number(process.env.WM_WORKERS ?? 1);
// WM_CELLS=8:0,8:8 picks the Len:Lat cells
const CELLS_ENV = process.env.WM_CELLS;
const POP = Number(process.env.WM_POP ?? 64);
const HIDDEN = 32;
const SEQUENCES = 4; // per evaluation, each with its own fast weights
const CELLS = CELLS_ENV ? CELLS_ENV.split(',').map((c) => c.split(':').map(Number)) : [[4, 0], [4, 8], [8, 0], [8, 8]];
const TEST = { sequences: 128, seed: 1_000_003 };

// At the official initial std (0.04) the weight-trained baseline's neurons never reach threshold: a
// silent readout and a flat fitness landscape. It starts from std 0.5 instead; PDLF's normalised fast
// weights do not need that.
const BASELINE_INIT_STD = 0.5;

async function evolve(label, policy, task) {
  const es = new PGPE({ dim: policy.dim, seed: 42, popSize: POP, ...(policy.options.plastic ? {} : { initStd: BASELINE_INIT_STD }) });
  const evaluator = WORKERS > 1
    ? createNodeWorkerPool({ size: WORKERS, fitness: { module: import.meta.resolve('@plasticity/pdlf/task-fitness'), exportName: 'copy', batch: true, data: { policy: policy.options, task } } })
    : new InProcessEvaluator({ batch: async (sols, ctx) => (await evaluateCopy(policy, sols, task, { seed: ctx.generation })).fitness });
  const curve = [];
  const t0 = performance.now();
  const result = await search({
    es, evaluator, maxGenerations: GENERATIONS,
    onProgress: (p) => {
      curve.push({ generation: p.generation, best: p.bestFitness, mean: p.meanFitness });
      if (p.generation % 25 === 0 || p.generation === GENERATIONS) {
        console.log(`  ${label}: generation ${p.generation}/${GENERATIONS}, best ${p.bestFitness.toFixed(3)}, mean ${p.meanFitness.toFixed(3)}, ${p.evaluationsPerSecond.toFixed(0)} evaluations/s`);
      }
    },
  });
  await evaluator.close();
  // held-out sequences: the search distribution's centre (evojax's best_params) and the best sampled
  // solution (with a wide search distribution the centre of a silent start can stay silent)
  const test = { ...task, sequences: TEST.sequences };
  const heldOut = async (genome) => ({
    accuracy: (await evaluateCopy(policy, [genome], test, { seed: TEST.seed })).accuracy[0],
    resetAccuracy: (await evaluateCopy(policy, [genome], test, { seed: TEST.seed, resetMembrane: true })).accuracy[0],
  });
  const centre = await heldOut(Float32Array.from(result.es.centre));
  const best = await heldOut(result.best.solution);
  return { centre, best, ...best, wallS: (performance.now() - t0) / 1000, curve };
}

const file = path.join(out, 'working-memory.json');
let report;
if (process.argv.includes('--plot-only')) {
  report = JSON.parse(readFileSync(file, 'utf8'));
} else {
  const rows = [];
  for (const [length, latency] of CELLS) {
    const task = { length, latency, stimulusSteps: 2, sequences: SEQUENCES };
    console.log(`Len ${length}, Lat ${latency}`);
    const pdlf = await evolve('PDLF', new SpikingPolicy({ hidden: [HIDDEN] }), task);
    const baseline = await evolve('baseline', new SpikingPolicy({ hidden: [HIDDEN], plastic: false }), task);
    rows.push({ length, latency, pdlf, baseline });
    const say = (r) => `best ${r.best.accuracy.toFixed(3)} (membranes reset: ${r.best.resetAccuracy.toFixed(3)}), centre ${r.centre.accuracy.toFixed(3)} (reset: ${r.centre.resetAccuracy.toFixed(3)})`;
    console.log(`  held-out accuracy: PDLF ${say(pdlf)}; baseline ${say(baseline)}`);
  }
  report = {
    budget: { generations: GENERATIONS, population: POP, workers: WORKERS, hidden: HIDDEN, sequencesPerEvaluation: SEQUENCES, testSequences: TEST.sequences, es: `PGPE, centre lr 0.01, std lr 0.07, init std 0.04 (baseline ${BASELINE_INIT_STD}), Adam` },
    machine: `${process.version}, ${(await import('node:os')).cpus().length} cores`,
    date: new Date().toISOString(),
    rows,
  };
  writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
}

// ---- figures --------------------------------------------------------------------------------------
const { rows, budget } = report;
writeFigure(out, 'working-memory-accuracy', bars({
  title: `Copying task: held-out accuracy of the best solution (${budget.generations} generations, pop. ${budget.population})`,
  yLabel: 'accuracy (128 new sequences)', yMax: 1,
  groups: rows.map((r) => ({ label: `Len ${r.length}, Lat ${r.latency}`, values: [r.pdlf.best.accuracy, r.pdlf.best.resetAccuracy, r.baseline.best.accuracy, r.baseline.best.resetAccuracy] })),
  names: ['PDLF', 'PDLF, reset', 'weight-trained', 'weight-trained, reset'],
  hLines: [{ y: 0.5, label: 'chance' }],
}));
/** Mean of the last `k` values at every point (the trials change every generation: raw curves are noisy). */
const rolling = (ys, k = 10) => ys.map((_, i) => { const w = ys.slice(Math.max(0, i - k + 1), i + 1); return w.reduce((a, b) => a + b, 0) / w.length; });
writeFigure(out, 'working-memory-curves', lines({
  title: 'Copying task: mean fitness per generation (rolling mean of 10)', xLabel: 'generation (solid: PDLF, dashed: weight-trained)', yLabel: 'mean fitness (accuracy + 0.05·margin)',
  series: rows.flatMap((r, k) => [
    { label: `Len ${r.length}, Lat ${r.latency}`, x: r.pdlf.curve.map((c) => c.generation), y: rolling(r.pdlf.curve.map((c) => c.mean)), color: ['#2563eb', '#16a34a', '#9333ea', '#ea580c'][k] },
    { label: `Len ${r.length}, Lat ${r.latency}, baseline`, x: r.baseline.curve.map((c) => c.generation), y: rolling(r.baseline.curve.map((c) => c.mean)), color: ['#2563eb', '#16a34a', '#9333ea', '#ea580c'][k], dashed: true },
  ]),
  hLines: [{ y: 0.5, label: 'chance' }],
}));
console.log(`wrote ${path.relative(process.cwd(), out)}/working-memory.json and figures`);
