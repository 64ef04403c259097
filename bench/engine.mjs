// `pnpm bench engine`: the open engine. Two user-defined additive STDP rules written only against the
// public API — apps/examples/src/my-stdp.mjs (the plain form: a post spike walks its column) and
// my-lazy-stdp.mjs (the same rule on the public LazyPotentiation block) — against the built-in
// core/stdp in the same run, on the Song–Miller–Abbott workload and on the 10^6-synapse scaled network
// (both as bench/snn.mjs builds them). All on the cpu backend's fused engine. Each user rule must give
// the same weights, bit for bit, as the built-in kernel doing the same arithmetic (my-stdp: the direct
// kernel; my-lazy-stdp: the default lazy one), and reach ≥ 0.8× its simulated seconds per wall second.
// Every sample runs in a Node process of its own (`node bench/engine.mjs --child …`), as a user's
// program runs one rule: timing several rules' networks in one process makes V8's inline caches in
// the engine's step loop polymorphic and slows whichever rule runs later (measured: the user rule
// at 1.84 simulated s per wall s in one process against about 5.7 alone). Samples are interleaved
// A B C A B C over the rounds; the weights come back through files for the checks.
// Env: BENCH_QUICK=1 shortens everything (smoke test only).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRegistry, createRng } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { Network, conductanceLif } from '@plasticity/snn';
import { DenseConnection } from '@plasticity/sparse';
import { myStdp } from '../apps/examples/src/my-stdp.mjs';
import { myLazyStdp } from '../apps/examples/src/my-lazy-stdp.mjs';
import { perSynapseRule } from './lib/per-synapse-rule.mjs';
import { WORK_DIR, entry, interleave, now, printTable, runChild, writeResults } from './lib/harness.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const log = (...a) => console.log(...a);

const registry = createRegistry();
registerBuiltins(registry);
registry.register(myStdp);
registry.register(myLazyStdp);
registry.register(perSynapseRule);

/** Song–Miller–Abbott (nIn = 1000, nOut = 1) or its scaled variant, with `rule` on the plastic projection. */
async function sma({ nIn, nOut, T, rule, lazy }) {
  const gmax = 0.01 * (nIn === 1000 ? 1 : 1000 / nIn);
  const params = { aPlus: 0.01 * gmax, aMinus: 0.0105 * gmax, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: gmax };
  const net = new Network({ dtMs: 0.1, seed: 1, registry, lazyPotentiation: lazy, fallback: 'error' });
  net.addPoisson('input', { n: nIn, rateHz: 15 });
  net.addPopulation('out', { n: nOut, neuron: conductanceLif, params: { vInitMv: 0 } });
  const conn = DenseConnection.fromDense({ data: createRng(1).uniform(nIn * nOut, 0, gmax), shape: [nIn, nOut] });
  net.connect('input', 'out', { connection: conn, rule, ruleParams: params });
  await net.run(T * 100); // warm-up (a tenth of the timed run): V8 optimises the step loop meanwhile
  const t0 = now();
  await net.run(T * 1000);
  const wall = (now() - t0) / 1000;
  const w = await conn.getWeights();
  conn.dispose();
  net.dispose();
  return { wall, w };
}

const IMPLS = {
  'core/stdp (lazy, default)': { rule: 'core/stdp', lazy: true },
  'core/stdp (direct)': { rule: 'core/stdp', lazy: false },
  'acme/my-stdp (user)': { rule: 'acme/my-stdp', lazy: true },
  'acme/my-lazy-stdp (user)': { rule: 'acme/my-lazy-stdp', lazy: true },
};

/** Each user rule against the built-in kernel doing the same arithmetic (bit-identical weights), and the
 *  plain user rule against the default kernel too (what the plain form costs). */
const PAIRS = [
  ['acme/my-stdp (user)', 'core/stdp (direct)', true],
  ['acme/my-lazy-stdp (user)', 'core/stdp (lazy, default)', true],
  ['acme/my-stdp (user)', 'core/stdp (lazy, default)', false],
];

