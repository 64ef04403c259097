import type { TraceMode } from '../trace.js';

/** Steps between renormalisations of a shifting-scale trace: the scale grows at most to e^range. */
function renormInterval(logDecay: number, range: number): number {
  if (!(logDecay < 0)) return 8192;
  return Math.max(1, Math.min(8192, Math.floor(range / -logDecay)));
}

/**
 * A trace vector on a shifting scale: the true value is x[i] = X[i]·g^(n − base), so the per-step
 * decay of every element costs nothing; a spike at step n adds J·s·g^(−(n − base)) (all-to-all, euler)
 * or sets X[i] = J·s·g^(−(n − base)) (nearest). Every K steps X is multiplied by g^K and base moves
 * by K; base is always a multiple of K, so the numbers depend on the absolute step only (stepwise
 * and fused runs agree bit for bit). Mathematically identical to per-step decay.
 */
export class ScaledTrace {
  readonly X: Float64Array;
  readonly nearest: boolean;
  readonly jump: number;
  readonly K: number;
  /** Decay per step. */
  readonly g: number;
  base = 0;
  private readonly P: Float64Array;
  private readonly Q: Float64Array;

  /** `range`: the scale grows at most to e^range before a renormalisation. */
  constructor(n: number, mode: TraceMode, dtMs: number, tauMs: number, scale = 1, range = 30) {
    this.X = new Float64Array(n);
    this.nearest = mode === 'nearest';
    const g = mode === 'euler' ? 1 - dtMs / tauMs : Math.exp(-dtMs / tauMs);
    this.jump = mode === 'euler' ? (scale * dtMs) / tauMs : scale;
    this.g = g;
    const logG = Math.log(g);
    this.K = renormInterval(logG, range);
    this.P = new Float64Array(this.K + 1);
    this.Q = new Float64Array(this.K + 1);
    for (let m = 0; m <= this.K; m++) {
      this.P[m] = Math.exp(m * logG);
      this.Q[m] = Math.exp(-m * logG);
    }
  }

  /** Moves the scale so that step n is within [base, base + K). */
  advance(n: number): void {
    while (n - this.base >= this.K) {
      const f = this.P[this.K]!;
      const X = this.X;
      for (let i = 0; i < X.length; i++) X[i]! *= f;
      this.base += this.K;
    }
  }

  /** Factor that turns X into the true value at step n (after advance(n)). */
  read(n: number): number {
    return this.P[n - this.base]!;
  }

  /** Factor that turns a true increment at step n into X units. */
  write(n: number): number {
    return this.Q[n - this.base]!;
  }

  /** Adds spikes (value[i] for i in active[0..count)) at step n. */
  spike(n: number, active: Int32Array, count: number, value: Float32Array): void {
    const q = this.jump * this.Q[n - this.base]!;
    const X = this.X;
    if (this.nearest) for (let c = 0; c < count; c++) { const i = active[c]!; X[i] = q * value[i]!; }
    else for (let c = 0; c < count; c++) { const i = active[c]!; X[i]! += q * value[i]!; }
  }

  /** True values at step n. */
  values(n: number, out: Float32Array | Float64Array = new Float32Array(this.X.length)): Float32Array | Float64Array {
    const p = this.P[n - this.base]!;
    for (let i = 0; i < out.length; i++) out[i] = this.X[i]! * p;
    return out;
  }

  /** A copy of the true values at step `step` (any step, no scale moved). */
  trueValues(step: number): Float64Array {
    const f = Math.pow(this.g, step - this.base);
    return this.X.map((x) => x * f);
  }

  reset(): void {
    this.X.fill(0);
    this.base = 0;
  }
}

/** Checkpoint arrays (X) and scalars (`<name>.base`) of named traces. */
export function traceState(traces: Record<string, ScaledTrace>) {
  const arrays: Record<string, Float64Array> = {};
  const data: Record<string, number> = {};
  for (const [k, tr] of Object.entries(traces)) {
    arrays[k] = Float64Array.from(tr.X);
    data[`${k}.base`] = tr.base;
  }
  return { arrays, data };
}

/** Restores what `traceState` returned. */
export function setTraceState(traces: Record<string, ScaledTrace>, arrays: Record<string, ArrayLike<number>>, data: Record<string, number>): void {
  for (const [k, tr] of Object.entries(traces)) {
    tr.X.set(arrays[k]!);
    tr.base = data[`${k}.base`]!;
  }
}


/** True values of named traces at the last completed step (n − 1). */
export function trueTraces(traces: Record<string, ScaledTrace>, n: number): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const [k, tr] of Object.entries(traces)) out[k] = tr.trueValues(n - 1);
  return out;
}
