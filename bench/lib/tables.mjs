// Markdown tables from a results file, for the READMEs (so their figures are never copied by hand).
//   node bench/lib/tables.mjs snn|engine|spn|pdlf|root [path/to/results.json] [--write]   (root: the root README's rows)
// prints the tables of bench/README.md's and packages/snn/README.md's snn (or engine) sections; --write
// puts them between the <!-- NAME-bench:start --> and <!-- NAME-bench:end --> markers of both files.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, RESULTS_DIR } from './harness.mjs';

const args = process.argv.slice(2);
const write = args.includes('--write');
const [name = 'snn', file] = args.filter((x) => x !== '--write');
const doc = name === 'root' ? null : JSON.parse(readFileSync(file ?? path.join(RESULTS_DIR, `${name}.json`), 'utf8'));

/** 3 significant digits, no exponent below 1e4. */
const sig = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : String(+x.toPrecision(3)));
/** 1.74e8 */
const sci = (x) => {
  if (x === null || x === undefined) return '–';
  const [m, e] = x.toExponential(2).split('e');
  return `${m}e${+e}`;
};
const times = (r) => `**${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×**`;
const row = (cells) => `| ${cells.join(' | ')} |`;
const skipNote = (c) => `– (skipped: ${c.reason})`;

function snnTables() {
  const byCase = (pred) => doc.cases.filter((c) => pred(c.case));
  const out = [];
  const d = doc.machineDetails;
  const busy = d.loadavg[0] > d.cores || d.loadavg[1] > d.cores;
  out.push(`Run of ${doc.date.slice(0, 10)} on ${doc.machine.split(', linux')[0]}, load average ${d.loadavg.join(' / ')} at the end of the run` +
    (busy ? ` — more runnable processes than cores, so other work shared the CPUs and the timings are noisy (compare ratios from a quiet run).` : '.'));
  out.push('');
  out.push(row(['case', 'ours', 'Brian2 cython', 'ratio', 'Brian2 numpy']));
  out.push(row(['---', '---', '---', '---', '---']));

  // SMA
  const sma = byCase((s) => s.startsWith('SMA '));
  const smaC = sma.find((c) => c.baseline === 'brian2-cython');
  const smaN = sma.find((c) => c.baseline === 'brian2-numpy');
  const smaSkipC = sma.find((c) => c.skipped && c.impl === 'brian2-cython');
  const smaSkipN = sma.find((c) => c.skipped && c.impl === 'brian2-numpy');
  const smaMain = smaC ?? sma.find((c) => !c.skipped);
  if (smaMain) {
    const T = smaMain.ours.T_sim_s;
    const n = smaMain.ours.run_wall_s_samples.length;
    out.push(row([
      `SMA 1000 → 1, ${T} s at dt 0.1 ms`,
      `${sig(smaMain.wallSeconds)} s (median of ${n})`,
      smaC ? `${sig(smaC.baselineWallSeconds)} s` : skipNote(smaSkipC),
      smaC ? times(smaC.ratio) : '–',
      smaN ? `${sig(smaN.baselineWallSeconds)} s per ${smaN.brian2.T_sim_s} s simulated (ours ${Math.round(smaN.ratio)}× faster)` : skipNote(smaSkipN),
    ]));
  }

  // scaled
  const sc = byCase((s) => s.startsWith('scaled '));
  const scPre = sc.find((c) => c.metric === 'pre_events_per_s' && !c.skipped);
  const scAll = sc.find((c) => c.metric === 'all_events_per_s');
  const scSkip = sc.find((c) => c.skipped);
  if (scPre) {
    out.push(row([
      `scaled 10,000 × 100 all-to-all (10^6 plastic synapses), ${scPre.ours.T_sim_s} s`,
      `${sig(scPre.wallSeconds)} s: ${sci(scPre.value)} pre events/s${scAll ? `, ${sci(scAll.value)} pre + post` : ''}`,
      scPre.baseline ? `${sig(scPre.baselineWallSeconds)} s: ${sci(scPre.baselineValue)} / ${scAll ? sci(scAll.baselineValue) : '–'}` : skipNote(scSkip),
      scPre.baseline ? times(scPre.ratio) : '–',
      '–',
    ]));
  }

  // recurrent
  const rc = byCase((s) => /LIF, recurrent CSR/.test(s));
  const rcRt = rc.find((c) => c.metric === 'realtime_factor' && !c.skipped);
  const rcSkip = rc.find((c) => c.skipped);
  if (rcRt) {
    const o = rcRt.ours, b = rcRt.brian2;
    const N = rcRt.neurons.toLocaleString('en-US');
    out.push(row([
      `${N} LIF, recurrent CSR p = 0.001 (${sci(o.recurrentSynapses)} synapses, delay 1 ms) + STDP, ${o.T_sim_s} s`,
      `${sig(rcRt.wallSeconds)} s (median of ${o.run_wall_s_samples.length}): ${sig(rcRt.value)} s simulated per wall second, ${sci(rcRt.synapticEventsPerS)} synaptic events/s, ${sig(o.rate_hz)} Hz`,
      b ? `${sig(b.run_wall_s)} s: ${sig(b.realtime_factor)}, ${sci(b.synaptic_events_per_s)} events/s, ${sig(b.rate_hz)} Hz` : skipNote(rcSkip),
      b ? times(rcRt.ratio) : '–',
      '–',
    ]));
  }

  // SMA / scaled weight statistics
  const ws = [];
  const wrow = (label, s, rate) => row([label, s.hist10_w_over_gmax.join(' '), String(+s.frac_w_below_0p1gmax.toFixed(4)), String(+s.frac_w_above_0p9gmax.toFixed(4)), String(+s.mean_w_over_gmax.toFixed(3)), `${sig(rate)} Hz`]);
  if (smaMain) ws.push(wrow('SMA, ours', smaMain.ours, smaMain.ours.output_rate_hz));
  if (smaC) ws.push(wrow('SMA, Brian2', smaC.brian2, smaC.brian2.output_rate_hz));
  if (scPre) ws.push(wrow('scaled, ours', scPre.ours, scPre.ours.output_rate_hz));
  if (scPre?.brian2) ws.push(wrow('scaled, Brian2', scPre.brian2, scPre.brian2.output_rate_hz));
  if (ws.length) {
    out.push('', 'Weight statistics side by side (seed 1, from the same run):', '');
    out.push(row(['case', 'w/gmax histogram', '< 0.1', '> 0.9', 'mean', 'output rate']));
    out.push(row(['---', '---', '---', '---', '---', '---']));
    out.push(...ws);
  }

  // recurrent, ours vs Brian2 in detail
  if (rcRt?.brian2) {
    const o = rcRt.ours, b = rcRt.brian2, a = rcRt.agreement;
    const s2 = a.dwMean.oursSecondSeed;
    out.push('', `${rcRt.neurons.toLocaleString('en-US')}-neuron recurrent network, identical synapses and initial weights in both (same run; ours: Poisson seed 1${s2 ? `, second run seed ${s2.seed}` : ''}):`, '');
    out.push(row(['', 'ours', 'Brian2 cython', s2 ? `ours, seed ${s2.seed}` : '']));
    out.push(row(['---', '---', '---', s2 ? '---' : '']));
    out.push(row([`run wall time (${o.T_sim_s} s simulated)`, `${sig(o.run_wall_s)} s`, `${sig(b.run_wall_s)} s (after a ${b.warmup_sim_ms} ms warm-up run: code generation and compilation, ${sig(b.warmup_wall_s)} s)`, s2 ? `${sig(o.run_wall_s_samples[1])} s` : '']));
    out.push(row(['build', `${sig(o.buildSeconds)} s`, `${sig(b.build_wall_s)} s (incl. loading the dumped synapses)`, '']));
    out.push(row(['spikes (mean rate)', `${o.spikes} (${sig(o.rate_hz)} Hz)`, `${b.spikes} (${sig(b.rate_hz)} Hz)`, s2 ? `(${sig(s2.rate_hz)} Hz)` : '']));
    out.push(row(['synaptic events/s (pre arrivals + post updates)', sci(o.synaptic_events_per_s), sci(b.synaptic_events_per_s), '']));
    out.push(row(['memory: RSS growth over build + run', `${o.memory.rssMiB} MiB`, `${b.rss_delta_mib} MiB`, '']));
    out.push(row(['memory: peak RSS of the process', `${o.memory.peakRssMiB} MiB (Node, whole bench process)`, `${b.peak_rss_mib} MiB (Python)`, '']));
    out.push(row(['mean w: start → end', `${o.w0_mean_mv} → ${o.w_mean_mv} mV`, `${b.w0_mean_mv} → ${b.w_mean_mv} mV`, '']));
    out.push(row(['mean Δw per synapse (sd)', `${sci(o.dw_mean_mv)} mV (${sci(o.dw_std_mv)})`, `${sci(b.dw_mean_mv)} mV (${sci(b.dw_std_mv)})`, s2 ? `${sci(s2.dw_mean_mv)} mV` : '']));
    out.push(row(['Δw > 1e-6 / < −1e-6 mV; w at 0', `${o.frac_dw_pos} / ${o.frac_dw_neg}; ${o.frac_w_at_0}`, `${b.frac_dw_pos} / ${b.frac_dw_neg}; ${b.frac_w_at_0}`, '']));
    out.push('');
    out.push(`Agreement (${a.ok ? 'passed' : '**failed**'}): rates differ by ${a.rate.diff} Hz (tolerance ${a.rate.tolerance} Hz: 5 standard deviations of the difference of two Poisson counts), mean Δw by ${sci(a.dwMean.diff)} mV (tolerance ${sci(a.dwMean.tolerance)} mV: 5 standard errors from the per-synapse spreads; same sign required)${s2 ? `; our two seeds differ by ${sci(s2.diffToFirst)} mV` : ''}. Uncorrelated-firing prediction for mean Δw: ${sci(a.dwMean.predictedUncorrelated.ours)} mV at our rate, ${sci(a.dwMean.predictedUncorrelated.brian2)} mV at Brian2's.`);
  }
  return out.join('\n');
}

