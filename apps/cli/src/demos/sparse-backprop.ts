import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { CSRConnection } from '@plasticity/sparse';
import { byBudget, type Demo } from '../demo.js';
import { chart } from '../svg.js';

/** Heaviside spike with a fast-sigmoid surrogate gradient, 1/(1 + 10|v|)², as a user would write it. */
const spike = tf.customGrad(((v: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
  save([v]);
  return {
    value: tf.cast(tf.greater(v, 0), 'float32'),
    gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.div(dy, tf.square(tf.add(1, tf.mul(10, tf.abs(saved!))))),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (v: tf.Tensor) => tf.Tensor;

/**
 * A sparse spiking layer trained by backprop: spikes @ W through the registered event-propagation
 * gradient, a surrogate spike function, Adam on the connection's own weights (its tf.Variable: no
 * second copy to keep in step with the connection).
 */
export const sparseBackprop: Demo = {
  name: 'sparse-backprop',
  title: 'Training a sparse spiking layer by backprop (surrogate gradient through the CSR event kernel)',
  description: 'A 400 → 40 CSR layer (10% connectivity) learns to map 32 random input spike patterns to 32 random output spike patterns. The gradient flows through the event-propagation kernel to the stored weights; the structure never changes.',
  figures: ['sparse-backprop-loss'],
  async run({ budget, progress, figure }) {
    const nIn = 400;
    const nOut = 40;
    const patterns = 32;
    const steps = byBudget(budget, 60, 300, 1000);
    const tensorsBefore = tf.memory().numTensors;
    const rng = createRng(11);
    const conn = CSRConnection.random({ nPre: nIn, nPost: nOut, p: 0.1, seed: 12, init: { dist: 'normal', mean: 0, std: 0.1 } });
    const x = tf.tensor2d(rng.bernoulli(patterns * nIn, 0.2), [patterns, nIn], 'float32');
    const target = tf.tensor2d(rng.bernoulli(patterns * nOut, 0.3), [patterns, nOut], 'float32');
    const tensorsTrainable = tf.memory().numTensors;
    const w = conn.makeTrainable(); // the connection's weights become a tf.Variable, without a copy
    const oneCopy = tf.memory().numTensors === tensorsTrainable && conn.weightTensor === w;
    const optimizer = tf.train.adam(0.02);
    const lossOf = () => tf.mean(tf.square(tf.sub(spike(tf.sub(conn.propagate(x), 0.5)), target))) as tf.Scalar;
    const losses: number[] = [];
    const bar = progress('training', steps);
    for (let s = 0; s < steps; s++) {
      const loss = optimizer.minimize(lossOf, true, [w])!;
      losses.push((await loss.data())[0]!);
      loss.dispose();
      if (s % 10 === 0) bar.update(s + 1, `loss ${losses.at(-1)!.toFixed(4)}`);
    }
    bar.finish(`loss ${losses.at(-1)!.toFixed(4)}`);
    const stillOneCopy = conn.variable === w && conn.weightTensor === w;
    const out = tf.tidy(() => tf.cast(tf.greater(conn.propagate(x), 0.5), 'float32'));
    const correct = tf.tidy(() => tf.mean(tf.cast(tf.equal(out, target), 'float32')));
    const accuracy = (await correct.data())[0]!;
    figure('sparse-backprop-loss', chart([{ label: 'mean squared spike error', x: losses.map((_, i) => i), y: losses }],
      { title: `Training a ${nIn} → ${nOut} CSR spiking layer (${conn.nnz} synapses)`, xLabel: 'step', yLabel: 'loss', yMin: 0 }),
    'The loss falls as the surrogate gradient trains the stored weights.');
    const synapses = conn.nnz;
    tf.dispose([x, target, out, correct]);
    optimizer.dispose();
    conn.dispose(); // disposes its variable too
    return {
      summary: {
        figure: `loss ${losses[0]!.toFixed(3)} → ${losses.at(-1)!.toFixed(3)}, ${(100 * accuracy).toFixed(1)}% output spikes right`,
        reference: 'loss falls by more than half',
      },
      metrics: {
        synapses,
        'initial loss': +losses[0]!.toFixed(4),
        'final loss': +losses.at(-1)!.toFixed(4),
        'output spikes correct': +accuracy.toFixed(4),
      },
      checks: {
        'loss falls by more than half': losses.at(-1)! < 0.5 * losses[0]!,
        'Adam trains the connection\'s own variable (one copy of the weights)': oneCopy && stillOneCopy,
        'no tensors left behind': tf.memory().numTensors === tensorsBefore,
      },
    };
  },
};
