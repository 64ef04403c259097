// `pnpm bench sparse`: CSR event kernels — event matvec (spikes @ W), onPre and
// onPost (clip to [0, 1], touched synapses only) — on our cpu and wasm kernels against the C -O3
// kernels of bench/peers/event_c.c (compiled and run in this run) and the numpy kernels of
// event_ref.py. Workloads are generated with core's seeded RNG; ours must agree bit for bit on cpu
// and wasm and at every level; the workload is then dumped in event_c.c's layout with our cpu
// results as the expected values (the C program verifies them bit for bit before it times) and
// timed A B A B: every round runs C, numpy (first rounds), then each of ours; the reported value is
// the median over rounds. Events/s = active pre × fan-out per second (onPost: active post × fan-in).
//
// Each of our backends runs in a Node process of its own (lib/sparse-child.mjs), as the peers do
// and as a user's program would. Levels of ours:
//   "plasticity/cpu|wasm"      the public per-step API as a simulation loop calls it, allocating
//                              nothing per step: CSRConnection.propagateInto(list, out), onPre(list,
//                              trace), onPost(trace, list), events as lists of active indices
//                              (EventList), the output one host Float32Array, traces as float32
//                              tensors made beforehand (as at the tensor-API level);
//   "… (per-step, host traces)" the same onPre/onPost with the traces in host Float32Arrays (copied
//                              to the wasm heap and checked finite each call);
//   "… (API, tensors)"         the tensor API: propagate/onPre/onPost with bool spike tensors and
//                              float32 trace tensors, propagate returning a fresh tensor a step;
//   "… (runKernel)"            the kernels of names.ts through tf.engine().runKernel, same tensors;
//   "… (module)"               our wasm module's exports on the same bytes with no tfjs call, the
//                              work event_c.c's functions do.
// C scans a dense uint8 spike vector each step (as BrainEvent's dense events); the per-step API
// gets the active indices a simulation loop already has (BrainEvent's compact binary events).
// Env: BENCH_ROUNDS=n overrides the number of rounds; BENCH_CASES=1e6,1e5,1e7 picks cases (the
// other cases of the previous results file are kept). Every run appends its ratios to `history` in
// bench/results/sparse.json (BENCH_HISTORY=reset starts it afresh); `node bench/sparse.mjs --table`
// prints the README tables from that file (latest run and the range over the runs in `history`),
// `--table --write` writes them into packages/sparse/README.md and the root README's sparse row.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BENCH_DIR, RESULTS_DIR, WORK_DIR, entry, interleave, machine, median, now, runChild, skipped, writeResults,
} from './lib/harness.mjs';
import { dumpWorkload, makeWorkload } from './lib/workload.mjs';

const PY = '/usr/bin/python3';
const ALL_CASES = [
  { key: '1e6', label: '1e6 syn 5%', nPre: 10000, nPost: 10000, p: 0.01, T: 200, rounds: 7, reps: 3, numpyRounds: 3 },
  { key: '1e5', label: '1e5 syn (1000x1000 p=0.1) 5%', nPre: 1000, nPost: 1000, p: 0.1, T: 200, rounds: 7, reps: 9, numpyRounds: 3 },
  { key: '1e7', label: '1e7 syn (10000x100000 p=0.01) 5%', nPre: 10000, nPost: 100000, p: 0.01, T: 20, rounds: 7, reps: 5, numpyRounds: 2 },
];
const KERNELS = [
  { key: 'matvec', label: 'event matvec', c: 'matvec', events: 'pre' },
  { key: 'onpre', label: 'onPre', c: 'on_pre (touched', events: 'pre' },
  { key: 'onpost', label: 'onPost', c: 'on_post', events: 'post' },
];
const IMPLS = ['cpu', 'wasm'];
/** Also timed through the tensor API, runKernel and as bare module calls (what each layer costs a call). */
const KERNEL_LEVEL = ['wasm'];
// Each round runs every kernel `reps` times over T steps (from the initial weights), for ours and
// for C (event_c's own repetitions); a round's value is the median of those.

