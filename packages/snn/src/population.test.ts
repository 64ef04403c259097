import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectPlasticityError } from '@plasticity/testing';
import { createRegistry, defineRule, type Registry, type RuleStepIO } from '@plasticity/core';
import { defineFusedKernel, propagate } from '@plasticity/core/fused';
import { registerBuiltins } from '@plasticity/rules';
import { CSRConnection, DenseConnection } from '@plasticity/sparse';
import { buildNetwork } from './build.js';
import { Network } from './network.js';
import { lif, ternaryLif } from './neurons/models.js';


/** Each synapse learns at its own rate: w += lr[k]·(x_i·y_j − 0.1), x and y the pre and post events. */
const perSynapseHebb = defineRule<{ lr: number }, Record<string, never>>({
  name: 'test/per-synapse-hebb',
  defaults: { lr: 0.01 },
  init: () => ({}),
  synapseArrays: ({ nnz }, p) => ({ lr: new Float32Array(nnz).fill(p.lr) }),
  step(io: RuleStepIO, state) {
    io.conn.mapSynapses((w, ctx) => tf.add(w, tf.mul(ctx.params.lr!, tf.sub(tf.mul(tf.gather(io.pre, ctx.pre), tf.gather(io.post, ctx.post)), 0.1))), { lr: io.synapses!.lr! });
    return state;
  },
  fused: defineFusedKernel({
    rule: 'test/per-synapse-hebb',
    setup: ({ table, synapses, structure }) => {
      const { pre, post } = structure;
      return {
        step(io) {
          propagate(table, io);
          const lr = synapses.lr!, w = io.w;
          for (let k = 0; k < w.length; k++) w[k] = Math.fround(w[k]! + lr[k]! * (io.preValue[pre[k]!]! * io.postValue[post[k]!]! - 0.1));
        },
        state: () => ({ arrays: {}, data: {} }),
        setState: () => undefined,
        reset: () => undefined,
      };
    },
  }),
});

const registry = (): Registry => {
  const r = createRegistry();
  registerBuiltins(r);
  r.register(perSynapseHebb);
  return r;
};

/** P members (or one network: members 1) of Poisson → LIF (CSR, STDP, delay) → ternary LIF (dense, per-synapse rule). */
function build(members: number) {
  const net = new Network({ dtMs: 0.5, seed: 5, registry: registry(), members });
  net.addPoisson('in', { n: 30, rateHz: 50 });
  net.addPopulation('hid', { n: 8, neuron: lif, params: { tauMMs: 8 } });
  net.addPopulation('out', { n: 3, neuron: ternaryLif, params: { vThresh: 0.5 } });
  const c1 = CSRConnection.random({ nPre: 30, nPost: 8, p: 0.5, seed: 1, init: { dist: 'uniform', low: 2, high: 6 } });
  const c2 = DenseConnection.random({ nPre: 8, nPost: 3, p: 1, seed: 2, init: { dist: 'uniform', low: -1, high: 1 } });
  net.connect('in', 'hid', { connection: c1, rule: 'core/stdp', ruleParams: { aPlus: 0.3, aMinus: 0.33, wMax: 8 }, delaySteps: 1 });
  net.connect('hid', 'out', { connection: c2, rule: 'test/per-synapse-hebb', ruleParams: { lr: 0.02 }, name: 'readout' });
  net.connect('hid', 'hid', { connection: { format: 'csr', random: { p: 0.3, seed: 3, init: 1 } }, rule: 'core/mstdp', ruleParams: { nu: 0.1, wMin: 0, wMax: 4 }, name: 'rec' });
  return { net, conns: [c1, c2] };
}

/** Member m's own parameters: its readout weights, learning rates and reward. */
const memberWeights = (m: number) => Float32Array.from({ length: 24 }, (_, k) => Math.sin(m * 7 + k) * 0.8);
const memberLr = (m: number) => Float32Array.from({ length: 24 }, (_, k) => 0.005 * ((m + k) % 4));
const memberReward = (m: number) => (m % 2 === 0 ? 0.5 : -0.25);

