import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError } from '@plasticity/core';
import { TEST_BACKENDS, expectNoLeaks, useBackend } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionFormat } from './connection.js';
import { build, randomEvents, randomTriples, rngFor } from './test-util.js';

// Per-synapse factor (lr / mask) and per-row bounds of onPre, onPost and addOuter: every format on
// every host backend against a reference written over storage order, bit for bit (float64
// arithmetic rounded once to float32, as the kernels do), so cpu = wasm = reference.

const FORMATS: readonly ConnectionFormat[] = ['dense', 'csr', 'coo'];
const nPre = 11;
const nPost = 7;
const triples = randomTriples(rngFor(8), nPre, nPost, 0.5, 3);

interface Case {
  lr: Float32Array | null;
  lo: Float32Array | null;
  hi: Float32Array | null;
}

function clipTo(x: number, lo: number, hi: number): number {
  return Math.fround(x < lo ? lo : x > hi ? hi : x);
}

/** w[k] = clip_{pre[k]}(w[k] + lr[k] · d(k)) for the synapses `touched` selects. */
function reference(w: Float32Array, pre: Int32Array, c: Case, touched: (k: number) => boolean, d: (k: number) => number): Float32Array {
  return w.map((wk, k) => {
    if (!touched(k)) return wk;
    const x = wk + (c.lr ? c.lr[k]! * d(k) : d(k));
    return clipTo(x, c.lo ? c.lo[pre[k]!]! : -Infinity, c.hi ? c.hi[pre[k]!]! : Infinity);
  });
}

function caseFor(conn: Connection, seed: number, kinds: { lr?: 'lr' | 'mask'; lo?: boolean; hi?: boolean }): Case {
  const rng = rngFor(seed);
  const nnz = conn.pairs().pre.length;
  const lr = kinds.lr === 'mask'
    ? Float32Array.from({ length: nnz }, () => (rng.random() < 0.5 ? 1 : 0))
    : kinds.lr === 'lr' ? Float32Array.from(rng.uniform(nnz, 0, 2)) : null;
  const lo = kinds.lo ? Float32Array.from(rng.uniform(nPre, 0.1, 0.3)) : null;
  const hi = kinds.hi ? Float32Array.from(rng.uniform(nPre, 0.35, 0.6)) : null;
  return { lr, lo, hi };
}

const KINDS = [
  { lr: 'lr' as const },
  { lr: 'mask' as const },
  { lo: true, hi: true },
  { lr: 'lr' as const, lo: true, hi: true },
  { lr: 'mask' as const, hi: true },
  { lo: true },
];

function args(c: Case): [{ wMin?: Float32Array; wMax?: Float32Array } | undefined, { lr: Float32Array } | undefined] {
  const bounds = c.lo || c.hi ? { ...(c.lo ? { wMin: c.lo } : {}), ...(c.hi ? { wMax: c.hi } : {}) } : undefined;
  return [bounds, c.lr ? { lr: c.lr } : undefined];
}

