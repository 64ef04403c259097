// Shared pieces of the experiments: generated data sets (no downloads), a small MLP on tf.Variables,
// accuracy, mean ± sd, and a description of the machine for the reports.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';

export const RESULTS_DIR = new URL('./results/', import.meta.url).pathname.replace(/\/$/, '');

export function machine() {
  return { cpus: os.cpus()[0]?.model?.trim() ?? 'unknown CPU', cores: os.cpus().length, loadavg: os.loadavg().map((x) => +x.toFixed(2)), node: process.version };
}

export function meanSd(v) {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1)) : 0;
  return { mean: +m.toFixed(5), sd: +sd.toFixed(5) };
}

const labelled = (x, labels, nIn, classes) => ({
  x: tf.tensor2d(x, [labels.length, nIn]),
  y: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes), 'float32')),
  labels,
});

/** Three interleaved 2-D spirals (`turns` turns each), Gaussian noise `noise`; class i % 3. */
export function spirals(n, seed, { turns = 1, noise = 0.06 } = {}) {
  const r = createRng(seed);
  const x = new Float32Array(n * 2), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3, t = Math.sqrt(r.random());
    const a = t * turns * 2 * Math.PI + (c * 2 * Math.PI) / 3;
    x[2 * i] = t * Math.cos(a) + noise * r.gaussian();
    x[2 * i + 1] = t * Math.sin(a) + noise * r.gaussian();
    y[i] = c;
  }
  return labelled(x, y, 2, 3);
}

/**
 * A D-dimensional Gaussian mixture with `classes` classes of `perClass` clusters each; the cluster
 * centres come from `taskSeed` (N(0, spread²) per coordinate), the samples from `seed`.
 */
export function gaussianMixture(n, { taskSeed, seed, dim = 10, classes = 4, perClass = 2, spread = 1, noise = 0.6 }) {
  const rc = createRng(taskSeed);
  const centres = Array.from({ length: classes * perClass }, () => Float32Array.from(rc.normal(dim, 0, spread)));
  const r = createRng(seed);
  const x = new Float32Array(n * dim), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % classes, k = c * perClass + Math.floor(r.random() * perClass);
    for (let d = 0; d < dim; d++) x[i * dim + d] = centres[k][d] + noise * r.gaussian();
    y[i] = c;
  }
  return labelled(x, y, dim, classes);
}

/** An MLP on tf.Variables, He-normal weights W[pre, post] from the core Rng (seeded), zero biases. */
export function mlp(layers, seed) {
  const r = createRng(seed);
  const W = [], B = [];
  for (let l = 0; l + 1 < layers.length; l++) {
    const [a, b] = [layers[l], layers[l + 1]];
    W.push(tf.tidy(() => tf.variable(tf.tensor2d(r.normal(a * b, 0, Math.sqrt(2 / a)), [a, b]))));
    B.push(tf.tidy(() => tf.variable(tf.zeros([b]))));
  }
  const forward = (x) => tf.tidy(() => {
    let h = x;
    W.forEach((w, l) => {
      h = tf.add(tf.matMul(h, w), B[l]);
      if (l + 1 < W.length) h = tf.relu(h);
    });
    return h;
  });
  const target = Object.fromEntries([...W.map((w, l) => [`w${l + 1}`, w]), ...B.map((b, l) => [`b${l + 1}`, b])]);
  return { W, B, vars: [...W, ...B], forward, target, dispose: () => tf.dispose([...W, ...B]) };
}

export async function accuracy(net, data) {
  const pred = tf.tidy(() => tf.argMax(net.forward(data.x), 1));
  const p = await pred.data();
  pred.dispose();
  let ok = 0;
  for (let i = 0; i < p.length; i++) if (p[i] === data.labels[i]) ok++;
  return ok / p.length;
}

export async function lossOf(net, data) {
  const l = tf.tidy(() => tf.losses.softmaxCrossEntropy(data.y, net.forward(data.x)));
  const v = (await l.data())[0];
  l.dispose();
  return v;
}
