import * as tf from '@tensorflow/tfjs-core';
import {
  createRegistry, createRng, defineRule, fromConfig, loadCheckpoint, logGamma, randomTensor, saveCheckpoint, toConfig,
  type RngState,
} from '@plasticity/core';
import { byBudget, type Demo } from '../demo.js';
import { chart, histogram } from '../svg.js';

/** A user-defined rule: decays every weight towards zero (written the way a user would). */
const decay = defineRule({
  name: 'demo/decay',
  description: 'w ← w · exp(−dt/τ) on every stored synapse',
  defaults: { tauMs: 1000 },
  validate: (p) => (p.tauMs > 0 ? [] : [`tauMs must be > 0, got ${p.tauMs}`]),
  init: () => ({}),
  step(io, state, params) {
    const factor = Math.exp(-io.dtMs / params.tauMs);
    io.conn.mapSynapses((w) => tf.mul(w, factor));
    return state;
  },
});

function mean(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s / a.length;
}

export const foundation: Demo = {
  name: 'foundation',
  title: 'Foundation: backends, seeded randomness, plugins and checkpoints',
  description: 'Starts the fastest backend, checks the seeded RNG against analytic distributions, registers a user rule and round-trips a checkpoint.',
  figures: ['rng-normal', 'rng-poisson'],
  async run({ budget, progress, figure, log, backend }) {
    const tensorsBefore = tf.memory().numTensors;
    const n = byBudget(budget, 20_000, 200_000, 1_000_000);
    const rng = createRng(2024);
    const bar = progress('sampling distributions', 3);
    const normal = rng.normal(n, 0, 1);
    bar.update(1);
    const poisson = rng.poisson(n, 4);
    bar.update(2);
    const gamma = rng.gamma(n, 2, 1);
    bar.finish();

    const h = histogram(normal, -4, 4, 40);
    const binWidth = 8 / 40;
    const pdf = h.x.map((x) => (n * binWidth * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI));
    figure('rng-normal', chart([
      { label: 'createRng(2024).normal', x: h.x, y: h.y, style: 'bars' },
      { label: 'N(0, 1) density', x: h.x, y: pdf },
    ], { title: `Seeded normal draws (n = ${n})`, xLabel: 'value', yLabel: 'count' }), 'Normal draws against the analytic density.');

    const ks = Array.from({ length: 13 }, (_, k) => k);
    const counts = ks.map((k) => poisson.filter((v) => v === k).length);
    const pmf = ks.map((k) => n * Math.exp(k * Math.log(4) - 4 - logGamma(k + 1)));
    figure('rng-poisson', chart([
      { label: 'poisson(λ = 4)', x: ks, y: counts, style: 'bars' },
      { label: 'analytic pmf', x: ks, y: pmf, style: 'points' },
    ], { title: 'Seeded Poisson draws', xLabel: 'k', yLabel: 'count' }), 'Poisson counts against the analytic probability mass.');

    const registry = createRegistry([decay]);
    const config = toConfig(decay, { tauMs: 250 });
    const resolved = fromConfig(registry, JSON.parse(JSON.stringify(config)));
    const weights = randomTensor(createRng(7), [64, 32], { dist: 'uniform', low: 0, high: 0.5 });
    const bytes = await saveCheckpoint({
      arrays: { weights, gamma },
      configs: { plasticity: config },
      data: { rng: rng.getState() as never, step: 0 },
    });
    const loaded = loadCheckpoint(bytes, registry);
    const original = await weights.data();
    weights.dispose();
    const sameWeights = loaded.arrays.weights!.data.every((v, i) => v === original[i]);
    const restored = createRng(0);
    restored.setState((loaded.data as unknown as { rng: RngState }).rng);
    const expected = rng.uniform(4);
    const continues = restored.uniform(4).every((v, i) => v === expected[i]);
    // The backend and the checkpoint size are metrics (printed once with them), not log lines.
    log(`registered plugins: ${registry.list().map((p) => p.name).join(', ')}`);

    const checks = {
      'normal mean within 4 SE of 0': Math.abs(mean(normal)) < 4 / Math.sqrt(n),
      'poisson mean within 4 SE of 4': Math.abs(mean(poisson) - 4) < 4 * Math.sqrt(4 / n),
      'checkpoint weights bit-identical': sameWeights,
      'checkpointed RNG continues the stream': continues,
      'config round-trips': resolved.plugin === decay && resolved.params.tauMs === 250,
      'no tensors left behind': tf.memory().numTensors === tensorsBefore,
    };
    return {
      summary: {
        figure: `normal mean ${mean(normal).toFixed(3)}, Poisson mean ${mean(poisson).toFixed(3)}; checkpoint ${sameWeights && continues ? 'bit-identical' : 'differs'}`,
        reference: 'analytic 0 and 4; bit-identical',
      },
      checks,
      metrics: {
        backend,
        'normal mean': +mean(normal).toFixed(4),
        'poisson mean (λ = 4)': +mean(poisson).toFixed(4),
        'gamma mean (k = 2)': +mean(gamma).toFixed(4),
        'checkpoint bytes': bytes.length,
        'config round trip': JSON.stringify(resolved.params),
      },
    };
  },
};
