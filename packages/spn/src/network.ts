import * as tf from '@tensorflow/tfjs-core';
import {
  PlasticityError,
  createRegistry,
  createRng,
  requireBackend,
  resolveParams,
  type Params,
  type PluginState,
  type Registry,
  type Rule,
} from '@plasticity/core';
import { registerBuiltins as registerRules } from '@plasticity/rules';
import { Adam, ADAM_DEFAULTS, checkAdamOptions, type AdamOptions } from './adam.js';
import { resolveSpnConfig, type SpnConfig, type SpnOptions } from './config.js';
import { detach } from './detach.js';
import { checkFiniteHost, checkShape, hostInput, type ArrayInput } from './inputs.js';
import { ContextualMemoryLayer, type MemoryState } from './layers/contextual-memory-layer.js';
import { dense, type DenseParams } from './layers/dense.js';
import { DynamicAttentionLayer } from './layers/dynamic-attention-layer.js';
import { SynapticPlasticityNeuron } from './layers/synaptic-plasticity-neuron.js';
import { linearInit, variableFrom } from './linear-init.js';
import { loadNetwork, saveNetwork } from './checkpoint.js';
import { inMemoryBackend, readInMemory } from './host-read.js';
import { releaseResident, releaseStepArrays, residentCopy } from './wasm/memory.js';
import { gemmInWasm } from './wasm/module.js';
import { hostAdam, hostBackward, hostForward, type HostDims, type HostForward } from './host-step.js';
import { dataTensor, evaluateNetwork, fitNetwork, predictRows, type FitOptions, type History, type PredictOptions } from './training.js';

/** Options of one forward call. */
export interface StepOptions {
  /** Apply the plastic update in this call (default false: plasticity runs only when asked or while training). */
  readonly plasticity?: boolean;
}

/** Options of one training step. */
export interface TrainStepOptions {
  /** Apply the plastic update in this step (default true, as the blog's `training=True`). */
  readonly plasticity?: boolean;
  /** Adam's learning rate from this step on (default: the current one, initially 1e-3). */
  readonly learningRate?: number;
}

export interface TrainStepResult {
  /** Mean squared error of this step's prediction (a scalar tensor the caller owns). */
  readonly loss: tf.Scalar;
  /** The prediction made before the weights changed (the caller owns it). */
  readonly output: tf.Tensor;
}

/**
 * Which implementation runs faithful-mode steps (`step`, `trainStep`, and so `fit`, `predict`, `evaluate`):
 * `'host'` — typed arrays, the matrix products in WebAssembly SIMD on several threads (host-step.ts),
 * `'tfjs'` — tfjs ops and gradients (the reference), `'auto'` (default) — host on the cpu and wasm
 * backends; where WebAssembly SIMD is missing (plain JS products) host on cpu and on wasm only while a step
 * is small (at most `HOST_PATH_MAX_MACS` multiply-adds per forward pass). Both give the same numbers within
 * float32 rounding. The host path runs on the cpu and wasm backends only, where a synchronous read of a
 * tensor is a memory copy, not a device readback; on any other backend every path is tfjs.
 */
export type StepPath = 'auto' | 'host' | 'tfjs';

/** Largest forward pass (batch · hidden · (input + 3·hidden + output) multiply-adds) 'auto' runs on the host
 *  on the wasm backend where WebAssembly SIMD is missing (the host path's products are plain JS then). */
export const HOST_PATH_MAX_MACS = 1 << 19;

type HostOperand = ReturnType<typeof hostInput>;

/** The trainable arrays by name, W[pre, post] kernels: sp, cm, da, out × kernel, bias. */
export const PARAMETER_NAMES = ['sp.kernel', 'sp.bias', 'cm.kernel', 'cm.bias', 'da.kernel', 'da.bias', 'out.kernel', 'out.bias'] as const;
export type ParameterName = (typeof PARAMETER_NAMES)[number];

/** All short-term state of a network (see `cloneState` / `setState`). */
export interface NetworkState {
  readonly activity: tf.Tensor2D | null;
  readonly memory: MemoryState;
  readonly previous: tf.Tensor2D | null;
  readonly rule: PluginState | null;
  /** The batch size `rule` was initialised for (0 when there is no rule state). */
  readonly ruleBatch: number;
}

export interface NetworkInit {
  /** Registry holding the plastic rule (plastic mode); default: a new one with @plasticity/rules' builtins. */
  readonly registry?: Registry;
}

