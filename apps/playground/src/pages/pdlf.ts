// PDLF (learning the plasticity): evolve the per-synapse coefficients of a plastic spiking policy with
// PGPE, live, in web workers (a WorkerPool of @plasticity/pdlf) or on this thread in small batches.
// 1. Working memory: the copying task (evaluateCopy), best/mean fitness per generation and the held-out
//    accuracy of the best genome (with the membrane-reset test at the end).
// 2. Reach and injury: a quickly evolved reach policy (evaluateReach, core/scp), then the reward per
//    step intact vs under a temporary injury (every weight zeroed on a window of steps).
import { HELD_OUT_DIRECTIONS, InProcessEvaluator, PGPE, WorkerPool, evaluateCopy, evaluateReach, reachReference, webWorkerFactory, type Evaluator } from '@plasticity/pdlf';
import type { JsonValue } from '@plasticity/core';
import workerUrl from '../pdlf-worker.ts?worker&url';
import { activeBackend } from '../backend.js';
import { evaluateJob, policyFor, type PdlfJob } from '../pdlf-fitness.js';
import type { PageModule } from '../page.js';
import { linePlot } from '../plots.js';
import { RunPanel, nextFrame, type Simulation } from '../runner.js';
import { controls, el, panel, readout } from '../ui.js';

const HELD_OUT = { sequences: 64, seed: 1_000_003 };
/** Genomes per batch on this thread, with a frame between batches (the page keeps painting). */
const MAIN_THREAD_BATCH = 4;

type Phase = 'copy' | 'reach' | 'injury' | 'done';

