import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, isPlasticityError, loadCheckpoint, saveCheckpoint, toConfig, type Params, type PluginState, type Rule } from '@plasticity/core';
import { COOConnection, CSRConnection, DenseConnection } from '@plasticity/sparse';
import { expectNoLeaks, useBackend } from '@plasticity/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, registerBuiltins } from './builtins.js';
import { releaseState, disposeState } from './common.js';
import { STDP_DEFAULTS, stdp, type StdpParams } from './stdp.js';
import { ReferenceConnection } from './testing/reference-connection.js';
import { randomRaster, ruleSynapses, runRule, stepWithoutLeaks } from './testing/run.js';

const RULES = BUILTIN_RULES as unknown as Rule<Params, PluginState>[];

function coo(nPre: number, nPost: number) {
  const pre: number[] = [];
  const post: number[] = [];
  for (let i = 0; i < nPre; i++) for (let j = 0; j < nPost; j++) if ((i + 2 * j) % 3 !== 0) { pre.push(i); post.push(j); }
  return { nPre, nPost, pre: Int32Array.from(pre), post: Int32Array.from(post), weights: Float32Array.from(pre, (_, k) => 0.3 + 0.01 * k) };
}

describe('every rule: input checks happen before anything changes', () => {
  for (const rule of RULES) {
    it(`${rule.name}`, async () => {
      const conn = CSRConnection.fromCoo(coo(4, 3));
      const before = await conn.getWeights();
      const state = rule.init({ nPre: 4, nPost: 3, batch: 2 }, rule.defaults);
      const snapshot = await Promise.all(Object.values(state).map(async (v) => (v instanceof tf.Tensor ? Array.from(await v.data()) : v)));
      const good = { pre: tf.ones([2, 4]), post: tf.ones([2, 3]), conn, dtMs: 1, modulator: 1 };
      const bad: [Partial<typeof good> & Record<string, unknown>, RegExp][] = [
        [{ pre: tf.ones([2, 5]) }, /io\.pre must have shape \[2, 4\]/],
        [{ pre: tf.ones([4]) }, /io\.pre must have shape \[2, 4\]/],
        [{ post: tf.ones([1, 3]) }, /io\.post must have shape \[2, 3\]/],
        [{ dtMs: 0 }, /io\.dtMs must be a finite number > 0/],
        [{ dtMs: -0.1 }, /io\.dtMs/],
        [{ conn: CSRConnection.fromCoo(coo(3, 3)) }, /io\.conn is 3 x 3 .* initialised for 4 x 3/],
      ];
      for (const [patch, message] of bad) {
        let error: unknown;
        try {
          rule.step({ ...good, ...patch } as never, state, rule.defaults);
        } catch (e) {
          error = e;
        }
        expect(isPlasticityError(error), `${message}`).toBe(true);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message.startsWith(`E_SHAPE: ${rule.name}`) || (error as Error).message.startsWith(`E_PARAM: ${rule.name}`)).toBe(true);
        for (const v of Object.values(patch)) if (v instanceof tf.Tensor) v.dispose();
        if (patch.conn) (patch.conn as CSRConnection).dispose();
      }
      // Invalid parameters: every rule has at least one time constant or rate to break.
      const key = Object.keys(rule.defaults).find((k) => k.endsWith('Ms')) ?? 'eta';
      expect(() => rule.step(good as never, state, { ...rule.defaults, [key]: Number.NaN })).toThrow(new RegExp(`${key} must be a finite number, got NaN`));
      expect(() => rule.init({ nPre: 4, nPost: 3, batch: 0 }, rule.defaults)).toThrow(/dims\.batch must be a positive integer/);
      expect(Array.from(await conn.getWeights())).toEqual(Array.from(before));
      const after = await Promise.all(Object.values(state).map(async (v) => (v instanceof tf.Tensor ? Array.from(await v.data()) : v)));
      expect(after).toEqual(snapshot);
      tf.dispose([good.pre, good.post]);
      disposeState(state);
      conn.dispose();
    });
  }
});

