import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRng, initBackend } from '@plasticity/core';
import { expectPlasticityError } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpikingPolicy } from '../policy/spiking.js';
import { evaluateCopy } from './copy-eval.js';
import { evaluateReach } from './reach.js';
import { COPY_INPUTS, copyTrials, recallItem, scoreCopy } from './copy.js';

beforeAll(async () => {
  await initBackend('cpu'); // quiet: no tfjs-node advert
});

describe('the copying task', () => {
  it('lays out sample, delay and recall: one bit channel per sample step, the cue in recall, silence between', () => {
    const o = { length: 3, latency: 4, stimulusSteps: 2, sequences: 5 };
    const tr = copyTrials(o, createRng(1));
    expect(tr.steps).toBe(2 * 3 * 2 + 4);
    expect(tr.recallStart).toBe(10);
    const at = (t: number, s: number) => Array.from(tr.inputs.subarray((t * 5 + s) * COPY_INPUTS, (t * 5 + s + 1) * COPY_INPUTS));
    for (let s = 0; s < 5; s++) {
      for (let item = 0; item < 3; item++) {
        const bit = tr.bits[s * 3 + item];
        for (let k = 0; k < 2; k++) {
          expect(at(item * 2 + k, s)).toEqual(bit ? [1, 0, 0] : [0, 1, 0]);
          expect(at(10 + item * 2 + k, s)).toEqual([0, 0, 1]);
          expect(recallItem(tr, 10 + item * 2 + k)).toBe(item);
        }
      }
      for (let t = 6; t < 10; t++) expect(at(t, s)).toEqual([0, 0, 0]);
    }
    expect(recallItem(tr, 9)).toBe(-1);
    // both bit values occur, and the same seed draws the same sequences
    const many = copyTrials({ ...o, sequences: 50 }, createRng(2));
    const ones = many.bits.reduce((a, b) => a + b, 0);
    expect(ones).toBeGreaterThan(50);
    expect(ones).toBeLessThan(100);
    expect(copyTrials({ ...o, sequences: 50 }, createRng(2)).bits).toEqual(many.bits);
  });

  it('scores answers: perfect 1, inverted 0, a silent readout chance', () => {
    const tr = copyTrials({ length: 8, sequences: 4 }, createRng(3));
    const perfect = Float64Array.from(tr.bits, (b) => (b ? 2 : -2));
    expect(scoreCopy(tr, perfect).accuracy).toBe(1);
    expect(scoreCopy(tr, perfect).margin).toBeCloseTo(Math.tanh(2), 12);
    expect(scoreCopy(tr, perfect.map((v) => -v)).accuracy).toBe(0);
    const silent = scoreCopy(tr, new Float64Array(tr.bits.length));
    expect(silent.accuracy).toBe(1 - tr.bits.reduce((a, b) => a + b, 0) / tr.bits.length);
    expect(silent.margin).toBe(0);
  });

  it('rejects bad settings', () => {
    expectPlasticityError(() => copyTrials({ length: 0 }, createRng(1)), 'E_PARAM', /length must be an integer >= 1, got 0/);
    expectPlasticityError(() => copyTrials({ latency: -1, stimulusSteps: 1.5 }, createRng(1)), 'E_PARAM', /latency must be an integer >= 0.*stimulusSteps must be an integer >= 1/);
  });
});

