// The STDP learning window: the analytic curve and the pair protocol simulated by the fused engine.
// One network holds every pairing at once: synapse k joins pre spike train k to post LIF neuron k
// (a diagonal CSR), so each synapse sees exactly one pre and one post spike, Δt_k apart. A second,
// non-plastic projection drives post neuron k over threshold at the wanted time. Δw is read from the
// weights as the run passes each pair, and Δt from the spike monitors (not from the schedule).
import { createRegistry } from '@plasticity/core';
import { registerBuiltins, stdp } from '@plasticity/rules';
import { CSRConnection } from '@plasticity/sparse';
import { Network, lif, type SpikeMonitor } from '@plasticity/snn';
import type { PageModule } from '../page.js';
import { Plot, figure } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel, readout } from '../ui.js';

const T0_MS = 80; // every spike after t = 0 for |Δt| ≤ 60 ms
const CHUNK_MS = 4;

function diagonal(n: number, weight: number): CSRConnection {
  const index = Int32Array.from({ length: n }, (_, i) => i);
  return CSRConnection.fromCoo({ nPre: n, nPost: n, pre: index, post: index, weights: new Float32Array(n).fill(weight) });
}

/** Spike times by neuron from a monitor (one spike per neuron here; NaN where none yet). */
function firstSpike(monitor: SpikeMonitor, n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  const t = monitor.timesMs();
  const idx = monitor.indices();
  for (let k = 0; k < t.length; k++) if (Number.isNaN(out[idx[k]!]!)) out[idx[k]!] = t[k]!;
  return out;
}

