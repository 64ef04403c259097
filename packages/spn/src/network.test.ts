import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose, expectNoLeaks } from '@plasticity/testing';
import { isPlasticityError } from '@plasticity/core';
import { SynapticPlasticityNetwork, type SpnOptions } from './index.js';

const small: SpnOptions = { inputDim: 2, hiddenDim: 6, outputDim: 1, seed: 3 };
const plastic: SpnOptions = { ...small, mode: 'plastic' };

function data(n: number, seed: number, shape: number[]): number[] {
  let s = seed;
  return Array.from({ length: n * shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}
const batch = (n: number, width: number, seed: number) => ({ data: data(n, seed, [width]), shape: [n, width] });
const sequences = (n: number, time: number, width: number, seed: number) => ({ data: data(n, seed, [time, width]), shape: [n, time, width] });

async function snapshot(net: SynapticPlasticityNetwork) {
  const weights = await net.getWeights();
  const state = net.cloneState();
  const read = async (t: tf.Tensor | null) => (t === null ? null : Array.from(await t.data()));
  const result = {
    weights: Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, Array.from(v)])),
    activity: await read(state.activity), memory: await read(state.memory.memory), previous: await read(state.previous),
    rule: state.rule === null ? null : await Promise.all(Object.values(state.rule).map((v) => (v instanceof tf.Tensor ? read(v) : v))),
    adam: net.optimizerState.step,
  };
  tf.dispose([state.activity, state.memory.memory, state.previous, ...(state.rule ? Object.values(state.rule).filter((v) => v instanceof tf.Tensor) : [])] as tf.Tensor[]);
  return result;
}

