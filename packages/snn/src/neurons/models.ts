import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { Problems, defineNeuron, requireBackend, type Params } from '@plasticity/core';
import {
  checkDt, initTensors, isFiniteNumber, isPositive, stepVia,
  type FusedNeuron, type NeuronArrays, type SpikingNeuron,
} from './types.js';

// Every model exists twice: tfjs ops (the generic path) and a typed-array kernel (the fused path).
// The kernels read their arrays and constants from one object, destructured at the top of each call
// (STATE_OBJECT in @plasticity/core/fused: captured variables make V8 recheck every array access).
// The kernels round to float32 after every operation (Math.fround), in the same order as the tensor
// ops, so both paths give identical numbers on the cpu backend. Time in ms, potentials in mV.

const f = Math.fround;
type TState = Record<string, Tensor>;
const s32 = (x: number) => tf.scalar(x, 'float32');

function define<P extends Params>(model: Omit<SpikingNeuron<P, TState>, 'kind' | 'specVersion' | 'init' | 'step'>): SpikingNeuron<P, TState> {
  const full = {
    ...model,
    init(dims: { n: number; batch: number }, params: P) {
      requireBackend(`${model.name} init (tensor path)`);
      return initTensors(model, dims, params);
    },
    step(input: Tensor, state: TState, params: P, dtMs: number) {
      return stepVia(full as unknown as SpikingNeuron<P, TState>, input, state, params, dtMs);
    },
  };
  return defineNeuron(full as Omit<SpikingNeuron<P, TState>, 'kind' | 'specVersion'>) as unknown as SpikingNeuron<P, TState>;
}

// ---------------------------------------------------------------------------------------------
// Conductance-based LIF (Brian2's STDP example): dv/dt = (ge·(Ee − v) + gi·(Ei − v) + El − v)/τm,
// dge/dt = −ge/τe, dgi/dt = −gi/τi, forward Euler as Brian2's method='euler' (all derivatives from
// the old values); spike when v > vThresh; reset v ← vReset. Input channels 'ge', 'gi' (dimensionless
// conductances relative to the leak): ge += Σ w of this step's presynaptic spikes.

export type ConductanceLifParams = {
  tauMMs: number; tauEMs: number; tauIMs: number;
  eLeakMv: number; eExcMv: number; eInhMv: number;
  vThreshMv: number; vResetMv: number; vInitMv: number;
};

