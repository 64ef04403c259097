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
const lines = [
  `Working memory (copying task), held-out accuracy on ${wm.budget.testSequences} new sequences of the best solution found`,
  `(chance 0.5; "reset": every membrane potential and trace reset after the delay). Budget: ${wm.budget.generations} generations,`,
  `population ${wm.budget.population}, hidden ${wm.budget.hidden}, ${wm.budget.sequencesPerEvaluation} sequences per evaluation; ${wm.budget.es}; ${wm.date.slice(0, 10)}.`,
  '',
  '| Len | Lat | PDLF | PDLF, reset | weight-trained SNN | weight-trained, reset | wall time PDLF / baseline (s) |',
  '|---|---|---|---|---|---|---|',
  ...wm.rows.map((r) => `| ${r.length} | ${r.latency} | ${f3(r.pdlf.best.accuracy)} | ${f3(r.pdlf.best.resetAccuracy)} | ${f3(r.baseline.best.accuracy)} | ${f3(r.baseline.best.resetAccuracy)} | ${f1(r.pdlf.wallS)} / ${f1(r.baseline.wallS)} |`),
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
