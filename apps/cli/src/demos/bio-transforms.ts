import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { BioTrainer, type TransformSpec } from '@plasticity/bio';
import { byBudget, type Demo } from '../demo.js';
import { chart, histogram } from '../svg.js';

const LAYERS = [2, 24, 24, 3];
const LR = 0.02;
const SEED = 1;
const DALE = { transform: 'bio/dale', params: { excitatoryFraction: 0.8 } } as const;
const TRANSFORMS: TransformSpec[] = ['bio/fuzzy-lr', DALE];

interface Data {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  labels: Int32Array;
}

/** Three interleaved 2-D spirals (one turn, noise 0.06), class i % 3: the bio package's experiment data. */
function spirals(n: number, seed: number): Data {
  const r = createRng(seed);
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    const t = Math.sqrt(r.random());
    const a = t * 2 * Math.PI + (c * 2 * Math.PI) / 3;
    x[2 * i] = t * Math.cos(a) + 0.06 * r.gaussian();
    x[2 * i + 1] = t * Math.sin(a) + 0.06 * r.gaussian();
    labels[i] = c;
  }
  return {
    x: tf.tensor2d(x, [n, 2]),
    y: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), 'float32') as tf.Tensor2D),
    labels,
  };
}

/** An MLP on tf.Variables: He-normal W[pre, post] from a seeded Rng (the same for both variants), zero biases. */
function mlp(seed: number) {
  const r = createRng(seed);
  const W: tf.Variable[] = [];
  const B: tf.Variable[] = [];
  for (let l = 0; l + 1 < LAYERS.length; l++) {
    const [a, b] = [LAYERS[l]!, LAYERS[l + 1]!];
    W.push(tf.tidy(() => tf.variable(tf.tensor2d(r.normal(a * b, 0, Math.sqrt(2 / a)), [a, b]))));
    B.push(tf.tidy(() => tf.variable(tf.zeros([b]))));
  }
  const forward = (x: tf.Tensor2D) => tf.tidy(() => {
    let h: tf.Tensor = x;
    W.forEach((w, l) => {
      h = tf.add(tf.matMul(h, w), B[l]!);
      if (l + 1 < W.length) h = tf.relu(h);
    });
    return h as tf.Tensor2D;
  });
  const target = Object.fromEntries([...W.map((w, l) => [`w${l + 1}`, w] as const), ...B.map((b, l) => [`b${l + 1}`, b] as const)]);
  return { W, B, forward, target, dispose: () => tf.dispose([...W, ...B]) };
}

async function accuracyOf(net: ReturnType<typeof mlp>, data: Data): Promise<number> {
  const pred = tf.tidy(() => tf.argMax(net.forward(data.x), 1));
  const p = await pred.data();
  pred.dispose();
  let ok = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === data.labels[i]) ok++;
  return ok / p.length;
}

/** Presynaptic rows (over every weight matrix) holding both a positive and a negative weight. */
async function daleViolations(W: readonly tf.Variable[]): Promise<{ rows: number; total: number }> {
  let rows = 0;
  let total = 0;
  for (const w of W) {
    const [nPre, nPost] = w.shape as [number, number];
    const v = await w.data();
    for (let i = 0; i < nPre; i++) {
      let pos = false;
      let neg = false;
      for (let j = 0; j < nPost; j++) {
        pos ||= v[i * nPost + j]! > 0;
        neg ||= v[i * nPost + j]! < 0;
      }
      if (pos && neg) rows++;
      total++;
    }
  }
  return { rows, total };
}

/**
 * A small classifier trained twice from the same initial weights: plain Adam, and BioTrainer with
 * fuzzy learning rates and Dale's principle (80 % excitatory presynaptic neurons).
 */
