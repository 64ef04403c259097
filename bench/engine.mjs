// `pnpm bench engine`: the open engine. A user-defined additive STDP (apps/examples/src/my-stdp.mjs,
// written only against the public API) against the built-in core/stdp in the same run, on the
// Song–Miller–Abbott workload and on the 10^6-synapse scaled network (both as bench/snn.mjs builds
// them). Ours are all on the cpu backend's fused engine; the user rule must reach ≥ 0.8× the
// built-in's simulated seconds per wall second and give the same weights as the built-in's direct
// kernel (the same arithmetic; the default lazy kernel rounds differently).
// Env: BENCH_QUICK=1 shortens everything (smoke test only).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRegistry, createRng } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { Network, conductanceLif } from '@plasticity/snn';
import { DenseConnection } from '@plasticity/sparse';
import { myStdp } from '../apps/examples/src/my-stdp.mjs';
import { perSynapseRule } from './lib/per-synapse-rule.mjs';
import { entry, interleave, now, printTable, writeResults } from './lib/harness.mjs';

await tf.setBackend('cpu');
await tf.ready();

const QUICK = process.env.BENCH_QUICK === '1';
const log = (...a) => console.log(...a);
const cases = [];

const registry = createRegistry();
registerBuiltins(registry);
registry.register(myStdp);
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
  await net.run(10);
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
};

async function compare(label, shape, T, rounds) {
  log(`\n## ${label}`);
  const weights = {};
  const runners = Object.fromEntries(Object.entries(IMPLS).map(([name, impl]) => [name, async () => {
    const r = await sma({ ...shape, T, ...impl });
    weights[name] = r.w;
    return T / r.wall;
  }]));
  const res = await interleave(runners, { rounds, onRound: (r) => r >= 0 && log(`round ${r + 1}/${rounds}: ${Object.entries(runners).map(([k]) => k).join(', ')} done`) });
  const user = res['acme/my-stdp (user)'];
  const same = (a, b) => a.length === b.length && a.every((v, k) => v === b[k]);
  const identical = same(weights['acme/my-stdp (user)'], weights['core/stdp (direct)']);
  let maxDiffLazy = 0;
  weights['core/stdp (lazy, default)'].forEach((v, k) => { maxDiffLazy = Math.max(maxDiffLazy, Math.abs(v - weights['acme/my-stdp (user)'][k])); });
  const samples = (name) => res[name].samples.map((x) => +x.toFixed(2));
  for (const base of ['core/stdp (lazy, default)', 'core/stdp (direct)']) {
    cases.push(entry(label, 'acme/my-stdp (user, fused, cpu)', 'sim_s_per_wall_s', +user.median.toFixed(3), base, +res[base].median.toFixed(3), {
      samples: samples('acme/my-stdp (user)'), baselineSamples: samples(base),
      ...(base === 'core/stdp (direct)' ? { weightsBitIdentical: identical } : { maxAbsWeightDiff: maxDiffLazy }),
    }));
  }
  log(`user ${user.median.toFixed(2)} s/s; weights = direct kernel's bit for bit: ${identical}; max |Δw| vs lazy ${maxDiffLazy.toExponential(2)}`);
  if (!identical) throw new Error(`${label}: the user rule's weights differ from core/stdp's direct kernel`);
}

await compare('SMA 1000 Poisson -> 1 cond. LIF, additive STDP, dt 0.1 ms', { nIn: 1000, nOut: 1 }, QUICK ? 2 : 100, QUICK ? 1 : 3);
await compare('scaled 10000 Poisson x 100 cond. LIF all-to-all (1e6 plastic syn), dt 0.1 ms', { nIn: 10000, nOut: 100 }, QUICK ? 0.2 : 10, QUICK ? 1 : 3);

// ------------------------------------------------------------------------------------------
// Populations: P = 64 members of a 64 → 128 → 2 ternary-LIF network with a per-synapse plastic rule,
// simulated together (members: 64) against the same 64 networks run one after another.

function policy(members) {
  const net = new Network({ dtMs: 1, seed: 3, registry, members, fallback: 'error' });
  net.addPoisson('in', { n: 64, rateHz: 100 });
  net.addPopulation('hid', { n: 128, neuron: 'core/ternary-lif' });
  net.addPopulation('out', { n: 2, neuron: 'core/ternary-lif' });
  const init = { dist: 'normal', mean: 0, std: 0.5 };
  net.connect('in', 'hid', { connection: { format: 'dense', random: { p: 1, seed: 1, init } }, rule: 'bench/per-synapse' });
  net.connect('hid', 'out', { connection: { format: 'dense', random: { p: 1, seed: 2, init } }, rule: 'bench/per-synapse' });
  return net;
}

{
  const P = 64, T = QUICK ? 50 : 1000, rounds = QUICK ? 1 : 3;
  const label = `population: ${P} members of 64 -> 128 -> 2 ternary LIF, per-synapse rule (8448 syn), ${T} steps`;
  log(`\n## ${label}`);
  let check = null;
  const res = await interleave({
    population: async () => {
      const net = policy(P);
      const t0 = now();
      await net.run(T);
      const wall = (now() - t0) / 1000;
      check = await net.weights('hid->out', { member: P - 1 });
      net.dispose();
      return (P * T) / wall;
    },
    sequential: async () => {
      const nets = Array.from({ length: P }, () => policy(1));
      const t0 = now();
      for (const net of nets) await net.run(T);
      const wall = (now() - t0) / 1000;
      const last = await nets[P - 1].weights('hid->out');
      if (check && !last.every((v, k) => v === check[k])) throw new Error('population member differs from the network run alone');
      nets.forEach((n) => n.dispose());
      return (P * T) / wall;
    },
  }, { rounds });
  cases.push(entry(label, 'plasticity population (members: 64, cpu)', 'member_steps_per_s', +res.population.median.toFixed(0), '64 networks one after another',
    +res.sequential.median.toFixed(0), { samples: res.population.samples.map((x) => +x.toFixed(0)), baselineSamples: res.sequential.samples.map((x) => +x.toFixed(0)) }));
  log(`population ${res.population.median.toFixed(0)} member-steps/s, sequential ${res.sequential.median.toFixed(0)}`);
}

printTable(cases);
const file = writeResults('engine', cases, {
  notes: 'ratio = ours / baseline in simulated seconds per wall second (higher is better); medians over interleaved rounds after one warm-up round; cpu backend, fused engine.',
});
log(`\nwrote ${file}`);
