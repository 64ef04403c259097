import { PlasticityError, createRng } from '@plasticity/core';
import type { SpikingPolicy } from '../policy/spiking.js';
import { batchSharedReadout } from './batch-shared.js';
import { COPY_INPUTS, copyTrials, recallItem, scoreCopy, type CopyTaskOptions, type CopyTrials } from './copy.js';

export interface CopyEvaluation {
  /** Per genome: accuracy + 0.05·margin (accuracy decides; the margin breaks ties for the ES). */
  readonly fitness: Float64Array;
  /** Per genome: the fraction of recall items answered right (chance 0.5). */
  readonly accuracy: Float64Array;
}

export interface CopyEvalOptions {
  /** Seed of the trials (the same for every genome of a call: common random numbers). */
  readonly seed: number;
  /** Reset every membrane potential, trace and GRU state after the delay, keeping the synapses (the memory test). */
  readonly resetMembrane?: boolean;
  /**
   * 'per-sequence' (default): every sequence has its own fast weights, one population member each.
   * 'batch-shared': the official batched policy's one plastic matrix per genome, shared by the sequences
   * of the evaluation, its Hebbian terms summed over them (`batchSharedReadout`).
   */
  readonly fastWeights?: 'per-sequence' | 'batch-shared';
}

/**
 * Runs every genome on the same copying trials, each sequence with its own fast weights: the
 * network has one member per (genome, sequence), all simulated together by the population engine.
 * The readout is the input the readout neurons receive in a step (a linear readout of the last hidden
 * layer's spikes), summed over each recall item's steps one step late (input → hidden → readout takes
 * one step), plus the GRU branch's output when the policy has one (in the step it sees the input); its
 * sign is the answer.
 */
export async function evaluateCopy(policy: SpikingPolicy, genomes: readonly ArrayLike<number>[], task: Partial<CopyTaskOptions>, options: CopyEvalOptions): Promise<CopyEvaluation> {
  if (policy.options.nIn !== COPY_INPUTS) {
    throw new PlasticityError('E_SHAPE', `copy task: the policy must have nIn = ${COPY_INPUTS} (bit 1, bit 0, cue), got ${policy.options.nIn}`);
  }
  if (options.fastWeights !== undefined && options.fastWeights !== 'per-sequence' && options.fastWeights !== 'batch-shared') {
    throw new PlasticityError('E_PARAM', `copy task: fastWeights must be 'per-sequence' or 'batch-shared', got ${JSON.stringify(options.fastWeights)}`);
  }
  const trials = copyTrials(task, createRng(options.seed));
  const { sequences: S, length } = trials.options;
  const G = genomes.length, M = G * S;
  if (options.fastWeights === 'batch-shared' && policy.spiking && policy.options.plastic) {
    return score(trials, G, (g) => batchSharedReadout(policy, Float32Array.from(genomes[g]!), trials, options.resetMembrane === true));
  }
  const net = policy.spiking ? policy.build(M, options.seed) : null;
  try {
    if (net) for (let g = 0; g < G; g++) for (let s = 0; s < S; s++) await policy.setGenome(net, genomes[g]!, g * S + s);
    const biases = genomes.map((g) => policy.biases(g)); // the weight-trained baseline's, every step
    const gru = policy.gru, gruParams = genomes.map((g) => policy.gruParams(g));
    const gruH = new Float64Array(gru ? M * gru.hidden : 0), gruOut = new Float64Array(policy.options.nOut);
    const readout = new Float64Array(M * length);
    const xs = new Float32Array(M * COPY_INPUTS); // every member's input of a step, member-major
    const member = (m: number) => (net && net.members > 1 ? { member: m } : {});
    const nOut = policy.options.nOut;
    let awaitNext = true; // the first step after building or a reset acquires the weights
    for (let t = 0; t <= trials.steps; t++) {
      const now = recallItem(trials, t), late = recallItem(trials, t - 1);
      for (let m = 0; m < M; m++) {
        const s = m % S, x = xs.subarray(m * COPY_INPUTS, (m + 1) * COPY_INPUTS);
        if (t < trials.steps) x.set(trials.inputs.subarray((t * S + s) * COPY_INPUTS, (t * S + s + 1) * COPY_INPUTS));
        else x.fill(0);
        if (net) for (const b of biases[Math.floor(m / S)]!) net.setInput(b.layer, b.values, member(m));
        // the GRU branch answers in the step it sees the input
        if (gru && t < trials.steps) {
          gru.step(gruParams[Math.floor(m / S)]!, x, gruH.subarray(m * gru.hidden, (m + 1) * gru.hidden), gruOut);
          if (now >= 0) for (let j = 0; j < gruOut.length; j++) readout[m * length + now]! += gruOut[j]!;
        }
      }
      if (net) {
        net.setMemberSpikes('in', xs);
        if (awaitNext) { await net.step(); awaitNext = false; } else net.stepSync();
        if (late >= 0 && late < length) {
          const inp = net.memberState('out', 'inp');
          for (let m = 0; m < M; m++) {
            let sum = 0;
            for (let j = 0; j < nOut; j++) sum += inp[m * nOut + j]!;
            readout[m * length + late]! += sum;
          }
        }
      }
      if (options.resetMembrane && t === trials.recallStart - 1) {
        if (net) { await net.reset({ weights: false }); awaitNext = true; }
        gruH.fill(0); // the GRU's memory is its state: the reset takes it too
      }
    }
    return score(trials, G, (g) => readout.subarray(g * S * length, (g + 1) * S * length));
  } finally {
    net?.dispose();
  }
}

/** Fitness (accuracy + 0.05·margin) and accuracy of every genome from its readouts. */
function score(trials: CopyTrials, G: number, readoutOf: (g: number) => Float64Array): CopyEvaluation {
  const fitness = new Float64Array(G), accuracy = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const s = scoreCopy(trials, readoutOf(g));
    accuracy[g] = s.accuracy;
    fitness[g] = s.accuracy + 0.05 * s.margin;
  }
  return { fitness, accuracy };
}