describe('the spiking policy', () => {
  it('its genome is the five coefficients of every projection, written member by member', async () => {
    const policy = new SpikingPolicy({ hidden: [6], nOut: 2 });
    expect(policy.dim).toBe(5 * (3 * 6 + 6 * 2));
    expect(policy.slices.map((s) => `${s.target}.${s.key}`).slice(0, 6)).toEqual(['in->h0.lr', 'in->h0.A', 'in->h0.B', 'in->h0.C', 'in->h0.D', 'h0->out.lr']);
    const net = policy.build(3);
    const genome = Float32Array.from({ length: policy.dim }, (_, k) => k);
    await policy.setGenome(net, genome, 2);
    expect(Array.from(net.synapseArrays('h0->out', { member: 2 }).C!)).toEqual(Array.from({ length: 12 }, (_, k) => 90 + 36 + k));
    expect(Array.from(net.synapseArrays('h0->out', { member: 1 }).C!)).toEqual(new Array(12).fill(0));
    expectPlasticityError(() => policy.biases(new Float32Array(3)), 'E_SHAPE', /a genome has 150 values, got 3/);
    await expect(policy.setGenome(net, new Float32Array(3), 0)).rejects.toThrow(/a genome has 150 values, got 3/);
    net.dispose();
    expectPlasticityError(() => new SpikingPolicy({ hidden: [], rule: 'core/stdp' as never }), 'E_PARAM', /hidden must be a non-empty array.*rule must be one of "core\/pdp", "core\/scp"/);
  });

  it('the weight-trained baseline: weights and biases in the genome, no plasticity', async () => {
    const policy = new SpikingPolicy({ hidden: [4], nOut: 1, plastic: false });
    expect(policy.dim).toBe(3 * 4 + 4 * 1 + 4 + 1);
    expect(policy.slices.map((s) => `${s.target}.${s.key}`)).toEqual(['in->h0.weights', 'h0->out.weights', 'h0.bias', 'out.bias']);
    const net = policy.build(2);
    expect(net.engineReport().map((r) => r.rule)).toEqual([null, null]);
    const genome = Float32Array.from({ length: policy.dim }, (_, k) => k / 10);
    await policy.setGenome(net, genome, 1);
    expect(Array.from(await net.weights('h0->out', { member: 1 }))).toEqual(Array.from(genome.subarray(12, 16)));
    expect(policy.biases(genome).map((b) => [b.layer, Array.from(b.values)])).toEqual([['h0', Array.from(genome.subarray(16, 20))], ['out', [genome[20]!]]]);
    net.dispose();
    // it learns nothing during a trial: its evaluation does not depend on the task's sequences' history
    const task = { length: 3, latency: 1, stimulusSteps: 2, sequences: 2 };
    const rng = createRng(3);
    const gs = [0, 1].map(() => rng.normal(policy.dim, 0, 1));
    const both = await evaluateCopy(policy, gs, task, { seed: 5 });
    expect((await evaluateCopy(policy, [gs[1]!], task, { seed: 5 })).fitness[0]).toBe(both.fitness[1]);
  });

  it('evaluates on the population engine: a genome scores the same alone as among others, and the same seed repeats', async () => {
    const policy = new SpikingPolicy({ hidden: [16] });
    const rng = createRng(7);
    const genomes = [0, 1, 2].map(() => rng.normal(policy.dim, 0, 1));
    const task = { length: 4, latency: 2, stimulusSteps: 2, sequences: 3 };
    const all = await evaluateCopy(policy, genomes, task, { seed: 11 });
    const alone = await evaluateCopy(policy, [genomes[1]!], task, { seed: 11 });
    expect(alone.fitness[0]).toBe(all.fitness[1]);
    expect(alone.accuracy[0]).toBe(all.accuracy[1]);
    expect(Array.from((await evaluateCopy(policy, genomes, task, { seed: 11 })).fitness)).toEqual(Array.from(all.fitness));
    for (const a of all.accuracy) { expect(a).toBeGreaterThanOrEqual(0); expect(a).toBeLessThanOrEqual(1); }
    // a genome without plasticity (lr = 0) keeps its fast weights at zero: a silent readout, chance
    const frozen = new Float32Array(policy.dim);
    const silent = await evaluateCopy(policy, [frozen], task, { seed: 11 });
    const trials = copyTrials(task, createRng(11));
    expect(silent.accuracy[0]).toBeCloseTo(1 - trials.bits.reduce((a, b) => a + b, 0) / trials.bits.length, 12);
    // the memory test resets membranes and traces after the delay; the synapses keep what they learned
    const reset = await evaluateCopy(policy, genomes, task, { seed: 11, resetMembrane: true });
    expect(reset.fitness.length).toBe(3);
    expect(Array.from(reset.fitness)).not.toEqual(Array.from(all.fitness));
  });
});

describe('the GRU branch on the copying task (the official pairing)', () => {
  it('GRU alone and SNN + GRU: genome layout, a genome alone = among others, the reset clears the GRU', async () => {
    const gruOnly = new SpikingPolicy({ hidden: [], gru: 4 });
    expect(gruOnly.spiking).toBe(false);
    expect(gruOnly.slices.map((s) => s.key)).toEqual(['gru']);
    expect(gruOnly.dim).toBe(3 * 4 * 3 + 3 * 4 * 4 + 6 * 4 + 4 + 1);
    const both = new SpikingPolicy({ hidden: [8], gru: 4 });
    expect(both.slices.at(-1)).toMatchObject({ key: 'gru', length: gruOnly.dim });
    expect(both.dim).toBe(5 * (3 * 8 + 8) + gruOnly.dim);
    const task = { length: 4, latency: 3, stimulusSteps: 2, sequences: 3 };
    const rng = createRng(21);
    for (const policy of [gruOnly, both]) {
      const genomes = [0, 1].map(() => rng.normal(policy.dim, 0, 1));
      const all = await evaluateCopy(policy, genomes, task, { seed: 2 });
      expect((await evaluateCopy(policy, [genomes[1]!], task, { seed: 2 })).fitness[0]).toBe(all.fitness[1]);
      const reset = await evaluateCopy(policy, genomes, task, { seed: 2, resetMembrane: true });
      expect(Array.from(reset.fitness)).not.toEqual(Array.from(all.fitness));
    }
    // a GRU with zero weights and output bias 0 answers nothing: a silent readout, chance
    const silent = await evaluateCopy(gruOnly, [new Float32Array(gruOnly.dim)], task, { seed: 2 });
    const trials = copyTrials(task, createRng(2));
    expect(silent.accuracy[0]).toBeCloseTo(1 - trials.bits.reduce((a, b) => a + b, 0) / trials.bits.length, 12);
    expectPlasticityError(() => new SpikingPolicy({ hidden: [] }), 'E_PARAM', /hidden must be a non-empty array of layer sizes \(or \[\] with a GRU branch\)/);
    expect(() => gruOnly.build(1)).toThrow(/GRU-only policy has no network/);
  });
});

