import * as tf from '@tensorflow/tfjs-core';
import { isPlasticityError, resolveParams, toConfig } from '@plasticity/core';
import { expectClose, expectNoLeaks } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { releaseState } from './common.js';
import { STDP_DEFAULTS, stdp, stdpToFused, type StdpParams } from './stdp.js';
import { bruteForcePairStdp, spikeTimes } from './testing/brute-force.js';
import { ReferenceConnection } from './testing/reference-connection.js';
import { randomRaster, runRule } from './testing/run.js';

// Asymmetric and large on purpose: a swapped sign, swapped τ or swapped pairing changes every number.
const BASE: StdpParams = { ...STDP_DEFAULTS, aPlus: 0.7, aMinus: 0.3, tauPlusMs: 10, tauMinusMs: 30, wMin: -50, wMax: 50 };
const DT = 0.5;

/** One synapse; pre spikes at `preSteps`, post spikes at `postSteps`; returns the final weight. */
async function single(params: StdpParams, preSteps: number[], postSteps: number[], w0 = 0): Promise<number> {
  const steps = Math.max(...preSteps, ...postSteps) + 2;
  const pre = new Float32Array(steps);
  const post = new Float32Array(steps);
  for (const t of preSteps) pre[t] = 1;
  for (const t of postSteps) post[t] = 1;
  const conn = ReferenceConnection.dense(1, 1, [w0]);
  await runRule(stdp, params, conn, { steps, pre, post }, { dtMs: DT });
  const w = (await conn.weights())[0]!;
  conn.dispose();
  return w;
}

describe('core/stdp analytic window', () => {
  for (const pairing of ['all-to-all', 'nearest'] as const) {
    for (const k of [1, 3, 8, 20, 57]) {
      const dt = k * DT;
      it(`${pairing}: pre then post at +${dt} ms gives A+·exp(−Δt/τ+); post then pre gives −A−·exp(−Δt/τ−)`, async () => {
        const p = { ...BASE, pairing };
        expectClose(await single(p, [2], [2 + k]), 0.7 * Math.exp(-dt / 10), { rtol: 1e-5, atol: 1e-7 });
        expectClose(await single(p, [2 + k], [2]), -0.3 * Math.exp(-dt / 30), { rtol: 1e-5, atol: 1e-7 });
        // μ = 0 multiplicative is additive: the mapSynapses path gives the same window.
        const mu0 = { ...p, weightDependence: 'multiplicative' as const, muPlus: 0, muMinus: 0 };
        expectClose(await single(mu0, [2], [2 + k]), 0.7 * Math.exp(-dt / 10), { rtol: 1e-5, atol: 1e-7 });
        expectClose(await single(mu0, [2 + k], [2]), -0.3 * Math.exp(-dt / 30), { rtol: 1e-5, atol: 1e-7 });
      });
    }
  }

  it('same-step pre and post spikes pair as Δt = 0 (Brian2 order); nearest and all-to-all differ on a burst', async () => {
    expectClose(await single(BASE, [3], [3]), 0.7, { rtol: 1e-6 });
    expect(await single({ ...BASE, sameStepPairs: 'ignore' }, [3], [3])).toBe(0);
    // 'ignore' pairs the same-step post spike with the earlier pre spike instead (nearest).
    expectClose(await single({ ...BASE, sameStepPairs: 'ignore', pairing: 'nearest' }, [1, 3], [3]), 0.7 * Math.exp(-1 / 10), { rtol: 1e-5 });
    expect(stdpToFused({ ...STDP_DEFAULTS, sameStepPairs: 'ignore' })).toBeUndefined();
    // pre at 0 and 4, post at 6: all-to-all pairs both, nearest only the one at 4.
    const all = await single({ ...BASE, pairing: 'all-to-all' }, [0, 4], [6]);
    const near = await single({ ...BASE, pairing: 'nearest' }, [0, 4], [6]);
    expectClose(all, 0.7 * (Math.exp(-3 / 10) + Math.exp(-1 / 10)), { rtol: 1e-5 });
    expectClose(near, 0.7 * Math.exp(-1 / 10), { rtol: 1e-5 });
  });
});