const RESULTS_FILE = path.join(RESULTS_DIR, 'sparse.json');

const wanted = process.env.BENCH_CASES?.split(',');
const CASES = ALL_CASES.filter((c) => !wanted || wanted.includes(c.key));
const log = (...a) => console.log(...a);

// ---------------------------------------------------------------- README tables from sparse.json
/**
 * Markdown made from bench/results/sparse.json alone (hand-copied figures drifted apart before):
 * per size, the ratio to C of each level in the latest run with its range over `history`; and the
 * root README's row. With `write`, replaces the text between the markers in packages/sparse/README.md
 * and the root README's line that starts with ROOT_ROW.
 */
function tables(write) {
  const doc = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
  const hist = doc.history ?? [];
  const levels = [
    ['plasticity/wasm', 'wasm, per-step API'], ['plasticity/wasm (per-step, host traces)', 'wasm, per-step, host traces'],
    ['plasticity/wasm (API, tensors)', 'wasm, tensor API'],
    ['plasticity/wasm (runKernel)', 'wasm, runKernel'], ['plasticity/wasm (module)', 'wasm, module'], ['plasticity/cpu', 'cpu, per-step API'],
  ];
  const find = (name, impl, baseline) => doc.cases.find((e) => e.case === name && e.impl === impl && (baseline ? e.baseline === baseline : !e.baseline));
  const range = (name, impl, baseline = 'c-O3') => {
    const xs = hist.map((h) => h.ratios[`${name}|${impl}|${baseline}`]).filter((x) => typeof x === 'number');
    return xs.length ? { min: Math.min(...xs), max: Math.max(...xs), n: xs.length, med: median(xs) } : null;
  };
  const x2 = (v) => v.toFixed(2);
  const cell = (name, impl) => {
    const e = find(name, impl, 'c-O3');
    if (!e || e.ratio == null) return '–';
    const r = range(name, impl);
    return `${x2(e.ratio)}×${r && r.n > 1 ? ` (${x2(r.med)}; ${x2(r.min)}–${x2(r.max)})` : ''}`;
  };
  const out = [];
  for (const c of ALL_CASES) {
    if (!doc.cases.some((e) => e.case.endsWith(c.label))) continue;
    const runs = Math.max(0, ...KERNELS.map((k) => range(`${k.label} ${c.label}`, 'plasticity/wasm')?.n ?? 0));
    out.push('', `**${c.label.replace(/^1e(\d)/, '10^$1')}** (${c.nPre} × ${c.nPost}, p = ${c.p}, ${c.T} steps): ratio to C in the latest run` +
      ` (${find(`${KERNELS[0].label} ${c.label}`, 'c-O3')?.usPerStep ?? '?'} µs a C matvec step); in brackets the median and range over ${runs} runs`, '');
    out.push(`| | C -O3 | ${levels.map((l) => l[1]).join(' | ')} | numpy |`);
    out.push(`|---|---|${levels.map(() => '---|').join('')}---|`);
    for (const k of KERNELS) {
      const name = `${k.label} ${c.label}`;
      const ce = find(name, 'c-O3');
      const np = find(name, 'numpy');
      const vsNp = find(name, 'plasticity/wasm', 'numpy');
      out.push(`| ${k.label} | ${ce?.value ? ce.value.toExponential(2) + ' ev/s' : 'skipped'} | ${levels.map(([impl]) => cell(name, impl)).join(' | ')} | ` +
        `${np?.value ? np.value.toExponential(1) + ` (wasm API ${x2(vsNp.ratio)}×)` : 'skipped'} |`);
    }
  }
  const block = [`Generated by \`node bench/sparse.mjs --table --write\` from \`bench/results/sparse.json\` (${doc.date.slice(0, 10)}, ${doc.machine}).`, ...out].join('\n');
  const c6 = ALL_CASES[0].label;
  const c5 = ALL_CASES[1].label;
  const api = (label) => KERNELS.map((k) => {
    const e = find(`${k.label} ${label}`, 'plasticity/wasm', 'c-O3');
    return e ? x2(e.ratio) : '–';
  }).join(' / ');
  const rng = (label) => KERNELS.map((k) => {
    const r = range(`${k.label} ${label}`, 'plasticity/wasm');
    return r ? `${x2(r.min)}–${x2(r.max)}` : '–';
  }).join(' / ');
  const med = (label) => KERNELS.map((k) => {
    const r = range(`${k.label} ${label}`, 'plasticity/wasm');
    return r ? x2(r.med) : '–';
  }).join(' / ');
  const nRuns = range(`${KERNELS[0].label} ${c6}`, 'plasticity/wasm')?.n ?? 0;
  const npr = KERNELS.map((k) => find(`${k.label} ${c6}`, 'plasticity/wasm', 'numpy')?.ratio).filter(Boolean);
  const row = `${ROOT_ROW} (wasm SIMD, public per-step API) | C \`-O3\` kernels | ${api(c6)}× the events/s in the committed run; ` +
    `over ${nRuns} runs median ${med(c6)}×, range ${rng(c6)}×; 10^5 synapses median ${med(c5)}× (${rng(c5)}×); ` +
    `${x2(Math.min(...npr))}–${x2(Math.max(...npr))}× numpy; a busy shared machine: see packages/sparse |`;
  console.log(block + '\n\nroot README row:\n' + row);
  if (!write) return;
  const pkg = path.join(BENCH_DIR, '..', 'packages', 'sparse', 'README.md');
  const text = readFileSync(pkg, 'utf8');
  const [a, b] = [text.indexOf(TABLE_START), text.indexOf(TABLE_END)];
  if (a < 0 || b < a) throw new Error(`${pkg}: markers ${TABLE_START} … ${TABLE_END} not found`);
  writeFileSync(pkg, text.slice(0, a + TABLE_START.length) + '\n' + block + '\n' + text.slice(b));
  const root = path.join(BENCH_DIR, '..', 'README.md');
  const lines = readFileSync(root, 'utf8').split('\n');
  const i = lines.findIndex((l) => l.startsWith(ROOT_ROW));
  if (i < 0) throw new Error(`${root}: no line starts with ${ROOT_ROW}`);
  lines[i] = row;
  writeFileSync(root, lines.join('\n'));
}
const TABLE_START = '<!-- sparse-bench:start -->';
const TABLE_END = '<!-- sparse-bench:end -->';
const ROOT_ROW = '| CSR event matvec / onPre / onPost, 10^6 synapses, 5% firing';
if (process.argv.includes('--table')) {
  tables(process.argv.includes('--write'));
  process.exit(0);
}

