import { createRng } from '@plasticity/core';
import { stdp } from '@plasticity/rules';
import { DenseConnection } from '@plasticity/sparse';
import { Network, conductanceLif } from '@plasticity/snn';
import type { Demo } from '../demo.js';
import { chart, histogram } from '../svg.js';

/** Brian2 2.5.1 cython, examples/synapses/STDP.py, seed 1, 100 s: w/gmax in 10 bins (packages/snn/fixtures). */
const BRIAN2_HIST = [234, 117, 60, 63, 52, 55, 61, 68, 106, 184];

/**
 * Song, Miller & Abbott (2000) as Brian2's STDP example: 1000 Poisson inputs at 15 Hz onto one
 * conductance-based LIF with additive STDP. Competition splits the weights into two groups.
 */
export const songMillerAbbott: Demo = {
  name: 'song-miller-abbott',
  title: 'Song, Miller & Abbott (2000): STDP makes the weights bimodal',
  description: '1000 Poisson inputs at 15 Hz → one conductance LIF, additive STDP (gmax = 0.01, A− = 1.05·A+), dt = 0.1 ms, run by the fused engine. The final w/gmax histogram is compared with Brian2\'s (seed 1, 100 s).',
  async run({ quick, progress, figure }) {
    const seconds = quick ? 20 : 100;
    const gmax = 0.01;
    const n = 1000;
    const net = new Network({ dtMs: 0.1, seed: 1 });
    net.addPoisson('input', { n, rateHz: 15 });
    net.addPopulation('out', { n: 1, neuron: conductanceLif, params: { vInitMv: 0 } });
    const w = DenseConnection.fromDense({ data: createRng(1).uniform(n, 0, gmax), shape: [n, 1] });
    net.connect('input', 'out', {
      connection: w,
      rule: stdp,
      ruleParams: { aPlus: 0.01 * gmax, aMinus: 0.0105 * gmax, wMin: 0, wMax: gmax, tauPlusMs: 20, tauMinusMs: 20 },
    });
    const spikes = net.monitorSpikes('out');
    const snapshots: { t: number; w: Float32Array }[] = [];
    const bar = progress(`simulating ${seconds} s`, seconds);
    const start = performance.now();
    for (let s = 0; s < seconds; s += seconds / 10) {
      await net.run((seconds / 10) * 1000);
      snapshots.push({ t: s + seconds / 10, w: await w.getWeights() });
      bar.update(s + seconds / 10, `${spikes.count} output spikes`);
    }
    bar.finish();
    const wall = (performance.now() - start) / 1000;
    const final = snapshots.at(-1)!.w.map((x) => x / gmax);
    const ours = histogram(final, 0, 1, 10);
    figure('sma-histogram.svg', chart([
      { label: `ours, ${seconds} s`, x: ours.x, y: ours.y, style: 'bars' },
      { label: 'Brian2 cython, 100 s', x: ours.x, y: BRIAN2_HIST, style: 'points', color: '#dc2626' },
    ], { title: 'Final w / gmax (1000 synapses)', xLabel: 'w / gmax', yLabel: 'synapses' }), 'Bimodal weight distribution against Brian2\'s.');
    const low = snapshots.map((s) => s.w.filter((x) => x < 0.1 * gmax).length / n);
    const high = snapshots.map((s) => s.w.filter((x) => x > 0.9 * gmax).length / n);
    const times = snapshots.map((s) => s.t);
    figure('sma-evolution.svg', chart([
      { label: 'fraction < 0.1 gmax', x: times, y: low },
      { label: 'fraction > 0.9 gmax', x: times, y: high },
    ], { title: 'Weights leaving the middle over time', xLabel: 'time (s)', yLabel: 'fraction of synapses', yMin: 0 }), 'How the two groups form.');
    const rate = spikes.count / seconds;
    const steps = spikes.steps();
    const binned = Array.from({ length: 10 }, (_, b) => steps.filter((k) => Math.floor((k * 0.1) / ((seconds * 1000) / 10)) === b).length / (seconds / 10));
    figure('sma-rate.svg', chart([{ label: 'output rate', x: times, y: binned }],
      { title: 'Output firing rate', xLabel: 'time (s)', yLabel: 'Hz', yMin: 0 }), 'The output rate settles as the weights compete.');
    w.dispose();
    net.dispose();
    const fracLow = low.at(-1)!;
    const fracHigh = high.at(-1)!;
    const checks: Record<string, boolean> = quick
      ? { 'weights within [0, gmax]': final.every((x) => x >= 0 && x <= 1), 'output rate between 10 and 60 Hz': rate > 10 && rate < 60 }
      : {
        'weights within [0, gmax]': final.every((x) => x >= 0 && x <= 1),
        'about a quarter of the weights below 0.1 gmax': fracLow > 0.17 && fracLow < 0.31,
        'about a fifth above 0.9 gmax': fracHigh > 0.13 && fracHigh < 0.26,
        'output rate in 20–30 Hz': rate > 20 && rate < 30,
      };
    return {
      checks,
      metrics: {
        'simulated (s)': seconds,
        'wall time (s)': +wall.toFixed(2),
        'output rate (Hz)': +rate.toFixed(1),
        'fraction < 0.1 gmax (Brian2 0.234)': fracLow,
        'fraction > 0.9 gmax (Brian2 0.184)': fracHigh,
        'mean w/gmax (Brian2 0.475)': +(final.reduce((a, b) => a + b, 0) / n).toFixed(3),
      },
    };
  },
};