async function expectError(fn: () => unknown, code: string, message: RegExp): Promise<void> {
  let error: unknown;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(isPlasticityError(error), String(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
  expect((error as Error).message).toMatch(message);
}

describe('SynapticPlasticityNetwork', () => {
  it('same seed gives the same weights and the same training; another seed differs', async () => {
    const run = async (seed: number) => {
      const net = new SynapticPlasticityNetwork({ ...small, seed });
      await net.fit(batch(40, 2, 1), batch(40, 1, 2), { epochs: 2, batchSize: 8, shuffle: true });
      const w = await net.getWeights();
      net.dispose();
      return Array.from(w['cm.kernel']);
    };
    expect(await run(5)).toEqual(await run(5));
    expect(await run(5)).not.toEqual(await run(6));
  });

  it('state is never trainable: exactly the eight parameters are variables; reset() clears all state', async () => {
    const net = new SynapticPlasticityNetwork(plastic);
    expect(net.trainableVariables().length).toBe(8);
    const r = net.trainStep(sequences(3, 4, 2, 1), sequences(3, 4, 1, 2));
    tf.dispose([r.loss, r.output]);
    expect(net.contextualLayer.state.memory).not.toBeNull();
    expect(net.attentionLayer.previous).not.toBeNull();
    expect(net.ruleState).not.toBeNull();
    net.reset();
    expect([net.synapticLayer.activity, net.contextualLayer.state.memory, net.attentionLayer.previous, net.ruleState]).toEqual([null, null, null, null]);
    net.dispose();
  });

  it('fit lowers the loss on a sine forecast; evaluate neither changes weights nor state; predict is in order', async () => {
    const series = Array.from({ length: 201 }, (_, t) => Math.sin(0.1 * t));
    const x = { data: series.slice(0, 200), shape: [200, 1] };
    const y = { data: series.slice(1), shape: [200, 1] };
    const net = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: 16, outputDim: 1, seed: 1 });
    const seen: number[] = [];
    const history = await net.fit(x, y, { epochs: 15, batchSize: 20, learningRate: 1e-2, validationSplit: 0.2, onEpochEnd: (e) => void seen.push(e) });
    expect(seen).toEqual([...Array(15).keys()]);
    expect(history.loss.at(-1)!).toBeLessThan(history.loss[0]! / 3);
    expect(history.valLoss.length).toBe(15);
    const before = await snapshot(net);
    const mse = await net.evaluate(x, y);
    expect(mse).toBeLessThan(0.1);
    expect(await snapshot(net)).toEqual(before);
    const p = await net.predict(x);
    expect(p.shape).toEqual([200, 1]);
    p.dispose();
    net.dispose();
  });

  it('fromConfig(toConfig()) rebuilds the same network; the config is JSON', async () => {
    const a = new SynapticPlasticityNetwork({ ...plastic, memorySlots: 4, rule: { name: 'core/hebbian', params: { eta: 1e-4 } } });
    const json = JSON.parse(JSON.stringify(a.toConfig()));
    const b = SynapticPlasticityNetwork.fromConfig(json);
    expect(b.toConfig()).toEqual(a.toConfig());
    expect(await b.getWeights()).toEqual(await a.getWeights());
    a.dispose();
    b.dispose();
  });

  for (const options of [small, plastic, { ...plastic, memorySlots: 3 }]) {
    const label = `${options.mode ?? 'faithful'}${'memorySlots' in options ? ' ring' : ''}`;
    it(`${label}: train T/2, save, load twice, train T/2 equals T uninterrupted, bit for bit`, async () => {
      const xs = (i: number) => (options.mode === 'plastic' ? sequences(3, 2, 2, i) : batch(4, 2, i));
      const ys = (i: number) => (options.mode === 'plastic' ? sequences(3, 2, 1, 100 + i) : batch(4, 1, 100 + i));
      const train = (net: SynapticPlasticityNetwork, from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const r = net.trainStep(xs(i), ys(i));
          tf.dispose([r.loss, r.output]);
        }
      };
      const whole = new SynapticPlasticityNetwork(options);
      train(whole, 0, 8);
      const half = new SynapticPlasticityNetwork(options);
      train(half, 0, 4);
      const bytes = await half.save();
      half.dispose();
      SynapticPlasticityNetwork.load(bytes).dispose();
      const resumed = SynapticPlasticityNetwork.load(bytes);
      train(resumed, 4, 8);
      expect(await snapshot(resumed)).toEqual(await snapshot(whole));
      whole.dispose();
      resumed.dispose();
    });
  }

  it('bad input gives PlasticityError and changes nothing', async () => {
    for (const options of [small, plastic]) {
      const net = new SynapticPlasticityNetwork(options);
      const good = options.mode === 'plastic' ? sequences(2, 3, 2, 1) : batch(2, 2, 1);
      const r = net.trainStep(good, options.mode === 'plastic' ? sequences(2, 3, 1, 2) : batch(2, 1, 2));
      tf.dispose([r.loss, r.output]);
      const before = await snapshot(net);
      const nan = options.mode === 'plastic' ? { data: [1, 2, NaN, 0, 0, 0], shape: [1, 3, 2] } : { data: [1, NaN], shape: [1, 2] };
      const y1 = options.mode === 'plastic' ? { data: [0, 0, 0], shape: [1, 3, 1] } : { data: [0], shape: [1, 1] };
      await expectError(() => net.trainStep(nan, y1), 'E_PARAM', /x must be finite/);
      await expectError(() => net.step(nan, { plasticity: true }), 'E_PARAM', /x must be finite/);
      const nanTensor = tf.tensor(nan.data, nan.shape);
      await expectError(() => net.fit(nanTensor, y1), 'E_PARAM', /x must be finite/);
      await expectError(() => net.predict(nanTensor), 'E_PARAM', /x must be finite/);
      nanTensor.dispose();
      await expectError(() => net.trainStep({ data: [1, 2, 3], shape: [1, 3] }, y1), 'E_SHAPE', /x must have shape/);
      await expectError(() => net.trainStep(good, { data: [0, 0, 0, 0, 0, 0, 0, 0, 0], shape: options.mode === 'plastic' ? [3, 3, 1] : [9, 1] }), 'E_SHAPE', /leading shape/);
      await expectError(() => net.trainStep(good, good, { learningRate: -1 }), 'E_SHAPE', /y must have shape/);
      await expectError(() => net.trainStep(good, options.mode === 'plastic' ? sequences(2, 3, 1, 2) : batch(2, 1, 2), { learningRate: -1 }), 'E_PARAM', /learningRate/);
      await expectError(() => net.fit(good, good), 'E_SHAPE', /y must have shape/);
      await expectError(() => net.fit(good, good, { epochs: 0 }), 'E_PARAM', /epochs/);
      await expectError(() => net.setWeights({ 'sp.kernel': [[1, 2, 3]] }), 'E_SHAPE', /sp.kernel/);
      await expectError(() => net.setWeights({ 'sp.bias': new Float32Array(6), 'da.bias': [NaN, 0, 0, 0, 0, 0] }), 'E_PARAM', /da.bias/);
      expect(await snapshot(net)).toEqual(before);
      net.dispose();
    }
  });

  it('invalid configs and checkpoints are rejected with PlasticityError', async () => {
    await expectError(() => new SynapticPlasticityNetwork({ ...small, hiddenDim: 0 }), 'E_PARAM', /hiddenDim/);
    await expectError(() => new SynapticPlasticityNetwork({ ...small, memoryDecay: 1 }), 'E_PARAM', /memoryDecay/);
    await expectError(() => new SynapticPlasticityNetwork({ ...small, memorySlots: 2 }), 'E_PARAM', /plastic-mode option/);
    await expectError(() => new SynapticPlasticityNetwork({ ...small, mode: 'other' as never }), 'E_PARAM', /mode/);
    await expectError(() => new SynapticPlasticityNetwork({ ...small, typo: 1 } as never), 'E_PARAM', /unknown config field "typo"/);
    await expectError(() => new SynapticPlasticityNetwork({ ...plastic, rule: { name: 'acme/none' } }), 'E_REGISTRY', /acme\/none/);
    await expectError(() => new SynapticPlasticityNetwork({ ...plastic, rule: { name: 'core/oja', params: { eta: 'x' } } }), 'E_PARAM', /eta/);
    const net = new SynapticPlasticityNetwork(small);
    const bytes = await net.save();
    net.dispose();
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 20] = corrupt[corrupt.length - 20]! ^ 0xff;
    await expectError(() => SynapticPlasticityNetwork.load(corrupt), 'E_CHECKPOINT', /./);
  });

  it('evaluation stops plasticity unless asked', async () => {
    const net = new SynapticPlasticityNetwork(small);
    const x = batch(8, 2, 4);
    const y = batch(8, 1, 5);
    const w0 = Array.from((await net.getWeights())['sp.kernel']);
    await net.evaluate(x, y);
    (await net.predict(x)).dispose();
    expect(Array.from((await net.getWeights())['sp.kernel'])).toEqual(w0);
    await net.evaluate(x, y, { plasticity: true });
    expect(Array.from((await net.getWeights())['sp.kernel'])).not.toEqual(w0);
    net.dispose();
  });
});

