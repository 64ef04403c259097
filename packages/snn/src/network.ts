import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import {
  PlasticityError, check, createRegistry, createRng, describeValue, loadCheckpoint, resolveParams, saveCheckpoint, toConfig,
  type Neuron, type Params, type PluginConfig, type PluginState, type Registry, type Rng, type Rule, type SynapseOps,
} from '@plasticity/core';
import { propagate, type FusedKernel, type StepIO, type SynapseTable } from '@plasticity/core/fused';
import { denseTable, sparseTable } from './engine/table.js';
import { NEURONS } from './neurons/models.js';
import { isSpikingNeuron, type FusedNeuron, type NeuronArrays, type SpikingNeuron } from './neurons/types.js';
import { PoissonSource, SpikeTrainSource, type PlaybackOptions, type PoissonOptions, type SpikeSource } from './sources/sources.js';
import { SpikeMonitor, StateMonitor, WeightMonitor } from './monitors.js';

/**
 * What a Network needs from a connection: the SynapseOps of @plasticity/sparse (Dense, CSR, COO)
 * plus its weight tensor in storage order and the (pre, post) pair of every stored synapse.
 */
export interface NetworkConnection extends SynapseOps {
  readonly format: 'dense' | 'csr' | 'coo';
  readonly homogeneous: boolean;
  readonly weightTensor: Tensor;
  pairs(): { pre: Int32Array; post: Int32Array };
  getWeights(): Promise<Float32Array>;
  setWeights(values: ArrayLike<number> | Tensor): void;
}

export interface NetworkOptions {
  /** Time step in ms (> 0). */
  dtMs: number;
  /** Seeds every source that is not given its own seed (each gets the stream named after it). */
  seed?: number;
  /** Registry for neuron and rule names; the built-in neurons are added to it when absent. */
  registry?: Registry;
  /**
   * Additive pair STDP applies potentiation lazily (a post spike costs O(1); each synapse collects
   * what it is owed when its pre neuron next spikes). Same rule, different float rounding; default
   * true. False runs the direct kernel (a post spike walks its column).
   */
  lazyPotentiation?: boolean;
  /**
   * A projection whose rule has no fused kernel (none registered, or the kernel declines these
   * parameters) runs the rule's tfjs `step` once per time step, typically 20–50× slower:
   * 'warn' (default) logs one line per projection, 'error' makes `connect` throw E_PARAM,
   * 'silent' says nothing. `engineReport()` lists every projection's engine either way.
   */
  fallback?: 'warn' | 'error' | 'silent';
  /** Where warnings go (default console.warn). */
  log?: (line: string) => void;
}

/** Which engine runs a projection, and why. */
export interface ProjectionEngine {
  readonly projection: string;
  /** The rule's name, or null for static weights. */
  readonly rule: string | null;
  /** 'fused': a registered kernel on typed arrays; 'tensor': the rule's tfjs step per time step. */
  readonly engine: 'fused' | 'tensor';
  /** Why the tensor engine runs it (absent when fused). */
  readonly reason?: string;
}

export interface PopulationOptions<P extends Params = Params> {
  n: number;
  /** A neuron plugin or its registered name ('core/lif', 'core/conductance-lif', ...). */
  neuron: Neuron<P> | SpikingNeuron<P> | string;
  params?: Partial<P>;
}

export interface ProjectionOptions {
  connection: NetworkConnection;
  /** Input channel of the post neuron (default: its first, e.g. 'ge' or 'v'). */
  channel?: string;
  /** Axonal delay in steps (>= 0): pre spikes of step n act on this projection in step n + delay. */
  delaySteps?: number;
  /** A rule plugin or its registered name; none = static weights. The rule's fused kernel is looked
   *  up in the network's registry (`registry.registerKernel`). */
  rule?: Rule | string;
  ruleParams?: Params;
  /** Neuromodulator signal this projection's rule reads, fused or generic (default: the rule's own
   *  `modulator` parameter for MSTDP/MSTDPET, else 'reward'). */
  modulator?: string;
  /** Name for monitors and checkpoints (default 'pre->post', numbered when taken). */
  name?: string;
}

export interface RunOptions {
  /** Called after every chunk of steps (and once at the end); connection weights are current in it. */
  onProgress?: (p: { step: number; totalSteps: number; fraction: number; timeMs: number }) => void | Promise<void>;
  /** Steps per chunk between progress reports (default 10,000). */
  chunkSteps?: number;
}

interface Group {
  readonly name: string;
  readonly n: number;
  readonly active: Int32Array;
  readonly value: Float32Array;
  count: number;
  readonly source?: SpikeSource;
  readonly neuron?: Neuron | SpikingNeuron;
  readonly params?: Params;
  readonly arrays?: NeuronArrays;
  readonly init?: Record<string, number>;
  readonly inputs?: Record<string, Float32Array>;
  readonly channels?: readonly string[];
  readonly kernel?: FusedNeuron;
  /** Generic (tensor) neurons: state tensors. */
  tensorState?: PluginState;
}