/** The engine bench: the user rule against the built-in, and the population against one-by-one runs. */
function engineTables() {
  const d = doc.machineDetails;
  const busy = d.loadavg[0] > d.cores || d.loadavg[1] > d.cores;
  const range = (xs) => `${sig(Math.min(...xs))}–${sig(Math.max(...xs))}`;
  const out = [`Run of ${doc.date.slice(0, 10)} on ${doc.machine.split(', linux')[0]}, load average ${d.loadavg.join(' / ')} at the end of the run` +
    (busy ? ' — more runnable processes than cores, so the timings are noisy.' : '.'), ''];
  out.push(row(['case', 'ours', 'value (median; range over rounds)', 'baseline', 'baseline value', 'ratio', 'weights']));
  out.push(row(['---', '---', '---', '---', '---', '---', '---']));
  for (const c of doc.cases) {
    const weights = c.weightsBitIdentical !== undefined ? (c.weightsBitIdentical ? 'bit-identical' : '**differ**')
      : c.maxAbsWeightDiff !== undefined ? `max abs diff ${sci(c.maxAbsWeightDiff)}` : 'member = alone (checked)';
    out.push(row([c.case, c.impl, `${sig(c.value)} ${c.metric} (${range(c.samples)})`, c.baseline, `${sig(c.baselineValue)} (${range(c.baselineSamples)})`, times(c.ratio), weights]));
  }
  return out.join('\n');
}

