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
//      additive STDP, driven one-to-one by 5 Hz Poisson inputs (16 mV); 1 s simulated after a 1 ms
//      warm-up: real-time factor, synaptic events per second and memory, against
//      bench/peers/recurrent_brian2.py (Brian2 cython) on the identical network (our synapses and initial
//      weights dumped and loaded there), with the mean rate and mean weight change compared.
// Ours runs on the tfjs cpu backend (weights edited in place in the tensor's buffer). Brian2 wall
// times are its own `run_wall_s` (code generation and compilation excluded, as they are for us: the
// JIT is warmed up by a first run). Env: BENCH_QUICK=1 shortens everything (smoke test only).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@plasticity/core';
import { CSRConnection, DenseConnection } from '@plasticity/sparse';
import { Network, conductanceLif, lif } from '@plasticity/snn';
import { stdp } from '@plasticity/rules';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, WORK_DIR, entry, median, now, runChild, skipped, writeResults, printTable } from './lib/harness.mjs';

await tf.setBackend('cpu');
await tf.ready();

const PY = '/usr/bin/python3';
const QUICK = process.env.BENCH_QUICK === '1';
const log = (...a) => console.log(...a);
const cases = [];

/** core/stdp with the given amplitudes, time constants and bounds (all-to-all, additive). */
const stdpRule = (p) => ({ rule: stdp, ruleParams: { aPlus: p.aPlus, aMinus: p.aMinus, tauPlusMs: p.tauPlusMs, tauMinusMs: p.tauMinusMs, wMin: p.wMin, wMax: p.wMax } });

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
  net.connect('input', 'out', { connection: conn, ...stdpRule({ aPlus: dApre, aMinus: -dApost, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: gmax }) });
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
// 3. 100,000-neuron sparse recurrent network with STDP, 1 s, against bench/peers/recurrent_brian2.py.
// The exact synapses and initial weights of our network are dumped to bench/.peers/recurrent/ and
// loaded by the Brian2 script (S.connect(i, j)), so both simulate the identical network; only the
// Poisson spike trains differ. The runs are compared statistically: mean rate and mean weight change.
const REC = { p: 0.001, connSeed: 2, wHigh: 0.5, drive: { rateHz: 5, w: 16 }, delaySteps: 10, stdp: { kind: 'stdp', aPlus: 0.005, aMinus: 0.00525, tauPlusMs: 20, tauMinusMs: 20, traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: 1 } };
const recConnection = (N) => CSRConnection.random({ nPre: N, nPost: N, p: REC.p, seed: REC.connSeed, init: { dist: 'uniform', low: 0, high: REC.wHigh } });

/** Mean, standard deviation and sign fractions of the per-synapse weight change (float64 sums).
 *  Signs count changes beyond ±1e-6 mV: our weights are float32 (ulp 3e-8 at 0.25 mV), so updates
 *  below half an ulp (reads of traces of spikes ≥ 0.25 s old) leave them unchanged where Brian2's
 *  float64 weights move; recurrent_brian2.py counts the same way. */
function weightChange(w0, w1, wMax) {
  let s = 0, s2 = 0, pos = 0, neg = 0, at0 = 0, atMax = 0, m1 = 0, m0 = 0;
  for (let k = 0; k < w0.length; k++) {
    const d = w1[k] - w0[k];
    s += d; s2 += d * d; m0 += w0[k]; m1 += w1[k];
    if (d > 1e-6) pos++; else if (d < -1e-6) neg++;
    if (w1[k] <= 0) at0++; else if (w1[k] >= wMax) atMax++;
  }
  const n = w0.length, mean = s / n;
  return {
    w0_mean_mv: +(m0 / n).toFixed(6), w_mean_mv: +(m1 / n).toFixed(6), dw_mean_mv: +mean.toExponential(6), dw_std_mv: +Math.sqrt(Math.max(0, s2 / n - mean * mean)).toExponential(6),
    frac_dw_pos: +(pos / n).toFixed(5), frac_dw_neg: +(neg / n).toFixed(5), frac_w_at_0: +(at0 / n).toFixed(6), frac_w_at_max: +(atMax / n).toFixed(6),
  };
}

