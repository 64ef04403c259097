// SPN forecasting: the package's series with a change point (the blog's noisy sine whose pattern
// changes, or a load curve whose level shifts), forecast one step ahead by a SynapticPlasticityNetwork
// (@plasticity/spn) trained live. Online: predict x(t+1), then
// learn from it, one step at a time through the series (adaptation through the change point); epochs:
// the blog's training (batches of 32 in order, memory reset each epoch), the whole series predicted
// after every epoch. Plasticity can be switched on and off during the run.
import * as tf from '@tensorflow/tfjs-core';
import { SynapticPlasticityNetwork, loadCurve, sineRegime, type SpnMode } from '@plasticity/spn';
import type { PageModule } from '../page.js';
import { linePlot, type XMark } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel, readout } from '../ui.js';

/** Online steps per chunk (one trainStep each, ~2–6 ms). */
const ONLINE_CHUNK = 25;
const ROLLING = 25;

/** MSE of the predictions of targets before and after the change point (target index t + 1). */
function splitMse(pred: ArrayLike<number>, target: ArrayLike<number>, n: number, changePoint: number): { before: number; after: number } {
  let sb = 0, nb = 0, sa = 0, na = 0;
  for (let i = 0; i < n; i++) {
    const e = (pred[i]! - target[i]!) ** 2;
    if (i + 1 < changePoint) { sb += e; nb++; } else { sa += e; na++; }
  }
  return { before: nb ? sb / nb : NaN, after: na ? sa / na : NaN };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : '–');

