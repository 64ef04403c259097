// `pnpm bench snn` (issue 4): spiking simulation with plasticity on the fused engine of
// @plasticity/snn against Brian2 (bench/peers/stdp_brian2.py, Debian's python3-brian), run back to
// back in this run:
//   1. Song, Miller & Abbott (2000) as Brian2's examples/synapses/STDP.py: 1000 Poisson inputs at
//      15 Hz → one conductance LIF, additive STDP, 100 s at dt = 0.1 ms (after Brian2's 10 ms warm-up
//      run). Metric: simulated seconds per wall second; ratio = ours / Brian2 = speed-up. The weight
//      statistics of both (w/gmax 10-bin histogram, fractions at the ends, mean, output rate) are
//      reported side by side. Brian2's numpy target runs 10 s simulated (its 100 s take ~1 min) and is
//      compared per simulated second.
//   2. Scaled: 10,000 Poisson inputs × 100 conductance LIF all-to-all (10^6 plastic synapses, gmax
//      scaled by 1000/10000 as the peer script does), 10 s at dt = 0.1 ms: presynaptic synaptic
//      events per wall second (input spikes × 100), and pre + post events.
//   3. 100,000 current LIF neurons, sparse recurrent CSR (p = 0.001, 10^7 synapses, delay 1 ms) with
//      additive STDP, driven one-to-one by 5 Hz Poisson inputs; 1 s simulated: real-time factor and
//      memory (no peer).
// Ours runs on the tfjs cpu backend (weights edited in place in the tensor's buffer). Brian2 wall
// times are its own `run_wall_s` (code generation and compilation excluded, as they are for us: the
// JIT is warmed up by a first run). Env: BENCH_QUICK=1 shortens everything (smoke test only).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@plasticity/core';
import { CSRConnection, DenseConnection } from '@plasticity/sparse';
import { Network, conductanceLif, defineFusableRule, lif } from '@plasticity/snn';
import path from 'node:path';
import { BENCH_DIR, entry, median, now, runChild, skipped, writeResults, printTable } from './lib/harness.mjs';

await tf.setBackend('cpu');
await tf.ready();

const PY = '/usr/bin/python3';
const QUICK = process.env.BENCH_QUICK === '1';
const log = (...a) => console.log(...a);
const cases = [];

const stdpRule = (spec) => defineFusableRule({ name: 'bench/stdp', defaults: {}, init: () => ({}), step: (_io, s) => s, toFused: () => spec });

function weightStats(w, gmax) {
  const hist = new Array(10).fill(0);
  let mean = 0, below = 0, above = 0;
  for (const x of w) {
    const r = x / gmax;
    hist[Math.min(9, Math.max(0, Math.floor(r * 10)))]++;
    mean += r;
    if (r < 0.1) below++;
    if (r > 0.9) above++;
  }
  return { hist10_w_over_gmax: hist, frac_w_below_0p1gmax: below / w.length, frac_w_above_0p9gmax: above / w.length, mean_w_over_gmax: +(mean / w.length).toFixed(4) };
}

/** Song–Miller–Abbott (and the scaled variant) exactly as stdp_brian2.py builds it. */
async function sma({ nIn, nOut, T, seed }) {
  const gmax = 0.01 * (nIn === 1000 ? 1 : 1000 / nIn);
  const dApre = 0.01 * gmax, dApost = -dApre * 1.05;
  const net = new Network({ dtMs: 0.1, seed });
  net.addPoisson('input', { n: nIn, rateHz: 15 });
  net.addPopulation('out', { n: nOut, neuron: conductanceLif, params: { vInitMv: 0 } });
  const conn = DenseConnection.fromDense({ data: createRng(seed).uniform(nIn * nOut, 0, gmax), shape: [nIn, nOut] });
  net.connect('input', 'out', { connection: conn, rule: stdpRule({ kind: 'stdp', aPlus: dApre, aMinus: -dApost, tauPlusMs: 20, tauMinusMs: 20, traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: gmax }) });
  const inMon = net.monitorSpikes('input'), outMon = net.monitorSpikes('out');
  await net.run(10); // Brian2's warm-up run
  const in0 = inMon.count, out0 = outMon.count;
  const t0 = now();
  await net.run(T * 1000);
  const wall = (now() - t0) / 1000;
  const w = await conn.getWeights();
  conn.dispose();
  const inputSpikes = inMon.count - in0, outputSpikes = outMon.count - out0;
  return {
    run_wall_s: wall, T_sim_s: T, input_spikes: inputSpikes, output_spikes: outputSpikes, output_rate_hz: +(outputSpikes / nOut / T).toFixed(2),
    pre_syn_events: inputSpikes * nOut, post_syn_events: outputSpikes * nIn, ...weightStats(w, gmax),
  };
}

