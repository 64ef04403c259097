import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SynapticPlasticityNetwork, loadCurve } from './index.js';

// The online experiment's protocol: one point per trainStep, the returned output is the forecast made
// before the update.
describe('streaming one point per trainStep', () => {
  it('faithful with batch 1 and plastic mode with one time step make the same predictions when plasticity is off', () => {
    const series = loadCurve(1, { length: 41, changePoint: 20 });
    const faithful = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: 6, outputDim: 1, seed: 2 });
    const plastic = new SynapticPlasticityNetwork({ mode: 'plastic', inputDim: 1, hiddenDim: 6, outputDim: 1, seed: 2 });
    for (let i = 0; i + 1 < series.length; i++) {
      const a = faithful.trainStep({ data: [series[i]!], shape: [1, 1] }, { data: [series[i + 1]!], shape: [1, 1] }, { plasticity: false, learningRate: 1e-2 });
      const b = plastic.trainStep({ data: [series[i]!], shape: [1, 1, 1] }, { data: [series[i + 1]!], shape: [1, 1, 1] }, { plasticity: false, learningRate: 1e-2 });
      expect(b.output.dataSync()[0]).toBeCloseTo(a.output.dataSync()[0]!, 5);
      tf.dispose([a.output, a.loss, b.output, b.loss]);
    }
    faithful.dispose();
    plastic.dispose();
  });

  it('trainStep returns the prediction made before the update (= step on a copy of the state)', () => {
    const net = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: 6, outputDim: 1, seed: 4 });
    for (const [x, y] of [[0.3, 0.5], [0.5, -0.2], [-0.2, 0.1]] as const) {
      const saved = net.cloneState();
      const predicted = net.step({ data: [x], shape: [1, 1] });
      net.setState(saved);
      const r = net.trainStep({ data: [x], shape: [1, 1] }, { data: [y], shape: [1, 1] }, { plasticity: false });
      expect(r.output.dataSync()[0]).toBeCloseTo(predicted.dataSync()[0]!, 6);
      tf.dispose([predicted, r.output, r.loss]);
    }
    net.dispose();
  });
});
