// Bio-transformations on a small classifier: the same MLP, from the same initial weights, trained on
// generated spirals with plain Adam and with @plasticity/bio's BioTrainer (Adam plus the selected
// transforms: fuzzy and volume-dependent learning rates, crystallize, rejuvenate, synaptic scaling,
// Dale's principle). Loss, test accuracy, weight histograms and the Dale signs of the hidden weights, live.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { BioTrainer, type TransformSpec } from '@plasticity/bio';
import type { PageModule } from '../page.js';
import { COLORS, Plot, figure, histogramFigure, linePlot } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel, readout } from '../ui.js';

const STEPS_PER_CHUNK = 10;
const CLASSES = 3;

/** K interleaved spiral arms in the plane (one class each), Gaussian noise, seeded. */
export function spirals(perClass: number, noise: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = createRng(seed);
  const u = rng.uniform(CLASSES * perClass);
  const e = rng.normal(2 * CLASSES * perClass, 0, noise);
  const x = new Float32Array(2 * CLASSES * perClass);
  const y = new Int32Array(CLASSES * perClass);
  for (let c = 0; c < CLASSES; c++) {
    for (let i = 0; i < perClass; i++) {
      const k = c * perClass + i;
      const r = 0.15 + 0.85 * u[k]!;
      const a = (2 * Math.PI * c) / CLASSES + 1.75 * Math.PI * r;
      x[2 * k] = r * Math.cos(a) + e[2 * k]!;
      x[2 * k + 1] = r * Math.sin(a) + e[2 * k + 1]!;
      y[k] = c;
    }
  }
  return { x, y };
}

interface Model {
  readonly vars: Record<string, tf.Variable>;
  forward(x: tf.Tensor2D): tf.Tensor2D;
}

/** 2 → H → H → 3, ReLU; weights W[pre, post] from a seeded uniform(±1/√fanIn) (PyTorch's Linear init). */
function mlp(hidden: number, seed: number, tag: string): Model {
  const rng = createRng(seed).stream('mlp');
  const layer = (fanIn: number, fanOut: number) => {
    const b = 1 / Math.sqrt(fanIn);
    return {
      w: Float32Array.from(rng.uniform(fanIn * fanOut), (v) => (2 * v - 1) * b),
      b: Float32Array.from(rng.uniform(fanOut), (v) => (2 * v - 1) * b),
    };
  };
  const dims = [2, hidden, hidden, CLASSES];
  const vars: Record<string, tf.Variable> = {};
  for (let l = 0; l < 3; l++) {
    const { w, b } = layer(dims[l]!, dims[l + 1]!);
    vars[`w${l + 1}`] = tf.variable(tf.tensor2d(w, [dims[l]!, dims[l + 1]!]), true, `${tag}/w${l + 1}`);
    vars[`b${l + 1}`] = tf.variable(tf.tensor1d(b), true, `${tag}/b${l + 1}`);
  }
  return {
    vars,
    forward: (x) => {
      let h: tf.Tensor2D = x;
      for (let l = 1; l <= 3; l++) {
        h = tf.add(tf.matMul(h, vars[`w${l}`]!), vars[`b${l}`]!);
        if (l < 3) h = tf.relu(h);
      }
      return h;
    },
  };
}

const TRANSFORMS = [
  { name: 'bio/fuzzy-lr', label: 'fuzzy learning rates', on: true },
  { name: 'bio/volume-lr', label: 'volume-dependent lr', on: false },
  { name: 'bio/crystallize', label: 'crystallize', on: true },
  { name: 'bio/rejuvenate', label: 'rejuvenate', on: false },
  { name: 'bio/synaptic-scaling', label: 'synaptic scaling', on: false },
  { name: 'bio/dale', label: "Dale's principle", on: true },
] as const;