function brian2(target, mode, T, seed = 1) {
  const r = runChild(PY, [path.join(BENCH_DIR, 'peers', 'stdp_brian2.py'), '--target', target, '--mode', mode, '--T', String(T), '--seed', String(seed)], { cwd: path.join(BENCH_DIR, 'peers') });
  if (!r.ok) return { error: r.stderr.trim().split('\n').slice(-3).join(' | ') };
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? JSON.parse(line) : { error: `no JSON line in the output: ${r.stdout.slice(0, 200)}` };
}

const probe = runChild(PY, ['-c', 'import brian2; print(brian2.__version__)']);
const brianReason = probe.ok ? null : `Brian2 not importable by ${PY} (install Debian's python3-brian): ${probe.stderr.trim().split('\n').pop()}`;
if (brianReason) log(`Brian2 unavailable: ${brianReason}`);
else log(`Brian2 ${probe.stdout.trim()}`);

// ------------------------------------------------------------------------------------------
// 1. Song, Miller & Abbott, 100 s
{
  const T = QUICK ? 5 : 100;
  const label = `SMA 1000 Poisson -> 1 cond. LIF, additive STDP, ${T} s, dt 0.1 ms`;
  log(`\n## ${label}`);
  await sma({ nIn: 1000, nOut: 1, T: QUICK ? 1 : 10, seed: 1 }); // JIT warm-up
  const ours = [];
  ours.push(await sma({ nIn: 1000, nOut: 1, T, seed: 1 }));
  log(`ours ${ours[0].run_wall_s.toFixed(3)} s`);
  const bc = brianReason ? null : brian2('cython', 'song', T);
  if (bc) log(`brian2 cython ${bc.error ?? `${bc.run_wall_s} s`}`);
  ours.push(await sma({ nIn: 1000, nOut: 1, T, seed: 1 }));
  ours.push(await sma({ nIn: 1000, nOut: 1, T, seed: 1 }));
  const TN = QUICK ? 1 : 10;
  const bn = brianReason ? null : brian2('numpy', 'song', TN);
  if (bn) log(`brian2 numpy (${TN} s) ${bn.error ?? `${bn.run_wall_s} s`}`);
  const wall = median(ours.map((r) => r.run_wall_s));
  const rt = T / wall;
  const stats = { ...ours[0], run_wall_s_samples: ours.map((r) => +r.run_wall_s.toFixed(4)) };
  if (bc && !bc.error) {
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'sim_s_per_wall_s', +rt.toFixed(2), 'brian2-cython', +(bc.T_sim_s / bc.run_wall_s).toFixed(4),
      { wallSeconds: +wall.toFixed(4), baselineWallSeconds: bc.run_wall_s, ours: stats, brian2: bc }));
  } else {
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'sim_s_per_wall_s', +rt.toFixed(2), undefined, undefined, { wallSeconds: +wall.toFixed(4), ours: stats }));
    cases.push(skipped(label, 'brian2-cython', 'sim_s_per_wall_s', brianReason ?? bc?.error ?? 'not run'));
  }
  if (bn && !bn.error) {
    cases.push(entry(`${label} (numpy: ${TN} s simulated)`, 'plasticity/js-fused (cpu)', 'sim_s_per_wall_s', +rt.toFixed(2), 'brian2-numpy', +(bn.T_sim_s / bn.run_wall_s).toFixed(4),
      { baselineWallSeconds: bn.run_wall_s, brian2: bn }));
  } else cases.push(skipped(label, 'brian2-numpy', 'sim_s_per_wall_s', brianReason ?? bn?.error ?? 'not run'));
}

