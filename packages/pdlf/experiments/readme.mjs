// Writes the experiment tables of the package README (between the experiments:start/end markers)
// from results/*.json, so the README's numbers are the measured ones.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const readme = path.join(here, '..', 'README.md');
const load = (name) => JSON.parse(readFileSync(path.join(here, 'results', `${name}.json`), 'utf8'));
const f3 = (x) => x.toFixed(3), f1 = (x) => x.toFixed(1);

const wm = load('working-memory');
const control = load('control');
const wmNames = Object.keys(wm.rows[0].results);
const lines = [
  `Working memory (copying task), held-out accuracy on ${wm.budget.testSequences} new sequences of the best solution found`,
  `(chance 0.5), and in brackets after the memory test (every membrane potential, trace and GRU state reset after`,
  `the delay). Budget: ${wm.budget.generations} generations, population ${wm.budget.population}, SNN hidden ${wm.budget.hidden}, GRU ${wm.budget.gru},`,
  `${wm.budget.sequencesPerEvaluation} sequences per evaluation; ${wm.budget.es}; ${wm.date.slice(0, 10)}.`,
  '',
  `| Len | Lat | ${wmNames.join(' | ')} | wall time (s) |`,
  `|---|---|${wmNames.map(() => '---').join('|')}|---|`,
  ...wm.rows.map((r) => `| ${r.length} | ${r.latency} | ${wmNames.map((n) => `${f3(r.results[n].best.accuracy)} (${f3(r.results[n].best.resetAccuracy)})`).join(' | ')} | ${wmNames.map((n) => f1(r.results[n].wallS)).join(' / ')} |`),
  '',
  `Multi-task control (reach), return per ${control.budget.steps}-step episode averaged over the directions (best constant action:`,
  `${f1(control.reference)} on the training directions, ${f1(control.heldOutReference)} held out). Budget: ${control.budget.generations} generations, population`,
  `${control.budget.population}, hidden ${control.budget.hidden}; ${control.budget.es}; ${control.date.slice(0, 10)}.`,
  '',
  `| policy | training directions | held-out directions | ${control.fractions.map((x) => `${x * 100} % blocked`).join(' | ')} | wall time (s) |`,
  `|---|---|---|${control.fractions.map(() => '---').join('|')}|---|`,
  ...Object.entries(control.results).map(([name, r]) => `| ${name} | ${f1(r.train)} | ${f1(r.heldOut)} | ${r.permanent.map(f1).join(' | ')} | ${f1(r.wallS)} |`),
];
const text = readFileSync(readme, 'utf8');
const start = '<!-- experiments:start -->', end = '<!-- experiments:end -->';
const a = text.indexOf(start), b = text.indexOf(end);
if (a < 0 || b < a) throw new Error(`README.md has no ${start} … ${end} section`);
writeFileSync(readme, `${text.slice(0, a + start.length)}\n${lines.join('\n')}\n${text.slice(b)}`);
console.log('README experiment tables written');
