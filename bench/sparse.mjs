// `pnpm bench sparse` (issue 3): CSR event kernels — event matvec (spikes @ W), onPre and onPost
// (clip to [0, 1], touched synapses only) — on our cpu and wasm kernels against the C -O3 kernels of
// bench/peers/event_c.c (compiled and run in this run) and the numpy kernels of event_ref.py.
// Workloads are generated here with core's seeded RNG, checked equal on cpu and wasm, dumped in
// event_c.c's layout with our cpu results as the expected values (the C program verifies them
// bit for bit before it times), then timed A B A B: every round runs C, numpy (first rounds),
// then each of ours; the reported value is the median over rounds. Events/s = active pre × fan-out
// per second (onPost: active post × fan-in).
//
// "plasticity/cpu|wasm" go through the public API (CSRConnection.propagate / onPre / onPost, one
// call per step, spikes as bool and traces as float32 tensors); "… (runKernel)" call the kernels of
// names.ts directly with the same tensors, which shows the API's per-call overhead.
// Env: BENCH_ROUNDS=n overrides the number of rounds; BENCH_CASES=1e6,1e5,1e7 picks cases.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CSRConnection, EVENT_MATVEC, ON_ROWS, registerSparseKernels } from '@plasticity/sparse';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import {
  BENCH_DIR, WORK_DIR, entry, interleave, machine, median, now, runChild, skipped, writeResults,
} from './lib/harness.mjs';
import { dumpWorkload, makeWorkload } from './lib/workload.mjs';

const require = createRequire(import.meta.url);
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + path.sep + 'dist' + path.sep);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
registerSparseKernels();

const PY = '/usr/bin/python3';
const BOUNDS = { wMin: 0, wMax: 1 };
const ALL_CASES = [
  { key: '1e6', label: '1e6 syn 5%', nPre: 10000, nPost: 10000, p: 0.01, T: 200, rounds: 7, reps: 3, numpyRounds: 3 },
  { key: '1e5', label: '1e5 syn (1000x1000 p=0.1) 5%', nPre: 1000, nPost: 1000, p: 0.1, T: 200, rounds: 7, reps: 3, numpyRounds: 3 },
  { key: '1e7', label: '1e7 syn (10000x100000 p=0.01) 5%', nPre: 10000, nPost: 100000, p: 0.01, T: 20, rounds: 5, reps: 1, numpyRounds: 2 },
];
const KERNELS = [
  { key: 'matvec', label: 'event matvec', c: 'matvec', events: 'pre' },
  { key: 'onpre', label: 'onPre', c: 'on_pre (touched', events: 'pre' },
  { key: 'onpost', label: 'onPost', c: 'on_post', events: 'post' },
];
const IMPLS = ['cpu', 'wasm'];
/** Timed through runKernel as well as through the API (shows the API's per-call cost). */
const KERNEL_LEVEL = ['wasm'];
// Each round runs every kernel `reps` times over T steps (from the initial weights), for ours and
// for C (event_c's own repetitions); a round's value is the median of those.

const wanted = process.env.BENCH_CASES?.split(',');
const CASES = ALL_CASES.filter((c) => !wanted || wanted.includes(c.key));
const log = (...a) => console.log(...a);

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
/** Connection, structure tensors and per-step inputs on `backend` (created while it is active). */
async function setup(backend, wl) {
  await tf.setBackend(backend);
  await tf.ready();
  const { nPre, nPost, T } = wl;
  const conn = CSRConnection.fromCsr({ nPre, nPost, indptr: wl.indptr, indices: wl.indices, weights: wl.w0 });
  const slice = (a, t, n) => tf.tensor1d(Float32Array.from(a.subarray(t * n, (t + 1) * n)), 'float32');
  // Spikes as bool tensors: one byte per neuron, like the uint8 spike vectors the C and numpy peers scan.
  const spikes = (a, t, n) => tf.tensor1d(a.slice(t * n, (t + 1) * n), 'bool');
  const s = {
    backend, conn, pre: [], post: [], preTr: [], postTr: [],
    k: {
      ptr: tf.tensor1d(wl.indptr, 'int32'), idx: tf.tensor1d(wl.indices, 'int32'),
      cptr: tf.tensor1d(wl.csc.indptr, 'int32'), cidx: tf.tensor1d(wl.csc.rows, 'int32'), cslot: tf.tensor1d(wl.csc.slot, 'int32'),
      w: null,
    },
  };
  for (let t = 0; t < T; t++) {
    s.pre.push(spikes(wl.preSpikes, t, nPre));
    s.post.push(spikes(wl.postSpikes, t, nPost));
    s.preTr.push(slice(wl.preTr, t, nPre));
    s.postTr.push(slice(wl.postTr, t, nPost));
  }
  s.dispose = () => {
    conn.dispose();
    tf.dispose([...s.pre, ...s.post, ...s.preTr, ...s.postTr, ...Object.values(s.k).filter(Boolean)]);
  };
  return s;
}

