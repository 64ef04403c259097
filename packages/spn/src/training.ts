import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, createRng, describeValue } from '@plasticity/core';
import { checkFiniteHost, checkFiniteTensor, hostInput, type ArrayInput } from './inputs.js';
import type { SynapticPlasticityNetwork } from './network.js';

/** What `fit` reports after each epoch. */
export interface EpochLogs {
  /** Mean squared error over the epoch's training samples (each batch weighted by its size). */
  readonly loss: number;
  /** Mean squared error on the held-out samples (plasticity off, state restored afterwards). */
  readonly valLoss?: number;
}

export interface FitOptions {
  readonly epochs?: number;
  /** Rows (faithful: samples, plastic: sequences) per training step; default 32. */
  readonly batchSize?: number;
  /** Adam's learning rate (default: the network's current one, initially 1e-3). */
  readonly learningRate?: number;
  /** Visit the training rows in a new seeded order each epoch (default false, as the blog). */
  readonly shuffle?: boolean;
  /** Fraction of rows, taken from the end, held out for `valLoss` (default 0). */
  readonly validationSplit?: number;
  /** Apply the plastic update in each step (default true). */
  readonly plasticity?: boolean;
  /** Seed of the shuffling (default: the network's seed). */
  readonly seed?: number;
  /**
   * State reset at each epoch start: 'memory' (the blog's `reset_memory()`: memory and previous
   * attention output, not the activity; faithful default), 'all', or 'none'. Plastic mode treats every
   * row as its own sequence and always starts each batch from cleared state.
   */
  readonly epochReset?: 'memory' | 'all' | 'none';
  readonly onEpochEnd?: (epoch: number, logs: EpochLogs) => void | Promise<void>;
}

export interface History {
  readonly loss: number[];
  readonly valLoss: number[];
}

export interface PredictOptions {
  /** Rows per call (faithful default 32; plastic default: all rows in one call). */
  readonly batchSize?: number;
  /** Apply the plastic update while predicting (default false). */
  readonly plasticity?: boolean;
}

/** A validated float32 tensor of `value` (always a new tensor) with its finiteness checked. */
export async function dataTensor(net: SynapticPlasticityNetwork, value: ArrayInput, name: string, width: number): Promise<tf.Tensor> {
  const host = hostInput(value, name);
  const rank = net.config.mode === 'faithful' ? 2 : 3;
  if (host.shape.length !== rank || host.shape[rank - 1] !== width || host.shape.some((d) => d < 1)) {
    const want = rank === 2 ? `[samples, ${width}]` : `[sequences, time, ${width}]`;
    throw new PlasticityError('E_SHAPE', `${name} must have shape ${want} in ${net.config.mode} mode, got [${host.shape.join(', ')}]`);
  }
  if (host.tensor !== null) {
    await checkFiniteTensor(host.tensor, name);
    return tf.cast(host.tensor, 'float32');
  }
  checkFiniteHost(host.data!, name);
  return tf.tensor(host.data!, host.shape, 'float32');
}

function rows(t: tf.Tensor, start: number, count: number): tf.Tensor {
  const begin = t.shape.map((_, i) => (i === 0 ? start : 0));
  const size = t.shape.map((d, i) => (i === 0 ? count : d));
  return tf.slice(t, begin, size);
}

function positiveInteger(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new PlasticityError('E_PARAM', `${name} must be an integer >= 1, got ${describeValue(value)}`);
  return value;
}

export function checkFitOptions(o: FitOptions): Required<Omit<FitOptions, 'learningRate' | 'onEpochEnd' | 'seed' | 'epochReset'>> {
  const epochs = positiveInteger('epochs', o.epochs ?? 1);
  const batchSize = positiveInteger('batchSize', o.batchSize ?? 32);
  const split = o.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) throw new PlasticityError('E_PARAM', `validationSplit must be in [0, 1), got ${describeValue(split)}`);
  if (o.epochReset !== undefined && !['memory', 'all', 'none'].includes(o.epochReset)) {
    throw new PlasticityError('E_PARAM', `epochReset must be 'memory', 'all' or 'none', got ${describeValue(o.epochReset)}`);
  }
  if (o.learningRate !== undefined && !(typeof o.learningRate === 'number' && Number.isFinite(o.learningRate) && o.learningRate >= 0)) {
    throw new PlasticityError('E_PARAM', `learningRate must be a finite number >= 0, got ${describeValue(o.learningRate)}`);
  }
  if (o.seed !== undefined && !Number.isSafeInteger(o.seed)) throw new PlasticityError('E_PARAM', `seed must be an integer, got ${describeValue(o.seed)}`);
  return { epochs, batchSize, validationSplit: split, shuffle: o.shuffle ?? false, plasticity: o.plasticity ?? true };
}

