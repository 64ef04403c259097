import * as tf from '@tensorflow/tfjs-core';
import {
  PlasticityError,
  Problems,
  describeValue,
  requireBackend,
  type Bounds,
  type JsonValue,
  type PluginState,
  type RuleStepIO,
  type SynapseContext,
  type SynapseOps,
} from '@plasticity/core';

/**
 * How a rule combines the per-sample updates of a batch: `'sum'` adds them (a batch of B identical
 * samples changes the weights B times as much as one sample; Norse's einsum, BindsNET with batch > 1),
 * `'mean'` averages them (B identical samples change the weights exactly as one sample does).
 */
export type BatchReduce = 'sum' | 'mean';
export const BATCH_REDUCE = ['sum', 'mean'] as const;

/** Factor applied to batch-summed updates: 1 for 'sum', 1/B for 'mean'. */
export function batchScale(reduce: BatchReduce, batch: number): number {
  return reduce === 'mean' ? 1 / batch : 1;
}

/** e^(−dt/τ), computed in double precision once per step. */
export function decayFactor(dtMs: number, tauMs: number): number {
  return Math.exp(-dtMs / tauMs);
}

export { Problems };

/** Throws E_PARAM listing every problem `validate` reports (used by init and step). */
export function assertValid<P>(ruleName: string, validate: (params: P) => string[], params: P): void {
  if (params === null || typeof params !== 'object') {
    throw new PlasticityError('E_PARAM', `${ruleName}: params must be an object, got ${describeValue(params)}`);
  }
  const problems = validate(params);
  if (problems.length > 0) throw new PlasticityError('E_PARAM', `${ruleName}: ${problems.join('; ')}`);
}

/** SynapseOps bounds from JSON params (null means unbounded on that side). */
export function toBounds(wMin: JsonValue | undefined, wMax: JsonValue | undefined): Bounds | undefined {
  const b: { wMin?: number; wMax?: number } = {};
  if (typeof wMin === 'number') b.wMin = wMin;
  if (typeof wMax === 'number') b.wMax = wMax;
  return b.wMin === undefined && b.wMax === undefined ? undefined : b;
}

export function clipTo(w: tf.Tensor, bounds: Bounds | undefined): tf.Tensor {
  if (bounds === undefined) return w;
  return tf.clipByValue(w, bounds.wMin ?? -Infinity, bounds.wMax ?? Infinity);
}

/**
 * w + delta clipped to `bounds` where `touched` (bool, same shape), w unchanged elsewhere: plastic
 * updates clip only the synapses they touch, so a silent synapse keeps even an out-of-bounds weight.
 */
export function addTouched(w: tf.Tensor1D, delta: tf.Tensor1D, touched: tf.Tensor1D, bounds: Bounds | undefined): tf.Tensor1D {
  return tf.tidy(() => {
    const next = tf.add(w, delta);
    return (bounds === undefined ? next : tf.where(touched, clipTo(next, bounds), w)) as tf.Tensor1D;
  });
}

/** Per stored synapse (bool [nnz]): some batch sample b has a[b, k] != 0 and r[b] != 0. a: [batch, nnz], r: [batch, 1]. */
export function touchedWhere(a: tf.Tensor2D, r?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const active = tf.notEqual(a, 0);
    return tf.any(r === undefined ? active : tf.logicalAnd(active, tf.notEqual(r, 0)), 0) as tf.Tensor1D;
  });
}

// ---------------------------------------------------------------------------------------------
// Step input checks. They run before any tensor op or weight update, so a bad call changes nothing.

export interface StepShape {
  readonly batch: number;
  readonly nPre: number;
  readonly nPost: number;
}

function shapeError(ruleName: string, name: string, got: readonly number[], batch: number, n: number): PlasticityError {
  const want = batch === 1 ? `[1, ${n}] or [${n}]` : `[${batch}, ${n}]`;
  return new PlasticityError('E_SHAPE', `${ruleName}: ${name} must have shape ${want}, got [${got.join(', ')}]`);
}

