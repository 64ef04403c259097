import { parseArgs } from 'node:util';
import { BUDGETS, type Budget } from './demo.js';

export const BACKEND_CHOICES = ['auto', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const USAGE = `Usage: pnpm demo [demo ...] [--out DIR] [--backend ${BACKEND_CHOICES.join('|')}] [--budget ${BUDGETS.join('|')}] [--quick] [--list] [--help]

Runs the plasticity demos headless, with progress bars, prints a summary table and writes SVG and PNG
figures, report.md and report.html to DIR (default: demo-output/ in the current directory). With no
names, every demo runs. Each run replaces the report and the figures of the previous one in DIR.

  --backend   auto (default) tries webgpu, then wasm, then cpu and says why it passed one over;
              a named backend must start, or the run stops with an error
  --budget    how much work each demo does: quick (smoke test, seconds), default (a few minutes for
              all demos on 2 cores) or long (longer simulations, more generations and epochs);
              the report records it
  --quick     the same as --budget quick
  --list      list the demos and exit`;

/** A bad command line: main prints the message and the usage, and exits with code 2. */
export class UsageError extends Error {}

export type Command =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'run'; demos: string[]; out: string; backend: BackendChoice; budget: Budget };

/** Parses the CLI arguments (without `node main.js`). Throws UsageError with one line saying what is wrong. */
export function parseCommand(argv: readonly string[], demoNames: readonly string[]): Command {
  // `pnpm demo -- --list` (npm's habit) passes the `--` through: no demo name is `--`, so drop it.
  const args = argv.filter((a) => a !== '--');
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', default: 'demo-output' },
        backend: { type: 'string', default: 'auto' },
        budget: { type: 'string' },
        quick: { type: 'boolean', default: false },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    const e = error as Error & { code?: string };
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(e.message)?.[1] ?? '?';
      throw new UsageError(`unknown option ${option}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const option = /--([a-z-]+)/.exec(e.message)?.[1];
      if (option && /does not take/.test(e.message)) throw new UsageError(`--${option} takes no value`);
      throw new UsageError(option ? `--${option} needs a value` : e.message.split('\n')[0]!);
    }
    throw new UsageError(e.message.split('\n')[0]!);
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  if (!(BACKEND_CHOICES as readonly string[]).includes(values.backend)) {
    throw new UsageError(`--backend must be one of ${BACKEND_CHOICES.join(', ')}, got ${JSON.stringify(values.backend)}`);
  }
  if (values.budget !== undefined && !(BUDGETS as readonly string[]).includes(values.budget)) {
    throw new UsageError(`--budget must be one of ${BUDGETS.join(', ')}, got ${JSON.stringify(values.budget)}`);
  }
  if (values.quick && values.budget !== undefined && values.budget !== 'quick') {
    throw new UsageError(`--quick is --budget quick: it contradicts --budget ${values.budget}`);
  }
  const budget: Budget = values.quick ? 'quick' : ((values.budget as Budget | undefined) ?? 'default');
  if (values.out === '') throw new UsageError('--out needs a directory');
  const unknown = positionals.filter((p) => !demoNames.includes(p));
  if (unknown.length) throw new UsageError(`unknown demo(s): ${unknown.join(', ')}; available: ${demoNames.join(', ')}`);
  return { kind: 'run', demos: positionals, out: values.out, backend: values.backend as BackendChoice, budget };
}