interface Projection {
  readonly name: string;
  readonly pre: Group;
  readonly post: Group;
  readonly conn: NetworkConnection;
  readonly channel: string;
  readonly delay: number;
  readonly table: SynapseTable;
  readonly kernel: FusedKernel;
  readonly engine: ProjectionEngine;
  readonly modulator: string | null;
  readonly rule?: Rule;
  readonly ruleParams?: Params;
  /** Generic (tensor) rule state. */
  ruleState?: PluginState;
  readonly w0: Promise<Float32Array>;
  /** Host weights during a run (the cpu tensor's own buffer, or a copy on other backends). */
  w: Float32Array | null;
  copied: boolean;
  /** The weight tensor as the kernel last published it (a different one means it was replaced). */
  published: Tensor | null;
  readonly ring: { active: Int32Array[]; value: Float32Array[]; count: Int32Array } | null;
  /** Every pre event is 1 (a source, or neurons without signed spikes). */
  readonly binaryPre: boolean;
}

export interface PopulationHandle { readonly name: string; readonly n: number }
export interface ProjectionHandle { readonly name: string; readonly nPre: number; readonly nPost: number }

const EMPTY_I32 = new Int32Array(0);

/** Static weights: propagation only. */
const staticKernel = (t: SynapseTable): FusedKernel => ({
  step: (io) => propagate(t, io),
  state: () => ({ arrays: {}, data: {} }),
  setState: () => undefined,
  reset: () => undefined,
});

function disposeState(state: PluginState | undefined, keep?: PluginState): void {
  if (!state) return;
  const kept = new Set(keep ? Object.values(keep) : []);
  for (const v of Object.values(state)) if (v instanceof tf.Tensor && !kept.has(v)) v.dispose();
}

/**
 * A spiking network: populations (neurons or spike sources), projections over any connection format
 * (W[pre, post], optional delay in steps) with plasticity rules, neuromodulator signals and monitors.
 *
 * Schedule of one step (Brian2's): every population updates its state and finds its spikes (sources
 * draw theirs) → every projection propagates the pre spikes into its post channel and runs its rule
 * (pre pathway before post pathway) → every population adds its input and resets its spiking neurons.
 * Time is in ms. `run` advances many steps per call on typed arrays (the fused engine) when every
 * neuron is a SpikingNeuron and every rule has `toFused`; otherwise the rest runs with tfjs ops per
 * step (the generic path, documented as slow), bit for bit the same order.
 * `step()` × T and `run(T·dt)` give identical results on cpu.
 */
export class Network {
  readonly dtMs: number;
  readonly registry: Registry;
  private readonly lazy: boolean;
  private readonly fallback: 'warn' | 'error' | 'silent';
  private readonly log: (line: string) => void;
  private readonly rng: Rng;
  private readonly groups: Group[] = [];
  private readonly projections: Projection[] = [];
  private readonly modulators = new Map<string, number>();
  private readonly monitors: (SpikeMonitor | StateMonitor | WeightMonitor)[] = [];
  private n = 0;
  private running = false;
  private disposed = false;

  constructor(options: NetworkOptions) {
    if (options === null || typeof options !== 'object') throw new PlasticityError('E_PARAM', `options must be an object, got ${describeValue(options)}`);
    this.dtMs = check.positive('dtMs', options.dtMs);
    this.rng = createRng(options.seed === undefined ? 0 : check.integer('seed', options.seed));
    this.registry = options.registry ?? createRegistry();
    this.lazy = options.lazyPotentiation ?? true;
    this.fallback = check.oneOf('fallback', options.fallback ?? 'warn', ['warn', 'error', 'silent'] as const);
    if (options.log !== undefined && typeof options.log !== 'function') throw new PlasticityError('E_PARAM', `log must be a function, got ${describeValue(options.log)}`);
    this.log = options.log ?? ((line) => console.warn(line));
    for (const neuron of NEURONS) if (!this.registry.has(neuron.name)) this.registry.register(neuron);
  }

  /** Steps taken since construction or the last reset. */
  get stepCount(): number {
    return this.n;
  }

  get timeMs(): number {
    return this.n * this.dtMs;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new PlasticityError('E_PARAM', `name must be a non-empty string, got ${describeValue(name)}`);
    if (this.groups.some((g) => g.name === name)) throw new PlasticityError('E_PARAM', `a population named ${JSON.stringify(name)} already exists`);
  }

  private checkIdle(what: string): void {
    if (this.disposed) throw new PlasticityError('E_PARAM', `${what}: this network has been disposed`);
    if (this.running) throw new PlasticityError('E_PARAM', `${what}: the network is running`);
  }

  private group(handle: PopulationHandle | string, what: string): Group {
    const name = typeof handle === 'string' ? handle : handle?.name;
    const g = this.groups.find((x) => x.name === name);
    if (!g) throw new PlasticityError('E_PARAM', `${what} must be a population of this network, got ${describeValue(name)}`);
    return g;
  }

  private projection(handle: ProjectionHandle | string, what: string): Projection {
    const name = typeof handle === 'string' ? handle : handle?.name;
    const p = this.projections.find((x) => x.name === name);
    if (!p) throw new PlasticityError('E_PARAM', `${what} must be a projection of this network, got ${describeValue(name)}`);
    return p;
  }