export const bioTransforms: Demo = {
  name: 'bio-transforms',
  title: 'Bio transforms on a small classifier: plain Adam vs BioTrainer with Dale\'s principle and fuzzy learning rates',
  description: `An MLP ${LAYERS.join('-')} (ReLU) learns three interleaved 2-D spirals (300 training, 900 test points) with Adam ${LR}, full batch, from the same He-normal initial weights twice: plain Adam, and @plasticity/bio's BioTrainer with bio/fuzzy-lr (per-synapse learning-rate factors) and bio/dale (one sign per presynaptic neuron, 80 % excitatory, enforced after every step). Test accuracy (chance 1/3), Dale sign violations (rows with both signs) and the hidden weights' distribution.`,
  figures: ['bio-weights'],
  async run({ budget, progress, figure, log }) {
    const steps = byBudget(budget, 80, 250, 1000);
    const tensorsBefore = tf.memory().numTensors;
    const train = spirals(300, 1001);
    const test = spirals(900, 2002);
    const out: Record<'plain' | 'bio', { accuracy: number; trainAccuracy: number; w2: Float32Array; zeros: number; violations: { rows: number; total: number } }> = {} as never;
    for (const variant of ['plain', 'bio'] as const) {
      const net = mlp(SEED);
      const optimizer = tf.train.adam(LR);
      const loss = () => tf.losses.softmaxCrossEntropy(train.y, net.forward(train.x)) as tf.Scalar;
      const trainer = variant === 'bio' ? new BioTrainer({ target: net.target, transforms: TRANSFORMS, optimizer, seed: SEED }) : null;
      const bar = progress(variant === 'plain' ? 'plain Adam' : 'BioTrainer (fuzzy-lr, Dale)', steps);
      for (let s = 0; s < steps; s++) {
        const l = trainer ? trainer.stepWith(loss) : optimizer.minimize(loss, true, [...net.W, ...net.B])!;
        if (s % 10 === 9 || s === steps - 1) bar.update(s + 1, `loss ${(await l.data())[0]!.toFixed(4)}`);
        l.dispose();
      }
      const w2 = Float32Array.from(await net.W[1]!.data());
      out[variant] = {
        accuracy: await accuracyOf(net, test),
        trainAccuracy: await accuracyOf(net, train),
        w2,
        zeros: w2.filter((v) => v === 0).length / w2.length,
        violations: await daleViolations(net.W),
      };
      bar.finish(`test accuracy ${out[variant].accuracy.toFixed(3)}`);
      trainer?.dispose();
      optimizer.dispose();
      net.dispose();
    }
    tf.dispose([train.x, train.y, test.x, test.y]);
    log(`plain Adam leaves ${out.plain.violations.rows} of ${out.plain.violations.total} presynaptic rows with both signs; Dale leaves ${(100 * out.bio.zeros).toFixed(1)}% of W2 at exactly 0 (weights pushed across zero)`);

    const all = [...out.plain.w2, ...out.bio.w2].map(Math.abs).sort((a, b) => a - b);
    const range = Math.max(0.5, Math.ceil(all[Math.floor(0.995 * (all.length - 1))]! * 4) / 4);
    const bins = 41;
    const clamp = (w: Float32Array) => Array.from(w, (v) => Math.max(-range, Math.min(range, v)));
    const hPlain = histogram(clamp(out.plain.w2), -range, range, bins);
    const hBio = histogram(clamp(out.bio.w2), -range, range, bins);
    figure('bio-weights', chart([
      { label: `BioTrainer, Dale + fuzzy-lr (${(100 * out.bio.zeros).toFixed(0)}% exactly 0)`, x: hBio.x, y: hBio.y, style: 'bars', color: '#dc2626' },
      { label: 'plain Adam', x: hPlain.x, y: hPlain.y, color: '#1f2937' },
    ], { title: `Hidden weights W2 [24, 24] after ${steps} steps (same initial weights)`, xLabel: `weight (values beyond ±${range} in the edge bins)`, yLabel: 'synapses per bin', width: 720 }),
    'The hidden layer\'s weights: plain Adam (line) and BioTrainer with Dale\'s principle and fuzzy learning rates (bars); Dale sets a weight pushed across its row\'s sign to 0.');

    const checks: Record<string, boolean> = {
      'Dale sign violations = 0 (no presynaptic row with both signs)': out.bio.violations.rows === 0,
      'accuracies in [0, 1]': [out.plain.accuracy, out.bio.accuracy].every((a) => a >= 0 && a <= 1),
      'both variants above chance (1/3)': out.plain.accuracy > 1 / 3 + 0.1 && out.bio.accuracy > 1 / 3 + 0.1,
      'no tensors left behind': tf.memory().numTensors === tensorsBefore,
    };
    return {
      summary: {
        figure: `test accuracy: plain Adam ${out.plain.accuracy.toFixed(3)}, Dale + fuzzy-lr ${out.bio.accuracy.toFixed(3)}; Dale violations ${out.bio.violations.rows}`,
        reference: 'chance 0.333; 0 Dale violations (the package README has the 5-seed accuracies)',
      },
      metrics: {
        steps,
        'test accuracy, plain Adam': +out.plain.accuracy.toFixed(4),
        'test accuracy, BioTrainer (Dale + fuzzy-lr)': +out.bio.accuracy.toFixed(4),
        'train accuracy, plain Adam': +out.plain.trainAccuracy.toFixed(4),
        'train accuracy, BioTrainer': +out.bio.trainAccuracy.toFixed(4),
        'Dale sign violations (rows with both signs)': out.bio.violations.rows,
        'W2 exactly 0 under Dale': +out.bio.zeros.toFixed(4),
      },
      checks,
    };
  },
};