// ------------------------------------------------------------------------------------------
// 2. Scaled: 10,000 × 100 all-to-all, 10 s
{
  const T = QUICK ? 0.5 : 10;
  const label = `scaled 10000 Poisson x 100 cond. LIF all-to-all (1e6 plastic syn), ${T} s, dt 0.1 ms`;
  log(`\n## ${label}`);
  await sma({ nIn: 10000, nOut: 100, T: QUICK ? 0.2 : 1, seed: 1 }); // JIT warm-up
  const ours = [await sma({ nIn: 10000, nOut: 100, T, seed: 1 })];
  log(`ours ${ours[0].run_wall_s.toFixed(3)} s`);
  const bc = brianReason ? null : brian2('cython', 'scaled', T);
  if (bc) log(`brian2 cython ${bc.error ?? `${bc.run_wall_s} s`}`);
  ours.push(await sma({ nIn: 10000, nOut: 100, T, seed: 1 }));
  const wall = median(ours.map((r) => r.run_wall_s));
  const pre = ours[0].pre_syn_events / wall, all = (ours[0].pre_syn_events + ours[0].post_syn_events) / wall;
  const stats = { ...ours[0], run_wall_s_samples: ours.map((r) => +r.run_wall_s.toFixed(4)) };
  if (bc && !bc.error) {
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'pre_events_per_s', Math.round(pre), 'brian2-cython', bc.pre_events_per_s, { wallSeconds: +wall.toFixed(4), baselineWallSeconds: bc.run_wall_s, ours: stats, brian2: bc }));
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'all_events_per_s', Math.round(all), 'brian2-cython', bc.all_events_per_s));
  } else {
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'pre_events_per_s', Math.round(pre), undefined, undefined, { wallSeconds: +wall.toFixed(4), ours: stats }));
    cases.push(skipped(label, 'brian2-cython', 'pre_events_per_s', brianReason ?? bc?.error ?? 'not run'));
  }
}

// ------------------------------------------------------------------------------------------
// 3. 100,000-neuron sparse recurrent network with STDP, 1 s
{
  const N = QUICK ? 10_000 : 100_000, T = QUICK ? 0.1 : 1;
  const label = `${N} LIF, recurrent CSR p=0.001 + STDP, delay 1 ms, ${T} s, dt 0.1 ms`;
  log(`\n## ${label}`);
  if (globalThis.gc) globalThis.gc();
  const m0 = process.memoryUsage();
  const t0 = now();
  const net = new Network({ dtMs: 0.1, seed: 1 });
  net.addPoisson('drive', { n: N, rateHz: 5 });
  net.addPopulation('exc', { n: N, neuron: lif, params: { tauMMs: 20 } });
  const one = CSRConnection.fromCsr({ nPre: N, nPost: N, indptr: Int32Array.from({ length: N + 1 }, (_, i) => i), indices: Int32Array.from({ length: N }, (_, i) => i), weights: new Float32Array(N).fill(16) });
  const rec = CSRConnection.random({ nPre: N, nPost: N, p: 0.001, seed: 2, init: { dist: 'uniform', low: 0, high: 0.5 } });
  net.connect('drive', 'exc', { connection: one });
  net.connect('exc', 'exc', { connection: rec, delaySteps: 10, rule: stdpRule({ kind: 'stdp', aPlus: 0.005, aMinus: 0.00525, tauPlusMs: 20, tauMinusMs: 20, traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: 1 }) });
  const mon = net.monitorSpikes('exc');
  const build = (now() - t0) / 1000;
  await net.run(1); // JIT warm-up and weight acquisition
  const c0 = mon.count;
  const t1 = now();
  await net.run(T * 1000);
  const wall = (now() - t1) / 1000;
  const m1 = process.memoryUsage();
  const spikes = mon.count - c0;
  const rate = spikes / N / T;
  const extra = {
    neurons: N, synapses: rec.nnz + N, wallSeconds: +wall.toFixed(3), buildSeconds: +build.toFixed(3), rateHz: +rate.toFixed(2),
    synapticEventsPerS: Math.round((spikes * rec.nnz / N * 2) / wall),
    memory: { rssMiB: +((m1.rss - m0.rss) / 2 ** 20).toFixed(1), arrayBuffersMiB: +((m1.arrayBuffers - m0.arrayBuffers) / 2 ** 20).toFixed(1), heapUsedMiB: +((m1.heapUsed - m0.heapUsed) / 2 ** 20).toFixed(1) },
  };
  cases.push(entry(label, 'plasticity/js-fused (cpu)', 'realtime_factor', +(T / wall).toFixed(4), undefined, undefined, extra));
  cases.push(skipped(label, 'brian2-cython', 'realtime_factor', 'bench/peers has no Brian2 script for this case; real-time factor and memory reported for scale only'));
  log(`ours ${wall.toFixed(3)} s for ${T} s (rate ${rate.toFixed(2)} Hz), memory ${JSON.stringify(extra.memory)}`);
  one.dispose();
  rec.dispose();
}

const file = writeResults('snn', cases, { notes: 'ratio = ours / Brian2 (higher is better for every metric). Brian2 wall times exclude its code generation (warm-up run), ours exclude JIT warm-up.' });
log('');
printTable(cases);
log(`\nwrote ${file}`);
