// Experiment 3: an E/I spiking network under STDP with Dale's principle enforced. Populations E (80 LIF)
// and I (20 LIF) driven by Poisson input; the four recurrent projections E→E, E→I, I→E, I→I are plastic
// (additive pair STDP, weights allowed in [−2, 2] mV so that STDP alone can flip a sign) and carry the
// `bio/dale` transform (fused, after every STDP step): E's outgoing synapses ≥ 0, I's ≤ 0. The weights
// of every projection are read after every time step and every synapse of the wrong sign is counted.
// The same runs without `bio/dale` (same seeds, same initial signed weights) show what STDP does to the
// signs when nothing holds them. Budget: ≤ 2 minutes on a loaded 2-core machine.
//   node packages/bio/experiments/snn-dale.mjs     (after building packages/bio and its dependencies)
// Writes results/snn.json, snn-raster.{svg,png}, snn-weights.{svg,png} and the README section.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRegistry, initBackend } from '@plasticity/core';
import { registerBuiltins as registerRules } from '@plasticity/rules';
import { Network, lif } from '@plasticity/snn';
import { CSRConnection } from '@plasticity/sparse';
import { registerBuiltins } from '../dist/index.js';
import { RESULTS_DIR, machine, meanSd } from './common.mjs';
import { histogramPanels, rasterRates, saveFigure } from './plot.mjs';
import { writeSection } from './tables.mjs';

const t0 = performance.now();
await initBackend('cpu');
mkdirSync(RESULTS_DIR, { recursive: true });

const DURATION_MS = +(process.env.DURATION_MS ?? 5000), DT_MS = 1, CHECK_EVERY = 1, RATE_BIN_MS = 50;
const SEEDS = (process.env.SEEDS ?? '1,2,3,4,5').split(',').map(Number);
const N = { in: 200, E: 80, I: 20 };
const STDP = { aPlus: 0.04, aMinus: 0.044, tauPlusMs: 20, tauMinusMs: 20, wMin: -2, wMax: 2 };
// pre → post, connection probability, initial weights (mV jumps of the post neuron's v), sign of pre
const PROJ = [
  { name: 'E→E', pre: 'E', post: 'E', p: 0.1, init: { dist: 'uniform', low: 0, high: 1.0 }, sign: 1 },
  { name: 'E→I', pre: 'E', post: 'I', p: 0.2, init: { dist: 'uniform', low: 0, high: 1.0 }, sign: 1 },
  { name: 'I→E', pre: 'I', post: 'E', p: 0.3, init: { dist: 'uniform', low: -1.5, high: 0 }, sign: -1 },
  { name: 'I→I', pre: 'I', post: 'I', p: 0.3, init: { dist: 'uniform', low: -1.5, high: 0 }, sign: -1 },
];
const INPUT = { rateHz: 17, p: 0.15, init: { dist: 'uniform', low: 0.5, high: 2.5 } };

async function run(seed, withDale) {
  const registry = createRegistry();
  registerRules(registry);
  registerBuiltins(registry);
  const net = new Network({ dtMs: DT_MS, seed, registry, fallback: 'error' });
  net.addPoisson('in', { n: N.in, rateHz: INPUT.rateHz });
  net.addPopulation('E', { n: N.E, neuron: lif, params: { tauMMs: 20 } });
  net.addPopulation('I', { n: N.I, neuron: lif, params: { tauMMs: 20 } });
  const conns = [];
  for (const post of ['E', 'I']) {
    const c = CSRConnection.random({ nPre: N.in, nPost: N[post], p: INPUT.p, seed: seed * 100 + (post === 'E' ? 1 : 2), init: INPUT.init });
    conns.push(c);
    net.connect('in', post, { connection: c, name: `in→${post}` });
  }
  const monitors = {}, initial = {}, pairs = {};
  PROJ.forEach((pr, k) => {
    const c = CSRConnection.random({ nPre: N[pr.pre], nPost: N[pr.post], p: pr.p, seed: seed * 100 + 10 + k, init: pr.init });
    conns.push(c);
    pairs[pr.name] = c.pairs();
    const transforms = withDale ? [{ transform: 'bio/dale', params: { layout: 'first', excitatoryFraction: pr.sign > 0 ? 1 : 0 } }] : [];
    net.connect(pr.pre, pr.post, { connection: c, rule: 'core/stdp', ruleParams: STDP, transforms, name: pr.name });
    monitors[pr.name] = net.monitorWeights(pr.name, { every: CHECK_EVERY });
  });
  for (const pr of PROJ) initial[pr.name] = await net.weights(pr.name);
  const spikes = { E: net.monitorSpikes('E'), I: net.monitorSpikes('I') };
  const engines = net.engineReport().map((e) => `${e.projection ?? e.name}: ${e.engine}`);
  await net.run(DURATION_MS);
  const out = { seed, withDale, engines, projections: {}, spikes: {} };
  for (const pr of PROJ) {
    const m = monitors[pr.name];
    let violations = 0, checks = 0, everWrong = new Set();
    for (const w of m.snapshots) {
      checks++;
      for (let k = 0; k < w.length; k++) if (w[k] * pr.sign < 0) { violations++; everWrong.add(k); }
    }
    const final = await net.weights(pr.name);
    const signs = withDale ? net.synapseArrays(pr.name).daleSign : null;
    out.projections[pr.name] = {
      synapses: final.length, checks, violations, synapsesEverWrong: everWrong.size,
      wrongAtEnd: Array.from(final).filter((v) => v * pr.sign < 0).length,
      zeroAtEnd: Array.from(final).filter((v) => v === 0).length,
      signArrayOk: signs ? signs.every((s) => s === pr.sign) : null,
      initial: Array.from(initial[pr.name]), final: Array.from(final),
      meanInitial: initial[pr.name].reduce((a, b) => a + b, 0) / final.length, meanFinal: final.reduce((a, b) => a + b, 0) / final.length,
    };
  }
  for (const pop of ['E', 'I']) {
    const s = spikes[pop];
    out.spikes[pop] = { count: s.count, rateHz: s.count / N[pop] / (DURATION_MS / 1000), timesMs: Array.from(s.timesMs()), indices: Array.from(s.indices()) };
  }
  net.dispose?.();
  for (const c of conns) c.dispose();
  return out;
}

