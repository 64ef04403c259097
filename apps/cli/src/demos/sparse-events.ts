import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';
import { COOConnection, CSRConnection, DenseConnection, type Connection } from '@plasticity/sparse';
import { byBudget, type Demo } from '../demo.js';
import { chart, histogram } from '../svg.js';

/**
 * Event-driven propagation and pre/post-triggered plastic updates on one random connectivity held as
 * CSR, COO and Dense: the three must end with the same weights; the sparse ones do work ∝ events.
 */
export const sparseEvents: Demo = {
  name: 'sparse-events',
  title: 'Sparse connections: event-driven propagation and plastic updates on CSR, COO and Dense',
  description: 'A random connectivity receives Poisson spikes; each step propagates them and applies STDP-style updates through onPre/onPost. CSR, COO and Dense must agree; timings show the event-driven saving.',
  figures: ['sparse-weights', 'sparse-timing'],
  async run({ budget, progress, figure, log, backend }) {
    const n = byBudget(budget, 400, 1000, 2000);
    const p = 0.05;
    const steps = byBudget(budget, 40, 200, 500);
    const rate = 0.05;
    const bounds = { wMin: 0, wMax: 1 };
    const tensorsBefore = tf.memory().numTensors;
    const csr = CSRConnection.random({ nPre: n, nPost: n, p, seed: 1, init: { dist: 'uniform', low: 0, high: 0.5 } });
    const { pre, post } = csr.pairs();
    const initial = await csr.getWeights();
    const coo = COOConnection.fromCoo({ nPre: n, nPost: n, pre, post, weights: initial });
    const denseMatrix = csr.toDenseTensor();
    const dense = DenseConnection.fromTensor(denseMatrix); // copies
    denseMatrix.dispose();
    const formats: [string, Connection][] = [['CSR', csr], ['COO', coo], ['Dense', dense]];

    const rng = createRng(2);
    const decay = Math.exp(-1 / 20);
    const timings: Record<string, number> = {};
    let events = 0;
    for (const [name, conn] of formats) {
      const spikeRng = rng.stream('spikes'); // every format sees the same spikes
      const xPre = new Float32Array(n);
      const xPost = new Float32Array(n);
      const bar = progress(`${name} (${conn.nnz} synapses)`, steps);
      const start = performance.now();
      let sink = 0;
      for (let t = 0; t < steps; t++) {
        const sPre = spikeRng.bernoulli(n, rate);
        const sPost = spikeRng.bernoulli(n, rate);
        for (let i = 0; i < n; i++) {
          xPre[i] = xPre[i]! * decay + sPre[i]!;
          xPost[i] = xPost[i]! * decay + sPost[i]!;
        }
        const current = conn.propagate(sPre);
        conn.onPre(sPre, xPost.map((v) => -0.0105 * v), bounds);
        conn.onPost(xPre.map((v) => 0.01 * v), sPost, bounds);
        if (t === steps - 1) sink = (await current.data())[0]!;
        current.dispose();
        if (name === 'CSR') for (let i = 0; i < n; i++) if (sPre[i]) events += csr.nnz / n;
        if (t % 10 === 0) bar.update(t + 1);
      }
      await conn.getWeights();
      bar.finish(`sink ${sink.toFixed(3)}`);
      timings[name] = (performance.now() - start) / steps;
    }
    const [wCsr, wCoo, wDense] = await Promise.all([csr.getWeights(), coo.getWeights(), dense.getWeights()]);
    let maxDiff = 0;
    for (let k = 0; k < pre.length; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(wCsr[k]! - wCoo[k]!), Math.abs(wCsr[k]! - wDense[pre[k]! * n + post[k]!]!));
    }
    // Bin over the range the weights occupy (they start in [0, 0.5] and drift a little), not the bounds [0, 1].
    let top = 0;
    for (const v of wCsr) top = Math.max(top, v);
    const bins = Math.max(25, Math.ceil(top / 0.02 - 1e-9));
    const hi = bins * 0.02;
    const before = histogram(initial, 0, hi, bins);
    const after = histogram(wCsr, 0, hi, bins);
    figure('sparse-weights', chart([
      { label: 'initial U(0, 0.5)', x: before.x, y: before.y, style: 'bars' },
      { label: `after ${steps} steps`, x: after.x, y: after.y, color: '#dc2626' },
    ], { title: `Weights of ${csr.nnz} synapses (${n}×${n}, p = ${p})`, xLabel: 'w', yLabel: 'synapses', xMin: 0, xMax: hi }), 'Weight distribution before and after the plastic updates.');
    const names = Object.keys(timings);
    figure('sparse-timing', chart([
      { label: `ms per step (${backend} backend)`, x: names.map((_, i) => i), y: names.map((k) => timings[k]!), style: 'bars' },
    ], { title: 'Propagate + onPre + onPost per step', xLabel: 'connection format', yLabel: 'ms / step', xCategories: names, yMin: 0 }), 'Cost per step of each format.');
    log(`synaptic events per step (pre-triggered) ≈ ${(events / steps).toFixed(0)}`);
    for (const [, conn] of formats) conn.dispose();
    return {
      summary: {
        figure: `max |ΔW| between formats ${maxDiff === 0 ? '0' : maxDiff.toExponential(1)}; CSR ${(timings.Dense! / timings.CSR!).toFixed(1)}× faster than Dense`,
        reference: '≤ 1e-6 (same weights)',
      },
      metrics: {
        backend,
        synapses: csr.nnz,
        'CSR ms/step': +timings.CSR!.toFixed(3),
        'COO ms/step': +timings.COO!.toFixed(3),
        'Dense ms/step': +timings.Dense!.toFixed(3),
        'max |ΔW| between formats': maxDiff,
      },
      checks: {
        'CSR, COO and Dense end with the same weights (≤ 1e-6)': maxDiff <= 1e-6,
        'weights stay within [0, 1]': wCsr.every((w) => w >= 0 && w <= 1),
        'no tensors left behind': tf.memory().numTensors === tensorsBefore,
      },
    };
  },
};
