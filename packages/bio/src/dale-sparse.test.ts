import { createRegistry, createRng, resolveParams } from '@plasticity/core';
import { registerBuiltins as registerRules } from '@plasticity/rules';
import { Network, lif } from '@plasticity/snn';
import { COOConnection, CSRConnection, DenseConnection } from '@plasticity/sparse';
import { expectPlasticityError } from '@plasticity/testing';
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registerBuiltins } from './builtins.js';
import { dale, daleSigns, DALE_SIGN } from './dale.js';
import { rejuvenate } from './rejuvenate.js';
import { rewire, rewireSynapses } from './structural.js';
import { BioTrainer } from './trainer.js';

describe('bio/dale', () => {
  it('signs one presynaptic neuron per row (axis pre), or per output column (axis post, the reference)', async () => {
    const p = resolveParams(dale, { layout: 'first', excitatoryFraction: 0.5 });
    const state = dale.init!([4, 3], p, 1);
    expect(Array.from(await (state.sign as tf.Tensor).data())).toEqual([1, 1, -1, -1]);
    const w = tf.tensor2d([[1, -2, 3], [-1, 2, -3], [1, -2, 3], [-1, 2, -3]]);
    const flipped = dale.apply({ weights: w }, state, p); // initialize: |w|·sign
    expect(Array.from(await flipped.weights!.data())).toEqual([1, 2, 3, 1, 2, 3, -1, -2, -3, -1, -2, -3]);
    const projected = dale.apply({ weights: w }, flipped.state!, p); // afterwards a projection: wrong signs → 0
    expect(Array.from(await projected.weights!.data(), (v) => v + 0)).toEqual([1, 0, 3, 0, 2, 0, 0, -2, 0, -1, 0, -3]);
    const q = resolveParams(dale, { layout: 'first', axis: 'post', initialize: false });
    const sq = dale.init!([4, 3], q, 1);
    expect((sq.sign as tf.Tensor).shape).toEqual([1, 3]);
    const byPost = dale.apply({ weights: w }, sq, q);
    expect(Array.from(await byPost.weights!.data(), (v) => v + 0)).toEqual([1, 0, 0, 0, 2, -3, 1, 0, 0, 0, 2, -3]); // column signs +, +, −
    tf.dispose([w, flipped.weights!, projected.weights!, byPost.weights!, state.sign as tf.Tensor, sq.sign as tf.Tensor]);
  });

  it('random layout draws about excitatoryFraction excitatory neurons, seeded', () => {
    const p = resolveParams(dale, { excitatoryFraction: 0.8 });
    const s = daleSigns(10000, p, createRng(4));
    expect(s.filter((x) => x > 0).length / 10000).toBeCloseTo(0.8, 1);
    expect(daleSigns(100, p, createRng(4))).toEqual(daleSigns(100, p, createRng(4)));
    expectPlasticityError(() => resolveParams(dale, { excitatoryFraction: 1.5 }), 'E_PARAM', /excitatoryFraction must be between 0 and 1, got 1.5/);
  });

  // Dale signs after any optimizer step and any other transform, on dense and sparse weights.
  const configs = [
    ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/rejuvenate', 'bio/synaptic-scaling', 'bio/dale'],
    ['bio/fuzzy-lr', 'bio/dale'],
    ['bio/rejuvenate', 'bio/dale'],
  ];
  it('property: signs hold after any optimizer step and any other transform (dense and CSR, sgd/adam/momentum)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 0, max: 1e6 }), fc.constantFrom(0, 1, 2), fc.constantFrom('sgd', 'adam', 'momentum'), fc.boolean(), fc.double({ min: 0.01, max: 2, noNaN: true }),
      async (seed, ci, opt, sparse, lr) => {
        const nPre = 6, nPost = 5;
        const conn = sparse
          ? CSRConnection.random({ nPre, nPost, p: 0.6, seed, init: { dist: 'normal', mean: 0, std: 1 } })
          : DenseConnection.random({ nPre, nPost, p: 1, seed, init: { dist: 'normal', mean: 0, std: 1 } });
        const optimizer = opt === 'sgd' ? tf.train.sgd(lr) : opt === 'adam' ? tf.train.adam(lr) : tf.train.momentum(lr, 0.9);
        const trainer = new BioTrainer({ target: { w: conn }, transforms: configs[ci]!, optimizer, seed });
        const x = tf.tensor2d(createRng(seed + 1).normal([4, nPre]), [4, nPre]);
        const y = tf.tensor2d(createRng(seed + 2).normal([4, nPost]), [4, nPost]);
        const { pre } = conn.pairs();
        const signs = sparse ? (await trainer.synapseArrays('w'))[DALE_SIGN]! : null;
        const dense = !sparse ? await (trainer.stateOf('w', 'bio/dale').sign as tf.Tensor).data() : null;
        let ok = true;
        for (let s = 0; s < 4; s++) {
          trainer.stepWith(() => tf.losses.meanSquaredError(y, conn.propagate(x, { mode: 'float' })) as tf.Scalar).dispose();
          const w = await conn.getWeights();
          ok &&= w.every((v, k) => {
            const sign = sparse ? signs![k]! : dense![Math.floor(k / nPost)]!;
            return sign > 0 ? v >= 0 : v <= 0;
          });
        }
        if (sparse) ok &&= signs!.every((v, k) => v === signs![k - (k > 0 && pre[k] === pre[k - 1] ? 1 : 0)]); // one sign per row
        tf.dispose([x, y]);
        trainer.dispose();
        optimizer.dispose();
        conn.dispose();
        return ok;
      }), { numRuns: 12 });
  });

  it("rejuvenation next to Dale re-draws with the neuron's sign: the weights Dale zeroed come back with it (dense rows, dense columns, CSR)", async () => {
    for (const kind of ['rows', 'columns', 'csr'] as const) {
      const conn = kind === 'csr'
        ? CSRConnection.random({ nPre: 40, nPost: 30, p: 0.3, seed: 4, init: { dist: 'normal', mean: 0, std: 0.3 } })
        : DenseConnection.random({ nPre: 40, nPost: 30, p: 1, seed: 4, init: { dist: 'normal', mean: 0, std: 0.3 } });
      const daleParams = { initialize: false, ...(kind === 'columns' ? { axis: 'post' } : {}) };
      // no optimizer change (sgd 0): step 1 zeroes the weights of the wrong sign; step 2 re-draws every zero
      // (|w| = 0 is re-drawn with probability 1) with its neuron's sign, so Dale keeps them all
      const trainer = new BioTrainer({ target: { w: conn }, transforms: [{ transform: 'bio/dale', params: daleParams }, 'bio/rejuvenate'], optimizer: tf.train.sgd(0), seed: 8 });
      const signOf = kind === 'csr'
        ? await (async () => { const s = (await trainer.synapseArrays('w'))[DALE_SIGN]!; return (k: number) => s[k]!; })()
        : await (async () => {
          const s = await (trainer.stateOf('w', 'bio/dale').sign as tf.Tensor).data();
          return kind === 'rows' ? (k: number) => s[Math.floor(k / 30)]! : (k: number) => s[k % 30]!;
        })();
      const loss = () => tf.sum(conn.propagate(tf.ones([1, 40]), { mode: 'float' })) as tf.Scalar;
      trainer.stepWith(loss).dispose();
      const w1 = await conn.getWeights();
      expect(w1.filter((v) => v === 0).length, kind).toBeGreaterThan(w1.length / 5);
      trainer.stepWith(loss).dispose();
      const w2 = await conn.getWeights();
      expect(w2.filter((v) => v === 0).length, kind).toBe(0);
      expect(Array.from(w2).every((v, k) => Math.sign(v) === signOf(k)), kind).toBe(true);
      trainer.dispose();
      conn.dispose();
    }
  });

  it("in a spiking network, rejuvenation after Dale re-draws the zeroed synapses with their neuron's sign (fused and tensor path)", async () => {
    for (const fallback of [false, true]) {
      const registry = createRegistry();
      registerRules(registry);
      registerBuiltins(registry);
      const rej = fallback ? { ...rejuvenate, name: 'test/rejuvenate-tensor', fused: undefined } : rejuvenate;
      const net = new Network({ dtMs: 1, seed: 3, registry, fallback: 'silent' });
      net.addPoisson('in', { n: 40, rateHz: 40 });
      net.addPopulation('out', { n: 10, neuron: lif, params: { tauMMs: 10 } });
      const conn = CSRConnection.random({ nPre: 40, nPost: 10, p: 0.5, seed: 9, init: { dist: 'uniform', low: -1, high: 1 } });
      net.connect('in', 'out', { connection: conn, name: 'p', transforms: [
        { transform: 'bio/dale', params: { layout: 'first', excitatoryFraction: 0.75, initialize: false } },
        { transform: rej as never, params: { seed: 4 } }] });
      expect(net.engineReport()[0]!.engine).toBe(fallback ? 'tensor' : 'fused');
      await net.run(1); // Dale zeroes the weights of the wrong sign, rejuvenation re-draws every zero
      const w = await conn.getWeights();
      const { pre } = conn.pairs();
      expect(w.filter((v) => v === 0).length).toBe(0);
      expect(Array.from(w).every((v, k) => Math.sign(v) === (pre[k]! < 30 ? 1 : -1))).toBe(true);
      net.dispose?.();
      conn.dispose();
    }
  });

  it("E and I populations keep their signs under STDP in a spiking network (fused and tensor path)", async () => {
    for (const fallback of [false, true]) {
      const registry = createRegistry();
      registerRules(registry);
      registerBuiltins(registry);
      const daleT = fallback ? { ...dale, name: 'test/dale-tensor', fused: undefined } : dale;
      const net = new Network({ dtMs: 1, seed: 3, registry, fallback: 'silent' });
      net.addPoisson('in', { n: 40, rateHz: 40 });
      net.addPopulation('out', { n: 10, neuron: lif, params: { tauMMs: 10 } });
      const conn = CSRConnection.random({ nPre: 40, nPost: 10, p: 0.5, seed: 9, init: { dist: 'uniform', low: -1, high: 1 } });
      net.connect('in', 'out', { connection: conn, rule: 'core/stdp', ruleParams: { aPlus: 0.05, aMinus: 0.06, wMin: -2, wMax: 2 }, transforms: [{ transform: daleT as never, params: { layout: 'first', excitatoryFraction: 0.75 } }], name: 'p' });
      expect(net.engineReport()[0]!.engine).toBe(fallback ? 'tensor' : 'fused');
      await net.run(fallback ? 60 : 400);
      const w = await conn.getWeights();
      const { pre } = conn.pairs();
      expect(Array.from(w).every((v, k) => (pre[k]! < 30 ? v >= 0 : v <= 0))).toBe(true);
      expect(net.synapseArrays('p')[DALE_SIGN]!.every((s, k) => s === (pre[k]! < 30 ? 1 : -1))).toBe(true);
      expect(w.filter((v) => v !== 0).length).toBeGreaterThan(w.length / 4);
      net.dispose?.();
      conn.dispose();
    }
  });
});

