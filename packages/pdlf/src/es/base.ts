import { PlasticityError, Rng, describeValue, type JsonValue, type RngState } from '@plasticity/core';
import { countNonFinite } from './shaping.js';
import type { BestSolution, EsAlgorithm, EsState, EvolutionStrategy, TellReport } from './types.js';

/** Throws one E_PARAM error listing every problem found, before anything is built. */
export function throwProblems(what: string, problems: readonly string[]): void {
  if (problems.length > 0) throw new PlasticityError('E_PARAM', `invalid ${what} configuration: ${problems.join('; ')}`);
}

/** A number or an array of `dim` finite numbers, copied to float64. */
export function perParameter(value: number | ArrayLike<number>, dim: number): Float64Array {
  const out = new Float64Array(dim);
  if (typeof value === 'number') out.fill(value);
  else out.set(Array.from(value));
  return out;
}

/** Problems with a number-or-array option (collected, not thrown). */
export function checkPerParameter(list: string[], name: string, value: unknown, dim: number, positive: boolean): void {
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && (!positive || v > 0);
  const want = positive ? 'a finite number > 0' : 'a finite number';
  if (typeof value === 'number') {
    if (!ok(value)) list.push(`${name} must be ${want}, got ${describeValue(value)}`);
  } else if (value !== null && typeof value === 'object' && typeof (value as ArrayLike<number>).length === 'number') {
    const arr = value as ArrayLike<number>;
    if (arr.length !== dim) list.push(`${name} must have length dim=${dim}, got ${arr.length}`);
    else {
      for (let i = 0; i < arr.length; i++) {
        if (!ok(arr[i])) {
          list.push(`${name}[${i}] must be ${want}, got ${describeValue(arr[i])}`);
          break;
        }
      }
    }
  } else {
    list.push(`${name} must be ${want} or an array of dim=${dim} of them, got ${describeValue(value)}`);
  }
}

interface Pending {
  /** Standard-normal draws, [rows, dim]. */
  readonly z: Float32Array;
  /** The generator after drawing them (becomes the state at tell). */
  readonly rngAfter: Rng;
}

/**
 * What PGPE and OpenAI-ES share: the RNG discipline (the stored RNG state is always the one at the start of
 * the current generation, so a restored search re-draws the same population), the pending population,
 * the best-member bookkeeping, fitness validation and the tell report.
 */
export abstract class StrategyBase implements EvolutionStrategy {
  abstract readonly algorithm: EsAlgorithm;
  readonly dim: number;
  readonly popSize: number;
  protected rng: Rng;
  protected gen = 0;
  protected centreValues: Float64Array;
  private pending: Pending | null = null;
  private bestSolution: Float32Array | null = null;
  private bestFitness = -Infinity;
  private bestGeneration = -1;

  protected constructor(dim: number, popSize: number, rng: Rng, centre: Float64Array) {
    this.dim = dim;
    this.popSize = popSize;
    this.rng = rng;
    this.centreValues = centre;
  }

  get generation(): number {
    return this.gen;
  }

  get centre(): Float64Array {
    return this.centreValues.slice();
  }

  get best(): BestSolution | null {
    return this.bestSolution ? { solution: this.bestSolution.slice(), fitness: this.bestFitness, generation: this.bestGeneration } : null;
  }

  /** Rows of standard-normal noise a generation draws (pop/2 for antithetic sampling). */
  protected abstract noiseRows(): number;
  /** Member `i` of the population for noise `z`, written into `out` (float32). */
  protected abstract member(z: Float32Array, i: number, out: Float32Array): void;
  /** The update from one generation's fitness (called only when some fitness is finite). */
  protected abstract update(fitness: ArrayLike<number>, z: Float32Array): void;
  protected abstract configJson(): { [key: string]: JsonValue };
  protected abstract extraScalars(): { [key: string]: number | null };
  protected abstract extraArrays(): { [key: string]: Float64Array | Float32Array };

  ask(): Float32Array[] {
    if (!this.pending) {
      const rng = this.rng.clone();
      const z = rng.normal(this.noiseRows() * this.dim);
      this.pending = { z, rngAfter: rng };
    }
    const z = this.pending.z;
    return Array.from({ length: this.popSize }, (_, i) => {
      const out = new Float32Array(this.dim);
      this.member(z, i, out);
      return out;
    });
  }

  /** Member `i` of the pending population (recomputed from the noise: the same float32 values ask handed out). */
  protected pendingMember(i: number): Float32Array {
    const out = new Float32Array(this.dim);
    this.member(this.pending!.z, i, out);
    return out;
  }

