import * as tf from '@tensorflow/tfjs-core';
import {
  PlasticityError, check, createRegistry, createRng, describeValue, requireBackend, resolveParams, toConfig,
  type Neuron, type Params, type PluginConfig, type Registry, type Rng, type Rule, type SynapseStructure, type Transform,
} from '@plasticity/core';
import { loadNetworkCheckpoint, saveNetworkCheckpoint } from './engine/checkpoint.js';
import { disposeState, memberSpikes, staticKernel, type Group, type MemberSlots, type NetworkConnection, type Projection, type ProjectionEngine, type TransformSlot } from './engine/model.js';
import type { FusedKernel, FusedTransform } from '@plasticity/core/fused';
import { Simulation } from './engine/simulation.js';
import { denseTable, sparseTable } from './engine/table.js';
import { stepTensor } from './engine/tensor-step.js';
import { acquire, acquireOne, acquireSync, release, sync } from './engine/weights.js';
import { NEURONS } from './neurons/models.js';
import { isSpikingNeuron, type NeuronArrays, type SpikingNeuron } from './neurons/types.js';
import { PoissonSource, SpikeTrainSource, type PlaybackOptions, type PoissonOptions, type SpikeSource } from './sources/sources.js';
import { SpikeMonitor, StateMonitor, WeightMonitor } from './monitors.js';
import { ExternalSource } from './sources/external.js';
import type { ConnectionSpec, MonitorSpec, NetworkSpec, PopulationSpec, ProjectionSpec } from './spec.js';
import { COOConnection, CSRConnection, DenseConnection } from '@plasticity/sparse';

export type { NetworkConnection, ProjectionEngine } from './engine/model.js';

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
  /**
   * Independent members simulated together (evolution strategies, sweeps): every population, weight,
   * per-synapse array, trace and neuromodulator exists once per member, structure is shared, and
   * member k gives bit for bit what the network run alone gives. Member m's neuron i is element
   * m·n + i of state arrays, monitors and spike lists. Sources other than external ones give every member
   * the same spikes. Fused engine only. Default 1.
   */
  members?: number;
}

export interface PopulationOptions<P extends Params = Params> {
  n: number;
  /** A neuron plugin or its registered name ('core/lif', 'core/conductance-lif', ...). */
  neuron: Neuron<P> | SpikingNeuron<P> | string;
  params?: Partial<P>;
}

export interface ProjectionOptions {
  /** A Dense, CSR or COO connection (the caller's), or a connection spec (the network builds and owns it). */
  connection: NetworkConnection | ConnectionSpec;
  /** Input channel of the post neuron (default: its first, e.g. 'ge' or 'v'). */
  channel?: string;
  /** Axonal delay in steps (>= 0): pre spikes of step n act on this projection in step n + delay. */
  delaySteps?: number;
  /** A rule plugin or its registered name; none = static weights. The rule's fused kernel is looked
   *  up in the network's registry (`registry.registerKernel`). */
  rule?: Rule | string;
  /**
   * Transforms run after the rule's step each time step (fused when each has a fused form), with the
   * sparse context: plugins, registered names or { transform, params }.
   */
  transforms?: readonly (Transform | string | { transform: Transform | string; params?: Params })[];
  ruleParams?: Params;
  /** Neuromodulator signal this projection's rule reads, fused or generic (default: the rule's own
   *  `modulator` parameter for MSTDP/MSTDPET, else 'reward'). */
  modulator?: string;
  /** Name for monitors and checkpoints (default 'pre->post', numbered when taken). */
  name?: string;
}

/** Which member of a population network (default 0; setters without one address every member). */
export interface MemberOption {
  readonly member?: number;
}

export interface RunOptions {
  /** Called after every chunk of steps (and once at the end); connection weights are current in it. */
  onProgress?: (p: { step: number; totalSteps: number; fraction: number; timeMs: number }) => void | Promise<void>;
  /** Steps per chunk between progress reports (default 10,000). */
  chunkSteps?: number;
}

export interface PopulationHandle { readonly name: string; readonly n: number }
export interface ProjectionHandle { readonly name: string; readonly nPre: number; readonly nPost: number }

/**
 * A spiking network: populations (neurons or spike sources), projections over any connection format
 * (W[pre, post], optional delay in steps) with plasticity rules, neuromodulator signals and monitors.
 *
 * Schedule of one step (Brian2's): every population updates its state and finds its spikes (sources
 * draw theirs) → every projection propagates the pre spikes into its post channel and runs its rule
 * (pre pathway before post pathway) → every population adds its input and resets its spiking neurons.
 * Time is in ms. `run` advances many steps per call on typed arrays (the fused engine) when every
 * neuron is a SpikingNeuron and every rule has a fused kernel; otherwise the rest runs with tfjs ops per
 * step (the generic path, documented as slow), bit for bit the same order.
 * `step()` × T and `run(T·dt)` give identical results on cpu.
 */