/** Mean squared error of the network on (x, y) with plasticity off unless asked; the state is restored. */
export async function evaluateNetwork(net: SynapticPlasticityNetwork, x: tf.Tensor, y: tf.Tensor, options: PredictOptions): Promise<number> {
  const saved = net.cloneState();
  try {
    const prediction = predictRows(net, x, options);
    const loss = tf.tidy(() => tf.losses.meanSquaredError(y, prediction));
    prediction.dispose();
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  } finally {
    net.setState(saved);
  }
}

/** The prediction for every row, in order, advancing the state batch after batch. */
export function predictRows(net: SynapticPlasticityNetwork, x: tf.Tensor, options: PredictOptions): tf.Tensor {
  const n = x.shape[0]!;
  const batchSize = positiveInteger('batchSize', options.batchSize ?? (net.config.mode === 'faithful' ? 32 : n));
  const outputs: tf.Tensor[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const xb = rows(x, start, Math.min(batchSize, n - start));
      try {
        outputs.push(net.step(xb, { plasticity: options.plasticity ?? false }));
      } finally {
        xb.dispose();
      }
    }
    return outputs.length === 1 ? outputs[0]! : tf.concat(outputs, 0);
  } finally {
    if (outputs.length > 1) tf.dispose(outputs);
  }
}

/** Keras-style training loop over (x, y); see `FitOptions`. */
export async function fitNetwork(net: SynapticPlasticityNetwork, xInput: ArrayInput, yInput: ArrayInput, options: FitOptions = {}): Promise<History> {
  const o = checkFitOptions(options);
  const x = await dataTensor(net, xInput, 'x', net.config.inputDim);
  let y: tf.Tensor;
  try {
    y = await dataTensor(net, yInput, 'y', net.config.outputDim);
  } catch (error) {
    x.dispose();
    throw error;
  }
  const disposeLater: tf.Tensor[] = [x, y];
  try {
    const n = x.shape[0]!;
    if (y.shape.slice(0, -1).join(',') !== x.shape.slice(0, -1).join(',')) {
      throw new PlasticityError('E_SHAPE', `y must have the leading shape of x [${x.shape.slice(0, -1).join(', ')}], got [${y.shape.slice(0, -1).join(', ')}]`);
    }
    const nVal = Math.floor(n * o.validationSplit);
    const nTrain = n - nVal;
    if (nTrain < 1) throw new PlasticityError('E_PARAM', `validationSplit ${o.validationSplit} leaves no training rows out of ${n}`);
    const [xTrain, yTrain] = nVal > 0 ? [rows(x, 0, nTrain), rows(y, 0, nTrain)] : [x, y];
    const [xVal, yVal] = nVal > 0 ? [rows(x, nTrain, nVal), rows(y, nTrain, nVal)] : [null, null];
    if (nVal > 0) disposeLater.push(xTrain, yTrain, xVal!, yVal!);
    const rng = createRng(options.seed ?? net.config.seed).stream('spn/fit');
    const epochReset = options.epochReset ?? (net.config.mode === 'faithful' ? 'memory' : 'all');
    const history: History = { loss: [], valLoss: [] };
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      if (epochReset === 'memory') net.resetMemory();
      else if (epochReset === 'all') net.reset();
      const order = o.shuffle ? tf.tensor1d(Int32Array.from(rng.permutation(nTrain)), 'int32') : null;
      const [xe, ye] = order === null ? [xTrain, yTrain] : [tf.gather(xTrain, order), tf.gather(yTrain, order)];
      const losses: tf.Tensor[] = [];
      try {
        for (let start = 0; start < nTrain; start += o.batchSize) {
          const size = Math.min(o.batchSize, nTrain - start);
          const [xb, yb] = [rows(xe, start, size), rows(ye, start, size)];
          try {
            if (net.config.mode === 'plastic') net.reset();
            const r = net.trainStep(xb, yb, { plasticity: o.plasticity, ...(options.learningRate === undefined ? {} : { learningRate: options.learningRate }) });
            r.output.dispose();
            losses.push(tf.tidy(() => tf.mul(r.loss, size)));
            r.loss.dispose();
          } finally {
            tf.dispose([xb, yb]);
          }
        }
        const total = tf.tidy(() => tf.div(tf.addN(losses), nTrain));
        const loss = (await total.data())[0]!;
        total.dispose();
        history.loss.push(loss);
      } finally {
        tf.dispose(losses);
        if (order !== null) tf.dispose([order, xe, ye]);
      }
      let valLoss: number | undefined;
      if (xVal !== null) {
        valLoss = await evaluateNetwork(net, xVal, yVal!, {});
        history.valLoss.push(valLoss);
      }
      await options.onEpochEnd?.(epoch, valLoss === undefined ? { loss: history.loss[epoch]! } : { loss: history.loss[epoch]!, valLoss });
    }
    return history;
  } finally {
    tf.dispose(disposeLater);
  }
}