export const stdpWindowPage: PageModule = {
  id: 'stdp-window',
  title: 'STDP window',
  blurb: 'One pre and one post spike Δt apart on each synapse: the weight change the core/stdp rule makes, simulated by the fused engine, against A+·e^(−Δt/τ+) and −A−·e^(Δt/τ−).',
  mount(root) {
    const params = controls({
      aPlus: { label: 'A+', value: 0.01, min: 0, max: 0.2, step: 0.001 },
      aMinus: { label: 'A−', value: 0.012, min: 0, max: 0.2, step: 0.001 },
      tauPlusMs: { label: 'τ+ (ms)', value: 16.8, min: 1, max: 100, step: 0.1 },
      tauMinusMs: { label: 'τ− (ms)', value: 33.7, min: 1, max: 100, step: 0.1 },
      pairing: { kind: 'choice', label: 'pairing', value: 'all-to-all', options: ['all-to-all', 'nearest'] },
      spacingMs: { label: 'Δt spacing (ms)', value: 2, min: 1, max: 20, step: 1 },
      dtMs: { label: 'dt (ms)', value: 0.1, min: 0.05, max: 1, step: 0.05 },
    }, () => void runner.reset().then(() => void runner.start()));
    const win = panel('Δw after one pre/post pair', 'Line: the closed form (it jumps at Δt = 0). Dots: the simulated synapses, each placed at the Δt its spike monitors recorded.');
    const info = readout();
    let net: Network | null = null;
    let plastic: CSRConnection | null = null;
    let drive: CSRConnection | null = null;
    let preMon: SpikeMonitor | null = null;
    let postMon: SpikeMonitor | null = null;
    let deltas: number[] = [];
    let endMs = 0;
    let p = params.values();
    let measured: { dt: number; dw: number }[] = [];

    const analytic = (d: number) => (d > 0 ? p.aPlus * Math.exp(-d / p.tauPlusMs) : -p.aMinus * Math.exp(d / p.tauMinusMs));

    const draw = () => {
      const curve = (from: number, to: number) => Array.from({ length: 150 }, (_, k) => from + ((to - from) * k) / 149);
      const ltd = curve(-60, -1e-3).map((x) => ({ x, y: analytic(x), part: 'LTD' }));
      const ltp = curve(1e-3, 60).map((x) => ({ x, y: analytic(x), part: 'LTP' }));
      const yMax = Math.max(p.aPlus, p.aMinus) * 1.1 || 1;
      figure(win.body, {
        x: { label: 'Δt = t(post) − t(pre) (ms)', domain: [-62, 62] },
        y: { label: 'Δw', grid: true, domain: [-yMax, yMax] },
        marks: [
          Plot.ruleY([0], { stroke: '#9ca3af' }),
          Plot.ruleX([0], { stroke: '#9ca3af' }),
          Plot.line([...ltd, ...ltp], { x: 'x', y: 'y', z: 'part', stroke: '#111827' }),
          Plot.dot(measured, { x: 'dt', y: 'dw', r: 3, fill: '#2563eb', tip: true }),
        ],
      }, measured.length);
      let worst = 0;
      for (const m of measured) worst = Math.max(worst, Math.abs(m.dw - analytic(m.dt)));
      info.set('pairs measured', `${measured.length} / ${deltas.length}`);
      info.set('max |Δw − analytic|', measured.length ? worst.toExponential(2) : '–');
      if (net) info.set('engine', net.engineReport().filter((r) => r.rule).map((r) => `${r.rule}: ${r.engine}`).join(', '));
    };

    const sim: Simulation = {
      async setup() {
        p = params.values();
        const count = Math.floor(60 / p.spacingMs);
        deltas = [];
        for (let k = -count; k <= count; k++) if (k !== 0) deltas.push(k * p.spacingMs);
        const n = deltas.length;
        const registry = createRegistry();
        registerBuiltins(registry);
        net = new Network({ dtMs: p.dtMs, seed: 1, registry });
        // The drive spike comes one step before the post spike: input of step n acts in step n + 1.
        const preTimes = deltas.map(() => T0_MS);
        const driveTimes = deltas.map((d) => T0_MS + d - p.dtMs);
        const index = deltas.map((_, i) => i);
        net.addSpikeTrain('pre', { n, timesMs: preTimes, indices: index });
        net.addSpikeTrain('drive', { n, timesMs: driveTimes, indices: index });
        net.addPopulation('post', { n, neuron: lif });
        plastic = diagonal(n, 0.5); // 0.5 mV: far below threshold, so only the drive makes post spike
        drive = diagonal(n, 40);
        net.connect('drive', 'post', { connection: drive });
        net.connect('pre', 'post', {
          connection: plastic, rule: stdp,
          ruleParams: { aPlus: p.aPlus, aMinus: p.aMinus, tauPlusMs: p.tauPlusMs, tauMinusMs: p.tauMinusMs, pairing: p.pairing, wMin: 0, wMax: 1 },
        });
        preMon = net.monitorSpikes('pre');
        postMon = net.monitorSpikes('post');
        endMs = T0_MS + 60 + 20;
        measured = [];
      },
      async advance() {
        await net!.run(CHUNK_MS);
        const now = net!.timeMs;
        const w = await plastic!.getWeights();
        const pre = firstSpike(preMon!, deltas.length);
        const post = firstSpike(postMon!, deltas.length);
        measured = [];
        for (let k = 0; k < deltas.length; k++) {
          // a pair is complete once both spikes are past (updates happen in the spike's step)
          if (Number.isFinite(pre[k]!) && Number.isFinite(post[k]!) && Math.max(pre[k]!, post[k]!) < now) {
            measured.push({ dt: +(post[k]! - pre[k]!).toFixed(6), dw: w[k]! - 0.5 });
          }
        }
        runner.say(`t = ${now.toFixed(0)} ms`);
        return Math.min(1, now / endMs);
      },
      draw,
      teardown() {
        net?.dispose();
        plastic?.dispose();
        drive?.dispose();
        net = plastic = drive = null;
        measured = [];
      },
    };
    const runner = new RunPanel(sim, root);
    root.append(params.element, runner.element, el('div', { class: 'panels' }, win.element, el('section', { class: 'panel' }, el('h3', {}, 'Readout'), info.element)));
    draw();
    return { dispose: () => runner.dispose() };
  },
};