describe('plastic mode', () => {
  it('scans time: one call over T steps equals T calls of one step; rows are independent sequences', async () => {
    const x = sequences(3, 5, 2, 9);
    const a = new SynapticPlasticityNetwork(plastic);
    const whole = a.step(x);
    const b = new SynapticPlasticityNetwork(plastic);
    const xt = tf.tensor(x.data, x.shape);
    const parts: tf.Tensor[] = [];
    for (let t = 0; t < 5; t++) {
      const slice = tf.slice(xt, [0, t, 0], [3, 1, 2]);
      parts.push(b.step(slice));
      slice.dispose();
    }
    const stepped = tf.concat(parts, 1);
    expectClose(await whole.data(), await stepped.data(), { atol: 1e-6, rtol: 1e-6 });
    // row 1 alone gives row 1's outputs: no state mixes across batch rows
    const c = new SynapticPlasticityNetwork(plastic);
    const row = tf.slice(xt, [1, 0, 0], [1, 5, 2]);
    const alone = c.step(row);
    const fromBatch = tf.slice(whole, [1, 0, 0], [1, 5, 1]);
    expectClose(await alone.data(), await fromBatch.data(), { atol: 1e-6, rtol: 1e-6 });
    tf.dispose([whole, xt, stepped, ...parts, row, alone, fromBatch]);
    [a, b, c].forEach((n) => n.dispose());
  });

  it('the default rule (core/oja, bounded) changes W_SP and keeps it in [-1, 1]; plasticity off leaves it', async () => {
    const net = new SynapticPlasticityNetwork({ ...plastic, rule: { name: 'core/oja', params: { eta: 0.5, batchReduce: 'mean', wMin: -1, wMax: 1 } } });
    const x = { data: data(4 * 6 * 2, 3, [1]).map((v) => 3 * v), shape: [4, 6, 2] };
    const w0 = Array.from((await net.getWeights())['sp.kernel']);
    (net.step(x)).dispose();
    expect(Array.from((await net.getWeights())['sp.kernel'])).toEqual(w0);
    for (let i = 0; i < 20; i++) net.step(x, { plasticity: true }).dispose();
    const w = Array.from((await net.getWeights())['sp.kernel']);
    expect(w).not.toEqual(w0);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1);
    net.dispose();
  });

  it('ring memory holds the last K hidden states: the memory mean is their average', async () => {
    const net = new SynapticPlasticityNetwork({ ...plastic, memorySlots: 2 });
    const x = sequences(1, 3, 2, 11);
    net.step(x).dispose();
    const state = net.contextualLayer.state;
    expect(state.kind === 'ring' && state.filled === 2 && state.next === 1).toBe(true);
    // the two slots hold h(t=2) (slot 0, overwritten) and h(t=1) (slot 1)
    const xt = tf.tensor2d(x.data, [3, 2]);
    const h = net.synapticLayer.apply(xt);
    const held = await state.memory!.data();
    const hs = await h.data();
    expectClose(Array.from(held.slice(0, 6)), Array.from(hs.slice(12, 18)), { atol: 1e-6 });
    expectClose(Array.from(held.slice(6, 12)), Array.from(hs.slice(6, 12)), { atol: 1e-6 });
    tf.dispose([xt, h]);
    net.dispose();
  });
});