function parameterShapes(c: SpnConfig): Record<ParameterName, number[]> {
  return {
    'sp.kernel': [c.inputDim, c.hiddenDim], 'sp.bias': [c.hiddenDim],
    'cm.kernel': [2 * c.hiddenDim, c.hiddenDim], 'cm.bias': [c.hiddenDim],
    'da.kernel': [c.hiddenDim, c.hiddenDim], 'da.bias': [c.hiddenDim],
    'out.kernel': [c.hiddenDim, c.outputDim], 'out.bias': [c.outputDim],
  };
}

function defaultRegistry(): Registry {
  const registry = createRegistry();
  registerRules(registry);
  return registry;
}

/**
 * `SynapticPlasticityNetwork` — y(t) = f_out(f_DA(f_CM(f_SP(x(t))))) (see the layers for each f).
 *
 * **faithful** mode (inputs [batch, inputDim]): one call is one step of the blog's model as the fixed
 * PyTorch peer computes it. Per call: the activity a ← 0.9·a + 0.1·x; when plastic, the rank-1 update
 * W_SP[i, :] += η·mean_b(a)[i]·mean_b(x)[i] *before* `x·W_SP`; the memory m ← 0.9·m + 0.1·h (one EMA, equal
 * to the blog's identical slots); attention against the previous call's attention output. State is
 * per batch row; a batch of another size keeps the first rows (shrink) or starts from zeros (grow).
 *
 * **plastic** mode (inputs [batch, time, inputDim]): each row is a sequence scanned step by step with its
 * own state; the memory is an EMA or a ring buffer of K slots; the plastic update is a registered rule
 * (default `core/oja`, bounded) acting on W_SP through its `DenseConnection`.
 *
 * **Order within a training step** (one weight variable, two learners): faithful — blog update, forward,
 * gradient, Adam (the gradient is taken at the plastically updated weights, as in the blog). plastic —
 * forward over all time steps with the weights fixed, gradient, Adam, then the rule steps once per time step
 * over the recorded (x, h). Adam keeps moments of gradients only, never a copy of the weights, so there is
 * nothing stale to correct. State never enters the gradient: it is detached, and within a plastic-mode
 * sequence the gradient of a step stops at the state carried in from the previous step.
 */
export class SynapticPlasticityNetwork {
  readonly config: SpnConfig;
  readonly synapticLayer: SynapticPlasticityNeuron;
  readonly contextualLayer: ContextualMemoryLayer;
  readonly attentionLayer: DynamicAttentionLayer;
  readonly outputLayer: DenseParams;
  readonly registry: Registry;
  /** The plastic-mode rule and its resolved parameters (null in faithful mode). */
  readonly rule: Rule | null;
  readonly ruleParams: Params | null;
  private ruleStateValue: PluginState | null = null;
  /** The batch size the rule state was initialised for. */
  private ruleStateBatch = 0;
  private optimizer: Adam;
  private disposed = false;
  /** Faithful-mode implementation (see `StepPath`); may be changed between calls. */
  stepPath: StepPath = 'auto';
  /** Host copies of the parameters, valid while a variable still holds the data they were read from / written to. */
  private hostWeights: { ids: unknown[]; data: Float32Array[] } = { ids: [], data: [] };
  /** Host copies of the state tensors, valid while the layers hold the same tensors. */
  private hostStates: Record<'activity' | 'memory' | 'previous', { tensor: tf.Tensor | null; data: Float32Array | null }> = {
    activity: { tensor: null, data: null }, memory: { tensor: null, data: null }, previous: { tensor: null, data: null },
  };

  constructor(options: SpnOptions | SpnConfig, init: NetworkInit = {}) {
    const config = resolveSpnConfig(options);
    requireBackend('creating a SynapticPlasticityNetwork');
    const registry = init.registry ?? defaultRegistry();
    let rule: Rule | null = null;
    let ruleParams: Params | null = null;
    if (config.mode === 'plastic') {
      rule = registry.get(config.rule.name, 'rule') as Rule;
      ruleParams = resolveParams(rule, config.rule.params ?? {});
    }
    this.config = config;
    this.registry = registry;
    this.rule = rule;
    this.ruleParams = ruleParams;
    const rng = createRng(config.seed).stream('spn/init');
    const shapes = parameterShapes(config);
    const draws: Record<string, Float32Array> = {};
    for (const [layer, fanIn, fanOut] of [
      ['sp', config.inputDim, config.hiddenDim], ['cm', 2 * config.hiddenDim, config.hiddenDim],
      ['da', config.hiddenDim, config.hiddenDim], ['out', config.hiddenDim, config.outputDim],
    ] as const) {
      const { kernel, bias } = linearInit(rng, fanIn, fanOut);
      draws[`${layer}.kernel`] = kernel;
      draws[`${layer}.bias`] = bias;
    }
    const v = (name: ParameterName): tf.Variable => variableFrom(draws[name]!, shapes[name]);
    this.synapticLayer = new SynapticPlasticityNeuron(v('sp.kernel'), v('sp.bias'));
    this.contextualLayer = new ContextualMemoryLayer({ kernel: v('cm.kernel'), bias: v('cm.bias') }, { decay: config.memoryDecay, slots: config.memorySlots });
    this.attentionLayer = new DynamicAttentionLayer({ kernel: v('da.kernel'), bias: v('da.bias') });
    this.outputLayer = { kernel: v('out.kernel'), bias: v('out.bias') };
    this.optimizer = new Adam(this.trainableVariables(), ADAM_DEFAULTS);
  }