async function snapshot(net: Network, member?: number) {
  const opt = member === undefined ? {} : { member };
  return {
    hid: net.state('hid', opt), out: net.state('out', opt),
    w: [await net.weights('in->hid', opt), await net.weights('readout', opt), await net.weights('rec', opt)],
    lr: net.synapseArrays('readout', opt).lr, traces: net.traces('in->hid', opt).xPre,
  };
}

describe('population networks (members)', () => {
  it('member k gives bit for bit what the same network run alone gives', async () => {
    const P = 5;
    const pop = build(P);
    for (let m = 0; m < P; m++) {
      await pop.net.setWeights('readout', memberWeights(m), { member: m });
      pop.net.setSynapseArray('readout', 'lr', memberLr(m), { member: m });
    }
    pop.net.setModulator('reward', Array.from({ length: P }, (_, m) => memberReward(m)));
    await pop.net.run(150);
    const members = [];
    for (let m = 0; m < P; m++) members.push(await snapshot(pop.net, m));
    for (let m = 0; m < P; m++) {
      const alone = build(1);
      await alone.net.setWeights('readout', memberWeights(m));
      alone.net.setSynapseArray('readout', 'lr', memberLr(m));
      alone.net.setModulator('reward', memberReward(m));
      await alone.net.run(150);
      expect(members[m]).toEqual(await snapshot(alone.net));
      alone.conns.forEach((c) => c.dispose());
    }
    // the members really differ, and spikes flowed
    expect(members[0]!.w[1]).not.toEqual(members[1]!.w[1]);
    expect(members[0]!.w[2]).not.toEqual(members[1]!.w[2]);
    const w0 = await pop.conns[0]!.getWeights(); // the connection keeps the initial weights of every member
    for (const m of members) expect(m.w[0]!.filter((v, k) => v !== w0[k]).length).toBeGreaterThan(w0.length / 4);
    pop.conns.forEach((c) => c.dispose());
  });

  it('save, load and continue equals an uninterrupted run; a spec keeps the member count', async () => {
    const setup = async () => {
      const x = build(3);
      for (let m = 0; m < 3; m++) await x.net.setWeights('readout', memberWeights(m), { member: m });
      x.net.setModulator('reward', [0.5, -0.5, 1]);
      return x;
    };
    const ref = await setup();
    await ref.net.run(200);
    const half = await setup();
    await half.net.run(100);
    const bytes = await half.net.saveCheckpoint();
    const spec = await half.net.toSpec();
    expect(spec.members).toBe(3);
    const other = buildNetwork(JSON.parse(JSON.stringify(spec)), registry());
    await other.loadCheckpoint(bytes);
    await other.run(100);
    await half.net.run(100);
    for (let m = 0; m < 3; m++) {
      expect(await snapshot(other, m)).toEqual(await snapshot(ref.net, m));
      expect(await snapshot(half.net, m)).toEqual(await snapshot(ref.net, m));
    }
    const plain = build(1);
    await expect(plain.net.loadCheckpoint(bytes)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringMatching(/3 members/) });
    for (const x of [ref, half, plain]) x.conns.forEach((c) => c.dispose());
    other.dispose();
  });

  it('rejects what a population cannot run and members out of range', async () => {
    const x = build(2);
    const tensorOnly = defineRule({ name: 'test/tensor-only', defaults: {}, init: () => ({}), step: (_io: RuleStepIO, s: Record<string, never>) => s });
    const c = DenseConnection.fromDense({ data: new Float32Array(24), shape: [8, 3] });
    expectPlasticityError(() => x.net.connect('hid', 'out', { connection: c, rule: tensorOnly }), 'E_PARAM', /population network \(members > 1\) runs fused only/);
    expectPlasticityError(() => x.net.state('hid', { member: 2 }), 'E_PARAM', /member must be an integer in \[0, 1\]/);
    expectPlasticityError(() => x.net.setModulator('reward', [1, 2, 3]), 'E_SHAPE', /length members = 2/);
    await expect(x.net.setWeights('readout', new Float32Array(5), { member: 0 })).rejects.toMatchObject({ code: 'E_SHAPE' });
    expectPlasticityError(() => new Network({ dtMs: 1, members: 0 }), 'E_PARAM', /members/);
    c.dispose();
    x.conns.forEach((k) => k.dispose());
  });
});