describe.each(TEST_BACKENDS)('per-synapse factor and per-row bounds (%s)', (backend) => {
  beforeAll(() => useBackend(backend));

  for (const format of FORMATS) {
    it.each(KINDS.map((k, i) => ({ ...k, i, name: JSON.stringify(k) })))(`${format}: onPre, onPost, addOuter with $name equal the reference bit for bit`, async (kinds) => {
      const conn = build(format, triples);
      const { pre, post } = conn.pairs();
      const c = caseFor(conn, 30 + kinds.i, kinds);
      const [bounds, options] = args(c);
      const rng = rngFor(50 + kinds.i);

      const preActive = randomEvents(rng, nPre, 0.5);
      const postValues = Float32Array.from(rng.uniform(nPost, -0.3, 0.3));
      let want = reference(await conn.getWeights(), pre, c, (k) => preActive[pre[k]!] !== 0, (k) => postValues[post[k]!]!);
      conn.onPre(preActive, postValues, bounds, options);
      expect(await conn.getWeights()).toEqual(want);

      const postActive = randomEvents(rng, nPost, 0.5);
      const preValues = Float32Array.from(rng.uniform(nPre, -0.3, 0.3));
      want = reference(want, pre, c, (k) => postActive[post[k]!] !== 0, (k) => preValues[pre[k]!]!);
      conn.onPost(preValues, postActive, bounds, options);
      expect(await conn.getWeights()).toEqual(want);

      const batch = 2;
      const a = randomEvents(rng, batch * nPre, 0.4, true);
      const b = Float32Array.from(rng.uniform(batch * nPost, -1, 1));
      const scale = 0.3;
      const anyA = (i: number): boolean => a[i] !== 0 || a[nPre + i] !== 0;
      want = reference(want, pre, c, (k) => anyA(pre[k]!), (k) => {
        let s = 0;
        for (let q = 0; q < batch; q++) s += a[q * nPre + pre[k]!]! * b[q * nPost + post[k]!]!;
        return scale * s;
      });
      conn.addOuter(tf.tensor2d(a, [batch, nPre]), tf.tensor2d(b, [batch, nPost]), scale, bounds, options);
      expect(await conn.getWeights()).toEqual(want);
      conn.dispose();
    });
  }

  it.each(FORMATS)('%s: a 0/1 mask as a bool tensor, a scalar wMin with per-row wMax, on a trainable connection', async (format) => {
    const conn = build(format, triples);
    const v = conn.makeTrainable();
    const { pre, post } = conn.pairs();
    const nnz = pre.length;
    const mask = Uint8Array.from({ length: nnz }, (_, k) => (k % 3 === 0 ? 0 : 1));
    const maskT = format === 'dense' ? tf.tensor2d(mask, [nPre, nPost], 'bool') : tf.tensor1d(mask, 'bool');
    const hi = Float32Array.from({ length: nPre }, (_, i) => 0.2 + 0.03 * i);
    const c: Case = { lr: Float32Array.from(mask), lo: new Float32Array(nPre).fill(0.1), hi };
    const active = new Uint8Array(nPre).fill(1);
    const vals = Float32Array.from({ length: nPost }, (_, j) => (j % 2 ? 0.25 : -0.25));
    const want = reference(await conn.getWeights(), pre, c, () => true, (k) => vals[post[k]!]!);
    conn.onPre(active, vals, { wMin: 0.1, wMax: hi }, { lr: maskT });
    expect(await v.data()).toEqual(want);
    maskT.dispose();
    conn.dispose();
  });

  it.each(FORMATS)('%s: an EventList with a factor and per-row bounds equals the dense spike vector', async (format) => {
    const a = build(format, triples);
    const b = build(format, triples);
    const nnz = a.pairs().pre.length;
    const lr = Float32Array.from({ length: nnz }, (_, k) => (k % 2 ? 0.5 : 1.5));
    const hi = Float32Array.from({ length: nPre }, (_, i) => 0.4 + 0.01 * i);
    const vals = Float32Array.from({ length: nPost }, (_, j) => 0.05 * (j - 3));
    a.onPre({ indices: Int32Array.of(0, 2, 5, 9) }, vals, { wMax: hi }, { lr });
    b.onPre(Uint8Array.from({ length: nPre }, (_, i) => ([0, 2, 5, 9].includes(i) ? 1 : 0)), vals, { wMax: hi }, { lr });
    expect(await a.getWeights()).toEqual(await b.getWeights());
    a.dispose();
    b.dispose();
  });

  it.each(FORMATS)('%s: bad factors and bounds throw (E_SHAPE / E_PARAM) and change nothing; nothing leaks', async (format) => {
    const conn = build(format, triples);
    const nnz = conn.pairs().pre.length;
    const on = new Uint8Array(nPre).fill(1);
    const vals = new Float32Array(nPost).fill(0.1);
    const lr = new Float32Array(nnz).fill(0.5);
    conn.onPre(on, vals, { wMin: 0, wMax: new Float32Array(nPre).fill(1) }, { lr }); // builds the cached views once
    conn.onPost(new Float32Array(nPre), new Uint8Array(nPost).fill(1), undefined, { lr });
    const before = await conn.getWeights();
    const wrongShape = tf.zeros([nnz + 2]);
    const bad: Array<[() => void, string, RegExp]> = [
      [() => conn.onPre(on, vals, undefined, { lr: new Float32Array(nnz + 1) }), 'E_SHAPE', /options\.lr must have length/],
      [() => conn.onPre(on, vals, undefined, { lr: new Float32Array(nnz).fill(NaN) }), 'E_PARAM', /options\.lr must contain only finite/],
      [() => conn.onPost(new Float32Array(nPre), new Uint8Array(nPost).fill(1), undefined, { lr: wrongShape }), 'E_SHAPE', /options\.lr must have shape/],
      [() => conn.onPre(on, vals, { wMin: new Float32Array(nPre - 1) }), 'E_SHAPE', /bounds\.wMin must have length/],
      [() => conn.onPre(on, vals, { wMax: Float32Array.of(...new Array<number>(nPre - 1).fill(1), Infinity) }), 'E_PARAM', /bounds\.wMax must contain only finite/],
      [() => conn.addOuter(on.map(Number) as unknown as Float32Array, vals, 1, { wMin: new Float32Array(nPre).fill(1), wMax: new Float32Array(nPre).fill(0) }), 'E_PARAM', /wMin must be <= wMax in every row/],
      [() => conn.onPre(on, vals, { wMin: 2, wMax: new Float32Array(nPre) }), 'E_PARAM', /wMin must be <= wMax in every row/],
      [() => conn.onPre(on, vals, undefined, 'fast' as never), 'E_PARAM', /options must be an object/],
    ];
    const n = tf.memory().numTensors;
    for (const [fn, code, message] of bad) {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(PlasticityError);
      expect((err as PlasticityError).code).toBe(code);
      expect((err as Error).message).toMatch(message);
    }
    expect(tf.memory().numTensors).toBe(n);
    expect(await conn.getWeights()).toEqual(before);
    wrongShape.dispose();
    await expectNoLeaks(() => {
      for (let s = 0; s < 5; s++) {
        conn.onPre(on, vals, { wMin: 0, wMax: new Float32Array(nPre).fill(1) }, { lr });
        conn.onPost(new Float32Array(nPre).fill(0.01), new Uint8Array(nPost).fill(1), { wMax: new Float32Array(nPre).fill(1) }, { lr });
        conn.addOuter(new Float32Array(nPre).fill(1), vals, 0.5, undefined, { lr });
      }
    });
    conn.dispose();
  });
});