function checkActivity(ruleName: string, name: string, t: unknown, batch: number, n: number): void {
  if (!(t instanceof tf.Tensor)) {
    throw new PlasticityError('E_SHAPE', `${ruleName}: ${name} must be a tensor of shape [${batch}, ${n}], got ${describeValue(t)}`);
  }
  if (t.isDisposed) throw new PlasticityError('E_SHAPE', `${ruleName}: ${name} is a disposed tensor`);
  const s = t.shape;
  const ok = (s.length === 2 && s[0] === batch && s[1] === n) || (s.length === 1 && batch === 1 && s[0] === n);
  if (!ok) throw shapeError(ruleName, name, s, batch, n);
  if (t.dtype === 'string' || t.dtype === 'complex64') {
    throw new PlasticityError('E_SHAPE', `${ruleName}: ${name} must be numeric (float32, int32 or bool), got ${t.dtype}`);
  }
}

/**
 * Checks `io` against the rule's state dimensions: pre [batch, nPre] (or [nPre] when batch is 1),
 * post [batch, nPost], conn.nPre/nPost, dtMs > 0 and finite. Throws PlasticityError naming the argument.
 */
export function checkStepIO(ruleName: string, io: RuleStepIO, dims: StepShape): void {
  if (io === null || typeof io !== 'object') {
    throw new PlasticityError('E_PARAM', `${ruleName}: io must be an object { pre, post, conn, dtMs }, got ${describeValue(io)}`);
  }
  if (typeof io.dtMs !== 'number' || !Number.isFinite(io.dtMs) || io.dtMs <= 0) {
    throw new PlasticityError('E_PARAM', `${ruleName}: io.dtMs must be a finite number > 0 (time step in ms), got ${describeValue(io.dtMs)}`);
  }
  const conn = io.conn as SynapseOps | undefined;
  if (conn === null || typeof conn !== 'object' || typeof conn.onPre !== 'function' || typeof conn.mapSynapses !== 'function') {
    throw new PlasticityError('E_PARAM', `${ruleName}: io.conn must implement SynapseOps (onPre, onPost, addOuter, mapSynapses), got ${describeValue(conn)}`);
  }
  if (conn.nPre !== dims.nPre || conn.nPost !== dims.nPost) {
    throw new PlasticityError(
      'E_SHAPE',
      `${ruleName}: io.conn is ${conn.nPre} x ${conn.nPost} (nPre x nPost) but the rule state was initialised for ${dims.nPre} x ${dims.nPost}`,
    );
  }
  checkActivity(ruleName, 'io.pre', io.pre, dims.batch, dims.nPre);
  checkActivity(ruleName, 'io.post', io.post, dims.batch, dims.nPost);
}

/**
 * Checks the neuromodulator: absent (undefined or null: 0, no reward this step, as an unset signal
 * of a Network), a finite number, a scalar tensor, or a tensor of shape [1] or [batch].
 */
export function checkModulator(ruleName: string, modulator: unknown, batch: number): void {
  if (modulator === undefined || modulator === null) return;
  if (typeof modulator === 'number') {
    if (!Number.isFinite(modulator)) throw new PlasticityError('E_PARAM', `${ruleName}: io.modulator must be finite, got ${describeValue(modulator)}`);
    return;
  }
  if (!(modulator instanceof tf.Tensor) || modulator.isDisposed) {
    throw new PlasticityError('E_PARAM', `${ruleName}: io.modulator must be a number or a tensor, got ${describeValue(modulator)}`);
  }
  const size = modulator.size;
  if (modulator.rank > 1 || !(size === 1 || size === batch)) {
    throw new PlasticityError('E_SHAPE', `${ruleName}: io.modulator must be a scalar or have shape [${batch}], got [${modulator.shape.join(', ')}]`);
  }
}

/** Modulator as a float32 tensor of shape [batch, 1] (new tensor; caller disposes). */
export function modulatorColumn(modulator: number | tf.Tensor | undefined | null, batch: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (modulator === undefined || modulator === null) return tf.zeros([batch, 1]) as tf.Tensor2D;
    if (typeof modulator === 'number') return tf.fill([batch, 1], modulator) as tf.Tensor2D;
    const flat = tf.reshape(tf.cast(modulator, 'float32'), [-1, 1]);
    return (flat.shape[0] === batch ? flat : tf.tile(flat, [batch, 1])) as tf.Tensor2D;
  });
}

