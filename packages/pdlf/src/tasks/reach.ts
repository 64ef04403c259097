import { PlasticityError, Problems } from '@plasticity/core';
import type { SpikingPolicy } from '../policy/spiking.js';

/**
 * Multi-task control: a point mass in the plane must run in one of several goal directions, and the
 * direction is part of the observation (as the official multi-task runs feed the task goal to the
 * policy). One policy for every direction; the reward of a step is the velocity along the goal minus a
 * control cost, as in the direction-running locomotion tasks (ant_dir, swimmer_dir):
 *   a = tanh(readout)   v ← damping·v + gain·a   p ← p + v
 *   r = v·(cos θ, sin θ) − controlCost·|a|²
 * Observation (4 inputs): cos θ, sin θ, vx, vy.
 */
export interface ReachOptions {
  /** Steps per episode. */
  readonly steps: number;
  /** Goal directions (radians), one episode (and one network member) each. */
  readonly directions: readonly number[];
  readonly damping: number;
  readonly gain: number;
  readonly controlCost: number;
}

export const REACH_INPUTS = 4;
export const REACH_OUTPUTS = 2;
/** k·45°: the eight training directions. */
export const EIGHT_DIRECTIONS: readonly number[] = Array.from({ length: 8 }, (_, k) => (k * Math.PI) / 4);
/** 22.5° + k·45°: held-out directions, between the training ones. */
export const HELD_OUT_DIRECTIONS: readonly number[] = Array.from({ length: 8 }, (_, k) => ((k + 0.5) * Math.PI) / 4);

export const REACH_DEFAULTS: ReachOptions = { steps: 100, directions: EIGHT_DIRECTIONS, damping: 0.9, gain: 0.1, controlCost: 0.05 };

export function validateReach(o: ReachOptions): string[] {
  const v = new Problems();
  v.add(Number.isSafeInteger(o.steps) && o.steps >= 1, `steps must be an integer >= 1, got ${String(o.steps)}`);
  v.add(Array.isArray(o.directions) && o.directions.length >= 1 && o.directions.every(Number.isFinite), 'directions must be a non-empty array of finite angles (radians)');
  v.add(Number.isFinite(o.damping) && o.damping >= 0 && o.damping < 1, `damping must be in [0, 1), got ${String(o.damping)}`);
  v.add(Number.isFinite(o.gain) && o.gain > 0, `gain must be > 0, got ${String(o.gain)}`);
  v.nonNegative('controlCost', o.controlCost);
  return v.list;
}

/** Something that happens to the network during an episode (the injury experiments). */
export type Injury =
  /** Every plastic weight set to zero on steps [from, to) (the official temporary injury: 501–549 of 1000). */
  | { readonly kind: 'temporary'; readonly from: number; readonly to: number }
  /** A fixed set of hidden neurons blocked for the whole episode: their weights zeroed and frozen. */
  | { readonly kind: 'permanent'; readonly blocked: readonly { readonly layer: string; readonly neurons: readonly number[] }[] };

export interface ReachEvaluation {
  /** Per genome: the mean return over the directions. */
  readonly fitness: Float64Array;
  /** Per genome and step (when asked): the reward averaged over the directions, [genome·steps + t]. */
  readonly rewards?: Float64Array;
}

/**
 * Runs every genome on every direction: one network member per (genome, direction), all simulated
 * together, closed loop (observe, step, act). The readout is what the readout neurons receive in a
 * step (a linear readout of the last hidden layer), so an observation acts one step later.
 */