  /** A population of neurons; state starts at the model's initial values. */
  addPopulation<P extends Params>(name: string, options: PopulationOptions<P>): PopulationHandle {
    this.checkIdle('addPopulation');
    this.checkName(name);
    const n = check.integer('n', options?.n, 1, 2 ** 31 - 1);
    const neuron = (typeof options.neuron === 'string' ? this.registry.get(options.neuron, 'neuron') : options.neuron) as Neuron<P>;
    if (!neuron || neuron.kind !== 'neuron') throw new PlasticityError('E_PARAM', `neuron must be a neuron plugin or a registered name, got ${describeValue(options.neuron)}`);
    const params = resolveParams(neuron, (options.params ?? {}) as Partial<P>);
    this.adopt(neuron);
    const active = new Int32Array(n);
    const value = new Float32Array(n);
    if (isSpikingNeuron(neuron)) {
      const sn = neuron as unknown as SpikingNeuron<P>;
      const init = sn.initialState(params, this.dtMs);
      const arrays: NeuronArrays = {};
      for (const k of sn.stateVars) arrays[k] = new Float32Array(n).fill(init[k]!);
      const inputs: Record<string, Float32Array> = {};
      for (const c of sn.channels) inputs[c] = new Float32Array(n);
      const kernel = sn.fused(arrays, inputs, params, this.dtMs);
      this.groups.push({ name, n, active, value, count: 0, neuron: sn, params, arrays, init, inputs, channels: sn.channels, kernel });
    } else {
      const tensorState = neuron.init({ n, batch: 1 }, params);
      this.groups.push({ name, n, active, value, count: 0, neuron, params, inputs: { input: new Float32Array(n) }, channels: ['input'], tensorState });
    }
    return { name, n };
  }

  /** A Poisson population (spike trains drawn by inter-spike gaps); seeded from the network seed by name. */
  addPoisson(name: string, options: Omit<PoissonOptions, 'seed'> & { seed?: number }): PopulationHandle {
    this.checkIdle('addPoisson');
    this.checkName(name);
    const source = new PoissonSource({ ...options, seed: options.seed ?? this.rng.stream(`poisson/${name}`) });
    return this.addSource(name, source);
  }

  /** Plays back given spike trains. */
  addSpikeTrain(name: string, options: PlaybackOptions): PopulationHandle {
    this.checkIdle('addSpikeTrain');
    this.checkName(name);
    return this.addSource(name, new SpikeTrainSource(options));
  }

  /** Any SpikeSource. */
  addSource(name: string, source: SpikeSource): PopulationHandle {
    this.checkIdle('addSource');
    this.checkName(name);
    source.bind(this.dtMs);
    source.reset();
    this.groups.push({ name, n: source.n, active: new Int32Array(source.n), value: new Float32Array(source.n), count: 0, source });
    return { name, n: source.n };
  }

  private adopt(plugin: Neuron | Rule): void {
    if (!this.registry.has(plugin.name)) this.registry.register(plugin);
  }

