import type { PluginName } from '@plasticity/core';
import { defineFusedKernel, propagate, type FusedKernel, type FusedKernelConfig, type StepIO, type SynapseTable } from '@plasticity/core/fused';

/**
 * Fused kernels of the rate rules (core/hebbian, core/oja, core/bcm) at batch 1, with the tensor
 * path's arithmetic: the filtered activities, Oja's elementwise update and BCM's threshold are
 * rounded to float32 after every operation as tfjs's cpu backend does; the outer-product updates
 * accumulate in float64 and store float32, as the connections' addOuter kernel does. Propagation
 * uses the weights before this step's update (the engine propagates before a rule steps).
 */

export type RateRule = 'hebbian' | 'oja' | 'bcm';

export interface RateKernelOptions {
  readonly rule: RateRule;
  readonly eta: number;
  readonly wMin: number | null;
  readonly wMax: number | null;
  /** 0: x and y as given; > 0: low-pass filtered first (x̄ ← x̄·d + (1 − d)·x, d = e^(−dt/τ)). */
  readonly traceTauMs: number;
  readonly tauThetaMs?: number;
  readonly thetaInit?: number;
}

const f = Math.fround;

/** What the loops read, in one object (STATE_OBJECT in @plasticity/core/fused). */
interface RateState {
  readonly nPre: number;
  readonly nPost: number;
  readonly dense: boolean;
  readonly rowPtr: Int32Array;
  readonly rowIdx: Int32Array;
  readonly rowPos: Int32Array;
  readonly lo: number;
  readonly hi: number;
  readonly bounded: boolean;
  readonly d: number;
  readonly d1: number;
  readonly eta: number;
  readonly eta32: number;
  readonly xBar: Float32Array;
  readonly yBar: Float32Array;
  /** This step's post factor (y, or y·(y − θ) for BCM; y² for Oja). */
  readonly y: Float32Array;
}

/** x̄ and ȳ take this step's events (tfjs: add(mul(x̄, d), mul(x, 1 − d)), each op in float32). */
function filter(s: RateState, io: StepIO): void {
  const { nPre, nPost, d, d1, xBar, yBar } = s;
  const pre = io.preValue, post = io.postValue;
  for (let i = 0; i < nPre; i++) xBar[i] = f(f(xBar[i]! * d) + f(pre[i]! * d1));
  for (let j = 0; j < nPost; j++) yBar[j] = f(f(yBar[j]! * d) + f(post[j]! * d1));
}

/** w += eta·(x_i·c_j) on the synapses of row i, clipped (addOuter's arithmetic). */
function outerRow(s: RateState, w: Float32Array, i: number, xi: number, c: Float32Array): void {
  const { nPost, dense, rowPtr, rowIdx, rowPos, lo, hi, eta } = s;
  if (dense) {
    for (let j = 0, k = i * nPost; j < nPost; j++, k++) { const v = w[k]! + eta * (xi * c[j]!); w[k] = v < lo ? lo : v > hi ? hi : v; }
  } else {
    for (let q = rowPtr[i]!, e = rowPtr[i + 1]!; q < e; q++) {
      const k = rowPos[q]!;
      const v = w[k]! + eta * (xi * c[rowIdx[q]!]!);
      w[k] = v < lo ? lo : v > hi ? hi : v;
    }
  }
}

/** Every row with x_i != 0 (the filtered x̄, or this step's events): w += eta·x_i·c_j. */
function outer(s: RateState, io: StepIO, x: Float32Array | null, c: Float32Array): void {
  const w = io.w;
  if (x) { for (let i = 0; i < s.nPre; i++) if (x[i] !== 0) outerRow(s, w, i, x[i]!, c); }
  else for (let a = 0; a < io.preCount; a++) { const i = io.preActive[a]!; outerRow(s, w, i, io.preValue[i]!, c); }
}

