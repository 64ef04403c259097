import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Budget, DemoResult } from './demo.js';
import { esc } from './svg.js';

export interface DemoRecord {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly seconds: number;
  readonly result?: DemoResult;
  readonly error?: string;
  /** name: figure name without extension; files: what was written for it (svg, png). */
  readonly figures: { name: string; caption: string; files: string[] }[];
  readonly log: string[];
}

/** The options of a run, recorded in every report so two reports can be told apart. */
export interface RunInfo {
  readonly date: string;
  readonly budget: Budget;
  /** budget === 'quick' (kept for readers of report.json written before the budget flag). */
  readonly quick: boolean;
  readonly backendRequested: string;
  readonly backend: string;
  /** Why `auto` passed over a backend. */
  readonly backendNotes: readonly string[];
  readonly demos: readonly string[];
  readonly allDemos: boolean;
  readonly node: string;
  readonly argv: readonly string[];
}

export const passed = (r: DemoRecord): boolean => !r.error && !!r.result && Object.values(r.result.checks).every(Boolean);

/** A Markdown table cell: `|` would end the cell and a newline the row. */
export const mdCell = (v: unknown): string => String(v).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

const BUDGET_NOTES: Record<Budget, string> = {
  quick: '`--budget quick` or `--quick`: shorter simulations, a smoke test; full-length checks skipped',
  default: 'the default: each demo at the size its reference was made at, or a small search',
  long: '`--budget long`: longer simulations, more generations and epochs',
};

function runLines(run: RunInfo): string[] {
  return [
    `- Run: **${run.budget}** budget (${BUDGET_NOTES[run.budget]})`,
    `- Demos: ${run.allDemos ? `all (${run.demos.join(', ')})` : `${run.demos.join(', ')} only (a partial run)`}`,
    `- Backend: ${run.backend}${run.backendRequested === 'auto' ? ' (auto)' : ' (requested)'}${run.backendNotes.length ? `; ${run.backendNotes.join('; ')}` : ''}`,
    `- Date: ${run.date}; Node ${run.node}`,
    `- Command: \`plasticity-demo${run.argv.length ? ' ' + run.argv.join(' ') : ''}\``,
  ];
}

/** The summary table printed on stdout at the end of a run. */
export function summaryTable(records: readonly DemoRecord[]): string {
  const rows = [['demo', 'key figure', 'reference', 'result']];
  for (const r of records) {
    rows.push([r.name, r.result?.summary.figure ?? (r.error ? `error: ${r.error}` : ''), r.result?.summary.reference ?? '', passed(r) ? 'pass' : 'FAIL']);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => [...row[c]!].length)));
  const line = (row: string[]) => row.map((cell, c) => cell + ' '.repeat(widths[c]! - [...cell].length)).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function markdown(run: RunInfo, records: readonly DemoRecord[]): string {
  const lines = ['# plasticity demo report', '', ...runLines(run), '', '## Summary', '', '| demo | key figure | reference | result |', '|---|---|---|---|'];
  for (const r of records) lines.push(`| ${mdCell(r.name)} | ${mdCell(r.result?.summary.figure ?? r.error ?? '')} | ${mdCell(r.result?.summary.reference ?? '')} | ${passed(r) ? 'pass' : '**FAIL**'} |`);
  lines.push('');
  for (const r of records) {
    lines.push(`## ${r.title}`, '', r.description, '', `Ran in ${r.seconds.toFixed(2)} s.`, '');
    if (r.error) lines.push(`**Failed:** ${r.error}`, '');
    if (r.result) {
      lines.push('| metric | value |', '|---|---|');
      for (const [k, v] of Object.entries(r.result.metrics)) lines.push(`| ${mdCell(k)} | ${mdCell(v)} |`);
      lines.push('', '| check | result |', '|---|---|');
      for (const [k, v] of Object.entries(r.result.checks)) lines.push(`| ${mdCell(k)} | ${v ? 'pass' : '**FAIL**'} |`);
      lines.push('');
    }
    for (const line of r.log) lines.push(`- ${line}`);
    if (r.log.length) lines.push('');
    for (const f of r.figures) lines.push(`![${f.caption}](${f.files[0]})`, '', `*${f.caption}*${f.files.length > 1 ? ` (${f.files.map((x) => `[${path.extname(x).slice(1)}](${x})`).join(', ')})` : ''}`, '');
  }
  return lines.join('\n');
}

function html(run: RunInfo, records: readonly DemoRecord[]): string {
  const table = (head: string[], rows: string[][]) =>
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const verdict = (ok: boolean) => (ok ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>');
  const body: string[] = [
    '<h1>plasticity demo report</h1>',
    `<ul>${runLines(run).map((l) => `<li>${esc(l.slice(2)).replace(/\*\*(.*?)\*\*/g, '<b>$1</b>').replace(/`(.*?)`/g, '<code>$1</code>')}</li>`).join('')}</ul>`,
    '<h2>Summary</h2>',
    table(['demo', 'key figure', 'reference', 'result'], records.map((r) => [`<a href="#${esc(r.name)}">${esc(r.name)}</a>`, esc(r.result?.summary.figure ?? r.error ?? ''), esc(r.result?.summary.reference ?? ''), verdict(passed(r))])),
  ];
  for (const r of records) {
    body.push(`<h2 id="${esc(r.name)}">${esc(r.title)}</h2>`, `<p>${esc(r.description)}</p>`, `<p>Ran in ${r.seconds.toFixed(2)} s.</p>`);
    if (r.error) body.push(`<p class="fail">Failed: ${esc(r.error)}</p>`);
    if (r.result) {
      body.push(table(['metric', 'value'], Object.entries(r.result.metrics).map(([k, v]) => [esc(k), esc(String(v))])));
      body.push(table(['check', 'result'], Object.entries(r.result.checks).map(([k, v]) => [esc(k), verdict(v)])));
    }
    if (r.log.length) body.push(`<ul>${r.log.map((l) => `<li>${esc(l)}</li>`).join('')}</ul>`);
    for (const f of r.figures) {
      const svg = f.files.find((x) => x.endsWith('.svg'))!;
      body.push(`<figure><img src="${esc(svg)}" alt="${esc(f.caption)}"><figcaption>${esc(f.caption)} ${f.files.map((x) => `<a href="${esc(x)}">${esc(path.extname(x).slice(1))}</a>`).join(' ')}</figcaption></figure>`);
    }
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>plasticity demo report</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 960px; margin: 2em auto; padding: 0 1em; color: #111827; }
table { border-collapse: collapse; margin: 0.8em 0; } td, th { border: 1px solid #d1d5db; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f4f6; } .pass { color: #15803d; font-weight: bold; } .fail { color: #b91c1c; font-weight: bold; }
figure { margin: 1.2em 0; } img { max-width: 100%; border: 1px solid #e5e7eb; } figcaption { color: #4b5563; font-size: 0.9em; }
</style></head><body>
${body.join('\n')}
</body></html>
`;
}

/** Writes report.md, report.html and report.json (with every file the run wrote); returns report.md's path. */
export function writeReport(outDir: string, run: RunInfo, records: readonly DemoRecord[]): string {
  const files = ['report.md', 'report.html', 'report.json', ...records.flatMap((r) => r.figures.flatMap((f) => f.files))];
  writeFileSync(path.join(outDir, 'report.md'), markdown(run, records));
  writeFileSync(path.join(outDir, 'report.html'), html(run, records));
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify({ run, files, records }, null, 2));
  return path.join(outDir, 'report.md');
}
