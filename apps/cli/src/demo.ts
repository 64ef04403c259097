import type { BackendName } from '@plasticity/core';
import type { Progress } from './progress.js';

export interface DemoContext {
  readonly backend: BackendName;
  /** Shorter runs (CI smoke tests); every demo still does its real computation. */
  readonly quick: boolean;
  progress(label: string, total: number): Progress;
  /** Saves an SVG figure next to the report and lists it there. */
  figure(file: string, svg: string, caption: string): void;
  log(line: string): void;
}

export interface DemoResult {
  /** Headline numbers, shown as a table in the report. */
  readonly metrics: Readonly<Record<string, number | string>>;
  /** Checks the demo made on its own results; a false check fails the run. */
  readonly checks: Readonly<Record<string, boolean>>;
}

export interface Demo {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  run(context: DemoContext): Promise<DemoResult>;
}