describe('memory', () => {
  it('no tensor leaks in a 1,000-step faithful training loop (batch sizes 8 and 3) and around every public call', async () => {
    const net = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: 8, outputDim: 1 });
    const x8 = tf.randomNormal([8, 1]);
    const x3 = tf.randomNormal([3, 1]);
    const y8 = tf.randomNormal([8, 1]);
    const y3 = tf.randomNormal([3, 1]);
    const warm = net.trainStep(x8, y8);
    tf.dispose([warm.loss, warm.output]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) {
      const r = i % 10 === 9 ? net.trainStep(x3, y3) : net.trainStep(x8, y8);
      tf.dispose([r.loss, r.output]);
    }
    expect(tf.memory().numTensors).toBe(before);
    await expectNoLeaks(async () => {
      await net.fit(x8, y8, { epochs: 2, batchSize: 3, validationSplit: 0.25, shuffle: true });
      await net.evaluate(x8, y8);
      (await net.predict(x3)).dispose();
      net.step(x8, { plasticity: true }).dispose();
      SynapticPlasticityNetwork.load(await net.save()).dispose();
    });
    tf.dispose([x8, x3, y8, y3]);
    net.dispose();
  });

  it('no tensor leaks in plastic-mode training (ring memory, batch changes) and dispose frees everything', async () => {
    const start = tf.memory().numTensors;
    const net = new SynapticPlasticityNetwork({ ...plastic, memorySlots: 3 });
    const xa = tf.randomNormal([4, 3, 2]);
    const ya = tf.randomNormal([4, 3, 1]);
    const xb = tf.randomNormal([2, 3, 2]);
    const yb = tf.randomNormal([2, 3, 1]);
    const warm = net.trainStep(xa, ya);
    tf.dispose([warm.loss, warm.output]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 100; i++) {
      const r = i % 7 === 6 ? net.trainStep(xb, yb) : net.trainStep(xa, ya);
      tf.dispose([r.loss, r.output]);
    }
    expect(tf.memory().numTensors).toBe(before);
    await expectNoLeaks(async () => {
      await net.fit(xa, ya, { epochs: 2, batchSize: 2, validationSplit: 0.25 });
      SynapticPlasticityNetwork.load(await net.save()).dispose();
    });
    net.dispose();
    tf.dispose([xa, ya, xb, yb]);
    expect(tf.memory().numTensors).toBe(start);
  });
});