export class Network {
  readonly dtMs: number;
  readonly registry: Registry;
  /** Members simulated together (NetworkOptions.members). */
  readonly members: number;
  private readonly lazy: boolean;
  private readonly fallback: 'warn' | 'error' | 'silent';
  private readonly log: (line: string) => void;
  private readonly rng: Rng;
  /** The typed-array core this builder fills and runs. */
  private readonly sim = new Simulation();
  private readonly seed: number;
  /** How each population, projection and monitor was made, for toSpec (null: not expressible). */
  private readonly recipes = {
    populations: new Map<string, PopulationSpec | null>(),
    projections: new Map<string, { spec: Omit<ProjectionSpec, 'connection'>; connection: ConnectionSpec | null }>(),
    monitors: [] as MonitorSpec[],
  };
  /** Connections the network built from specs (disposed with it). */
  private readonly owned: NetworkConnection[] = [];
  private running = false;
  private disposed = false;

  constructor(options: NetworkOptions) {
    if (options === null || typeof options !== 'object') throw new PlasticityError('E_PARAM', `options must be an object, got ${describeValue(options)}`);
    this.dtMs = check.positive('dtMs', options.dtMs);
    this.seed = options.seed === undefined ? 0 : check.integer('seed', options.seed);
    this.members = check.integer('members', options.members ?? 1, 1, 65_536);
    this.sim.members = this.members;
    this.rng = createRng(this.seed);
    this.registry = options.registry ?? createRegistry();
    this.lazy = options.lazyPotentiation ?? true;
    this.fallback = check.oneOf('fallback', options.fallback ?? 'warn', ['warn', 'error', 'silent'] as const);
    if (options.log !== undefined && typeof options.log !== 'function') throw new PlasticityError('E_PARAM', `log must be a function, got ${describeValue(options.log)}`);
    this.log = options.log ?? ((line) => console.warn(line));
    for (const neuron of NEURONS) if (!this.registry.has(neuron.name)) this.registry.register(neuron);
  }

  /** Steps taken since construction or the last reset. */
  get stepCount(): number {
    return this.sim.n;
  }

