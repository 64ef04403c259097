// `pnpm bench bio`: the cost of each @plasticity/bio transform per training step, relative to the plain
// optimizer step (Adam), on a 1024×1024 dense layer and on a 10^6-synapse CSR connection, on the wasm
// backend (the fastest Node backend here for these ops). Each variant is a BioTrainer over the same
// weights and loss; variants run interleaved (A B C … A B C …), several steps per sample, median of the
// rounds; the ratio of each round to the plain step of the same round gives the range, and the ratio of the
// minimum times the least disturbed estimate. The transforms run their host kernels (typed-array passes on
// the wasm memory); 'all, tfjs ops' is every transform in the tensor form (setHostKernels('off')), in the
// same rounds. Also the memory the transforms add per synapse
// (tf.memory bytes after one step, minus the plain step's). `node bench/bio.mjs --table --write` writes the
// README table from bench/results/bio.json.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR, entry, interleave, machine, now, printTable, RESULTS_DIR, writeResults } from './lib/harness.mjs';

const VARIANTS = {
  'volume-lr': ['bio/volume-lr'],
  'fuzzy-lr': ['bio/fuzzy-lr'],
  crystallize: ['bio/crystallize'],
  rejuvenate: ['bio/rejuvenate'],
  dale: ['bio/dale'],
  'synaptic-scaling': ['bio/synaptic-scaling'],
  all: ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/synaptic-scaling', 'bio/rejuvenate', 'bio/dale'],
  'all, tfjs ops': ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/synaptic-scaling', 'bio/rejuvenate', 'bio/dale'],
};
/** Variants that run the transforms in the tensor form (host kernels off). */
const TENSOR_FORM = new Set(['all, tfjs ops']);

