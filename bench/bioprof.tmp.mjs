import * as tf from '@tensorflow/tfjs-core';
import { initBackend, createRng } from '@plasticity/core';
import { CSRConnection } from '@plasticity/sparse';
import { BioTrainer } from '../packages/bio/dist/index.js';
await initBackend('wasm', { strict: true });
const which = process.argv[2] ?? 'csr';
const ALL = ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/synaptic-scaling', 'bio/rejuvenate', { transform: 'bio/dale', params: { initialize: false } }];
let target, loss;
if (which === 'csr') {
  const conn = CSRConnection.random({ nPre: 10000, nPost: 10000, p: 0.01, seed: 3, init: { dist: 'normal', mean: 0, std: 0.1 } });
  const x = tf.tensor2d(createRng(4).normal([8, 10000]), [8, 10000]);
  target = { c: conn }; loss = () => tf.mean(tf.square(conn.propagate(x, { mode: 'float' })));
} else {
  const w = tf.variable(tf.tensor2d(createRng(1).normal([1024, 1024], 0, 0.03), [1024, 1024]));
  const x = tf.tensor2d(createRng(2).normal([32, 1024]), [32, 1024]);
  target = { w }; loss = () => tf.mean(tf.square(tf.matMul(x, w)));
}
const mode = process.argv[3] ?? 'all';
const { setHostKernels } = await import('../packages/bio/dist/index.js');
if (process.env.KERNELS) setHostKernels(process.env.KERNELS);
const t = new BioTrainer({ target, transforms: mode === 'all' ? ALL : mode === 'plain' ? [] : ALL.filter((t) => (t.transform ?? t) === 'bio/' + mode), optimizer: tf.train.adam(1e-3), seed: 1 });
for (let i = 0; i < 3; i++) t.stepWith(loss).dispose();
const t0 = performance.now();
for (let i = 0; i < 20; i++) t.stepWith(loss).dispose();
console.log(which, mode, ((performance.now() - t0) / 20).toFixed(1), 'ms/step');
