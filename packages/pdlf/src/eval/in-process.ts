import { PlasticityError, describeValue, type JsonValue } from '@plasticity/core';
import { checkGeneration, checkSolutions, validateFitnessSpec } from './pool.js';
import type { BatchFitnessFunction, EvaluateOptions, Evaluator, EvaluatorEvent, FitnessFunction, FitnessModuleSpec } from './types.js';

export interface InProcessEvaluatorOptions {
  /** Told when a fitness call throws (that member gets NaN). */
  readonly onEvent?: (event: EvaluatorEvent) => void;
}

/**
 * Evaluates on this thread, one solution after another (or the whole population in one call of a batch
 * function). Takes a function, or a module spec like the worker pool. A call that throws or returns
 * something other than a number gives that member NaN (counted as the worst by the strategies) and a
 * 'gave-up' event; there is no isolation to retry in.
 */
export class InProcessEvaluator implements Evaluator {
  private fn: FitnessFunction | BatchFitnessFunction | null;
  private readonly spec: FitnessModuleSpec | null;
  private readonly batch: boolean;
  private readonly data: JsonValue;
  private readonly onEvent: ((event: EvaluatorEvent) => void) | undefined;
  private closed = false;

  constructor(fitness: FitnessFunction | FitnessModuleSpec | { readonly batch: BatchFitnessFunction; readonly data?: JsonValue }, options: InProcessEvaluatorOptions = {}) {
    if (typeof fitness === 'function') {
      this.fn = fitness;
      this.spec = null;
      this.batch = false;
      this.data = null;
    } else if (fitness !== null && typeof fitness === 'object' && typeof (fitness as { batch?: unknown }).batch === 'function') {
      const f = fitness as { batch: BatchFitnessFunction; data?: JsonValue };
      this.fn = f.batch;
      this.spec = null;
      this.batch = true;
      this.data = f.data ?? null;
    } else {
      const problems = validateFitnessSpec(fitness as FitnessModuleSpec);
      if (problems.length > 0) throw new PlasticityError('E_PARAM', `invalid fitness: ${problems.join('; ')}`);
      const spec = fitness as FitnessModuleSpec;
      this.fn = null;
      this.spec = spec;
      this.batch = spec.batch ?? false;
      this.data = spec.data ?? null;
    }
    if (options.onEvent !== undefined && typeof options.onEvent !== 'function') throw new PlasticityError('E_PARAM', `onEvent must be a function, got ${describeValue(options.onEvent)}`);
    this.onEvent = options.onEvent;
  }

  private async load(): Promise<FitnessFunction | BatchFitnessFunction> {
    if (this.fn) return this.fn;
    const spec = this.spec!;
    let mod: Record<string, unknown>;
    try {
      mod = await import(/* @vite-ignore */ String(spec.module));
    } catch (error) {
      throw new PlasticityError('E_PARAM', `fitness module ${String(spec.module)} could not be loaded: ${(error as Error).message}`);
    }
    const name = spec.exportName ?? 'fitness';
    if (typeof mod[name] !== 'function') throw new PlasticityError('E_PARAM', `fitness module ${String(spec.module)} has no function export '${name}'`);
    this.fn = mod[name] as FitnessFunction;
    return this.fn;
  }

  async evaluate(solutions: readonly Float32Array[], options?: EvaluateOptions): Promise<Float64Array> {
    checkSolutions(solutions);
    const generation = checkGeneration(options);
    if (this.closed) throw new PlasticityError('E_PARAM', 'the evaluator is closed');
    const fn = await this.load();
    const n = solutions.length;
    const out = new Float64Array(n);
    const worker = { slot: 0, incarnation: 0 };
    const giveUp = (indices: number[], error: unknown) => {
      for (const i of indices) out[i] = NaN;
      try {
        this.onEvent?.({ type: 'gave-up', indices, attempts: 1, message: error instanceof Error ? error.message : String(error) });
      } catch {
        // a listener's error must not stop the evaluation
      }
    };
    if (this.batch) {
      const indices = Array.from({ length: n }, (_, i) => i);
      try {
        const values = await (fn as BatchFitnessFunction)([...solutions], { indices, generation, data: this.data, worker });
        if (!values || (values as ArrayLike<number>).length !== n) throw new Error(`the batch fitness function must return ${n} numbers`);
        for (let i = 0; i < n; i++) out[i] = typeof values[i] === 'number' ? values[i]! : NaN;
      } catch (error) {
        giveUp(indices, error);
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      try {
        const f = await (fn as FitnessFunction)(solutions[i]!, { index: i, generation, data: this.data, worker });
        if (typeof f !== 'number') throw new Error(`the fitness function returned ${typeof f}, expected a number`);
        out[i] = f;
      } catch (error) {
        giveUp([i], error);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