  /**
   * Connects `pre` to `post` through `connection` (W[pre, post], shape [pre.n, post.n]). The rule is
   * validated (core resolveParams) and, when it has `toFused`, run by the fused engine.
   */
  connect(pre: PopulationHandle | string, post: PopulationHandle | string, options: ProjectionOptions): ProjectionHandle {
    this.checkIdle('connect');
    const a = this.group(pre, 'pre');
    const b = this.group(post, 'post');
    if (b.source) throw new PlasticityError('E_PARAM', `post must be a neuron population, got the spike source ${JSON.stringify(b.name)}`);
    const conn = options?.connection;
    const ok = conn && typeof conn === 'object' && typeof conn.pairs === 'function' && conn.weightTensor instanceof tf.Tensor;
    if (!ok) throw new PlasticityError('E_PARAM', `connection must be a Dense, CSR or COO connection of @plasticity/sparse, got ${describeValue(conn)}`);
    if (conn.nPre !== a.n || conn.nPost !== b.n) {
      throw new PlasticityError('E_SHAPE', `connection must have shape [${a.n}, ${b.n}] (pre ${JSON.stringify(a.name)} × post ${JSON.stringify(b.name)}), got [${conn.nPre}, ${conn.nPost}]`);
    }
    if (conn.homogeneous) throw new PlasticityError('E_PARAM', 'connection has one homogeneous weight; give it per-synapse weights (setWeights) first');
    const channel = options.channel ?? b.channels![0]!;
    if (!b.channels!.includes(channel)) {
      throw new PlasticityError('E_PARAM', `channel must be one of ${b.channels!.map((c) => JSON.stringify(c)).join(', ')} for population ${JSON.stringify(b.name)}, got ${describeValue(channel)}`);
    }
    const delay = check.integer('delaySteps', options.delaySteps ?? 0, 0, 1_000_000);
    let rule: Rule | undefined;
    let ruleParams: Params | undefined;
    if (options.rule !== undefined) {
      rule = typeof options.rule === 'string' ? this.lookupRule(options.rule) : options.rule;
      if (!rule || rule.kind !== 'rule') throw new PlasticityError('E_PARAM', `rule must be a rule plugin or a registered name, got ${describeValue(options.rule)}`);
      ruleParams = resolveParams(rule, options.ruleParams ?? {});
    } else if (options.ruleParams !== undefined) {
      throw new PlasticityError('E_PARAM', 'ruleParams given without a rule');
    }
    let name = options.name ?? `${a.name}->${b.name}`;
    if (options.name !== undefined && this.projections.some((p) => p.name === name)) {
      throw new PlasticityError('E_PARAM', `a projection named ${JSON.stringify(name)} already exists`);
    }
    for (let k = 2; this.projections.some((p) => p.name === name); k++) name = `${a.name}->${b.name}#${k}`;
    const table = conn.format === 'dense' ? denseTable(a.n, b.n) : (() => { const pr = conn.pairs(); return sparseTable(a.n, b.n, pr.pre, pr.post); })();
    const config = rule ? (this.registry.kernelFor(rule.name) ?? rule.fused) : undefined;
    const signed = (g: Group) => g.neuron !== undefined && isSpikingNeuron(g.neuron) && g.neuron.signedSpikes === true;
    const ctx = { params: ruleParams!, dtMs: this.dtMs, table, binaryEvents: !signed(a) && !signed(b), lazy: this.lazy };
    const reason = !rule ? undefined : !config
      ? `no fused kernel is registered for '${rule.name}' (registry.registerKernel)`
      : config.unsupported?.(ctx);
    const engine: ProjectionEngine = { projection: name, rule: rule?.name ?? null, engine: reason === undefined ? 'fused' : 'tensor', ...(reason !== undefined ? { reason } : {}) };
    if (reason !== undefined && this.fallback === 'error') {
      throw new PlasticityError('E_PARAM', `projection ${JSON.stringify(name)} cannot run fused: ${reason} (fallback: 'error')`);
    }
    // setup validates the rule against dtMs (e.g. euler traces need dt < tau): it may throw
    const kernel = rule && reason === undefined ? config!.setup(ctx) : staticKernel(table);
    // Everything validated: build.
    if (rule) this.adopt(rule);
    if (reason !== undefined && this.fallback === 'warn') {
      this.log(`@plasticity/snn: projection ${JSON.stringify(name)} runs '${rule!.name}' on the tensor path (one tfjs step per time step, slow): ${reason}`);
    }
    const generic = reason !== undefined;
    const ruleState = generic ? rule!.init({ nPre: a.n, nPost: b.n, batch: 1 }, ruleParams!) : undefined;
    const ring = delay > 0
      ? { active: Array.from({ length: delay }, () => new Int32Array(a.n)), value: Array.from({ length: delay }, () => new Float32Array(a.n)), count: new Int32Array(delay) }
      : null;
    // One signal name for both engines: the projection's option wins over the kernel's default.
    const modulator = rule ? (options.modulator ?? config?.modulator?.(ruleParams!) ?? 'reward') : null;
    this.projections.push({
      name, pre: a, post: b, conn, channel, delay, table, kernel, engine, modulator, rule, ruleParams, ruleState,
      w0: conn.getWeights(), w: null, copied: false, published: null, ring, binaryPre: !signed(a),
    });
    return { name, nPre: a.n, nPost: b.n };
  }

  /** Which engine runs each projection, and why a projection is not fused. */
  engineReport(): ProjectionEngine[] {
    return this.projections.map((p) => p.engine);
  }

  /** A rule by registered name; an unknown built-in name says how to register the built-ins. */
  private lookupRule(name: string): Rule {
    if (!this.registry.has(name) && name.startsWith('core/')) {
      throw new PlasticityError('E_REGISTRY', `unknown rule '${name}': this network's registry has no such rule; register the built-in rules with registerBuiltins(registry) from @plasticity/rules and pass the registry as new Network({ registry, ... })`);
    }
    return this.registry.get(name, 'rule');
  }

  /** Sets a neuromodulator signal (e.g. reward) read by modulated rules from the next step on. */
  setModulator(name: string, value: number): void {
    if (typeof name !== 'string' || name.length === 0) throw new PlasticityError('E_PARAM', `modulator name must be a non-empty string, got ${describeValue(name)}`);
    this.modulators.set(name, check.finite('value', value));
  }

  getModulator(name: string): number {
    return this.modulators.get(name) ?? 0;
  }

  /** Records every spike of a population. */
  monitorSpikes(population: PopulationHandle | string): SpikeMonitor {
    const g = this.group(population, 'population');
    const m = new SpikeMonitor(g.name, this.dtMs);
    this.monitors.push(m);
    return m;
  }

  /** Records state variable `variable` every `every` steps (after the step), optionally of some neurons only. */
  monitorState(population: PopulationHandle | string, variable: string, options: { every?: number; indices?: readonly number[] } = {}): StateMonitor {
    const g = this.group(population, 'population');
    if (!g.arrays || !(variable in g.arrays)) {
      throw new PlasticityError('E_PARAM', `variable must be a state variable of ${JSON.stringify(g.name)} (${g.arrays ? Object.keys(g.arrays).join(', ') : 'none: not a fused neuron population'}), got ${describeValue(variable)}`);
    }
    const every = check.integer('every', options.every ?? 1, 1);
    const indices = Int32Array.from(options.indices ?? Array.from({ length: g.n }, (_, i) => i));
    indices.forEach((i, k) => check.integer(`indices[${k}]`, i, 0, g.n - 1));
    const m = new StateMonitor(g.name, variable, every, indices, this.dtMs);
    this.monitors.push(m);
    return m;
  }