describe('every rule, every format, batch 1 and 2: no tensor leaks per step', () => {
  for (const rule of RULES) {
    it(`${rule.name}`, async () => {
      for (const make of [(c: ReturnType<typeof coo>) => DenseConnection.fromCoo(c), CSRConnection.fromCoo, COOConnection.fromCoo]) {
        for (const batch of [1, 2]) {
          const start = tf.memory().numTensors;
          const conn = make(coo(4, 3));
          const params = { ...rule.defaults };
          let state = rule.init({ nPre: 4, nPost: 3, batch }, params);
          const pre = tf.tensor2d(randomRaster(1, batch, 4, 0.5), [batch, 4], 'float32');
          const post = tf.tensor2d(randomRaster(2, batch, 3, 0.5), [batch, 3], 'float32');
          // Connections upload their index structure on first use (a one-time cache they own and
          // dispose), so the first step runs outside the leak check.
          const synapses = ruleSynapses(rule, params, conn);
          for (let t = 0; t < 4; t++) {
            const io = { pre, post, conn, dtMs: 0.5, modulator: 0.5, synapses };
            const next = t === 0 ? rule.step(io, state, params) : await stepWithoutLeaks(rule, io, state, params, expectNoLeaks);
            releaseState(state, next);
            state = next;
          }
          disposeState(state);
          tf.dispose([pre, post]);
          const live = tf.memory().numTensors;
          conn.dispose();
          expect(tf.memory().numTensors).toBeLessThan(live);
          expect(tf.memory().numTensors, 'everything released at the end').toBe(start);
        }
      }
    });
  }
});

describe('every rule: the same seed gives the same weights, another seed other weights', () => {
  for (const rule of RULES) {
    it(`${rule.name}`, async () => {
      const run = async (seed: number) => {
        const conn = COOConnection.fromCoo(coo(5, 4));
        const params = { ...rule.defaults, ...('eta' in rule.defaults ? { eta: 0.05 } : {}), ...('nu' in rule.defaults ? { nu: 0.1 } : {}) };
        const trains = { steps: 30, pre: randomRaster(seed, 30, 5, 0.3), post: randomRaster(seed + 1, 30, 4, 0.3), modulator: Float32Array.from({ length: 30 }, () => 1) };
        await runRule(rule, params, conn, trains);
        const w = Array.from(await conn.getWeights());
        conn.dispose();
        return w;
      };
      const a = await run(10);
      expect(await run(10)).toEqual(a);
      expect(await run(11)).not.toEqual(a);
    });
  }
});

describe('every rule: run T/2, checkpoint, load twice, run T/2 equals an uninterrupted run (bit for bit)', () => {
  for (const rule of RULES) {
    it(`${rule.name}`, async () => {
      const registry = createRegistry();
      registerBuiltins(registry);
      const params = {
        ...rule.defaults, ...('eta' in rule.defaults ? { eta: 0.05, traceTauMs: 2 } : {}), ...('nu' in rule.defaults ? { nu: 0.1 } : {}),
        ...('preTauMs' in rule.defaults ? { preTauMs: 1, postTauMs: 2, initStd: 0.5 } : {}),
      };
      const T = 30;
      const pre = randomRaster(61, T, 5, 0.3);
      const post = randomRaster(62, T, 4, 0.3);
      const modulator = Float32Array.from({ length: T }, (_, t) => Math.cos(t));
      const steps = (conn: CSRConnection, state: PluginState, from: number, to: number) => {
        for (let t = from; t < to; t++) {
          // per-synapse arrays come from the seed (the PDLF rules read them and never write them)
          const synapses = ruleSynapses(rule, params, conn);
          const io = { pre: tf.tensor2d(pre.subarray(t * 5, t * 5 + 5), [1, 5], 'float32'), post: tf.tensor2d(post.subarray(t * 4, t * 4 + 4), [1, 4], 'float32'), conn, dtMs: 0.5, modulator: modulator[t]!, synapses };
          const next = rule.step(io, state, params);
          releaseState(state, next);
          state = next;
          tf.dispose([io.pre, io.post]);
        }
        return state;
      };
      const whole = CSRConnection.fromCoo(coo(5, 4));
      disposeState(steps(whole, rule.init({ nPre: 5, nPost: 4, batch: 1 }, params), 0, T));
      const expected = await whole.getWeights();
      whole.dispose();

      const first = CSRConnection.fromCoo(coo(5, 4));
      const half = steps(first, rule.init({ nPre: 5, nPost: 4, batch: 1 }, params), 0, T / 2);
      const arrays: Record<string, tf.Tensor> = { weights: first.weightTensor };
      for (const [k, v] of Object.entries(half)) if (v instanceof tf.Tensor) arrays[`state.${k}`] = v;
      const bytes = await saveCheckpoint({ arrays, configs: { rule: toConfig(rule, params) } });
      disposeState(half);
      first.dispose();
      for (let round = 0; round < 2; round++) {
        const ckpt = loadCheckpoint(bytes, registry);
        const { plugin, params: p2 } = ckpt.configs.rule!;
        expect(plugin).toBe(rule);
        const conn = CSRConnection.fromCoo(coo(5, 4));
        conn.setWeights(ckpt.arrays.weights!.data as Float32Array);
        const state: Record<string, tf.Tensor> = {};
        for (const [k, a] of Object.entries(ckpt.arrays)) if (k.startsWith('state.')) state[k.slice(6)] = tf.tensor(a.data as Float32Array, [...a.shape], 'float32');
        expect(p2).toEqual(params);
        disposeState(steps(conn, state, T / 2, T));
        expect(await conn.getWeights()).toEqual(expected);
        conn.dispose();
      }
    });
  }
});

