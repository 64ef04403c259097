import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRegistry, defineRule, defineTransform, loadCheckpoint, saveCheckpoint, type Registry, type RuleStepIO } from '@plasticity/core';
import { defineFusedKernel, propagate } from '@plasticity/core/fused';
import { CSRConnection, DenseConnection } from '@plasticity/sparse';
import { mstdp, registerBuiltins, stdp } from '@plasticity/rules';
import { expectPlasticityError, useBackend } from '@plasticity/testing';
import { builtins } from './testing/registry.js';
import { Network } from './network.js';
import { lif } from './neurons/models.js';



/** A user rule with only a tensor step: W decays by a factor per step (no fused kernel). */
const decay = defineRule<{ factor: number }, Record<string, never>>({
  name: 'acme/decay',
  defaults: { factor: 0.999 },
  init: () => ({}),
  step(io: RuleStepIO, state, p) {
    io.conn.mapSynapses((w) => tf.mul(w, p.factor));
    return state;
  },
});

function smallNet(options: ConstructorParameters<typeof Network>[0]) {
  const net = new Network(options);
  net.addPoisson('in', { n: 20, rateHz: 50 });
  net.addPopulation('out', { n: 3, neuron: lif });
  return net;
}

describe('engine selection', () => {
  it('reports which engine runs each projection and why, and logs one line per fallback', () => {
    const lines: string[] = [];
    const net = smallNet({ dtMs: 1, registry: builtins(), log: (l) => lines.push(l) });
    const conns = [0, 1, 2, 3].map(() => DenseConnection.fromDense({ data: new Float32Array(60).fill(0.5), shape: [20, 3] }));
    net.connect('in', 'out', { connection: conns[0]!, rule: 'core/stdp', name: 'a' });
    net.connect('in', 'out', { connection: conns[1]!, rule: decay, name: 'b' });
    net.connect('in', 'out', { connection: conns[2]!, rule: stdp, ruleParams: { sameStepPairs: 'ignore' }, name: 'c' });
    net.connect('in', 'out', { connection: conns[3]!, name: 'd' });
    expect(net.engineReport()).toEqual([
      { projection: 'a', rule: 'core/stdp', engine: 'fused' },
      { projection: 'b', rule: 'acme/decay', engine: 'tensor', reason: "no fused kernel is registered for 'acme/decay' (registry.registerKernel)" },
      { projection: 'c', rule: 'core/stdp', engine: 'tensor', reason: expect.stringMatching(/sameStepPairs 'ignore'/) },
      { projection: 'd', rule: null, engine: 'fused' },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/projection "b" runs 'acme\/decay' on the tensor path/);
    expect(lines[1]).toMatch(/projection "c" runs 'core\/stdp' on the tensor path.*sameStepPairs/);
    net.dispose();
    conns.forEach((c) => c.dispose());
  });

  it("fallback: 'error' throws E_PARAM and adds nothing; 'silent' logs nothing", () => {
    const lines: string[] = [];
    const strict = smallNet({ dtMs: 1, fallback: 'error', log: (l) => lines.push(l) });
    const c = DenseConnection.fromDense({ data: new Float32Array(60).fill(0.5), shape: [20, 3] });
    expectPlasticityError(() => strict.connect('in', 'out', { connection: c, rule: decay }), 'E_PARAM', /cannot run fused: no fused kernel is registered for 'acme\/decay'/);
    expect(strict.engineReport()).toEqual([]);
    expect(strict.registry.has('acme/decay')).toBe(false);
    const quiet = smallNet({ dtMs: 1, fallback: 'silent', log: (l) => lines.push(l) });
    quiet.connect('in', 'out', { connection: c, rule: decay });
    expect(lines).toEqual([]);
    expectPlasticityError(() => smallNet({ dtMs: 1, fallback: 'loud' as never }), 'E_PARAM', /fallback/);
    c.dispose();
  });

  it('a rule object carries its kernel into a network made without a registry; a built-in name says how to register', () => {
    const net = smallNet({ dtMs: 1 });
    const c = DenseConnection.fromDense({ data: new Float32Array(60).fill(0.5), shape: [20, 3] });
    net.connect('in', 'out', { connection: c, rule: stdp });
    expect(net.engineReport()[0]!.engine).toBe('fused');
    expect(net.registry.kernelFor('core/stdp')).toBe(stdp.fused);
    expectPlasticityError(() => net.connect('in', 'out', { connection: c, rule: 'core/bcm' }), 'E_REGISTRY', /registerBuiltins\(registry\) from @plasticity\/rules/);
    c.dispose();
  });

  it('a kernel registered for a rule that has none runs it fused', async () => {
    const registry = createRegistry();
    registry.register(decay);
    registry.registerKernel(defineFusedKernel<{ factor: number }>({
      rule: 'acme/decay',
      setup: ({ table, params }) => ({
        step(io) {
          propagate(table, io);
          const f = Math.fround(params.factor);
          for (let k = 0; k < io.w.length; k++) io.w[k] = Math.fround(io.w[k]! * f);
        },
        state: () => ({ arrays: {}, data: {} }),
        setState: () => undefined,
        reset: () => undefined,
      }),
    }));
    const run = async (reg: Registry) => {
      const net = smallNet({ dtMs: 1, seed: 3, registry: reg, fallback: 'silent' });
      const c = CSRConnection.random({ nPre: 20, nPost: 3, p: 0.5, seed: 1, init: { dist: 'uniform', low: 1, high: 2 } });
      net.connect('in', 'out', { connection: c, rule: 'acme/decay', ruleParams: { factor: 0.99 } });
      const engine = net.engineReport()[0]!.engine;
      const w0 = await c.getWeights();
      await net.run(50);
      const w = await c.getWeights();
      c.dispose();
      net.dispose();
      return { engine, w, w0 };
    };
    const fused = await run(registry);
    const plain = createRegistry();
    plain.register(decay);
    const generic = await run(plain);
    expect(fused.engine).toBe('fused');
    expect(generic.engine).toBe('tensor');
    expect(fused.w).toEqual(generic.w);
    fused.w.forEach((v, k) => expect(v).toBeCloseTo(fused.w0[k]! * 0.99 ** 50, 5));
  });
});

describe('defects', () => {
  it('bounded fused MSTDP clips the total once (BindsNET): w0 0.45 in [0.25, 0.5] → 0.47', async () => {
    const net = new Network({ dtMs: 1, registry: builtins(), fallback: 'error' });
    net.addSpikeTrain('pre', { n: 1, timesMs: [5], indices: [0] });
    net.addSpikeTrain('kick', { n: 1, timesMs: [4], indices: [0] });
    net.addPopulation('post', { n: 1, neuron: lif, params: { tauMMs: 1e6, vThreshMv: 0, refractoryMs: 0 } });
    const plastic = DenseConnection.fromDense([[0.45]]);
    const kick = DenseConnection.fromDense([[1000]]);
    net.connect('kick', 'post', { connection: kick });
    net.connect('pre', 'post', { connection: plastic, rule: mstdp, ruleParams: { nu: 0.1, aPlus: 1, aMinus: 0.8, wMin: 0.25, wMax: 0.5 } });
    const post = net.monitorSpikes('post');
    net.setModulator('reward', 0);
    await net.run(6); // steps 0..5: pre and post spike in step 5
    expect(Array.from(post.steps())).toEqual([5]);
    net.setModulator('reward', 1);
    await net.step(); // e(5) = P+·s_post + s_pre·P− = 1 − 0.8
    net.setModulator('reward', 0);
    await net.run(5);
    expect((await plastic.getWeights())[0]).toBeCloseTo(0.47, 6);
    plastic.dispose();
    kick.dispose();
  });

  it('loadCheckpoint rejects kernel arrays of the wrong length before changing anything', async () => {
    const build = () => {
      const net = new Network({ dtMs: 1, seed: 2, registry: builtins() });
      net.addPoisson('in', { n: 20, rateHz: 80 });
      net.addPopulation('out', { n: 3, neuron: lif, params: { tauMMs: 5 } });
      const c = DenseConnection.fromDense({ data: new Float32Array(60).fill(6), shape: [20, 3] });
      net.connect('in', 'out', { connection: c, rule: mstdp, ruleParams: { nu: 0.1 } });
      net.setModulator('reward', 1);
      return { net, c };
    };
    const a = build();
    await a.net.run(40);
    const bytes = await a.net.saveCheckpoint();
    const ck = loadCheckpoint(bytes, a.net.registry);
    // re-save (valid checksum) with one kernel array shortened or lengthened
    const tampered = async (key: string, length: number) => {
      const arrays = Object.fromEntries(Object.entries(ck.arrays).map(([k, v]) => {
        if (k !== key) return [k, v.data];
        const ctor = v.data.constructor as new (n: number) => typeof v.data;
        const out = new ctor(length);
        out.set(v.data.subarray(0, Math.min(length, v.data.length)));
        return [k, out];
      }));
      return saveCheckpoint({ arrays, configs: ck.rawConfigs, data: ck.data });
    };
    const key = Object.keys(ck.arrays).find((k) => k.endsWith('/r/pPlus'))!;
    expect(key).toBeDefined();
    const b = build();
    await b.net.run(17);
    const wBefore = await b.c.getWeights();
    const vBefore = b.net.state('out').v;
    for (const length of [10, 40]) {
      const bad = await tampered(key, length);
      await expect(b.net.loadCheckpoint(bad)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringMatching(/pPlus/) });
      expect(await b.c.getWeights()).toEqual(wBefore);
      expect(b.net.state('out').v).toEqual(vBefore);
      expect(b.net.stepCount).toBe(17);
    }
    await b.net.loadCheckpoint(bytes); // the untouched file still loads
    expect(b.net.stepCount).toBe(40);
    a.c.dispose();
    b.c.dispose();
  });

  it('on wasm, step() after step() reads no weights back, and equals run() bit for bit', async () => {
    const build = () => {
      const net = new Network({ dtMs: 0.5, seed: 4, registry: builtins() });
      net.addPoisson('in', { n: 40, rateHz: 60 });
      net.addPopulation('out', { n: 5, neuron: lif, params: { tauMMs: 10 } });
      const c = CSRConnection.random({ nPre: 40, nPost: 5, p: 0.6, seed: 3, init: { dist: 'uniform', low: 1, high: 4 } });
      net.connect('in', 'out', { connection: c, rule: 'core/stdp', ruleParams: { aPlus: 0.2, aMinus: 0.25, wMax: 6 } });
      return { net, c };
    };
    await useBackend('wasm');
    try {
      const a = build(), b = build();
      let reads = 0;
      const original = a.c.getWeights.bind(a.c);
      a.c.getWeights = () => { reads++; return original(); };
      for (let k = 0; k < 200; k++) await a.net.step();
      expect(reads).toBe(1); // the first acquire only
      await b.net.run(100);
      a.c.getWeights = original;
      expect(await a.c.getWeights()).toEqual(await b.c.getWeights());
      // a weight set from outside between steps is read back and used
      a.c.setWeights(new Float32Array(a.c.nnz).fill(2));
      b.c.setWeights(new Float32Array(b.c.nnz).fill(2));
      await a.net.step();
      await b.net.step();
      expect(await a.c.getWeights()).toEqual(await b.c.getWeights());
      a.c.dispose();
      b.c.dispose();
    } finally {
      await useBackend('cpu');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Per-synapse arrays and the transform hook

/** Each synapse decays at its own rate (a per-synapse array drawn from the projection's stream). */
const ownRateDecay = defineRule<{ maxRate: number }, Record<string, never>>({
  name: 'test/own-rate-decay',
  defaults: { maxRate: 0.02 },
  init: () => ({}),
  synapseArrays: ({ nnz, pre }, p, rng) => {
    const rate = Float32Array.from(rng.uniform(nnz, 0, p.maxRate));
    for (let k = 0; k < nnz; k++) if (pre[k]! % 2 === 0) rate[k] = 0;
    return { rate };
  },
  step(io: RuleStepIO, state) {
    io.conn.mapSynapses((w, ctx) => tf.mul(w, tf.sub(1, ctx.params.rate!)), { rate: io.synapses!.rate! });
    return state;
  },
  fused: defineFusedKernel({
    rule: 'test/own-rate-decay',
    setup: ({ table, synapses }) => ({
      step(io) {
        propagate(table, io);
        const r = synapses.rate!;
        for (let k = 0; k < io.w.length; k++) io.w[k] = Math.fround(io.w[k]! * Math.fround(1 - r[k]!));
      },
      state: () => ({ arrays: {}, data: {} }),
      setState: () => undefined,
      reset: () => undefined,
    }),
  }),
});

/** Dale's principle as a projection: pre neurons [0, nExc) keep w >= 0, the others w <= 0. */
const dale = defineTransform<{ nExc: number }, Record<string, never>>({
  name: 'test/dale',
  defaults: { nExc: 10 },
  apply({ weights, synapses }, _state, p) {
    const out = tf.tidy(() => {
      const exc = tf.less(synapses!.pre, tf.scalar(p.nExc, 'int32'));
      return tf.where(exc, tf.relu(weights), tf.neg(tf.relu(tf.neg(weights))));
    });
    return { weights: out };
  },
  fused: {
    setup: ({ structure, params }) => {
      const pre = structure.pre;
      return {
        apply(w) {
          for (let k = 0; k < w.length; k++) {
            const v = w[k]!;
            if (pre[k]! < params.nExc ? v < 0 : v > 0) w[k] = 0;
          }
        },
      };
    },
  },
});

describe('per-synapse arrays and transforms', () => {
  const run = async (fused: boolean, steps = 300) => {
    const registry = createRegistry();
    registerBuiltins(registry);
    registry.register(fused ? ownRateDecay : { ...ownRateDecay, fused: undefined } as typeof ownRateDecay);
    registry.register(fused ? dale : { ...dale, fused: undefined } as typeof dale);
    const net = new Network({ dtMs: 1, seed: 7, registry, fallback: 'silent' });
    net.addPoisson('in', { n: 20, rateHz: 60 });
    net.addPopulation('out', { n: 4, neuron: lif, params: { tauMMs: 10 } });
    const c1 = CSRConnection.random({ nPre: 20, nPost: 4, p: 0.7, seed: 5, init: { dist: 'uniform', low: -3, high: 3 } });
    const c2 = DenseConnection.random({ nPre: 20, nPost: 4, p: 1, seed: 6, init: { dist: 'uniform', low: 0, high: 2 } });
    net.connect('in', 'out', { connection: c1, rule: 'core/stdp', ruleParams: { aPlus: 0.3, aMinus: 0.35, wMin: -5, wMax: 5 }, transforms: [{ transform: 'test/dale', params: { nExc: 12 } }], name: 'stdp+dale' });
    net.connect('in', 'out', { connection: c2, rule: 'test/own-rate-decay', ruleParams: { maxRate: 0.01 }, name: 'decay' });
    const engines = net.engineReport().map((e) => e.engine);
    await net.run(steps);
    const out = { engines, w1: await c1.getWeights(), w2: await c2.getWeights(), pre1: c1.pairs().pre, rates: net.synapseArrays('decay').rate!, net, conns: [c1, c2] };
    return out;
  };

  it('a transform holds Dale signs under STDP and a per-synapse array drives a rule: fused = tensor path', async () => {
    const f = await run(true), g = await run(false);
    expect(f.engines).toEqual(['fused', 'fused']);
    expect(g.engines).toEqual(['tensor', 'tensor']);
    f.w1.forEach((v, k) => expect(f.pre1[k]! < 12 ? v >= 0 : v <= 0).toBe(true));
    expect(f.w1.filter((v) => v !== 0).length).toBeGreaterThan(f.w1.length / 3);
    for (let k = 0; k < f.w1.length; k++) expect(Math.abs(f.w1[k]! - g.w1[k]!)).toBeLessThan(1e-4 * (1 + Math.abs(f.w1[k]!)));
    expect(f.rates).toEqual(g.rates); // the same stream draws the same per-synapse values
    expect(f.w2).toEqual(g.w2);
    // even pre rows have rate 0: their weights never moved; odd rows decayed by their own rate
    const w0 = await (async () => { const c = DenseConnection.random({ nPre: 20, nPost: 4, p: 1, seed: 6, init: { dist: 'uniform', low: 0, high: 2 } }); const w = await c.getWeights(); c.dispose(); return w; })();
    for (let k = 0; k < f.w2.length; k++) {
      const i = Math.floor(k / 4);
      if (i % 2 === 0) expect(f.w2[k]).toBe(w0[k]);
      else expect(f.w2[k]).toBeCloseTo(w0[k]! * (1 - f.rates[k]!) ** 300, 4);
    }
    for (const x of [f, g]) { x.conns.forEach((c) => c.dispose()); x.net.dispose(); }
  });

  it('per-synapse arrays are checkpointed, settable and validated', async () => {
    const a = await run(true, 100);
    a.net.setSynapseArray('decay', 'rate', new Float32Array(80).fill(0.001));
    const bytes = await a.net.saveCheckpoint();
    await a.net.run(50);
    const expected = await a.conns[1]!.getWeights();
    const b = await run(true, 7);
    await b.net.loadCheckpoint(bytes);
    expect(b.net.synapseArrays('decay').rate).toEqual(new Float32Array(80).fill(0.001));
    await b.net.run(50);
    expect(await b.conns[1]!.getWeights()).toEqual(expected);
    expectPlasticityError(() => b.net.setSynapseArray('decay', 'rate', new Float32Array(3)), 'E_SHAPE', /length nnz = 80/);
    expectPlasticityError(() => b.net.setSynapseArray('decay', 'rate', new Float32Array(80).fill(NaN)), 'E_PARAM', /values\[0\] must be finite/);
    expectPlasticityError(() => b.net.setSynapseArray('decay', 'lr', new Float32Array(80)), 'E_PARAM', /rate/);
    expect(b.net.synapseArrays('decay').rate).toEqual(new Float32Array(80).fill(0.001));
    for (const x of [a, b]) { x.conns.forEach((c) => c.dispose()); x.net.dispose(); }
  });

  it('a transform without a fused form sends its projection to the tensor path, with the reason', async () => {
    const registry = builtins();
    registry.register({ ...dale, fused: undefined } as typeof dale);
    const net = smallNet({ dtMs: 1, registry, fallback: 'silent' });
    const c = DenseConnection.fromDense({ data: new Float32Array(60).fill(0.5), shape: [20, 3] });
    net.connect('in', 'out', { connection: c, rule: 'core/stdp', transforms: ['test/dale'] });
    expect(net.engineReport()[0]).toMatchObject({ engine: 'tensor', reason: "transform 'test/dale' has no fused form" });
    expectPlasticityError(() => net.connect('in', 'out', { connection: c, transforms: [42 as never] }), 'E_PARAM', /transforms\[0\] must be a transform plugin/);
    c.dispose();
  });

  it('a checkpoint loads only into the same synapses stored the same way', async () => {
    const make = (conn: Parameters<Network['connect']>[2]['connection']) => {
      const net = new Network({ dtMs: 1, seed: 1, registry: builtins() });
      net.addPoisson('in', { n: 3, rateHz: 100 });
      net.addPopulation('out', { n: 4, neuron: lif });
      net.connect('in', 'out', { connection: conn, rule: 'core/stdp', name: 'p' });
      return net;
    };
    const coo = { format: 'coo' as const, pre: [2, 0, 1, 0], post: [1, 3, 0, 0], weights: [5, 2, 3, 1] };
    const a = make(coo);
    await a.run(20);
    const bytes = await a.saveCheckpoint();
    await expect(make({ ...coo, format: 'csr' }).loadCheckpoint(bytes)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringMatching(/was a "coo" connection.*synapsePermutation/) });
    await expect(make({ ...coo, post: [1, 3, 0, 2] }).loadCheckpoint(bytes)).rejects.toMatchObject({ code: 'E_CHECKPOINT', message: expect.stringMatching(/other synapses/) });
    const same = make(coo);
    await same.loadCheckpoint(bytes);
    expect(await same.weights('p')).toEqual(await a.weights('p'));
  });
});
