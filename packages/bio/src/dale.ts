import { createRng, defineTransform, describeValue, PlasticityError, type Rng, type Transform } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import { DALE_SIGN, layoutOf, ParamProblems, signPlacement, type BioInput } from './checks.js';
import { hostKernel, useHost } from './host.js';
import { pointers, wasmKernels } from './wasm.js';

export { DALE_SIGN };

export interface DaleParams {
  [key: string]: string | number | boolean;
  /** Fraction of neurons that are excitatory (the reference draws ±1 with probability 1/2). */
  excitatoryFraction: number;
  /** 'random': each neuron is excitatory with probability excitatoryFraction (seeded); 'first': the
   *  first round(excitatoryFraction·n) neurons are excitatory, the rest inhibitory. */
  layout: 'random' | 'first';
  /** 'pre' (Dale's principle): one sign per presynaptic neuron, a row of W[pre, post]. 'post': one sign
   *  per postsynaptic neuron (the reference's per-output-row sign, kept for compatibility). */
  axis: 'pre' | 'post';
  /** Flip the weights to their neuron's sign (w ← |w|·sign) the first time, as the reference's
   *  dalian_network_initialization; afterwards every step is the projection w ← relu(w·sign)·sign. */
  initialize: boolean;
}

export const DALE_DEFAULTS: DaleParams = { excitatoryFraction: 0.5, layout: 'random', axis: 'pre', initialize: true };

export function validateDale(p: DaleParams): string[] {
  const c = new ParamProblems();
  c.inRange('excitatoryFraction', p.excitatoryFraction, 0, 1);
  c.oneOf('layout', p.layout, ['random', 'first']);
  c.oneOf('axis', p.axis, ['pre', 'post']);
  c.add(typeof p.initialize === 'boolean', `initialize must be a boolean, got ${describeValue(p.initialize)}`);
  return c.list;
}

/** +1 (excitatory) or −1 (inhibitory) for each of n neurons. */
export function daleSigns(n: number, p: DaleParams, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  if (p.layout === 'first') {
    const nExc = Math.round(p.excitatoryFraction * n);
    for (let i = 0; i < n; i++) out[i] = i < nExc ? 1 : -1;
  } else {
    for (let i = 0; i < n; i++) out[i] = rng.random() < p.excitatoryFraction ? 1 : -1;
  }
  return out;
}

export interface DaleState {
  [key: string]: tf.Tensor | number;
  /** Dense weights: the signs, [nPre, 1] (axis 'pre') or [1, nPost] (axis 'post'); sparse weights read
   *  the per-synapse array `daleSign` instead. */
  sign: tf.Tensor | number;
  /** 1 once the weights were flipped to their signs. */
  initialized: number;
}

/**
 * Dale's principle: every outgoing synapse of a presynaptic neuron has that neuron's sign. Dense weights
 * W[pre, post] keep one sign per row (per column with axis 'post'); on a connection each stored synapse
 * reads its sign from the per-synapse array `daleSign`. Enforcement is a projection: a weight whose sign
 * flipped becomes 0 (w ← relu(w·s)·s), it is not reflected.
 */
