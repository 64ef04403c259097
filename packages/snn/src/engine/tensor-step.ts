import * as tf from '@tensorflow/tfjs-core';
import type { Neuron, PluginState } from '@plasticity/core';
import { clearSpikes, disposeState, type Projection, type TransformSlot } from './model.js';
import type { Simulation } from './simulation.js';
import { acquireOne } from './weights.js';

/** One step with tfjs ops for the parts without a fused kernel (generic neurons and rules), in the
 *  fused step's order; fused parts run their kernels as in `Simulation.stepFused`. */
export async function stepTensor(sim: Simulation, dtMs: number): Promise<void> {
  const n = sim.n;
  for (const g of sim.groups) {
    clearSpikes(g);
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
    if (p.engine.engine === 'tensor') {
      if (p.copied) p.conn.setWeights(p.w!);
      if (p.rule) {
        const pre = tf.tensor1d(Float32Array.from(sim.io.preValue), 'float32');
        const post = tf.tensor1d(Float32Array.from(p.post.value), 'float32');
        const mod = p.modulator !== null ? sim.modulators.get(p.modulator) : undefined;
        const io = { pre, post, conn: p.conn, dtMs, synapses: p.synapses, ...(mod !== undefined ? { modulator: mod } : {}) };
        const next = p.rule.step(io, p.ruleState!, p.ruleParams!);
        pre.dispose();
        post.dispose();
        disposeState(p.ruleState, next);
        p.ruleState = next;
      }
      for (const t of p.transforms) await applyTensorTransform(p, t);
      await acquireOne(p);
    } else {
      for (const t of p.transforms) t.fused!.apply(sim.io.w, sim.io.n);
    }
    sim.pushRing(p);
  }
  sim.finishStep();
}

/** A transform's tensor `apply` on the stored weights [nnz] with the sparse context. */
async function applyTensorTransform(p: Projection, slot: TransformSlot): Promise<void> {
  const st = p.structure();
  const ctx = tf.tidy(() => ({
    pre: tf.tensor1d(st.pre, 'int32'),
    post: tf.tensor1d(st.post, 'int32'),
    params: Object.fromEntries(Object.entries(p.synapses).map(([k, v]) => [k, tf.tensor1d(v, 'float32')])),
  }));
  const weights = tf.reshape(p.conn.weightTensor, [-1]);
  try {
    const out = slot.transform.apply({ weights, synapses: ctx }, slot.tensorState ?? {}, slot.params);
    if (out.weights && out.weights !== weights) {
      p.conn.setWeights(await out.weights.data());
      out.weights.dispose();
    }
    if (out.state) {
      disposeState(slot.tensorState, out.state as PluginState);
      slot.tensorState = out.state as PluginState;
    }
  } finally {
    weights.dispose();
    tf.dispose([ctx.pre, ctx.post, ...Object.values(ctx.params)]);
  }
}
