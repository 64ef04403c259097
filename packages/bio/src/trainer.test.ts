import { createRng } from '@plasticity/core';
import { expectPlasticityError, useBackend } from '@plasticity/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { CSRConnection } from '@plasticity/sparse';
import { BioTrainer, type TransformSpec } from './trainer.js';

const ALL: TransformSpec[] = [
  'bio/dale', { transform: 'bio/rejuvenate', params: { dre: 12 } }, 'bio/crystallize', { transform: 'bio/fuzzy-lr', params: { distribution: 'temporal', updateFreq: 5 } },
  'bio/volume-lr', { transform: 'bio/synaptic-scaling', params: { target: 4, strength: 0.05 } },
];

/** A two-layer model on variables: x [8, 6] → W1 [6, 5] → relu → W2 [5, 3]. */
function model(seed: number) {
  const r = createRng(seed);
  const w1 = tf.variable(tf.tensor2d(r.normal([6, 5], 0, 0.5), [6, 5]), true, `w1_${seed}_${Math.random()}`);
  const b1 = tf.variable(tf.zeros([5]), true, `b1_${seed}_${Math.random()}`);
  const w2 = tf.variable(tf.tensor2d(r.normal([5, 3], 0, 0.5), [5, 3]), true, `w2_${seed}_${Math.random()}`);
  const x = tf.tensor2d(r.normal([8, 6]), [8, 6]);
  const y = tf.tensor2d(r.normal([8, 3]), [8, 3]);
  const loss = () => tf.losses.meanSquaredError(y, tf.matMul(tf.relu(tf.add(tf.matMul(x, w1), b1)), w2)) as tf.Scalar;
  return { w1, b1, w2, x, y, loss, dispose: () => tf.dispose([w1, b1, w2, x, y]) };
}

