// The README's example, run as a test so it cannot rot (keep the two in sync).
import { expect, it } from 'vitest';

it('README example runs and potentiates causally paired synapses', async () => {
  // ---- README example begins
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const { createRegistry, createRng, fromConfig } = await import('@plasticity/core');
  const { CSRConnection } = await import('@plasticity/sparse');
  const { registerBuiltins, releaseState, disposeState } = await import('./index.js'); // '@plasticity/rules' in the README

  await tf.setBackend('cpu');
  const registry = createRegistry();
  registerBuiltins(registry); // nothing is registered at import

  // A rule from its JSON config (defaults filled in, parameters validated).
  const { plugin, params } = fromConfig(registry, {
    name: 'core/stdp',
    specVersion: 1,
    params: { aPlus: 0.01, aMinus: 0.0105, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: 1 },
  });
  const rule = plugin as import('@plasticity/core').Rule;

  // 200 inputs → 10 outputs, 20% connectivity, W[pre, post].
  const conn = CSRConnection.random({ nPre: 200, nPost: 10, p: 0.2, seed: 1, init: { dist: 'uniform', low: 0.4, high: 0.6 } });
  const rng = createRng(2);
  let state = rule.init({ nPre: 200, nPost: 10, batch: 1 }, params);
  let lastPre: Uint8Array = new Uint8Array(200);
  for (let t = 0; t < 500; t++) {
    const preSpikes = rng.bernoulli(200, 0.02);
    // Toy post activity: output j fires one step after input j fired (a causal pairing).
    const postSpikes = Uint8Array.from({ length: 10 }, (_, j) => lastPre[j]!);
    lastPre = preSpikes;
    const pre = tf.tensor1d(Float32Array.from(preSpikes));
    const post = tf.tensor1d(Float32Array.from(postSpikes));
    const next = rule.step({ pre, post, conn, dtMs: 1 }, state, params);
    releaseState(state, next); // step never disposes its input state
    state = next;
    tf.dispose([pre, post]);
  }
  disposeState(state);
  const dense = conn.toDenseTensor();
  const w = (await dense.data()) as Float32Array;
  dense.dispose();
  console.log('W[0, 0] =', w[0], ' mean W =', w.reduce((a, b) => a + b, 0) / w.length);
  // ---- README example ends
  const { pre, post } = conn.pairs();
  const diagonal: number[] = [];
  const others: number[] = [];
  const weights = await conn.getWeights();
  for (let k = 0; k < weights.length; k++) (pre[k] === post[k] ? diagonal : others).push(weights[k]!);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  expect(mean(diagonal)).toBeGreaterThan(mean(others) + 0.02);
  conn.dispose();
});
