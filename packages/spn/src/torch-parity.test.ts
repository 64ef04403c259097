import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '@plasticity/testing';
import { PARAMETER_NAMES, SynapticPlasticityNetwork, type ParameterName, type StepPath } from './index.js';

// Golden fixtures from the PyTorch peer (bench/peers/spn_torch.py), written by scripts/make-fixtures.py.
type Params = Record<ParameterName, number[] | number[][]>;
interface Step {
  action: 'train' | 'forward' | 'forward-plastic' | 'resetMemory';
  x: number[][]; y: number[][]; output: number[][]; loss?: number; params: Params;
  state: { activity: number[][] | null; memory: number[][]; prev: number[][] | null };
}
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
const steps = fixture('torch-steps.json') as { config: Record<string, number>; initial: Params; steps: Step[] };
const TOL = { atol: 1e-5, rtol: 1e-5 };

async function expectParams(net: SynapticPlasticityNetwork, expected: Params, where: string): Promise<void> {
  const actual = await net.getWeights();
  for (const name of PARAMETER_NAMES) {
    try {
      expectClose(actual[name], (expected[name] as number[]).flat(), TOL);
    } catch (error) {
      throw new Error(`${where} ${name}: ${(error as Error).message}`);
    }
  }
}

// both implementations of faithful mode: the host path (plain JS) and the tfjs reference
describe.each(['host', 'tfjs'] as StepPath[])('faithful mode (%s path) equals the PyTorch peer', (path) => {
  it('over batches 4, 4, 2, 5, 5, 1, 3, 3 | reset | 3, 6, 2, 2: outputs, losses, weights and state within 1e-5', async () => {
    const c = steps.config;
    const net = new SynapticPlasticityNetwork({ inputDim: c.inputDim!, hiddenDim: c.hiddenDim!, outputDim: c.outputDim!, plasticityRate: c.plasticityRate! });
    net.stepPath = path;
    net.setWeights(steps.initial);
    let index = 0;
    for (const step of steps.steps) {
      const where = `step ${index++} (${step.action})`;
      if (step.action === 'resetMemory') {
        net.resetMemory();
        continue;
      }
      let output: tf.Tensor;
      if (step.action === 'train') {
        const r = net.trainStep(step.x, step.y, { learningRate: c.learningRate });
        expectClose((await r.loss.data())[0]!, step.loss!, TOL);
        r.loss.dispose();
        output = r.output;
      } else {
        output = net.step(step.x, { plasticity: step.action === 'forward-plastic' });
      }
      expect(output.shape, where).toEqual([step.x.length, c.outputDim]);
      expectClose(await output.data(), step.output.flat(), TOL);
      output.dispose();
      await expectParams(net, step.params, where);
      expectClose(await net.synapticLayer.activity!.data(), step.state.activity!.flat(), TOL);
      expectClose(await net.contextualLayer.state.memory!.data(), step.state.memory.flat(), TOL);
      expectClose(await net.attentionLayer.previous!.data(), step.state.prev!.flat(), TOL);
    }
    net.dispose();
  });

  it("the blog's example (999 samples, batch 32 then 7, reset_memory each epoch), 3 epochs: every loss, the weights and the predictions", async () => {
    const ex = fixture('torch-seed-example.json') as {
      series: number[]; initial: Params; losses: number[]; final: Params; predictions: number[];
    };
    const net = new SynapticPlasticityNetwork({ inputDim: 1, hiddenDim: 32, outputDim: 1, plasticityRate: 0.01 });
    net.stepPath = path;
    net.setWeights(ex.initial);
    const n = ex.series.length - 1;
    const x = tf.tensor2d(ex.series.slice(0, n), [n, 1]);
    const y = tf.tensor2d(ex.series.slice(1), [n, 1]);
    const losses: number[] = [];
    for (let epoch = 0; epoch < 3; epoch++) {
      net.resetMemory();
      for (let start = 0; start < n; start += 32) {
        const size = Math.min(32, n - start);
        const [xb, yb] = [tf.slice(x, [start, 0], [size, 1]), tf.slice(y, [start, 0], [size, 1])];
        const r = net.trainStep(xb, yb);
        losses.push((await r.loss.data())[0]!);
        tf.dispose([xb, yb, r.loss, r.output]);
      }
    }
    expectClose(losses, ex.losses, { atol: 1e-5, rtol: 1e-4 });
    await expectParams(net, ex.final, 'after 3 epochs');
    net.resetMemory();
    const predictions: number[] = [];
    for (let start = 0; start < n; start += 32) {
      const xb = tf.slice(x, [start, 0], [Math.min(32, n - start), 1]);
      const out = net.step(xb);
      predictions.push(...(await out.data()));
      tf.dispose([xb, out]);
    }
    expectClose(predictions, ex.predictions, TOL);
    tf.dispose([x, y]);
    net.dispose();
  });
});
