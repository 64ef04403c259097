// An event-driven sparse network: Poisson inputs → a recurrent population of LIF neurons, both
// connections CSR, the recurrent one with a 1 ms delay and (optionally) STDP. Work per step is
// proportional to the spikes, so the throughput is counted in synaptic events (spike deliveries).
import { CSRConnection } from '@plasticity/sparse';
import { Network, lif, type SpikeMonitor } from '@plasticity/snn';
import type { PageModule } from '../page.js';
import { builtinRegistry } from '../models.js';
import { histogramFigure, linePlot, rasterPlot } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel, perSecond, readout } from '../ui.js';

const CHUNK_MS = 25;
const RASTER_MS = 250;

/** Synapses per presynaptic neuron (CSR row lengths). */
function rowLengths(conn: CSRConnection): Int32Array {
  const out = new Int32Array(conn.nPre);
  for (const i of conn.pairs().pre) out[i]!++;
  return out;
}

export const sparseNetworkPage: PageModule = {
  id: 'sparse-network',
  title: 'Sparse network',
  blurb: 'Poisson inputs → a recurrent population of LIF neurons over CSR connections (the recurrent one with a 1 ms delay and optional STDP). The fused engine touches only the synapses of neurons that spiked: throughput in synaptic events per second of wall time.',
  mount(root) {
    const params = controls({
      seconds: { label: 'duration (s)', value: 5, min: 0.1, max: 100, step: 0.1 },
      n: { label: 'LIF neurons', value: 2000, min: 10, max: 100000, step: 10 },
      nIn: { label: 'inputs', value: 1000, min: 10, max: 100000, step: 10 },
      rateHz: { label: 'input rate (Hz)', value: 20, min: 0, max: 200, step: 1 },
      pIn: { label: 'p input', value: 0.05, min: 0.0001, max: 1, step: 0.001 },
      wIn: { label: 'input w max (mV)', value: 1.5, min: 0, max: 20, step: 0.1 },
      pRec: { label: 'p recurrent', value: 0.05, min: 0.0001, max: 1, step: 0.001 },
      wRecStd: { label: 'recurrent w sd (mV)', value: 0.5, min: 0, max: 10, step: 0.1 },
      rule: { kind: 'choice', label: 'recurrent rule', value: 'core/stdp', options: ['core/stdp', 'none'] },
      seed: { label: 'seed', value: 1, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const raster = panel('Spike raster', `Every LIF neuron over the last ${RASTER_MS} ms.`);
    const rate = panel('Population rate', 'Mean firing rate of the LIF population per chunk of 25 ms.');
    const weights = panel('Recurrent weights', 'Distribution of the recurrent CSR weights (mV): initial and now.');
    const info = readout();
    root.append(params.element, el('div', { class: 'run-panel-host' }), el('div', { class: 'panels' }, raster.element, rate.element, weights.element,
      el('section', { class: 'panel' }, el('h3', {}, 'Throughput'), info.element)));
    const rateTimes: number[] = [];
    const rateValues: number[] = [];
    let p = params.values();
    const ratePlot = linePlot(rate.body, { series: ['rate (Hz)'], xLabel: 'time (s)', yLabel: 'Hz', fromZero: true });
    let rasterView = rasterPlot(raster.body, { neurons: p.n, label: 'LIF neuron' });

    let net: Network | null = null;
    let input: CSRConnection | null = null;
    let recurrent: CSRConnection | null = null;
    let inMon: SpikeMonitor | null = null;
    let recMon: SpikeMonitor | null = null;
    let inFan: Int32Array = new Int32Array(0);
    let recFan: Int32Array = new Int32Array(0);
    let w0: Float32Array = new Float32Array(0);
    let wNow: Float32Array = new Float32Array(0);
    let events = 0;
    let spikes = 0;
    let wall = 0;
    let lastRateSpikes = 0;
    const window: { t: number[]; i: number[] } = { t: [], i: [] };

    const sim: Simulation = {
      async setup() {
        p = params.values();
        rasterView.destroy();
        rasterView = rasterPlot(raster.body, { neurons: p.n, label: 'LIF neuron' });
        net = new Network({ dtMs: 0.1, seed: p.seed, registry: builtinRegistry() });
        net.addPoisson('input', { n: p.nIn, rateHz: p.rateHz });
        net.addPopulation('lif', { n: p.n, neuron: lif });
        input = CSRConnection.random({ nPre: p.nIn, nPost: p.n, p: p.pIn, seed: p.seed + 1, init: { dist: 'uniform', low: 0, high: p.wIn } });
        recurrent = CSRConnection.random({ nPre: p.n, nPost: p.n, p: p.pRec, seed: p.seed + 2, init: { dist: 'normal', mean: 0, std: p.wRecStd } });
        inFan = rowLengths(input);
        recFan = rowLengths(recurrent);
        net.connect('input', 'lif', { connection: input });
        net.connect('lif', 'lif', {
          connection: recurrent, delaySteps: 10,
          ...(p.rule === 'none' ? {} : { rule: p.rule, ruleParams: { aPlus: 0.005, aMinus: 0.00525, wMin: -2, wMax: 2, tauPlusMs: 20, tauMinusMs: 20 } }),
        });
        inMon = net.monitorSpikes('input');
        recMon = net.monitorSpikes('lif');
        w0 = await recurrent.getWeights();
        wNow = w0;
        events = spikes = wall = lastRateSpikes = 0;
        rateTimes.length = rateValues.length = 0;
        window.t = [];
        window.i = [];
      },
      async advance() {
        inMon!.clear();
        recMon!.clear();
        const t0 = performance.now();
        await net!.run(CHUNK_MS);
        wall += performance.now() - t0;
        // events = spikes delivered to each of the spiking neuron's synapses (the delayed ones included)
        for (const i of inMon!.indices()) events += inFan[i]!;
        const idx = recMon!.indices();
        for (const i of idx) events += recFan[i]!;
        spikes += idx.length;
        const now = net!.timeMs;
        // keep the raster window: drop spikes older than RASTER_MS, append this chunk's
        const from = now - RASTER_MS;
        const keep = window.t.findIndex((t) => t >= from);
        if (keep > 0) { window.t.splice(0, keep); window.i.splice(0, keep); }
        else if (keep < 0) { window.t = []; window.i = []; }
        const t = recMon!.timesMs();
        for (let k = 0; k < t.length; k++) { window.t.push(t[k]!); window.i.push(idx[k]!); }
        rateTimes.push(now / 1000);
        rateValues.push((spikes - lastRateSpikes) / p.n / (CHUNK_MS / 1000));
        lastRateSpikes = spikes;
        return Math.min(1, now / (p.seconds * 1000));
      },
      async draw() {
        if (!net) return;
        const now = net.timeMs;
        rasterView.setData(window.t, window.i, [Math.max(0, now - RASTER_MS), Math.max(now, RASTER_MS)]);
        ratePlot.setData(rateTimes, rateValues);
        // the weight histogram costs a readback: every 10th chunk and at the end
        if (rateTimes.length % 10 === 1 || now >= p.seconds * 1000) {
          wNow = await recurrent!.getWeights();
          const lim = Math.max(0.5, 4 * p.wRecStd);
          histogramFigure(weights.body, [{ label: 'initial', values: w0 }, { label: `t = ${(now / 1000).toFixed(2)} s`, values: wNow }], { lo: -lim, hi: lim, bins: 30, xLabel: 'w (mV)' });
        }
        info.set('synapses', `${(input!.nnz + recurrent!.nnz).toLocaleString('en')} (CSR: input ${input!.nnz.toLocaleString('en')}, recurrent ${recurrent!.nnz.toLocaleString('en')})`);
        info.set('simulated', `${(now / 1000).toFixed(2)} s of ${p.seconds} s`);
        info.set('LIF rate', `${(spikes / p.n / (now / 1000)).toFixed(2)} Hz`);
        info.set('synaptic events', events.toLocaleString('en'));
        info.set('throughput', perSecond(events / (wall / 1000)));
        info.set('real-time factor', `${(now / Math.max(wall, 1e-3)).toFixed(3)} (simulated s per wall s)`);
        info.set('engine', net.engineReport().map((r) => `${r.projection}: ${r.engine}`).join('; '));
        raster.body.dataset.throughput = String(events / (wall / 1000));
        runner.say(`t = ${(now / 1000).toFixed(2)} s`);
      },
      teardown() {
        net?.dispose();
        input?.dispose();
        recurrent?.dispose();
        net = input = recurrent = inMon = recMon = null;
      },
    };
    const runner = new RunPanel(sim, root);
    root.querySelector('.run-panel-host')!.replaceWith(runner.element);
    return {
      async dispose() {
        await runner.dispose();
        ratePlot.destroy();
        rasterView.destroy();
      },
    };
  },
};
