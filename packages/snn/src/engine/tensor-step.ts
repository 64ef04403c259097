import * as tf from '@tensorflow/tfjs-core';
import type { Neuron } from '@plasticity/core';
import { disposeState } from './model.js';
import type { Simulation } from './simulation.js';
import { acquireOne } from './weights.js';

/** One step with tfjs ops for the parts without a fused kernel (generic neurons and rules), in the
 *  fused step's order; fused parts run their kernels as in `Simulation.stepFused`. */
export async function stepTensor(sim: Simulation, dtMs: number): Promise<void> {
  const n = sim.n;
  for (const g of sim.groups) {
    if (g.source) g.count = g.source.generate(n, g.active, g.value);
    else if (g.kernel) g.count = g.kernel.integrate(g.active, g.value);
    else {
      const neuron = g.neuron as Neuron;
      const input = g.inputs!.input!;
      const inputTensor = tf.tensor1d(Float32Array.from(input), 'float32');
      input.fill(0);
      const { spikes, state } = neuron.step(inputTensor, g.tensorState!, g.params!, dtMs);
      inputTensor.dispose();
      disposeState(g.tensorState, state);
      g.tensorState = state;
      const s = await spikes.data();
      spikes.dispose();
      let c = 0;
      for (let i = 0; i < g.n; i++) if (s[i] !== 0) { g.active[c++] = i; g.value[i] = s[i]!; }
      g.count = c;
    }
  }
  for (const p of sim.projections) {
    sim.fillIO(p);
    p.kernel.step(sim.io);
    if (p.ruleState) {
      const pre = tf.tensor1d(Float32Array.from(sim.io.preValue), 'float32');
      const post = tf.tensor1d(Float32Array.from(p.post.value), 'float32');
      if (p.copied) p.conn.setWeights(p.w!);
      const mod = p.modulator !== null ? sim.modulators.get(p.modulator) : undefined;
      const next = p.rule!.step({ pre, post, conn: p.conn, dtMs: dtMs, ...(mod !== undefined ? { modulator: mod } : {}) }, p.ruleState, p.ruleParams!);
      pre.dispose();
      post.dispose();
      disposeState(p.ruleState, next);
      p.ruleState = next;
      await acquireOne(p);
    }
    sim.pushRing(p);
  }
  sim.finishStep();
}