describe('property: STDP weights stay within [wMin, wMax] after every update', () => {
  it('any weight dependence, pairing, batch size and amplitudes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          weightDependence: fc.constantFrom('additive', 'multiplicative', 'soft-bound'),
          pairing: fc.constantFrom('all-to-all', 'nearest'),
          batch: fc.integer({ min: 1, max: 3 }),
          aPlus: fc.double({ min: 0, max: 2, noNaN: true }),
          aMinus: fc.double({ min: 0, max: 2, noNaN: true }),
          wMin: fc.double({ min: -1, max: 0.5, noNaN: true }),
          width: fc.double({ min: 0, max: 1.5, noNaN: true }),
          muPlus: fc.double({ min: 0, max: 3, noNaN: true }),
          seed: fc.integer({ min: 1, max: 1000 }),
        }),
        async (c) => {
          const p: StdpParams = { ...STDP_DEFAULTS, ...c, wMax: c.wMin + c.width, muMinus: c.muPlus } as StdpParams;
          const conn = new ReferenceConnection({ ...coo(4, 3), weights: Float32Array.from(coo(4, 3).weights, (_, k) => p.wMin + ((k % 5) / 4) * (p.wMax - p.wMin)) });
          const steps = 12;
          let ok = true;
          await runRule(stdp, p, conn, { steps, pre: randomRaster(c.seed, steps, c.batch * 4, 0.4), post: randomRaster(c.seed + 7, steps, c.batch * 3, 0.4) }, {
            batch: c.batch,
            after: async () => {
              for (const w of await conn.weights()) if (!(w >= Math.fround(p.wMin) - 1e-6 && w <= Math.fround(p.wMax) + 1e-6)) ok = false;
            },
          });
          conn.dispose();
          return ok;
        },
      ),
      { numRuns: 25, seed: 4242 },
    );
  });
});

describe('wasm backend', () => {
  it('every rule gives the cpu weights on CSR (batch 2)', async () => {
    const out: Record<string, Float32Array[]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      for (const rule of RULES) {
        const conn = CSRConnection.fromCoo(coo(5, 4));
        const params = { ...rule.defaults, ...(rule.name.includes('mstdp') ? { nu: 0.1 } : {}), ...('eta' in rule.defaults ? { eta: 0.05 } : {}) };
        const trains = { steps: 20, pre: randomRaster(3, 20, 10, 0.3), post: randomRaster(4, 20, 8, 0.3), modulator: Float32Array.from({ length: 20 }, (_, t) => Math.sin(t)) };
        await runRule(rule, params, conn, trains, { batch: 2 });
        (out[rule.name] ??= []).push(await conn.getWeights());
        conn.dispose();
      }
    }
    await useBackend('cpu');
    for (const [name, [cpu, wasm]] of Object.entries(out)) {
      for (let k = 0; k < cpu!.length; k++) expect(Math.abs(cpu![k]! - wasm![k]!), `${name} synapse ${k}`).toBeLessThan(1e-5 + 1e-5 * Math.abs(cpu![k]!));
    }
  });
});
