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

export function rateKernel(t: SynapseTable, o: RateKernelOptions, dtMs: number): FusedKernel {
  const { nPre, nPost, dense } = t;
  const filtered = o.traceTauMs > 0;
  const lo = o.wMin ?? -Infinity, hi = o.wMax ?? Infinity;
  const bounded = o.wMin !== null || o.wMax !== null;
  // tfjs multiplies by float32 scalars
  const d = filtered ? f(Math.exp(-dtMs / o.traceTauMs)) : 0;
  const d1 = filtered ? f(1 - Math.exp(-dtMs / o.traceTauMs)) : 0;
  const eta32 = f(o.eta);
  const dTheta = o.tauThetaMs ? f(Math.exp(-dtMs / o.tauThetaMs)) : 0;
  const dTheta1 = o.tauThetaMs ? f(1 - Math.exp(-dtMs / o.tauThetaMs)) : 0;
  const xBar = new Float32Array(nPre), yBar = new Float32Array(nPost);
  const theta = new Float32Array(nPost).fill(o.thetaInit ?? 0);
  const y = new Float32Array(nPost); // this step's post factor (y, or y·(y − θ) for BCM)
  const x = filtered ? xBar : null;

  /** x̄ and ȳ take this step's events (tfjs: add(mul(x̄, d), mul(x, 1 − d)), each op in float32). */
  const filter = (io: StepIO): void => {
    for (let i = 0; i < nPre; i++) xBar[i] = f(f(xBar[i]! * d) + f(io.preValue[i]! * d1));
    for (let j = 0; j < nPost; j++) yBar[j] = f(f(yBar[j]! * d) + f(io.postValue[j]! * d1));
  };

  /** w += eta·(x_i·c_j) on the synapses of every row with x_i != 0, clipped (addOuter's arithmetic). */
  const outer = (io: StepIO, c: Float32Array): void => {
    const w = io.w;
    const row = (i: number, xi: number): void => {
      if (dense) {
        for (let j = 0, k = i * nPost; j < nPost; j++, k++) { const v = w[k]! + o.eta * (xi * c[j]!); w[k] = v < lo ? lo : v > hi ? hi : v; }
      } else {
        for (let s = t.rowPtr[i]!, e = t.rowPtr[i + 1]!; s < e; s++) {
          const k = t.rowPos[s]!;
          const v = w[k]! + o.eta * (xi * c[t.rowIdx[s]!]!);
          w[k] = v < lo ? lo : v > hi ? hi : v;
        }
      }
    };
    if (x) { for (let i = 0; i < nPre; i++) if (x[i] !== 0) row(i, x[i]!); }
    else for (let a = 0; a < io.preCount; a++) { const i = io.preActive[a]!; row(i, io.preValue[i]!); }
  };

  /** Oja on every stored synapse: w + eta·(x_i·y_j − y_j²·w), op by op in float32, then clipped. */
  const oja = (io: StepIO, xs: Float32Array, ys: Float32Array): void => {
    const w = io.w;
    for (let j = 0; j < nPost; j++) y[j] = f(ys[j]! * ys[j]!);
    const upd = (k: number, i: number, j: number): void => {
      const wk = w[k]!;
      const v = f(wk + f(f(f(xs[i]! * ys[j]!) - f(y[j]! * wk)) * eta32));
      w[k] = bounded ? (v < lo ? lo : v > hi ? hi : v) : v;
    };
    if (dense) { for (let i = 0, k = 0; i < nPre; i++) for (let j = 0; j < nPost; j++, k++) upd(k, i, j); }
    else for (let i = 0; i < nPre; i++) for (let s = t.rowPtr[i]!, e = t.rowPtr[i + 1]!; s < e; s++) upd(t.rowPos[s]!, i, t.rowIdx[s]!);
  };

  return {
    step(io) {
      propagate(t, io);
      if (filtered) filter(io);
      const ys = filtered ? yBar : io.postValue;
      if (o.rule === 'oja') {
        oja(io, filtered ? xBar : io.preValue, ys);
      } else if (o.rule === 'hebbian') {
        outer(io, ys);
      } else {
        for (let j = 0; j < nPost; j++) y[j] = f(ys[j]! * f(ys[j]! - theta[j]!));
        outer(io, y);
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
