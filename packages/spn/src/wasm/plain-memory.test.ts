import * as tf from '@tensorflow/tfjs-core';
import { expectClose, useBackend } from '@plasticity/testing';
import { afterAll, describe, expect, it } from 'vitest';

// A browser page without cross-origin isolation has no shared memory: the kernels run on a plain memory,
// with no resident arrays and no worker threads. This file sees fresh modules (vitest isolates test
// files), so the flag below is in place before the kernels load.
(globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated = false;
const { SynapticPlasticityNetwork, hostThreads } = await import('../index.js');
const { isResident, residentArray } = await import('./memory.js');
const { gemmInWasm } = await import('./module.js');

describe('the host step on a plain (unshared) memory', () => {
  afterAll(() => {
    delete (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  });

  it('runs the module with plain arrays and one thread, and gives what the tfjs path gives', async () => {
    await useBackend('wasm');
    expect(gemmInWasm()).toBe(true);
    expect(isResident(residentArray(8))).toBe(false);
    expect(hostThreads()).toBe(1);
    const options = { inputDim: 4, hiddenDim: 40, outputDim: 2, seed: 3, plasticityRate: 0.05 };
    const nets = [new SynapticPlasticityNetwork(options), new SynapticPlasticityNetwork(options)];
    nets[0]!.stepPath = 'tfjs';
    nets[1]!.stepPath = 'host';
    const x = tf.randomNormal([16, 4], 0, 1, 'float32', 1);
    const y = tf.randomNormal([16, 2], 0, 1, 'float32', 2);
    const losses = [];
    for (const net of nets) {
      const l = [];
      for (let i = 0; i < 3; i++) {
        const r = net.trainStep(x, y);
        l.push((await r.loss.data())[0]!);
        tf.dispose([r.loss, r.output]);
      }
      losses.push(l);
    }
    expectClose(losses[1]!, losses[0]!, { atol: 2e-6, rtol: 1e-4 });
    const [a, b] = await Promise.all(nets.map((n) => n.getWeights()));
    for (const key of Object.keys(a!)) expectClose(b![key as keyof typeof b]!, a![key as keyof typeof a]!, { atol: 2e-6, rtol: 1e-4 });
    tf.dispose([x, y]);
    nets.forEach((n) => n.dispose());
  });
});
