import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DemoResult } from './demo.js';

export interface DemoRecord {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly seconds: number;
  readonly result?: DemoResult;
  readonly error?: string;
  readonly figures: { file: string; caption: string }[];
  readonly log: string[];
}

/** Writes report.md (and report.json) with metrics, checks and figures of every demo. */
export function writeReport(outDir: string, backend: string, records: readonly DemoRecord[]): string {
  const lines = [`# plasticity demo report`, '', `Backend: ${backend}. Node ${process.version}. ${new Date().toISOString()}.`, ''];
  for (const r of records) {
    lines.push(`## ${r.title}`, '', r.description, '', `Ran in ${r.seconds.toFixed(2)} s.`, '');
    if (r.error) lines.push(`**Failed:** ${r.error}`, '');
    if (r.result) {
      lines.push('| metric | value |', '|---|---|');
      for (const [k, v] of Object.entries(r.result.metrics)) lines.push(`| ${k} | ${v} |`);
      lines.push('', '| check | result |', '|---|---|');
      for (const [k, v] of Object.entries(r.result.checks)) lines.push(`| ${k} | ${v ? 'pass' : '**FAIL**'} |`);
      lines.push('');
    }
    for (const line of r.log) lines.push(`- ${line}`);
    if (r.log.length) lines.push('');
    for (const f of r.figures) lines.push(`![${f.caption}](${f.file})`, '', `*${f.caption}*`, '');
  }
  const file = path.join(outDir, 'report.md');
  writeFileSync(file, lines.join('\n'));
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify({ backend, records }, null, 2));
  return file;
}