export const spnForecastPage: PageModule = {
  id: 'spn-forecast',
  title: 'SPN forecasting',
  blurb: 'One-step-ahead forecasting of a series with a change point — the blog\'s noisy sine, whose pattern changes, or a daily load curve whose level jumps (@plasticity/spn\'s generators) — by a Synaptic Plasticity Network trained live: online (predict x(t+1), then learn from it, step by step through the change) or in the blog\'s epochs. Plasticity can be switched off and on during the run.',
  mount(root) {
    const params = controls({
      series: { kind: 'choice', label: 'series', value: 'sine', options: ['sine', 'load curve'], title: 'sine: sin(0.1t) + noise, plus 0.5·sin(0.2t) from the change point; load curve: a 24-step daily cycle with AR(1) noise whose level jumps by 1' },
      training: { kind: 'choice', label: 'training', value: 'online', options: ['online', 'epochs'], title: 'online: predict, then learn, one step at a time; epochs: the blog\'s batches of 32 in order, whole series predicted after each epoch' },
      mode: { kind: 'choice', label: 'SPN mode', value: 'plastic', options: ['faithful', 'plastic'], title: 'faithful: the blog\'s model; plastic: time axis, registry rule (core/oja)' },
      hidden: { label: 'hidden units', value: 32, min: 2, max: 512, step: 1 },
      learningRate: { label: 'Adam lr', value: 0.001, min: 1e-5, max: 0.1, step: 0.0005 },
      epochs: { label: 'epochs (epochs mode)', value: 30, min: 1, max: 500, step: 1 },
      length: { label: 'series length', value: 1000, min: 50, max: 20000, step: 10 },
      changePoint: { label: 'change point', value: 500, min: 1, max: 20000, step: 10 },
      noise: { label: 'noise sd / σ', value: 0.1, min: 0, max: 2, step: 0.01, title: 'sine: sd of the i.i.d. noise; load curve: σ of the AR(1) noise (φ 0.6)' },
      seed: { label: 'seed', value: 0, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const plasticityBox = el('input', { type: 'checkbox', name: 'plasticity' });
    plasticityBox.checked = true;
    const toggle = el('label', { class: 'toggle', title: 'Applies from the next step (online) or epoch; the switch is marked on the plots.' }, plasticityBox, ' plasticity on');
    const forecast = panel('Truth and one-step prediction', 'Dashed line: the change point. Online: each prediction is made before the network learns from that target.');
    const errors = panel('Squared error', `Rolling mean over ${ROLLING} steps of the latest predictions; the persistence forecast x̂(t+1) = x(t) for reference.`);
    const curve = panel('MSE before / after the change point', 'Online: running MSE as the stream passes; epochs: after each epoch.');
    const info = readout();
    root.append(params.element, toggle, el('div', { class: 'run-panel-host' }), el('div', { class: 'panels' }, forecast.element, errors.element, curve.element,
      el('section', { class: 'panel' }, el('h3', {}, 'Readout'), info.element)));

    let p = params.values();
    let marks: XMark[] = [];
    const forecastPlot = linePlot(forecast.body, { series: ['truth x(t+1)', 'SPN prediction'], xLabel: 't', yLabel: 'x', colors: ['#9ca3af', '#2563eb'], height: 240 });
    const errorPlot = linePlot(errors.body, { series: ['SPN', 'persistence'], xLabel: 't', yLabel: 'squared error', colors: ['#2563eb', '#d97706'], fromZero: false });
    const curvePlot = linePlot(curve.body, { series: ['before', 'after'], xLabel: 'step / epoch', yLabel: 'MSE', colors: ['#059669', '#dc2626'] });

    let net: SynapticPlasticityNetwork | null = null;
    let series: Float32Array = new Float32Array(0);
    let pred: Float32Array = new Float32Array(0);
    let done = 0; // online: steps taken; epochs: epochs done
    let n = 0;
    let wall = 0;
    let plasticityAt: { at: number; on: boolean }[] = [];
    const curveX: number[] = [];
    const curveBefore: number[] = [];
    const curveAfter: number[] = [];
    let lastLoss = NaN;

    const plastic = () => plasticityBox.checked;
    plasticityBox.onchange = () => {
      info.set('plasticity', `${plastic() ? 'on' : 'off'}${plasticityAt.length ? ` (switched ${plasticityAt.length}×)` : ''}`);
      // a switch applies to the rest of a run: none before it is built or after it ended
      if (!net || done >= (p.training === 'online' ? n : p.epochs)) return;
      plasticityAt.push({ at: done, on: plastic() });
      info.set('plasticity', `${plastic() ? 'on' : 'off'} (switched ${plasticityAt.length}×)`);
      marks = buildMarks();
      forecastPlot.setMarks(marks);
      errorPlot.setMarks(marks);
    };
    const buildMarks = (): XMark[] => [
      { x: p.changePoint, label: 'change point' },
      ...(p.training === 'online' ? plasticityAt.map((s) => ({ x: s.at, label: `plasticity ${s.on ? 'on' : 'off'}` })) : []),
    ];

    const input = (from: number, count: number, shift: number) => {
      const data = Array.from(series.subarray(from + shift, from + shift + count));
      return p.mode === 'faithful' ? { data, shape: [count, 1] } : { data, shape: [count, 1, 1] };
    };

    const sim: Simulation = {
      async setup() {
        p = params.values();
        if (p.changePoint >= p.length) throw new Error(`the change point (${p.changePoint}) must lie inside the series (length ${p.length})`);
        // one point more than the targets: x(t) → x(t+1) for t < length
        series = p.series === 'sine'
          ? sineRegime(p.seed, { length: p.length + 1, changePoint: p.changePoint, noise: p.noise })
          : loadCurve(p.seed, { length: p.length + 1, changePoint: p.changePoint, sigma: p.noise });
        n = p.length;
        pred = new Float32Array(n).fill(NaN);
        net = new SynapticPlasticityNetwork({ mode: p.mode as SpnMode, inputDim: 1, hiddenDim: p.hidden, outputDim: 1, seed: p.seed });
        done = 0;
        wall = 0;
        lastLoss = NaN;
        plasticityAt = [];
        curveX.length = curveBefore.length = curveAfter.length = 0;
        marks = buildMarks();
        forecastPlot.setMarks(marks);
        errorPlot.setMarks(marks);
        root.dataset.mseBefore = root.dataset.mseAfter = '';
      },
      async advance() {
        const t0 = performance.now();
        if (p.training === 'online') {
          const end = Math.min(n, done + ONLINE_CHUNK);
          const outs: tf.Tensor[] = [];
          const losses: tf.Scalar[] = [];
          for (let t = done; t < end; t++) {
            // the target of step t is x(t+1): the prediction is made before the weights learn from it
            const r = net!.trainStep(input(t, 1, 0), input(t, 1, 1), { plasticity: plastic(), learningRate: p.learningRate });
            outs.push(r.output);
            losses.push(r.loss);
          }
          // one readback per chunk (a readback per step stalls a GPU backend)
          const all = tf.tidy(() => tf.concat([...outs.map((o) => tf.reshape(o, [-1])), tf.reshape(tf.mean(tf.stack(losses)), [1])]));
          const values = (await all.data()) as Float32Array;
          pred.set(values.subarray(0, end - done), done);
          lastLoss = values[end - done]!;
          tf.dispose([all, ...outs, ...losses]);
          done = end;
          const m = splitMse(pred, series.subarray(1), done, p.changePoint);
          curveX.push(done);
          curveBefore.push(m.before);
          curveAfter.push(done + 1 > p.changePoint ? m.after : NaN);
          wall += performance.now() - t0;
          return done / n;
        }
        // epochs: the blog's order (no shuffling, memory reset each epoch), then the whole series predicted after a reset
        const history = await net!.fit(input(0, n, 0), input(0, n, 1), { epochs: 1, batchSize: 32, learningRate: p.learningRate, plasticity: plastic(), shuffle: false, epochReset: 'memory' });
        lastLoss = history.loss[history.loss.length - 1]!;
        net!.resetMemory();
        const out = await net!.predict(input(0, n, 0), { batchSize: 32 });
        pred.set(await out.data() as Float32Array);
        out.dispose();
        done++;
        const m = splitMse(pred, series.subarray(1), n, p.changePoint);
        curveX.push(done);
        curveBefore.push(m.before);
        curveAfter.push(m.after);
        wall += performance.now() - t0;
        return done / p.epochs;
      },
      draw() {
        if (!net) return;
        const t = Float64Array.from({ length: n }, (_, i) => i + 1);
        const shown = Array.from(pred, (v) => (Number.isFinite(v) ? v : null));
        forecastPlot.setData(t, series.subarray(1, n + 1), shown);
        // rolling squared error of the predictions made so far, and of persistence
        const upto = p.training === 'online' ? done : n;
        const se: (number | null)[] = new Array<number | null>(n).fill(null);
        const pe: (number | null)[] = new Array<number | null>(n).fill(null);
        let accS = 0, accP = 0;
        for (let i = 0; i < upto; i++) {
          accS += (pred[i]! - series[i + 1]!) ** 2;
          accP += (series[i]! - series[i + 1]!) ** 2;
          if (i >= ROLLING) {
            accS -= (pred[i - ROLLING]! - series[i - ROLLING + 1]!) ** 2;
            accP -= (series[i - ROLLING]! - series[i - ROLLING + 1]!) ** 2;
          }
          const k = Math.min(i + 1, ROLLING);
          se[i] = accS / k;
          pe[i] = accP / k;
        }
        errorPlot.setData(t, se, pe);
        curvePlot.setData(curveX, curveBefore, curveAfter.map((v) => (Number.isFinite(v) ? v : null)));
        forecast.body.dataset.predicted = String(pred.filter(Number.isFinite).length);
        const m = splitMse(pred, series.subarray(1), upto, p.changePoint);
        const persistence = splitMse(series, series.subarray(1), upto, p.changePoint);
        root.dataset.mseBefore = String(m.before);
        root.dataset.mseAfter = String(m.after);
        info.set('MSE before the change', fmt(m.before));
        info.set('MSE after the change', fmt(m.after));
        info.set('persistence before / after', `${fmt(persistence.before)} / ${fmt(persistence.after)}`);
        info.set('noise variance', fmt(p.series === 'sine' ? p.noise ** 2 : p.noise ** 2 / (1 - 0.6 ** 2)));
        info.set('plasticity', `${plastic() ? 'on' : 'off'}${plasticityAt.length ? ` (switched ${plasticityAt.length}×)` : ''}`);
        info.set('training loss (last)', fmt(lastLoss));
        info.set(p.training === 'online' ? 'steps' : 'epochs', p.training === 'online' ? `${done} / ${n}` : `${done} / ${p.epochs}`);
        info.set('model', `${p.mode} mode${p.mode === 'plastic' ? ' (core/oja on W_SP)' : ' (the blog\'s update)'}, hidden ${p.hidden}, Adam lr ${p.learningRate}`);
        info.set('speed', p.training === 'online' ? `${(done / Math.max(wall / 1000, 1e-3)).toFixed(0)} steps/s` : `${(wall / Math.max(done, 1)).toFixed(0)} ms/epoch`);
        runner.say(p.training === 'online' ? `t = ${done} of ${n}` : `epoch ${done} of ${p.epochs}`);
      },
      teardown() {
        net?.dispose();
        net = null;
      },
    };
    const runner = new RunPanel(sim, root);
    root.querySelector('.run-panel-host')!.replaceWith(runner.element);
    return {
      async dispose() {
        await runner.dispose();
        forecastPlot.destroy();
        errorPlot.destroy();
        curvePlot.destroy();
      },
    };
  },
};