/** The root README's rows for the snn and engine results (bench/results/snn.json and engine.json). */
function rootRows() {
  const load = (n) => JSON.parse(readFileSync(path.join(RESULTS_DIR, `${n}.json`), 'utf8')).cases;
  const snn = load('snn'), engine = load('engine');
  const sma = snn.find((c) => c.case.startsWith('SMA ') && c.baseline === 'brian2-cython');
  const sc = snn.find((c) => c.case.startsWith('scaled ') && c.metric === 'all_events_per_s');
  const rc = snn.find((c) => /recurrent/.test(c.case) && c.metric === 'realtime_factor' && c.baseline);
  const e = (prefix, user, base) => engine.find((c) => c.case.startsWith(prefix) && c.impl.startsWith(user) && c.baseline.includes(base));
  const pop = engine.find((c) => c.case.startsWith('population') && c.case.includes('user rule'));
  const r = (x) => (x >= 10 ? Math.round(x) : +x.toFixed(2));
  return [
    row(['what', 'against', 'result']),
    row(['---', '---', '---']),
    row(['Song–Miller–Abbott STDP, 100 s at dt = 0.1 ms', 'Brian2 2.5.1 cython',
      `${r(sma.ratio)}× faster, same weight histogram (fraction < 0.1·gmax ${sma.ours.frac_w_below_0p1gmax} vs ${sma.brian2.frac_w_below_0p1gmax})`]),
    row(['10,000 × 100 all-to-all plastic network (10^6 synapses), 10 s', 'Brian2 cython', `${r(sc.ratio)}× the synaptic events/s`]),
    row(['100,000 LIF, recurrent CSR (10^7 synapses) with STDP and a 1 ms delay, 1 s', 'Brian2 cython, same synapses',
      `${r(rc.ratio)}× the real-time factor (ours ${sig(rc.value)}, Brian2 ${sig(rc.baselineValue)})`]),
    row(["a user's own fused STDP rule (public API) in a `Network`", 'built-in `core/stdp`, same arithmetic (bit-identical weights)',
      `plain form (apps/examples/src/my-stdp.mjs) ${r(e('SMA', 'acme/my-stdp', 'direct').ratio)}× (SMA) and ${r(e('scaled', 'acme/my-stdp', 'direct').ratio)}× (10^6 synapses) the direct kernel; ` +
      `on the public LazyPotentiation block (my-lazy-stdp.mjs) ${r(e('SMA', 'acme/my-lazy-stdp', 'lazy').ratio)}× and ${r(e('scaled', 'acme/my-lazy-stdp', 'lazy').ratio)}× the default lazy kernel ` +
      `(the plain form: ${r(e('scaled', 'acme/my-stdp', 'lazy').ratio)}× of it at 10^6 synapses)`]),
    row(['64-member population network (64 → 128 → 2, per-synapse rule)', 'the 64 networks one after another',
      `${r(pop.ratio)}× the member-steps/s (the rule's arithmetic dominates, so a population saves little on a CPU; see packages/snn)`]),
    ...packageRows(load, r),
  ].join('\n');
}