describe('structural rewiring', () => {
  it('property: keeps nnz, never duplicates a (pre, post) pair, keeps each synapse in its row, and is reproducible from its seed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.double({ min: 0.05, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1e6 }), (nPre, nPost, p, seed) => {
      const c = COOConnection.random({ nPre, nPost, p, seed, init: { dist: 'normal', mean: 0, std: 0.5 } });
      const { pre, post } = c.pairs();
      const w = Float32Array.from(createRng(seed).normal(pre.length, 0, 0.5));
      c.dispose();
      const r = rewireSynapses({ nPre, nPost, pre, post }, w, { seed, dre: 2 });
      const again = rewireSynapses({ nPre, nPost, pre, post }, w, { seed, dre: 2 });
      const keys = new Set(Array.from(r.pre, (i, k) => i * nPost + r.post[k]!));
      return r.pre.length === pre.length && keys.size === pre.length && r.pre.every((v, k) => v === pre[k])
        && r.post.every((v) => v >= 0 && v < nPost)
        && again.post.every((v, k) => v === r.post[k]) && again.weights.every((v, k) => Object.is(v, r.weights[k]))
        && Array.from(r.moved).every((k) => r.post[k] !== post[k]);
    }), { numRuns: 80 });
  });

  it('moves weak synapses, keeps strong ones and their signs, and rebuilds a CSR connection with a source map', async () => {
    const conn = CSRConnection.random({ nPre: 50, nPost: 200, p: 0.05, seed: 2, init: { dist: 'uniform', low: -1, high: 1 } });
    const w0 = await conn.getWeights();
    const before = conn.pairs();
    const { connection, moved, source } = await rewire(conn, { seed: 5, dre: 4 });
    expect(connection.nnz).toBe(conn.nnz);
    expect(moved.length).toBeGreaterThan(0);
    const w1 = await connection.getWeights();
    const after = connection.pairs();
    const movedSet = new Set(moved);
    for (let k = 0; k < connection.nnz; k++) {
      const old = source[k]!;
      expect(after.pre[k]).toBe(before.pre[old]);
      if (!movedSet.has(old)) {
        expect(after.post[k]).toBe(before.post[old]);
        expect(w1[k]).toBe(w0[old]);
      } else expect(Math.sign(w1[k]!)).toBe(Math.sign(w0[old]!));
    }
    const strong = Array.from(w0).filter((v) => Math.abs(v) > 0.9).length;
    expect(Array.from(moved).filter((k) => Math.abs(w0[k]!) > 0.9).length).toBeLessThan(Math.max(1, strong / 10));
    await expect(rewire(DenseConnection.random({ nPre: 2, nPost: 2, p: 1, seed: 1 }) as never, { seed: 1 })).rejects.toThrow(/dense connection stores every pair/);
    expect(() => rewireSynapses({ nPre: 1, nPost: 2, pre: Int32Array.of(0, 0), post: Int32Array.of(1, 1) }, new Float32Array(2), { seed: 1 })).toThrow(/stored twice/);
    conn.dispose();
    connection.dispose();
  });
});