export async function evaluateReach(policy: SpikingPolicy, genomes: readonly ArrayLike<number>[], task: Partial<ReachOptions> = {},
  options: { readonly seed?: number; readonly injury?: Injury; readonly recordRewards?: boolean } = {}): Promise<ReachEvaluation> {
  const o = { ...REACH_DEFAULTS, ...task };
  const problems = validateReach(o);
  if (problems.length) throw new PlasticityError('E_PARAM', `reach task: ${problems.join('; ')}`);
  if (!policy.spiking || policy.gru) throw new PlasticityError('E_PARAM', 'reach task: takes a spiking policy without a GRU branch');
  if (policy.options.nIn !== REACH_INPUTS || policy.options.nOut !== REACH_OUTPUTS) {
    throw new PlasticityError('E_SHAPE', `reach task: the policy must have nIn = ${REACH_INPUTS} and nOut = ${REACH_OUTPUTS}, got ${policy.options.nIn} and ${policy.options.nOut}`);
  }
  const D = o.directions.length, G = genomes.length, M = G * D;
  const net = policy.build(M, options.seed ?? 1);
  try {
    for (let g = 0; g < G; g++) for (let d = 0; d < D; d++) await policy.setGenome(net, genomes[g]!, g * D + d);
    const injury = options.injury;
    if (injury?.kind === 'permanent') for (let m = 0; m < M; m++) for (const b of injury.blocked) await policy.block(net, b.layer, b.neurons, m);
    const biases = genomes.map((g) => policy.biases(g));
    const vel = new Float64Array(2 * M), act = new Float64Array(2 * M);
    const total = new Float64Array(G), rewards = options.recordRewards ? new Float64Array(G * o.steps) : undefined;
    const obs = new Float32Array(M * REACH_INPUTS); // every member's observation, member-major
    const member = (m: number) => (M > 1 ? { member: m } : {});
    let awaitNext = true;
    for (let t = 0; t < o.steps; t++) {
      if (injury?.kind === 'temporary' && t >= injury.from && t < injury.to) {
        // every weight to zero; plasticity regrows the fast weights, the baseline gets its own back after
        for (let m = 0; m < M; m++) for (const s of policy.slices) if (s.key === 'lr' || s.key === 'weights') await net.setWeights(s.target, new Float32Array(s.length), member(m));
        awaitNext = true;
      } else if (injury?.kind === 'temporary' && t === injury.to && !policy.options.plastic) {
        for (let m = 0; m < M; m++) await policy.setGenome(net, genomes[Math.floor(m / D)]!, m);
        awaitNext = true;
      }
      for (let m = 0; m < M; m++) {
        const theta = o.directions[m % D]!, at = m * REACH_INPUTS;
        obs[at] = Math.cos(theta); obs[at + 1] = Math.sin(theta); obs[at + 2] = vel[2 * m]!; obs[at + 3] = vel[2 * m + 1]!;
        for (const b of biases[Math.floor(m / D)]!) net.setInput(b.layer, b.values, member(m));
      }
      net.setMemberSpikes('in', obs);
      if (awaitNext) { await net.step(); awaitNext = false; } else net.stepSync();
      const inp = net.memberState('out', 'inp');
      for (let m = 0; m < M; m++) {
        const theta = o.directions[m % D]!;
        let cost = 0;
        for (let k = 0; k < 2; k++) {
          act[2 * m + k] = Math.tanh(inp[m * REACH_OUTPUTS + k]!);
          vel[2 * m + k] = o.damping * vel[2 * m + k]! + o.gain * act[2 * m + k]!;
          cost += act[2 * m + k]! ** 2;
        }
        const r = vel[2 * m]! * Math.cos(theta) + vel[2 * m + 1]! * Math.sin(theta) - o.controlCost * cost;
        const g = Math.floor(m / D);
        total[g]! += r / D;
        if (rewards) rewards[g * o.steps + t]! += r / D;
      }
    }
    return { fitness: total, ...(rewards ? { rewards } : {}) };
  } finally {
    net.dispose();
  }
}

/**
 * A reference return for plots: the mean over the task's directions of the best constant action's
 * return. A constant a builds the velocity v_t = gain·a·(1 − dᵗ⁺¹)/(1 − d), so the return is
 * (a·g)·S − cost·|a|²·T with S = Σ_t gain·(1 − dᵗ⁺¹)/(1 − d); each component is maximised at
 * a_k = clip(g_k·S / (2·cost·T), −1, 1) (full thrust without a control cost). A policy that varies
 * its action can do a little better, but not much.
 */
export function reachReference(task: Partial<ReachOptions> = {}): number {
  const o = { ...REACH_DEFAULTS, ...task };
  let S = 0;
  for (let t = 0; t < o.steps; t++) S += (o.gain * (1 - o.damping ** (t + 1))) / (1 - o.damping);
  let total = 0;
  for (const theta of o.directions) {
    for (const g of [Math.cos(theta), Math.sin(theta)]) {
      const a = o.controlCost > 0 ? Math.max(-1, Math.min(1, (g * S) / (2 * o.controlCost * o.steps))) : Math.sign(g);
      total += a * g * S - o.controlCost * a * a * o.steps;
    }
  }
  return total / o.directions.length;
}

