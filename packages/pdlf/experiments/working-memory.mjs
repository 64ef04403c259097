// Working memory (the copying task): PDLF's plastic spiking policy against the weight-trained spiking
// baseline of the same architecture, both evolved with PGPE at the official settings (centre lr 0.01,
// std lr 0.07, initial std 0.04, Adam) but a smaller population and budget, over a small Len × Lat
// sweep; then the membrane-reset test on held-out sequences. Writes results/working-memory.json and
// the figures (SVG and PNG).
//   node experiments/working-memory.mjs            (after `pnpm build`; WM_GENERATIONS, WM_POP to change the budget)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InProcessEvaluator, PGPE, SpikingPolicy, evaluateCopy, search } from '@plasticity/pdlf';

await tf.setBackend('cpu');
const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'results');
mkdirSync(out, { recursive: true });

const GENERATIONS = Number(process.env.WM_GENERATIONS ?? 150);
const POP = Number(process.env.WM_POP ?? 64);
const HIDDEN = 32;
const SEQUENCES = 4; // per evaluation, each with its own fast weights
const CELLS = [[4, 0], [4, 8], [8, 0], [8, 8]];
const TEST = { sequences: 128, seed: 1_000_003 };

// At the official initial std (0.04) the weight-trained baseline's neurons never reach threshold: a
// silent readout and a flat fitness landscape. It starts from std 0.5 instead; PDLF's normalised fast
// weights do not need that.
const BASELINE_INIT_STD = 0.5;

async function evolve(label, policy, task) {
  const es = new PGPE({ dim: policy.dim, seed: 42, popSize: POP, ...(policy.options.plastic ? {} : { initStd: BASELINE_INIT_STD }) });
  const evaluator = new InProcessEvaluator({ batch: async (sols, ctx) => (await evaluateCopy(policy, sols, task, { seed: ctx.generation })).fitness });
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

const report = {
  budget: { generations: GENERATIONS, population: POP, hidden: HIDDEN, sequencesPerEvaluation: SEQUENCES, testSequences: TEST.sequences, es: `PGPE, centre lr 0.01, std lr 0.07, init std 0.04 (baseline ${BASELINE_INIT_STD}), Adam` },
  machine: `${process.version}, ${(await import('node:os')).cpus().length} cores`,
  date: new Date().toISOString(),
  rows,
};
writeFileSync(path.join(out, 'working-memory.json'), JSON.stringify(report, null, 2) + '\n');

// ---- figures --------------------------------------------------------------------------------------
const W = 720, H = 360, M = { l: 60, r: 20, t: 40, b: 70 };
const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const frame = (title, yLabel, body) => `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>${body}</svg>`;
const yScale = (v, lo, hi) => M.t + (1 - (v - lo) / (hi - lo)) * (H - M.t - M.b);
const yAxis = (lo, hi, ticks) => ticks.map((v) => `<line x1="${M.l}" x2="${W - M.r}" y1="${yScale(v, lo, hi)}" y2="${yScale(v, lo, hi)}" stroke="#e5e7eb"/><text x="${M.l - 6}" y="${yScale(v, lo, hi) + 4}" text-anchor="end">${v}</text>`).join('');

{ // held-out accuracy per cell: PDLF, PDLF after the membrane reset, baseline, baseline after the reset
  const bars = [['PDLF', 'accuracy', '#2563eb'], ['PDLF, membranes reset', 'resetAccuracy', '#93c5fd'], ['weight-trained SNN', 'accuracy', '#dc2626'], ['weight-trained, membranes reset', 'resetAccuracy', '#fca5a5']];
  const groupW = (W - M.l - M.r) / rows.length, barW = groupW / (bars.length + 1);
  let body = yAxis(0, 1, [0, 0.25, 0.5, 0.75, 1]);
  body += `<line x1="${M.l}" x2="${W - M.r}" y1="${yScale(0.5, 0, 1)}" y2="${yScale(0.5, 0, 1)}" stroke="#111" stroke-dasharray="4 3"/><text x="${W - M.r}" y="${yScale(0.5, 0, 1) - 4}" text-anchor="end">chance</text>`;
  rows.forEach((r, g) => {
    bars.forEach(([, key, color], b) => {
      const v = (b < 2 ? r.pdlf : r.baseline)[key];
      const x = M.l + g * groupW + (b + 0.5) * barW;
      body += `<rect x="${x}" y="${yScale(v, 0, 1)}" width="${barW * 0.9}" height="${yScale(0, 0, 1) - yScale(v, 0, 1)}" fill="${color}"/>`;
    });
    body += `<text x="${M.l + (g + 0.5) * groupW}" y="${H - M.b + 16}" text-anchor="middle">Len ${r.length}, Lat ${r.latency}</text>`;
  });
  bars.forEach(([name, , color], b) => { body += `<rect x="${M.l + b * 170}" y="${H - 28}" width="12" height="12" fill="${color}"/><text x="${M.l + b * 170 + 16}" y="${H - 18}">${esc(name)}</text>`; });
  writeFigure('working-memory-accuracy', frame(`Copying task, held-out accuracy of the best solution (${GENERATIONS} generations, pop. ${POP})`, 'accuracy', body));
}

{ // learning curves: mean fitness per generation
  const colors = ['#2563eb', '#16a34a', '#9333ea', '#ea580c'];
  let body = yAxis(0.3, 1.05, [0.4, 0.6, 0.8, 1]);
  const x = (g) => M.l + (g / GENERATIONS) * (W - M.l - M.r);
  rows.forEach((r, k) => {
    for (const [which, dash] of [['pdlf', ''], ['baseline', '5 4']]) {
      const pts = r[which].curve.map((c) => `${x(c.generation)},${yScale(Math.max(0.3, c.mean), 0.3, 1.05)}`).join(' ');
      body += `<polyline fill="none" stroke="${colors[k]}" stroke-width="1.5" ${dash ? `stroke-dasharray="${dash}"` : ''} points="${pts}"/>`;
    }
    body += `<line x1="${M.l + k * 150}" x2="${M.l + k * 150 + 18}" y1="${H - 22}" y2="${H - 22}" stroke="${colors[k]}" stroke-width="2"/><text x="${M.l + k * 150 + 22}" y="${H - 18}">Len ${r.length}, Lat ${r.latency}</text>`;
  });
  body += `<text x="${W - M.r}" y="${H - 40}" text-anchor="end">solid: PDLF, dashed: weight-trained baseline</text>`;
  for (const g of [0, GENERATIONS / 2, GENERATIONS]) body += `<text x="${x(g)}" y="${H - M.b + 16}" text-anchor="middle">${g}</text>`;
  body += `<text x="${(M.l + W - M.r) / 2}" y="${H - M.b + 32}" text-anchor="middle">generation</text>`;
  writeFigure('working-memory-curves', frame('Copying task, mean fitness of each generation', 'mean fitness (accuracy + 0.05·margin)', body));
}

function writeFigure(name, svg) {
  writeFileSync(path.join(out, `${name}.svg`), svg);
  try {
    const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js');
    writeFileSync(path.join(out, `${name}.png`), new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render().asPng());
  } catch (error) {
    console.log(`(${name}.png skipped: ${error.message.split('\n')[0]})`);
  }
}
console.log(`wrote ${path.relative(process.cwd(), out)}/working-memory.{json,*-accuracy.svg,*-curves.svg}`);
