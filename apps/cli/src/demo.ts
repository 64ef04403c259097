import type { BackendName } from '@plasticity/core';
import type { Progress } from './progress.js';

/** How much work each demo does: `quick` (smoke test, seconds), `default` (a few minutes for all), `long`. */
export const BUDGETS = ['quick', 'default', 'long'] as const;
export type Budget = (typeof BUDGETS)[number];

/** The value for this budget: `byBudget(budget, 60, 300, 1200)`. */
export const byBudget = <T>(budget: Budget, quick: T, normal: T, long: T): T => (budget === 'quick' ? quick : budget === 'long' ? long : normal);

export interface DemoContext {
  readonly backend: BackendName;
  /** The work budget; every demo does its real computation at each of them, only more or less of it. */
  readonly budget: Budget;
  progress(label: string, total: number): Progress;
  /**
   * Saves a figure next to the report (SVG, and PNG where it can be rendered) and lists it there.
   * `name` is one of the demo's `figures` (no extension).
   */
  figure(name: string, svg: string, caption: string): void;
  log(line: string): void;
}

export interface DemoResult {
  /** Headline numbers, shown as a table in the report. */
  readonly metrics: Readonly<Record<string, number | string>>;
  /** Checks the demo made on its own results; a false check fails the run. */
  readonly checks: Readonly<Record<string, boolean>>;
  /** One line for the summary table on stdout: the demo's key figure and what it is compared with. */
  readonly summary: { readonly figure: string; readonly reference: string };
}

export interface Demo {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Names (no extension) of every figure the demo may write: the CLI owns these files in its output folder. */
  readonly figures: readonly string[];
  run(context: DemoContext): Promise<DemoResult>;
}
