import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { expectClose, useBackend } from '@plasticity/testing';
import { residentBytes } from './wasm/memory.js';
import { PARAMETER_NAMES, SynapticPlasticityNetwork, hostThreads, setHostThreads, type SpnOptions, type StepPath } from './index.js';

// The host path (host-step.ts: plain JS over Float32Array) against the tfjs path (the reference) on random
// inputs: outputs, losses, weights, state and Adam's moments (so the gradients themselves) after every call.

const options: SpnOptions = { inputDim: 3, hiddenDim: 7, outputDim: 2, seed: 11, plasticityRate: 0.05, activityDecay: 0.8, memoryDecay: 0.7 };
const TOL = { atol: 2e-6, rtol: 1e-4 };
// Sums of 64 to 192 float32 products in another order differ by ~1e-7 relative, and Adam turns such a
// difference in a near-zero gradient into up to a learning rate's step (1e-3): compare weights to a
// twentieth of a step.
const BIG_TOL = { atol: 5e-5, rtol: 1e-3 };

function random(seed: number, n: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 4 - 2;
  });
}

type Call =
  | { kind: 'train'; batch: number; plasticity?: boolean; learningRate?: number; tensor?: boolean }
  | { kind: 'step'; batch: number; plasticity: boolean }
  | { kind: 'resetMemory' } | { kind: 'reset' };

// batch sizes that shrink, grow from one row (memory broadcast) and grow (zeros), a learning-rate change,
// plasticity off, forward calls with and without plasticity, tensor and host inputs
const CALLS: Call[] = [
  { kind: 'train', batch: 5 }, { kind: 'train', batch: 5, tensor: true }, { kind: 'train', batch: 3, plasticity: false },
  { kind: 'step', batch: 3, plasticity: true }, { kind: 'train', batch: 6, learningRate: 0.01 }, { kind: 'resetMemory' },
  { kind: 'train', batch: 1, tensor: true }, { kind: 'train', batch: 4 }, { kind: 'step', batch: 4, plasticity: false },
  { kind: 'train', batch: 2 }, { kind: 'reset' }, { kind: 'train', batch: 2 }, { kind: 'train', batch: 8, tensor: true },
  ...Array.from({ length: 12 }, (_, i): Call => ({ kind: 'train', batch: 8 - (i % 3) })),
];

async function snapshot(net: SynapticPlasticityNetwork): Promise<Record<string, Float32Array | number[]>> {
  const out: Record<string, Float32Array | number[]> = {};
  const weights = await net.getWeights();
  for (const name of PARAMETER_NAMES) out[name] = weights[name];
  const moments = net.optimizerMomentValues();
  const read = async (t: tf.Tensor | Float32Array) => (t instanceof tf.Tensor ? ((await t.data()) as Float32Array) : t);
  for (const [i, name] of PARAMETER_NAMES.entries()) {
    out[`m/${name}`] = await read(moments.m[i]!);
    out[`v/${name}`] = await read(moments.v[i]!);
  }
  const state = { activity: net.synapticLayer.activity, memory: net.contextualLayer.state.memory, previous: net.attentionLayer.previous };
  for (const [k, t] of Object.entries(state)) out[k] = t === null ? [] : ((await t.data()) as Float32Array);
  out.adamStep = [net.optimizerState.step];
  return out;
}

async function run(nets: SynapticPlasticityNetwork[], paths: (i: number, net: number) => StepPath): Promise<void> {
  for (const [i, call] of CALLS.entries()) {
    const results: { output: number[]; loss: number | null }[] = [];
    for (const [j, net] of nets.entries()) {
      net.stepPath = paths(i, j);
      if (call.kind === 'reset' || call.kind === 'resetMemory') {
        net[call.kind]();
        continue;
      }
      const x = { data: random(100 + i, call.batch * options.inputDim), shape: [call.batch, options.inputDim] };
      if (call.kind === 'step') {
        const out = net.step(x, { plasticity: call.plasticity });
        results.push({ output: Array.from(await out.data()), loss: null });
        out.dispose();
        continue;
      }
      const y = { data: random(200 + i, call.batch * options.outputDim), shape: [call.batch, options.outputDim] };
      const [xs, ys] = call.tensor ? [tf.tensor(x.data, x.shape), tf.tensor(y.data, y.shape)] : [x, y];
      const r = net.trainStep(xs, ys, {
        ...(call.plasticity === undefined ? {} : { plasticity: call.plasticity }),
        ...(call.learningRate === undefined ? {} : { learningRate: call.learningRate }),
      });
      results.push({ output: Array.from(await r.output.data()), loss: (await r.loss.data())[0]! });
      tf.dispose([r.output, r.loss]);
      if (call.tensor) tf.dispose([xs as tf.Tensor, ys as tf.Tensor]);
    }
    for (const r of results.slice(1)) {
      expectClose(r.output, results[0]!.output, TOL);
      if (r.loss !== null) expectClose(r.loss, results[0]!.loss!, TOL);
    }
    const [reference, ...others] = await Promise.all(nets.map(snapshot));
    for (const other of others) {
      for (const key of Object.keys(reference!)) {
        try {
          expectClose(other[key]!, reference![key]!, TOL);
        } catch (error) {
          throw new Error(`call ${i} (${call.kind}) ${key}: ${(error as Error).message}`);
        }
      }
    }
  }
}