/** One kernel over all T steps from the initial weights; returns seconds per step (reset untimed). */
function timeApi(s, wl, kernel) {
  const { conn, T } = { conn: s.conn, T: wl.T };
  if (kernel !== 'matvec') conn.setWeights(wl.w0);
  const t0 = now();
  if (kernel === 'matvec') {
    for (let t = 0; t < T; t++) conn.propagate(s.pre[t]).dispose();
  } else if (kernel === 'onpre') {
    for (let t = 0; t < T; t++) conn.onPre(s.pre[t], s.postTr[t], BOUNDS);
  } else {
    for (let t = 0; t < T; t++) conn.onPost(s.preTr[t], s.post[t], BOUNDS);
  }
  return (now() - t0) / 1000 / T;
}

function timeKernel(s, wl, kernel) {
  const k = s.k;
  const T = wl.T;
  const run = tf.engine().runKernel.bind(tf.engine());
  if (kernel !== 'matvec' || !k.w) {
    if (k.w) k.w.dispose();
    k.w = tf.tensor1d(wl.w0.slice(), 'float32'); // a copy: on cpu the tensor keeps the array and is updated in place
  }
  const t0 = now();
  if (kernel === 'matvec') {
    for (let t = 0; t < T; t++) run(EVENT_MATVEC, { ptr: k.ptr, idx: k.idx, weights: k.w, events: s.pre[t] }, { nCols: wl.nPost, mode: 'binary' }).dispose();
  } else if (kernel === 'onpre') {
    for (let t = 0; t < T; t++) {
      const next = run(ON_ROWS, { ptr: k.ptr, idx: k.idx, weights: k.w, active: s.pre[t], values: s.postTr[t] }, BOUNDS);
      k.w.dispose();
      k.w = next;
    }
  } else {
    for (let t = 0; t < T; t++) {
      const next = run(ON_ROWS, { ptr: k.cptr, idx: k.cidx, slot: k.cslot, weights: k.w, active: s.post[t], values: s.preTr[t] }, BOUNDS);
      k.w.dispose();
      k.w = next;
    }
  }
  return (now() - t0) / 1000 / T;
}

/** Results of one full run of each kernel through the public API and through runKernel. */
async function results(s, wl) {
  await tf.setBackend(s.backend);
  const T = wl.T;
  const out = {};
  s.conn.setWeights(wl.w0);
  const y = s.conn.propagate(s.pre[T - 1]);
  out.matvec = Float32Array.from(await y.data());
  y.dispose();
  timeApi(s, wl, 'onpre');
  out.onPre = await s.conn.getWeights();
  timeApi(s, wl, 'onpost');
  out.onPost = await s.conn.getWeights();
  timeKernel(s, wl, 'onpre');
  out.kOnPre = Float32Array.from(await s.k.w.data());
  timeKernel(s, wl, 'onpost');
  out.kOnPost = Float32Array.from(await s.k.w.data());
  return out;
}

function sameBits(a, b) {
  if (a.length !== b.length) return `length ${a.length} vs ${b.length}`;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return `first difference at ${i}: ${a[i]} vs ${b[i]}`;
  return null;
}

