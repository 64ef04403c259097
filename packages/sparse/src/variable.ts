import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, check, describeValue } from '@plasticity/core';

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
