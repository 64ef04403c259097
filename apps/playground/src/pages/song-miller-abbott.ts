// Song, Miller & Abbott (2000): Poisson inputs → one conductance LIF through additive STDP. The
// weights compete and split into two groups; the output rate falls from ~46 Hz and settles.
import type { Network, SpikeMonitor, StateMonitor } from '@plasticity/snn';
import type { PageModule } from '../page.js';
import { SMA_DEFAULTS, buildSma, rateIn } from '../models.js';
import { histogramFigure, linePlot, rasterPlot } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel, readout } from '../ui.js';

const CHUNK_MS = 500;
const RASTER_INPUTS = 100;

export const songMillerAbbottPage: PageModule = {
  id: 'song-miller-abbott',
  title: 'Song–Miller–Abbott',
  blurb: 'Poisson inputs onto one conductance-based LIF neuron with additive STDP (Song, Miller & Abbott 2000, as Brian2\'s example): competition makes the weights bimodal. Brian2 (100 s, seed 1): 23% of the weights below 0.1·gmax, 18% above 0.9·gmax, 22.6–26.4 Hz.',
  mount(root) {
    const params = controls({
      seconds: { label: 'duration (s)', value: 100, min: 1, max: 1000, step: 1 },
      nInputs: { label: 'inputs', value: SMA_DEFAULTS.nInputs, min: 10, max: 10000, step: 10 },
      rateHz: { label: 'input rate (Hz)', value: SMA_DEFAULTS.rateHz, min: 1, max: 100, step: 1 },
      gmax: { label: 'gmax', value: SMA_DEFAULTS.gmax, min: 0.001, max: 0.1, step: 0.001 },
      ratio: { label: 'A− / A+', value: SMA_DEFAULTS.ratio, min: 0, max: 3, step: 0.01 },
      seed: { label: 'seed', value: SMA_DEFAULTS.seed, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const hist = panel('Weights w / gmax', 'Updated every 0.5 s of simulated time; starts uniform.');
    const rate = panel('Output rate', 'Spikes of the output neuron per 1 s bin.');
    const raster = panel('Input spike raster', `The first ${RASTER_INPUTS} inputs over the last 0.5 s; the output neuron's spikes (red) on the top row.`);
    const membrane = panel('Membrane potential', 'The output neuron over the last 0.5 s (StateMonitor, every step).');
    const info = readout();
    root.append(params.element, el('div', { class: 'run-panel-host' }), el('div', { class: 'panels' }, hist.element, rate.element, raster.element, membrane.element,
      el('section', { class: 'panel' }, el('h3', {}, 'Readout'), info.element)));
    const ratePlot = linePlot(rate.body, { series: ['output rate (Hz)'], xLabel: 'time (s)', yLabel: 'Hz', fromZero: true });
    const rasterView = rasterPlot(raster.body, { neurons: RASTER_INPUTS + 5, label: 'input (output on top)' });
    const vPlot = linePlot(membrane.body, { series: ['v (mV)'], xLabel: 'time (ms)', yLabel: 'mV' });

    let net: Network | null = null;
    let out: SpikeMonitor | null = null;
    let inputs: SpikeMonitor | null = null;
    let v: StateMonitor | null = null;
    let p = params.values();
    let weights: Float32Array = new Float32Array(0);
    let wall = 0;

    const sim: Simulation = {
      async setup() {
        p = params.values();
        net = buildSma({ nInputs: p.nInputs, rateHz: p.rateHz, gmax: p.gmax, ratio: p.ratio, seed: p.seed });
        out = net.monitorSpikes('out');
        inputs = net.monitorSpikes('input');
        v = net.monitorState('out', 'v', { every: 1 });
        weights = await net.weights('input->out');
        wall = 0;
      },
      async advance() {
        // The raster and the trace show the last chunk only: clear what they recorded before.
        inputs!.clear();
        v!.clear();
        const t0 = performance.now();
        await net!.run(CHUNK_MS);
        wall += performance.now() - t0;
        weights = await net!.weights('input->out');
        return Math.min(1, net!.timeMs / (p.seconds * 1000));
      },
      draw() {
        if (!net) return;
        const now = net.timeMs;
        histogramFigure(hist.body, [{ label: 'w / gmax', values: weights.map((w) => w / p.gmax) }], { lo: 0, hi: 1, bins: 20, xLabel: 'w / gmax' });
        const outTimes = out!.timesMs();
        const bins = Math.floor(now / 1000);
        const centres = Array.from({ length: bins }, (_, b) => b + 0.5);
        ratePlot.setData(centres, centres.map((_, b) => rateIn(outTimes, b * 1000, (b + 1) * 1000)));
        // raster: inputs 0..99 of the last chunk, the output neuron at the top
        const t = inputs!.timesMs();
        const idx = inputs!.indices();
        const xs: number[] = [];
        const ys: number[] = [];
        const group: number[] = [];
        const from = now - CHUNK_MS;
        let k = 0;
        let o = 0;
        const outIdx = outTimes.findIndex((x) => x >= from);
        o = outIdx < 0 ? outTimes.length : outIdx;
        for (; k < t.length; k++) {
          while (o < outTimes.length && outTimes[o]! <= t[k]!) { xs.push(outTimes[o]!); ys.push(RASTER_INPUTS + 3); group.push(1); o++; }
          if (idx[k]! < RASTER_INPUTS) { xs.push(t[k]!); ys.push(idx[k]!); group.push(0); }
        }
        for (; o < outTimes.length; o++) { xs.push(outTimes[o]!); ys.push(RASTER_INPUTS + 3); group.push(1); }
        rasterView.setData(xs, ys, [from, now], group);
        vPlot.setData(v!.timesMs(), v!.values());
        let low = 0;
        let high = 0;
        for (const w of weights) {
          if (w < 0.1 * p.gmax) low++;
          if (w > 0.9 * p.gmax) high++;
        }
        info.set('simulated', `${(now / 1000).toFixed(1)} s of ${p.seconds} s`);
        info.set('output rate, last 5 s', `${rateIn(outTimes, Math.max(0, now - 5000), now).toFixed(1)} Hz`);
        info.set('w < 0.1·gmax', `${((100 * low) / weights.length).toFixed(1)} %`);
        info.set('w > 0.9·gmax', `${((100 * high) / weights.length).toFixed(1)} %`);
        info.set('speed', `${(now / Math.max(wall, 1e-3)).toFixed(0)}× real time (simulation only)`);
        info.set('engine', net.engineReport().map((r) => `${r.rule}: ${r.engine}${r.reason ? ` (${r.reason})` : ''}`).join('; '));
        runner.say(`t = ${(now / 1000).toFixed(1)} s`);
      },
      teardown() {
        net?.dispose();
        net = out = inputs = v = null;
      },
    };
    const runner = new RunPanel(sim, root);
    root.querySelector('.run-panel-host')!.replaceWith(runner.element);
    return {
      async dispose() {
        await runner.dispose();
        ratePlot.destroy();
        rasterView.destroy();
        vPlot.destroy();
      },
    };
  },
};
