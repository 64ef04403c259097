import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import type { Neuron, Params, PluginState, Rule, SynapseOps, SynapseStructure, Transform } from '@plasticity/core';
import { propagate, type FusedKernel, type FusedTransform, type SynapseTable } from '@plasticity/core/fused';
import type { FusedNeuron, NeuronArrays, SpikingNeuron } from '../neurons/types.js';
import type { SpikeSource } from '../sources/sources.js';

// The engine's model of a network: populations (groups) and projections as typed arrays, shared by
// the builder (Network), the step loops and checkpoints.

/**
 * What a Network needs from a connection: the SynapseOps of @plasticity/sparse (Dense, CSR, COO)
 * plus its weight tensor in storage order and the (pre, post) pair of every stored synapse.
 */
export interface NetworkConnection extends SynapseOps {
  readonly format: 'dense' | 'csr' | 'coo';
  readonly homogeneous: boolean;
  readonly weightTensor: Tensor;
  /**
   * Optional: a number that changes whenever the weights may have changed. @plasticity/sparse's
   * connections have it; it is how a trainable connection (whose weight tensor is always the same
   * tf.Variable) tells that an optimizer assigned new weights.
   */
  readonly weightsVersion?: number;
  pairs(): { pre: Int32Array; post: Int32Array };
  getWeights(): Promise<Float32Array>;
  setWeights(values: ArrayLike<number> | Tensor): void;
  dispose(): void;
}

/** Identifies a connection's weights: the tensor object and, where the connection counts them, its version. */
export interface WeightStamp {
  readonly tensor: Tensor;
  readonly version: number | undefined;
}

export function weightStamp(conn: NetworkConnection): WeightStamp {
  return { tensor: conn.weightTensor, version: conn.weightsVersion };
}

/** True when `stamp` still describes the connection's weights. */
export function sameWeights(conn: NetworkConnection, stamp: WeightStamp | null): boolean {
  return stamp !== null && conn.weightTensor === stamp.tensor && conn.weightsVersion === stamp.version;
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

export interface Group {
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
  /** In a population network, a shared source's spikes are drawn once and copied to every member. */
  readonly replicate: boolean;
}

/** A transform on a projection: its fused instance (fused engine) or its tensor state (tensor path). */
export interface TransformSlot {
  readonly transform: Transform;
  readonly params: Params;
  readonly fused: FusedTransform | null;
  tensorState?: PluginState;
}

export interface Projection {
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
  /** Transforms run after the rule's step, in order. */
  readonly transforms: readonly TransformSlot[];
  /** Long-term per-synapse arrays of the rule and the transforms (one namespace per projection). */
  readonly synapses: Record<string, Float32Array>;
  /** Their values at connect time (reset({ weights: true })). */
  readonly synapses0: Readonly<Record<string, Float32Array>>;
  /** (pre, post) of every stored synapse, built on first use. */
  readonly structure: () => SynapseStructure;
  readonly w0: Promise<Float32Array>;
  /** Host weights during a run (the cpu tensor's own buffer, or a copy on other backends). */
  w: Float32Array | null;
  copied: boolean;
  /** The host copy kept between runs on backends other than cpu (null on cpu or when stale). */
  host: Float32Array | null;
  /** The weights as the kernel last published them (see weightStamp; a different stamp means replaced). */
  published: WeightStamp | null;
  readonly ring: { active: Int32Array[]; value: Float32Array[]; count: Int32Array } | null;
  /** Every pre event is 1 (a source, or neurons without signed spikes). */
  readonly binaryPre: boolean;
  /** Population networks (members > 1): one kernel per member over member views; null when P = 1. */
  members: MemberSlots | null;
}

/**
 * A projection's per-member parts in a population network. Arrays are member-major: member m's
 * neuron i is element m·n + i, its synapse k element m·nnz + k; the views below are those slices.
 */
export interface MemberSlots {
  readonly kernels: FusedKernel[];
  /** transforms[t][m]: transform t's instance for member m. */
  readonly transforms: FusedTransform[][];
  /** Weights of every member (P·nnz), filled from the connection at the first run. */
  w: Float32Array | null;
  wViews: Float32Array[];
  readonly preValue: Float32Array[];
  /** Per delay slot, per member (empty without a delay). */
  readonly ringValue: Float32Array[][];
  readonly postValue: Float32Array[];
  readonly input: Float32Array[];
  /** Member-local spike lists of the current member. */
  readonly pre: Int32Array;
  readonly post: Int32Array;
}

export const EMPTY_I32 = new Int32Array(0);

/** Static weights: propagation only. */
export const staticKernel = (t: SynapseTable): FusedKernel => ({
  step: (io) => propagate(t, io),
  state: () => ({ arrays: {}, data: {} }),
  setState: () => undefined,
  reset: () => undefined,
});

export function disposeState(state: PluginState | undefined, keep?: PluginState): void {
  if (!state) return;
  const kept = new Set(keep ? Object.values(keep) : []);
  for (const v of Object.values(state)) if (v instanceof tf.Tensor && !kept.has(v)) v.dispose();
}


/**
 * Member m's spikes of a member-major spike list sorted by index (active[0..count)): copies the local
 * indices into `out` and returns how many (`from` is where member m's spikes start; updated).
 */
export function memberSpikes(active: Int32Array, count: number, n: number, m: number, out: Int32Array, cursor: { at: number }): number {
  const lo = m * n, hi = lo + n;
  let c = cursor.at, k = 0;
  while (c < count && active[c]! < lo) c++;
  for (; c < count && active[c]! < hi; c++) out[k++] = active[c]! - lo;
  cursor.at = c;
  return k;
}

/** Forgets a population's spikes of the last step (kept readable until the next step starts). */
export function clearSpikes(g: Group): void {
  for (let c = 0; c < g.count; c++) g.value[g.active[c]!] = 0;
  g.count = 0;
}
