// `pnpm bench pdlf-pool`: the worker pool of @plasticity/pdlf against one worker. The same population
// of a CPU-bound fitness (lib/pdlf-fitness.mjs: a 32-unit tanh network rolled out for 1500 steps per
// solution) is evaluated by a pool of one worker thread and by a pool of one worker per core, A B A B,
// with the workers started before timing; the in-process evaluator (this thread) is timed beside them
// for the pool's overhead. Target: speed-up >= 0.85 × cores. Fitness values must be identical across
// the three before anything is timed.
// The load average before and after is recorded: on a machine shared with other work, the speed-up
// measures the cores the pool could get, not the cores it has.
// Env: BENCH_QUICK=1 shortens everything (smoke test only); BENCH_ROUNDS=n overrides the rounds.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRng } from '@plasticity/core';
import { createNodeWorkerPool } from '@plasticity/pdlf/node';
import { DIM, rollout } from './lib/pdlf-fitness.mjs';
import { entry, interleave, median, now, printTable, writeResults } from './lib/harness.mjs';

const QUICK = process.env.BENCH_QUICK === '1';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 7));
const POP = QUICK ? 32 : 128;
const STEPS = QUICK ? 200 : 1500;
const cores = os.availableParallelism();
const loadBefore = os.loadavg().map((x) => +x.toFixed(2));
const log = (...a) => console.log(...a);

const rng = createRng(42);
const population = Array.from({ length: POP }, () => rng.normal(DIM, 0, 0.2));
const fitness = { module: fileURLToPath(new URL('./lib/pdlf-fitness.mjs', import.meta.url)), exportName: 'rollout', data: { steps: STEPS } };

const one = createNodeWorkerPool({ fitness, size: 1 });
const all = createNodeWorkerPool({ fitness, size: cores });
const context = { data: { steps: STEPS } };
const inProcess = { evaluate: (xs) => Promise.resolve(Float64Array.from(xs, (x) => rollout(x, context))) };

try {
  let t = now();
  await one.start();
  const startOne = now() - t;
  t = now();
  await all.start();
  const startAll = now() - t;
  log(`${cores} cores, load before ${loadBefore.join('/')}; population ${POP} × dim ${DIM}, ${STEPS} steps per rollout`);
  log(`pool start: 1 worker ${startOne.toFixed(0)} ms, ${cores} workers ${startAll.toFixed(0)} ms`);

  // Correctness first: the same numbers from every evaluator.
  const a = await one.evaluate(population);
  const b = await all.evaluate(population);
  const c = await inProcess.evaluate(population);
  for (let i = 0; i < POP; i++) {
    if (!Object.is(a[i], b[i]) || !Object.is(a[i], c[i])) throw new Error(`fitness ${i} differs: ${a[i]} / ${b[i]} / ${c[i]}`);
  }

  // Wall time, and the CPU time the whole process (all its threads) got meanwhile: CPU/wall near the
  // number of workers means they ran side by side; near 1 with several workers means the machine had no
  // free core to give (other work), not that the pool serialised them.
  const cpuPerWall = {};
  const time = (evaluator, name) => async () => {
    const c0 = process.cpuUsage();
    const t0 = now();
    await evaluator.evaluate(population);
    const wall = (now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    (cpuPerWall[name] ??= []).push((cpu.user + cpu.system) / 1e6 / wall);
    return wall;
  };
  const r = await interleave({ 'in-process': time(inProcess, 'in-process'), '1 worker': time(one, '1 worker'), [`${cores} workers`]: time(all, `${cores} workers`) }, {
    rounds: ROUNDS, warmup: 1, onRound: (i) => i >= 0 && log(`round ${i + 1}/${ROUNDS}`),
  });
  const loadAfter = os.loadavg().map((x) => +x.toFixed(2));
  const rate = (name) => POP / r[name].median;
  const speedup = r['1 worker'].median / r[`${cores} workers`].median;
  const target = 0.85 * cores;
  const cpu = (name) => +median(cpuPerWall[name].slice(1)).toFixed(2); // the warm-up round dropped
  const note = `load ${loadBefore.join('/')} before, ${loadAfter.join('/')} after (shared machine)`;
  const cases = [
    entry(`pool of ${cores} workers (${cores} cores)`, 'plasticity/pdlf worker pool', 'evaluations_per_s', rate(`${cores} workers`), 'one worker', rate('1 worker'), {
      speedup: +speedup.toFixed(3), target: +target.toFixed(2), meetsTarget: speedup >= target, efficiency: +(speedup / cores).toFixed(3),
      cpuPerWall: { one: cpu('1 worker'), all: cpu(`${cores} workers`) },
      samplesS: { one: r['1 worker'].samples, all: r[`${cores} workers`].samples }, note,
    }),
    entry('pool of 1 worker', 'plasticity/pdlf worker pool', 'evaluations_per_s', rate('1 worker'), 'in-process', rate('in-process'), { note: 'messaging and copying overhead of the pool' }),
    entry('in-process', 'plasticity/pdlf InProcessEvaluator', 'evaluations_per_s', rate('in-process')),
  ];
  printTable(cases);
  log(`CPU seconds per wall second: in-process ${cpu('in-process')}, 1 worker ${cpu('1 worker')}, ${cores} workers ${cpu(`${cores} workers`)}`);
  log(`speed-up ${speedup.toFixed(2)}× on ${cores} cores (target ${target.toFixed(2)}×): ${speedup >= target ? 'met' : 'MISSED'}; ${note}`);
  const file = writeResults('pdlf-pool', cases, {
    workload: { population: POP, dim: DIM, steps: STEPS, rounds: ROUNDS, quick: QUICK },
    load: { before: loadBefore, after: loadAfter },
    poolStartMs: { one: +startOne.toFixed(1), all: +startAll.toFixed(1) },
  });
  log(`wrote ${file}`);
} finally {
  await one.close();
  await all.close();
}