describe('BioTrainer', () => {
  it('runs the gradient transforms in the documented order before the optimizer, the weight transforms after', async () => {
    const m = model(1);
    const trainer = new BioTrainer({ target: { w1: m.w1, b1: m.b1, w2: m.w2 }, transforms: ALL, optimizer: tf.train.sgd(0.1), seed: 3 });
    expect(trainer.weights.map((w) => [w.name, w.transformed])).toEqual([['w1', true], ['b1', false], ['w2', true]]);
    // Dale initialised at construction: every row of W1 has one sign
    const rows = (await m.w1.array()) as number[][];
    expect(rows.every((r) => r.every((v) => v >= 0) || r.every((v) => v <= 0))).toBe(true);
    const internals = trainer as unknown as { slots: { gradient: { transform: { name: string } }[]; weights: { transform: { name: string } }[] }[] };
    expect(internals.slots[0]!.gradient.map((e) => e.transform.name)).toEqual(['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize']);
    expect(internals.slots[0]!.weights.map((e) => e.transform.name)).toEqual(['bio/synaptic-scaling', 'bio/rejuvenate', 'bio/dale']);
    // the fuzzy layer index is filled in per transformed weight
    const l0 = trainer.stateOf('w1', 'bio/fuzzy-lr');
    expect(l0.calls).toBe(0);
    tf.dispose(Object.values(l0).filter((v) => v instanceof tf.Tensor));
    const loss0 = (await trainer.stepWith(m.loss).data())[0]!;
    expect(trainer.step).toBe(1);
    expect(Number.isFinite(loss0)).toBe(true);
    trainer.dispose();
    m.dispose();
  });

  it('equals the hand-written step: volume-lr → fuzzy → crystallize → sgd → Dale (dense, one step)', async () => {
    const m = model(2);
    const transforms: TransformSpec[] = ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/dale'];
    const trainer = new BioTrainer({ target: { w1: m.w1, w2: m.w2, b1: m.b1 }, transforms, optimizer: tf.train.sgd(0.5), seed: 11 });
    const states = ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/dale'].map((t) => trainer.stateOf('w2', t));
    const w2 = await m.w2.data();
    const { grads } = tf.variableGrads(m.loss, [m.w1, m.b1, m.w2]);
    const g = await grads[m.w2.name]!.data();
    const vol = await import('./volume-lr.js');
    const p = { baseLr: 0.1, stabilityFactor: 2, lrVariability: 0.2 };
    const z = (await import('./draws.js')).normalArray((await import('./draws.js')).rngFrom(states[0]!), g.length, 0, 1);
    const fuzzy = await (states[1]!.factors as tf.Tensor).data();
    const sign = await (states[3]!.sign as tf.Tensor).data();
    const expected = Array.from(w2, (w, k) => {
      const factor = Math.abs(vol.volumeMeanFactor(p, w) * (1 + 0.2 * z[k]!));
      const next = w - 0.5 * g[k]! * factor * fuzzy[k]! * 1;
      const s = sign[Math.floor(k / 3)]!;
      return Math.max(0, next * s) * s;
    });
    trainer.stepWith(m.loss).dispose();
    const got = await m.w2.data();
    got.forEach((v, k) => expect(v).toBeCloseTo(expected[k]!, 5));
    tf.dispose([...Object.values(grads), ...states.flatMap((s) => Object.values(s).filter((v) => v instanceof tf.Tensor))]);
    trainer.dispose();
    m.dispose();
  });

  it('no tensor leaks in a 1,000-step training loop with every transform on (dense and CSR)', async () => {
    const m = model(3);
    const conn = CSRConnection.random({ nPre: 6, nPost: 4, p: 0.5, seed: 1, init: { dist: 'normal', mean: 0, std: 0.5 } });
    const y2 = tf.randomNormal([8, 4], 0, 1, 'float32', 4);
    const all: TransformSpec[] = [...ALL.filter((t) => !(typeof t === 'object' && (t as { transform: string }).transform === 'bio/fuzzy-lr')),
      { transform: 'bio/fuzzy-lr', params: { distribution: 'activity' } }];
    const optimizer = tf.train.adam(0.01);
    const trainer = new BioTrainer({ target: { w1: m.w1, b1: m.b1, w2: m.w2, c: conn }, transforms: all, optimizer, seed: 5 });
    const loss = () => tf.add(m.loss(), tf.losses.meanSquaredError(y2, conn.propagate(m.x, { mode: 'float' }))) as tf.Scalar;
    const activity = { w1: tf.ones([8, 5]), w2: tf.ones([8, 3]), c: tf.ones([8, 4]) };
    trainer.stepWith(loss, { activity }).dispose(); // optimizer slots and lazily made state exist from here on
    const before = tf.memory().numTensors;
    for (let s = 0; s < 1000; s++) trainer.stepWith(loss, { activity }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect((await m.w1.data()).every(Number.isFinite)).toBe(true);
    trainer.dispose();
    tf.dispose([...Object.values(activity), y2]);
    optimizer.dispose();
    conn.dispose();
    m.dispose();
  });

  it('checkpoint: run T/2, save, restore (twice), run T/2 equals an uninterrupted run of T, bit for bit', async () => {
    const run = async (split: boolean) => {
      const m = model(4);
      const conn = CSRConnection.random({ nPre: 6, nPost: 4, p: 0.5, seed: 2, init: { dist: 'normal', mean: 0, std: 0.5 } });
      const loss = () => tf.add(m.loss(), tf.sum(conn.propagate(m.x, { mode: 'float' }))) as tf.Scalar;
      const make = () => new BioTrainer({ target: { w1: m.w1, b1: m.b1, w2: m.w2, c: conn }, transforms: ALL, optimizer: tf.train.adam(0.05), seed: 8 });
      let trainer = make();
      for (let s = 0; s < 10; s++) trainer.stepWith(loss).dispose();
      if (split) {
        const bytes = await trainer.checkpoint();
        for (let s = 0; s < 3; s++) trainer.stepWith(loss).dispose(); // diverge, then come back
        trainer.dispose();
        trainer = make();
        await trainer.restore(bytes);
        await trainer.restore(bytes);
        expect(trainer.step).toBe(10);
      }
      for (let s = 0; s < 10; s++) trainer.stepWith(loss).dispose();
      const fuzzy = trainer.stateOf('c', 'bio/fuzzy-lr');
      const out = { w1: await m.w1.data(), w2: await m.w2.data(), c: await conn.getWeights(), f: await (fuzzy.factors as tf.Tensor).data(), calls: fuzzy.calls };
      tf.dispose(Object.values(fuzzy).filter((v) => v instanceof tf.Tensor));
      trainer.dispose();
      m.dispose();
      conn.dispose();
      return out;
    };
    const a = await run(false);
    const b = await run(true);
    expect(b.calls).toBe(20);
    expect(b).toEqual(a);
  });

  it('bad input throws PlasticityError and changes nothing', async () => {
    const m = model(5);
    const opt = tf.train.sgd(0.1);
    expectPlasticityError(() => new BioTrainer({ target: { w1: m.w1 }, transforms: [{ transform: 'bio/volume-lr', params: { baseLr: 2 } }], optimizer: opt, seed: 1 }), 'E_PARAM', /baseLr must be between 0 and 1, got 2/);
    expectPlasticityError(() => new BioTrainer({ target: { w1: m.w1 }, transforms: ['bio/nope'], optimizer: opt, seed: 1 }), 'E_REGISTRY', /bio\/nope/);
    expectPlasticityError(() => new BioTrainer({ target: { w1: m.w1 }, transforms: ['bio/weight-splitting'], optimizer: opt, seed: 1 }), 'E_PARAM', /splitOutputs/);
    expectPlasticityError(() => new BioTrainer({ target: { b: m.b1 }, transforms: [], optimizer: opt, seed: 1 }), 'E_PARAM', /no weights to transform/);
    const w1 = await m.w1.data();
    const before = tf.memory().numTensors;
    const trainer = new BioTrainer({ target: { w1: m.w1, w2: m.w2 }, transforms: ['bio/fuzzy-lr', { transform: 'bio/synaptic-scaling', params: { mode: 'rate' } }], optimizer: opt, seed: 1 });
    const st = tf.memory().numTensors;
    // w1 takes no part in this loss: no gradient for it
    expectPlasticityError(() => trainer.stepWith(() => tf.sum(m.w2) as tf.Scalar, { activity: { w1: tf.ones([2, 5]), w2: tf.ones([2, 3]) } }), 'E_PARAM', /no gradient found for the weights "w1"/);
    expectPlasticityError(() => trainer.stepWith(m.loss, { activity: { w1: tf.ones([2, 4]) } }), 'E_SHAPE', /needs options.activity\["w1"\] of shape \[batch, 5\]/);
    expectPlasticityError(() => trainer.stepWith(m.loss, { activity: { zz: tf.ones([2, 4]) } }), 'E_PARAM', /weight must be one of/);
    expect(await m.w1.data()).toEqual(w1);
    expect(trainer.step).toBe(0);
    expect(tf.memory().numTensors - st).toBe(4); // the activity tensors made in the calls above, nothing else
    trainer.dispose();
    expect(tf.memory().numTensors - before).toBe(4);
    m.dispose();
  });

  it('trains a tfjs-layers LayersModel: Dense kernels W[in, units] transformed, biases by the optimizer only', async () => {
    const net = tfl.sequential({ layers: [tfl.layers.dense({ units: 6, inputShape: [4], activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }), tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })] });
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 5);
    const y = tf.randomNormal([16, 2], 0, 1, 'float32', 6);
    const trainer = new BioTrainer({ target: net, transforms: ['bio/dale', 'bio/fuzzy-lr'], optimizer: tf.train.adam(0.05), seed: 2 });
    expect(trainer.weights.map((w) => w.transformed)).toEqual([true, false, true, false]);
    const lossFn = () => tf.losses.meanSquaredError(y, net.predict(x) as tf.Tensor) as tf.Scalar;
    const first = (await trainer.stepWith(lossFn).data())[0]!;
    let last = first;
    for (let s = 0; s < 40; s++) {
      const l = trainer.stepWith(lossFn);
      last = (await l.data())[0]!;
      l.dispose();
    }
    expect(last).toBeLessThan(first);
    const k = (await net.layers[0]!.getWeights()[0]!.array()) as number[][];
    expect(k.every((r) => r.every((v) => v >= 0) || r.every((v) => v <= 0))).toBe(true);
    trainer.dispose();
    net.dispose();
    tf.dispose([x, y]);
  });

  it('same seed → same draws on cpu and wasm (factors, signs, rejuvenation)', async () => {
    const draws = async () => {
      const w = tf.variable(tf.tensor2d(createRng(1).normal([20, 10], 0, 0.05), [20, 10]));
      const trainer = new BioTrainer({ target: { w }, transforms: ['bio/fuzzy-lr', 'bio/dale', { transform: 'bio/rejuvenate', params: { dre: 1 } }], optimizer: tf.train.sgd(0), seed: 77 });
      trainer.stepWith(() => tf.sum(w) as tf.Scalar).dispose();
      const f = trainer.stateOf('w', 'bio/fuzzy-lr');
      const out = { f: Array.from(await (f.factors as tf.Tensor).data()), w: Array.from(await w.data()) };
      tf.dispose([f.factors as tf.Tensor, w]);
      trainer.dispose();
      return out;
    };
    const cpu = await draws();
    await useBackend('wasm');
    try {
      const wasm = await draws();
      expect(wasm.f).toEqual(cpu.f);
      wasm.w.forEach((v, k) => expect(v).toBeCloseTo(cpu.w[k]!, 6));
      expect(wasm.w.map(Math.sign)).toEqual(cpu.w.map(Math.sign));
    } finally {
      await useBackend('cpu');
    }
  });
});