/** Builds and runs our network; `dumpDir` (first run only) receives the synapses and initial weights for Brian2. */
async function recurrent({ N, T, seed = 1, dumpDir }) {
  if (globalThis.gc) globalThis.gc();
  const m0 = process.memoryUsage();
  const t0 = now();
  const net = new Network({ dtMs: 0.1, seed });
  net.addPoisson('drive', { n: N, rateHz: REC.drive.rateHz });
  // spelled out (the defaults of core/lif), as recurrent_brian2.py mirrors them
  net.addPopulation('exc', { n: N, neuron: lif, params: { tauMMs: 20, vRestMv: -65, vResetMv: -65, vInitMv: -65, vThreshMv: -50, refractoryMs: 2, resetMode: 'value', integration: 'exact' } });
  const one = CSRConnection.fromCsr({ nPre: N, nPost: N, indptr: Int32Array.from({ length: N + 1 }, (_, i) => i), indices: Int32Array.from({ length: N }, (_, i) => i), weights: new Float32Array(N).fill(REC.drive.w) });
  const rec = recConnection(N);
  net.connect('drive', 'exc', { connection: one });
  net.connect('exc', 'exc', { connection: rec, delaySteps: REC.delaySteps, ...stdpRule(REC.stdp) });
  const mon = net.monitorSpikes('exc');
  const build = (now() - t0) / 1000;
  await net.run(1); // JIT warm-up and weight acquisition (Brian2 runs the same 1 ms first)
  const c0 = mon.count;
  const t1 = now();
  await net.run(T * 1000);
  const wall = (now() - t1) / 1000;
  const m1 = process.memoryUsage();
  const peakRssMiB = +(process.resourceUsage().maxRSS / 1024).toFixed(1);
  const spikes = mon.count - c0;
  const rate = spikes / N / T;
  const nsyn = rec.nnz;
  // Everything below is outside the measurement: the initial weights come from the same seeded
  // constructor again (keeping a copy during the run would have counted in the memory figures).
  const w1 = await rec.getWeights();
  const ref = recConnection(N);
  const w0 = await ref.getWeights();
  const a = rec.pairs(), b = ref.pairs();
  for (let k = 0; k < nsyn; k++) {
    if (a.pre[k] !== b.pre[k] || a.post[k] !== b.post[k]) throw new Error(`recurrent: the regenerated connection differs at synapse ${k}`);
  }
  if (dumpDir) {
    mkdirSync(dumpDir, { recursive: true });
    writeFileSync(path.join(dumpDir, 'pre.i32'), new Uint8Array(b.pre.buffer, b.pre.byteOffset, b.pre.byteLength));
    writeFileSync(path.join(dumpDir, 'post.i32'), new Uint8Array(b.post.buffer, b.post.byteOffset, b.post.byteLength));
    writeFileSync(path.join(dumpDir, 'w.f32'), new Uint8Array(w0.buffer, w0.byteOffset, w0.byteLength));
  }
  const change = weightChange(w0, w1, REC.stdp.wMax);
  ref.dispose();
  one.dispose();
  rec.dispose();
  net.dispose();
  return {
    seed, neurons: N, synapses: nsyn + N, recurrentSynapses: nsyn, run_wall_s: wall, buildSeconds: +build.toFixed(3), T_sim_s: T, spikes, rate_hz: +rate.toFixed(4),
    synaptic_events_per_s: Math.round((spikes * nsyn / N * 2) / wall),
    memory: { rssMiB: +((m1.rss - m0.rss) / 2 ** 20).toFixed(1), arrayBuffersMiB: +((m1.arrayBuffers - m0.arrayBuffers) / 2 ** 20).toFixed(1), heapUsedMiB: +((m1.heapUsed - m0.heapUsed) / 2 ** 20).toFixed(1), peakRssMiB },
    ...change,
  };
}

/**
 * Do the two runs agree? Rates: the spike counts of both are (at most) Poisson-distributed — each
 * neuron is driven by its own Poisson train, refractoriness only thins it and the recurrent input
 * (~100 synapses × 5 Hz × 0.25 mV × 20 ms ≈ 2.5 mV mean) rarely fires a neuron on its own — so the
 * difference of the two mean rates has a standard deviation of at most √(n1 + n2)/(N·T); we allow 5 of
 * them. Weight change: per-synapse changes are nearly independent (a synapse's change depends on the
 * relative timing of its own pre/post pair), so the difference of the means has a standard deviation
 * of √((sd1² + sd2²)/M); 5 of them, and the signs must agree. Our second run (another Poisson seed)
 * shows the spread between two runs of one simulator. Reported alongside: the prediction for
 * uncorrelated pre and post trains, r²·t·(aPlus·τ̃+ − aMinus·(τ̃− − dt)) with t = warm-up + T and
 * τ̃ = dt/(1 − e^(−dt/τ)) (the mean of a per-step trace per unit rate; LTP reads the pre trace after
 * this step's arrivals, LTD the post trace before this step's spikes).
 */