export const pdlfPage: PageModule = {
  id: 'pdlf',
  title: 'PDLF working memory & injury',
  blurb: 'Learning the plasticity (Shen et al. 2023): PGPE evolves the coefficients of the plasticity rule of every synapse of a spiking policy whose weights start at zero each episode (@plasticity/pdlf). Working memory: the copying task, held-out accuracy of the best genome (chance 0.5). Injury: a quickly evolved reach policy, reward per step intact and with every weight zeroed for a while; plasticity regrows the weights.',
  mount(root) {
    const params = controls({
      evaluateIn: { kind: 'choice', label: 'evaluate in', value: 'web workers', options: ['web workers', 'this thread'], title: 'web workers: a WorkerPool of module workers; this thread: small batches with a frame between them' },
      workers: { label: 'workers', value: Math.min(4, Math.max(1, navigator.hardwareConcurrency || 2)), min: 1, max: 32, step: 1 },
      hidden: { label: 'hidden neurons', value: 16, min: 2, max: 256, step: 1 },
      popSize: { label: 'population (even)', value: 32, min: 2, max: 1024, step: 2 },
      copyGenerations: { label: 'copy: generations', value: 100, min: 0, max: 10000, step: 1 },
      length: { label: 'copy: length', value: 4, min: 1, max: 32, step: 1 },
      latency: { label: 'copy: latency (steps)', value: 0, min: 0, max: 100, step: 1 },
      sequences: { label: 'copy: sequences / eval.', value: 4, min: 1, max: 64, step: 1 },
      reachGenerations: { label: 'reach: generations', value: 30, min: 0, max: 10000, step: 1 },
      reachSteps: { label: 'reach: steps', value: 100, min: 10, max: 2000, step: 10 },
      injuryFrom: { label: 'injury from step', value: 50, min: 0, max: 2000, step: 1 },
      injuryTo: { label: 'injury to step', value: 60, min: 0, max: 2000, step: 1 },
      seed: { label: 'seed', value: 42, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const copyPanel = panel('Copying task: fitness per generation', 'Fitness = accuracy + 0.05·margin on fresh sequences each generation; dots: accuracy of the best genome so far on 64 held-out sequences (chance 0.5).');
    const reachPanel = panel('Reach task: return per generation', 'Mean return over the eight training directions; the grey line is the best constant action.');
    const injuryPanel = panel('Temporary injury', 'Reward per step (mean over the eight directions) of the best reach genome, intact and with every weight set to zero on the shaded steps.');
    const info = readout();
    root.append(params.element, el('div', { class: 'run-panel-host' }), el('div', { class: 'panels' }, copyPanel.element, reachPanel.element, injuryPanel.element,
      el('section', { class: 'panel' }, el('h3', {}, 'Readout'), info.element)));
    const copyPlot = linePlot(copyPanel.body, { series: ['best', 'mean', 'held-out accuracy'], xLabel: 'generation', yLabel: 'fitness / accuracy', points: [false, false, true] });
    const reachPlot = linePlot(reachPanel.body, { series: ['best', 'mean', 'best constant action'], xLabel: 'generation', yLabel: 'return', colors: ['#2563eb', '#dc2626', '#9ca3af'], dashed: [false, false, true] });
    const injuryPlot = linePlot(injuryPanel.body, { series: ['intact', 'injured'], xLabel: 'step', yLabel: 'reward', colors: ['#2563eb', '#dc2626'] });

    let p = params.values();
    let phase: Phase = 'copy';
    let es: PGPE | null = null;
    let evaluator: Evaluator | null = null;
    let where = '';
    const copyCurve = { gen: [] as number[], best: [] as number[], mean: [] as number[], heldOut: [] as (number | null)[] };
    const reachCurve = { gen: [] as number[], best: [] as number[], mean: [] as number[] };
    let heldOut = NaN, heldOutReset = NaN;
    let bestCopy: Float32Array | null = null;
    let bestReach: Float32Array | null = null;
    let intact: Float64Array | null = null, injured: Float64Array | null = null;
    let evaluations = 0, evalMs = 0;
    let reference = NaN;
    let heldOutReturn = NaN;
    let total = 1, doneUnits = 0;

    const job = (task: 'copy' | 'reach'): PdlfJob => ({
      task, hidden: p.hidden, reachSteps: p.reachSteps, backend: activeBackend() === 'webgpu' ? 'wasm' : activeBackend(),
      copy: { length: p.length, latency: p.latency, stimulusSteps: 2, sequences: p.sequences },
    });

    function makeEvaluator(task: 'copy' | 'reach'): Evaluator {
      const j = job(task);
      if (p.evaluateIn === 'web workers') {
        where = `${p.workers} web worker${p.workers > 1 ? 's' : ''} (${j.backend})`;
        return new WorkerPool({ factory: webWorkerFactory(workerUrl), fitness: { module: 'playground:pdlf-fitness', exportName: 'fitness', batch: true, data: j as unknown as JsonValue }, size: p.workers, taskTimeoutMs: 120_000 });
      }
      where = `this thread (${activeBackend()}), batches of ${MAIN_THREAD_BATCH}`;
      return new InProcessEvaluator({
        batch: async (genomes, ctx) => {
          const out = new Float64Array(genomes.length);
          for (let k = 0; k < genomes.length; k += MAIN_THREAD_BATCH) {
            out.set(await evaluateJob(j, genomes.slice(k, k + MAIN_THREAD_BATCH), ctx.generation), k);
            await nextFrame();
          }
          return out;
        },
      });
    }

    async function startPhase(next: Phase): Promise<void> {
      await evaluator?.close();
      evaluator = null;
      es = null;
      phase = next;
      if (next === 'copy' || next === 'reach') {
        const dim = policyFor({ task: next, hidden: p.hidden }).dim;
        es = new PGPE({ dim, seed: p.seed + (next === 'reach' ? 1 : 0), popSize: p.popSize });
        evaluator = makeEvaluator(next);
      }
    }

    /** One generation: ask, evaluate (workers or batches), tell. */
    async function generation(): Promise<{ best: number; mean: number }> {
      const xs = es!.ask();
      const t0 = performance.now();
      const f = await evaluator!.evaluate(xs, { generation: es!.generation });
      evalMs += performance.now() - t0;
      evaluations += xs.length;
      const r = es!.tell(f);
      return { best: r.bestFitness, mean: r.meanFitness };
    }

    const copyPolicy = () => policyFor({ task: 'copy', hidden: p.hidden });
    const reachPolicy = () => policyFor({ task: 'reach', hidden: p.hidden });

    const sim: Simulation = {
      async setup() {
        p = params.values();
        if (p.popSize % 2) throw new Error('the population must be even (PGPE samples antithetic pairs)');
        if (p.injuryTo <= p.injuryFrom || p.injuryTo > p.reachSteps) throw new Error(`the injury window [${p.injuryFrom}, ${p.injuryTo}) must lie inside the episode of ${p.reachSteps} steps`);
        for (const c of [copyCurve, reachCurve]) for (const a of Object.values(c)) a.length = 0;
        heldOut = heldOutReset = heldOutReturn = NaN;
        bestCopy = bestReach = null;
        intact = injured = null;
        evaluations = evalMs = 0;
        reference = reachReference({ steps: p.reachSteps });
        total = p.copyGenerations + p.reachGenerations + 1;
        doneUnits = 0;
        injuryPlot.setMarks([{ x: p.injuryFrom, x2: p.injuryTo, label: 'injury' }]);
        await startPhase(p.copyGenerations > 0 ? 'copy' : p.reachGenerations > 0 ? 'reach' : 'injury');
        root.dataset.phase = phase;
      },
      async advance() {
        if (phase === 'copy') {
          const r = await generation();
          copyCurve.gen.push(es!.generation);
          copyCurve.best.push(r.best);
          copyCurve.mean.push(r.mean);
          const last = es!.generation === p.copyGenerations;
          // held-out accuracy of the best genome so far: every 5 generations and at the end
          if (es!.generation % 5 === 0 || last) {
            bestCopy = Float32Array.from(es!.best!.solution);
            const test = { ...job('copy').copy, sequences: HELD_OUT.sequences };
            heldOut = (await evaluateCopy(copyPolicy(), [bestCopy], test, { seed: HELD_OUT.seed })).accuracy[0]!;
            copyCurve.heldOut.push(heldOut);
            if (last) heldOutReset = (await evaluateCopy(copyPolicy(), [bestCopy], test, { seed: HELD_OUT.seed, resetMembrane: true })).accuracy[0]!;
          } else copyCurve.heldOut.push(null);
          if (last) await startPhase(p.reachGenerations > 0 ? 'reach' : 'injury');
        } else if (phase === 'reach') {
          const r = await generation();
          reachCurve.gen.push(es!.generation);
          reachCurve.best.push(r.best);
          reachCurve.mean.push(r.mean);
          if (es!.generation === p.reachGenerations) {
            bestReach = Float32Array.from(es!.best!.solution);
            await startPhase('injury');
          }
        } else if (phase === 'injury') {
          // without a reach search, the injury panel shows an unevolved genome (zeros: no plasticity at all)
          const genome = bestReach ?? new Float32Array(reachPolicy().dim);
          const task = { steps: p.reachSteps };
          intact = (await evaluateReach(reachPolicy(), [genome], task, { recordRewards: true })).rewards!;
          await nextFrame();
          injured = (await evaluateReach(reachPolicy(), [genome], task, { recordRewards: true, injury: { kind: 'temporary', from: p.injuryFrom, to: p.injuryTo } })).rewards!;
          if (bestReach) heldOutReturn = (await evaluateReach(reachPolicy(), [bestReach], { ...task, directions: HELD_OUT_DIRECTIONS })).fitness[0]!;
          phase = 'done';
        }
        doneUnits = copyCurve.gen.length + reachCurve.gen.length + (phase === 'done' ? 1 : 0);
        root.dataset.phase = phase;
        return phase === 'done' ? 1 : Math.min(0.999, doneUnits / total);
      },
      draw() {
        copyPlot.setData(copyCurve.gen, copyCurve.best, copyCurve.mean, copyCurve.heldOut);
        reachPlot.setData(reachCurve.gen, reachCurve.best, reachCurve.mean, reachCurve.gen.map(() => reference));
        if (intact && injured) injuryPlot.setData(Array.from(intact, (_, t) => t), intact, injured);
        const sum = (a: Float64Array | null, from = 0, to = Infinity) => (a ? a.slice(from, Math.min(to, a.length)).reduce((s, v) => s + v, 0) : NaN);
        info.set('phase', { copy: 'evolving the copying task', reach: 'evolving the reach task', injury: 'injury test', done: 'done' }[phase]);
        info.set('evaluated in', where || '–');
        info.set('evaluations', `${evaluations.toLocaleString('en')} (${(evaluations / Math.max(evalMs / 1000, 1e-3)).toFixed(0)} genomes/s)`);
        if (copyCurve.gen.length) {
          info.set('copy: best / mean fitness (last gen.)', `${copyCurve.best.at(-1)!.toFixed(3)} / ${copyCurve.mean.at(-1)!.toFixed(3)}`);
          info.set('copy: held-out accuracy', Number.isFinite(heldOut) ? `${heldOut.toFixed(3)} (chance 0.5)` : '–');
          info.set('copy: membranes reset after the delay', Number.isFinite(heldOutReset) ? heldOutReset.toFixed(3) : '–');
        }
        if (reachCurve.gen.length) info.set('reach: best return', `${Math.max(...reachCurve.best).toFixed(2)} (best constant action ${reference.toFixed(2)})`);
        if (Number.isFinite(heldOutReturn)) info.set('reach: return on held-out directions', heldOutReturn.toFixed(2));
        if (intact && injured) {
          info.set('reach: return intact / injured', `${sum(intact).toFixed(2)} / ${sum(injured).toFixed(2)}`);
          info.set('reward after the injury (intact / injured)', `${sum(intact, p.injuryTo).toFixed(2)} / ${sum(injured, p.injuryTo).toFixed(2)}`);
          root.dataset.returnIntact = String(sum(intact));
          root.dataset.returnInjured = String(sum(injured));
        }
        root.dataset.heldOut = String(heldOut);
        root.dataset.bestFitness = copyCurve.best.map((v) => v.toFixed(4)).join(',');
        root.dataset.reachBest = reachCurve.best.map((v) => v.toFixed(3)).join(',');
        runner.say(phase === 'copy' || phase === 'reach' ? `${phase}: generation ${es?.generation ?? 0} of ${phase === 'copy' ? p.copyGenerations : p.reachGenerations}` : phase);
      },
      teardown() {
        void evaluator?.close();
        evaluator = null;
        es = null;
      },
    };
    const runner = new RunPanel(sim, root);
    root.querySelector('.run-panel-host')!.replaceWith(runner.element);
    return {
      async dispose() {
        await runner.dispose();
        await evaluator?.close();
        copyPlot.destroy();
        reachPlot.destroy();
        injuryPlot.destroy();
      },
    };
  },
};