const SHAPES = { sma: { nIn: 1000, nOut: 1 }, scaled: { nIn: 10000, nOut: 100 } };
const weightFile = (name) => path.join(WORK_DIR, `engine-${name.replace(/[^a-z0-9]+/gi, '-')}.f32`);

// ------------------------------------------------------------------------------------------
// Populations: P = 64 members of a 64 → 128 → 2 ternary-LIF network with a per-synapse plastic rule,
// simulated together (members: 64) against the same 64 networks run one after another. The rule is
// the user's JavaScript kernel (the target case), and, to show where the time goes, the built-in
// core/pdp (the same update on its wasm SIMD kernel) and no plasticity at all (the engine's own work,
// which is all a population can share).

const POP_RULES = {
  user: { rule: 'bench/per-synapse', label: 'per-synapse user rule (JS)' },
  pdp: {
    rule: 'core/pdp', label: 'built-in core/pdp (wasm SIMD)',
    ruleParams: { preTauMs: 1, postTauMs: 1, normalize: 'none', init: { lr: 0, A: 0, B: 0, C: 0, D: 0 }, initStd: 0.5 },
  },
  none: { rule: undefined, label: 'no plasticity' },
};

function policy(members, rule = 'user') {
  const net = new Network({ dtMs: 1, seed: 3, registry, members, fallback: 'error' });
  net.addPoisson('in', { n: 64, rateHz: 100 });
  net.addPopulation('hid', { n: 128, neuron: 'core/ternary-lif' });
  net.addPopulation('out', { n: 2, neuron: 'core/ternary-lif' });
  const init = { dist: 'normal', mean: 0, std: 0.5 };
  const { rule: name, ruleParams } = POP_RULES[rule];
  const plastic = name ? { rule: name, ...(ruleParams ? { ruleParams } : {}) } : {};
  net.connect('in', 'hid', { connection: { format: 'dense', random: { p: 1, seed: 1, init } }, ...plastic });
  net.connect('hid', 'out', { connection: { format: 'dense', random: { p: 1, seed: 2, init } }, ...plastic });
  return net;
}

const P = 64;
const POP_T = QUICK ? 50 : 1000;

/** One sample in this process: { value, file } (the weights written to `file` for the checks). */
async function child({ kind, impl, shape, T, rule }) {
  await tf.setBackend('cpu');
  await tf.ready();
  const file = weightFile(`${kind}-${impl}`);
  if (kind === 'sma') {
    const r = await sma({ ...SHAPES[shape], T, ...IMPLS[impl] });
    writeFileSync(file, r.w);
    return { value: T / r.wall, file };
  }
  if (impl === 'population') {
    const net = policy(P, rule);
    const t0 = now();
    await net.run(POP_T);
    const wall = (now() - t0) / 1000;
    writeFileSync(file, await net.weights('hid->out', { member: P - 1 }));
    net.dispose();
    return { value: (P * POP_T) / wall, file };
  }
  const nets = Array.from({ length: P }, () => policy(1, rule));
  const t0 = now();
  for (const net of nets) await net.run(POP_T);
  const wall = (now() - t0) / 1000;
  writeFileSync(file, await nets[P - 1].weights('hid->out'));
  nets.forEach((n) => n.dispose());
  return { value: (P * POP_T) / wall, file };
}

/** Runs one sample in a fresh Node process. */
function sample(job) {
  const r = runChild(process.execPath, [fileURLToPath(import.meta.url), '--child', JSON.stringify(job)], { cwd: process.cwd() });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (!r.ok || !line.startsWith('{')) throw new Error(`sample ${JSON.stringify(job)} failed:\n${r.stderr.slice(-2000)}`);
  return JSON.parse(line);
}

const readF32 = (file) => { const b = readFileSync(file); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };

