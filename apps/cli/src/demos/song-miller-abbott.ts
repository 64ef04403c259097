import { createRng } from '@plasticity/core';
import { stdp } from '@plasticity/rules';
import { DenseConnection } from '@plasticity/sparse';
import { Network, conductanceLif } from '@plasticity/snn';
import { byBudget, type Demo } from '../demo.js';
import { chart, heatmap, histogram } from '../svg.js';

/** Brian2 2.5.1 cython, examples/synapses/STDP.py, seed 1, 100 s: w/gmax in 10 bins (packages/snn/fixtures). */
const BRIAN2_HIST = [234, 117, 60, 63, 52, 55, 61, 68, 106, 184];
/** Output rates Brian2's example reports over seeds (Hz). */
const BRIAN2_RATE: [number, number] = [22.6, 26.4];

/** Rate in Hz of the spikes whose step lies in [fromStep, toStep). */
function rateIn(steps: Int32Array, fromStep: number, toStep: number, dtMs: number): number {
  let count = 0;
  for (const k of steps) if (k >= fromStep && k < toStep) count++;
  return count / (((toStep - fromStep) * dtMs) / 1000);
}

/**
 * Song, Miller & Abbott (2000) as Brian2's STDP example: 1000 Poisson inputs at 15 Hz onto one
 * conductance-based LIF with additive STDP. Competition splits the weights into two groups.
 */