/** Rows of the packages built on the engine (pdlf, spn, bio), from their results files when present. */
function packageRows(load, r) {
  const rows = [];
  const tryLoad = (n) => { try { return load(n); } catch { return null; } };
  const pdlf = tryLoad('pdlf')?.find((c) => c.ratio);
  if (pdlf) rows.push(row(['PDLF working-memory policy, 256 members (16 → 128 → 2 ternary LIF, per-synapse rule), forward + plastic update', 'the same arithmetic batched in PyTorch, 2 threads', `${r(pdlf.ratio)}× the member-steps/s (target ≥ 1×)`]));
  const spn = tryLoad('spn');
  if (spn) {
    const best = (prefix) => spn.filter((c) => c.case.startsWith(prefix) && c.minRatio).sort((a, b) => a.minRatio - b.minRatio)[0];
    const seed = best('seed'), large = best('large');
    if (seed && large) {
      rows.push(row(['SPN training step (forward + backward + Adam)', 'the fixed PyTorch model, 2 threads',
        `seed config ${r(seed.minRatio)}× PyTorch's time (target ≤ 1×), batch 256 / hidden 512 ${r(large.minRatio)}× (target ≤ 0.25×), on minimum times`]));
    }
  }
  const bio = tryLoad('bio');
  if (bio) {
    const all = (prefix) => bio.find((c) => c.case.startsWith(prefix) && /^all\b/.test(c.impl));
    const dense = all('dense'), csr = all('CSR');
    // the range over the runs in the file's history where there is one (bench/bio.mjs keeps it)
    const history = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'bio.json'), 'utf8')).history ?? [];
    const span = (c) => {
      const xs = history.map((h) => h.ratios[`${c.case}|${c.impl}`]).filter((x) => x !== undefined).sort((a, b) => a - b);
      const mid = xs.length % 2 ? xs[(xs.length - 1) / 2] : (xs[xs.length / 2 - 1] + xs[xs.length / 2]) / 2;
      return xs.length > 1 ? `median ${r(mid)}× (${r(xs[0])}–${r(xs.at(-1))}×) over ${xs.length} runs` : `${r(c.ratio)}×`;
    };
    if (dense && csr) rows.push(row(['every bio transform together per training step', 'the plain Adam step', `${span(dense)} (1024 × 1024 dense), ${span(csr)} (10^6-synapse CSR); target ≤ 1.5×`]));
  }
  return rows;
}