// ---------------------------------------------------------------- peers: availability
function prepareC() {
  const probe = runChild('gcc', ['--version']);
  if (!probe.ok) return { reason: 'gcc not found on PATH' };
  mkdirSync(WORK_DIR, { recursive: true });
  const exe = path.join(WORK_DIR, 'event_c');
  const r = runChild('gcc', ['-O3', '-march=native', '-o', exe, path.join(BENCH_DIR, 'peers', 'event_c.c'), '-lm']);
  if (!r.ok) return { reason: `gcc -O3 -march=native failed: ${r.stderr.slice(0, 300)}` };
  return { exe, version: probe.stdout.split('\n')[0] };
}

function prepareNumpy() {
  if (!existsSync(PY)) return { reason: `${PY} not found` };
  const r = runChild(PY, ['-c', 'import numpy; print(numpy.__version__)']);
  if (!r.ok) return { reason: `${PY} has no numpy (${r.stderr.trim().split('\n').pop()})` };
  return { version: r.stdout.trim() };
}

/** Runs event_c: { verify: {...}, perStep: { matvec, onpre, onpost } (median seconds over reps) }. */
function runC(exe, dir, reps) {
  const r = runChild(exe, [dir, String(reps)]);
  if (!r.ok) throw new Error(`event_c failed: ${r.stderr}`);
  const v = /matvec max\|diff\| vs numpy = (\S+) ; on_pre mismatching weights = (\d+) ; on_post mismatching = (\d+)/.exec(r.stdout);
  const perStep = {};
  for (const line of r.stdout.split('\n')) {
    for (const k of KERNELS) {
      if (line.startsWith(k.c)) {
        const m = /median\s+([\d.]+) us/.exec(line);
        if (m) perStep[k.key] = Number(m[1]) * 1e-6;
      }
    }
  }
  return { verify: v ? { matvecMaxDiff: Number(v[1]), onPreMismatches: Number(v[2]), onPostMismatches: Number(v[3]) } : null, perStep };
}

