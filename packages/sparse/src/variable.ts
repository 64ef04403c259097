import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, check, describeValue } from '@plasticity/core';
import { shareBuffer } from './kernels/dispatch.js';

/** Options of `makeTrainable`. */
export interface TrainableOptions {
  /** The variable's name (tfjs names are unique per engine; default: tfjs picks one). */
  readonly name?: string;
}

/**
 * Checks a variable a connection is asked to adopt: a live, float32 tf.Variable of exactly `shape`
 * (the connection's storage shape). Throws before anything changes.
 */
export function checkVariable(name: string, v: unknown, shape: readonly (number | null)[]): tf.Variable {
  if (!(v instanceof tf.Variable)) throw new PlasticityError('E_PARAM', `${name} must be a tf.Variable, got ${describeValue(v)}`);
  if (v.isDisposed) throw new PlasticityError('E_PARAM', `${name} is a disposed variable`);
  check.dtype(name, v, ['float32']);
  check.shape(name, v.shape, shape);
  return v;
}

/** Checks TrainableOptions before a variable is made (a taken name would throw a plain Error in tfjs). */
export function checkTrainableOptions(options: TrainableOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new PlasticityError('E_PARAM', `options must be an object { name? }, got ${describeValue(options)}`);
  }
  const { name } = options;
  if (name === undefined) return;
  if (typeof name !== 'string' || name.length === 0) {
    throw new PlasticityError('E_PARAM', `options.name must be a non-empty string, got ${describeValue(name)}`);
  }
  const registered = (tf.engine() as unknown as { state: { registeredVariables: Record<string, unknown> } }).state.registeredVariables;
  if (registered[name] !== undefined) {
    throw new PlasticityError('E_PARAM', `options.name: a variable named '${name}' already exists`);
  }
}

/**
 * Makes `next` the contents of `v` with no second copy: an output of an in-place kernel shares v's
 * buffer already (only the extra handle is dropped); anything else is adopted by `assign`, which
 * takes over next's buffer rather than copying it. `next` is disposed either way (unless it is v).
 */
export function assignInto(v: tf.Variable, next: tf.Tensor): void {
  if (next === v) return;
  if (next.dataId !== v.dataId) v.assign(next);
  next.dispose();
}

/**
 * A connection's weights: one tensor, or the tf.Variable that took its place (`makeTrainable`), with a
 * version number that changes whenever the weights may have changed (every update, and an assign made
 * to the variable by anyone, e.g. an optimizer). Dense and sparse connections share it.
 */
export class WeightStore<T extends tf.Tensor> {
  /** The weights as the kernels read them (the variable itself when trainable). */
  w: T;
  variable: tf.Variable | null = null;
  private count = 0;
  private seenDataId: object | null = null;
  /** Updated in place since `tensor()` last handed out `w`. */
  private inPlace = false;

  /** `initial`: a kept tensor the store now owns, or a (checked) variable to adopt. */
  constructor(initial: T) {
    this.w = initial;
    if (initial instanceof tf.Variable) this.variable = initial;
  }

  get version(): number {
    const v = this.variable;
    if (v && v.dataId !== this.seenDataId) {
      this.seenDataId = v.dataId;
      this.count++;
    }
    return this.count;
  }

  /**
   * The weights for a reader. After an update in place a reader gets a new tensor object over the same
   * buffer, so "same object" keeps meaning "same weights"; a variable is handed out as itself (a second
   * handle on its buffer would make every update a copy).
   */
  tensor(): T {
    if (this.inPlace && !this.variable) this.replace(shareBuffer(this.w) as T);
    this.inPlace = false;
    return this.w;
  }

  /** The weights were updated in place in `w`'s buffer. */
  changedInPlace(): void {
    this.inPlace = true;
    this.count++;
  }

  /** New weights: adopted by the variable (`assignInto`) when trainable, else kept (the old disposed). */
  replace(next: T): void {
    this.count++;
    if (this.variable) {
      assignInto(this.variable, next);
      return;
    }
    const old = this.w;
    this.w = tf.keep(next);
    if (old !== next) old.dispose();
  }

  /** The weights as a tf.Variable (no copy: it takes over the buffer); the same one when called again. */
  makeTrainable(options: TrainableOptions): tf.Variable {
    if (this.variable) return this.variable;
    checkTrainableOptions(options);
    const v = tf.variable(this.tensor(), true, options.name);
    this.w.dispose(); // v now holds the buffer alone (a variable shares its initial value's buffer)
    this.w = v as unknown as T;
    this.variable = v;
    this.count++;
    return v;
  }
}
