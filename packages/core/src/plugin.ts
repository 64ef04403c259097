import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';
import { PlasticityError } from './errors.js';
import type { FusedKernelConfig, FusedTransformConfig } from './fused/contract.js';
import type { Rng } from './rng.js';

/** JSON values only: plugin parameters never hold functions, so configs round-trip through JSON. */
export type JsonPrimitive = number | string | boolean | null;
export type JsonValue = JsonPrimitive | readonly JsonValue[] | { readonly [key: string]: JsonValue };
export type Params = { readonly [key: string]: JsonValue };

export type PluginKind = 'rule' | 'transform' | 'neuron' | 'format';
/** Namespaced plugin name, e.g. 'core/stdp', 'bio/dale', 'acme/my-rule'. */
export type PluginName = `${string}/${string}`;

export interface Plugin<P extends Params = Params, K extends PluginKind = PluginKind> {
  readonly kind: K;
  readonly name: PluginName;
  readonly specVersion: 1;
  /** Complete parameter set; configs are filled from these. */
  readonly defaults: P;
  /** One line for listings and error messages. */
  readonly description?: string;
  /** Problems with `params` as sentences naming the parameter; [] when valid. */
  validate?(params: P): string[];
}

// ---------------------------------------------------------------------------------------------
// Synapse operations. Every connection format implements these, so one rule works on all formats.
// Conventions: weights are W[pre, post]; an event element is active iff it is != 0; bounds clip
// only the synapses an operation touches.

/** Spike vector (0/1 or float events): active iff != 0. */
export type SpikeVector = Tensor | Uint8Array | Float32Array;
/** Per-neuron values (traces, rates), length nPre or nPost. */
export type ValueVector = Tensor | Float32Array;

export interface Bounds {
  readonly wMin?: number;
  readonly wMax?: number;
}

/** Per-synapse context handed to `mapSynapses`; all vectors are in the connection's storage order. */
export interface SynapseContext {
  /** Presynaptic index of each stored synapse (int32, length nnz). */
  readonly pre: Tensor1D;
  /** Postsynaptic index of each stored synapse (int32, length nnz). */
  readonly post: Tensor1D;
  /** Per-synapse parameter vectors given to `mapSynapses`, length nnz each. */
  readonly params: Readonly<Record<string, Tensor1D>>;
}

/** Elementwise update of the stored weights (length nnz) written with tfjs ops; runs on any backend. */
export type SynapseMap = (weights: Tensor1D, synapses: SynapseContext) => Tensor1D;

export interface SynapseOps {
  readonly nPre: number;
  readonly nPost: number;
  /** Number of stored synapses. */
  readonly nnz: number;
  /** W[i, j] += postValues[j] for every stored synapse of each active pre i (length nPre / nPost). */
  onPre(preActive: SpikeVector, postValues: ValueVector, bounds?: Bounds): void;
  /** W[i, j] += preValues[i] for every stored synapse of each active post j. */
  onPost(preValues: ValueVector, postActive: SpikeVector, bounds?: Bounds): void;
  /**
   * W[i, j] += scale · a[i] · b[j] on stored synapses only. With a: [batch, nPre] and b: [batch, nPost]
   * the outer products are summed over the batch.
   */
  addOuter(a: ValueVector, b: ValueVector, scale: number, bounds?: Bounds): void;
  /** W ← map(W) elementwise on stored synapses; per-synapse parameters are in storage order. */
  mapSynapses(map: SynapseMap, perSynapseParams?: Readonly<Record<string, ValueVector>>, bounds?: Bounds): void;
}

// ---------------------------------------------------------------------------------------------
// Rules keep short-term state (traces, eligibility, thresholds) apart from the weights, which they
// change only through SynapseOps.

/** Rule, neuron and transform state: tensors, typed arrays or numbers, so it can be checkpointed. */
export type PluginState = { readonly [key: string]: Tensor | Float32Array | Int32Array | Uint8Array | number };

export interface RuleDims {
  readonly nPre: number;
  readonly nPost: number;
  readonly batch: number;
}

/** The structure of a connection as per-synapse state sees it: the (pre, post) pair of every stored
 *  synapse, in the connection's storage order. */
export interface SynapseStructure {
  readonly nPre: number;
  readonly nPost: number;
  readonly nnz: number;
  readonly pre: Int32Array;
  readonly post: Int32Array;
}

/**
 * Long-term per-synapse arrays a rule or transform owns (PDLF's lr, A, B, C, D; a learning-rate factor;
 * a freeze mask): one Float32Array of length nnz per name, in storage order. They are state, not JSON
 * params: checkpointed with the weights and read and written by kernels in place.
 */
export type SynapseArrays = Readonly<Record<string, Float32Array>>;