describe('core/stdp equals the brute-force sum over spike pairs', () => {
  const nPre = 5;
  const nPost = 4;
  const steps = 160;
  for (const pairing of ['all-to-all', 'nearest'] as const) {
    for (const [batch, seed, sameStepPairs] of [[1, 1, 'ltp'], [1, 2, 'ltp'], [3, 1, 'ltp'], [3, 2, 'ltp'], [1, 3, 'ignore'], [3, 4, 'ignore']] as const) {
      {
        it(`${pairing}, same-step pairs '${sameStepPairs}', batch ${batch}, seed ${seed}`, async () => {
          const p = { ...BASE, pairing, sameStepPairs, aPlus: 0.01, aMinus: 0.012, tauPlusMs: 8, tauMinusMs: 15 };
          const pre = randomRaster(seed, steps, batch * nPre, sameStepPairs === 'ignore' ? 0.2 : 0.08);
          const post = randomRaster(seed + 100, steps, batch * nPost, sameStepPairs === 'ignore' ? 0.2 : 0.08);
          const conn = ReferenceConnection.dense(nPre, nPost, new Float32Array(nPre * nPost));
          await runRule(stdp, p, conn, { steps, pre, post }, { dtMs: DT, batch });
          const expected = new Float32Array(nPre * nPost);
          for (let b = 0; b < batch; b++) {
            for (let i = 0; i < nPre; i++) {
              for (let j = 0; j < nPost; j++) {
                expected[i * nPost + j]! += bruteForcePairStdp(
                  spikeTimes(pre, batch * nPre, b * nPre + i),
                  spikeTimes(post, batch * nPost, b * nPost + j),
                  p,
                  DT,
                );
              }
            }
          }
          expect(expected.filter((x) => Math.abs(x) > 1e-3).length).toBeGreaterThan(nPre * nPost * batch > 20 ? 10 : 5);
          expectClose(await conn.toDense(), expected, { atol: 1e-5, rtol: 1e-4 });
          conn.dispose();
        });
      }
    }
  }
});

describe('core/stdp bounds and weight dependence', () => {
  for (const weightDependence of ['additive', 'multiplicative', 'soft-bound'] as const) {
    it(`${weightDependence}: weights stay in [wMin, wMax] after every update`, async () => {
      const p: StdpParams = { ...BASE, weightDependence, wMin: 0.1, wMax: 0.6, aPlus: 0.3, aMinus: 0.35, muPlus: 0.5, muMinus: 2 };
      const n = 6;
      const w0 = Float32Array.from({ length: n * n }, (_, k) => 0.1 + (0.5 * k) / (n * n - 1));
      const conn = ReferenceConnection.dense(n, n, w0);
      const pre = randomRaster(7, 80, 2 * n, 0.3);
      const post = randomRaster(8, 80, 2 * n, 0.3);
      let lo = Infinity;
      let hi = -Infinity;
      await runRule(stdp, p, conn, { steps: 80, pre, post }, {
        dtMs: 1,
        batch: 2,
        after: async () => {
          for (const w of await conn.weights()) { lo = Math.min(lo, w); hi = Math.max(hi, w); }
        },
      });
      expect(lo).toBeGreaterThanOrEqual(0.1 - 1e-7);
      expect(hi).toBeLessThanOrEqual(0.6 + 1e-7);
      expect(hi - lo).toBeGreaterThan(0.1);
      conn.dispose();
    });
  }

  // BindsNET #534: soft bounds must use (wMax − w) and (w − wMin), not (wMax − wMin).
  for (const [weightDependence, muPlus, muMinus] of [['soft-bound', 1, 1], ['multiplicative', 0.5, 2], ['multiplicative', 1, 1]] as const) {
    it(`${weightDependence} μ+=${muPlus} μ−=${muMinus}: LTP vanishes as w → wMax and LTD as w → wMin`, async () => {
      const p: StdpParams = { ...BASE, weightDependence, muPlus, muMinus, wMin: -0.2, wMax: 1.5 };
      // Two synapses only, (0,0) and (1,1): (0,0) gets one pre→post pair (LTP), (1,1) one post→pre pair (LTD).
      const run = async (w00: number, w11: number) => {
        const pre = Float32Array.from([0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]); // [steps=6, nPre=2]: pre0 at 1, pre1 at 3
        const post = Float32Array.from([0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]); // post1 at 1, post0 at 3
        const conn = new ReferenceConnection({ nPre: 2, nPost: 2, pre: Int32Array.from([0, 1]), post: Int32Array.from([0, 1]), weights: Float32Array.from([w00, w11]) });
        await runRule(stdp, p, conn, { steps: 6, pre, post }, { dtMs: DT });
        const w = await conn.weights();
        conn.dispose();
        return [w[0]! - Math.fround(w00), w[1]! - Math.fround(w11)];
      };
      const f = (room: number, mu: number) => (weightDependence === 'soft-bound' ? room : room ** mu);
      const [ltpAtMax, ltdAtMin] = await run(1.5, -0.2);
      expect(ltpAtMax).toBe(0);
      expect(ltdAtMin).toBe(0);
      for (const gap of [0.5, 0.05, 0.001]) {
        const [ltp, ltd] = await run(1.5 - gap, -0.2 + gap);
        // A step larger than the room left is clipped at the bound.
        expectClose(ltp!, Math.min(gap, 0.7 * f(gap, muPlus) * Math.exp(-(2 * DT) / 10)), { rtol: 2e-3, atol: 2e-7 });
        expectClose(ltd!, -Math.min(gap, 0.3 * f(gap, muMinus) * Math.exp(-(2 * DT) / 30)), { rtol: 2e-3, atol: 2e-7 });
      }
    });
  }
});