/** Oja on every stored synapse: w + eta·(x_i·y_j − y_j²·w), op by op in float32, then clipped. */
function oja(s: RateState, w: Float32Array, xs: Float32Array, ys: Float32Array): void {
  const { nPre, nPost, dense, rowPtr, rowIdx, rowPos, lo, hi, bounded, eta32, y } = s;
  for (let j = 0; j < nPost; j++) y[j] = f(ys[j]! * ys[j]!);
  if (dense) {
    for (let i = 0, k = 0; i < nPre; i++) {
      const xi = xs[i]!;
      for (let j = 0; j < nPost; j++, k++) {
        const wk = w[k]!;
        const v = f(wk + f(f(f(xi * ys[j]!) - f(y[j]! * wk)) * eta32));
        w[k] = bounded ? (v < lo ? lo : v > hi ? hi : v) : v;
      }
    }
    return;
  }
  for (let i = 0; i < nPre; i++) {
    const xi = xs[i]!;
    for (let q = rowPtr[i]!, e = rowPtr[i + 1]!; q < e; q++) {
      const k = rowPos[q]!, j = rowIdx[q]!;
      const wk = w[k]!;
      const v = f(wk + f(f(f(xi * ys[j]!) - f(y[j]! * wk)) * eta32));
      w[k] = bounded ? (v < lo ? lo : v > hi ? hi : v) : v;
    }
  }
}

export function rateKernel(t: SynapseTable, o: RateKernelOptions, dtMs: number): FusedKernel {
  const { nPre, nPost } = t;
  const filtered = o.traceTauMs > 0;
  // tfjs multiplies by float32 scalars
  const s: RateState = {
    nPre, nPost, dense: t.dense, rowPtr: t.rowPtr, rowIdx: t.rowIdx, rowPos: t.rowPos,
    lo: o.wMin ?? -Infinity, hi: o.wMax ?? Infinity, bounded: o.wMin !== null || o.wMax !== null,
    d: filtered ? f(Math.exp(-dtMs / o.traceTauMs)) : 0,
    d1: filtered ? f(1 - Math.exp(-dtMs / o.traceTauMs)) : 0,
    eta: o.eta, eta32: f(o.eta),
    xBar: new Float32Array(nPre), yBar: new Float32Array(nPost), y: new Float32Array(nPost),
  };
  const { xBar, yBar, y } = s;
  const dTheta = o.tauThetaMs ? f(Math.exp(-dtMs / o.tauThetaMs)) : 0;
  const dTheta1 = o.tauThetaMs ? f(1 - Math.exp(-dtMs / o.tauThetaMs)) : 0;
  const theta = new Float32Array(nPost).fill(o.thetaInit ?? 0);

  return {
    step(io) {
      propagate(t, io);
      if (filtered) filter(s, io);
      const ys = filtered ? yBar : io.postValue;
      if (o.rule === 'oja') {
        oja(s, io.w, filtered ? xBar : io.preValue, ys);
      } else if (o.rule === 'hebbian') {
        outer(s, io, filtered ? xBar : null, ys);
      } else {
        for (let j = 0; j < nPost; j++) y[j] = f(ys[j]! * f(ys[j]! - theta[j]!));
        outer(s, io, filtered ? xBar : null, y);
        for (let j = 0; j < nPost; j++) theta[j] = f(f(theta[j]! * dTheta) + f(f(ys[j]! * ys[j]!) * dTheta1));
      }
    },
    state() {
      const arrays: Record<string, Float32Array> = { xBar: xBar.slice(), yBar: yBar.slice() };
      if (o.rule === 'bcm') arrays.theta = theta.slice();
      return { arrays, data: {} };
    },
    setState(arrays) {
      xBar.set(arrays.xBar!);
      yBar.set(arrays.yBar!);
      if (o.rule === 'bcm') theta.set(arrays.theta!);
    },
    reset() {
      xBar.fill(0);
      yBar.fill(0);
      theta.fill(o.thetaInit ?? 0);
    },
    traces: () => ({ xBar: Float64Array.from(xBar), yBar: Float64Array.from(yBar), ...(o.rule === 'bcm' ? { theta: Float64Array.from(theta) } : {}) }),
  };
}

/** The kernel config of a rate rule (its params are a superset of RateKernelOptions less `rule`). */
export function rateKernelConfig<P extends Omit<RateKernelOptions, 'rule'>>(rule: PluginName, kind: RateRule): FusedKernelConfig<P> {
  return defineFusedKernel<P>({ rule, setup: (ctx) => rateKernel(ctx.table, { ...ctx.params, rule: kind }, ctx.dtMs) });
}