function runNumpy(dir, reps) {
  const r = runChild(PY, [path.join(BENCH_DIR, 'peers', 'numpy_kernels.py'), dir, String(reps)]);
  if (!r.ok) throw new Error(`numpy_kernels.py failed: ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  return { verify: out.verify, perStep: Object.fromEntries(Object.entries(out.per_step_s).map(([k, v]) => [k, median(v)])) };
}

// ---------------------------------------------------------------- ours
const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'lib', 'sparse-child.mjs');

/** A forked lib/sparse-child.mjs; ask(msg) resolves to its reply (it answers one message at a time). */
function child() {
  const proc = fork(CHILD, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending = null;
  proc.on('message', (m) => {
    const p = pending;
    pending = null;
    if (m.error) p?.reject(new Error(`sparse-child: ${m.error}`));
    else p?.resolve(m);
  });
  proc.on('exit', (code) => pending?.reject(new Error(`sparse-child exited with ${code}`)));
  return {
    ask: (msg) => new Promise((resolve, reject) => {
      pending = { resolve, reject };
      proc.send(msg);
    }),
    close: () => proc.kill(),
  };
}

function sameBits(a, b) {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `first difference at ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}

// ---------------------------------------------------------------- main
const t00 = now();
const m = machine();
log(`sparse event kernels — ${m.line}`);
const C = prepareC();
const NP = prepareNumpy();
if (C.reason) log(`C peer skipped: ${C.reason}`);
if (NP.reason) log(`numpy peer skipped: ${NP.reason}`);
const cases = [];
const summary = [];

for (const c of CASES) {
  const tc = now();
  const rounds = Number(process.env.BENCH_ROUNDS ?? c.rounds);
  const wl = makeWorkload({ ...c, seed: 0 });
  log(`\n== ${c.label}: ${wl.nPre} x ${wl.nPost}, nnz ${wl.nnz}, T ${wl.T}; events/step pre ${(wl.evPre / wl.T).toFixed(0)}, post ${(wl.evPost / wl.T).toFixed(0)}`);
  const kids = {};
  const res = {};
  for (const b of IMPLS) {
    kids[b] = child();
    res[b] = (await kids[b].ask({ type: 'setup', backend: b, workload: { nPre: c.nPre, nPost: c.nPost, p: c.p, T: c.T } })).results;
  }
  // correctness first: cpu results are the expected values; wasm must equal them bit for bit
  const problems = [];
  for (const [k, v] of Object.entries(res.cpu)) {
    const d = sameBits(res.wasm[k], v);
    if (d) problems.push(`wasm ${k} != cpu ${k}: ${d}`);
  }
  const LEVELS = { h: 'per-step API with host traces', t: 'tensor API', k: 'runKernel', m: 'module' };
  for (const b of IMPLS) {
    for (const [level, name] of Object.entries(LEVELS)) {
      for (const ref of ['matvec', 'onPre', 'onPost']) {
        const k = level + ref[0].toUpperCase() + ref.slice(1);
        if (!res[b][k]) continue;
        const d = sameBits(res[b][k], res.cpu[ref]);
        if (d) problems.push(`${b} ${name} ${ref} != per-step API ${ref}: ${d}`);
      }
    }
  }
  if (problems.length) throw new Error(`${c.label}: results differ, not timing:\n${problems.join('\n')}`);
  log(`verified: wasm == cpu bit for bit (matvec, onPre and onPost after ${wl.T} steps; per-step API with trace tensors and with host traces, tensor API, runKernel and module)`);
  const dir = path.join(WORK_DIR, `sparse-${c.key}`);
  dumpWorkload(dir, wl, { matvec: res.cpu.matvec, onPre: res.cpu.onPre, onPost: res.cpu.onPost });

  const runners = {};
  const notes = {};
  // the peers' matvec sums in another order (numpy: float64): allow a few float32 ulps of the largest output
  const mvTol = 8 * 2 ** -24 * res.cpu.matvec.reduce((a, x) => Math.max(a, Math.abs(x)), 1);
  if (!C.reason) {
    const v = runC(C.exe, dir, 1).verify;
    notes.c = v;
    log(`C verifies our results: on_pre mismatches ${v.onPreMismatches}, on_post mismatches ${v.onPostMismatches}, matvec max|diff| ${v.matvecMaxDiff}`);
    if (v.onPreMismatches || v.onPostMismatches || v.matvecMaxDiff > mvTol) throw new Error(`${c.label}: the C kernels disagree with ours`);
    runners.c = () => runC(C.exe, dir, c.reps).perStep;
  }
  if (!NP.reason) {
    runners.numpy = (r) => {
      if (r >= c.numpyRounds) return null;
      const o = runNumpy(dir, 1);
      if (notes.numpy === undefined) {
        notes.numpy = o.verify;
        log(`numpy verifies our results: ${JSON.stringify(o.verify)}`);
        if (o.verify.onpre_mismatches || o.verify.onpost_mismatches || o.verify.matvec_max_abs_diff > mvTol) {
          throw new Error(`${c.label}: numpy disagrees with ours`);
        }
      }
      return o.perStep;
    };
  }
  for (const b of IMPLS) {
    runners[`plasticity/${b}`] = () => kids[b].ask({ type: 'time', level: 'api', reps: c.reps });
    if (KERNEL_LEVEL.includes(b)) {
      runners[`plasticity/${b} (per-step, host traces)`] = () => kids[b].ask({ type: 'time', level: 'api-host', reps: c.reps });
      runners[`plasticity/${b} (API, tensors)`] = () => kids[b].ask({ type: 'time', level: 'api-tensor', reps: c.reps });
      runners[`plasticity/${b} (runKernel)`] = () => kids[b].ask({ type: 'time', level: 'kernel', reps: c.reps });
      runners[`plasticity/${b} (module)`] = () => kids[b].ask({ type: 'time', level: 'module', reps: c.reps });
    }
  }
  log(`prepared in ${((now() - tc) / 1000).toFixed(1)} s; timing ${rounds} rounds (+1 warm-up) of ${Object.keys(runners).join(', ')}`);
  const t = await interleave(runners, { rounds, warmup: 1 });

  for (const k of KERNELS) {
    const name = `${k.label} ${c.label}`;
    const ev = (k.events === 'pre' ? wl.evPre : wl.evPost) / wl.T;
    const rate = (impl) => (t[`${impl}.${k.key}`] ? ev / t[`${impl}.${k.key}`].median : null);
    const cRate = C.reason ? null : rate('c');
    const npRate = NP.reason ? null : rate('numpy');
    const meta = { eventsPerStep: Math.round(ev), steps: wl.T, rounds, repsPerRound: c.reps };
    if (C.reason) cases.push(skipped(name, 'c-O3', 'events_per_s', C.reason));
    else cases.push(entry(name, 'c-O3', 'events_per_s', cRate, undefined, undefined, { ...meta, usPerStep: +(ev / cRate * 1e6).toFixed(2) }));
    if (NP.reason) cases.push(skipped(name, 'numpy', 'events_per_s', NP.reason));
    else cases.push(entry(name, 'numpy', 'events_per_s', npRate, undefined, undefined, { ...meta, usPerStep: +(ev / npRate * 1e6).toFixed(2), rounds: Math.min(rounds, c.numpyRounds), repsPerRound: 1 }));
    for (const impl of Object.keys(runners).filter((x) => x.startsWith('plasticity/'))) {
      const v = rate(impl);
      if (v === null) continue; // a level that does not time this kernel (host traces: no matvec)
      const extra = { ...meta, usPerStep: +(ev / v * 1e6).toFixed(2) };
      if (!C.reason) cases.push(entry(name, impl, 'events_per_s', v, 'c-O3', cRate, extra));
      if (!NP.reason) cases.push(entry(name, impl, 'events_per_s', v, 'numpy', npRate, extra));
      summary.push({ name, impl, v, us: ev / v * 1e6, vsC: cRate ? v / cRate : null, vsNp: npRate ? v / npRate : null });
    }
    summary.push({ name, impl: 'c-O3', v: cRate, us: cRate ? ev / cRate * 1e6 : null });
    summary.push({ name, impl: 'numpy', v: npRate, us: npRate ? ev / npRate * 1e6 : null });
  }
  if (c.key === '1e7') {
    const f = await kids.wasm.ask({ type: 'footprint' });
    const host = f.hostBytes / wl.nnz;
    cases.push(entry(`CSR footprint ${c.label}`, 'plasticity/wasm', 'bytes_per_synapse', +(f.tensorBytes / wl.nnz).toFixed(4), 'target', 8, {
      note: 'tfjs tensors of a CSRConnection without the CSC view (indptr + indices + weights); ' +
        `structure arrays kept on the JS heap besides (conn.hostBytes): ${host.toFixed(3)} B/synapse`,
      withCscView: +(f.withCsc / wl.nnz).toFixed(4), hostCopies: +host.toFixed(4),
    }));
    log(`CSR footprint: ${(f.tensorBytes / wl.nnz).toFixed(3)} B/synapse in tensors (with CSC view ${(f.withCsc / wl.nnz).toFixed(3)}), host copies ${host.toFixed(3)} B/synapse`);
  }
  for (const b of IMPLS) kids[b].close();
  rmSync(dir, { recursive: true, force: true });
  log(`${c.label}: ${((now() - tc) / 1000).toFixed(1)} s`);
}

// Cases not run this time (BENCH_CASES) keep their entries from the previous file; every run's
// ratios are appended to `history`, from which the README's ranges over runs are made.
let previous = null;
try {
  previous = JSON.parse(readFileSync(RESULTS_FILE, 'utf8'));
} catch { /* first run */ }
const ranLabels = CASES.map((c) => c.label);
const kept = (previous?.cases ?? []).filter((e) => !ranLabels.some((l) => e.case.endsWith(l)));
const history = process.env.BENCH_HISTORY === 'reset' ? [] : (previous?.history ?? []);
history.push({
  date: new Date().toISOString(), load: m.details.loadavg, cases: CASES.map((c) => c.key),
  ratios: Object.fromEntries(cases.filter((e) => e.ratio != null).map((e) => [`${e.case}|${e.impl}|${e.baseline}`, e.ratio])),
});
const file = writeResults('sparse', [...kept, ...cases], {
  description: 'CSR event kernels (issues 3 and 8): events/s, median over A B A B rounds; ratio = ours / baseline; ' +
    'history: the ratios of every run since BENCH_HISTORY=reset (the README ranges)',
  peers: { c: C.reason ? { skipped: C.reason } : { compiler: C.version, flags: '-O3 -march=native' }, numpy: NP.reason ? { skipped: NP.reason } : { version: NP.version } },
  history,
});
const f = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
log('\ncase                                               impl                          events/s    µs/step   vs C-O3  vs numpy');
for (const r of summary) {
  log(`${r.name.padEnd(50)} ${r.impl.padEnd(28)} ${r.v ? r.v.toExponential(2).padStart(9) : '  skipped'} ${f(r.us, 1).padStart(10)} ${f(r.vsC).padStart(9)} ${f(r.vsNp).padStart(9)}`);
}
log(`\nwrote ${path.relative(process.cwd(), file)} in ${((now() - t00) / 1000).toFixed(1)} s`);
process.exit(0);
