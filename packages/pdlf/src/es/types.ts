import type { JsonValue, RngState } from '@plasticity/core';

export type EsAlgorithm = 'pgpe' | 'openai-es';

/** The best member evaluated so far (finite fitness only). */
export interface BestSolution {
  readonly solution: Float32Array;
  readonly fitness: number;
  /** The generation (0-based) in which it was evaluated. */
  readonly generation: number;
}

/** What `tell` did with one generation's fitness. */
export interface TellReport {
  /** The generation just completed (0-based). */
  readonly generation: number;
  /** Highest finite fitness of the generation (NaN if none was finite). */
  readonly bestFitness: number;
  /** Mean of the finite fitness values (NaN if none was finite). */
  readonly meanFitness: number;
  /** Lowest finite fitness (NaN if none was finite). */
  readonly worstFitness: number;
  /** How many members had NaN or ±Infinity fitness (counted as the worst, see the README). */
  readonly nonFinite: number;
  /** True when no fitness was finite: the centre and spread were left as they were. */
  readonly skipped: boolean;
}

/**
 * The whole search state, enough to continue bit for bit: the resolved configuration (JSON), the
 * generation counter, the RNG state at the start of the current generation, scalar state and float64
 * arrays (centre, spread, optimizer moments, best solution). `saveEsCheckpoint` writes it to a file.
 */
export interface EsState {
  readonly algorithm: EsAlgorithm;
  readonly stateVersion: 1;
  readonly config: { readonly [key: string]: JsonValue };
  readonly generation: number;
  readonly rng: RngState;
  readonly scalars: { readonly [key: string]: number | null };
  readonly arrays: { readonly [key: string]: Float64Array | Float32Array };
}

/**
 * An evolution strategy: `ask` for a population, evaluate it, `tell` the fitness (higher is better).
 * Seeded: the same configuration and seed give the same populations. `state()` / `fromState` continue a
 * search bit for bit.
 */
export interface EvolutionStrategy {
  readonly algorithm: EsAlgorithm;
  /** Number of parameters of a solution. */
  readonly dim: number;
  readonly popSize: number;
  /** Generations completed (tells so far). */
  readonly generation: number;
  /**
   * The current population, popSize arrays of length dim (float32). Asking again before `tell` returns
   * the same population. The arrays belong to the caller; changing them does not change the search.
   */
  ask(): Float32Array[];
  /** Fitness of the population from `ask`, in its order (higher is better; NaN/±Infinity allowed, see TellReport). */
  tell(fitness: ArrayLike<number>): TellReport;
  /** The search distribution's centre (float64 copy): what evojax calls `best_params`. */
  readonly centre: Float64Array;
  /** The best member evaluated so far, or null before the first tell with a finite fitness. */
  readonly best: BestSolution | null;
  /** A snapshot of the whole state (copies). */
  state(): EsState;
}