  /** Builds a network from `toConfig()`'s output (same seed: same initial weights). */
  static fromConfig(config: unknown, init: NetworkInit = {}): SynapticPlasticityNetwork {
    return new SynapticPlasticityNetwork(config as SpnConfig, init);
  }

  /** The configuration as JSON (a plain copy). */
  toConfig(): SpnConfig {
    return JSON.parse(JSON.stringify(this.config)) as SpnConfig;
  }

  /** The trainable variables in `PARAMETER_NAMES` order. */
  trainableVariables(): tf.Variable[] {
    return [
      this.synapticLayer.kernel, this.synapticLayer.bias,
      this.contextualLayer.params.kernel, this.contextualLayer.params.bias,
      this.attentionLayer.params.kernel, this.attentionLayer.params.bias,
      this.outputLayer.kernel, this.outputLayer.bias,
    ];
  }

  /** The trainable variable of a parameter by name. */
  variable(name: ParameterName): tf.Variable {
    const i = PARAMETER_NAMES.indexOf(name);
    if (i < 0) throw new PlasticityError('E_PARAM', `unknown parameter ${JSON.stringify(name)} (known: ${PARAMETER_NAMES.join(', ')})`);
    return this.trainableVariables()[i]!;
  }

  /** Copies of every parameter's values (W[pre, post] row-major). */
  async getWeights(): Promise<Record<ParameterName, Float32Array>> {
    this.assertLive();
    const values = await Promise.all(this.trainableVariables().map((v) => v.data()));
    return Object.fromEntries(PARAMETER_NAMES.map((name, i) => [name, Float32Array.from(values[i] as Float32Array)])) as Record<ParameterName, Float32Array>;
  }

  /**
   * Writes parameters by name (any subset): nested arrays or flat arrays of the parameter's shape. All
   * are validated (shape, finite) before any is written. Adam's moments are kept.
   */
  setWeights(values: Partial<Record<ParameterName, ArrayInput | ArrayLike<number>>>): void {
    this.assertLive();
    const shapes = parameterShapes(this.config);
    const checked: [tf.Variable, Float32Array, number[]][] = [];
    for (const [name, value] of Object.entries(values)) {
      const variable = this.variable(name as ParameterName);
      const shape = shapes[name as ParameterName];
      const size = shape.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if (value instanceof tf.Tensor) throw new PlasticityError('E_PARAM', `setWeights: ${name} must be host values (nested or flat arrays), got a tensor`);
      if (ArrayBuffer.isView(value) || (Array.isArray(value) && !Array.isArray(value[0]))) {
        data = Float32Array.from(value as ArrayLike<number>);
      } else {
        const host = hostInput(value as ArrayInput, name);
        data = host.data!;
        if (host.shape.join(',') !== shape.join(',')) throw new PlasticityError('E_SHAPE', `setWeights: ${name} must have shape [${shape.join(', ')}], got [${host.shape.join(', ')}]`);
      }
      if (data.length !== size) throw new PlasticityError('E_SHAPE', `setWeights: ${name} must hold ${size} values ([${shape.join(', ')}]), got ${data.length}`);
      checkFiniteHost(data, `setWeights: ${name}`);
      checked.push([variable, data, shape]);
    }
    for (const [variable, data, shape] of checked) tf.tidy(() => variable.assign(tf.tensor(data, shape, 'float32')));
  }

  /** Adam's state: step count and moments (read-only views). */
  get optimizerState(): { readonly step: number; readonly learningRate: number } {
    return { step: this.optimizer.step, learningRate: this.optimizer.options.learningRate };
  }

  /** Short-term state of the rule (plastic mode; null before its first step or after reset). */
  get ruleState(): PluginState | null {
    return this.ruleStateValue;
  }