describe('core/stdp batch semantics', () => {
  for (const weightDependence of ['additive', 'soft-bound'] as const) {
    it(`${weightDependence}: B identical samples give B× the single-sample change under 'sum' and 1× under 'mean'`, async () => {
      const n = 3;
      const steps = 40;
      const pre1 = randomRaster(21, steps, n, 0.2);
      const post1 = randomRaster(22, steps, n, 0.2);
      const B = 4;
      const tileB = (r: Uint8Array) => {
        const out = new Uint8Array(steps * n * B);
        for (let t = 0; t < steps; t++) for (let b = 0; b < B; b++) out.set(r.subarray(t * n, (t + 1) * n), (t * B + b) * n);
        return out;
      };
      const w0 = 0.5;
      const p = { ...BASE, weightDependence, aPlus: 2e-4, aMinus: 1.5e-4, wMin: -5, wMax: 5 };
      const delta = async (batch: number, batchReduce: 'sum' | 'mean', gain = 1) => {
        const conn = ReferenceConnection.dense(n, n, new Float32Array(n * n).fill(w0));
        const trains = batch === 1 ? { steps, pre: pre1, post: post1 } : { steps, pre: tileB(pre1), post: tileB(post1) };
        const q = { ...p, batchReduce, aPlus: p.aPlus * gain, aMinus: p.aMinus * gain };
        await runRule(stdp, q, conn, trains, { dtMs: 1, batch });
        const w = Array.from(await conn.weights(), (x) => x - w0);
        conn.dispose();
        return w;
      };
      const one = await delta(1, 'sum');
      expect(one.some((x) => Math.abs(x) > 1e-5)).toBe(true);
      // 'sum': the batch acts as one sample with B·A± (the weight dependence sees the summed change);
      // for additive STDP that is exactly B× the single-sample change.
      const sum = await delta(B, 'sum');
      expectClose(sum, await delta(1, 'sum', B), { atol: 1e-6, rtol: 1e-4 });
      if (weightDependence === 'additive') expectClose(sum, one.map((x) => B * x), { atol: 1e-6, rtol: 1e-4 });
      expectClose(await delta(B, 'mean'), one, { atol: 1e-6, rtol: 1e-4 });
    });
  }
});