function spnTables() {
  const d = doc.machineDetails;
  const before = doc.loadavgBefore ?? [];
  const out = [`Run of ${doc.date.slice(0, 10)} on ${doc.machine.split(', linux')[0]}, load average ${before.join(' / ')} before and ${d.loadavg.join(' / ')} after the run` +
    (Math.max(...before, ...d.loadavg) > d.cores ? ' — more runnable processes than cores (other work shared the 2 CPUs), so the timings are noisy.' : '.'),
    '', row(['training step (forward + backward + Adam)', 'backend', 'ours, median (min)', 'PyTorch 2 threads, median (min)', 'ratio of medians (of mins)', 'paired ratio: median over rounds of ours / PyTorch of the same round, medians (mins)', 'target', 'peak RSS ours / PyTorch']),
    row(['---', '---', '---', '---', '---', '---', '---', '---'])];
  for (const c of doc.cases) {
    if (c.skipped) {
      out.push(row([c.case, c.impl, skipNote(c), '', '', '', '', '']));
      continue;
    }
    const stepPath = c.pathTaken ? `, ${c.pathTaken} path${c.stepPath === 'auto' ? ' (auto)' : ''}${c.threads > 1 ? `, ${c.threads} threads` : ''}` : '';
    out.push(row([c.case, c.backend + stepPath + (c.fastest ? ' (fastest)' : ''), `${sig(c.value)} ms (${sig(c.stepMsMin)})`,
      c.baselineValue ? `${sig(c.baselineValue)} ms (${sig(c.baselineStepMsMin)})` : '–',
      c.ratio ? `${times(c.ratio)} (${sig(c.minRatio)}×)` : '–',
      c.pairedMedianRatio ? `${sig(c.pairedMedianRatio)}× (${sig(c.pairedMinRatio)}×)` : '–', `≤ ${c.target}×`, `${sig(c.peakRssMB)} / ${sig(c.baselinePeakRssMB)} MB`]));
  }
  const history = doc.history ?? [];
  if (history.length > 1) {
    out.push('', `Ratio of medians over the ${history.length} runs since ${history[0].date.slice(0, 10)} (each run alternates ours and PyTorch; range):`);
    for (const c of doc.cases.filter((x) => x.ratio)) {
      const xs = history.map((h) => h.ratios[`${c.case}|${c.impl}`]).filter((x) => x !== undefined);
      const label = `${c.backend}, ${c.pathTaken} path${c.stepPath === 'auto' ? ' (auto)' : ''}`;
      if (xs.length > 1) out.push(`- ${c.case}, ${label}: ${sig(Math.min(...xs))}–${sig(Math.max(...xs))}× over ${xs.length} runs`);
    }
  }
  return out.join('\n');
}