export const dale: Transform<DaleParams, DaleState> = defineTransform<DaleParams, DaleState>({
  name: 'bio/dale',
  description: "Dale's principle: one sign per presynaptic neuron, enforced as a projection after each update",
  defaults: DALE_DEFAULTS,
  validate: validateDale,
  init(shape, params, seed) {
    if (shape.length !== 2) return { sign: 0, initialized: 0 }; // stored synapses: signs come per synapse
    const rng = createRng(seed);
    const n = params.axis === 'pre' ? shape[0]! : shape[1]!;
    const s = daleSigns(n, params, rng);
    return { sign: tf.tensor(s, params.axis === 'pre' ? [n, 1] : [1, n], 'float32'), initialized: 0 };
  },
  synapseArrays(structure, params, rng) {
    const n = params.axis === 'pre' ? structure.nPre : structure.nPost;
    const s = daleSigns(n, params, rng);
    const idx = params.axis === 'pre' ? structure.pre : structure.post;
    return { [DALE_SIGN]: Float32Array.from(idx, (i) => s[i]!) };
  },
  apply(input: BioInput, state, p) {
    const layout = layoutOf('bio/dale', input, false);
    let sign: tf.Tensor;
    if (layout.kind === 'sparse') {
      const s = layout.synapses.params[DALE_SIGN];
      if (!s || s.size !== layout.nnz) throw new PlasticityError('E_PARAM', `bio/dale: on a connection the per-synapse array '${DALE_SIGN}' (length nnz = ${layout.nnz}) must be in the synapse context; create it with dale.synapseArrays`);
      sign = s;
    } else {
      if (!(state.sign instanceof tf.Tensor)) throw new PlasticityError('E_PARAM', 'bio/dale: state.sign must be a tensor; init the state for dense weights [nPre, nPost]');
      const want = p.axis === 'pre' ? [layout.nPre, 1] : [1, layout.nPost];
      if (state.sign.shape[0] !== want[0] || state.sign.shape[1] !== want[1]) {
        throw new PlasticityError('E_SHAPE', `bio/dale: state.sign must have shape [${want.join(', ')}] for weights [${layout.nPre}, ${layout.nPost}] with axis '${p.axis}', got [${state.sign.shape.join(', ')}]`);
      }
      sign = state.sign;
    }
    const flip = p.initialize && state.initialized === 0;
    if (useHost()) {
      const { stride, period } = signPlacement(layout, p.axis);
      const [w] = hostKernel([input.weights, sign], [input.weights.shape], ([wv, sv], [out]) => {
        const k = wasmKernels();
        const at = k ? pointers(k, [wv!, sv!, out!]) : null;
        if (at) k!.exports.dale(at[0]!, at[1]!, at[2]!, out!.length, stride, period, flip ? 1 : 0);
        else daleHost(wv as Float32Array, sv as Float32Array, stride, period, flip, out!);
      });
      return { weights: w!, state: { ...state, initialized: 1 } };
    }
    const w = tf.tidy(() => (flip ? tf.mul(tf.abs(input.weights), sign) : tf.mul(tf.relu(tf.mul(input.weights, sign)), sign)));
    return { weights: w, state: { ...state, initialized: 1 } };
  },
  fused: {
    setup: ({ synapses, params }) => {
      const s = synapses[DALE_SIGN];
      if (!s) throw new PlasticityError('E_PARAM', `bio/dale: the per-synapse array '${DALE_SIGN}' is missing`);
      let initialized = 0;
      return {
        apply(w) {
          const flip = params.initialize && initialized === 0;
          for (let k = 0; k < w.length; k++) {
            const v = w[k]!;
            if (flip) w[k] = s[k]! > 0 ? Math.abs(v) : -Math.abs(v);
            else if (s[k]! > 0 ? v < 0 : v > 0) w[k] = 0;
          }
          initialized = 1;
        },
        state: () => ({ arrays: {}, data: { initialized } }),
        setState: (_a, data) => { initialized = data.initialized!; },
        reset: () => { initialized = 0; },
      };
    },
  },
});

/** Per-synapse signs of a connection's stored synapses from one sign per presynaptic neuron. */
export function synapseSigns(pre: Int32Array, signs: Float32Array): Float32Array {
  return Float32Array.from(pre, (i) => signs[i]!);
}

/**
 * The host kernel: w·s·relu-projected (or |w|·s when flipping) with the sign of weight k at s[k]
 * (per synapse: stride 1, period 0), s[floor(k / stride)] (dense, one sign per pre) or s[k % period]
 * (dense, one sign per post); the same numbers as the tensor form (multiplying by ±1 is exact; relu
 * keeps NaN and −0). One loop per layout, without a branch on the sign of w·s (random signs mispredict).
 */
function daleHost(w: Float32Array, s: Float32Array, stride: number, period: number, flip: boolean, out: Float32Array): void {
  const n = w.length;
  if (period === 0 && stride === 1) {
    for (let k = 0; k < n; k++) out[k] = flip ? Math.abs(w[k]!) * s[k]! : project(w[k]!, s[k]!);
  } else if (period > 0) {
    for (let k = 0; k < n; k += period) {
      for (let j = 0; j < period; j++) out[k + j] = flip ? Math.abs(w[k + j]!) * s[j]! : project(w[k + j]!, s[j]!);
    }
  } else {
    for (let r = 0, k = 0; k < n; r++) {
      const sk = s[r]!;
      for (const e = Math.min(n, k + stride); k < e; k++) out[k] = flip ? Math.abs(w[k]!) * sk : project(w[k]!, sk);
    }
  }
}

/** relu(v·s)·s: (y + |y|)/2 is relu(y) without a branch, exact for every y but −0 and −∞ (taken apart). */
function project(v: number, sk: number): number {
  const y = v * sk;
  return v === 0 || y === -Infinity ? (y < 0 ? 0 : y) * sk : (y + Math.abs(y)) * 0.5 * sk;
}
