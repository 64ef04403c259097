import * as tf from '@tensorflow/tfjs-core';
import { TEST_BACKENDS, arbSparse, expectClose, useBackend } from '@plasticity/testing';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionFormat } from './connection.js';
import {
  build, randomEvents, randomTriples, refAddOuter, refMatVec, refMatrix, refNormalizePost, refOf, refOnPost, refOnPre,
  refPropagate, rngFor, type DenseRef, type Triples,
} from './test-util.js';

const FORMATS: ConnectionFormat[] = ['csr', 'coo', 'dense'];
const SHAPES: Array<{ name: string; nPre: number; nPost: number; p: number; dup?: number }> = [
  { name: '20x100', nPre: 20, nPost: 100, p: 0.3 },
  { name: '100x50', nPre: 100, nPost: 50, p: 0.2 },
  { name: '1x1', nPre: 1, nPost: 1, p: 1 },
  { name: '0 synapses', nPre: 6, nPost: 4, p: 0 },
  { name: 'duplicates', nPre: 9, nPost: 7, p: 0.4, dup: 12 },
];
const BOUNDS: Array<{ wMin?: number; wMax?: number }> = [{}, { wMin: 0.1 }, { wMax: 0.5 }, { wMin: 0.1, wMax: 0.5 }];
const TOL = { atol: 2e-5, rtol: 2e-5 };

