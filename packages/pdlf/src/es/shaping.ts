// Fitness shaping shared by the strategies, with the one policy for fitness that is not a finite number.
//
// Non-finite fitness (NaN, +Infinity, -Infinity: a diverged rollout, a crashed evaluation) counts as the
// worst fitness of its generation. It is never taken as the best, and it is counted in the tell report.
// - Rank shaping: the non-finite members share the lowest ranks, tied at their mean rank (so an antithetic
//   pair that both failed pulls the centre nowhere); the finite members are ranked above them.
// - Raw fitness (no ranking) and z-scores: a non-finite value is replaced by the lowest finite fitness of
//   the generation before the arithmetic.
// - A generation with no finite fitness at all carries no information: the strategy skips its update.

/** How many entries of `fitness` are not finite numbers. */
export function countNonFinite(fitness: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < fitness.length; i++) if (!Number.isFinite(fitness[i])) n++;
  return n;
}

/**
 * Ranks in [0, n) as evojax's `process_scores` assigns them (`ranks[argsort(x)] = arange(n)`, a stable
 * sort, so tied values keep index order), with the non-finite policy above: non-finite entries sort first
 * and all get the mean of their ranks. Returned as float64 (a non-finite group may get a half rank).
 */
export function fitnessRanks(fitness: ArrayLike<number>): Float64Array {
  const n = fitness.length;
  const order = Array.from({ length: n }, (_, i) => i);
  const key = (i: number) => (Number.isFinite(fitness[i]) ? (fitness[i] as number) : -Infinity);
  // Array.prototype.sort is stable (ES2019): ties keep index order, as jnp.argsort does.
  order.sort((a, b) => {
    const fa = key(a);
    const fb = key(b);
    return fa < fb ? -1 : fa > fb ? 1 : 0;
  });
  const ranks = new Float64Array(n);
  for (let r = 0; r < n; r++) ranks[order[r]!] = r;
  const bad = countNonFinite(fitness);
  if (bad > 0) {
    const tied = (bad - 1) / 2; // mean of ranks 0 .. bad-1
    for (let i = 0; i < n; i++) if (!Number.isFinite(fitness[i])) ranks[i] = tied;
  }
  return ranks;
}

/** Centred ranks in [-0.5, 0.5]: rank / (n - 1) - 0.5 (evojax PGPE, evosax/estool centred ranks). */
export function centredRanks(fitness: ArrayLike<number>): Float64Array {
  const ranks = fitnessRanks(fitness);
  const n = ranks.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = n > 1 ? ranks[i]! / (n - 1) - 0.5 : 0;
  return out;
}

/** The fitness as float64 with each non-finite entry replaced by the lowest finite one (all 0 if none is finite). */
export function finiteFitness(fitness: ArrayLike<number>): Float64Array {
  let lowest = Infinity;
  for (let i = 0; i < fitness.length; i++) {
    const f = fitness[i]!;
    if (Number.isFinite(f) && f < lowest) lowest = f;
  }
  if (lowest === Infinity) lowest = 0;
  const out = new Float64Array(fitness.length);
  for (let i = 0; i < fitness.length; i++) out[i] = Number.isFinite(fitness[i]) ? fitness[i]! : lowest;
  return out;
}

/** (f - mean) / std over the population (std with divisor n); all zeros when every value is the same. */
export function zScores(fitness: ArrayLike<number>): Float64Array {
  const f = finiteFitness(fitness);
  const n = f.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += f[i]!;
  mean /= n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (f[i]! - mean) ** 2;
  const std = Math.sqrt(variance / n);
  const out = new Float64Array(n);
  if (std > 0) for (let i = 0; i < n; i++) out[i] = (f[i]! - mean) / std;
  return out;
}

/** Subtracts `weightDecay · mean(x²)` from each member's shaped fitness (an L2 penalty, as estool/evosax apply it after shaping). */
export function applyWeightDecay(shaped: Float64Array, solutions: readonly Float32Array[], weightDecay: number): void {
  if (weightDecay === 0) return;
  for (let i = 0; i < shaped.length; i++) {
    const x = solutions[i]!;
    let sq = 0;
    for (let j = 0; j < x.length; j++) sq += x[j]! * x[j]!;
    shaped[i] = shaped[i]! - weightDecay * (x.length > 0 ? sq / x.length : 0);
  }
}