describe.each(['cpu', 'wasm'] as const)('host path = tfjs path (%s backend)', (backend) => {
  afterAll(async () => {
    await useBackend('cpu');
  });

  it('outputs, losses, weights, state and Adam moments agree within float32 rounding after every call', async () => {
    await useBackend(backend);
    const nets = [new SynapticPlasticityNetwork(options), new SynapticPlasticityNetwork(options)];
    await run(nets, (_, j) => (j === 0 ? 'tfjs' : 'host'));
    nets.forEach((n) => n.dispose());
  });

  it('switching path between calls (tensors and host copies handed over both ways) changes nothing', async () => {
    await useBackend(backend);
    const nets = [new SynapticPlasticityNetwork(options), new SynapticPlasticityNetwork(options)];
    await run(nets, (i, j) => (j === 0 ? 'tfjs' : i % 3 === 0 ? 'tfjs' : 'host'));
    nets.forEach((n) => n.dispose());
  });

  it("'auto' takes the host path; it leaks no tensors, and no resident memory once the network is disposed", async () => {
    await useBackend(backend);
    const residentBefore = residentBytes();
    const net = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: 32, outputDim: 1 });
    const x = tf.randomNormal([32, 1]);
    const y = tf.randomNormal([32, 1]);
    const warm = net.trainStep(x, y);
    tf.dispose([warm.loss, warm.output]);
    // the host path keeps Adam's moments as arrays: no moment tensors remain
    expect(net.optimizerMomentValues().m[0]).toBeInstanceOf(Float32Array);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const r = net.trainStep(x, y);
      tf.dispose([r.loss, r.output]);
      net.step(x).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    // the tfjs path takes the moments back as tensors
    net.stepPath = 'tfjs';
    const r = net.trainStep(x, y);
    tf.dispose([r.loss, r.output]);
    expect(net.optimizerMomentValues().m[0]).toBeInstanceOf(tf.Tensor);
    net.stepPath = 'auto';
    for (let i = 0; i < 3; i++) {
      const r = net.trainStep(x, y);
      tf.dispose([r.loss, r.output]);
    }
    expect(residentBytes()).toBeGreaterThan(residentBefore);
    tf.dispose([x, y]);
    net.dispose();
    expect(residentBytes()).toBe(residentBefore);
  });

  it('a step large enough for worker threads: host = tfjs, and the same bits on one thread and on two', async () => {
    await useBackend(backend);
    const big: SpnOptions = { inputDim: 8, hiddenDim: 96, outputDim: 3, seed: 4, plasticityRate: 0.05 };
    const train = async (path: StepPath, threads: number) => {
      setHostThreads(threads);
      const net = new SynapticPlasticityNetwork(big);
      net.stepPath = path;
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const batch = i === 2 ? 40 : 64; // the batch shrinks once (FIX-2)
        const r = net.trainStep({ data: random(300 + i, batch * 8), shape: [batch, 8] }, { data: random(400 + i, batch * 3), shape: [batch, 3] });
        losses.push((await r.loss.data())[0]!);
        tf.dispose([r.loss, r.output]);
        if (i === 0) for (let wait = 0; hostThreads() < threads && wait < 200; wait++) await new Promise((done) => setTimeout(done, 10));
      }
      if (path === 'host') expect(hostThreads()).toBe(threads);
      const out = { losses, ...(await snapshot(net)) };
      net.dispose();
      return out;
    };
    try {
      const tfjs = await train('tfjs', 1);
      const one = await train('host', 1);
      const two = await train('host', 2);
      expect(two).toEqual(one);
      for (const key of Object.keys(tfjs)) {
        try {
          expectClose(one[key as keyof typeof one] as number[], tfjs[key as keyof typeof tfjs] as number[], BIG_TOL);
        } catch (error) {
          throw new Error(`${key}: ${(error as Error).message}`);
        }
      }
    } finally {
      setHostThreads(0);
    }
  });

  it('a checkpoint saved from the host path continues bit for bit; setWeights between host steps is seen', async () => {
    await useBackend(backend);
    const train = (net: SynapticPlasticityNetwork, from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = net.trainStep({ data: random(i, 12), shape: [4, 3] }, { data: random(50 + i, 8), shape: [4, 2] });
        tf.dispose([r.loss, r.output]);
      }
    };
    const whole = new SynapticPlasticityNetwork(options);
    whole.stepPath = 'host';
    train(whole, 0, 6);
    const half = new SynapticPlasticityNetwork(options);
    half.stepPath = 'host';
    train(half, 0, 3);
    const resumed = SynapticPlasticityNetwork.load(await half.save());
    resumed.stepPath = 'host';
    train(resumed, 3, 6);
    expect(await snapshot(resumed)).toEqual(await snapshot(whole));
    // a write from outside the host path is read back before the next host step
    const bias = new Float32Array(2).fill(0.25);
    whole.setWeights({ 'out.bias': bias });
    const reference = new SynapticPlasticityNetwork(options);
    reference.setWeights(Object.fromEntries(Object.entries(await whole.getWeights())));
    reference.setState(whole.cloneState());
    reference.setOptimizerState({ step: whole.optimizerState.step, learningRate: whole.optimizerState.learningRate,
      m: whole.optimizerMoments().m.map((t) => tf.clone(t)), v: whole.optimizerMoments().v.map((t) => tf.clone(t)) });
    reference.stepPath = 'tfjs';
    const a = whole.trainStep({ data: random(9, 12), shape: [4, 3] }, { data: random(59, 8), shape: [4, 2] });
    const b = reference.trainStep({ data: random(9, 12), shape: [4, 3] }, { data: random(59, 8), shape: [4, 2] });
    expectClose(await a.output.data(), await b.output.data(), TOL);
    tf.dispose([a.loss, a.output, b.loss, b.output]);
    half.dispose();
    whole.dispose();
    resumed.dispose();
    reference.dispose();
  });
});