describe('core/stdp validation, memory and determinism', () => {
  it('rejects bad parameters with sentences naming them', () => {
    const bad: [Partial<StdpParams>, RegExp][] = [
      [{ tauPlusMs: 0 }, /tauPlusMs must be > 0/],
      [{ tauMinusMs: -5 }, /tauMinusMs must be > 0/],
      [{ wMin: 1, wMax: 0 }, /wMin must be <= wMax/],
      [{ aPlus: -1 }, /aPlus must be >= 0/],
      [{ weightDependence: 'hebbian' as never }, /weightDependence must be one of/],
      [{ pairing: 'nearest-neighbour' as never }, /pairing must be one of/],
      [{ batchReduce: 'avg' as never }, /batchReduce must be one of/],
    ];
    for (const [params, message] of bad) {
      expect(() => toConfig(stdp, params)).toThrow(message);
      expect(() => stdp.init({ nPre: 2, nPost: 2, batch: 1 }, { ...STDP_DEFAULTS, ...params })).toThrow(message);
    }
    expect(stdp.validate!({ ...STDP_DEFAULTS, tauPlusMs: Number.NaN })).toEqual(['tauPlusMs must be a finite number, got NaN']);
    expect(() => resolveParams(stdp, { tauPlusMs: Number.NaN })).toThrow(/tauPlusMs/);
  });

  it('throws PlasticityError naming the argument before changing weights or state', async () => {
    const conn = ReferenceConnection.dense(3, 2, [1, 2, 3, 4, 5, 6]);
    const state = stdp.init({ nPre: 3, nPost: 2, batch: 1 }, BASE);
    const ok = { pre: tf.tensor1d([1, 0, 1]), post: tf.tensor1d([1, 1]), conn, dtMs: 1 };
    const cases: [object, RegExp, string][] = [
      [{ pre: tf.tensor1d([1, 0]) }, /io\.pre must have shape \[1, 3\] or \[3\], got \[2\]/, 'E_SHAPE'],
      [{ post: tf.tensor2d([[1, 1], [0, 0]]) }, /io\.post must have shape/, 'E_SHAPE'],
      [{ dtMs: 0 }, /io\.dtMs must be a finite number > 0/, 'E_PARAM'],
      [{ dtMs: Number.NaN }, /io\.dtMs/, 'E_PARAM'],
      [{ conn: ReferenceConnection.dense(2, 2, [0, 0, 0, 0]) }, /io\.conn is 2 x 2/, 'E_SHAPE'],
    ];
    for (const [patch, message, code] of cases) {
      let error: unknown;
      try {
        stdp.step({ ...ok, ...patch }, state, BASE);
      } catch (e) {
        error = e;
      }
      expect(isPlasticityError(error, code as 'E_SHAPE')).toBe(true);
      expect((error as Error).message).toMatch(message);
    }
    expect(() => stdp.step(ok, state, { ...BASE, wMax: -100 })).toThrow(/wMin must be <= wMax/);
    expect(Array.from(await conn.weights())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(state.xPre.isDisposed).toBe(false);
    expect(Array.from(await state.xPre.data())).toEqual([0, 0, 0]);
    tf.dispose([ok.pre, ok.post, state.xPre, state.xPost]);
    conn.dispose();
  });

  for (const weightDependence of ['additive', 'multiplicative'] as const) {
    for (const batch of [1, 2]) {
      it(`${weightDependence}, batch ${batch}: a step leaks no tensors`, async () => {
        const p = { ...BASE, weightDependence };
        const conn = ReferenceConnection.dense(3, 2, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
        const pre = tf.ones([batch, 3]);
        const post = tf.ones([batch, 2]);
        let state = stdp.init({ nPre: 3, nPost: 2, batch }, p);
        for (let t = 0; t < 3; t++) {
          const next = await expectNoLeaks(() => stdp.step({ pre, post, conn, dtMs: 1 }, state, p));
          releaseState(state, next);
          state = next;
        }
        const before = tf.memory().numTensors;
        const next = stdp.step({ pre, post, conn, dtMs: 1 }, state, p);
        releaseState(state, next);
        expect(tf.memory().numTensors).toBe(before);
        tf.dispose([pre, post, next.xPre, next.xPost]);
        conn.dispose();
      });
    }
  }

  it('handles silent, all-firing, empty and 1×1 connections', async () => {
    for (const [pre, post] of [[0, 0], [1, 1]] as const) {
      const conn = ReferenceConnection.dense(4, 3, new Float32Array(12).fill(0.5));
      await runRule(stdp, STDP_DEFAULTS, conn, { steps: 5, pre: new Float32Array(20).fill(pre), post: new Float32Array(15).fill(post) });
      const w = await conn.weights();
      // Silent: nothing; all firing every step: every spike pairs with every earlier one of the other side.
      if (pre === 0) expect(Array.from(w)).toEqual(new Array(12).fill(0.5));
      else expect(w.every((x) => Number.isFinite(x))).toBe(true);
      conn.dispose();
    }
    const empty = new ReferenceConnection({ nPre: 3, nPost: 2, pre: new Int32Array(0), post: new Int32Array(0), weights: new Float32Array(0) });
    for (const weightDependence of ['additive', 'soft-bound'] as const) {
      await runRule(stdp, { ...STDP_DEFAULTS, weightDependence }, empty, { steps: 3, pre: new Float32Array(9).fill(1), post: new Float32Array(6).fill(1) });
    }
    expect((await empty.weights()).length).toBe(0);
    empty.dispose();
    expect(await single(STDP_DEFAULTS, [1], [4], 0.5)).toBeCloseTo(0.5 + 0.01 * Math.exp((-3 * DT) / 20), 6);
  });

  it('the same seed gives the same weights; another seed does not', async () => {
    const run = async (seed: number) => {
      const conn = ReferenceConnection.dense(6, 5, new Float32Array(30).fill(0.5));
      await runRule(stdp, STDP_DEFAULTS, conn, { steps: 60, pre: randomRaster(seed, 60, 6, 0.2), post: randomRaster(seed + 1, 60, 5, 0.2) });
      const w = Array.from(await conn.weights());
      conn.dispose();
      return w;
    };
    const a = await run(5);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });
});
