// Your own rule: code typed in the editor is imported as a module, its rule registered in a fresh
// registry, and run in the Song–Miller–Abbott network beside the built-in core/stdp (same seed, same
// inputs), with each network's engine report: fused, or the tensor path and why.
import type { Rule } from '@plasticity/core';
import type { Network, ProjectionEngine, SpikeMonitor } from '@plasticity/snn';
// the editor starts from the examples' own fused STDP rule (tested there against core/stdp)
import defaultRule from '../../../examples/src/my-stdp.mjs?raw';
import type { PageModule } from '../page.js';
import { SMA_DEFAULTS, builtinRegistry, buildSma, rateIn } from '../models.js';
import { histogramFigure } from '../plots.js';
import { RunPanel, type Simulation } from '../runner.js';
import { controls, el, panel } from '../ui.js';
import { ALLOWED_IMPORTS, importUserModule } from '../user-module.js';

const CHUNK_MS = 500;
const EDITOR_KEY = 'plasticity-playground/custom-rule';

/** The module's rule: its default export, or else its first exported rule plugin. */
function findRule(exports: Record<string, unknown>): Rule {
  const isRule = (x: unknown): x is Rule => typeof x === 'object' && x !== null && (x as Rule).kind === 'rule';
  if (isRule(exports.default)) return exports.default;
  const rule = Object.values(exports).find(isRule);
  if (!rule) throw new Error('the module exports no rule: export default defineRule({ … }) (or export one by name)');
  return rule;
}

interface Side {
  readonly label: string;
  readonly net: Network;
  readonly out: SpikeMonitor;
  weights: Float32Array;
  wall: number;
}

export const customRulePage: PageModule = {
  id: 'custom-rule',
  title: 'Custom rule',
  blurb: 'Write a plasticity rule against the public API, register it, and run it beside the built-in core/stdp in the Song–Miller–Abbott network. A rule with a fused kernel runs in the fused engine; one without runs its tfjs step once per time step, and the engine report says so.',
  mount(root) {
    const editor = el('textarea', { class: 'code', spellcheck: 'false', 'aria-label': 'rule source' });
    editor.value = localStorage.getItem(EDITOR_KEY) ?? defaultRule;
    editor.addEventListener('input', () => localStorage.setItem(EDITOR_KEY, editor.value));
    const restore = el('button', { 'data-action': 'restore' }, 'Restore the example');
    restore.onclick = () => {
      editor.value = defaultRule;
      localStorage.removeItem(EDITOR_KEY);
      void runner.reset();
    };
    const errorBox = el('pre', { class: 'error', 'data-role': 'error' });
    const params = controls({
      seconds: { label: 'duration (s)', value: 20, min: 0.5, max: 200, step: 0.5 },
      nInputs: { label: 'inputs', value: SMA_DEFAULTS.nInputs, min: 10, max: 5000, step: 10 },
      seed: { label: 'seed', value: 1, min: 0, max: 2 ** 31, step: 1 },
    }, () => void runner.reset());
    const hist = panel('Weights w / gmax', 'Your rule and core/stdp from the same start, inputs and seed.');
    const report = panel('Engine report', 'Network.engineReport() of each network: which engine runs the plastic projection, and why not fused.');
    const summary = el('dl', { class: 'readout' });

    let sides: Side[] = [];
    let userRule: Rule | null = null;
    let p = params.values();
    let w0: Float32Array = new Float32Array(0);

    const renderReport = () => {
      const rows = sides.flatMap((s) => s.net.engineReport().map((r: ProjectionEngine) => el('tr', { 'data-side': s.label },
        el('td', {}, s.label), el('td', {}, r.rule ?? '–'),
        el('td', { class: r.engine, 'data-engine': r.engine }, r.engine), el('td', {}, r.reason ?? ''))));
      report.body.replaceChildren(el('table', { class: 'engine-report' },
        el('tr', {}, el('th', {}, 'network'), el('th', {}, 'rule'), el('th', {}, 'engine'), el('th', {}, 'why not fused')), ...rows));
    };

    const sim: Simulation = {
      async setup() {
        errorBox.textContent = '';
        p = params.values();
        try {
          userRule = findRule(await importUserModule(editor.value));
          const registry = builtinRegistry();
          registry.register(userRule);
          const options = { ...SMA_DEFAULTS, nInputs: p.nInputs, seed: p.seed };
          // 'silent': the report below says it, rather than a console line per network
          const user = buildSma(options, userRule, registry);
          const builtin = buildSma(options, 'core/stdp', registry);
          sides = [
            { label: userRule.name, net: user, out: user.monitorSpikes('out'), weights: new Float32Array(0), wall: 0 },
            { label: 'core/stdp (built-in)', net: builtin, out: builtin.monitorSpikes('out'), weights: new Float32Array(0), wall: 0 },
          ];
          for (const s of sides) s.weights = await s.net.weights('input->out');
          w0 = sides[0]!.weights;
          renderReport();
        } catch (error) {
          errorBox.textContent = String((error as Error).stack ?? error);
          throw error;
        }
      },
      async advance() {
        for (const s of sides) {
          const t0 = performance.now();
          await s.net.run(CHUNK_MS);
          s.wall += performance.now() - t0;
          s.weights = await s.net.weights('input->out');
        }
        return Math.min(1, sides[0]!.net.timeMs / (p.seconds * 1000));
      },
      draw() {
        if (sides.length === 0) return;
        const gmax = SMA_DEFAULTS.gmax;
        histogramFigure(hist.body, sides.map((s) => ({ label: s.label, values: s.weights.map((w) => w / gmax) })), { lo: 0, hi: 1, bins: 10, xLabel: 'w / gmax' });
        const [a, b] = sides;
        let diff = 0;
        let changed = 0;
        for (let k = 0; k < a!.weights.length; k++) {
          diff = Math.max(diff, Math.abs(a!.weights[k]! - b!.weights[k]!));
          if (a!.weights[k] !== w0[k]) changed++;
        }
        const now = a!.net.timeMs;
        const rows: [string, string, string][] = [
          ['simulated', `${(now / 1000).toFixed(1)} s of ${p.seconds} s`, 'simulated'],
          ...sides.map((s): [string, string, string] => [`${s.label}: output rate`, `${rateIn(s.out.timesMs(), 0, now).toFixed(1)} Hz`, 'rate']),
          ...sides.map((s): [string, string, string] => [`${s.label}: speed`, `${(now / Math.max(1e-3, s.wall)).toFixed(0)}× real time`, 'speed']),
          [`synapses changed by ${a!.label}`, `${changed} of ${w0.length}`, 'changed'],
          ['max |w_yours − w_core| / gmax', (diff / gmax).toExponential(2), 'diff'],
        ];
        summary.replaceChildren(...rows.flatMap(([k, v, key]) => [el('dt', {}, k), el('dd', { 'data-key': key }, v)]));
        runner.say(`t = ${(now / 1000).toFixed(1)} s`);
      },
      teardown() {
        for (const s of sides) s.net.dispose();
        sides = [];
      },
    };
    const runner = new RunPanel(sim, root);
    root.append(
      el('p', { class: 'caption' }, `Imports available: ${ALLOWED_IMPORTS.join(', ')}. The parameters given are SMA's (aPlus, aMinus, tauPlusMs, tauMinusMs, wMin, wMax) that your rule's defaults name; the others keep their defaults.`),
      editor, el('div', {}, restore), errorBox, params.element, runner.element,
      el('div', { class: 'panels' }, hist.element, report.element, el('section', { class: 'panel' }, el('h3', {}, 'Side by side'), summary)),
    );
    return { dispose: () => runner.dispose() };
  },
};