/** The PDLF policy population step against PyTorch (pdlf.json) and the worker pool's speed-up (pdlf-pool.json). */
function pdlfTables() {
  const d = doc.machineDetails;
  const range = (xs) => `${sig(Math.min(...xs))}–${sig(Math.max(...xs))}`;
  const out = [`Policy population step, run of ${doc.date.slice(0, 10)} on ${doc.machine.split(', linux')[0]}, load average ${d.loadavg.join(' / ')} at the end` +
    (d.loadavg[0] > d.cores ? ' — more runnable processes than cores, so the timings are noisy.' : '.'), ''];
  out.push(row(['case', 'ours (member-steps/s, median; range)', 'PyTorch 2 threads (range)', 'ratio (target ≥ 1×)', 'peak RSS ours / PyTorch']));
  out.push(row(['---', '---', '---', '---', '---']));
  for (const c of doc.cases.filter((x) => x.metric === 'member_steps_per_s')) {
    if (c.skipped) { out.push(row([c.case, '', skipNote(c), '', ''])); continue; }
    out.push(row([c.case, `${sig(c.value)} (${range(c.samples)})`, c.baselineValue ? `${sig(c.baselineValue)} (${range(c.baselineSamples)})` : '–',
      c.ratio ? times(c.ratio) : '–', c.peakRssMiB ? `${c.peakRssMiB.ours} / ${c.peakRssMiB.torch} MiB` : '–']));
  }
  const ev = doc.cases.find((x) => x.metric === 'genomes_per_s');
  if (ev) out.push('', `${ev.case}: one population network ${times(ev.ratio)} the genomes/s of one network per genome (${sig(ev.value)} against ${sig(ev.baselineValue)}; same fitness for every genome).`);
  let pool = null;
  try { pool = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'pdlf-pool.json'), 'utf8')); } catch { /* not measured yet */ }
  const speed = pool?.cases.find((c) => c.speedup !== undefined);
  if (speed) {
    out.push('', `Worker pool, run of ${pool.date.slice(0, 10)}, load average ${pool.machineDetails.loadavg.join(' / ')} at the end: ${speed.case}, ` +
      `**${speed.speedup.toFixed(2)}×** one worker's evaluations/s (target ≥ ${speed.target}×; CPU seconds per wall second ${speed.cpuPerWall.all} with all workers, ${speed.cpuPerWall.one} with one — ` +
      `${speed.cpuPerWall.all < 0.8 * pool.machineDetails.cores ? 'the workers did not get the cores to themselves' : 'the workers ran side by side'}).`);
  }
  return out.join('\n');
}

const TABLES = {
  pdlf: { make: pdlfTables, targets: [path.join(BENCH_DIR, 'README.md'), path.join(BENCH_DIR, '..', 'packages', 'pdlf', 'README.md')] },
  spn: { make: spnTables, targets: [path.join(BENCH_DIR, 'README.md'), path.join(BENCH_DIR, '..', 'packages', 'spn', 'README.md')] },
  snn: { make: snnTables, targets: [path.join(BENCH_DIR, 'README.md'), path.join(BENCH_DIR, '..', 'packages', 'snn', 'README.md')] },
  engine: { make: engineTables, targets: [path.join(BENCH_DIR, 'README.md'), path.join(BENCH_DIR, '..', 'packages', 'snn', 'README.md')] },
  root: { make: rootRows, targets: [path.join(BENCH_DIR, '..', 'README.md')] },
};
const table = TABLES[name];
if (!table) {
  console.error(`no tables for "${name}" (${Object.keys(TABLES).join(', ')})`);
  process.exit(2);
}
const text = table.make();
if (!write) console.log(text);
else {
  const START = `<!-- ${name}-bench:start -->`, END = `<!-- ${name}-bench:end -->`;
  for (const target of table.targets) {
    const md = readFileSync(target, 'utf8');
    const i = md.indexOf(START), j = md.indexOf(END);
    if (i < 0 || j < i) throw new Error(`${target}: no ${START} … ${END} markers`);
    writeFileSync(target, `${md.slice(0, i + START.length)}\n<!-- generated by node bench/lib/tables.mjs ${name} from bench/results -->\n\n${text}\n\n${md.slice(j)}`);
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
}