async function compare(cases, label, shape, T, rounds) {
  log(`\n## ${label}`);
  const files = {};
  const runners = Object.fromEntries(Object.keys(IMPLS).map((impl) => [impl, () => {
    const r = sample({ kind: 'sma', impl, shape, T });
    files[impl] = r.file;
    return r.value;
  }]));
  const res = await interleave(runners, { rounds, onRound: (r) => r >= 0 && log(`round ${r + 1}/${rounds} done`) });
  const weights = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, readF32(f)]));
  const samples = (name) => res[name].samples.map((x) => +x.toFixed(2));
  for (const [user, base, sameArithmetic] of PAIRS) {
    const a = weights[user], b = weights[base];
    let maxDiff = 0;
    a.forEach((v, k) => { maxDiff = Math.max(maxDiff, Math.abs(v - b[k])); });
    const impl = `${user.replace(' (user)', '')} (user, fused, cpu)`;
    cases.push(entry(label, impl, 'sim_s_per_wall_s', +res[user].median.toFixed(3), base, +res[base].median.toFixed(3), {
      samples: samples(user), baselineSamples: samples(base), ...(sameArithmetic ? { weightsBitIdentical: maxDiff === 0 } : { maxAbsWeightDiff: maxDiff }),
    }));
    log(`${user} ${res[user].median.toFixed(2)} s/s, ${base} ${res[base].median.toFixed(2)} s/s; max |Δw| ${maxDiff.toExponential(2)}`);
    if (sameArithmetic && maxDiff !== 0) throw new Error(`${label}: ${user}'s weights differ from ${base}'s`);
  }
}

async function population(cases, rounds) {
  for (const [rule, { label: what }] of Object.entries(POP_RULES)) {
    const label = `population: ${P} members of 64 -> 128 -> 2 ternary LIF, ${what} (8448 syn), ${POP_T} steps`;
    log(`\n## ${label}`);
    const files = {};
    const res = await interleave(Object.fromEntries(['population', 'sequential'].map((impl) => [impl, () => {
      const r = sample({ kind: 'population', impl, rule });
      files[impl] = r.file;
      return r.value;
    }])), { rounds });
    const member = readF32(files.population), alone = readF32(files.sequential);
    if (!(member.length === alone.length && member.every((v, k) => v === alone[k]))) throw new Error(`${label}: a population member differs from the network run alone`);
    cases.push(entry(label, 'plasticity population (members: 64, cpu)', 'member_steps_per_s', +res.population.median.toFixed(0), '64 networks one after another',
      +res.sequential.median.toFixed(0), { samples: res.population.samples.map((x) => +x.toFixed(0)), baselineSamples: res.sequential.samples.map((x) => +x.toFixed(0)), memberBitIdentical: true }));
    log(`population ${res.population.median.toFixed(0)} member-steps/s, sequential ${res.sequential.median.toFixed(0)}`);
  }
}

const at = process.argv.indexOf('--child');
if (at >= 0) {
  console.log(JSON.stringify(await child(JSON.parse(process.argv[at + 1]))));
} else {
  mkdirSync(WORK_DIR, { recursive: true });
  const cases = [];
  // a fresh process's timing of a short run varies (V8's compilation differs run to run): more rounds
  // where a sample is short
  // (a 100 s SMA run lasts 0.2–0.3 s, and its 50 s halves differed up to 2× in one process here: 300 s)
  await compare(cases, 'SMA 1000 Poisson -> 1 cond. LIF, additive STDP, dt 0.1 ms', 'sma', QUICK ? 2 : 300, QUICK ? 1 : 9);
  await compare(cases, 'scaled 10000 Poisson x 100 cond. LIF all-to-all (1e6 plastic syn), dt 0.1 ms', 'scaled', QUICK ? 0.2 : 10, QUICK ? 1 : 5);
  await population(cases, QUICK ? 1 : 3);
  printTable(cases);
  const file = writeResults('engine', cases, {
    notes: 'ratio = ours / baseline in simulated seconds (or member-steps) per wall second (higher is better); medians over interleaved rounds after one warm-up round; every sample in a Node process of its own; cpu backend, fused engine.',
  });
  log(`\nwrote ${file}`);
}