describe('evaluations leak nothing', () => {
  it('copy (with the GRU branch and the memory reset) and reach (with an injury) release every tensor', async () => {
    const copyPolicy = new SpikingPolicy({ hidden: [6], gru: 3 });
    const reachPolicy = new SpikingPolicy({ nIn: 4, nOut: 2, hidden: [6], rule: 'core/scp', lesion: true });
    const rng = createRng(30);
    const run = async () => {
      await evaluateCopy(copyPolicy, [rng.normal(copyPolicy.dim, 0, 1)], { length: 3, sequences: 2 }, { seed: 1, resetMembrane: true });
      await evaluateReach(reachPolicy, [rng.normal(reachPolicy.dim, 0, 1)], { steps: 12, directions: [0, 1] }, { injury: { kind: 'temporary', from: 3, to: 5 } });
      await evaluateReach(reachPolicy, [rng.normal(reachPolicy.dim, 0, 1)], { steps: 12, directions: [0] }, { injury: { kind: 'permanent', blocked: [{ layer: 'h0', neurons: [1, 2] }] } });
    };
    await run(); // first use uploads what the backend caches for good
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) await run();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('batch-shared fast weights (the official batched policy)', () => {
  it('with one sequence it is the engine bit for bit (pdp, scp, terms BD, the GRU branch, the memory reset)', async () => {
    const task = { length: 4, latency: 3, stimulusSteps: 2, sequences: 1 };
    const rng = createRng(41);
    for (const options of [{ hidden: [10] }, { hidden: [10], rule: 'core/scp' as const }, { hidden: [6, 5], terms: 'BD' }, { hidden: [8], gru: 3 }]) {
      const policy = new SpikingPolicy(options);
      const genomes = [0, 1, 2].map(() => rng.normal(policy.dim, 0, 1));
      for (const resetMembrane of [false, true]) {
        const engine = await evaluateCopy(policy, genomes, task, { seed: 3, resetMembrane });
        const shared = await evaluateCopy(policy, genomes, task, { seed: 3, resetMembrane, fastWeights: 'batch-shared' });
        expect(Array.from(shared.fitness)).toEqual(Array.from(engine.fitness));
        expect(new Set(engine.fitness).size).toBeGreaterThan(1); // the readouts are not silent
      }
    }
  });

  it('with several sequences one matrix learns from all of them: not the per-sequence result, and the same for every seed repeat', async () => {
    const policy = new SpikingPolicy({ hidden: [10] });
    const genome = createRng(5).normal(policy.dim, 0, 1);
    const task = { length: 4, latency: 2, stimulusSteps: 2, sequences: 6 };
    const shared = await evaluateCopy(policy, [genome], task, { seed: 8, fastWeights: 'batch-shared' });
    const own = await evaluateCopy(policy, [genome], task, { seed: 8 });
    expect(shared.fitness[0]).not.toBe(own.fitness[0]);
    expect((await evaluateCopy(policy, [genome], task, { seed: 8, fastWeights: 'batch-shared' })).fitness[0]).toBe(shared.fitness[0]);
    // the weight-trained baseline has no fast weights: both settings are the same run
    const base = new SpikingPolicy({ hidden: [10], plastic: false });
    const g = createRng(6).normal(base.dim, 0, 1);
    expect((await evaluateCopy(base, [g], task, { seed: 8, fastWeights: 'batch-shared' })).fitness[0]).toBe((await evaluateCopy(base, [g], task, { seed: 8 })).fitness[0]);
    await expect(evaluateCopy(policy, [genome], task, { seed: 8, fastWeights: 'shared' as never })).rejects.toThrow(/fastWeights must be 'per-sequence' or 'batch-shared', got "shared"/);
  });
});