async function run() {
  const tf = await import('@tensorflow/tfjs-core');
  const { initBackend, createRng } = await import('@plasticity/core');
  const { CSRConnection } = await import('@plasticity/sparse');
  const { BioTrainer, setHostKernels } = await import('../packages/bio/dist/index.js');
  const loadStart = machine().details.loadavg;
  const backend = await initBackend('wasm', { strict: true });
  const rounds = Number(process.env.BIO_ROUNDS ?? 9);
  const stepsPer = Number(process.env.BIO_STEPS ?? 4);
  const cases = [];
  const workloads = {
    'dense 1024x1024': () => {
      const w = tf.variable(tf.tensor2d(createRng(1).normal([1024, 1024], 0, 0.03), [1024, 1024]));
      const x = tf.tensor2d(createRng(2).normal([32, 1024]), [32, 1024]);
      return { nnz: 1024 * 1024, target: { w }, loss: () => tf.mean(tf.square(tf.matMul(x, w))), dispose: () => tf.dispose([w, x]) };
    },
    'CSR 1e6 syn': () => {
      const conn = CSRConnection.random({ nPre: 10000, nPost: 10000, p: 0.01, seed: 3, init: { dist: 'normal', mean: 0, std: 0.1 } });
      const x = tf.tensor2d(createRng(4).normal([8, 10000]), [8, 10000]);
      return { nnz: conn.nnz, target: { c: conn }, loss: () => tf.mean(tf.square(conn.propagate(x, { mode: 'float' }))), dispose: () => { x.dispose(); conn.dispose(); } };
    },
  };
  for (const [wname, make] of Object.entries(workloads)) {
    const wl = make();
    const trainers = {};
    const bytes = {};
    { // one throwaway step first, so that caches the connection builds on first use (views for the
      // gradient) are not counted against the first variant
      const vars = Object.values(wl.target).map((v) => (v instanceof tf.Variable ? v : v.makeTrainable()));
      tf.tidy(() => { const { value, grads } = tf.variableGrads(wl.loss, vars); tf.dispose(Object.values(grads)); return value; }).dispose();
    }
    for (const [name, transforms] of [['plain', []], ...Object.entries(VARIANTS)]) {
      const before = tf.memory().numBytes;
      const optimizer = tf.train.adam(1e-3);
      let step;
      if (name === 'plain') {
        const vars = Object.values(wl.target).map((v) => (v instanceof tf.Variable ? v : v.makeTrainable()));
        step = () => tf.tidy(() => { const { value, grads } = tf.variableGrads(wl.loss, vars); optimizer.applyGradients(grads); return value; });
        trainers[name] = { step, dispose: () => optimizer.dispose() };
      } else {
        const t = new BioTrainer({ target: wl.target, transforms: transforms.map((n) => (n === 'bio/dale' ? { transform: n, params: { initialize: false } } : n)), optimizer, seed: 1 });
        const stepWith = () => t.stepWith(wl.loss);
        const tensorForm = () => { const prev = setHostKernels('off'); try { return stepWith(); } finally { setHostKernels(prev); } };
        trainers[name] = { step: TENSOR_FORM.has(name) ? tensorForm : stepWith, dispose: () => { t.dispose(); optimizer.dispose(); } };
      }
      trainers[name].step().dispose();
      bytes[name] = tf.memory().numBytes - before;
    }
    // each sample: wall-clock seconds per step and this process's CPU seconds per step (user + system; the
    // wasm backend runs on this thread), the second much less disturbed by other jobs on a shared machine
    const runners = Object.fromEntries(Object.entries(trainers).map(([name, t]) => [name, async () => {
      const c0 = process.cpuUsage();
      const t0 = now();
      for (let s = 0; s < stepsPer; s++) t.step().dispose();
      await tf.ready();
      const c = process.cpuUsage(c0);
      return { wall: (now() - t0) / 1000 / stepsPer, cpu: (c.user + c.system) / 1e6 / stepsPer };
    }]));
    const res = await interleave(runners, { rounds, warmup: 1 });
    const plain = res['plain.wall'].median;
    const plainCpu = res['plain.cpu'].median;
    const plainMin = res['plain.wall'].min;
    cases.push(entry(wname, `plain adam (${backend})`, 'ms_per_step', +(plain * 1000).toFixed(3), undefined, undefined, { cpuMs: +(plainCpu * 1000).toFixed(3), min: +(plainMin * 1000).toFixed(3) }));
    for (const name of Object.keys(VARIANTS)) {
      // per round: this variant's time over the plain step's time in the same round
      const ratios = (k) => res[`${name}.${k}`].samples.map((v, i) => v / res[`plain.${k}`].samples[i]);
      const r = ratios('wall'), rc = ratios('cpu');
      const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const n = s.length; return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2; };
      cases.push(entry(wname, `${name} (${backend})`, 'ms_per_step', +(res[`${name}.wall`].median * 1000).toFixed(3), 'plain adam', +(plain * 1000).toFixed(3),
        { bytesPerSynapse: +((bytes[name] - bytes.plain) / wl.nnz).toFixed(3), min: +(res[`${name}.wall`].min * 1000).toFixed(3),
          // the ratio of the minimum times: the least disturbed sample of each, steadier when other jobs share the machine
          minRatio: +(res[`${name}.wall`].min / plainMin).toFixed(3),
          ratioMin: +Math.min(...r).toFixed(3), ratioMax: +Math.max(...r).toFixed(3),
          cpuMs: +(res[`${name}.cpu`].median * 1000).toFixed(3), cpuRatio: +med(rc).toFixed(3), cpuRatioMin: +Math.min(...rc).toFixed(3), cpuRatioMax: +Math.max(...rc).toFixed(3) }));
    }
    for (const t of Object.values(trainers)) t.dispose();
    wl.dispose();
    console.log(`${wname} done`);
  }
  // every run's ratios are appended to `history` (the README's ranges over runs) until BIO_HISTORY=reset
  let previous = null;
  try {
    previous = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'bio.json'), 'utf8'));
  } catch { /* first run */ }
  const history = process.env.BIO_HISTORY === 'reset' ? [] : previous?.history ?? [];
  history.push({ date: new Date().toISOString(), load: machine().details.loadavg,
    ratios: Object.fromEntries(cases.filter((c) => c.ratio).map((c) => [`${c.case}|${c.impl}`, c.ratio])),
    minRatios: Object.fromEntries(cases.filter((c) => c.minRatio).map((c) => [`${c.case}|${c.impl}`, c.minRatio])) });
  const file = writeResults('bio', cases, { backend, rounds, stepsPerSample: stepsPer, loadavgStart: loadStart, history });
  printTable(cases);
  console.log(`wrote ${path.relative(BENCH_DIR, file)}`);
}

