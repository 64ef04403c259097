import { PlasticityError, describeValue, type JsonValue } from '@plasticity/core';
import type { Evaluator } from '../eval/types.js';
import { loadEsCheckpoint, restoreStrategy, saveEsCheckpoint } from './checkpoint.js';
import type { BestSolution, EvolutionStrategy, TellReport } from './types.js';

export type StopReason = 'max-generations' | 'target-fitness' | 'max-evaluations' | 'max-time' | 'aborted';

/** Reported after every generation. */
export interface SearchProgress {
  /** Generations completed (the strategy's counter, continued across resumes). */
  readonly generation: number;
  /** Highest finite fitness of this generation (NaN if none). */
  readonly bestFitness: number;
  /** Mean finite fitness of this generation (NaN if none). */
  readonly meanFitness: number;
  /** Best fitness so far over the whole search (null before any finite one). */
  readonly bestEver: number | null;
  /** Members of this generation with NaN/±Infinity fitness. */
  readonly nonFinite: number;
  /** Fitness evaluations so far over the whole search. */
  readonly evaluations: number;
  /** Evaluations per second in this call of search(). */
  readonly evaluationsPerSecond: number;
  /** Wall time over the whole search (previous runs included), ms. */
  readonly elapsedMs: number;
  /** Estimated time to the nearest generation, evaluation or time limit, ms (null when only a target or a signal can stop it). */
  readonly etaMs: number | null;
  readonly report: TellReport;
}

export interface SearchCheckpointOptions {
  /** Save after every this many generations (and when the search stops). */
  readonly everyGenerations: number;
  /** Stores the checkpoint bytes (e.g. `fileCheckpoint(path)` from @plasticity/pdlf/node). */
  save(bytes: Uint8Array, info: { readonly generation: number }): void | Promise<void>;
}

export interface SearchOptions {
  /** The strategy to run (omit when resuming). */
  readonly es?: EvolutionStrategy;
  /** A checkpoint written by a previous search(): continue it (the strategy, the counters) exactly. */
  readonly resume?: Uint8Array | ArrayBuffer;
  readonly evaluator: Evaluator;
  /** Stop when the strategy has completed this many generations (counted over resumes). */
  readonly maxGenerations?: number;
  /** Stop when a generation's best fitness reaches this. */
  readonly targetFitness?: number;
  /** Stop when this many evaluations were made (over resumes; checked between generations). */
  readonly maxEvaluations?: number;
  /** Stop after this much wall time in this call, ms (checked between generations). */
  readonly maxTimeMs?: number;
  /** Stop after the current generation (a checkpoint is written first when configured). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: SearchProgress) => void | Promise<void>;
  readonly checkpoint?: SearchCheckpointOptions;
}

export interface SearchResult {
  readonly es: EvolutionStrategy;
  readonly stopReason: StopReason;
  readonly generation: number;
  readonly evaluations: number;
  readonly best: BestSolution | null;
  /** Wall time over the whole search, ms. */
  readonly elapsedMs: number;
}

interface Counters {
  evaluations: number;
  elapsedMs: number;
}

const positiveInteger = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

function checkOptions(o: SearchOptions): void {
  const problems: string[] = [];
  if (o === null || typeof o !== 'object') throw new PlasticityError('E_PARAM', `search options must be an object, got ${describeValue(o)}`);
  if (o.es && o.resume) problems.push('pass es or resume, not both (a resumed search rebuilds its strategy from the checkpoint)');
  if (!o.es && !o.resume) problems.push('es (a strategy) or resume (checkpoint bytes) is required');
  if (o.es && (typeof o.es.ask !== 'function' || typeof o.es.tell !== 'function')) problems.push(`es must be an EvolutionStrategy, got ${describeValue(o.es)}`);
  if (o.resume && !(o.resume instanceof Uint8Array) && !(o.resume instanceof ArrayBuffer)) problems.push(`resume must be checkpoint bytes (Uint8Array), got ${describeValue(o.resume)}`);
  if (!o.evaluator || typeof o.evaluator.evaluate !== 'function') problems.push(`evaluator must implement evaluate(), got ${describeValue(o.evaluator)}`);
  if (o.maxGenerations !== undefined && !positiveInteger(o.maxGenerations)) problems.push(`maxGenerations must be an integer >= 0, got ${describeValue(o.maxGenerations)}`);
  if (o.maxEvaluations !== undefined && !positiveInteger(o.maxEvaluations)) problems.push(`maxEvaluations must be an integer >= 0, got ${describeValue(o.maxEvaluations)}`);
  if (o.maxTimeMs !== undefined && !(typeof o.maxTimeMs === 'number' && o.maxTimeMs >= 0)) problems.push(`maxTimeMs must be a number >= 0, got ${describeValue(o.maxTimeMs)}`);
  if (o.targetFitness !== undefined && (typeof o.targetFitness !== 'number' || Number.isNaN(o.targetFitness))) problems.push(`targetFitness must be a number, got ${describeValue(o.targetFitness)}`);
  if (o.maxGenerations === undefined && o.maxEvaluations === undefined && o.maxTimeMs === undefined && o.signal === undefined) {
    problems.push('give a stopping criterion: maxGenerations, maxEvaluations, maxTimeMs or signal');
  }
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') problems.push(`onProgress must be a function, got ${describeValue(o.onProgress)}`);
  if (o.checkpoint !== undefined) {
    const c = o.checkpoint;
    if (!c || !Number.isSafeInteger(c.everyGenerations) || c.everyGenerations < 1 || typeof c.save !== 'function') {
      problems.push(`checkpoint must be { everyGenerations: integer >= 1, save(bytes) }, got ${describeValue(c)}`);
    }
  }
  if (problems.length > 0) throw new PlasticityError('E_PARAM', `invalid search options: ${problems.join('; ')}`);
}