export interface RuleStepIO {
  /** Presynaptic activity of this step, [batch, nPre] (or [nPre] when batch is 1). */
  readonly pre: Tensor;
  /** Postsynaptic activity of this step, [batch, nPost] (or [nPost]). */
  readonly post: Tensor;
  readonly conn: SynapseOps;
  /** Time step in milliseconds. */
  readonly dtMs: number;
  /** Neuromodulator (reward, dopamine) for three-factor rules. */
  readonly modulator?: number | Tensor;
  /** The rule's per-synapse arrays (see `Rule.synapseArrays`), storage order; hand them to
   *  `conn.mapSynapses` as per-synapse params. Writing them changes the long-term state. */
  readonly synapses?: SynapseArrays;
}

export interface Rule<P extends Params = Params, S extends PluginState = PluginState> extends Plugin<P, 'rule'> {
  init(dims: RuleDims, params: P): S;
  /** Advances the rule one step: asks `io.conn` for weight updates and returns the new state. */
  step(io: RuleStepIO, state: S, params: P): S;
  /**
   * The rule's fused kernel (typed arrays, many steps per call; `@plasticity/core/fused`). Registering
   * the rule registers it too; `registry.registerKernel` adds or replaces one for any rule. Its
   * `rule` must be this rule's name. A Network runs the rule's `step` per time step without one.
   */
  readonly fused?: FusedKernelConfig<P>;
  /** Long-term per-synapse arrays this rule needs, created once per projection (length nnz each;
   *  `rng` is the projection's own stream). */
  synapseArrays?(structure: SynapseStructure, params: P, rng: Rng): Record<string, Float32Array>;
}

/**
 * What a transform acts on: weights (a dense tensor, or the stored weights [nnz] of a connection in
 * storage order) and optionally their gradient before an optimizer step. On a connection `synapses`
 * gives the (pre, post) pair of every stored synapse and the transform's per-synapse arrays.
 */
export interface TransformInput {
  readonly weights: Tensor;
  readonly gradient?: Tensor;
  readonly synapses?: SynapseContext;
}
export interface TransformOutput<S extends PluginState> {
  readonly weights?: Tensor;
  readonly gradient?: Tensor;
  readonly state?: S;
}

export interface Transform<P extends Params = Params, S extends PluginState = PluginState> extends Plugin<P, 'transform'> {
  init?(shape: readonly number[], params: P, seed: number): S;
  apply(input: TransformInput, state: S, params: P): TransformOutput<S>;
  /** The transform's typed-array form, which a network runs after each fused rule step. */
  readonly fused?: FusedTransformConfig<P>;
  /** Long-term per-synapse arrays this transform needs on a connection (length nnz each). */
  synapseArrays?(structure: SynapseStructure, params: P, rng: Rng): Record<string, Float32Array>;
}

export interface NeuronDims {
  readonly n: number;
  readonly batch: number;
}

export interface Neuron<P extends Params = Params, S extends PluginState = PluginState> extends Plugin<P, 'neuron'> {
  init(dims: NeuronDims, params: P): S;
  /** Integrates the input current over one step of `dtMs`; returns the spikes and the new state. */
  step(input: Tensor, state: S, params: P, dtMs: number): { spikes: Tensor; state: S };
}

/** A connection format: constructs a SynapseOps from COO triples. */
export interface Format<P extends Params = Params, C extends SynapseOps = SynapseOps> extends Plugin<P, 'format'> {
  fromCoo(coo: { nPre: number; nPost: number; pre: Int32Array; post: Int32Array; weights: Float32Array }, params: P): C;
}

export type AnyPlugin = Plugin<any, PluginKind>;

// Typed helpers: infer P and S from the object and fix `kind`, so users write plain objects.
export function defineRule<P extends Params, S extends PluginState>(rule: Omit<Rule<P, S>, 'kind' | 'specVersion'>): Rule<P, S> {
  if (rule.fused !== undefined && rule.fused?.rule !== rule.name) {
    throw new PlasticityError('E_REGISTRY', `rule ${JSON.stringify(rule.name)}: its fused kernel is for ${JSON.stringify(rule.fused?.rule)}; kernel.rule must be the rule's name`);
  }
  return Object.freeze({ ...rule, kind: 'rule', specVersion: 1 }) as Rule<P, S>;
}
export function defineTransform<P extends Params, S extends PluginState = PluginState>(
  transform: Omit<Transform<P, S>, 'kind' | 'specVersion'>,
): Transform<P, S> {
  return Object.freeze({ ...transform, kind: 'transform', specVersion: 1 }) as Transform<P, S>;
}
export function defineNeuron<P extends Params, S extends PluginState>(neuron: Omit<Neuron<P, S>, 'kind' | 'specVersion'>): Neuron<P, S> {
  return Object.freeze({ ...neuron, kind: 'neuron', specVersion: 1 }) as Neuron<P, S>;
}
export function defineFormat<P extends Params, C extends SynapseOps>(format: Omit<Format<P, C>, 'kind' | 'specVersion'>): Format<P, C> {
  return Object.freeze({ ...format, kind: 'format', specVersion: 1 }) as Format<P, C>;
}