function table() {
  const doc = JSON.parse(readFileSync(path.join(RESULTS_DIR, 'bio.json'), 'utf8'));
  const d = doc.machineDetails;
  const load = `${doc.loadavgStart ? `${doc.loadavgStart.join(' / ')} at the start and ` : ''}${d.loadavg.join(' / ')} at the end of the run`;
  const out = [`Generated by \`node bench/bio.mjs --table --write\` from \`bench/results/bio.json\` (${doc.date.slice(0, 10)}, ${doc.machine.split(', linux')[0]}, load average ${load}; ${doc.backend} backend, median of ${doc.rounds} rounds of ${doc.stepsPerSample} steps, variants interleaved in one process; Adam, ratio to the plain Adam step in the same run, and in brackets the range of the per-round ratios${doc.cases.some((c) => c.cpuRatio !== undefined) ? '; CPU: the same ratio of this process\'s CPU time (user + system) per step, median and range over the rounds' : ''}).`, ''];
  const workloads = [...new Set(doc.cases.map((c) => c.case))];
  const hasCpu = doc.cases.some((c) => c.cpuRatio !== undefined);
  const hasMin = doc.cases.some((c) => c.minRatio !== undefined);
  out.push(`| transform | ${workloads.map((w) => `${w}: ms/step (× plain)${hasMin ? ` | ${w}: min ms (× plain's min)` : ''}${hasCpu ? ` | ${w}: CPU × plain` : ''}`).join(' | ')} | ${workloads.map((w) => `${w}: bytes/synapse added`).join(' | ')} |`);
  out.push(`|---|${workloads.map(() => ['---', ...(hasMin ? ['---'] : []), ...(hasCpu ? ['---'] : [])].join('|')).join('|')}|${workloads.map(() => '---').join('|')}|`);
  const names = ['plain adam', ...Object.keys(VARIANTS)];
  for (const n of names) {
    const cs = workloads.map((w) => doc.cases.find((c) => c.case === w && c.impl.startsWith(`${n} (`)));
    const wall = (c) => (c.ratio ? `${c.value} (${c.ratio}×${c.ratioMin !== undefined ? ` [${c.ratioMin}–${c.ratioMax}]` : ''})` : `${c.value}`);
    const cpu = (c) => (c.cpuRatio !== undefined ? `${c.cpuRatio}× [${c.cpuRatioMin}–${c.cpuRatioMax}]` : c.cpuMs !== undefined ? `${c.cpuMs} ms` : '–');
    const mins = (c) => (c.minRatio !== undefined ? `${c.min} (${c.minRatio}×)` : c.min !== undefined ? `${c.min}` : '–');
    out.push(`| ${n} | ${cs.map((c) => [wall(c), ...(hasMin ? [mins(c)] : []), ...(hasCpu ? [cpu(c)] : [])].join(' | ')).join(' | ')} | ${cs.map((c) => (c.bytesPerSynapse ?? '–')).join(' | ')} |`);
  }
  const history = doc.history ?? [];
  if (history.length > 1) {
    out.push('', `All transforms together over the ${history.length} runs since ${history[0].date.slice(0, 10)} (ratio to the plain step: median of the runs, range):`);
    const summary = (xs) => {
      const s = [...xs].sort((a, b) => a - b);
      const mid = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
      return `${+mid.toFixed(3)}× (${s[0]}–${s.at(-1)}×)`;
    };
    for (const w of workloads) {
      const key = `${w}|all (${doc.backend})`;
      const xs = history.map((h) => h.ratios[key]).filter((x) => x !== undefined);
      const ms = history.map((h) => h.minRatios?.[key]).filter((x) => x !== undefined);
      out.push(`- ${w}: ${summary(xs)} over ${xs.length} runs${ms.length ? `; ratio of the minimum times ${summary(ms)} over ${ms.length} runs` : ''}`);
    }
  }
  return out.join('\n');
}

if (process.argv.includes('--table')) {
  const text = table();
  if (process.argv.includes('--write')) {
    const file = path.join(BENCH_DIR, '..', 'packages', 'bio', 'README.md');
    const src = readFileSync(file, 'utf8');
    const START = '<!-- bio-bench:start -->', END = '<!-- bio-bench:end -->';
    const a = src.indexOf(START), b = src.indexOf(END);
    if (a < 0 || b < 0) throw new Error(`markers ${START} … ${END} not found in ${file}`);
    writeFileSync(file, `${src.slice(0, a + START.length)}\n${text}\n${src.slice(b)}`);
    console.log(`wrote the table into ${path.relative(process.cwd(), file)}`);
  } else console.log(text);
} else {
  console.log(machine().line);
  await run();
}
