// `@plasticity/spn/layers`: the three SPN layers as `@tensorflow/tfjs-layers` custom layers (an optional
// peer dependency: only this entry imports it). Registered for serialization, so they sit in a
// `tf.sequential()` model and survive `model.save()` / `tf.loadLayersModel()`.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PlasticityError, describeValue } from '@plasticity/core';
import { detach } from '../detach.js';

type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];
type LayerArgs = NonNullable<ConstructorParameters<typeof tfl.layers.Layer>[0]>;

/** Package part of the registered class names: `plasticity>SynapticPlasticityNeuron` and so on. */
export const SERIALIZATION_PACKAGE = 'plasticity';

function param(layer: string, message: string): PlasticityError {
  return new PlasticityError('E_PARAM', `${layer}: ${message}`);
}

function positiveInt(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw param(layer, `${name} must be an integer >= 1, got ${describeValue(value)}`);
  return value;
}

function unitInterval(layer: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value >= 1) throw param(layer, `${name} must be a number in [0, 1), got ${describeValue(value)}`);
  return value;
}

function single(input: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(input) ? input[0]! : input;
}

function single3(shape: Shape | Shape[]): Shape {
  return (Array.isArray(shape[0]) ? shape[0] : shape) as Shape;
}

/** [batch, features] → one step; [batch, time, features] → the sequence. Returns the steps and a re-shaper. */
function steps(x: tf.Tensor, width: number, layer: string): { xs: tf.Tensor2D[]; pack: (ys: tf.Tensor2D[]) => tf.Tensor } {
  if (x.rank === 2) return { xs: [x as tf.Tensor2D], pack: (ys) => ys[0]! };
  if (x.rank !== 3) throw new PlasticityError('E_SHAPE', `${layer}: input must be [batch, features] or [batch, time, features], got [${x.shape.join(', ')}]`);
  const [batch, time] = x.shape as [number, number, number];
  const xs = Array.from({ length: time }, (_, t) => tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, width]), [batch, width]) as tf.Tensor2D);
  return { xs, pack: (ys) => tf.stack(ys, 1) };
}

function lastDim(shape: Shape, layer: string): number {
  const d = shape[shape.length - 1];
  if (typeof d !== 'number' || (shape.length !== 2 && shape.length !== 3)) {
    throw new PlasticityError('E_SHAPE', `${layer}: input shape must be [batch, features] or [batch, time, features] with known features, got [${shape.join(', ')}]`);
  }
  return d;
}

export interface SynapticPlasticityNeuronArgs extends LayerArgs {
  /** Output units (the hidden width). */
  readonly units: number;
  /** η of the blog's plastic update, applied once per training call (default 0.01; 0 turns it off). */
  readonly plasticityRate?: number;
  /** Decay d of the running activity a(t) = d·a(t−1) + (1 − d)·x(t) (default 0.9). */
  readonly activityDecay?: number;
}

/**
 * f_SP as a tfjs-layers layer: h(t) = ReLU(x(t)·W + b) at every time step, W [features, units].
 *
 * Plasticity: in a training call (`model.fit`, or `apply(x, { training: true })`) with `plasticityRate`
 * η ≠ 0, *before* the forward pass and off the gradient tape, W[i, :] += η·mean(a)[i]·mean(x)[i], the
 * blog's rank-1 update, where a is the running activity of each sequence, started at zero in every call
 * (the layer keeps no state between calls, so a saved model is complete), and the means run over batch
 * and time. Inference calls never change the weights.
 */
export class SynapticPlasticityNeuron extends tfl.layers.Layer {
  static className = 'SynapticPlasticityNeuron';
  readonly units: number;
  readonly plasticityRate: number;
  readonly activityDecay: number;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: SynapticPlasticityNeuronArgs) {
    super(args);
    const name = 'SynapticPlasticityNeuron';
    this.units = positiveInt(name, 'units', args.units);
    this.plasticityRate = args.plasticityRate ?? 0.01;
    if (!Number.isFinite(this.plasticityRate)) throw param(name, `plasticityRate must be finite, got ${describeValue(this.plasticityRate)}`);
    this.activityDecay = unitInterval(name, 'activityDecay', args.activityDecay ?? 0.9);
  }

  override build(inputShape: Shape | Shape[]): void {
    const features = lastDim(single3(inputShape), 'SynapticPlasticityNeuron');
    this.kernel = this.addWeight('kernel', [features, this.units], 'float32', tfl.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = single3(inputShape);
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    const features = this.kernel!.shape[0]!;
    if (kwargs.training === true && this.plasticityRate !== 0) this.plasticUpdate(x, features);
    return tf.tidy(() => {
      const { xs, pack } = steps(x, features, 'SynapticPlasticityNeuron');
      const w = this.kernel!.read();
      const b = this.bias!.read();
      return pack(xs.map((xt) => tf.relu(tf.add(tf.matMul(xt, w), b)) as tf.Tensor2D));
    });
  }

  /** The blog's update over this call's sequences (see the class comment). */
  private plasticUpdate(x: tf.Tensor, features: number): void {
    const next = tf.tidy(() => {
      const { xs } = steps(detach(x), features, 'SynapticPlasticityNeuron');
      let a = tf.zerosLike(xs[0]!);
      let sumA = tf.zeros([features]);
      for (const xt of xs) {
        a = tf.add(tf.mul(a, this.activityDecay), tf.mul(xt, 1 - this.activityDecay));
        sumA = tf.add(sumA, tf.mean(a, 0));
      }
      const meanA = tf.div(sumA, xs.length);
      const meanX = tf.mean(tf.reshape(x, [-1, features]), 0);
      const update = tf.reshape(tf.mul(tf.mul(meanA, meanX), this.plasticityRate), [features, 1]);
      return tf.add(this.kernel!.read(), update);
    });
    this.kernel!.write(next);
    next.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, plasticityRate: this.plasticityRate, activityDecay: this.activityDecay };
  }
}