export const conductanceLif = define<ConductanceLifParams>({
  name: 'core/conductance-lif',
  description: 'conductance-based LIF with excitatory/inhibitory reversal potentials (Brian2 STDP example, Euler)',
  defaults: { tauMMs: 10, tauEMs: 5, tauIMs: 10, eLeakMv: -74, eExcMv: 0, eInhMv: -80, vThreshMv: -54, vResetMv: -60, vInitMv: -74 },
  stateVars: ['v', 'ge', 'gi'],
  channels: ['ge', 'gi'],
  validate(p) {
    const e = new Problems();
    for (const k of ['tauMMs', 'tauEMs', 'tauIMs'] as const) e.add(isPositive(p[k]), `${k} must be a finite number > 0, got ${String(p[k])}`);
    for (const k of ['eLeakMv', 'eExcMv', 'eInhMv', 'vThreshMv', 'vResetMv', 'vInitMv'] as const) e.add(isFiniteNumber(p[k]), `${k} must be a finite number, got ${String(p[k])}`);
    thresholdAboveReset(p, e);
    return e.list;
  },
  initialState: (p) => ({ v: p.vInitMv, ge: 0, gi: 0 }),
  integrate(state, p, dtMs) {
    checkDt(dtMs);
    return tf.tidy(() => {
      const { v, ge, gi } = state as { v: Tensor; ge: Tensor; gi: Tensor };
      const drive = tf.add(tf.mul(ge, tf.sub(s32(p.eExcMv), v)), tf.mul(gi, tf.sub(s32(p.eInhMv), v)));
      const dv = tf.sub(tf.add(drive, s32(p.eLeakMv)), v);
      const vNew = tf.add(v, tf.mul(dv, s32(dtMs / p.tauMMs)));
      const geNew = tf.sub(ge, tf.mul(ge, s32(dtMs / p.tauEMs)));
      const giNew = tf.sub(gi, tf.mul(gi, s32(dtMs / p.tauIMs)));
      const spikes = tf.cast(tf.greater(vNew, s32(p.vThreshMv)), 'float32');
      return { spikes, state: { v: vNew, ge: geNew, gi: giNew } };
    });
  },
  deliver(inputs, spikes, state, p) {
    return tf.tidy(() => {
      const ge = inputs.ge ? tf.add(state.ge!, inputs.ge) : tf.clone(state.ge!);
      const gi = inputs.gi ? tf.add(state.gi!, inputs.gi) : tf.clone(state.gi!);
      const v = tf.where(tf.notEqual(spikes, s32(0)), tf.fill(state.v!.shape, p.vResetMv, 'float32'), state.v!);
      return { v, ge, gi };
    });
  },
  fused(st: NeuronArrays, inputs, p, dtMs): FusedNeuron {
    checkDt(dtMs);
    const k = {
      v: st.v!, ge: st.ge!, gi: st.gi!, inE: inputs.ge!, inI: inputs.gi!, n: st.v!.length,
      ee: f(p.eExcMv), ei: f(p.eInhMv), el: f(p.eLeakMv), vt: f(p.vThreshMv), vr: f(p.vResetMv),
      km: f(dtMs / p.tauMMs), ke: f(dtMs / p.tauEMs), ki: f(dtMs / p.tauIMs),
    };
    return {
      integrate(active, value) {
        const { v, ge, gi, n, ee, ei, el, vt, km, ke, ki } = k; // see STATE_OBJECT
        let c = 0;
        for (let i = 0; i < n; i++) {
          const vi = v[i]!, gei = ge[i]!, gii = gi[i]!;
          const drive = f(f(gei * f(ee - vi)) + f(gii * f(ei - vi)));
          const dv = f(f(drive + el) - vi);
          const vn = f(vi + f(dv * km));
          v[i] = vn;
          ge[i] = f(gei - f(gei * ke));
          gi[i] = f(gii - f(gii * ki));
          if (vn > vt) { active[c++] = i; value[i] = 1; }
        }
        return c;
      },
      deliver(active, count) {
        const { v, ge, gi, inE, inI, n, vr } = k;
        for (let i = 0; i < n; i++) {
          const a = inE[i]!, b = inI[i]!;
          if (a !== 0) { ge[i] = f(ge[i]! + a); inE[i] = 0; }
          if (b !== 0) { gi[i] = f(gi[i]! + b); inI[i] = 0; }
        }
        for (let c = 0; c < count; c++) v[active[c]!] = vr;
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------
// Current-based LIF with delta synapses: dv/dt = (vRest − v)/τm, integrated exactly (default:
// v ← vRest + (v − vRest)·e^(−dt/τm), as Brian2 and NEST integrate linear equations) or by forward Euler
// (v ← v + dt/τm·(vRest − v)); spike when v > vThresh; the input (channel 'v', in mV) jumps v (Brian2
// `v += w`). Refractory for R = refractoryMs/dt steps after a spike, as Brian2's `refractory`: v is
// clamped and input that would first act inside the period is ignored, so the neuron can fire again
// R steps after a spike (the `refr` counter holds the clamped steps left, R − 1 after a spike).
// Reset modes: 'value' v ← vReset, 'zero' v ← 0, 'subtract' v ← v − (vThresh − vReset).

export type ResetMode = 'value' | 'zero' | 'subtract';
const RESET_MODES: readonly ResetMode[] = ['value', 'zero', 'subtract'];
/** How the leak is integrated: 'exact' (the closed form of the linear equation) or 'euler' (forward Euler). */
export type LifIntegration = 'exact' | 'euler';
const INTEGRATIONS: readonly LifIntegration[] = ['exact', 'euler'];

export type LifParams = {
  tauMMs: number; vRestMv: number; vThreshMv: number; vResetMv: number; vInitMv: number;
  refractoryMs: number; resetMode: ResetMode; integration: LifIntegration;
};

function lifProblems(p: LifParams, e: Problems): void {
  e.add(isPositive(p.tauMMs), `tauMMs must be a finite number > 0, got ${String(p.tauMMs)}`);
  for (const k of ['vRestMv', 'vThreshMv', 'vResetMv', 'vInitMv'] as const) e.add(isFiniteNumber(p[k]), `${k} must be a finite number, got ${String(p[k])}`);
  e.add(isFiniteNumber(p.refractoryMs) && p.refractoryMs >= 0, `refractoryMs must be a finite number >= 0, got ${String(p.refractoryMs)}`);
  e.add(RESET_MODES.includes(p.resetMode), `resetMode must be one of 'value', 'zero', 'subtract', got ${JSON.stringify(p.resetMode)}`);
  e.add(INTEGRATIONS.includes(p.integration), `integration must be one of 'exact', 'euler', got ${JSON.stringify(p.integration)}`);
  thresholdAboveReset(p, e);
}

/** vThresh >= vReset: a reset above threshold would fire on every free step. */
function thresholdAboveReset(p: { vThreshMv: number; vResetMv: number }, e: Problems): void {
  if (isFiniteNumber(p.vThreshMv) && isFiniteNumber(p.vResetMv)) {
    e.add(p.vThreshMv >= p.vResetMv, `vThreshMv (${p.vThreshMv}) must be >= vResetMv (${p.vResetMv}): a reset above threshold fires on every free step`);
  }
}

/** Steps of the refractory period R = refractoryMs/dt (rounded): a neuron can fire again R steps after a spike. */
export const refractorySteps = (refractoryMs: number, dtMs: number): number => Math.round(refractoryMs / dtMs);

/** Value of the `refr` counter right after a spike: the steps v stays clamped, R − 1 (Brian2: free again at step R). */
const clampedSteps = (refractoryMs: number, dtMs: number): number => Math.max(0, refractorySteps(refractoryMs, dtMs) - 1);

function resetTensor(p: LifParams, v: Tensor): Tensor {
  if (p.resetMode === 'value') return tf.fill(v.shape, p.vResetMv, 'float32');
  if (p.resetMode === 'zero') return tf.zerosLike(v);
  return tf.sub(v, s32(p.vThreshMv - p.vResetMv));
}

/** Shared by LIF and adaptive LIF. `theta` (adaptive threshold) is optional. */
function lifIntegrateTensor(state: TState, p: LifParams, dtMs: number, thetaDecay?: number) {
  const { v, refr } = state as { v: Tensor; refr: Tensor };
  const isRef = tf.greater(refr, s32(0));
  const vInt = p.integration === 'euler'
    ? tf.add(v, tf.mul(tf.sub(s32(p.vRestMv), v), s32(dtMs / p.tauMMs)))
    : tf.add(s32(p.vRestMv), tf.mul(tf.sub(v, s32(p.vRestMv)), s32(Math.exp(-dtMs / p.tauMMs))));
  const vNew = tf.where(isRef, v, vInt);
  const refrNew = tf.where(isRef, tf.sub(refr, s32(1)), refr);
  let thr: Tensor = s32(p.vThreshMv);
  const out: TState = { v: vNew, refr: refrNew };
  if (thetaDecay !== undefined) {
    const theta = tf.mul(state.theta!, s32(thetaDecay));
    out.theta = theta;
    thr = tf.add(thr, theta);
  }
  const spikes = tf.cast(tf.logicalAnd(tf.logicalNot(isRef), tf.greater(vNew, thr)), 'float32');
  return { spikes, state: out };
}

function lifDeliverTensor(input: Tensor | undefined, spikes: Tensor, state: TState, p: LifParams, dtMs: number, thetaPlus?: number): TState {
  const free = tf.equal(state.refr!, s32(0));
  const vIn = input ? tf.where(free, tf.add(state.v!, input), state.v!) : state.v!;
  const fired = tf.notEqual(spikes, s32(0));
  const v = tf.where(fired, resetTensor(p, vIn), vIn);
  const refr = tf.where(fired, tf.fill(v.shape, clampedSteps(p.refractoryMs, dtMs), 'float32'), state.refr!);
  const out: TState = { v, refr };
  if (thetaPlus !== undefined) out.theta = tf.add(state.theta!, tf.mul(spikes, s32(thetaPlus)));
  return out;
}

function lifFused(st: NeuronArrays, input: Float32Array, p: LifParams, dtMs: number, theta?: { decay: number; plus: number }): FusedNeuron {
  checkDt(dtMs);
  // Same operations in the same order as lifIntegrateTensor, rounded to float32 after each.
  const euler = p.integration === 'euler';
  const s = {
    v: st.v!, refr: st.refr!, th: st.theta ?? null, input, n: st.v!.length, euler,
    rest: f(p.vRestMv), vt: f(p.vThreshMv), refSteps: f(clampedSteps(p.refractoryMs, dtMs)),
    k: euler ? f(dtMs / p.tauMMs) : f(Math.exp(-dtMs / p.tauMMs)),
    mode: p.resetMode === 'value' ? 0 : p.resetMode === 'zero' ? 1 : 2,
    vr: f(p.vResetMv), sub: f(p.vThreshMv - p.vResetMv),
    tDecay: theta ? f(theta.decay) : 1, tPlus: theta ? f(theta.plus) : 0,
  };
  return {
    integrate(active, value) {
      const { v, refr, th, n, euler, rest, vt, k, tDecay } = s; // see STATE_OBJECT
      let c = 0;
      for (let i = 0; i < n; i++) {
        const r = refr[i]!;
        let thr = vt;
        if (th) { const t = f(th[i]! * tDecay); th[i] = t; thr = f(vt + t); }
        if (r > 0) { refr[i] = f(r - 1); continue; }
        const vi = v[i]!;
        const vn = euler ? f(vi + f(f(rest - vi) * k)) : f(rest + f(f(vi - rest) * k));
        v[i] = vn;
        if (vn > thr) { active[c++] = i; value[i] = 1; }
      }
      return c;
    },
    deliver(active, count) {
      const { v, refr, th, input, n, refSteps, mode, vr, sub, tPlus } = s;
      for (let i = 0; i < n; i++) {
        const a = input[i]!;
        if (a !== 0) { if (refr[i] === 0) v[i] = f(v[i]! + a); input[i] = 0; }
      }
      for (let c = 0; c < count; c++) {
        const i = active[c]!;
        v[i] = mode === 0 ? vr : mode === 1 ? 0 : f(v[i]! - sub);
        refr[i] = refSteps;
        if (th) th[i] = f(th[i]! + tPlus);
      }
    },
  };
}

export const lif = define<LifParams>({
  name: 'core/lif',
  description: 'current-based leaky integrate-and-fire with delta synapses, refractory period and reset modes',
  defaults: { tauMMs: 20, vRestMv: -65, vThreshMv: -50, vResetMv: -65, vInitMv: -65, refractoryMs: 2, resetMode: 'value', integration: 'exact' },
  stateVars: ['v', 'refr'],
  channels: ['v'],
  validate(p) {
    const e = new Problems();
    lifProblems(p, e);
    return e.list;
  },
  initialState: (p) => ({ v: p.vInitMv, refr: 0 }),
  integrate(state, p, dtMs) {
    checkDt(dtMs);
    return tf.tidy(() => lifIntegrateTensor(state, p, dtMs));
  },
  deliver(inputs, spikes, state, p, dtMs) {
    return tf.tidy(() => lifDeliverTensor(inputs.v, spikes, state, p, dtMs));
  },
  fused: (st, inputs, p, dtMs) => lifFused(st, inputs.v!, p, dtMs),
});

// ---------------------------------------------------------------------------------------------
// Adaptive-threshold LIF (homeostasis, Diehl & Cook 2015 / BindsNET AdaptiveLIFNodes): the LIF above
// with threshold vThresh + θ; θ ← θ·e^(−dt/τθ) every step and θ += thetaPlusMv on each spike.

export type AdaptiveLifParams = LifParams & { thetaPlusMv: number; tauThetaMs: number };

export const adaptiveLif = define<AdaptiveLifParams>({
  name: 'core/adaptive-lif',
  description: 'LIF with an adaptive threshold vThresh + θ (θ jumps by thetaPlusMv per spike, decays with tauThetaMs)',
  defaults: {
    tauMMs: 20, vRestMv: -65, vThreshMv: -52, vResetMv: -65, vInitMv: -65, refractoryMs: 5, resetMode: 'value', integration: 'exact',
    thetaPlusMv: 0.05, tauThetaMs: 1e7,
  },
  stateVars: ['v', 'refr', 'theta'],
  channels: ['v'],
  validate(p) {
    const e = new Problems();
    lifProblems(p, e);
    e.add(isFiniteNumber(p.thetaPlusMv) && p.thetaPlusMv >= 0, `thetaPlusMv must be a finite number >= 0, got ${String(p.thetaPlusMv)}`);
    e.add(isPositive(p.tauThetaMs), `tauThetaMs must be a finite number > 0, got ${String(p.tauThetaMs)}`);
    return e.list;
  },
  initialState: (p) => ({ v: p.vInitMv, refr: 0, theta: 0 }),
  integrate(state, p, dtMs) {
    checkDt(dtMs);
    return tf.tidy(() => lifIntegrateTensor(state, p, dtMs, Math.exp(-dtMs / p.tauThetaMs)));
  },
  deliver(inputs, spikes, state, p, dtMs) {
    return tf.tidy(() => lifDeliverTensor(inputs.v, spikes, state, p, dtMs, p.thetaPlusMv));
  },
  fused: (st, inputs, p, dtMs) => lifFused(st, inputs.v!, p, dtMs, { decay: Math.exp(-dtMs / p.tauThetaMs), plus: p.thetaPlusMv }),
});

// ---------------------------------------------------------------------------------------------
// Ternary LIF of PDLF (Shen et al., evojax policy/stdp.py `lif_neuron`), one update per step:
//   mem ← inp + (mem − inp)/τ;  spike = [mem > vTh] − [mem < −vTh] ∈ {−1, 0, +1};  mem ← 0 where spike ≠ 0.
// `inp` is the input delivered in the previous step (channel 'input'; replaced, not accumulated).
// Dimensionless, independent of dt. Defaults τ = e, vThresh = 0.1 as in the PDLF code.

export type TernaryLifParams = { tau: number; vThresh: number };

export const ternaryLif = define<TernaryLifParams>({
  name: 'core/ternary-lif',
  description: 'PDLF ternary LIF: mem = inputs + (mem − inputs)/τ, spikes in {−1, 0, +1}, reset to 0',
  defaults: { tau: Math.E, vThresh: 0.1 },
  signedSpikes: true,
  stateVars: ['mem', 'inp'],
  channels: ['input'],
  validate(p) {
    const e = new Problems();
    e.add(isFiniteNumber(p.tau) && p.tau >= 1, `tau must be a finite number >= 1, got ${String(p.tau)}`);
    e.add(isFiniteNumber(p.vThresh) && p.vThresh >= 0, `vThresh must be a finite number >= 0, got ${String(p.vThresh)}`);
    return e.list;
  },
  initialState: () => ({ mem: 0, inp: 0 }),
  integrate(state, p, dtMs) {
    checkDt(dtMs);
    return tf.tidy(() => {
      const { mem, inp } = state as { mem: Tensor; inp: Tensor };
      const m = tf.add(inp, tf.div(tf.sub(mem, inp), s32(p.tau)));
      const spikes = tf.sub(tf.cast(tf.greater(m, s32(p.vThresh)), 'float32'), tf.cast(tf.less(m, s32(-p.vThresh)), 'float32'));
      return { spikes, state: { mem: m, inp: tf.clone(inp) } };
    });
  },
  deliver(inputs, spikes, state) {
    return tf.tidy(() => ({
      mem: tf.where(tf.notEqual(spikes, s32(0)), tf.zerosLike(state.mem!), state.mem!),
      inp: inputs.input ? tf.clone(inputs.input) : tf.zerosLike(state.inp!),
    }));
  },
  fused(st, inputs, p, dtMs): FusedNeuron {
    checkDt(dtMs);
    const k = { mem: st.mem!, inp: st.inp!, input: inputs.input!, n: st.mem!.length, tau: f(p.tau), vt: f(p.vThresh), nvt: f(-p.vThresh) };
    return {
      integrate(active, value) {
        const { mem, inp, n, tau, vt, nvt } = k; // see STATE_OBJECT
        let c = 0;
        for (let i = 0; i < n; i++) {
          const x = inp[i]!;
          const m = f(x + f(f(mem[i]! - x) / tau));
          mem[i] = m;
          const s = (m > vt ? 1 : 0) - (m < nvt ? 1 : 0);
          if (s !== 0) { active[c++] = i; value[i] = s; }
        }
        return c;
      },
      deliver(active, count) {
        const { mem, inp, input, n } = k;
        for (let i = 0; i < n; i++) { inp[i] = input[i]!; input[i] = 0; }
        for (let c = 0; c < count; c++) mem[active[c]!] = 0;
      },
    };
  },
});

/** Every neuron model of this package. */
export const NEURONS = [lif, conductanceLif, adaptiveLif, ternaryLif] as const;