  /** Records a copy of a projection's weights (storage order) every `every` steps. */
  monitorWeights(projection: ProjectionHandle | string, options: { every?: number } = {}): WeightMonitor {
    const p = this.projection(projection, 'projection');
    const every = check.integer('every', options.every ?? 1000, 1);
    const m = new WeightMonitor(p.name, every, this.dtMs);
    this.monitors.push(m);
    return m;
  }

  /** Copies of a population's state arrays (fused populations) at the current step. */
  state(population: PopulationHandle | string): Record<string, Float32Array> {
    const g = this.group(population, 'population');
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(g.arrays ?? {})) out[k] = Float32Array.from(v);
    return out;
  }

  /** Trace arrays of a projection's fused kernel (true values at the last completed step). */
  traces(projection: ProjectionHandle | string): Record<string, Float64Array> {
    const p = this.projection(projection, 'projection');
    return p.kernel.traces?.(this.n) ?? {};
  }

  /** The weights of a projection (storage order of its connection). */
  async weights(projection: ProjectionHandle | string): Promise<Float32Array> {
    const p = this.projection(projection, 'projection');
    return p.conn.getWeights();
  }

  // -------------------------------------------------------------------------------------------
  // Running

  private get cpu(): boolean {
    const b = tf.backend() as unknown as { data?: { get?: unknown } };
    return tf.getBackend() === 'cpu' && typeof b.data?.get === 'function';
  }

  /** Host weights of every projection for this run: the cpu buffer itself, or a copy elsewhere. */
  private async acquire(): Promise<void> {
    for (const p of this.projections) await this.acquireOne(p);
  }

  private async acquireOne(p: Projection): Promise<void> {
    if (this.cpu) {
      const backend = tf.backend() as unknown as { data: { get(id: object): { values: unknown } }; refCount(id: object): number };
      let t = p.conn.weightTensor;
      if (backend.refCount(t.dataId) > 1 || !(backend.data.get(t.dataId).values instanceof Float32Array)) {
        p.conn.setWeights(await p.conn.getWeights()); // an exclusive buffer: no other tensor sees our writes
        t = p.conn.weightTensor;
      }
      p.w = backend.data.get(t.dataId).values as Float32Array;
      p.copied = false;
    } else {
      p.w = await p.conn.getWeights();
      p.copied = true;
    }
    p.kernel.attach?.(p.w, p.conn.weightTensor !== p.published);
  }

  /** Makes every connection's weight tensor show the current weights (mid-run or at its end). */
  private sync(): void {
    for (const p of this.projections) {
      if (!p.w) continue;
      p.kernel.publish?.(p.w);
      if (p.copied) p.conn.setWeights(p.w);
      p.published = p.conn.weightTensor;
    }
  }

  private release(): void {
    this.sync();
    for (const p of this.projections) {
      p.published = p.conn.weightTensor;
      p.w = null;
      p.copied = false;
    }
  }

  private get fusedOnly(): boolean {
    return this.groups.every((g) => g.source || g.kernel) && this.projections.every((p) => !p.ruleState);
  }

  /** Advances the network by one time step. */
  async step(): Promise<void> {
    await this.runSteps(1);
  }

  /** Advances the network by round(durationMs / dtMs) steps. */
  async run(durationMs: number, options: RunOptions = {}): Promise<void> {
    check.nonNegative('durationMs', durationMs);
    const steps = Math.round(durationMs / this.dtMs);
    const chunk = check.integer('chunkSteps', options.chunkSteps ?? 10_000, 1);
    if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
      throw new PlasticityError('E_PARAM', `onProgress must be a function, got ${describeValue(options.onProgress)}`);
    }
    await this.runSteps(steps, chunk, options.onProgress);
  }

  private async runSteps(steps: number, chunk = steps, onProgress?: RunOptions['onProgress']): Promise<void> {
    this.checkIdle('run');
    this.running = true;
    try {
      await this.acquire();
      const fused = this.fusedOnly;
      let done = 0;
      while (done < steps) {
        const k = Math.min(chunk, steps - done);
        if (fused) for (let s = 0; s < k; s++) this.stepFused();
        else for (let s = 0; s < k; s++) await this.stepGeneric();
        done += k;
        if (onProgress && done < steps) this.sync(); // weights read in the callback are current
        if (onProgress) await onProgress({ step: done, totalSteps: steps, fraction: steps === 0 ? 1 : done / steps, timeMs: this.timeMs });
      }
      if (steps === 0 && onProgress) await onProgress({ step: 0, totalSteps: 0, fraction: 1, timeMs: this.timeMs });
    } finally {
      this.release();
      this.running = false;
    }
  }

  private io: StepIO = {
    n: 0, preActive: EMPTY_I32, preCount: 0, preValue: new Float32Array(0), postActive: EMPTY_I32, postCount: 0,
    postValue: new Float32Array(0), input: new Float32Array(0), binary: true, modulator: 0, w: new Float32Array(0),
  };

  private integrateAll(): void {
    const n = this.n;
    for (const g of this.groups) {
      if (g.source) g.count = g.source.generate(n, g.active, g.value);
      else if (g.kernel) g.count = g.kernel.integrate(g.active, g.value);
    }
  }

  private projectAll(): void {
    const io = this.io;
    for (const p of this.projections) {
      this.fillIO(p);
      p.kernel.step(io);
      this.pushRing(p);
    }
  }

  private fillIO(p: Projection): void {
    const io = this.io;
    io.n = this.n;
    if (p.ring) {
      const slot = this.n % p.delay;
      io.preActive = p.ring.active[slot]!;
      io.preCount = p.ring.count[slot]!;
      io.preValue = p.ring.value[slot]!;
    } else {
      io.preActive = p.pre.active;
      io.preCount = p.pre.count;
      io.preValue = p.pre.value;
    }
    io.binary = p.binaryPre;
    io.postActive = p.post.active;
    io.postCount = p.post.count;
    io.postValue = p.post.value;
    io.input = p.post.inputs![p.channel]!;
    io.modulator = p.modulator !== null ? (this.modulators.get(p.modulator) ?? 0) : 0;
    io.w = p.w!;
  }

  private pushRing(p: Projection): void {
    if (!p.ring) return;
    const slot = this.n % p.delay;
    const act = p.ring.active[slot]!, val = p.ring.value[slot]!;
    for (let c = 0; c < p.ring.count[slot]!; c++) val[act[c]!] = 0;
    const g = p.pre;
    for (let c = 0; c < g.count; c++) { const i = g.active[c]!; act[c] = i; val[i] = g.value[i]!; }
    p.ring.count[slot] = g.count;
  }

  private finishStep(): void {
    for (const m of this.monitors) this.record(m);
    for (const g of this.groups) {
      if (g.kernel) g.kernel.deliver(g.active, g.count);
      for (let c = 0; c < g.count; c++) g.value[g.active[c]!] = 0;
    }
    this.n++;
  }

  private stepFused(): void {
    this.integrateAll();
    this.projectAll();
    this.finishStep();
  }

  /** One step with tfjs ops for the generic parts (neurons without a fused kernel, rules without toFused). */
  private async stepGeneric(): Promise<void> {
    const n = this.n;
    for (const g of this.groups) {
      if (g.source) g.count = g.source.generate(n, g.active, g.value);
      else if (g.kernel) g.count = g.kernel.integrate(g.active, g.value);
      else {
        const neuron = g.neuron as Neuron;
        const input = g.inputs!.input!;
        const inputTensor = tf.tensor1d(Float32Array.from(input), 'float32');
        input.fill(0);
        const { spikes, state } = neuron.step(inputTensor, g.tensorState!, g.params!, this.dtMs);
        inputTensor.dispose();
        disposeState(g.tensorState, state);
        g.tensorState = state;
        const s = await spikes.data();
        spikes.dispose();
        let c = 0;
        for (let i = 0; i < g.n; i++) if (s[i] !== 0) { g.active[c++] = i; g.value[i] = s[i]!; }
        g.count = c;
      }
    }
    for (const p of this.projections) {
      this.fillIO(p);
      p.kernel.step(this.io);
      if (p.ruleState) {
        const pre = tf.tensor1d(Float32Array.from(this.io.preValue), 'float32');
        const post = tf.tensor1d(Float32Array.from(p.post.value), 'float32');
        if (p.copied) p.conn.setWeights(p.w!);
        const mod = p.modulator !== null ? this.modulators.get(p.modulator) : undefined;
        const next = p.rule!.step({ pre, post, conn: p.conn, dtMs: this.dtMs, ...(mod !== undefined ? { modulator: mod } : {}) }, p.ruleState, p.ruleParams!);
        pre.dispose();
        post.dispose();
        disposeState(p.ruleState, next);
        p.ruleState = next;
        await this.acquireOne(p);
      }
      this.pushRing(p);
    }
    this.finishStep();
  }

  private record(m: SpikeMonitor | StateMonitor | WeightMonitor): void {
    if (m instanceof SpikeMonitor) {
      const g = this.groups.find((x) => x.name === m.population)!;
      if (g.count > 0) m.add(this.n, g.active, g.count, g.value);
    } else if (m instanceof StateMonitor) {
      if (this.n % m.every === 0) {
        const g = this.groups.find((x) => x.name === m.population)!;
        m.add(this.n, g.arrays![m.variable]!);
      }
    } else if (this.n % m.every === 0) {
      const p = this.projections.find((x) => x.name === m.projection)!;
      p.kernel.publish?.(p.w!);
      m.add(this.n, p.w!);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reset and checkpoints

  /**
   * Restores this network's state to its initial values: neuron states, input buffers, traces and
   * eligibility, sources (same random streams again), delay lines and the step counter, and clears its
   * monitors. Neuromodulator values are inputs and stay as set. Weights are kept unless `weights: true` (then they return to their values at
   * connect time). Other networks are never touched.
   */
  async reset(options: { weights?: boolean } = {}): Promise<void> {
    this.checkIdle('reset');
    for (const g of this.groups) {
      g.source?.reset();
      if (g.arrays) for (const [k, arr] of Object.entries(g.arrays)) arr.fill(g.init![k]!);
      for (const arr of Object.values(g.inputs ?? {})) arr.fill(0);
      g.value.fill(0);
      g.count = 0;
      if (g.tensorState) {
        disposeState(g.tensorState);
        g.tensorState = (g.neuron as Neuron).init({ n: g.n, batch: 1 }, g.params!);
      }
    }
    for (const p of this.projections) {
      p.kernel.reset();
      if (p.ring) { p.ring.count.fill(0); for (const v of p.ring.value) v.fill(0); }
      if (p.ruleState) {
        disposeState(p.ruleState);
        p.ruleState = p.rule!.init({ nPre: p.pre.n, nPost: p.post.n, batch: 1 }, p.ruleParams!);
      }
      if (options.weights) p.conn.setWeights(Float32Array.from(await p.w0));
      p.published = null; // the kernel adopts the connection's weights at the next run
    }
    for (const m of this.monitors) m.clear();
    this.n = 0;
  }

  private configs(): Record<string, PluginConfig> {
    const out: Record<string, PluginConfig> = {};
    for (const g of this.groups) if (g.neuron) out[`population/${g.name}`] = toConfig(g.neuron, g.params!);
    for (const p of this.projections) if (p.rule) out[`projection/${p.name}`] = toConfig(p.rule, p.ruleParams!);
    return out;
  }

  /** The whole state (weights, neuron and rule state, sources' random state, delay lines, step) as a core checkpoint. */
  async saveCheckpoint(): Promise<Uint8Array> {
    this.checkIdle('saveCheckpoint');
    const arrays: Record<string, Float32Array | Float64Array | Int32Array | Tensor> = {};
    const data: Record<string, unknown> = { kind: 'plasticity-snn-network', step: this.n, dtMs: this.dtMs, modulators: Object.fromEntries(this.modulators) };
    const groups: Record<string, unknown> = {};
    for (const g of this.groups) {
      for (const [k, arr] of Object.entries(g.arrays ?? {})) arrays[`g/${g.name}/${k}`] = arr;
      for (const [k, arr] of Object.entries(g.inputs ?? {})) arrays[`g/${g.name}/in/${k}`] = arr;
      for (const [k, t] of Object.entries(g.tensorState ?? {})) if (t instanceof tf.Tensor) arrays[`g/${g.name}/t/${k}`] = t;
      if (g.source) {
        const st = g.source.getState();
        for (const [k, arr] of Object.entries(st.arrays)) arrays[`s/${g.name}/${k}`] = arr;
        groups[g.name] = { n: g.n, source: st.data };
      } else groups[g.name] = { n: g.n };
    }
    const projections: Record<string, unknown> = {};
    for (const p of this.projections) {
      arrays[`p/${p.name}/w`] = await p.conn.getWeights();
      const st = p.kernel.state();
      for (const [k, arr] of Object.entries(st.arrays)) arrays[`p/${p.name}/r/${k}`] = arr;
      for (const [k, t] of Object.entries(p.ruleState ?? {})) if (t instanceof tf.Tensor) arrays[`p/${p.name}/t/${k}`] = t;
      if (p.ring) {
        p.ring.active.forEach((a, s) => { arrays[`p/${p.name}/ring/a${s}`] = a; arrays[`p/${p.name}/ring/v${s}`] = p.ring!.value[s]!; });
        arrays[`p/${p.name}/ring/count`] = p.ring.count;
      }
      projections[p.name] = { nnz: p.table.nnz, engine: p.engine.engine, rule: st.data };
    }
    data.groups = groups;
    data.projections = projections;
    return saveCheckpoint({ arrays, configs: this.configs(), data: JSON.parse(JSON.stringify(data)) });
  }

  /**
   * Restores a checkpoint of a network built the same way (same populations, projections, plugins and
   * parameters). Everything is checked before anything changes; loading twice gives the same state.
   */
  async loadCheckpoint(bytes: Uint8Array): Promise<void> {
    this.checkIdle('loadCheckpoint');
    const ck = loadCheckpoint(bytes, this.registry);
    const data = ck.data as Record<string, any>;
    const fail = (msg: string): never => { throw new PlasticityError('E_CHECKPOINT', msg); };
    if (!data || data.kind !== 'plasticity-snn-network') fail('checkpoint is not a plasticity snn network checkpoint');
    if (data.dtMs !== this.dtMs) fail(`checkpoint dtMs ${describeValue(data.dtMs)} differs from this network's ${this.dtMs}`);
    const mine = this.configs();
    const theirs = ck.rawConfigs;
    if (JSON.stringify(Object.keys(mine).sort()) !== JSON.stringify(Object.keys(theirs).sort())) {
      fail(`checkpoint plugins ${Object.keys(theirs).join(', ')} differ from this network's ${Object.keys(mine).join(', ')}`);
    }
    for (const [k, c] of Object.entries(mine)) {
      const t = theirs[k]!;
      if (t.name !== c.name || JSON.stringify(t.params) !== JSON.stringify(c.params)) fail(`checkpoint ${k} is ${t.name} ${JSON.stringify(t.params)}, this network has ${c.name} ${JSON.stringify(c.params)}`);
    }
    const arr = (key: string, ctor: abstract new (...args: never[]) => unknown, length: number): any => {
      const a = ck.arrays[key];
      if (!a || !(a.data instanceof ctor) || a.data.length !== length) fail(`checkpoint array ${key} missing or not a ${ctor.name} of length ${length}`);
      return a!.data;
    };
    // Validate every array first.
    const plan: (() => void)[] = [];
    for (const g of this.groups) {
      const gd = data.groups?.[g.name];
      if (!gd || gd.n !== g.n) fail(`checkpoint has no population ${JSON.stringify(g.name)} of size ${g.n}`);
      for (const [k, a] of Object.entries(g.arrays ?? {})) { const src = arr(`g/${g.name}/${k}`, Float32Array, g.n); plan.push(() => a.set(src)); }
      for (const [k, a] of Object.entries(g.inputs ?? {})) { const src = arr(`g/${g.name}/in/${k}`, Float32Array, g.n); plan.push(() => a.set(src)); }
      if (g.tensorState) {
        const next: Record<string, Tensor> = {};
        for (const [k, t] of Object.entries(g.tensorState)) {
          if (!(t instanceof tf.Tensor)) continue;
          const a = ck.arrays[`g/${g.name}/t/${k}`];
          if (!a || a.data.length !== t.size) fail(`checkpoint array g/${g.name}/t/${k} missing or of the wrong size`);
          next[k] = a!.data as unknown as Tensor;
        }
        plan.push(() => {
          const st: Record<string, Tensor | number> = { ...(g.tensorState as Record<string, Tensor | number>) };
          for (const [k, t] of Object.entries(g.tensorState!)) {
            if (!(t instanceof tf.Tensor)) continue;
            st[k] = tf.tensor(Array.from(next[k] as unknown as ArrayLike<number>), t.shape, t.dtype);
          }
          disposeState(g.tensorState);
          g.tensorState = st as PluginState;
        });
      }
      if (g.source) {
        const st = g.source.getState();
        const arrays: Record<string, Int32Array | Float64Array> = {};
        for (const [k, a] of Object.entries(st.arrays)) arrays[k] = arr(`s/${g.name}/${k}`, a.constructor as abstract new (...args: never[]) => unknown, a.length);
        const sdata = gd.source;
        if (!sdata || typeof sdata !== 'object') fail(`checkpoint has no source state for ${JSON.stringify(g.name)}`);
        const probe = g.source;
        plan.push(() => probe.setState({ arrays, data: sdata }));
      }
    }
    for (const p of this.projections) {
      const pd = data.projections?.[p.name];
      if (!pd || pd.nnz !== p.table.nnz || pd.engine !== p.engine.engine) fail(`checkpoint projection ${JSON.stringify(p.name)} does not match this network's`);
      const w = arr(`p/${p.name}/w`, Float32Array, p.table.nnz);
      const st = p.kernel.state();
      const rs: Record<string, Float64Array | Int32Array | Float32Array> = {};
      for (const [k, a] of Object.entries(st.arrays)) {
        // every kernel array at its own length, so nothing is half-written or overruns
        rs[k] = arr(`p/${p.name}/r/${k}`, a.constructor as abstract new (...args: never[]) => unknown, a.length);
      }
      for (const k of Object.keys(st.data)) if (typeof pd.rule?.[k] !== 'number') fail(`checkpoint rule value ${p.name}/${k} missing`);
      plan.push(() => { p.conn.setWeights(Float32Array.from(w)); p.kernel.setState(rs, pd.rule); p.published = p.conn.weightTensor; });
      if (p.ring) {
        const ring = p.ring;
        const cnt = arr(`p/${p.name}/ring/count`, Int32Array, p.delay);
        const as = ring.active.map((_, s) => arr(`p/${p.name}/ring/a${s}`, Int32Array, p.pre.n));
        const vs = ring.value.map((_, s) => arr(`p/${p.name}/ring/v${s}`, Float32Array, p.pre.n));
        plan.push(() => { ring.count.set(cnt); as.forEach((a: Int32Array, s: number) => ring.active[s]!.set(a)); vs.forEach((v: Float32Array, s: number) => ring.value[s]!.set(v)); });
      }
      if (p.ruleState) {
        for (const [k, t] of Object.entries(p.ruleState)) {
          if (!(t instanceof tf.Tensor)) continue;
          const a = ck.arrays[`p/${p.name}/t/${k}`];
          if (!a || a.data.length !== t.size) fail(`checkpoint array p/${p.name}/t/${k} missing or of the wrong size`);
        }
        plan.push(() => {
          const st2: Record<string, Tensor | number> = { ...(p.ruleState as Record<string, Tensor | number>) };
          for (const [k, t] of Object.entries(p.ruleState!)) {
            if (!(t instanceof tf.Tensor)) continue;
            st2[k] = tf.tensor(Array.from(ck.arrays[`p/${p.name}/t/${k}`]!.data), t.shape, t.dtype);
          }
          disposeState(p.ruleState);
          p.ruleState = st2 as PluginState;
        });
      }
    }
    const step = data.step;
    if (!Number.isSafeInteger(step) || step < 0) fail(`checkpoint step must be a non-negative integer, got ${describeValue(step)}`);
    // Apply.
    for (const f of plan) f();
    for (const g of this.groups) { g.value.fill(0); g.count = 0; }
    this.modulators.clear();
    for (const [k, v] of Object.entries((data.modulators ?? {}) as Record<string, number>)) this.modulators.set(k, v);
    this.n = step;
  }

  /** Releases the tensors this network owns (generic states); connections stay the caller's. */
  dispose(): void {
    if (this.disposed) return;
    for (const g of this.groups) disposeState(g.tensorState);
    for (const p of this.projections) disposeState(p.ruleState);
    this.disposed = true;
  }
}