export interface ContextualMemoryLayerArgs extends LayerArgs {
  /** Output units (default: the input width, as in the network). */
  readonly units?: number;
  /** Decay d of the memory m(t) = d·m(t−1) + (1 − d)·h(t) (default 0.9). */
  readonly memoryDecay?: number;
}

/**
 * f_CM as a tfjs-layers layer: z(t) = ReLU([h(t), m(t)]·W + b), W [2·features, units], with the memory
 * m(t) = d·m(t−1) + (1 − d)·h(t) of each sequence, started at zero in every call and kept off the
 * gradient (it enters as a constant, as in the network).
 */
export class ContextualMemoryLayer extends tfl.layers.Layer {
  static className = 'ContextualMemoryLayer';
  readonly units: number | null;
  readonly memoryDecay: number;
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: ContextualMemoryLayerArgs = {}) {
    super(args);
    this.units = args.units === undefined || args.units === null ? null : positiveInt('ContextualMemoryLayer', 'units', args.units);
    this.memoryDecay = unitInterval('ContextualMemoryLayer', 'memoryDecay', args.memoryDecay ?? 0.9);
  }

  private outUnits(features: number): number {
    return this.units ?? features;
  }

  override build(inputShape: Shape | Shape[]): void {
    const features = lastDim(single3(inputShape), 'ContextualMemoryLayer');
    this.kernel = this.addWeight('kernel', [2 * features, this.outUnits(features)], 'float32', tfl.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [this.outUnits(features)], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const shape = single3(inputShape);
    return [...shape.slice(0, -1), this.outUnits(lastDim(shape, 'ContextualMemoryLayer'))];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const h = single(inputs);
    const features = this.kernel!.shape[0]! / 2;
    return tf.tidy(() => {
      const { xs, pack } = steps(h, features, 'ContextualMemoryLayer');
      const w = this.kernel!.read();
      const b = this.bias!.read();
      let m = tf.zerosLike(xs[0]!);
      return pack(xs.map((ht) => {
        m = tf.add(tf.mul(m, this.memoryDecay), tf.mul(detach(ht), 1 - this.memoryDecay));
        return tf.relu(tf.add(tf.matMul(tf.concat([ht, m], 1), w), b)) as tf.Tensor2D;
      }));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, memoryDecay: this.memoryDecay };
  }
}

export type DynamicAttentionLayerArgs = LayerArgs;

/**
 * f_DA as a tfjs-layers layer: u(t) = ReLU((z(t) ⊙ tanh(|p(t) − z(t)|))·W + b), W [features, features],
 * p(t) = u(t − 1), the layer's previous output in the same sequence (zeros at the first step, off the
 * gradient). The output has the input's width (p is compared with z).
 */
export class DynamicAttentionLayer extends tfl.layers.Layer {
  static className = 'DynamicAttentionLayer';
  private kernel: tfl.LayerVariable | null = null;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: DynamicAttentionLayerArgs = {}) {
    super(args);
  }

  override build(inputShape: Shape | Shape[]): void {
    const features = lastDim(single3(inputShape), 'DynamicAttentionLayer');
    this.kernel = this.addWeight('kernel', [features, features], 'float32', tfl.initializers.glorotUniform({}));
    this.bias = this.addWeight('bias', [features], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...single3(inputShape)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const z = single(inputs);
    const features = this.kernel!.shape[0]!;
    return tf.tidy(() => {
      const { xs, pack } = steps(z, features, 'DynamicAttentionLayer');
      const w = this.kernel!.read();
      const b = this.bias!.read();
      let p = tf.zerosLike(xs[0]!);
      return pack(xs.map((zt) => {
        const u = tf.relu(tf.add(tf.matMul(tf.mul(zt, tf.tanh(tf.abs(tf.sub(p, zt)))), w), b)) as tf.Tensor2D;
        p = detach(u) as tf.Tensor2D;
        return u;
      }));
    });
  }
}

tf.serialization.registerClass(SynapticPlasticityNeuron, SERIALIZATION_PACKAGE);
tf.serialization.registerClass(ContextualMemoryLayer, SERIALIZATION_PACKAGE);
tf.serialization.registerClass(DynamicAttentionLayer, SERIALIZATION_PACKAGE);

/** `tf.layers.dense`-style factories. */
export const synapticPlasticityNeuron = (args: SynapticPlasticityNeuronArgs): SynapticPlasticityNeuron => new SynapticPlasticityNeuron(args);
export const contextualMemoryLayer = (args: ContextualMemoryLayerArgs = {}): ContextualMemoryLayer => new ContextualMemoryLayer(args);
export const dynamicAttentionLayer = (args: DynamicAttentionLayerArgs = {}): DynamicAttentionLayer => new DynamicAttentionLayer(args);
