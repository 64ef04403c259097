// Shared benchmark helpers: timing (median of repetitions, A B A B interleaving), machine
// description, peers run as child processes, and results in the DESIGN.md §5 format.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** Scratch for dumped workloads and compiled peers (gitignored). */
export const WORK_DIR = path.join(BENCH_DIR, '.peers');

export const now = () => performance.now();

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return NaN;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/**
 * Runs every entry of `runners` ({ name: () => seconds | Promise<seconds> }) once per round, in
 * order A B C A B C …, for `rounds` rounds after `warmup` unrecorded rounds. Returns
 * { name: { median, min, samples } }. A runner may return null (nothing measured this round) or an
 * object of several measurements ({ k: seconds } is recorded as `name.k`).
 */
export async function interleave(runners, { rounds, warmup = 1, onRound } = {}) {
  const samples = Object.fromEntries(Object.keys(runners).map((k) => [k, []]));
  for (let r = -warmup; r < rounds; r++) {
    for (const [name, fn] of Object.entries(runners)) {
      const t = await fn(r);
      if (r < 0 || t === null || t === undefined) continue;
      if (typeof t === 'number') samples[name].push(t);
      else for (const [k, v] of Object.entries(t)) (samples[`${name}.${k}`] ??= []).push(v);
    }
    onRound?.(r);
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { median: median(v), min: Math.min(...v), samples: v }]));
}

function tryExec(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return null;
  }
}

/** One line describing the machine, plus details for the JSON. */
export function machine() {
  const cpus = os.cpus();
  const gcc = tryExec('gcc', ['-dumpfullversion']);
  const numpy = tryExec('/usr/bin/python3', ['-c', 'import numpy; print(numpy.__version__)']);
  const details = {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    gcc,
    numpy,
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  };
  const line = `${details.cpu}, ${details.cores} cores, ${details.memGiB} GiB, ${details.platform}, node ${details.node}` +
    `${gcc ? `, gcc ${gcc}` : ''}${numpy ? `, numpy ${numpy}` : ''}, load ${details.loadavg.join('/')}`;
  return { line, details };
}

/** Runs a child process; returns { ok, stdout, stderr, seconds }. */
export function runChild(cmd, args, options = {}) {
  const t0 = now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  return {
    ok: r.status === 0,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''),
    seconds: (now() - t0) / 1000,
  };
}

/** A measured entry: ours (with a baseline) or a peer's own value. */
export function entry(caseName, impl, metric, value, baseline, baselineValue, extra = {}) {
  const e = { case: caseName, impl, metric, value };
  if (baseline !== undefined) {
    e.baseline = baseline;
    e.baselineValue = baselineValue ?? null;
    e.ratio = baselineValue ? +(value / baselineValue).toFixed(3) : null;
  }
  return Object.assign(e, extra);
}

/** A case that could not run here, with the reason (never silently dropped). */
export function skipped(caseName, impl, metric, reason) {
  return { case: caseName, impl, metric, value: null, skipped: true, reason };
}

/** Writes bench/results/<name>.json in the DESIGN.md §5 format; returns its path. */
export function writeResults(name, cases, extra = {}) {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const m = machine();
  const file = path.join(RESULTS_DIR, `${name}.json`);
  const doc = { name, machine: m.line, machineDetails: m.details, date: new Date().toISOString(), ...extra, cases };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  return file;
}

const fmt = (x) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-2 && x !== 0) ? x.toExponential(2) : String(+x.toFixed(3)));

/** Prints the cases as an aligned table. */
export function printTable(cases) {
  const rows = [['case', 'impl', 'metric', 'value', 'baseline', 'baseline value', 'ratio', 'note']];
  for (const c of cases) {
    rows.push([c.case, c.impl, c.metric, c.skipped ? 'skipped' : fmt(c.value), c.baseline ?? '', c.baseline ? fmt(c.baselineValue) : '',
      c.baseline ? fmt(c.ratio) : '', c.skipped ? c.reason : (c.note ?? '')]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  for (const [k, r] of rows.entries()) {
    console.log(r.map((x, i) => String(x).padEnd(widths[i])).join('  ').trimEnd());
    if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
