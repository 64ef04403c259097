import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, describeValue } from '@plasticity/core';
import { readInMemory } from './host-read.js';
import { releaseResident, residentCopy } from './wasm/memory.js';

/** Adam's hyper-parameters (PyTorch's defaults). */
export interface AdamOptions {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}
export const ADAM_DEFAULTS: AdamOptions = Object.freeze({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

export function checkAdamOptions(options: AdamOptions): void {
  const { learningRate, beta1, beta2, epsilon } = options;
  if (!(typeof learningRate === 'number' && Number.isFinite(learningRate) && learningRate >= 0)) {
    throw new PlasticityError('E_PARAM', `learningRate must be a finite number >= 0, got ${describeValue(learningRate)}`);
  }
  for (const [name, value] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(typeof value === 'number' && value >= 0 && value < 1)) throw new PlasticityError('E_PARAM', `${name} must be in [0, 1), got ${describeValue(value)}`);
  }
  if (!(typeof epsilon === 'number' && Number.isFinite(epsilon) && epsilon > 0)) throw new PlasticityError('E_PARAM', `epsilon must be > 0, got ${describeValue(epsilon)}`);
}

/**
 * Adam as PyTorch computes it (bias corrections in double precision on the host, ε added to
 * √v / √(1 − β2^t)), over a fixed list of variables. Its state is the step count and the first and second
 * moments of the *gradients* only — it keeps no copy of the weights, so a plastic update that moves a
 * weight between two steps leaves nothing stale: the next gradient is taken where the weight now is.
 * The state is plain data (`getState` / `setState`) so a checkpoint continues exactly.
 */
export class Adam {
  readonly variables: readonly tf.Variable[];
  options: AdamOptions;
  step = 0;
  private m: tf.Tensor[];
  private v: tf.Tensor[];
  /** The moments as host arrays while the host step path owns them (then `m` / `v` are empty). */
  private host: { m: Float32Array[]; v: Float32Array[] } | null = null;

  constructor(variables: readonly tf.Variable[], options: AdamOptions) {
    checkAdamOptions(options);
    this.variables = variables;
    this.options = options;
    this.m = variables.map((w) => tf.zerosLike(w));
    this.v = variables.map((w) => tf.zerosLike(w));
  }

  /** One update with `grads[i]` for `variables[i]`; a missing gradient skips that variable, moments
   *  included (as PyTorch skips a parameter whose grad is None). Gradients are not disposed here. */
  apply(grads: readonly (tf.Tensor | undefined)[]): void {
    this.materialize();
    const { learningRate, beta1, beta2, epsilon } = this.options;
    const t = this.step + 1;
    const stepSize = learningRate / (1 - beta1 ** t);
    const rootCorrection = Math.sqrt(1 - beta2 ** t);
    const next = tf.tidy(() => grads.map((g, i) => {
      if (g === undefined) return [tf.clone(this.m[i]!), tf.clone(this.v[i]!)] as const;
      const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
      const denominator = tf.add(tf.div(tf.sqrt(v), rootCorrection), epsilon);
      this.variables[i]!.assign(tf.sub(this.variables[i]!, tf.mul(tf.div(m, denominator), stepSize)));
      return [m, v] as const;
    }));
    tf.dispose([this.m, this.v]);
    this.m = next.map((pair) => pair[0]);
    this.v = next.map((pair) => pair[1]);
    this.step = t;
  }

  getState(): { step: number; m: readonly tf.Tensor[]; v: readonly tf.Tensor[] } {
    this.materialize();
    return { step: this.step, m: this.m, v: this.v };
  }

  /** Takes ownership of `m` and `v` (shapes must match the variables). */
  setState(state: { step: number; m: tf.Tensor[]; v: tf.Tensor[] }): void {
    tf.dispose([this.m, this.v]);
    this.dropHost();
    this.step = state.step;
    this.m = state.m;
    this.v = state.v;
  }

  /**
   * The moments as host arrays (the host step path), which it updates in place: read once from the
   * tensors into resident arrays of their own (wasm/memory.ts), and the tensors dropped.
   */
  hostMoments(): { m: readonly Float32Array[]; v: readonly Float32Array[] } {
    if (this.host === null) {
      const own = (t: tf.Tensor) => residentCopy(readInMemory(t));
      this.host = { m: this.m.map(own), v: this.v.map(own) };
      tf.dispose([this.m, this.v]);
      this.m = [];
      this.v = [];
    }
    return this.host;
  }

  /** The moments as they are, tensors or host arrays, for a checkpoint (nothing is created). */
  momentValues(): { m: readonly (tf.Tensor | Float32Array)[]; v: readonly (tf.Tensor | Float32Array)[] } {
    return this.host ?? { m: this.m, v: this.v };
  }

  /** Host moments back into tensors (before the tfjs path or `getState`). */
  private materialize(): void {
    if (this.host === null) return;
    const { m, v } = this.host;
    // copies: the cpu backend keeps the array it is given, and the resident arrays go back to the heap
    this.m = m.map((values, i) => tf.tensor(values.slice(), this.variables[i]!.shape, 'float32'));
    this.v = v.map((values, i) => tf.tensor(values.slice(), this.variables[i]!.shape, 'float32'));
    this.dropHost();
  }

  private dropHost(): void {
    if (this.host !== null) for (const x of [...this.host.m, ...this.host.v]) releaseResident(x);
    this.host = null;
  }

  dispose(): void {
    this.dropHost();
    tf.dispose([this.m, this.v]);
    this.m = [];
    this.v = [];
  }
}