  // ---------------------------------------------------------------------------------------------
  // state

  /** Clears all state: activity, memory, previous attention output and the rule's state. Weights and
   *  Adam's moments are kept. */
  reset(): void {
    this.assertLive();
    this.synapticLayer.setActivity(null);
    this.contextualLayer.reset();
    this.attentionLayer.setPrevious(null);
    this.setRuleState(null);
  }

  /** The blog's `reset_memory()`: clears the memory and the previous attention output, keeps the
   *  activity (the blog never resets it). Used by faithful `fit` at each epoch start. */
  resetMemory(): void {
    this.assertLive();
    this.contextualLayer.reset();
    this.attentionLayer.setPrevious(null);
  }

  // ---------------------------------------------------------------------------------------------
  // validation

  /** Input shape for this mode: faithful [batch, inputDim], plastic [batch, time, inputDim]. */
  private checkInput(name: string, shape: readonly number[], width: number): void {
    if (this.config.mode === 'faithful') checkShape(name, shape, [null, width], 'batch, features');
    else checkShape(name, shape, [null, null, width], 'batch, time, features');
  }

  /** `value` checked (shape; host arrays also for NaN / ±Infinity), not yet a tensor. */
  private operand(value: ArrayInput, name: string, width: number): HostOperand {
    const host = hostInput(value, name);
    this.checkInput(name, host.shape, width);
    if (host.tensor === null) checkFiniteHost(host.data!, name);
    return host;
  }

  /** A float32 tensor of a checked operand (a new tensor the caller disposes, or the caller's own). */
  private operandTensor(host: HostOperand): { tensor: tf.Tensor; owned: boolean } {
    if (host.tensor !== null) {
      return host.tensor.dtype === 'float32' ? { tensor: host.tensor, owned: false } : { tensor: tf.cast(host.tensor, 'float32'), owned: true };
    }
    return { tensor: tf.tensor(host.data!, host.shape, 'float32'), owned: true };
  }

  /** A validated float32 tensor of `value` (a new tensor the caller disposes, or the caller's own). */
  private toTensor(value: ArrayInput, name: string, width: number): { tensor: tf.Tensor; owned: boolean } {
    return this.operandTensor(this.operand(value, name, width));
  }

  private assertLive(): void {
    if (this.disposed) throw new PlasticityError('E_PARAM', 'SynapticPlasticityNetwork: the network was disposed');
  }

  // ---------------------------------------------------------------------------------------------
  // one call

  /**
   * One forward call (faithful: one step for x [batch, inputDim]; plastic: a scan over x [batch, time,
   * inputDim]); returns the prediction ([batch, outputDim] / [batch, time, outputDim], caller owns it).
   * Advances the state; changes the weights only with `{ plasticity: true }`. Host arrays are checked for
   * NaN here; tensors only by the async `predict` / `fit` / `evaluate`.
   */
  step(x: ArrayInput, options: StepOptions = {}): tf.Tensor {
    this.assertLive();
    const operand = this.operand(x, 'x', this.config.inputDim);
    if (this.config.mode === 'faithful' && this.useHostPath(operand.shape[0]!)) return this.stepHost(operand, options.plasticity ?? false);
    const input = this.operandTensor(operand);
    try {
      const plastic = options.plasticity ?? false;
      if (this.config.mode === 'faithful') {
        const xs = input.tensor as tf.Tensor2D;
        this.synapticLayer.blogUpdate(xs, plastic, this.config.plasticityRate, this.config.activityDecay);
        const { output, memory, previous } = tf.tidy(() => {
          const r = this.faithfulForward(xs);
          return { output: r.output, memory: r.memory.memory!, previous: r.previous };
        });
        this.commitFaithful({ kind: 'ema', memory: memory as tf.Tensor2D }, previous);
        return output;
      }
      const scan = this.scanSequences(input.tensor as tf.Tensor3D, null);
      try {
        if (plastic) this.applyRule(input.tensor as tf.Tensor3D, scan.hidden);
      } finally {
        scan.hidden.dispose();
      }
      return scan.output;
    } finally {
      if (input.owned) input.tensor.dispose();
    }
  }

