// `pnpm bench spn`: training-step time (blog update + forward + MSE + gradient + Adam) of @plasticity/spn's
// faithful mode against the PyTorch peer (bench/peers/spn_torch.py through peers/spn_step.py, Debian's
// python3-torch, 2 threads), each measurement in its own process (peak RSS per configuration), A B A B.
// Variants: backend and step path ('auto': the host path for small steps, else tfjs; 'tfjs': the reference).
// Besides the median / min over rounds, each variant's paired ratios (its run / the PyTorch run of the same
// round, median over rounds) are recorded: under a changing load they compare runs made side by side.
// Writes bench/results/spn.json (with `history`: the ratios of every run since BENCH_HISTORY=reset);
// `node bench/lib/tables.mjs spn --write` puts the table and the ranges over runs in the READMEs.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { BENCH_DIR, entry, machine, median, printTable, RESULTS_DIR, runChild, skipped, writeResults } from './lib/harness.mjs';

const CONFIGS = [
  { name: 'seed config (batch 32, input 1, hidden 32)', batch: 32, input: 1, hidden: 32, steps: 300, target: 1.0, variants: ['wasm/auto', 'cpu/auto', 'wasm/tfjs'] },
  // 'auto' takes the host path (WebAssembly kernels, worker threads) on both backends; 'tfjs' is the reference
  { name: 'large (batch 256, input 64, hidden 512)', batch: 256, input: 64, hidden: 512, steps: 20, target: 0.25, variants: ['wasm/auto', 'cpu/auto', 'wasm/tfjs'] },
];
const ROUNDS = Number(process.env.SPN_BENCH_ROUNDS ?? 3);
const python = '/usr/bin/python3';

function parse(result, who) {
  if (!result.ok) return { error: `${who} failed: ${result.stderr.trim().split('\n').slice(-2).join(' ')}` };
  try {
    return JSON.parse(result.stdout.trim().split('\n').at(-1));
  } catch {
    return { error: `${who} printed no result` };
  }
}

const torchCheck = runChild(python, ['-c', 'import torch; print(torch.__version__)']);
const torchReason = torchCheck.ok ? null : `python3-torch is not importable with ${python} (${torchCheck.stderr.trim().split('\n').at(-1)})`;
const cases = [];
const loadBefore = machine().details.loadavg;
for (const c of CONFIGS) {
  const ours = Object.fromEntries(c.variants.map((v) => [v, []]));
  const torch = [];
  let failure = null;
  for (let round = 0; round < ROUNDS && failure === null; round++) {
    for (const variant of c.variants) {
      const [backend, stepPath] = variant.split('/');
      const r = parse(runChild(process.execPath, [path.join(BENCH_DIR, 'lib', 'spn-child.mjs'), backend, c.batch, c.input, c.hidden, c.steps, stepPath].map(String)), `ours/${variant}`);
      if (r.error) failure = r.error;
      else ours[variant].push(r);
    }
    if (torchReason === null) {
      const r = parse(runChild(python, [path.join(BENCH_DIR, 'peers', 'spn_step.py'), c.batch, c.input, c.hidden, c.steps, 2].map(String)), 'torch');
      if (r.error) failure = r.error;
      else torch.push(r);
    }
    console.log(`${c.name}: round ${round + 1}/${ROUNDS}`);
  }
  if (failure !== null) {
    cases.push(skipped(c.name, 'plasticity/spn', 'step_ms', failure));
    continue;
  }
  const summary = (runs) => ({ median: median(runs.map((r) => r.step_ms_median)), min: Math.min(...runs.map((r) => r.step_ms_min)), peak: Math.max(...runs.map((r) => r.peak_rss_MB)) });
  const paired = (runs, key) => +median(runs.map((r, i) => r[key] / torch[i][key])).toFixed(3);
  const byBackend = Object.entries(ours).map(([variant, runs]) => ({ backend: variant.split('/')[0], variant, path: runs[0].path, runs, ...summary(runs) }));
  const fastest = byBackend.reduce((a, b) => (b.median < a.median ? b : a));
  const peer = torch.length ? summary(torch) : null;
  for (const b of byBackend) {
    const extra = { backend: b.backend, stepPath: b.variant.split('/')[1], pathTaken: b.path, threads: Math.max(...b.runs.map((r) => r.threads ?? 1)), stepMsMin: +b.min.toFixed(3), peakRssMB: +b.peak.toFixed(1), target: c.target, fastest: b === fastest, rounds: ROUNDS, stepsPerRound: c.steps,
      ...(peer ? { baselineStepMsMin: +peer.min.toFixed(3), baselinePeakRssMB: +peer.peak.toFixed(1), minRatio: +(b.min / peer.min).toFixed(3),
        pairedMedianRatio: paired(b.runs, 'step_ms_median'), pairedMinRatio: paired(b.runs, 'step_ms_min') } : {}) };
    cases.push(peer ? entry(c.name, `plasticity/${b.variant}`, 'step_ms', +b.median.toFixed(3), 'pytorch-2-threads', +peer.median.toFixed(3), extra)
      : Object.assign(entry(c.name, `plasticity/${b.variant}`, 'step_ms', +b.median.toFixed(3)), extra));
  }
  if (!peer) cases.push(skipped(c.name, 'pytorch-2-threads', 'step_ms', torchReason));
}
// every run's ratios (of medians) are appended to `history`, from which the README's ranges over runs are
// made; a previous file from before the history was kept contributes its own ratios
let previous = null;
try {
  previous = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'spn.json'), 'utf8'));
} catch { /* first run */ }
const ratiosOf = (doc) => ({ date: doc.date, load: doc.machineDetails.loadavg,
  ratios: Object.fromEntries(doc.cases.filter((e) => e.ratio != null).map((e) => [`${e.case}|${e.impl}`, e.ratio])) });
const history = process.env.BENCH_HISTORY === 'reset' ? [] : previous?.history ?? (previous ? [ratiosOf(previous)] : []);
const doc = { date: new Date().toISOString(), machineDetails: machine().details, cases };
history.push(ratiosOf(doc));
const file = writeResults('spn', cases, { loadavgBefore: loadBefore, rounds: ROUNDS, torch: torchCheck.ok ? torchCheck.stdout.trim() : null,
  history });
printTable(cases);
console.log(`wrote ${path.relative(process.cwd(), file)}`);
