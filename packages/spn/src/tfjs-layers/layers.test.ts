import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks } from '@plasticity/testing';
import { isPlasticityError } from '@plasticity/core';
import { ContextualMemoryLayer, DynamicAttentionLayer, SynapticPlasticityNeuron, contextualMemoryLayer, dynamicAttentionLayer, synapticPlasticityNeuron } from './index.js';

const HIDDEN = 8;

function model(plasticityRate = 0.01): tfl.Sequential {
  const m = tfl.sequential();
  m.add(synapticPlasticityNeuron({ units: HIDDEN, plasticityRate, inputShape: [null, 1] }));
  m.add(contextualMemoryLayer({}));
  m.add(dynamicAttentionLayer({}));
  m.add(tfl.layers.dense({ units: 1 }));
  return m;
}

/** Windows of a sine: x [n, time, 1] and the next values y [n, time, 1]. */
function data(n: number, time: number): { x: tf.Tensor3D; y: tf.Tensor3D } {
  const s = Array.from({ length: n + time + 1 }, (_, t) => Math.sin(0.3 * t));
  const x = Array.from({ length: n }, (_, i) => s.slice(i, i + time));
  const y = Array.from({ length: n }, (_, i) => s.slice(i + 1, i + time + 1));
  return { x: tf.tensor3d(x.flat(), [n, time, 1]), y: tf.tensor3d(y.flat(), [n, time, 1]) };
}

describe('@plasticity/spn/layers (tfjs-layers custom layers)', () => {
  it('sit in tf.sequential, train with model.fit, and survive model.save / tf.loadLayersModel in memory', async () => {
    const m = model();
    expect(m.outputs[0]!.shape).toEqual([null, null, 1]);
    m.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
    const { x, y } = data(16, 6);
    const before = m.getWeights().map((w) => w.dataSync().slice());
    const history = await m.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(history.history.loss).toHaveLength(3);
    expect(m.getWeights()[0]!.dataSync()).not.toEqual(before[0]);
    const expected = m.predict(x) as tf.Tensor;
    let artifacts: tf.io.ModelArtifacts | null = null;
    await m.save(tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const topology = JSON.stringify((artifacts as unknown as tf.io.ModelArtifacts).modelTopology);
    expect(topology).toContain('"class_name":"SynapticPlasticityNeuron"');
    expect(topology).toContain('"plasticity_rate":0.01'); // tfjs-layers writes config keys in snake_case
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(artifacts as unknown as tf.io.ModelArtifacts));
    expect(loaded.layers.map((l) => l.getClassName())).toEqual(['SynapticPlasticityNeuron', 'ContextualMemoryLayer', 'DynamicAttentionLayer', 'Dense']);
    expect(loaded.layers[0]).toBeInstanceOf(SynapticPlasticityNeuron);
    expect((loaded.layers[1] as ContextualMemoryLayer).memoryDecay).toBe(0.9);
    const again = loaded.predict(x) as tf.Tensor;
    expect(Array.from(again.dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([x, y, expected, again]);
    m.dispose();
    loaded.dispose();
  });

  it('the plastic update runs in training calls only, and state stays within a call', () => {
    const layer = new SynapticPlasticityNeuron({ units: 3, plasticityRate: 0.5 });
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 3, 2]);
    layer.apply(x); // builds
    const w0 = layer.getWeights()[0]!.dataSync().slice();
    const a = layer.apply(x, { training: false }) as tf.Tensor;
    expect(layer.getWeights()[0]!.dataSync()).toEqual(w0);
    const b = layer.apply(x, { training: true }) as tf.Tensor;
    const w1 = layer.getWeights()[0]!.dataSync();
    // a(t) from zero, d = 0.9: a1 = 0.1·x1, a2 = 0.9·a1 + 0.1·x2, a3 = 0.9·a2 + 0.1·x3; W[i, :] += η·mean_t(a)[i]·mean_t(x)[i]
    const a1 = [0.1 * 1, 0.1 * 2];
    const a2 = [0.9 * a1[0]! + 0.1 * 3, 0.9 * a1[1]! + 0.1 * 4];
    const a3 = [0.9 * a2[0]! + 0.1 * 5, 0.9 * a2[1]! + 0.1 * 6];
    const meanA = [(a1[0]! + a2[0]! + a3[0]!) / 3, (a1[1]! + a2[1]! + a3[1]!) / 3];
    const meanX = [3, 4];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) expect(w1[i * 3 + j]!).toBeCloseTo(w0[i * 3 + j]! + 0.5 * meanA[i]! * meanX[i]!, 5);
    // the memory and attention layers start each call from zero state: one sequence alone = inside a batch
    const cm = new ContextualMemoryLayer({ units: 4 });
    const da = new DynamicAttentionLayer();
    const seqs = tf.tensor3d(Array.from({ length: 2 * 5 * 3 }, (_, i) => Math.sin(i)), [2, 5, 3]);
    const both = da.apply(cm.apply(seqs)) as tf.Tensor;
    const first = da.apply(cm.apply(tf.slice(seqs, [0, 0, 0], [1, 5, 3]))) as tf.Tensor;
    const bothFirst = tf.slice(both, [0, 0, 0], [1, 5, 4]);
    const d = tf.max(tf.abs(tf.sub(bothFirst, first))).dataSync()[0]!;
    expect(d).toBeLessThan(1e-6);
    expect(both.shape).toEqual([2, 5, 4]);
    tf.dispose([x, a, b, seqs, both, first, bothFirst]);
    layer.dispose();
    cm.dispose();
    da.dispose();
  });

  it('rejects invalid arguments with PlasticityError and leaks nothing in a training loop', async () => {
    expect(() => new SynapticPlasticityNeuron({ units: 0 })).toThrow(expect.toSatisfy(isPlasticityError));
    expect(() => new ContextualMemoryLayer({ memoryDecay: 1 })).toThrow(expect.toSatisfy(isPlasticityError));
    const m = model();
    m.compile({ optimizer: tf.train.adam(1e-2), loss: 'meanSquaredError' });
    const { x, y } = data(8, 4);
    await m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0 }); // optimizer slots are created here
    await expectNoLeaks(async () => {
      await m.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
      tf.dispose(m.predict(x) as tf.Tensor);
    });
    tf.dispose([x, y]);
    m.dispose();
  });
});