async function footprint(wl) {
  // Bytes per synapse of a CSR connection without its CSC view: tfjs tensor bytes (ptr, idx and
  // weights after one propagate; wasm heap) and the structure arrays it keeps on the JS heap (hostBytes).
  await tf.setBackend('wasm');
  const before = tf.memory().numBytes;
  const conn = CSRConnection.fromCsr({ nPre: wl.nPre, nPost: wl.nPost, indptr: wl.indptr, indices: wl.indices, weights: wl.w0 });
  const spikes = tf.tensor1d(Float32Array.from(wl.preSpikes.subarray(0, wl.nPre)));
  conn.propagate(spikes).dispose();
  spikes.dispose();
  const tensorBytes = tf.memory().numBytes - before;
  const hostBytes = conn.hostBytes;
  conn.onPost(tf.zeros([wl.nPre]), tf.zeros([wl.nPost]), BOUNDS);
  const withCsc = tf.memory().numBytes - before;
  conn.dispose();
  tf.disposeVariables();
  return { tensorBytes, withCsc, hostBytes };
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
  const st = {};
  for (const b of IMPLS) st[b] = await setup(b, wl);
  // correctness first: cpu results are the expected values; wasm must equal them bit for bit
  const res = {};
  for (const b of IMPLS) res[b] = await results(st[b], wl);
  const problems = [];
  for (const [k, v] of Object.entries(res.cpu)) {
    const d = sameBits(res.wasm[k], v);
    if (d) problems.push(`wasm ${k} != cpu ${k}: ${d}`);
  }
  for (const b of IMPLS) {
    for (const [k, ref] of [['kOnPre', 'onPre'], ['kOnPost', 'onPost']]) {
      const d = sameBits(res[b][k], res.cpu[ref]);
      if (d) problems.push(`${b} runKernel ${ref} != API ${ref}: ${d}`);
    }
  }
  if (problems.length) throw new Error(`${c.label}: results differ, not timing:\n${problems.join('\n')}`);
  log(`verified: wasm == cpu bit for bit (matvec, onPre and onPost after ${wl.T} steps, API and runKernel)`);
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
    for (const [suffix, fn] of [['', timeApi], [' (runKernel)', timeKernel]]) {
      if (fn === timeKernel && !KERNEL_LEVEL.includes(b)) continue;
      runners[`plasticity/${b}${suffix}`] = async () => {
        await tf.setBackend(b);
        const o = {};
        for (const k of KERNELS) o[k.key] = median(Array.from({ length: c.reps }, () => fn(st[b], wl, k.key)));
        return o;
      };
    }
  }
  log(`prepared in ${((now() - tc) / 1000).toFixed(1)} s; timing ${rounds} rounds (+1 warm-up) of ${Object.keys(runners).join(', ')}`);
  const t = await interleave(runners, { rounds, warmup: 1 });
  for (const b of IMPLS) st[b].dispose();

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
      const extra = { ...meta, usPerStep: +(ev / v * 1e6).toFixed(2) };
      if (!C.reason) cases.push(entry(name, impl, 'events_per_s', v, 'c-O3', cRate, extra));
      if (!NP.reason) cases.push(entry(name, impl, 'events_per_s', v, 'numpy', npRate, extra));
      summary.push({ name, impl, v, us: ev / v * 1e6, vsC: cRate ? v / cRate : null, vsNp: npRate ? v / npRate : null });
    }
    summary.push({ name, impl: 'c-O3', v: cRate, us: cRate ? ev / cRate * 1e6 : null });
    summary.push({ name, impl: 'numpy', v: npRate, us: npRate ? ev / npRate * 1e6 : null });
  }
  if (c.key === '1e7') {
    const f = await footprint(wl);
    const host = f.hostBytes / wl.nnz;
    cases.push(entry(`CSR footprint ${c.label}`, 'plasticity/wasm', 'bytes_per_synapse', +(f.tensorBytes / wl.nnz).toFixed(4), 'target', 8, {
      note: 'tfjs tensors of a CSRConnection without the CSC view (indptr + indices + weights); ' +
        `structure arrays kept on the JS heap besides (conn.hostBytes): ${host.toFixed(3)} B/synapse`,
      withCscView: +(f.withCsc / wl.nnz).toFixed(4), hostCopies: +host.toFixed(4),
    }));
    log(`CSR footprint: ${(f.tensorBytes / wl.nnz).toFixed(3)} B/synapse in tensors (with CSC view ${(f.withCsc / wl.nnz).toFixed(3)}), host copies ${host.toFixed(3)} B/synapse`);
  }
  rmSync(dir, { recursive: true, force: true });
  log(`${c.label}: ${((now() - tc) / 1000).toFixed(1)} s`);
}

const file = writeResults('sparse', cases, {
  description: 'CSR event kernels (issue 3): events/s, median over A B A B rounds; ratio = ours / baseline',
  peers: { c: C.reason ? { skipped: C.reason } : { compiler: C.version, flags: '-O3 -march=native' }, numpy: NP.reason ? { skipped: NP.reason } : { version: NP.version } },
});
const f = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));
log('\ncase                                               impl                          events/s    µs/step   vs C-O3  vs numpy');
for (const r of summary) {
  log(`${r.name.padEnd(50)} ${r.impl.padEnd(28)} ${r.v ? r.v.toExponential(2).padStart(9) : '  skipped'} ${f(r.us, 1).padStart(10)} ${f(r.vsC).padStart(9)} ${f(r.vsNp).padStart(9)}`);
}
log(`\nwrote ${path.relative(process.cwd(), file)} in ${((now() - t00) / 1000).toFixed(1)} s`);
process.exit(0);
