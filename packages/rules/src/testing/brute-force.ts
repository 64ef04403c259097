/**
 * Pair STDP written as sums over spike pairs (double precision), the oracle for the trace-based rule.
 * Spike times are step indices. Brian2's order: a pre and a post spike in the same step pair as
 * pre→post with Δt = 0 (potentiation A+); post→pre pairs need a strictly later pre spike.
 */
export function bruteForcePairStdp(
  preTimes: readonly number[],
  postTimes: readonly number[],
  p: { aPlus: number; aMinus: number; tauPlusMs: number; tauMinusMs: number; pairing: 'all-to-all' | 'nearest'; sameStepPairs?: 'ltp' | 'ignore' },
  dtMs: number,
): number {
  let dw = 0;
  // 'ltp': a same-step pair counts as pre→post with Δt = 0; 'ignore': it does not count.
  const before = (tPre: number, tPost: number) => (p.sameStepPairs === 'ignore' ? tPre < tPost : tPre <= tPost);
  if (p.pairing === 'all-to-all') {
    for (const tPre of preTimes) {
      for (const tPost of postTimes) {
        if (before(tPre, tPost)) dw += p.aPlus * Math.exp(-((tPost - tPre) * dtMs) / p.tauPlusMs);
        else if (tPost < tPre) dw -= p.aMinus * Math.exp(-((tPre - tPost) * dtMs) / p.tauMinusMs);
      }
    }
    return dw;
  }
  // Symmetric nearest neighbour: each post spike pairs with the latest pre spike at or before it
  // (LTP), each pre spike with the latest strictly earlier post spike (LTD).
  for (const tPost of postTimes) {
    const earlier = preTimes.filter((t) => before(t, tPost));
    if (earlier.length > 0) dw += p.aPlus * Math.exp(-((tPost - Math.max(...earlier)) * dtMs) / p.tauPlusMs);
  }
  for (const tPre of preTimes) {
    const earlier = postTimes.filter((t) => t < tPre);
    if (earlier.length > 0) dw -= p.aMinus * Math.exp(-((tPre - Math.max(...earlier)) * dtMs) / p.tauMinusMs);
  }
  return dw;
}

/** Spike step indices of neuron `i` in a row-major [steps, n] raster. */
export function spikeTimes(raster: ArrayLike<number>, n: number, i: number): number[] {
  const out: number[] = [];
  for (let t = 0; t * n + i < raster.length; t++) if (raster[t * n + i] !== 0) out.push(t);
  return out;
}