  tell(fitness: ArrayLike<number>): TellReport {
    if (!this.pending) throw new PlasticityError('E_PARAM', 'tell() needs a population: call ask() first');
    const ok = fitness !== null && typeof fitness === 'object' && typeof (fitness as ArrayLike<number>).length === 'number';
    if (!ok) throw new PlasticityError('E_PARAM', `fitness must be an array of numbers, got ${describeValue(fitness)}`);
    if (fitness.length !== this.popSize) {
      throw new PlasticityError('E_SHAPE', `fitness must have one value per member (popSize=${this.popSize}), got length ${fitness.length}`);
    }
    for (let i = 0; i < fitness.length; i++) {
      if (typeof fitness[i] !== 'number') throw new PlasticityError('E_PARAM', `fitness[${i}] must be a number (NaN allowed), got ${describeValue(fitness[i])}`);
    }
    const values = Float64Array.from(fitness as ArrayLike<number>);
    const nonFinite = countNonFinite(values);
    let best = -Infinity;
    let bestIndex = -1;
    let worst = Infinity;
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      const f = values[i]!;
      if (!Number.isFinite(f)) continue;
      sum += f;
      if (f > best) {
        best = f;
        bestIndex = i;
      }
      if (f < worst) worst = f;
    }
    const skipped = nonFinite === values.length;
    if (!skipped && best > this.bestFitness) {
      this.bestFitness = best;
      this.bestSolution = this.pendingMember(bestIndex);
      this.bestGeneration = this.gen;
    }
    if (!skipped) this.update(values, this.pending.z);
    const finite = values.length - nonFinite;
    const report: TellReport = {
      generation: this.gen,
      bestFitness: skipped ? NaN : best,
      meanFitness: skipped ? NaN : sum / finite,
      worstFitness: skipped ? NaN : worst,
      nonFinite,
      skipped,
    };
    this.rng = this.pending.rngAfter;
    this.pending = null;
    this.gen++;
    return report;
  }

  state(): EsState {
    const arrays: { [key: string]: Float64Array | Float32Array } = { centre: this.centreValues.slice(), ...this.extraArrays() };
    if (this.bestSolution) arrays.best = this.bestSolution.slice();
    return {
      algorithm: this.algorithm,
      stateVersion: 1,
      config: this.configJson(),
      generation: this.gen,
      rng: this.rng.getState(),
      scalars: {
        bestFitness: this.bestSolution ? this.bestFitness : null,
        bestGeneration: this.bestSolution ? this.bestGeneration : null,
        ...this.extraScalars(),
      },
      arrays,
    };
  }

  /** Restores the shared part of a state (already validated by the subclass). */
  protected restoreCommon(state: EsState): void {
    this.gen = state.generation;
    this.rng = new Rng(state.rng as RngState);
    this.centreValues = Float64Array.from(state.arrays.centre!);
    const best = state.arrays.best;
    if (best) {
      this.bestSolution = Float32Array.from(best);
      this.bestFitness = state.scalars.bestFitness as number;
      this.bestGeneration = state.scalars.bestGeneration as number;
    }
    this.pending = null;
  }
}

/** Checks the parts of a state every strategy has; throws E_CHECKPOINT naming the first problem. */
export function checkCommonState(state: unknown, algorithm: EsAlgorithm, dim: number): asserts state is EsState {
  const fail = (why: string): never => {
    throw new PlasticityError('E_CHECKPOINT', `not a valid ${algorithm} state: ${why}`);
  };
  if (state === null || typeof state !== 'object') fail(`expected an object, got ${describeValue(state)}`);
  const s = state as Partial<EsState>;
  if (s.algorithm !== algorithm) fail(`algorithm is ${describeValue(s.algorithm)}, expected '${algorithm}'`);
  if (s.stateVersion !== 1) fail(`stateVersion ${describeValue(s.stateVersion)} is not supported (this library reads 1)`);
  if (!Number.isSafeInteger(s.generation) || (s.generation as number) < 0) fail(`generation must be an integer >= 0, got ${describeValue(s.generation)}`);
  try {
    Rng.checkState(s.rng);
  } catch (error) {
    fail((error as Error).message);
  }
  if (!s.arrays || typeof s.arrays !== 'object') fail('arrays are missing');
  if (!s.scalars || typeof s.scalars !== 'object') fail('scalars are missing');
  const centre = s.arrays!.centre;
  if (!(centre instanceof Float64Array) || centre.length !== dim) fail(`centre must be a Float64Array of length ${dim}, got ${describeValue(centre)}`);
  for (let j = 0; j < dim; j++) if (!Number.isFinite(centre![j])) fail(`centre[${j}] is not finite`);
  const best = s.arrays!.best;
  if (best !== undefined) {
    if (!(best instanceof Float32Array) || best.length !== dim) fail(`best must be a Float32Array of length ${dim}, got ${describeValue(best)}`);
    if (!Number.isFinite(s.scalars!.bestFitness) || !Number.isSafeInteger(s.scalars!.bestGeneration)) fail('best needs a finite bestFitness and an integer bestGeneration');
  }
}