export const songMillerAbbott: Demo = {
  name: 'song-miller-abbott',
  title: 'Song, Miller & Abbott (2000): STDP makes the weights bimodal',
  description: '1000 Poisson inputs at 15 Hz → one conductance LIF, additive STDP (gmax = 0.01, A− = 1.05·A+), dt = 0.1 ms, run by the fused engine with spike, state and weight monitors. The final w/gmax histogram is compared with Brian2\'s (seed 1, 100 s).',
  figures: ['sma-histogram', 'sma-evolution', 'sma-rate', 'sma-raster', 'sma-membrane', 'sma-weights'],
  async run({ budget, progress, figure, log }) {
    const seconds = byBudget(budget, 20, 100, 100); // long: the 100 s of the Brian2 reference, no more
    const dtMs = 0.1;
    const totalSteps = Math.round((seconds * 1000) / dtMs);
    const gmax = 0.01;
    const n = 1000;
    const net = new Network({ dtMs, seed: 1 });
    net.addPoisson('input', { n, rateHz: 15 });
    const out = net.addPopulation('out', { n: 1, neuron: conductanceLif, params: { vInitMv: 0 } });
    const w = DenseConnection.fromDense({ data: createRng(1).uniform(n, 0, gmax), shape: [n, 1] });
    const projection = net.connect('input', 'out', {
      connection: w,
      rule: stdp,
      ruleParams: { aPlus: 0.01 * gmax, aMinus: 0.0105 * gmax, wMin: 0, wMax: gmax, tauPlusMs: 20, tauMinusMs: 20 },
    });
    // The monitors a Brian2 user would attach: output spikes and weights for the whole run; input spikes
    // and the membrane potential (every step) for the last chunk only, which the raster and trace show.
    const spikes = net.monitorSpikes(out);
    const weightMonitor = net.monitorWeights(projection, { every: totalSteps / 20 });
    let inputSpikes: ReturnType<Network['monitorSpikes']> | undefined;
    let membrane: ReturnType<Network['monitorState']> | undefined;

    const chunks = 20;
    const bar = progress(`simulating ${seconds} s`, seconds);
    const start = performance.now();
    for (let c = 1; c <= chunks; c++) {
      if (c === chunks) {
        inputSpikes = net.monitorSpikes('input');
        membrane = net.monitorState(out, 'v', { every: 1 });
      }
      await net.run((seconds * 1000) / chunks);
      bar.update((c * seconds) / chunks, `${spikes.count} output spikes`);
    }
    bar.finish();
    const wall = (performance.now() - start) / 1000;
    const finalW = await w.getWeights();

    // Weight snapshots: the monitor's (from the first step on, every T/20) and the final weights.
    const snapshots = [...weightMonitor.snapshots, finalW];
    const times = [...Array.from(weightMonitor.timesMs(), (t) => t / 1000), seconds];
    const final = finalW.map((x) => x / gmax);
    const ours = histogram(final, 0, 1, 10);
    figure('sma-histogram', chart([
      { label: `ours, ${seconds} s`, x: ours.x, y: ours.y, style: 'bars' },
      { label: 'Brian2 cython, 100 s', x: ours.x, y: BRIAN2_HIST, style: 'points', color: '#dc2626', size: 4 },
    ], { title: 'Final w / gmax (1000 synapses)', xLabel: 'w / gmax', yLabel: 'synapses', xMin: 0, xMax: 1 }), 'Bimodal weight distribution against Brian2\'s.');

    const low = snapshots.map((s) => s.filter((x) => x < 0.1 * gmax).length / n);
    const high = snapshots.map((s) => s.filter((x) => x > 0.9 * gmax).length / n);
    figure('sma-evolution', chart([
      { label: 'fraction < 0.1 gmax', x: times, y: low },
      { label: 'fraction > 0.9 gmax', x: times, y: high },
      // Brian2's end fractions belong at 100 s, so only a full-length run shows them.
      ...(seconds === 100 ? [{ label: 'Brian2 at 100 s (< 0.1, > 0.9)', x: [100, 100], y: [0.234, 0.184], style: 'points' as const, color: '#111827', size: 4 }] : []),
    ], { title: 'Weights leaving the middle over time', xLabel: 'time (s)', yLabel: 'fraction of synapses', yMin: 0, xMin: 0, xMax: seconds === 100 ? 102 : seconds }),
    'How the two groups form, from the uniform start (t = 0).');

    // Rate in 5 s bins; the settled rate is the mean over the second half of the run (the first
    // seconds run at ~46 Hz while the weights are still uniform, which lifts the whole-run mean).
    const steps = spikes.steps();
    const binS = seconds / 20;
    const binSteps = Math.round((binS * 1000) / dtMs);
    const binCentres = Array.from({ length: seconds / binS }, (_, b) => (b + 0.5) * binS);
    const binned = binCentres.map((_, b) => rateIn(steps, b * binSteps, (b + 1) * binSteps, dtMs));
    const settledFrom = Math.round(totalSteps / 2);
    const settled = rateIn(steps, settledFrom, totalSteps, dtMs);
    const whole = spikes.count / seconds;
    const settledLabel = `last ${seconds / 2} s`;
    figure('sma-rate', chart([
      { label: `output rate (${binS} s bins)`, x: binCentres, y: binned },
      { label: `settled mean, ${settledLabel}: ${settled.toFixed(1)} Hz`, x: [seconds / 2, seconds], y: [settled, settled], color: '#dc2626', dashed: true },
      { label: `Brian2 ${BRIAN2_RATE[0]}–${BRIAN2_RATE[1]} Hz`, x: [0, seconds], y: [BRIAN2_RATE[0], BRIAN2_RATE[0]], color: '#6b7280', dashed: true },
      { label: 'Brian2 upper', x: [0, seconds], y: [BRIAN2_RATE[1], BRIAN2_RATE[1]], color: '#6b7280', dashed: true, hideInLegend: true },
    ], { title: 'Output firing rate', xLabel: 'time (s)', yLabel: 'Hz', yMin: 0 }),
    `The output rate falls from ~46 Hz as the weights compete and settles; the settled rate (${settledLabel}) is the one to compare with Brian2's.`);

    // Raster and membrane potential over the last second of the run.
    const windowFrom = totalSteps - Math.round(1000 / dtMs);
    const shown = 100;
    const inSteps = inputSpikes!.steps();
    const inIdx = inputSpikes!.indices();
    const rx: number[] = [];
    const ry: number[] = [];
    for (let k = 0; k < inSteps.length; k++) {
      if (inSteps[k]! >= windowFrom && inIdx[k]! < shown) {
        rx.push((inSteps[k]! * dtMs) / 1000);
        ry.push(inIdx[k]!);
      }
    }
    const outTimes = Array.from(steps).filter((k) => k >= windowFrom).map((k) => (k * dtMs) / 1000);
    figure('sma-raster', chart([
      { label: `inputs 0–${shown - 1} (of ${n}, 15 Hz Poisson)`, x: rx, y: ry, style: 'points', marker: 'tick', size: 1.6, color: '#2563eb' },
      { label: 'output neuron', x: outTimes, y: outTimes.map(() => shown + 6), style: 'points', marker: 'tick', size: 4, color: '#dc2626' },
    ], { title: `Spike raster, last second (t = ${seconds - 1}–${seconds} s)`, xLabel: 'time (s)', yLabel: 'neuron (output on top)', yMin: -2, yMax: shown + 12, xMin: seconds - 1, xMax: seconds }),
    'Input spikes of the first 100 inputs and the output spikes (SpikeMonitor).');

    const vSteps = membrane!.steps();
    const vValues = membrane!.values();
    const vx: number[] = [];
    const vy: number[] = [];
    const vFrom = totalSteps - Math.round(500 / dtMs);
    for (let k = 0; k < vSteps.length; k++) {
      if (vSteps[k]! >= vFrom) {
        vx.push((vSteps[k]! * dtMs) / 1000);
        vy.push(vValues[k]!);
      }
    }
    const vThresh = conductanceLif.defaults.vThreshMv;
    figure('sma-membrane', chart([
      { label: 'v of the output neuron', x: vx, y: vy, color: '#2563eb' },
      { label: `threshold ${vThresh} mV`, x: [vx[0] ?? 0, vx.at(-1) ?? 1], y: [vThresh, vThresh], color: '#dc2626', dashed: true },
    ], { title: `Membrane potential, last 0.5 s (dt = ${dtMs} ms)`, xLabel: 'time (s)', yLabel: 'v (mV)' }),
    'The output neuron\'s membrane potential (StateMonitor, every step): each crossing of the threshold is a spike, then v resets to −60 mV.');

    // Weight matrix over time: 200 of the 1000 synapses, sorted by their final weight, every T/20.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => finalW[a]! - finalW[b]! || a - b);
    const rows = 200;
    const picked = Array.from({ length: rows }, (_, r) => order[Math.floor(((r + 0.5) * n) / rows)]!);
    figure('sma-weights', heatmap(picked.map((i) => snapshots.map((s) => s[i]! / gmax)), {
      title: 'Weights over time (WeightMonitor)',
      xLabel: 'time (s)', yLabel: 'synapse rank by final weight', valueLabel: 'w / gmax',
      x: times, y: Array.from({ length: rows }, (_, r) => ((r + 0.5) * n) / rows), min: 0, max: 1,
    }), `${rows} of the ${n} synapses (evenly spaced in the order of their final weight) at every T/20: the uniform start splits into a group at 0 and a group at gmax.`);
    log(`monitors: ${spikes.count} output spikes, ${inputSpikes!.count} input spikes and ${vSteps.length} membrane samples in the last ${seconds / chunks} s, ${weightMonitor.snapshots.length} weight snapshots`);

    w.dispose();
    net.dispose();
    const fracLow = low.at(-1)!;
    const fracHigh = high.at(-1)!;
    const checks: Record<string, boolean> = budget === 'quick'
      ? { 'weights within [0, gmax]': final.every((x) => x >= 0 && x <= 1), 'settled output rate between 10 and 60 Hz': settled > 10 && settled < 60 }
      : {
        'weights within [0, gmax]': final.every((x) => x >= 0 && x <= 1),
        'about a quarter of the weights below 0.1 gmax': fracLow > 0.17 && fracLow < 0.31,
        'about a fifth above 0.9 gmax': fracHigh > 0.13 && fracHigh < 0.26,
        [`settled output rate (${settledLabel}) in 20–30 Hz`]: settled > 20 && settled < 30,
      };
    return {
      summary: {
        figure: `${seconds} s in ${wall.toFixed(2)} s; < 0.1 gmax ${fracLow.toFixed(3)}, > 0.9 gmax ${fracHigh.toFixed(3)}; settled rate ${settled.toFixed(1)} Hz`,
        reference: `Brian2 (100 s): 0.234, 0.184; ${BRIAN2_RATE[0]}–${BRIAN2_RATE[1]} Hz`,
      },
      checks,
      metrics: {
        'simulated (s)': seconds,
        'wall time (s)': +wall.toFixed(2),
        [`settled output rate, ${settledLabel} (Hz; Brian2 ${BRIAN2_RATE[0]}–${BRIAN2_RATE[1]})`]: +settled.toFixed(1),
        'whole-run mean output rate, incl. the ~46 Hz start (Hz)': +whole.toFixed(1),
        'fraction < 0.1 gmax (Brian2 0.234)': fracLow,
        'fraction > 0.9 gmax (Brian2 0.184)': fracHigh,
        'mean w/gmax (Brian2 0.475)': +(final.reduce((a, b) => a + b, 0) / n).toFixed(3),
      },
    };
  },
};
