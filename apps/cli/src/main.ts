import { initBackend, type BackendName } from '@plasticity/core';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMOS } from './demos/index.js';
import { createProgress } from './progress.js';
import { writeReport, type DemoRecord } from './report.js';

const HELP = `Usage: pnpm demo [demo ...] [--out DIR] [--backend auto|wasm|cpu] [--quick] [--list]

Runs the plasticity demos headless, with progress bars, and writes SVG figures and report.md to DIR
(default: demo-output/ in the current directory). With no names, every demo runs.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      out: { type: 'string', default: 'demo-output' },
      backend: { type: 'string', default: 'auto' },
      quick: { type: 'boolean', default: false },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (values.list) {
    for (const d of DEMOS) console.log(`${d.name.padEnd(22)} ${d.title}`);
    return 0;
  }
  const unknown = positionals.filter((p) => !DEMOS.some((d) => d.name === p));
  if (unknown.length) {
    console.error(`unknown demo(s): ${unknown.join(', ')}; available: ${DEMOS.map((d) => d.name).join(', ')}`);
    return 2;
  }
  const selected = positionals.length ? DEMOS.filter((d) => positionals.includes(d.name)) : DEMOS;
  const outDir = path.resolve(values.out!);
  mkdirSync(outDir, { recursive: true });
  const backend = await initBackend(values.backend as BackendName | 'auto', { log: (m) => console.error(m) });
  console.error(`plasticity demos on the ${backend} backend → ${outDir}`);

  const records: DemoRecord[] = [];
  let failed = 0;
  for (const demo of selected) {
    console.error(`\n▶ ${demo.title}`);
    const figures: DemoRecord['figures'] = [];
    const log: string[] = [];
    const start = performance.now();
    try {
      const result = await demo.run({
        backend,
        quick: values.quick!,
        progress: (label, total) => createProgress(label, total),
        figure: (file, svg, caption) => {
          writeFileSync(path.join(outDir, file), svg);
          figures.push({ file, caption });
        },
        log: (line) => {
          log.push(line);
          console.error(`  ${line}`);
        },
      });
      const seconds = (performance.now() - start) / 1000;
      for (const [k, v] of Object.entries(result.metrics)) console.error(`  ${k}: ${v}`);
      for (const [k, ok] of Object.entries(result.checks)) {
        console.error(`  ${ok ? '✓' : '✗'} ${k}`);
        if (!ok) failed++;
      }
      records.push({ name: demo.name, title: demo.title, description: demo.description, seconds, result, figures, log });
    } catch (error) {
      failed++;
      const message = error instanceof Error ? error.message : String(error);
      console.error(`  ✗ ${message}`);
      records.push({ name: demo.name, title: demo.title, description: demo.description, seconds: (performance.now() - start) / 1000, error: message, figures, log });
    }
  }
  const report = writeReport(outDir, backend, records);
  console.error(`\nreport: ${report}${failed ? ` (${failed} check(s) failed)` : ''}`);
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (error) => {
  console.error(error);
  process.exit(1);
});