/** Activity as float32 [batch, n] (new tensor). */
export function asBatch(t: tf.Tensor, batch: number): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(tf.cast(t, 'float32'), [batch, -1]) as tf.Tensor2D);
}

/** Spikes as 0/1 float32 [batch, n]: an element is active iff it is != 0 (new tensor). */
export function asSpikes(t: tf.Tensor, batch: number): tf.Tensor2D {
  return tf.tidy(() => tf.reshape(tf.cast(tf.notEqual(t, 0), 'float32'), [batch, -1]) as tf.Tensor2D);
}

/**
 * Σ_b a[b, pre_k] · c[b, post_k] for every stored synapse k (length nnz), from the synapse context of
 * `mapSynapses`. a: [batch, nPre], c: [batch, nPost].
 */
export function perSynapseOuter(a: tf.Tensor2D, c: tf.Tensor2D, ctx: SynapseContext): tf.Tensor1D {
  return tf.tidy(() => {
    const ga = tf.gather(a, ctx.pre, 1);
    const gc = tf.gather(c, ctx.post, 1);
    return tf.sum(tf.mul(ga, gc), 0) as tf.Tensor1D;
  });
}

/** First row of a [1, n] tensor as [n] (for the batch-1 event-driven paths). */
export function row(t: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(t, [-1]) as tf.Tensor1D;
}

/** Shape of a live state tensor of the given rank; throws naming `state.<name>` otherwise. */
export function stateShape(ruleName: string, name: string, t: unknown, rank: number): number[] {
  if (!(t instanceof tf.Tensor) || t.isDisposed) {
    throw new PlasticityError('E_PARAM', `${ruleName}: state.${name} must be a live tensor (from init()), got ${describeValue(t)}`);
  }
  if (t.rank !== rank) throw new PlasticityError('E_SHAPE', `${ruleName}: state.${name} must have rank ${rank}, got [${t.shape.join(', ')}]`);
  return t.shape;
}

/** Checks that a state tensor exists, is alive and has the expected shape. */
export function checkStateTensor(ruleName: string, name: string, t: unknown, shape: readonly number[]): void {
  if (!(t instanceof tf.Tensor) || t.isDisposed) {
    throw new PlasticityError('E_PARAM', `${ruleName}: state.${name} must be a live tensor (from init()), got ${describeValue(t)}`);
  }
  if (t.shape.length !== shape.length || t.shape.some((d: number, i: number) => d !== shape[i])) {
    throw new PlasticityError('E_SHAPE', `${ruleName}: state.${name} must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

export function checkDims(ruleName: string, dims: unknown): StepShape {
  const d = dims as Partial<StepShape> | null;
  const bad = (k: string, v: unknown) =>
    new PlasticityError('E_PARAM', `${ruleName}: dims.${k} must be a positive integer${k === 'batch' ? '' : ' or 0'}, got ${describeValue(v)}`);
  if (d === null || typeof d !== 'object') throw new PlasticityError('E_PARAM', `${ruleName}: dims must be { nPre, nPost, batch }, got ${describeValue(d)}`);
  for (const k of ['nPre', 'nPost'] as const) {
    const v = d[k];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(k, v);
  }
  if (typeof d.batch !== 'number' || !Number.isSafeInteger(d.batch) || d.batch < 1) throw bad('batch', d.batch);
  // Every rule's init calls this before its first tensor: E_BACKEND rather than tfjs's registry error.
  requireBackend(`${ruleName} init`);
  return { nPre: d.nPre!, nPost: d.nPost!, batch: d.batch };
}

/**
 * Disposes every tensor of `previous` that `next` no longer holds. Rules never dispose their input
 * state (step is a function of its arguments); a simulation loop calls this after each step:
 * `const next = rule.step(io, state, params); releaseState(state, next); state = next;`.
 */
export function releaseState(previous: PluginState, next: PluginState): void {
  const kept = new Set<unknown>(Object.values(next));
  for (const value of Object.values(previous)) {
    if (value instanceof tf.Tensor && !kept.has(value) && !value.isDisposed) value.dispose();
  }
}

/** Disposes every tensor of a rule state. */
export function disposeState(state: PluginState): void {
  for (const value of Object.values(state)) if (value instanceof tf.Tensor && !value.isDisposed) value.dispose();
}