/** The strategy and counters stored in a search checkpoint (validated; E_CHECKPOINT when it is not one). */
export function loadSearchCheckpoint(bytes: Uint8Array | ArrayBuffer): { es: EvolutionStrategy; evaluations: number; elapsedMs: number } {
  const { state, data } = loadEsCheckpoint(bytes);
  const search = (data as { search?: { evaluations?: unknown; elapsedMs?: unknown } } | null)?.search;
  if (!search || !positiveInteger(search.evaluations) || !(typeof search.elapsedMs === 'number' && search.elapsedMs >= 0)) {
    throw new PlasticityError('E_CHECKPOINT', 'not a search checkpoint (its search counters are missing or invalid)');
  }
  return { es: restoreStrategy(state), evaluations: search.evaluations as number, elapsedMs: search.elapsedMs };
}

/** The checkpoint search() writes: the strategy's whole state and the search counters. */
export function saveSearchCheckpoint(es: EvolutionStrategy, counters: { evaluations: number; elapsedMs: number }): Promise<Uint8Array> {
  const data: JsonValue = { search: { evaluations: counters.evaluations, elapsedMs: counters.elapsedMs } };
  return saveEsCheckpoint(es, data);
}

/**
 * Runs generations — ask, evaluate, tell — until a stopping criterion holds, reporting progress and
 * writing periodic checkpoints. A search resumed from one of its checkpoints continues exactly as the
 * uninterrupted search would have (same populations, same centre, bit for bit), given a deterministic
 * fitness function. Options are checked before any work.
 */
export async function search(options: SearchOptions): Promise<SearchResult> {
  checkOptions(options);
  let es: EvolutionStrategy;
  const counters: Counters = { evaluations: 0, elapsedMs: 0 };
  if (options.resume) {
    const loaded = loadSearchCheckpoint(options.resume);
    es = loaded.es;
    counters.evaluations = loaded.evaluations;
    counters.elapsedMs = loaded.elapsedMs;
  } else {
    es = options.es!;
  }
  const { evaluator, maxGenerations, maxEvaluations, maxTimeMs, targetFitness, signal, onProgress, checkpoint } = options;
  const start = performance.now();
  const startElapsed = counters.elapsedMs;
  const startEvaluations = counters.evaluations;
  const startGeneration = es.generation;
  let lastSaved = -1;

  const save = async () => {
    if (!checkpoint || lastSaved === es.generation) return;
    counters.elapsedMs = startElapsed + (performance.now() - start);
    await checkpoint.save(await saveSearchCheckpoint(es, counters), { generation: es.generation });
    lastSaved = es.generation;
  };

  const stopReason = (report: TellReport | null): StopReason | null => {
    if (signal?.aborted) return 'aborted';
    if (report && targetFitness !== undefined && report.bestFitness >= targetFitness) return 'target-fitness';
    if (maxGenerations !== undefined && es.generation >= maxGenerations) return 'max-generations';
    if (maxEvaluations !== undefined && counters.evaluations >= maxEvaluations) return 'max-evaluations';
    if (maxTimeMs !== undefined && performance.now() - start >= maxTimeMs) return 'max-time';
    return null;
  };

  let reason = stopReason(null);
  while (reason === null) {
    const population = es.ask();
    const fitness = await evaluator.evaluate(population, { generation: es.generation });
    const report = es.tell(fitness);
    counters.evaluations += population.length;
    const now = performance.now();
    counters.elapsedMs = startElapsed + (now - start);
    if (checkpoint && es.generation % checkpoint.everyGenerations === 0) await save();
    reason = stopReason(report);
    if (onProgress) {
      const seconds = (now - start) / 1000;
      const done = es.generation - startGeneration;
      const perGeneration = done > 0 ? (now - start) / done : NaN;
      const etas: number[] = [];
      if (maxGenerations !== undefined) etas.push(Math.max(0, maxGenerations - es.generation) * perGeneration);
      if (maxEvaluations !== undefined) etas.push((Math.max(0, maxEvaluations - counters.evaluations) / population.length) * perGeneration);
      if (maxTimeMs !== undefined) etas.push(Math.max(0, maxTimeMs - (now - start)));
      const best = es.best;
      await onProgress({
        generation: es.generation, bestFitness: report.bestFitness, meanFitness: report.meanFitness, bestEver: best ? best.fitness : null,
        nonFinite: report.nonFinite, evaluations: counters.evaluations,
        evaluationsPerSecond: seconds > 0 ? (counters.evaluations - startEvaluations) / seconds : 0,
        elapsedMs: counters.elapsedMs, etaMs: reason !== null ? 0 : etas.length > 0 ? Math.min(...etas) : null, report,
      });
      if (reason === null && signal?.aborted) reason = 'aborted'; // aborted from the progress callback: stop now
    }
  }
  await save();
  counters.elapsedMs = startElapsed + (performance.now() - start);
  return { es, stopReason: reason, generation: es.generation, evaluations: counters.evaluations, best: es.best, elapsedMs: counters.elapsedMs };
}
