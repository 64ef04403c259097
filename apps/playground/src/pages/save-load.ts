// Save and load: run an experiment, download it as spec + checkpoint, and resume it from the file —
// here, after a reload, or on another machine. The resumed network is built from the spec alone.
import type { Network } from '@plasticity/snn';
import type { PageModule } from '../page.js';
import { download, loadExperiment, saveExperiment } from '../experiment-file.js';
import { SMA_DEFAULTS, builtinRegistry, buildSma, rateIn } from '../models.js';
import { histogramFigure } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel, readout } from '../ui.js';

const CHUNK_MS = 500;

export const saveLoadPage: PageModule = {
  id: 'save-load',
  title: 'Save & load',
  blurb: 'Run the Song–Miller–Abbott experiment, download it (network spec + checkpoint, one JSON file), and upload the file to resume exactly where it stopped. Loading builds the network from the spec and validates the checkpoint; no code in the file is ever run.',
  mount(root) {
    const params = controls({
      seconds: { label: 'duration (s)', value: 30, min: 0.5, max: 1000, step: 0.5 },
      seed: { label: 'seed', value: 1, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const saveButton = el('button', { 'data-action': 'save' }, 'Download experiment');
    const fileInput = el('input', { type: 'file', accept: '.json,application/json', 'data-action': 'load', 'aria-label': 'experiment file' });
    const message = el('p', { class: 'status', 'data-role': 'message' });
    const hist = panel('Weights w / gmax');
    const info = readout();
    root.append(params.element, el('div', { class: 'run-panel-host' }),
      el('div', { class: 'run-panel' }, saveButton, el('label', {}, 'Resume from a file: ', fileInput)), message,
      el('div', { class: 'panels' }, hist.element, el('section', { class: 'panel' }, el('h3', {}, 'Experiment'), info.element)));

    let net: Network | null = null;
    let totalMs = 0;
    let origin = 'new run';
    let gmax = SMA_DEFAULTS.gmax;
    let weights: Float32Array = new Float32Array(0);

    const sim: Simulation = {
      async setup() {
        const p = params.values();
        totalMs = p.seconds * 1000;
        gmax = SMA_DEFAULTS.gmax;
        net = buildSma({ ...SMA_DEFAULTS, seed: p.seed });
        net.monitorSpikes('out');
        weights = await net.weights('input->out');
        origin = 'new run';
      },
      async advance() {
        await net!.run(CHUNK_MS);
        weights = await net!.weights('input->out');
        return Math.min(1, net!.timeMs / totalMs);
      },
      draw() {
        if (!net) return;
        histogramFigure(hist.body, [{ label: 'w / gmax', values: weights.map((w) => w / gmax) }], { lo: 0, hi: 1, bins: 20, xLabel: 'w / gmax' });
        const now = net.timeMs;
        const out = net.monitors().find((m) => 'indices' in m && m.population === 'out');
        const spikes = out && 'timesMs' in out ? out.timesMs() : new Float64Array(0);
        const from = spikes.length ? spikes[0]! : now;
        info.set('origin', origin);
        info.set('simulated', `${(now / 1000).toFixed(1)} s of ${(totalMs / 1000).toFixed(1)} s`);
        info.set('step', String(net.stepCount));
        info.set('output rate since start/resume', `${rateIn(spikes, Math.min(from, now), now).toFixed(1)} Hz`);
        const mean = weights.reduce((a, b) => a + b, 0) / Math.max(1, weights.length) / gmax;
        info.set('mean w / gmax', mean.toFixed(4));
        // full precision for the end-to-end test: a resumed run must equal an uninterrupted one
        root.dataset.meanW = String(mean);
        root.dataset.timeMs = String(now);
        runner.say(`t = ${(now / 1000).toFixed(1)} s`);
      },
      teardown() {
        net?.dispose();
        net = null;
      },
    };
    const runner = new RunPanel(sim, root);
    root.querySelector('.run-panel-host')!.replaceWith(runner.element);

    saveButton.onclick = async () => {
      if (!net) { message.textContent = 'Nothing to save yet: start a run first.'; return; }
      await runner.stop(); // a network saves only while idle
      const text = await saveExperiment(net, { totalMs, gmax });
      download(`sma-t${(net.timeMs / 1000).toFixed(1)}s.plasticity.json`, text);
      message.textContent = `Saved at t = ${(net.timeMs / 1000).toFixed(1)} s (${(text.length / 1024).toFixed(0)} KiB). Press Resume to continue, or upload the file later.`;
    };
    fileInput.onchange = async () => {
      const file = fileInput.files?.[0];
      if (!file) return;
      try {
        await runner.reset();
        const { net: loaded, file: experiment } = await loadExperiment(await file.text(), builtinRegistry());
        net = loaded;
        // a file saved at the end of its run continues for as long again
        const length = Number(experiment.meta.totalMs) || 10_000;
        totalMs = loaded.timeMs < length ? length : loaded.timeMs + length;
        gmax = Number(experiment.meta.gmax) || gmax;
        weights = await loaded.weights('input->out');
        origin = `${file.name}, saved ${experiment.savedAt}`;
        runner.adopt(loaded.timeMs / totalMs);
        await sim.draw();
        message.textContent = `Resumed from ${file.name} at t = ${(loaded.timeMs / 1000).toFixed(1)} s: press Resume to continue.`;
        root.dataset.resumedAtMs = String(loaded.timeMs);
      } catch (error) {
        message.textContent = `Could not load ${file.name}: ${(error as Error).message}`;
      } finally {
        fileInput.value = '';
      }
    };
    return { dispose: () => runner.dispose() };
  },
};
