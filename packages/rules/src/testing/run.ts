import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Params, type PluginState, type Rule, type SynapseArrays, type SynapseOps } from '@plasticity/core';
import { releaseState, disposeState } from '../common.js';

export interface Trains {
  readonly steps: number;
  /** Row-major [steps, batch·nPre] activity. */
  readonly pre: ArrayLike<number>;
  /** Row-major [steps, batch·nPost] activity. */
  readonly post: ArrayLike<number>;
  /** Optional per-step modulator. */
  readonly modulator?: ArrayLike<number>;
}

/** Runs `rule` over recorded activity on `conn`, releasing replaced state each step; disposes the final state. */
export async function runRule<P extends Params, S extends PluginState>(
  rule: Rule<P, S>,
  params: P,
  conn: SynapseOps,
  trains: Trains,
  options: { dtMs?: number; batch?: number; after?: (step: number) => void | Promise<void> } = {},
): Promise<void> {
  const batch = options.batch ?? 1;
  const dtMs = options.dtMs ?? 1;
  const preW = batch * conn.nPre;
  const postW = batch * conn.nPost;
  let state = rule.init({ nPre: conn.nPre, nPost: conn.nPost, batch }, params);
  const synapses = ruleSynapses(rule, params, conn);
  for (let t = 0; t < trains.steps; t++) {
    const pre = tf.tensor2d(Float32Array.from(Array.prototype.slice.call(trains.pre, t * preW, (t + 1) * preW)), [batch, conn.nPre]);
    const post = tf.tensor2d(Float32Array.from(Array.prototype.slice.call(trains.post, t * postW, (t + 1) * postW)), [batch, conn.nPost]);
    const modulator = trains.modulator ? trains.modulator[t] : undefined;
    const next = rule.step({ pre, post, conn, dtMs, modulator, synapses }, state, params);
    releaseState(state, next);
    state = next;
    tf.dispose([pre, post]);
    await options.after?.(t);
  }
  disposeState(state);
}

/** Seeded 0/1 spike raster [steps, n] with probability p per bin (mulberry32). */
export function randomRaster(seed: number, steps: number, n: number, p: number): Uint8Array {
  let a = seed >>> 0;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Uint8Array(steps * n);
  for (let k = 0; k < out.length; k++) out[k] = rand() < p ? 1 : 0;
  return out;
}

/**
 * One step under a leak check: the live-tensor count may grow only by the tensors of the new state
 * that were not already in the old one (a rule may hand back unchanged state tensors).
 */
export async function stepWithoutLeaks<P extends Params, S extends PluginState>(
  rule: Rule<P, S>,
  io: Parameters<Rule<P, S>['step']>[0],
  state: S,
  params: P,
  expectNoLeaks: <T>(fn: () => T | Promise<T>) => Promise<T>,
): Promise<S> {
  let next: S | undefined;
  const old = new Set<unknown>(Object.values(state));
  await expectNoLeaks(() => {
    next = rule.step(io, state, params);
    return Object.values(next).filter((v) => v instanceof tf.Tensor && !old.has(v));
  });
  return next!;
}

/** The rule's per-synapse arrays for `conn` from a fixed seed (undefined for a rule without any). */
export function ruleSynapses<P extends Params>(rule: Rule<P, never> | Rule<P, PluginState>, params: P, conn: SynapseOps & { pairs?(): { pre: Int32Array; post: Int32Array } }): SynapseArrays | undefined {
  if (!rule.synapseArrays) return undefined;
  const { pre, post } = conn.pairs!();
  return rule.synapseArrays({ nPre: conn.nPre, nPost: conn.nPost, nnz: conn.nnz, pre, post }, params, createRng(17));
}