const runs = [];
for (const seed of SEEDS) {
  for (const withDale of [true, false]) {
    const r = await run(seed, withDale);
    runs.push(r);
    const pj = Object.entries(r.projections).map(([k, p]) => `${k} ${withDale ? `violations ${p.violations}/${p.checks * p.synapses}` : `wrong at end ${p.wrongAtEnd}/${p.synapses}`}`).join(', ');
    console.log(`seed ${seed} ${withDale ? 'with Dale   ' : 'without Dale'} E ${r.spikes.E.rateHz.toFixed(1)} Hz, I ${r.spikes.I.rateHz.toFixed(1)} Hz; ${pj}  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
}
const withD = runs.filter((r) => r.withDale), without = runs.filter((r) => !r.withDale);
const projections = PROJ.map((pr) => ({
  name: pr.name, sign: pr.sign > 0 ? 'E: w ≥ 0' : 'I: w ≤ 0',
  synapses: withD.reduce((a, r) => a + r.projections[pr.name].synapses, 0), // all seeds
  checks: withD.reduce((a, r) => a + r.projections[pr.name].synapses * r.projections[pr.name].checks, 0),
  checksPerSeed: withD[0].projections[pr.name].checks,
  violationsWithDale: withD.reduce((a, r) => a + r.projections[pr.name].violations, 0),
  signArraysOk: withD.every((r) => r.projections[pr.name].signArrayOk),
  zeroAtEndWithDale: withD.reduce((a, r) => a + r.projections[pr.name].zeroAtEnd, 0),
  violationsWithoutDale: without.reduce((a, r) => a + r.projections[pr.name].wrongAtEnd, 0),
  everWrongWithoutDale: without.reduce((a, r) => a + r.projections[pr.name].synapsesEverWrong, 0),
  meanWeight: withD.reduce((a, r) => a + r.projections[pr.name].meanFinal, 0) / withD.length,
  meanWeightWithoutDale: without.reduce((a, r) => a + r.projections[pr.name].meanFinal, 0) / without.length,
  meanWeightInitial: withD.reduce((a, r) => a + r.projections[pr.name].meanInitial, 0) / withD.length,
}));
const populations = ['E', 'I'].map((pop) => ({ name: pop, n: N[pop], rateWithDale: meanSd(withD.map((r) => r.spikes[pop].rateHz)), rateWithoutDale: meanSd(without.map((r) => r.spikes[pop].rateHz)) }));
const totalWith = projections.reduce((a, p) => a + p.violationsWithDale, 0), totalWithout = projections.reduce((a, p) => a + p.violationsWithoutDale, 0);
const totalSyn = projections.reduce((a, p) => a + p.synapses, 0);
const checksTotal = withD.reduce((a, r) => a + Object.values(r.projections).reduce((b, p) => b + p.checks * p.synapses, 0), 0);
const verdict = `With bio/dale: ${totalWith} sign violations in ${checksTotal.toLocaleString('en-US')} synapse checks (every synapse after every time step, all seeds), and every projection's per-synapse sign array still holds its population's sign at the end` +
  `${projections.every((p) => p.signArraysOk) ? '' : ' — NOT: some sign array changed'}; the projection sets a synapse that STDP pushed across zero to 0 (${projections.reduce((a, p) => a + p.zeroAtEndWithDale, 0)} of ${totalSyn} synapses are exactly 0 at the end). ` +
  `Without it, the same STDP leaves ${totalWithout} of ${totalSyn} synapses (${(100 * totalWithout / totalSyn).toFixed(1)}%) with the wrong sign at the end. ` +
  `Rates with Dale: E ${pm(populations[0].rateWithDale)} Hz, I ${pm(populations[1].rateWithDale)} Hz; without: E ${pm(populations[0].rateWithoutDale)} Hz, I ${pm(populations[1].rateWithoutDale)} Hz.`;
function pm(s) { return `${s.mean.toFixed(1)} ± ${s.sd.toFixed(1)}`; }

const report = {
  experiment: 'snn',
  date: new Date().toISOString(),
  machine: machine(),
  wallSeconds: +((performance.now() - t0) / 1000).toFixed(1),
  config: {
    description: `populations E (${N.E} LIF, τm 20 ms) and I (${N.I} LIF, τm 20 ms), Poisson input (${N.in} at ${INPUT.rateHz} Hz, p ${INPUT.p}, static weights U(${INPUT.init.low}, ${INPUT.init.high}) mV); four plastic CSR projections ${PROJ.map((p) => `${p.name} (p ${p.p}, U(${p.init.low}, ${p.init.high}) mV)`).join(', ')} with core/stdp (aPlus ${STDP.aPlus}, aMinus ${STDP.aMinus}, τ ${STDP.tauPlusMs} ms, weights clipped to [${STDP.wMin}, ${STDP.wMax}] mV) and bio/dale (layout first, excitatoryFraction 1 for E's projections, 0 for I's), fused engine`,
    durationMs: DURATION_MS, dtMs: DT_MS, checkEveryMs: CHECK_EVERY * DT_MS, seeds: SEEDS, neurons: N, stdp: STDP, input: INPUT,
    engines: withD[0].engines,
  },
  verdict,
  projections,
  populations,
  perSeed: runs.map((r) => ({ seed: r.seed, withDale: r.withDale, rateE: +r.spikes.E.rateHz.toFixed(3), rateI: +r.spikes.I.rateHz.toFixed(3), projections: Object.fromEntries(Object.entries(r.projections).map(([k, p]) => [k, { violations: p.violations, checks: p.checks, wrongAtEnd: p.wrongAtEnd, synapsesEverWrong: p.synapsesEverWrong, zeroAtEnd: p.zeroAtEnd, meanFinal: +p.meanFinal.toFixed(4) }])) })),
};
writeFileSync(`${RESULTS_DIR}/snn.json`, `${JSON.stringify(report, null, 1)}\n`);

// raster of seed 1 with Dale (E blue below, I red above) and population rates in 50 ms bins (mean over seeds)
const r1 = withD[0];
const bins = Math.ceil(DURATION_MS / RATE_BIN_MS);
const rate = (rs, pop) => Array.from({ length: bins }, (_, b) => rs.reduce((a, r) => a + r.spikes[pop].timesMs.filter((t) => t >= b * RATE_BIN_MS && t < (b + 1) * RATE_BIN_MS).length, 0) / rs.length / N[pop] / (RATE_BIN_MS / 1000));
const x = Array.from({ length: bins }, (_, b) => (b + 0.5) * RATE_BIN_MS);
saveFigure(RESULTS_DIR, 'snn-raster', rasterRates({
  title: `E/I network, STDP + bio/dale: spikes (seed ${r1.seed}), rates (mean of ${SEEDS.length} seeds)`,
  raster: [{ label: `E (${N.E})`, color: '#1f77b4', timesMs: r1.spikes.E.timesMs, indices: r1.spikes.E.indices, offset: 0 }, { label: `I (${N.I})`, color: '#d62728', timesMs: r1.spikes.I.timesMs, indices: r1.spikes.I.indices, offset: N.E }],
  nNeurons: N.E + N.I, tMaxMs: DURATION_MS,
  rates: [{ label: 'E', color: '#1f77b4', x, y: rate(withD, 'E') }, { label: 'I', color: '#d62728', x, y: rate(withD, 'I') }],
}));
const pooled = (rs, name, key) => rs.flatMap((r) => r.projections[name][key]);
saveFigure(RESULTS_DIR, 'snn-weights', histogramPanels({
  title: `Weights of the plastic projections after ${DURATION_MS} ms of STDP (${SEEDS.length} seeds pooled)`,
  panels: PROJ.map((pr) => ({
    title: `${pr.name} (from ${pr.pre === 'E' ? 'excitatory' : 'inhibitory'})`, legend: false,
    series: [
      { label: 'initial', values: pooled(withD, pr.name, 'initial'), color: '#bbb', fill: true },
      { label: 'with Dale', values: pooled(withD, pr.name, 'final'), color: pr.sign > 0 ? '#1f77b4' : '#d62728', fill: true },
      { label: 'without Dale', values: pooled(without, pr.name, 'final'), color: '#000' },
    ],
  })),
  cols: 2, range: [STDP.wMin, STDP.wMax], bins: 41, xLabel: 'weight (mV)',
  note: 'fraction of synapses per bin; grey: initial; filled blue (E) / red (I): after STDP with bio/dale; black line: same STDP without bio/dale',
}));
writeSection('snn');
console.log(verdict);
console.log(`done in ${report.wallSeconds} s`);