  /**
   * One training step on (x, y): faithful — blog update, forward, loss, gradient, Adam; plastic — forward
   * scan, loss, gradient, Adam, then the rule over the scan's time steps. Loss: mean squared error over
   * every element. Returns the loss and the prediction made before the weights changed.
   */
  trainStep(x: ArrayInput, y: ArrayInput, options: TrainStepOptions = {}): TrainStepResult {
    this.assertLive();
    const xOperand = this.operand(x, 'x', this.config.inputDim);
    const yOperand = this.operand(y, 'y', this.config.outputDim);
    const batchX = xOperand.shape.slice(0, -1).join(',');
    const batchY = yOperand.shape.slice(0, -1).join(',');
    if (batchX !== batchY) {
      throw new PlasticityError('E_SHAPE', `y must have the leading shape of x [${batchX}], got [${batchY}]`);
    }
    if (options.learningRate !== undefined) {
      const next: AdamOptions = { ...this.optimizer.options, learningRate: options.learningRate };
      checkAdamOptions(next);
      this.optimizer.options = next;
    }
    const plastic = options.plasticity ?? true;
    if (this.config.mode === 'faithful' && this.useHostPath(xOperand.shape[0]!)) return this.trainFaithfulHost(xOperand, yOperand, plastic);
    const input = this.operandTensor(xOperand);
    let target: { tensor: tf.Tensor; owned: boolean };
    try {
      target = this.operandTensor(yOperand);
    } catch (error) {
      if (input.owned) input.tensor.dispose();
      throw error;
    }
    try {
      return this.config.mode === 'faithful'
        ? this.trainFaithful(input.tensor as tf.Tensor2D, target.tensor as tf.Tensor2D, plastic)
        : this.trainPlastic(input.tensor as tf.Tensor3D, target.tensor as tf.Tensor3D, plastic);
    } finally {
      if (input.owned) input.tensor.dispose();
      if (target.owned) target.tensor.dispose();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // faithful mode

  /** The forward after the blog update: the output and the next memory and attention state (new tensors). */
  private faithfulForward(x: tf.Tensor2D): { output: tf.Tensor2D; memory: MemoryState; previous: tf.Tensor2D } {
    const h = this.synapticLayer.applyToData(x);
    const { output: z, state: memory } = this.contextualLayer.step(h, this.contextualLayer.state, true);
    const u = this.attentionLayer.apply(z, this.attentionLayer.previous);
    return { output: dense(u, this.outputLayer, false), memory, previous: u };
  }

  private commitFaithful(memory: MemoryState, previous: tf.Tensor2D): void {
    this.contextualLayer.setState(memory);
    this.attentionLayer.setPrevious(previous);
  }

  private trainFaithful(x: tf.Tensor2D, y: tf.Tensor2D, plastic: boolean): TrainStepResult {
    this.synapticLayer.blogUpdate(x, plastic, this.config.plasticityRate, this.config.activityDecay);
    let kept: { output: tf.Tensor2D; memory: tf.Tensor2D; previous: tf.Tensor2D } | null = null;
    const variables = this.trainableVariables();
    const { value, grads } = tf.variableGrads(() => {
      const r = this.faithfulForward(x);
      kept = { output: tf.keep(r.output), memory: tf.keep(r.memory.memory as tf.Tensor2D), previous: tf.keep(r.previous) };
      return tf.losses.meanSquaredError(y, r.output) as tf.Scalar;
    }, variables);
    const k = kept as unknown as { output: tf.Tensor2D; memory: tf.Tensor2D; previous: tf.Tensor2D };
    this.optimizer.apply(variables.map((w) => grads[w.name]));
    tf.dispose(grads);
    this.commitFaithful({ kind: 'ema', memory: k.memory }, k.previous);
    return { loss: value, output: k.output };
  }

  // ---------------------------------------------------------------------------------------------
  // faithful mode on the host (host-step.ts)

  /** Whether a faithful call with `batch` rows runs on the host (see `StepPath`). */
  private useHostPath(batch: number): boolean {
    if (this.stepPath === 'tfjs' || !inMemoryBackend()) return false;
    if (this.stepPath === 'host' || tf.getBackend() === 'cpu' || gemmInWasm()) return true;
    const c = this.config;
    return batch * c.hiddenDim * (c.inputDim + 3 * c.hiddenDim + c.outputDim) <= HOST_PATH_MAX_MACS;
  }

  private get hostDims(): HostDims {
    return this.config;
  }

  /** An operand's values as float32 host data (tensors read in host memory with readInMemory; not to be written). */
  private static hostData(operand: HostOperand): Float32Array {
    return operand.data ?? readInMemory(operand.tensor!);
  }

  /**
   * The parameters as resident arrays of their own, which the host step updates in place (read back only
   * when a variable changed outside the host path).
   */
  private readHostWeights(): Float32Array[] {
    const cache = this.hostWeights;
    return this.trainableVariables().map((v, i) => {
      if (cache.ids[i] !== v.dataId) {
        releaseResident(cache.data[i]);
        cache.ids[i] = v.dataId;
        cache.data[i] = residentCopy(readInMemory(v));
      }
      return cache.data[i]!;
    });
  }

  /** Parameter i's new values (a resident array, kept as its host copy) into its variable. */
  private writeHostWeight(i: number, data: Float32Array): void {
    const v = this.trainableVariables()[i]!;
    // the cpu backend keeps the array it is given as the tensor's storage: give it one of its own
    const t = tf.tensor(tf.getBackend() === 'cpu' ? data.slice() : data, v.shape, 'float32');
    v.assign(t);
    t.dispose();
    if (this.hostWeights.data[i] !== data) releaseResident(this.hostWeights.data[i]);
    this.hostWeights.ids[i] = v.dataId;
    this.hostWeights.data[i] = data;
  }

  private readHostState(slot: 'activity' | 'memory' | 'previous', tensor: tf.Tensor | null): Float32Array | null {
    if (tensor === null) return null;
    const cache = this.hostStates[slot];
    if (cache.tensor !== tensor || tensor.isDisposed) {
      cache.tensor = tensor;
      cache.data = readInMemory(tensor);
    }
    return cache.data;
  }

  private writeHostState(slot: 'activity' | 'memory' | 'previous', data: Float32Array, width: number): tf.Tensor2D {
    const t = tf.keep(tf.tensor2d(data, [data.length / width, width], 'float32'));
    this.hostStates[slot] = { tensor: t, data };
    return t;
  }

  /** The blog update and the forward pass on the host from the current state (nothing is written). */
  private hostForwardStep(x: Float32Array, batch: number, plastic: boolean): { forward: HostForward; weights: Float32Array[] } {
    const c = this.config;
    const weights = this.readHostWeights();
    const state = {
      activity: this.readHostState('activity', this.synapticLayer.activity),
      memory: this.readHostState('memory', this.contextualLayer.state.memory),
      previous: this.readHostState('previous', this.attentionLayer.previous),
    };
    const forward = hostForward(this.hostDims, weights, state, x, batch, { plastic, eta: c.plasticityRate, activityDecay: c.activityDecay, memoryDecay: c.memoryDecay });
    return { forward, weights };
  }

  private commitHostState(f: HostForward): void {
    const { inputDim, hiddenDim } = this.config;
    this.synapticLayer.setActivity(this.writeHostState('activity', f.activity, inputDim));
    this.commitFaithful({ kind: 'ema', memory: this.writeHostState('memory', f.memory, hiddenDim) }, this.writeHostState('previous', f.u.slice(), hiddenDim));
  }

  private stepHost(operand: HostOperand, plastic: boolean): tf.Tensor {
    try {
      const batch = operand.shape[0]!;
      const { forward } = this.hostForwardStep(SynapticPlasticityNetwork.hostData(operand), batch, plastic);
      if (plastic) this.writeHostWeight(0, forward.spKernel);
      this.commitHostState(forward);
      return tf.tensor2d(forward.output, [batch, this.config.outputDim], 'float32');
    } finally {
      releaseStepArrays();
    }
  }

  private trainFaithfulHost(xOperand: HostOperand, yOperand: HostOperand, plastic: boolean): TrainStepResult {
    try {
      const batch = xOperand.shape[0]!;
      const x = SynapticPlasticityNetwork.hostData(xOperand);
      const y = SynapticPlasticityNetwork.hostData(yOperand);
      const { forward, weights } = this.hostForwardStep(x, batch, plastic);
      const params = [forward.spKernel, ...weights.slice(1)];
      const { loss, grads } = hostBackward(this.hostDims, params, forward, x, y, batch);
      const moments = this.optimizer.hostMoments();
      const t = this.optimizer.step + 1;
      hostAdam(params, grads, { ...this.optimizer.options, t, m: moments.m, v: moments.v });
      this.optimizer.step = t;
      params.forEach((w, i) => this.writeHostWeight(i, w));
      this.commitHostState(forward);
      return { loss: tf.scalar(loss, 'float32'), output: tf.tensor2d(forward.output, [batch, this.config.outputDim], 'float32') };
    } finally {
      releaseStepArrays();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // plastic mode

  /**
   * Scans x [batch, time, inputDim] step by step from the current state; on return the state is the state
   * after the last step. `target`: also returns the loss (for a gradient tape). `hidden`: the first layer's
   * output per step, detached, [time, batch, hiddenDim] (for the rule).
   */
  private scanSequences(x: tf.Tensor3D, target: tf.Tensor3D | null): { output: tf.Tensor3D; hidden: tf.Tensor3D; loss: tf.Scalar | null } {
    const [batch, time] = x.shape;
    let memory = this.contextualLayer.state;
    let previous = this.attentionLayer.previous;
    const result = tf.tidy((): { output: tf.Tensor3D; hidden: tf.Tensor3D; loss: tf.Scalar } | { output: tf.Tensor3D; hidden: tf.Tensor3D } => {
      const outputs: tf.Tensor2D[] = [];
      const hidden: tf.Tensor2D[] = [];
      for (let t = 0; t < time; t++) {
        const xt = tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, this.config.inputDim]), [batch, this.config.inputDim]) as tf.Tensor2D;
        const h = this.synapticLayer.applyToData(xt);
        const step = this.contextualLayer.step(h, memory, false);
        const u = this.attentionLayer.apply(step.output, previous);
        outputs.push(dense(u, this.outputLayer, false));
        hidden.push(detach(h) as tf.Tensor2D);
        memory = step.state;
        previous = detach(u) as tf.Tensor2D;
      }
      const output = tf.stack(outputs, 1) as tf.Tensor3D;
      const hiddenSteps = tf.stack(hidden) as tf.Tensor3D;
      // time >= 1, so both are new tensors of this scan: they outlive the tidy as the next state
      tf.keep(memory.memory!);
      tf.keep(previous!);
      if (target === null) return { output, hidden: hiddenSteps };
      return { output, hidden: hiddenSteps, loss: tf.losses.meanSquaredError(target, output) as tf.Scalar };
    });
    this.contextualLayer.setState(memory);
    this.attentionLayer.setPrevious(previous);
    return { ...result, loss: 'loss' in result ? result.loss : null };
  }

  private trainPlastic(x: tf.Tensor3D, y: tf.Tensor3D, plastic: boolean): TrainStepResult {
    const variables = this.trainableVariables();
    let kept: { output: tf.Tensor3D; hidden: tf.Tensor3D } | null = null;
    const { value, grads } = tf.variableGrads(() => {
      const r = this.scanSequences(x, y);
      kept = { output: tf.keep(r.output), hidden: tf.keep(r.hidden) };
      return r.loss!;
    }, variables);
    const k = kept as unknown as { output: tf.Tensor3D; hidden: tf.Tensor3D };
    try {
      this.optimizer.apply(variables.map((w) => grads[w.name]));
      if (plastic) this.applyRule(x, k.hidden);
    } finally {
      tf.dispose(grads);
      k.hidden.dispose();
    }
    return { loss: value, output: k.output };
  }

  /** Steps the rule once per time step with pre = x_t [batch, inputDim], post = h_t [batch, hiddenDim]. */
  private applyRule(x: tf.Tensor3D, hidden: tf.Tensor3D): void {
    const rule = this.rule!;
    const params = this.ruleParams!;
    const [batch, time] = x.shape;
    const dims = { nPre: this.config.inputDim, nPost: this.config.hiddenDim, batch };
    let state = this.ruleStateValue;
    if (state === null || this.ruleStateBatch !== batch) {
      // rule state is short-term and per batch row: a batch of another size starts it afresh
      this.setRuleState(null);
      state = rule.init(dims, params);
      this.ruleStateValue = state;
      this.ruleStateBatch = batch;
    }
    for (let t = 0; t < time; t++) {
      const [pre, post] = tf.tidy(() => [
        tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, dims.nPre]), [batch, dims.nPre]),
        tf.reshape(tf.slice(hidden, [t, 0, 0], [1, batch, dims.nPost]), [batch, dims.nPost]),
      ]);
      try {
        const next = rule.step({ pre: pre!, post: post!, conn: this.synapticLayer.connection, dtMs: 1 }, state!, params);
        this.setRuleState(next);
        state = next;
      } finally {
        tf.dispose([pre!, post!]);
      }
    }
  }

  private setRuleState(next: PluginState | null): void {
    const old = this.ruleStateValue;
    if (old !== null && old !== next) {
      const keep = new Set(next === null ? [] : Object.values(next));
      for (const value of Object.values(old)) if (value instanceof tf.Tensor && !keep.has(value)) value.dispose();
    }
    this.ruleStateValue = next;
  }

  /** The batch size the rule state was initialised for (0: none). */
  cloneStateBatch(): number {
    return this.ruleStateBatch;
  }

  // ---------------------------------------------------------------------------------------------
  // training API

  /** Trains on (x, y); see `FitOptions` (epochs, batchSize, learningRate, shuffle, validationSplit, onEpochEnd). */
  fit(x: ArrayInput, y: ArrayInput, options: FitOptions = {}): Promise<History> {
    this.assertLive();
    return fitNetwork(this, x, y, options);
  }

  /**
   * Predictions for every row of x in order (faithful: batches of `batchSize` rows, state carried from
   * batch to batch as the blog's evaluation loop; plastic: the sequences from the current state).
   * Advances the state; plasticity off unless asked. NaN / ±Infinity in x → E_PARAM, nothing changed.
   */
  async predict(x: ArrayInput, options: PredictOptions = {}): Promise<tf.Tensor> {
    this.assertLive();
    const xs = await dataTensor(this, x, 'x', this.config.inputDim);
    try {
      return predictRows(this, xs, options);
    } finally {
      xs.dispose();
    }
  }

  /** Mean squared error on (x, y) from the current state with plasticity off unless asked; the state is
   *  restored afterwards (weights change only with `{ plasticity: true }`). */
  async evaluate(x: ArrayInput, y: ArrayInput, options: PredictOptions = {}): Promise<number> {
    this.assertLive();
    const xs = await dataTensor(this, x, 'x', this.config.inputDim);
    let ys: tf.Tensor | null = null;
    try {
      ys = await dataTensor(this, y, 'y', this.config.outputDim);
      if (ys.shape.slice(0, -1).join(',') !== xs.shape.slice(0, -1).join(',')) {
        throw new PlasticityError('E_SHAPE', `y must have the leading shape of x [${xs.shape.slice(0, -1).join(', ')}], got [${ys.shape.slice(0, -1).join(', ')}]`);
      }
      return await evaluateNetwork(this, xs, ys, options);
    } finally {
      xs.dispose();
      ys?.dispose();
    }
  }

  /** A checkpoint (core format) of config, weights, Adam and all state: `load` continues exactly. */
  save(): Promise<Uint8Array> {
    this.assertLive();
    return saveNetwork(this);
  }

  static load(bytes: Uint8Array | ArrayBuffer, init: NetworkInit = {}): SynapticPlasticityNetwork {
    return loadNetwork(bytes, init);
  }

  /** Replaces Adam's state (used by checkpoints). */
  setOptimizerState(state: { step: number; learningRate: number; m: tf.Tensor[]; v: tf.Tensor[] }): void {
    this.optimizer.options = { ...this.optimizer.options, learningRate: state.learningRate };
    this.optimizer.setState(state);
  }

  /** Adam's moments as held: tensors, or host arrays after host-path steps (for checkpoints; read-only). */
  optimizerMomentValues(): { m: readonly (tf.Tensor | Float32Array)[]; v: readonly (tf.Tensor | Float32Array)[] } {
    return this.optimizer.momentValues();
  }

  /** Adam's moments (owned by the network). */
  optimizerMoments(): { m: readonly tf.Tensor[]; v: readonly tf.Tensor[] } {
    const s = this.optimizer.getState();
    return { m: s.m, v: s.v };
  }

  /** Restores state tensors (used by checkpoints and `evaluate`); takes ownership. */
  setState(state: NetworkState): void {
    this.synapticLayer.setActivity(state.activity);
    this.contextualLayer.setState(state.memory);
    this.attentionLayer.setPrevious(state.previous);
    this.setRuleState(state.rule);
    this.ruleStateBatch = state.ruleBatch;
  }

  /** Copies of all state tensors (the caller owns them). */
  cloneState(): NetworkState {
    const c = <T extends tf.Tensor>(t: T | null): T | null => (t === null ? null : (tf.clone(t) as T));
    const memory = this.contextualLayer.state;
    const rule = this.ruleStateValue === null ? null
      : Object.fromEntries(Object.entries(this.ruleStateValue).map(([k, v]) => [k, v instanceof tf.Tensor ? tf.clone(v) : ArrayBuffer.isView(v) ? v.slice() : v]));
    return {
      activity: c(this.synapticLayer.activity),
      memory: memory.kind === 'ema' ? { kind: 'ema', memory: c(memory.memory) } : { ...memory, memory: c(memory.memory) },
      previous: c(this.attentionLayer.previous),
      rule: rule as PluginState | null,
      ruleBatch: this.ruleStateBatch,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.reset();
    this.synapticLayer.dispose();
    this.contextualLayer.dispose();
    this.attentionLayer.dispose();
    this.outputLayer.kernel.dispose();
    this.outputLayer.bias.dispose();
    this.optimizer.dispose();
    for (const w of this.hostWeights.data) releaseResident(w);
    this.hostWeights = { ids: [], data: [] };
    this.disposed = true;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }
}