export const bioTransformsPage: PageModule = {
  id: 'bio-transforms',
  title: 'Bio-transformations',
  blurb: 'A small classifier (2 → H → H → 3, ReLU) on generated spirals, trained from the same initial weights with plain Adam and with @plasticity/bio\'s BioTrainer: Adam plus the transforms you pick (fuzzy and volume-dependent learning rates, crystallize, rejuvenate, synaptic scaling, Dale\'s principle). Dale gives every presynaptic neuron one sign (the first 80 % excitatory) and holds it after every step.',
  mount(root) {
    const params = controls({
      steps: { label: 'training steps', value: 400, min: 1, max: 100000, step: 10 },
      hidden: { label: 'hidden units', value: 32, min: 2, max: 512, step: 1 },
      learningRate: { label: 'Adam lr', value: 0.01, min: 1e-5, max: 1, step: 0.001 },
      perClass: { label: 'points per class', value: 100, min: 5, max: 5000, step: 5 },
      noise: { label: 'noise sd', value: 0.05, min: 0, max: 1, step: 0.01 },
      distribution: { kind: 'choice', label: 'fuzzy distribution', value: 'uniform', options: ['uniform', 'normal', 'lognormal', 'gamma', 'beta', 'layer-adaptive', 'weight-adaptive', 'temporal'] },
      excitatory: { label: 'Dale: excitatory fraction', value: 0.8, min: 0, max: 1, step: 0.05 },
      seed: { label: 'seed', value: 1, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const boxes = new Map<string, HTMLInputElement>();
    const picks = el('div', { class: 'controls checks' }, el('span', { class: 'checks-title' }, 'transforms:'),
      ...TRANSFORMS.map((t) => {
        const box = el('input', { type: 'checkbox', name: t.name });
        box.checked = t.on;
        box.onchange = () => void runner.reset();
        boxes.set(t.name, box);
        return el('label', { class: 'toggle', title: t.name }, box, ` ${t.label}`);
      }));
    const loss = panel('Training loss', 'Cross-entropy on the training set, every step.');
    const accuracy = panel('Test accuracy', 'A second draw of the spirals; chance 1/3.');
    const hist = panel('Hidden weights W₂', 'Distribution of the hidden → hidden weights of both models.');
    const dale = panel('Dale signs of W₂', 'W₂[pre, post]: one row per presynaptic hidden neuron, blue positive, red negative. With Dale the rows above the line (excitatory) hold no negative weight and those below no positive one; plain Adam mixes signs in every row.');
    const data = panel('Test set, classified by the BioTrainer model', 'Colour: predicted class; a cross marks an error.');
    const info = readout();
    root.append(params.element, picks, el('div', { class: 'run-panel-host' }), el('div', { class: 'panels' }, loss.element, accuracy.element, hist.element, dale.element, data.element,
      el('section', { class: 'panel' }, el('h3', {}, 'Readout'), info.element)));
    const lossPlot = linePlot(loss.body, { series: ['plain Adam', 'BioTrainer'], xLabel: 'step', yLabel: 'loss', colors: [COLORS[0]!, COLORS[1]!] });
    const accPlot = linePlot(accuracy.body, { series: ['plain Adam', 'BioTrainer'], xLabel: 'step', yLabel: 'accuracy', colors: [COLORS[0]!, COLORS[1]!], yRange: [0, 1] });

    let p = params.values();
    let plain: Model | null = null;
    let bio: Model | null = null;
    let optimizer: tf.Optimizer | null = null;
    let bioOptimizer: tf.Optimizer | null = null;
    let trainer: BioTrainer | null = null;
    let xTrain: tf.Tensor2D | null = null, yTrain: tf.Tensor2D | null = null, xTest: tf.Tensor2D | null = null;
    let testLabels: Int32Array = new Int32Array(0);
    let testPoints: Float32Array = new Float32Array(0);
    let step = 0;
    let wallPlain = 0, wallBio = 0;
    const steps: number[] = [], lossPlain: number[] = [], lossBio: number[] = [];
    const accSteps: number[] = [], accPlain: number[] = [], accBio: number[] = [];
    let chosen: string[] = [];

    const predictions = async (m: Model): Promise<Int32Array> => {
      const pred = tf.tidy(() => tf.argMax(m.forward(xTest!), 1));
      const out = (await pred.data()) as Int32Array;
      pred.dispose();
      return out;
    };
    const accuracyOf = (pred: Int32Array) => pred.reduce((n, c, i) => n + (c === testLabels[i] ? 1 : 0), 0) / pred.length;

    /** Weights whose product with their Dale sign is negative, over every transformed weight. */
    async function daleViolations(m: Model, signsFrom: BioTrainer): Promise<number> {
      let total = 0;
      for (const name of ['w1', 'w2', 'w3']) {
        const state = signsFrom.stateOf(name, 'bio/dale');
        const sign = state.sign as tf.Tensor;
        const count = tf.tidy(() => tf.sum(tf.cast(tf.less(tf.mul(m.vars[name]!, sign), 0), 'int32')));
        total += (await count.data())[0]!;
        count.dispose();
        for (const v of Object.values(state)) if (v instanceof tf.Tensor) v.dispose();
      }
      return total;
    }

    const sim: Simulation = {
      async setup() {
        p = params.values();
        chosen = TRANSFORMS.filter((t) => boxes.get(t.name)!.checked).map((t) => t.name);
        const train = spirals(p.perClass, p.noise, p.seed);
        const test = spirals(p.perClass, p.noise, p.seed + 1000);
        const oneHot = (y: Int32Array) => tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), CLASSES), 'float32') as tf.Tensor2D);
        xTrain = tf.tensor2d(train.x, [train.y.length, 2]);
        yTrain = oneHot(train.y);
        xTest = tf.tensor2d(test.x, [test.y.length, 2]);
        testLabels = test.y;
        testPoints = test.x;
        // the same initial weights for both (Dale then flips the BioTrainer model's to their signs)
        plain = mlp(p.hidden, p.seed, 'plain');
        bio = mlp(p.hidden, p.seed, 'bio');
        optimizer = tf.train.adam(p.learningRate);
        const specs: TransformSpec[] = chosen.map((name): TransformSpec => {
          if (name === 'bio/fuzzy-lr') return { transform: name, params: { distribution: p.distribution } };
          if (name === 'bio/dale') return { transform: name, params: { excitatoryFraction: p.excitatory, layout: 'first' } };
          return name;
        });
        bioOptimizer = tf.train.adam(p.learningRate);
        trainer = new BioTrainer({ target: bio.vars, transforms: specs, optimizer: bioOptimizer, seed: p.seed });
        step = 0;
        wallPlain = wallBio = 0;
        steps.length = lossPlain.length = lossBio.length = accSteps.length = accPlain.length = accBio.length = 0;
      },
      async advance() {
        const lossFor = (m: Model) => () => tf.losses.softmaxCrossEntropy(yTrain!, m.forward(xTrain!)) as tf.Scalar;
        const end = Math.min(p.steps, step + STEPS_PER_CHUNK);
        const lp: tf.Scalar[] = [], lb: tf.Scalar[] = [];
        for (; step < end; step++) {
          let t0 = performance.now();
          lp.push(optimizer!.minimize(lossFor(plain!), true, Object.values(plain!.vars))!);
          wallPlain += performance.now() - t0;
          t0 = performance.now();
          lb.push(trainer!.stepWith(lossFor(bio!)));
          wallBio += performance.now() - t0;
        }
        const first = step - lp.length;
        const vp = await tf.stack(lp).data(), vb = await tf.stack(lb).data();
        tf.dispose([...lp, ...lb]);
        for (let k = 0; k < vp.length; k++) {
          steps.push(first + k + 1);
          lossPlain.push(vp[k]!);
          lossBio.push(vb[k]!);
        }
        return step / p.steps;
      },
      async draw() {
        if (!plain || !bio || !trainer) return;
        lossPlot.setData(steps, lossPlain, lossBio);
        const predPlain = await predictions(plain);
        const predBio = await predictions(bio);
        accSteps.push(step);
        accPlain.push(accuracyOf(predPlain));
        accBio.push(accuracyOf(predBio));
        accPlot.setData(accSteps, accPlain, accBio);
        const w2Plain = (await plain.vars.w2!.data()) as Float32Array;
        const w2Bio = (await bio.vars.w2!.data()) as Float32Array;
        let lim = 0;
        for (const v of [...w2Plain, ...w2Bio]) lim = Math.max(lim, Math.abs(v));
        lim = Math.max(0.05, Math.ceil(lim * 20) / 20);
        histogramFigure(hist.body, [{ label: 'plain Adam', values: w2Plain }, { label: 'BioTrainer', values: w2Bio }], { lo: -lim, hi: lim, bins: 30, xLabel: 'w' });
        const H = p.hidden;
        const cells: { model: string; pre: number; post: number; w: number }[] = [];
        for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) {
          cells.push({ model: 'plain Adam', pre: i, post: j, w: w2Plain[i * H + j]! });
          cells.push({ model: 'BioTrainer', pre: i, post: j, w: w2Bio[i * H + j]! });
        }
        const nExc = Math.round(p.excitatory * H);
        const hasDale = chosen.includes('bio/dale');
        figure(dale.body, {
          height: 280, marginLeft: 45,
          fx: { label: null, domain: ['plain Adam', 'BioTrainer'] },
          x: { label: 'post →', domain: [0, H], ticks: [] }, y: { label: '↓ pre (hidden neuron)', domain: [H, 0], ticks: [] },
          color: { type: 'diverging', scheme: 'RdBu', domain: [-lim, lim] },
          marks: [
            Plot.rect(cells, { x1: 'post', x2: (d: { post: number }) => d.post + 1, y1: 'pre', y2: (d: { pre: number }) => d.pre + 1, fx: 'model', fill: 'w' }),
            ...(hasDale ? [Plot.ruleY([nExc], { stroke: '#111827', strokeWidth: 1.5 })] : []),
          ],
        }, cells.length);
        // the test set, coloured by the BioTrainer model's prediction
        const dots = Array.from(testLabels, (c, i) => ({ x: testPoints[2 * i]!, y: testPoints[2 * i + 1]!, pred: `class ${predBio[i]}`, wrong: predBio[i] !== c }));
        figure(data.body, {
          height: 260, aspectRatio: 1, x: { label: 'x₁' }, y: { label: 'x₂' },
          color: { domain: ['class 0', 'class 1', 'class 2'], range: [COLORS[3]!, COLORS[4]!, COLORS[2]!], legend: true },
          marks: [
            Plot.dot(dots.filter((d) => !d.wrong), { x: 'x', y: 'y', fill: 'pred', r: 2.5 }),
            Plot.dot(dots.filter((d) => d.wrong), { x: 'x', y: 'y', stroke: 'pred', symbol: 'times', r: 4 }),
          ],
        }, dots.length);
        info.set('step', `${step} / ${p.steps}`);
        info.set('test accuracy, plain Adam', accPlain[accPlain.length - 1]!.toFixed(3));
        info.set('test accuracy, BioTrainer', accBio[accBio.length - 1]!.toFixed(3));
        info.set('transforms', chosen.length ? chosen.join(', ') : 'none (plain Adam twice)');
        if (hasDale) {
          const vBio = await daleViolations(bio, trainer);
          const vPlain = await daleViolations(plain, trainer);
          const nW = 2 * H + H * H + H * CLASSES;
          info.set('Dale sign violations, BioTrainer', String(vBio));
          info.set('plain Adam against the same signs', `${vPlain} of ${nW} weights`);
          root.dataset.daleViolations = String(vBio);
          root.dataset.plainViolations = String(vPlain);
        } else {
          info.set('Dale sign violations, BioTrainer', '– (Dale not selected)');
          delete root.dataset.daleViolations;
        }
        info.set('ms per step, plain / bio', `${(wallPlain / Math.max(step, 1)).toFixed(2)} / ${(wallBio / Math.max(step, 1)).toFixed(2)}`);
        root.dataset.accPlain = String(accPlain[accPlain.length - 1]);
        root.dataset.accBio = String(accBio[accBio.length - 1]);
        runner.say(`step ${step} of ${p.steps}`);
      },
      teardown() {
        trainer?.dispose();
        optimizer?.dispose();
        bioOptimizer?.dispose();
        for (const m of [plain, bio]) if (m) for (const v of Object.values(m.vars)) if (!v.isDisposed) v.dispose();
        tf.dispose([xTrain, yTrain, xTest].filter((t): t is tf.Tensor2D => t !== null));
        plain = bio = null;
        trainer = null;
        optimizer = bioOptimizer = null;
        xTrain = yTrain = xTest = null;
      },
    };
    const runner = new RunPanel(sim, root);
    root.querySelector('.run-panel-host')!.replaceWith(runner.element);
    return {
      async dispose() {
        await runner.dispose();
        lossPlot.destroy();
        accPlot.destroy();
      },
    };
  },
};
