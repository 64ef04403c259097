import type { Tensor } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, describeValue, type Neuron, type NeuronDims, type Params, type PluginState } from '@plasticity/core';

/** Per-neuron state arrays of a population on the fused path (float32, length n each). */
export type NeuronArrays = Record<string, Float32Array>;

/**
 * Typed-array implementation of a neuron model for the fused engine. One time step is split in two
 * phases so that a network follows Brian2's schedule (state update → threshold → synapses → reset):
 * `integrate` advances the state and finds the spiking neurons; after every projection delivered its
 * input for this step, `deliver` adds the input channels to the state and resets the spiking neurons.
 * Input delivered in step n therefore first affects spiking in step n + 1.
 */
export interface FusedNeuron {
  /** Advances the state one step; writes spiking neurons to `active` and their event value (1, or ±1
   *  for ternary neurons) to `value[i]`; returns how many spiked. */
  integrate(active: Int32Array, value: Float32Array): number;
  /** Adds the input channels (read, then zeroed) and resets the `count` spiking neurons in `active`. */
  deliver(active: Int32Array, count: number): void;
}

/**
 * A neuron model plugin of @plasticity/snn: the core Neuron contract (`init`, `step`) plus the two
 * tensor phases and the typed-array kernel. `step(input)` = `integrate` then `deliver({ [channel0]:
 * input })`. State tensors have shape [n] (batch 1) or [batch, n]; the fused path runs batch 1.
 */
export interface SpikingNeuron<P extends Params = Params, S extends PluginState = PluginState> extends Neuron<P, S> {
  /** Names of the state variables (each float32, one value per neuron). */
  readonly stateVars: readonly string[];
  /** Spikes carry a sign (event values ±1, e.g. ternary neurons) instead of being 0/1; rules that
   *  assume binary events (lazy potentiation) then run their exact kernel. */
  readonly signedSpikes?: boolean;
  /** Input channels a projection can target; the first is the default (e.g. 'ge', or 'v' for delta synapses). */
  readonly channels: readonly string[];
  /** Initial value of each state variable. */
  initialState(params: P, dtMs: number): Record<string, number>;
  integrate(state: S, params: P, dtMs: number): { spikes: Tensor; state: S };
  deliver(inputs: Readonly<Record<string, Tensor>>, spikes: Tensor, state: S, params: P, dtMs: number): S;
  /** The typed-array kernel over `state` (length n each) with input accumulators `inputs` (one per channel). */
  fused(state: NeuronArrays, inputs: Readonly<Record<string, Float32Array>>, params: P, dtMs: number): FusedNeuron;
}

export function isSpikingNeuron(neuron: unknown): neuron is SpikingNeuron {
  const n = neuron as Partial<SpikingNeuron> | null;
  return !!n && typeof n === 'object' && n.kind === 'neuron' && typeof n.fused === 'function' &&
    typeof n.integrate === 'function' && typeof n.deliver === 'function' && Array.isArray(n.stateVars);
}

export const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isPositive = (v: unknown): v is number => isFiniteNumber(v) && v > 0;

/** Shared `init`: fills every state variable with its initial value, shape [n] or [batch, n]. */
export function initTensors<P extends Params>(neuron: { stateVars: readonly string[]; initialState(p: P, dt: number): Record<string, number> },
  dims: NeuronDims, params: P, dtMs = 0.1): Record<string, Tensor> {
  const shape = dims.batch === 1 ? [dims.n] : [dims.batch, dims.n];
  const init = neuron.initialState(params, dtMs);
  const out: Record<string, Tensor> = {};
  for (const k of neuron.stateVars) out[k] = tf.fill(shape, init[k]!, 'float32');
  return out;
}

export function checkDt(dtMs: unknown): number {
  if (typeof dtMs !== 'number' || !Number.isFinite(dtMs) || dtMs <= 0) {
    throw new PlasticityError('E_PARAM', `dtMs must be a finite number > 0, got ${describeValue(dtMs)}`);
  }
  return dtMs;
}

/** Runs `integrate` then `deliver` with `input` on the first channel (the core Neuron `step`). */
export function stepVia<P extends Params, S extends PluginState>(n: SpikingNeuron<P, S>, input: Tensor, state: S, params: P, dtMs: number): { spikes: Tensor; state: S } {
  checkDt(dtMs);
  const { spikes, state: mid } = n.integrate(state, params, dtMs);
  const next = n.deliver({ [n.channels[0]!]: input }, spikes, mid, params, dtMs);
  for (const k of Object.keys(mid)) {
    const t = (mid as Record<string, unknown>)[k];
    if (t instanceof tf.Tensor && (next as Record<string, unknown>)[k] !== t && (state as Record<string, unknown>)[k] !== t) t.dispose();
  }
  return { spikes, state: next };
}
