// `pnpm bench pdlf`: the PDLF policy population step — P members of input → hidden (ternary LIF) →
// readout (ternary LIF), both projections plastic under core/pdp with every member's own per-synapse
// coefficients — in @plasticity/snn's population engine (cpu backend, fused) against the same
// arithmetic batched in PyTorch (bench/peers/pdlf_policy_torch.py, Debian's python3-torch, 2 threads),
// in the same run. Metric: member-steps per second (higher is better).
// Env: BENCH_QUICK=1 shortens everything (smoke test only).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import path from 'node:path';
import { createRegistry, createRng } from '@plasticity/core';
import { PDLF_COEFFICIENTS, registerBuiltins } from '@plasticity/rules';
import { Network } from '@plasticity/snn';
import { SpikingPolicy, evaluateCopy } from '@plasticity/pdlf';
import { BENCH_DIR, entry, interleave, now, printTable, runChild, skipped, writeResults } from './lib/harness.mjs';

await tf.setBackend('cpu');
await tf.ready();

const QUICK = process.env.BENCH_QUICK === '1';
const PY = '/usr/bin/python3';
const log = (...a) => console.log(...a);
const registry = createRegistry();
registerBuiltins(registry);

const SHAPE = { members: 256, nIn: 16, hidden: 128, nOut: 2, rate: 0.1 };
const STEPS = QUICK ? 20 : 200;
const ROUNDS = QUICK ? 1 : 3;

/** The policy population: fast weights from zero, each member's coefficients drawn from its own seed. */
function policy({ members, nIn, hidden, nOut, rate }) {
  const net = new Network({ dtMs: 1, seed: 1, registry, members, fallback: 'error' });
  net.addPoisson('in', { n: nIn, rateHz: rate * 1000 });
  net.addPopulation('hid', { n: hidden, neuron: 'core/ternary-lif' });
  net.addPopulation('out', { n: nOut, neuron: 'core/ternary-lif' });
  // the official policy: raw input and readout, traced hidden activity (τ = dt: x/e + s·(1 − 1/e))
  net.connect('in', 'hid', { connection: { format: 'dense', random: { p: 1, seed: 1, init: 0 } }, rule: 'core/pdp', ruleParams: { postTauMs: 1 } });
  net.connect('hid', 'out', { connection: { format: 'dense', random: { p: 1, seed: 2, init: 0 } }, rule: 'core/pdp', ruleParams: { preTauMs: 1 } });
  for (let m = 0; m < members; m++) {
    const rng = createRng(1000 + m);
    for (const [name, nnz] of [['in->hid', nIn * hidden], ['hid->out', hidden * nOut]]) {
      for (const k of PDLF_COEFFICIENTS) net.setSynapseArray(name, k, rng.normal(nnz, k === 'lr' ? 0.3 : 0, 1), { member: m });
    }
  }
  return net;
}

const label = `PDLF working-memory policy, ${SHAPE.members} members, ${SHAPE.nIn} -> ${SHAPE.hidden} -> ${SHAPE.nOut} ternary LIF, core/pdp on both layers, ${STEPS} steps`;
log(`## ${label}`);
const cases = [];
const probe = runChild(PY, ['-c', 'import torch; print(torch.__version__)']);
const torchReason = probe.ok ? null : `PyTorch not importable by ${PY} (install Debian's python3-torch): ${probe.stderr.trim().split('\n').pop()}`;
const torchArgs = ['--members', SHAPE.members, '--n-in', SHAPE.nIn, '--hidden', SHAPE.hidden, '--n-out', SHAPE.nOut, '--rate', SHAPE.rate, '--steps', STEPS, '--threads', 2].map(String);
const peak = { ours: 0, torch: 0 };
const res = await interleave({
  ours: async () => {
    const net = policy(SHAPE);
    await net.run(20);
    const t0 = now();
    await net.run(STEPS);
    const wall = (now() - t0) / 1000;
    peak.ours = Math.max(peak.ours, process.memoryUsage().rss / 2 ** 20);
    net.dispose();
    return (SHAPE.members * STEPS) / wall;
  },
  ...(torchReason ? {} : {
    torch: () => {
      const r = runChild(PY, [path.join(BENCH_DIR, 'peers', 'pdlf_policy_torch.py'), ...torchArgs]);
      if (!r.ok) throw new Error(`the PyTorch peer failed: ${r.stderr.slice(-400)}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop());
      peak.torch = Math.max(peak.torch, out.peak_rss_mib);
      return out.member_steps_per_s;
    },
  }),
}, { rounds: ROUNDS, onRound: (r) => r >= 0 && log(`round ${r + 1}/${ROUNDS} done`) });
const samples = (k) => res[k].samples.map((x) => +x.toFixed(0));
if (torchReason) {
  cases.push(skipped(label, 'PyTorch batched (2 threads)', 'member_steps_per_s', torchReason));
  cases.push(entry(label, 'plasticity population (fused, cpu)', 'member_steps_per_s', +res.ours.median.toFixed(0), undefined, undefined, { samples: samples('ours') }));
} else {
  cases.push(entry(label, 'plasticity population (fused, cpu)', 'member_steps_per_s', +res.ours.median.toFixed(0), 'PyTorch batched (2 threads)',
    +res.torch.median.toFixed(0), { samples: samples('ours'), baselineSamples: samples('torch'), peakRssMiB: { ours: +peak.ours.toFixed(0), torch: +peak.torch.toFixed(0) } }));
}
// ------------------------------------------------------------------------------------------
// What the population axis buys an evolution strategy: one copy-task evaluation of 64 genomes as one
// population network (64 × 4 sequences as members, closed loop) against the same genomes evaluated one
// network at a time. Both give every genome the same fitness (checked).
{
  const G = 64, task = { length: 8, latency: 8, stimulusSteps: 2, sequences: 4 };
  const policy = new SpikingPolicy({ hidden: [32] });
  const genomes = Array.from({ length: G }, (_, g) => createRng(500 + g).normal(policy.dim, 0, 0.5));
  const evalLabel = `copy-task evaluation of ${G} genomes (Len 8, Lat 8, 4 sequences each, 3 -> 32 -> 1 PDLF policy)`;
  log(`\n## ${evalLabel}`);
  let together = null;
  const er = await interleave({
    population: async () => {
      const t0 = now();
      together = await evaluateCopy(policy, genomes, task, { seed: 1 });
      return G / ((now() - t0) / 1000);
    },
    'one network per genome': async () => {
      const t0 = now();
      const alone = [];
      for (const g of genomes) alone.push((await evaluateCopy(policy, [g], task, { seed: 1 })).fitness[0]);
      const rate = G / ((now() - t0) / 1000);
      if (together && alone.some((v, k) => v !== together.fitness[k])) throw new Error('a genome scores differently alone and in the population');
      return rate;
    },
  }, { rounds: ROUNDS });
  cases.push(entry(evalLabel, 'one population network (closed loop)', 'genomes_per_s', +er.population.median.toFixed(1), 'one network per genome',
    +er['one network per genome'].median.toFixed(1), { samples: er.population.samples.map((x) => +x.toFixed(1)), baselineSamples: er['one network per genome'].samples.map((x) => +x.toFixed(1)) }));
}

printTable(cases);
const file = writeResults('pdlf', cases, {
  notes: 'ratio = ours / PyTorch in member-steps per second (higher is better); medians over interleaved rounds after a warm-up round. Peak RSS: ours is the whole Node process (tfjs, every package), PyTorch the Python process.',
});
log(`\nwrote ${file}`);