async function expectMatches(conn: Connection, ref: DenseRef, what: string): Promise<void> {
  const m = conn.toDenseTensor();
  const got = await m.data();
  m.dispose();
  try {
    expectClose(got, refMatrix(ref), TOL);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

describe.each(TEST_BACKENDS)('every op on every format matches a dense reference (%s)', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(FORMATS)('%s', (format) => {
    it.each(SHAPES)('propagation on $name (binary, batched, float, W @ v)', async ({ nPre, nPost, p, dup }) => {
      const rng = rngFor(nPre * 1000 + nPost);
      const t: Triples = randomTriples(rng, nPre, nPost, p, dup);
      const conn = build(format, t);
      const ref = refOf(t, format);
      await expectMatches(conn, ref, 'construction');

      for (const rate of [0, 0.3, 1]) {
        const spikes = randomEvents(rng, nPre, rate);
        expectClose(await read(conn.propagate(spikes)), refPropagate(ref, spikes, 1, true), TOL);
        // Uint8Array spikes give the same result.
        expectClose(await read(conn.propagate(Uint8Array.from(spikes))), refPropagate(ref, spikes, 1, true), TOL);
      }
      const batch = 3;
      const x = randomEvents(rng, batch * nPre, 0.4, true);
      const xt = tf.tensor2d(x, [batch, nPre]);
      const y = conn.propagate(xt);
      expect(y.shape).toEqual([batch, nPost]);
      expectClose(await read(y), refPropagate(ref, x, batch, true), TOL);
      expectClose(await read(conn.vecMat(xt)), refPropagate(ref, x, batch, false), TOL);
      expectClose(await read(conn.propagate(xt, { mode: 'float' })), refPropagate(ref, x, batch, false), TOL);
      xt.dispose();

      const v = Float32Array.from(rng.uniform(nPost, -1, 1));
      expectClose(await read(conn.matVec(v)), refMatVec(ref, v, 1), TOL);
      const vb = Float32Array.from(rng.uniform(2 * nPost, -1, 1));
      const vt = tf.tensor2d(vb, [2, nPost]);
      const mv = conn.matVec(vt);
      expect(mv.shape).toEqual([2, nPre]);
      expectClose(await read(mv), refMatVec(ref, vb, 2), TOL);
      vt.dispose();
      conn.dispose();
    });

    it.each(SHAPES.flatMap((s) => BOUNDS.map((b) => ({ ...s, bounds: b, label: JSON.stringify(b) }))))(
      'plastic updates on $name with bounds $label',
      async ({ nPre, nPost, p, dup, bounds }) => {
        const rng = rngFor(nPre * 7919 + nPost * 31 + (bounds.wMin ? 1 : 0) + (bounds.wMax ? 2 : 0));
        const t = randomTriples(rng, nPre, nPost, p, dup);
        const conn = build(format, t);
        const ref = refOf(t, format);
        const lo = bounds.wMin ?? -Infinity;
        const hi = bounds.wMax ?? Infinity;
        const b = bounds.wMin === undefined && bounds.wMax === undefined ? undefined : bounds;

        for (const rate of [0.3, 0, 1]) {
          const pre = randomEvents(rng, nPre, rate);
          const trace = Float32Array.from(rng.uniform(nPost, -0.3, 0.3));
          conn.onPre(pre, trace, b);
          refOnPre(ref, pre, trace, lo, hi);
          await expectMatches(conn, ref, `onPre rate ${rate}`);

          const post = randomEvents(rng, nPost, rate);
          const preTrace = Float32Array.from(rng.uniform(nPre, -0.3, 0.3));
          conn.onPost(preTrace, post, b);
          refOnPost(ref, preTrace, post, lo, hi);
          await expectMatches(conn, ref, `onPost rate ${rate}`);
        }

        // Tensor operands: float events count as active where != 0.
        const preT = tf.tensor1d(randomEvents(rng, nPre, 0.5, true));
        const postV = tf.tensor1d(rng.uniform(nPost, -0.2, 0.2));
        conn.onPre(preT, postV, b);
        refOnPre(ref, await preT.data(), await postV.data(), lo, hi);
        await expectMatches(conn, ref, 'onPre with tensors');
        tf.dispose([preT, postV]);

        const batch = 3;
        const a = randomEvents(rng, batch * nPre, 0.5, true);
        const c = Float32Array.from(rng.uniform(batch * nPost, -1, 1));
        const at = tf.tensor2d(a, [batch, nPre]);
        const ct = tf.tensor2d(c, [batch, nPost]);
        conn.addOuter(at, ct, 0.05, b);
        refAddOuter(ref, a, c, batch, 0.05, lo, hi);
        await expectMatches(conn, ref, 'addOuter batched');
        tf.dispose([at, ct]);
        const a1 = randomEvents(rng, nPre, 0.5, true);
        const c1 = Float32Array.from(rng.uniform(nPost, -1, 1));
        conn.addOuter(a1, c1, -0.1, b);
        refAddOuter(ref, a1, c1, 1, -0.1, lo, hi);
        await expectMatches(conn, ref, 'addOuter 1-D');

        conn.mapSynapses((w) => tf.mul(w, 0.9), {}, b);
        ref.w.forEach((x, f) => { if (ref.mask[f]) ref.w[f] = Math.min(hi, Math.max(lo, Math.fround(x * 0.9))); });
        await expectMatches(conn, ref, 'mapSynapses');

        conn.normalizePost(1.5);
        refNormalizePost(ref, 1.5);
        await expectMatches(conn, ref, 'normalizePost');
        conn.dispose();
      },
    );
  });
});

describe.each(TEST_BACKENDS)('fuzzed parity of CSR, COO and dense with the reference (%s)', (backend) => {
  beforeAll(() => useBackend(backend));

  it('propagate, onPre, onPost and addOuter on random structures with repeated pairs', async () => {
    await fc.assert(fc.asyncProperty(arbSparse({ duplicates: true, maxPre: 9, maxPost: 9 }), fc.integer({ min: 0, max: 1000 }), async (s, seed) => {
      const rng = rngFor(seed);
      const spikes = randomEvents(rng, s.nPre, 0.5);
      const postSpikes = randomEvents(rng, s.nPost, 0.5);
      const postTrace = Float32Array.from(rng.uniform(s.nPost, -0.5, 0.5));
      const preTrace = Float32Array.from(rng.uniform(s.nPre, -0.5, 0.5));
      for (const format of FORMATS) {
        const conn = build(format, s);
        const ref = refOf(s, format);
        expectClose(await read(conn.propagate(spikes)), refPropagate(ref, spikes, 1, true), TOL);
        conn.onPre(spikes, postTrace, { wMin: -0.25 });
        refOnPre(ref, spikes, postTrace, -0.25);
        conn.onPost(preTrace, postSpikes, { wMax: 0.75 });
        refOnPost(ref, preTrace, postSpikes, -Infinity, 0.75);
        conn.addOuter(preTrace, postTrace, 0.5);
        refAddOuter(ref, preTrace, postTrace, 1, 0.5);
        await expectMatches(conn, ref, format);
        conn.dispose();
      }
    }), { numRuns: 25 });
  });
});