function agreement(o, b, N, T, o2) {
  const rateTol = 5 * Math.sqrt(o.spikes + b.spikes) / (N * T);
  const dwTol = 5 * Math.sqrt((o.dw_std_mv ** 2 + b.dw_std_mv ** 2) / o.recurrentSynapses);
  const rateDiff = o.rate_hz - b.rate_hz, dwDiff = o.dw_mean_mv - b.dw_mean_mv;
  const dt = 0.1, st = REC.stdp;
  const tauEff = (tau) => dt / (1 - Math.exp(-dt / tau));
  const predicted = (r) => r * r * (T + 0.001) * (st.aPlus * tauEff(st.tauPlusMs) - st.aMinus * (tauEff(st.tauMinusMs) - dt)) / 1000;
  const res = {
    rate: { ours: o.rate_hz, brian2: b.rate_hz, diff: +rateDiff.toFixed(4), tolerance: +rateTol.toFixed(4), ok: Math.abs(rateDiff) <= rateTol },
    dwMean: {
      ours: o.dw_mean_mv, brian2: b.dw_mean_mv, diff: +dwDiff.toExponential(3), tolerance: +dwTol.toExponential(3),
      predictedUncorrelated: { ours: +predicted(o.rate_hz).toExponential(3), brian2: +predicted(b.rate_hz).toExponential(3) },
      ...(o2 ? { oursSecondSeed: { seed: o2.seed, rate_hz: o2.rate_hz, dw_mean_mv: o2.dw_mean_mv, diffToFirst: +(o2.dw_mean_mv - o.dw_mean_mv).toExponential(3) } } : {}),
      ok: Math.sign(o.dw_mean_mv) === Math.sign(b.dw_mean_mv) && Math.abs(dwDiff) <= dwTol,
    },
  };
  res.ok = res.rate.ok && res.dwMean.ok;
  return res;
}

function brian2Recurrent(N, T, netDir) {
  const r = runChild(PY, [path.join(BENCH_DIR, 'peers', 'recurrent_brian2.py'), '--target', 'cython', '--net', netDir, '--N', String(N), '--T', String(T), '--p', String(REC.p), '--seed', '1'], { cwd: path.join(BENCH_DIR, 'peers') });
  if (!r.ok) return { error: r.stderr.trim().split('\n').slice(-3).join(' | ') };
  const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  return line ? JSON.parse(line) : { error: `no JSON line in the output: ${r.stdout.slice(0, 200)}` };
}

{
  const N = QUICK ? 10_000 : 100_000, T = QUICK ? 0.1 : 1;
  const label = `${N} LIF, recurrent CSR p=0.001 + STDP, delay 1 ms, ${T} s, dt 0.1 ms`;
  log(`\n## ${label}`);
  const netDir = path.join(WORK_DIR, 'recurrent');
  const ours = [await recurrent({ N, T, dumpDir: brianReason ? null : netDir })];
  log(`ours ${ours[0].run_wall_s.toFixed(3)} s for ${T} s (rate ${ours[0].rate_hz} Hz), memory ${JSON.stringify(ours[0].memory)}`);
  let bc = null;
  if (!brianReason) {
    bc = brian2Recurrent(N, T, netDir);
    rmSync(netDir, { recursive: true, force: true });
    log(`brian2 cython ${bc.error ?? `${bc.run_wall_s} s (rate ${bc.rate_hz} Hz), peak RSS ${bc.peak_rss_mib} MiB`}`);
  }
  ours.push(await recurrent({ N, T, seed: 2 })); // same network, other Poisson trains: the spread of one simulator
  log(`ours ${ours[1].run_wall_s.toFixed(3)} s`);
  const wall = median(ours.map((r) => r.run_wall_s));
  const first = ours[0];
  const stats = { ...first, run_wall_s_samples: ours.map((r) => +r.run_wall_s.toFixed(3)), rate_hz_by_seed: ours.map((r) => [r.seed, r.rate_hz]) };
  const extra = {
    neurons: N, synapses: first.synapses, wallSeconds: +wall.toFixed(3), buildSeconds: first.buildSeconds, rateHz: +first.rate_hz.toFixed(2),
    synapticEventsPerS: Math.round(first.spikes * first.recurrentSynapses / N * 2 / wall), memory: first.memory,
  };
  if (bc && !bc.error) {
    const agree = agreement(first, bc, N, T, ours[1]);
    log(`agreement ${agree.ok ? 'ok' : 'NOT ok'}: ${JSON.stringify(agree)}`);
    if (!agree.ok) console.warn('WARNING: ours and Brian2 disagree beyond the statistical tolerance (see agreement in the JSON)');
    const b = { wallSeconds: bc.run_wall_s, rateHz: bc.rate_hz, synapticEventsPerS: bc.synaptic_events_per_s, peakRssMiB: bc.peak_rss_mib, rssDeltaMiB: bc.rss_delta_mib };
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'realtime_factor', +(T / wall).toFixed(4), 'brian2-cython', bc.realtime_factor,
      { ...extra, baselineWallSeconds: bc.run_wall_s, agreement: agree, ours: stats, brian2: bc }));
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'synaptic_events_per_s', extra.synapticEventsPerS, 'brian2-cython', bc.synaptic_events_per_s, { brian2Summary: b }));
  } else {
    cases.push(entry(label, 'plasticity/js-fused (cpu)', 'realtime_factor', +(T / wall).toFixed(4), undefined, undefined, { ...extra, ours: stats }));
    cases.push(skipped(label, 'brian2-cython', 'realtime_factor', brianReason ?? bc?.error ?? 'not run'));
  }
}

const file = writeResults('snn', cases, { notes: 'ratio = ours / Brian2 (higher is better for every metric). Brian2 wall times exclude its code generation (warm-up run), ours exclude JIT warm-up.' });
log('');
printTable(cases);
log(`\nwrote ${file}`);
