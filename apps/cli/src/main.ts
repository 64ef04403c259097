import { initBackend, type BackendName } from '@plasticity/core';
import path from 'node:path';
import { parseCommand, USAGE, UsageError } from './args.js';
import { DEMOS } from './demos/index.js';
import { pngProblem, pngRenderer, prepareOutDir, writeFigure } from './output.js';
import { createProgress } from './progress.js';
import { passed, summaryTable, writeReport, type DemoRecord } from './report.js';

// stdout carries the demo list and the final summary table; progress, logs and errors go to stderr.

/** Starts the backend: `auto` falls back and says why; a named backend must start. */
async function startBackend(requested: 'auto' | BackendName): Promise<{ backend: BackendName; notes: string[] }> {
  if (requested !== 'auto') return { backend: await initBackend(requested, { strict: true }), notes: [] };
  const notes: string[] = [];
  const backend = await initBackend('auto', {
    log: (m) => notes.push(m.replace(/^\[plasticity\] backend '([^']+)' skipped: /, '$1 skipped: ')),
  });
  return { backend, notes };
}

async function main(argv: string[]): Promise<number> {
  let command;
  try {
    command = parseCommand(argv, DEMOS.map((d) => d.name));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`error: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (command.kind === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (command.kind === 'list') {
    for (const d of DEMOS) console.log(`${d.name.padEnd(22)} ${d.title}`);
    return 0;
  }
  const selected = command.demos.length ? DEMOS.filter((d) => command.demos.includes(d.name)) : DEMOS;

  let started;
  try {
    started = await startBackend(command.backend);
  } catch (error) {
    const reason = (error as Error).message.replace(/^E_BACKEND: /, '');
    console.error(`error: --backend ${command.backend} cannot start here: ${reason}. Use --backend auto to fall back to what can.`);
    return 1;
  }
  const { backend, notes } = started;
  for (const note of notes) console.error(`backend auto: ${note}`);

  const outDir = path.resolve(command.out);
  prepareOutDir(outDir, DEMOS.flatMap((d) => d.figures));
  pngRenderer();
  if (pngProblem()) console.error(`note: ${pngProblem()}`);
  console.error(`plasticity demos on the ${backend} backend, ${command.budget} budget → ${outDir}`);

  const records: DemoRecord[] = [];
  for (const demo of selected) {
    console.error(`\n▶ ${demo.title}`);
    const figures: DemoRecord['figures'] = [];
    const log: string[] = [];
    const start = performance.now();
    try {
      const result = await demo.run({
        backend,
        budget: command.budget,
        progress: (label, total) => createProgress(label, total),
        figure: (name, svg, caption) => {
          if (!demo.figures.includes(name)) throw new Error(`figure ${JSON.stringify(name)} is not in ${demo.name}'s figures list`);
          figures.push({ name, caption, files: writeFigure(outDir, name, svg) });
        },
        log: (line) => {
          log.push(line);
          console.error(`  ${line}`);
        },
      });
      const seconds = (performance.now() - start) / 1000;
      for (const [k, v] of Object.entries(result.metrics)) console.error(`  ${k}: ${v}`);
      for (const [k, ok] of Object.entries(result.checks)) console.error(`  ${ok ? '✓' : '✗'} ${k}`);
      records.push({ name: demo.name, title: demo.title, description: demo.description, seconds, result, figures, log });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`  ✗ ${message}`);
      records.push({ name: demo.name, title: demo.title, description: demo.description, seconds: (performance.now() - start) / 1000, error: message, figures, log });
    }
  }
  const report = writeReport(outDir, {
    date: new Date().toISOString(),
    budget: command.budget,
    quick: command.budget === 'quick',
    backendRequested: command.backend,
    backend,
    backendNotes: notes,
    demos: selected.map((d) => d.name),
    allDemos: selected.length === DEMOS.length,
    node: process.version,
    argv,
  }, records);
  const failed = records.filter((r) => !passed(r)).length;
  console.error(`\nreport: ${report} (and report.html)${failed ? `; ${failed} demo(s) failed` : ''}\n`);
  console.log(summaryTable(records));
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code), (error) => {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