  get timeMs(): number {
    return this.sim.n * this.dtMs;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0) throw new PlasticityError('E_PARAM', `name must be a non-empty string, got ${describeValue(name)}`);
    if (this.sim.groups.some((g) => g.name === name)) throw new PlasticityError('E_PARAM', `a population named ${JSON.stringify(name)} already exists`);
  }

  private checkIdle(what: string): void {
    if (this.disposed) throw new PlasticityError('E_PARAM', `${what}: this network has been disposed`);
    if (this.running) throw new PlasticityError('E_PARAM', `${what}: the network is running`);
  }

  private group(handle: PopulationHandle | string, what: string): Group {
    const name = typeof handle === 'string' ? handle : handle?.name;
    const g = this.sim.groups.find((x) => x.name === name);
    if (!g) throw new PlasticityError('E_PARAM', `${what} must be a population of this network, got ${describeValue(name)}`);
    return g;
  }

  private projection(handle: ProjectionHandle | string, what: string): Projection {
    const name = typeof handle === 'string' ? handle : handle?.name;
    const p = this.sim.projections.find((x) => x.name === name);
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
    const total = n * this.members;
    if (!isSpikingNeuron(neuron) && this.members > 1) throw new PlasticityError('E_PARAM', `neuron ${JSON.stringify(neuron.name)} has no fused kernel; a population network (members > 1) runs fused neurons only`);
    const active = new Int32Array(total);
    const value = new Float32Array(total);
    if (isSpikingNeuron(neuron)) {
      const sn = neuron as unknown as SpikingNeuron<P>;
      const init = sn.initialState(params, this.dtMs);
      // one kernel over every member's neurons: neurons are independent, so member k is bit for bit alone
      const arrays: NeuronArrays = {};
      for (const k of sn.stateVars) arrays[k] = new Float32Array(total).fill(init[k]!);
      const inputs: Record<string, Float32Array> = {};
      for (const c of sn.channels) inputs[c] = new Float32Array(total);
      const kernel = sn.fused(arrays, inputs, params, this.dtMs);
      this.sim.groups.push({ name, n, active, value, count: 0, neuron: sn, params, arrays, init, inputs, channels: sn.channels, kernel, replicate: false });
      this.recipes.populations.set(name, { name, kind: 'neurons', n, neuron: neuron.name, params });
    } else {
      this.recipes.populations.set(name, { name, kind: 'neurons', n, neuron: neuron.name, params });
      requireBackend('Network.addPopulation (a neuron without a fused kernel)');
      const tensorState = neuron.init({ n, batch: 1 }, params);
      this.sim.groups.push({ name, n, active, value, count: 0, neuron, params, inputs: { input: new Float32Array(n) }, channels: ['input'], tensorState, replicate: false });
    }
    return { name, n };
  }

  /** A Poisson population (spike trains drawn by inter-spike gaps); seeded from the network seed by name. */
  addPoisson(name: string, options: Omit<PoissonOptions, 'seed'> & { seed?: number }): PopulationHandle {
    this.checkIdle('addPoisson');
    this.checkName(name);
    const source = new PoissonSource({ ...options, seed: options.seed ?? this.rng.stream(`poisson/${name}`) });
    const handle = this.addSource(name, source);
    this.recipes.populations.set(name, {
      name, kind: 'poisson', n: source.n, rateHz: typeof options.rateHz === 'number' ? options.rateHz : Array.from(options.rateHz),
      ...(options.schedule ? { schedule: { startsMs: [...options.schedule.startsMs], factors: [...options.schedule.factors] } } : {}),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    return handle;
  }

  /** Plays back given spike trains. */
  addSpikeTrain(name: string, options: PlaybackOptions): PopulationHandle {
    this.checkIdle('addSpikeTrain');
    this.checkName(name);
    const handle = this.addSource(name, new SpikeTrainSource(options));
    this.recipes.populations.set(name, { name, kind: 'spike-train', n: handle.n, timesMs: Array.from(options.timesMs), indices: Array.from(options.indices) });
    return handle;
  }

  /**
   * A population whose spikes the caller sets for each next step (`setSpikes`): a closed-loop input.
   * Its events are binary (each spike counts 1) unless `values: true`: then a spike carries its value
   * (an observation, a current) and a projection from it adds w·value.
   */
  addExternal(name: string, options: { n: number; values?: boolean }): PopulationHandle {
    this.checkIdle('addExternal');
    this.checkName(name);
    if (options?.values !== undefined && typeof options.values !== 'boolean') throw new PlasticityError('E_PARAM', `values must be true or false, got ${describeValue(options.values)}`);
    const valued = options?.values === true;
    const handle = this.addSource(name, new ExternalSource(options?.n, this.members, valued));
    this.recipes.populations.set(name, { name, kind: 'external', n: handle.n, ...(valued ? { values: true } : {}) });
    return handle;
  }

  /** Any SpikeSource. */
  addSource(name: string, source: SpikeSource): PopulationHandle {
    this.checkIdle('addSource');
    this.checkName(name);
    source.bind(this.dtMs);
    source.reset();
    // an external source has a block per member; any other is drawn once and copied to every member
    const perMember = source instanceof ExternalSource;
    const n = perMember ? source.n / this.members : source.n;
    const total = n * this.members;
    this.sim.groups.push({ name, n, active: new Int32Array(total), value: new Float32Array(total), count: 0, source, replicate: !perMember && this.members > 1 });
    this.recipes.populations.set(name, null); // a custom source: not expressible as a spec
    return { name, n };
  }

  private adopt(plugin: Neuron | Rule | Transform): void {
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
    const given = options?.connection;
    if (isConnectionSpec(given)) {
      const built = buildConnection(given, a.n, b.n);
      try {
        const handle = this.attach(a, b, built, options, given);
        this.owned.push(built);
        return handle;
      } catch (error) {
        built.dispose?.();
        throw error;
      }
    }
    return this.attach(a, b, given as NetworkConnection, options, null);
  }

  private attach(a: Group, b: Group, conn: NetworkConnection, options: ProjectionOptions, connectionSpec: ConnectionSpec | null): ProjectionHandle {
    const ok = conn && typeof conn === 'object' && typeof conn.pairs === 'function' && conn.weightTensor instanceof tf.Tensor;
    if (!ok) throw new PlasticityError('E_PARAM', `connection must be a Dense, CSR or COO connection of @plasticity/sparse or a connection spec, got ${describeValue(conn)}`);
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
    const transforms = (options.transforms ?? []).map((t, i) => this.resolveTransform(t, `transforms[${i}]`));
    let name = options.name ?? `${a.name}->${b.name}`;
    if (options.name !== undefined && this.sim.projections.some((p) => p.name === name)) {
      throw new PlasticityError('E_PARAM', `a projection named ${JSON.stringify(name)} already exists`);
    }
    for (let k = 2; this.sim.projections.some((p) => p.name === name); k++) name = `${a.name}->${b.name}#${k}`;
    const table = conn.format === 'dense' ? denseTable(a.n, b.n) : (() => { const pr = conn.pairs(); return sparseTable(a.n, b.n, pr.pre, pr.post); })();
    let pairs: SynapseStructure | undefined;
    const structure = (): SynapseStructure => (pairs ??= { nPre: a.n, nPost: b.n, nnz: table.nnz, ...conn.pairs() });
    const P = this.members;
    const synapses = this.createSynapseArrays(name, rule, ruleParams, transforms, structure, P);
    const nnz = table.nnz;
    // member m's slice of each per-synapse array (the arrays themselves when P = 1)
    const memberSynapses = (m: number) => (P === 1 ? synapses : Object.fromEntries(Object.entries(synapses).map(([k, v]) => [k, v.subarray(m * nnz, (m + 1) * nnz)])));
    const config = rule ? (this.registry.kernelFor(rule.name) ?? rule.fused) : undefined;
    // events other than 1: ±1 of signed neurons, and the values of a valued external source
    const signed = (g: Group) => (g.source instanceof ExternalSource && g.source.valued) || (g.neuron !== undefined && isSpikingNeuron(g.neuron) && g.neuron.signedSpikes === true);
    // a kernel that keeps its own committed weights (lazy) would not see a transform's writes
    const ctx = {
      params: ruleParams!, dtMs: this.dtMs, table, binaryEvents: !signed(a) && !signed(b), lazy: this.lazy && transforms.length === 0,
      synapses: memberSynapses(0), get structure() { return structure(); },
    };
    const unfused = transforms.find((t) => !t.transform.fused);
    const reason = rule && !config ? `no fused kernel is registered for '${rule.name}' (registry.registerKernel)`
      : rule ? config!.unsupported?.(ctx)
        : undefined;
    const why = reason ?? (unfused ? `transform '${unfused.transform.name}' has no fused form` : undefined);
    const engine: ProjectionEngine = { projection: name, rule: rule?.name ?? null, engine: why === undefined ? 'fused' : 'tensor', ...(why !== undefined ? { reason: why } : {}) };
    if (why !== undefined && P > 1) throw new PlasticityError('E_PARAM', `projection ${JSON.stringify(name)} cannot run fused (${why}); a population network (members > 1) runs fused only`);
    if (why !== undefined && this.fallback === 'error') {
      throw new PlasticityError('E_PARAM', `projection ${JSON.stringify(name)} cannot run fused: ${why} (fallback: 'error')`);
    }
    // setup validates the rule against dtMs (e.g. euler traces need dt < tau): it may throw
    const kernelFor = (m: number) => (rule && why === undefined ? config!.setup({ ...ctx, synapses: memberSynapses(m), get structure() { return structure(); } }) : staticKernel(table));
    const transformFor = (t: { transform: Transform; params: Params }, m: number) =>
      t.transform.fused!.setup({ params: t.params, dtMs: this.dtMs, table, synapses: memberSynapses(m), get structure() { return structure(); } });
    const kernel = kernelFor(0);
    const slots: TransformSlot[] = transforms.map((t) => why === undefined
      ? { transform: t.transform, params: t.params, fused: transformFor(t, 0) }
      : { transform: t.transform, params: t.params, fused: null, tensorState: t.transform.init?.([nnz], t.params, this.rng.stream(`transform/${name}/${t.transform.name}`).nextUint32()) ?? {} });
    const members = P === 1 ? null : this.memberSlots(a, b, channel, [kernel, ...Array.from({ length: P - 1 }, (_, m) => kernelFor(m + 1))],
      transforms.map((t, i) => [slots[i]!.fused!, ...Array.from({ length: P - 1 }, (_, m) => transformFor(t, m + 1))]));
    // Everything validated: build.
    if (rule) this.adopt(rule);
    for (const t of transforms) this.adopt(t.transform);
    if (why !== undefined && this.fallback === 'warn') {
      this.log(`@plasticity/snn: projection ${JSON.stringify(name)} runs ${rule ? `'${rule.name}'` : 'its transforms'} on the tensor path (one tfjs step per time step, slow): ${why}`);
    }
    if (why !== undefined) requireBackend('Network.connect (tensor path)');
    const ruleState = why !== undefined && rule ? rule.init({ nPre: a.n, nPost: b.n, batch: 1 }, ruleParams!) : undefined;
    const ring = delay > 0
      ? { active: Array.from({ length: delay }, () => new Int32Array(a.n * P)), value: Array.from({ length: delay }, () => new Float32Array(a.n * P)), count: new Int32Array(delay) }
      : null;
    if (members && ring) members.ringValue.push(...ring.value.map((v) => Array.from({ length: P }, (_, m) => v.subarray(m * a.n, (m + 1) * a.n))));
    // One signal name for both engines: the projection's option wins over the kernel's default.
    const modulator = rule ? (options.modulator ?? config?.modulator?.(ruleParams!) ?? 'reward') : null;
    this.sim.projections.push({
      name, pre: a, post: b, conn, channel, delay, table, kernel, engine, modulator, rule, ruleParams, ruleState,
      transforms: slots, synapses, synapses0: Object.fromEntries(Object.entries(synapses).map(([k, v]) => [k, v.slice()])), structure,
      w0: conn.getWeights(), w: null, copied: false, host: null, published: null, ring, binaryPre: !signed(a), members,
    });
    this.recipes.projections.set(name, {
      spec: {
        name, pre: a.name, post: b.name, channel, delaySteps: delay,
        ...(rule ? { rule: { name: rule.name, params: ruleParams! } } : {}),
        ...(transforms.length ? { transforms: transforms.map((t) => ({ name: t.transform.name, params: t.params })) } : {}),
        ...(options.modulator !== undefined ? { modulator: options.modulator } : {}),
      },
      connection: connectionSpec,
    });
    return { name, nPre: a.n, nPost: b.n };
  }

  private resolveTransform(t: NonNullable<ProjectionOptions['transforms']>[number], where: string): { transform: Transform; params: Params } {
    const spec = typeof t === 'string' || (t as Transform)?.kind === 'transform' ? { transform: t as Transform | string } : t as { transform: Transform | string; params?: Params };
    const transform = typeof spec?.transform === 'string' ? this.registry.get(spec.transform, 'transform') : spec?.transform;
    if (!transform || transform.kind !== 'transform') throw new PlasticityError('E_PARAM', `${where} must be a transform plugin, a registered name or { transform, params }, got ${describeValue(t)}`);
    return { transform, params: resolveParams(transform, spec.params ?? {}) };
  }

  /** A projection's per-member kernels and views (population networks). */
  private memberSlots(a: Group, b: Group, channel: string, kernels: FusedKernel[], transforms: FusedTransform[][]): MemberSlots {
    const P = this.members;
    const views = (arr: Float32Array, n: number) => Array.from({ length: P }, (_, m) => arr.subarray(m * n, (m + 1) * n));
    return {
      kernels, transforms, w: null, wViews: [],
      preValue: views(a.value, a.n), ringValue: [], postValue: views(b.value, b.n), input: views(b.inputs![channel]!, b.n),
      pre: new Int32Array(a.n), post: new Int32Array(b.n),
    };
  }

  /** The rule's and the transforms' per-synapse arrays, each a finite Float32Array of length nnz (P·nnz
   *  in a population network: every member starts from the same values). */
  private createSynapseArrays(name: string, rule: Rule | undefined, ruleParams: Params | undefined,
    transforms: readonly { transform: Transform; params: Params }[], structure: () => SynapseStructure, members: number): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    const owners = [...(rule?.synapseArrays ? [{ plugin: rule as Rule | Transform, params: ruleParams! }] : []),
      ...transforms.filter((t) => t.transform.synapseArrays).map((t) => ({ plugin: t.transform as Rule | Transform, params: t.params }))];
    for (const { plugin, params } of owners) {
      const st = structure();
      const arrays = plugin.synapseArrays!(st, params as never, this.rng.stream(`synapses/${name}/${plugin.name}`));
      for (const [key, v] of Object.entries(arrays ?? {})) {
        if (!(v instanceof Float32Array) || v.length !== st.nnz) throw new PlasticityError('E_SHAPE', `${plugin.name}: per-synapse array ${JSON.stringify(key)} must be a Float32Array of length nnz = ${st.nnz}, got ${describeValue(v)}`);
        if (key in out) throw new PlasticityError('E_PARAM', `${plugin.name}: per-synapse array ${JSON.stringify(key)} is already owned by another plugin of projection ${JSON.stringify(name)}`);
        if (members === 1) out[key] = v;
        else {
          const all = new Float32Array(v.length * members);
          for (let m = 0; m < members; m++) all.set(v, m * v.length);
          out[key] = all;
        }
      }
    }
    return out;
  }

  /** Copies of a projection's per-synapse arrays (storage order), by name; member 0 unless given. */
  synapseArrays(projection: ProjectionHandle | string, options: MemberOption = {}): Record<string, Float32Array> {
    const p = this.projection(projection, 'projection');
    const m = this.member(options);
    return Object.fromEntries(Object.entries(p.synapses).map(([k, v]) => [k, v.slice(m * p.table.nnz, (m + 1) * p.table.nnz)]));
  }

  /** Overwrites one per-synapse array of a projection (length nnz, finite values); of one member, or of
   *  every member when none is given. */
  setSynapseArray(projection: ProjectionHandle | string, key: string, values: ArrayLike<number>, options: MemberOption = {}): void {
    this.checkIdle('setSynapseArray');
    const p = this.projection(projection, 'projection');
    const target = p.synapses[key];
    if (!target) throw new PlasticityError('E_PARAM', `key must be a per-synapse array of ${JSON.stringify(p.name)} (${Object.keys(p.synapses).join(', ') || 'none'}), got ${describeValue(key)}`);
    const nnz = p.table.nnz;
    checkValues(values, nnz, 'nnz');
    for (const m of this.targetMembers(options)) target.set(values, m * nnz);
  }

  /** Which engine runs each projection, and why a projection is not fused. */
  engineReport(): ProjectionEngine[] {
    return this.sim.projections.map((p) => p.engine);
  }

  /** A rule by registered name; an unknown built-in name says how to register the built-ins. */
  private lookupRule(name: string): Rule {
    if (!this.registry.has(name) && name.startsWith('core/')) {
      throw new PlasticityError('E_REGISTRY', `unknown rule '${name}': this network's registry has no such rule; register the built-in rules with registerBuiltins(registry) from @plasticity/rules and pass the registry as new Network({ registry, ... })`);
    }
    return this.registry.get(name, 'rule');
  }

  /** Sets a neuromodulator signal (e.g. reward) read by modulated rules from the next step on: one value,
   *  or one per member in a population network. */
  setModulator(name: string, value: number | ArrayLike<number>): void {
    if (typeof name !== 'string' || name.length === 0) throw new PlasticityError('E_PARAM', `modulator name must be a non-empty string, got ${describeValue(name)}`);
    const values = typeof value === 'number' ? new Float32Array(this.members).fill(check.finite('value', value)) : Float32Array.from(checkValues(value, this.members, 'members'));
    this.sim.modulators.set(name, typeof value === 'number' ? value : values[0]!);
    this.sim.memberModulators.set(name, values);
  }

  getModulator(name: string, options: MemberOption = {}): number {
    const m = this.member(options);
    return this.members === 1 ? (this.sim.modulators.get(name) ?? 0) : (this.sim.memberModulators.get(name)?.[m] ?? 0);
  }

  /** Records every spike of a population. */
  monitorSpikes(population: PopulationHandle | string): SpikeMonitor {
    const g = this.group(population, 'population');
    const m = new SpikeMonitor(g.name, this.dtMs);
    this.sim.monitors.push(m);
    this.recipes.monitors.push({ kind: 'spikes', population: g.name });
    return m;
  }

  /** Records state variable `variable` every `every` steps (after the step), optionally of some neurons only. */
  monitorState(population: PopulationHandle | string, variable: string, options: { every?: number; indices?: readonly number[] } = {}): StateMonitor {
    const g = this.group(population, 'population');
    if (!g.arrays || !(variable in g.arrays)) {
      throw new PlasticityError('E_PARAM', `variable must be a state variable of ${JSON.stringify(g.name)} (${g.arrays ? Object.keys(g.arrays).join(', ') : 'none: not a fused neuron population'}), got ${describeValue(variable)}`);
    }
    const every = check.integer('every', options.every ?? 1, 1);
    const total = g.n * this.members; // member m's neuron i is m·n + i
    const indices = Int32Array.from(options.indices ?? Array.from({ length: total }, (_, i) => i));
    indices.forEach((i, k) => check.integer(`indices[${k}]`, i, 0, total - 1));
    const m = new StateMonitor(g.name, variable, every, indices, this.dtMs);
    this.sim.monitors.push(m);
    this.recipes.monitors.push({ kind: 'state', population: g.name, variable, every, ...(options.indices ? { indices: Array.from(indices) } : {}) });
    return m;
  }

  /** Records a copy of a projection's weights (storage order) every `every` steps. */
  monitorWeights(projection: ProjectionHandle | string, options: { every?: number } = {}): WeightMonitor {
    const p = this.projection(projection, 'projection');
    const every = check.integer('every', options.every ?? 1000, 1);
    const m = new WeightMonitor(p.name, every, this.dtMs);
    this.sim.monitors.push(m);
    this.recipes.monitors.push({ kind: 'weights', projection: p.name, every });
    return m;
  }

  /** Copies of a population's state arrays (fused populations) at the current step; member 0 unless given. */
  state(population: PopulationHandle | string, options: MemberOption = {}): Record<string, Float32Array> {
    const g = this.group(population, 'population');
    const m = this.member(options);
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(g.arrays ?? {})) out[k] = v.slice(m * g.n, (m + 1) * g.n);
    return out;
  }

  /** Trace arrays of a projection's fused kernel (true values at the last completed step). */
  traces(projection: ProjectionHandle | string, options: MemberOption = {}): Record<string, Float64Array> {
    const p = this.projection(projection, 'projection');
    const k = p.members ? p.members.kernels[this.member(options)]! : p.kernel;
    return k.traces?.(this.sim.n) ?? {};
  }

  /** The weights of a projection (storage order of its connection); member 0 unless given. */
  async weights(projection: ProjectionHandle | string, options: MemberOption = {}): Promise<Float32Array> {
    const p = this.projection(projection, 'projection');
    const m = this.member(options);
    if (!p.members) return p.conn.getWeights();
    if (!p.members.w) await acquireOne(p);
    p.members.kernels[m]!.publish?.(p.members.wViews[m]!);
    return p.members.wViews[m]!.slice();
  }

  /**
   * Sets a projection's weights (length nnz, storage order, finite): of one member, or of every member
   * when none is given. In a plain network this is the connection's `setWeights`.
   */
  async setWeights(projection: ProjectionHandle | string, values: ArrayLike<number>, options: MemberOption = {}): Promise<void> {
    this.checkIdle('setWeights');
    const p = this.projection(projection, 'projection');
    checkValues(values, p.table.nnz, 'nnz');
    if (!p.members) { p.conn.setWeights(Float32Array.from(values)); return; }
    const targets = this.targetMembers(options);
    if (!p.members.w) await acquireOne(p);
    for (const m of targets) {
      p.members.wViews[m]!.set(values);
      p.members.kernels[m]!.attach?.(p.members.wViews[m]!, true);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Running

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
    requireBackend('Network.run');
    this.running = true;
    try {
      const sim = this.sim;
      await acquire(sim.projections);
      const fused = sim.fusedOnly;
      let done = 0;
      while (done < steps) {
        const k = Math.min(chunk, steps - done);
        if (fused) for (let s = 0; s < k; s++) sim.stepFused();
        else for (let s = 0; s < k; s++) await stepTensor(sim, this.dtMs);
        done += k;
        if (onProgress && done < steps) sync(sim.projections); // weights read in the callback are current
        if (onProgress) await onProgress({ step: done, totalSteps: steps, fraction: steps === 0 ? 1 : done / steps, timeMs: this.timeMs });
      }
      if (steps === 0 && onProgress) await onProgress({ step: 0, totalSteps: 0, fraction: 1, timeMs: this.timeMs });
    } finally {
      release(this.sim.projections);
      this.running = false;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reset and checkpoints

  /**
   * Restores this network's state to its initial values: neuron states, input buffers, traces and
   * eligibility, sources (same random streams again), delay lines and the step counter, and clears its
   * monitors. Neuromodulator values are inputs and stay as set. Weights and per-synapse arrays are
   * long-term: kept unless `weights: true` (then they return to their values at connect time). Other
   * networks are never touched.
   */
  async reset(options: { weights?: boolean } = {}): Promise<void> {
    this.checkIdle('reset');
    for (const g of this.sim.groups) {
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
    for (const p of this.sim.projections) {
      for (const k of p.members ? p.members.kernels : [p.kernel]) k.reset();
      for (const ts of p.members?.transforms ?? []) for (const t of ts) t.reset?.();
      if (p.ring) { p.ring.count.fill(0); for (const v of p.ring.value) v.fill(0); }
      if (p.ruleState) {
        disposeState(p.ruleState);
        p.ruleState = p.rule!.init({ nPre: p.pre.n, nPost: p.post.n, batch: 1 }, p.ruleParams!);
      }
      for (const t of p.transforms) {
        t.fused?.reset?.();
        if (t.tensorState) {
          disposeState(t.tensorState);
          t.tensorState = t.transform.init?.([p.table.nnz], t.params, this.rng.stream(`transform/${p.name}/${t.transform.name}`).nextUint32()) ?? {};
        }
      }
      if (options.weights) {
        if (p.members) p.members.w = null; // refilled from the connection at the next run
        else p.conn.setWeights(Float32Array.from(await p.w0));
        for (const [k, v] of Object.entries(p.synapses0)) p.synapses[k]!.set(v);
      }
      p.published = null; // the kernel adopts the connection's weights at the next run
    }
    for (const m of this.sim.monitors) m.clear();
    this.sim.n = 0;
  }

  private configs(): Record<string, PluginConfig> {
    const out: Record<string, PluginConfig> = {};
    for (const g of this.sim.groups) if (g.neuron) out[`population/${g.name}`] = toConfig(g.neuron, g.params!);
    for (const p of this.sim.projections) {
      if (p.rule) out[`projection/${p.name}`] = toConfig(p.rule, p.ruleParams!);
      p.transforms.forEach((t, i) => { out[`projection/${p.name}/transform/${i}`] = toConfig(t.transform, t.params); });
    }
    return out;
  }

  /** The whole state (weights, neuron and rule state, sources' random state, delay lines, step) as a core checkpoint. */
  async saveCheckpoint(): Promise<Uint8Array> {
    this.checkIdle('saveCheckpoint');
    return saveNetworkCheckpoint(this.sim, this.dtMs, this.configs());
  }

  /**
   * Restores a checkpoint of a network built the same way (same populations, projections, plugins and
   * parameters). Everything is checked before anything changes; loading twice gives the same state.
   */
  async loadCheckpoint(bytes: Uint8Array): Promise<void> {
    this.checkIdle('loadCheckpoint');
    loadNetworkCheckpoint(this.sim, this.dtMs, this.registry, this.configs(), bytes);
  }

  // -------------------------------------------------------------------------------------------
  // As data, and in a closed loop

  /**
   * The network as a JSON spec (see `buildNetwork`): connections made from a spec keep it; a connection
   * object is written as explicit (pre, post, weight) triples with its weights at connect time (a
   * checkpoint carries the current ones). E_PARAM when a part cannot be expressed (a custom source).
   */
  async toSpec(): Promise<NetworkSpec> {
    const populations = this.sim.groups.map((g) => {
      const r = this.recipes.populations.get(g.name);
      if (!r) throw new PlasticityError('E_PARAM', `population ${JSON.stringify(g.name)} is a custom SpikeSource and has no spec`);
      return r;
    });
    const projections: ProjectionSpec[] = [];
    for (const p of this.sim.projections) {
      const r = this.recipes.projections.get(p.name)!;
      let connection = r.connection;
      if (!connection) {
        const { pre, post } = p.conn.pairs();
        connection = { format: p.conn.format, pre: Array.from(pre), post: Array.from(post), weights: Array.from(await p.w0) };
      }
      projections.push({ ...r.spec, connection });
    }
    return {
      format: 'plasticity-network', version: 1, dtMs: this.dtMs, seed: this.seed, lazyPotentiation: this.lazy, members: this.members,
      populations, projections, modulators: Object.fromEntries(this.sim.modulators), monitors: [...this.recipes.monitors],
    };
  }

  /** Monitors in the order they were added (a network built from a spec has its spec's). */
  monitors(): readonly (SpikeMonitor | StateMonitor | WeightMonitor)[] {
    return [...this.sim.monitors];
  }

  /** Spikes for the next step of an external population (`addExternal`): active indices or a vector;
   *  of one member, or the same for every member when none is given. */
  setSpikes(population: PopulationHandle | string, spikes: Int32Array | Float32Array | Uint8Array | readonly number[], options: MemberOption = {}): void {
    const g = this.group(population, 'population');
    if (!(g.source instanceof ExternalSource)) throw new PlasticityError('E_PARAM', `population ${JSON.stringify(g.name)} is not external (addExternal)`);
    g.source.set(spikes, options.member === undefined ? undefined : this.member(options));
  }

  /** Spikes for the next step of every member of an external population at once (closed-loop tasks
   *  with a population): a vector of length members·n, member-major; non-zero entries spike with that value. */
  setMemberSpikes(population: PopulationHandle | string, values: ArrayLike<number>): void {
    const g = this.group(population, 'population');
    if (!(g.source instanceof ExternalSource)) throw new PlasticityError('E_PARAM', `population ${JSON.stringify(g.name)} is not external (addExternal)`);
    g.source.setAll(values);
  }

  /**
   * One state variable of every member of a population (member-major, length members·n), without a
   * copy: the engine's own array, current after every step. Read it; `state()` gives copies.
   */
  memberState(population: PopulationHandle | string, variable: string): Float32Array {
    const g = this.group(population, 'population');
    const a = g.arrays?.[variable];
    if (!a) throw new PlasticityError('E_PARAM', `population ${JSON.stringify(g.name)} has no state variable ${JSON.stringify(variable)}${g.arrays ? ` (it has ${Object.keys(g.arrays).join(', ')})` : ''}`);
    return a;
  }

  /**
   * Adds `values` (length n) to a neuron population's input channel for the next step, as a projection
   * would (e.g. injected currents of a task); of one member, or of every member when none is given.
   * Checked before anything changes.
   */
  setInput(population: PopulationHandle | string, values: ArrayLike<number>, options: MemberOption & { channel?: string } = {}): void {
    const g = this.group(population, 'population');
    if (!g.inputs) throw new PlasticityError('E_PARAM', `population ${JSON.stringify(g.name)} is a spike source; it takes no input`);
    const ch = options.channel ?? g.channels![0]!;
    const target = g.inputs[ch];
    if (!target) throw new PlasticityError('E_PARAM', `channel must be one of ${Object.keys(g.inputs).join(', ')}, got ${describeValue(options.channel)}`);
    checkValues(values, g.n, 'n');
    for (const m of this.targetMembers(options)) for (let i = 0; i < g.n; i++) target[m * g.n + i]! += values[i]!;
  }

  /** The spikes of the last step of one member (0 unless given): active indices and their event values
   *  (copies; no tfjs call). */
  spikes(population: PopulationHandle | string, options: MemberOption = {}): { indices: Int32Array; values: Float32Array } {
    const g = this.group(population, 'population');
    const m = this.member(options);
    const indices = new Int32Array(g.n);
    const count = memberSpikes(g.active, g.count, g.n, m, indices, { at: 0 });
    const local = indices.slice(0, count);
    return { indices: local, values: Float32Array.from(local, (i) => g.value[m * g.n + i]!) };
  }

  private member(options: MemberOption): number {
    return options?.member === undefined ? 0 : check.integer('member', options.member, 0, this.members - 1);
  }

  private targetMembers(options: MemberOption): number[] {
    return options?.member === undefined ? Array.from({ length: this.members }, (_, m) => m) : [this.member(options)];
  }

  /**
   * Advances `steps` steps synchronously (closed loops: set inputs, step, read spikes). Needs the fused
   * engine throughout, and weights in host memory: always on cpu for a plain network; on other backends
   * and in population networks after one awaited `step()`/`run()` (E_PARAM otherwise, as when a weight
   * tensor was replaced since).
   */
  stepSync(steps = 1): void {
    this.checkIdle('stepSync');
    requireBackend('Network.stepSync');
    check.integer('steps', steps, 0);
    if (!this.sim.fusedOnly) throw new PlasticityError('E_PARAM', 'stepSync needs every population and projection on the fused engine (see engineReport); use await step()');
    if (!acquireSync(this.sim.projections)) throw new PlasticityError('E_PARAM', 'stepSync: the weights are not in host memory on this backend; call await network.step() once first');
    this.running = true;
    try {
      for (let s = 0; s < steps; s++) this.sim.stepFused();
    } finally {
      release(this.sim.projections);
      this.running = false;
    }
  }

  /** Releases the tensors this network owns (generic states); connections stay the caller's. */
  dispose(): void {
    if (this.disposed) return;
    for (const g of this.sim.groups) disposeState(g.tensorState);
    for (const p of this.sim.projections) {
      disposeState(p.ruleState);
      for (const t of p.transforms) disposeState(t.tensorState);
    }
    for (const c of this.owned) c.dispose?.();
    this.disposed = true;
  }
}

/** A plain-object connection spec rather than a connection. */
function isConnectionSpec(c: unknown): c is ConnectionSpec {
  return c !== null && typeof c === 'object' && !(c as { weightTensor?: unknown }).weightTensor && 'format' in c && ('random' in c || 'pre' in c);
}

/** A connection of @plasticity/sparse from its spec (validated by the constructors). */
function buildConnection(c: ConnectionSpec, nPre: number, nPost: number): NetworkConnection {
  const Format = c.format === 'dense' ? DenseConnection : c.format === 'csr' ? CSRConnection : c.format === 'coo' ? COOConnection : null;
  if (!Format) throw new PlasticityError('E_PARAM', `connection.format must be 'dense', 'csr' or 'coo', got ${describeValue(c.format)}`);
  if ('random' in c) return Format.random({ nPre, nPost, p: c.random.p, seed: c.random.seed, ...(c.random.init !== undefined ? { init: c.random.init } : {}) }) as unknown as NetworkConnection;
  return Format.fromCoo({ nPre, nPost, pre: Int32Array.from(c.pre), post: Int32Array.from(c.post), weights: Float32Array.from(c.weights) }) as unknown as NetworkConnection;
}

/** Finite numbers, `length` of them (named `what` in the message); returns them. */
function checkValues(values: ArrayLike<number>, length: number, what: string): ArrayLike<number> {
  if (!values || typeof values.length !== 'number' || values.length !== length) throw new PlasticityError('E_SHAPE', `values must have length ${what} = ${length}, got ${describeValue(values)}`);
  for (let k = 0; k < length; k++) if (!Number.isFinite(values[k])) throw new PlasticityError('E_PARAM', `values[${k}] must be finite, got ${describeValue(values[k])}`);
  return values;
}
