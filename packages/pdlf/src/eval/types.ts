import type { JsonValue } from '@plasticity/core';

/** What a fitness function is told besides the solution. */
export interface FitnessContext {
  /** Index of the solution in the population. */
  readonly index: number;
  /** Generation being evaluated (from `evaluate`'s options; 0 when not given). */
  readonly generation: number;
  /** The JSON `data` of the fitness spec (task settings), the same object for every call in a worker. */
  readonly data: JsonValue;
  /** Which worker runs the call: its slot in the pool and how many times that slot was replaced (0 in-process). */
  readonly worker: { readonly slot: number; readonly incarnation: number };
}

/** Context of a batch fitness function: the population indices of the solutions it gets. */
export interface BatchFitnessContext extends Omit<FitnessContext, 'index'> {
  readonly indices: readonly number[];
}

/** Fitness of one solution (higher is better). May be async. */
export type FitnessFunction = (solution: Float32Array, context: FitnessContext) => number | Promise<number>;
/** Fitness of several solutions at once (e.g. a population axis in one network). */
export type BatchFitnessFunction = (solutions: Float32Array[], context: BatchFitnessContext) => ArrayLike<number> | Promise<ArrayLike<number>>;

/**
 * A fitness function that a worker can load: an ES module and the name of its export. No code travels
 * between threads, only this description and JSON data.
 */
export interface FitnessModuleSpec {
  /** The module: an absolute path or a file:// URL in Node, a URL in browsers. */
  readonly module: string | URL;
  /** The export to call: 'fitness' unless given. */
  readonly exportName?: string;
  /** True when the export is a BatchFitnessFunction (called once per chunk): false. */
  readonly batch?: boolean;
  /** JSON handed to every call as `context.data` (task settings, seeds): null. */
  readonly data?: JsonValue;
}

export interface EvaluateOptions {
  /** The generation, passed to the fitness function as `context.generation`. */
  readonly generation?: number;
}

/**
 * Evaluates a population. Implementations: `InProcessEvaluator` (this thread), `WorkerPool` (worker
 * threads in Node via `@plasticity/pdlf/node`, web workers in browsers); a multi-machine backend only
 * needs this interface. Fitness comes back in the order of `solutions`; a member whose evaluation failed
 * for good gets NaN (which the strategies count as the worst).
 */
export interface Evaluator {
  evaluate(solutions: readonly Float32Array[], options?: EvaluateOptions): Promise<Float64Array>;
  /** Releases workers and other resources; evaluate() rejects afterwards. */
  close(): Promise<void>;
}

/** Something an evaluator reports while it works (failures it recovered from, members it gave up on). */
export type EvaluatorEvent =
  | { readonly type: 'worker-failed'; readonly slot: number; readonly incarnation: number; readonly reason: 'threw' | 'exited' | 'timeout' | 'bad-result';
      readonly message: string; readonly indices: readonly number[] }
  | { readonly type: 'worker-replaced'; readonly slot: number; readonly incarnation: number }
  | { readonly type: 'gave-up'; readonly indices: readonly number[]; readonly attempts: number; readonly message: string };
