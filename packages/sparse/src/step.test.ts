// The per-step API of a simulation loop: propagateInto (caller-owned output), event lists as input
// to propagate / onPre / onPost, and the in-place host kernels behind them on cpu and wasm.
import * as tf from '@tensorflow/tfjs-core';
import { isPlasticityError, type ErrorCode, type Rng } from '@plasticity/core';
import { TEST_BACKENDS, expectClose, expectNoLeaks, useBackend } from '@plasticity/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, ConnectionFormat } from './connection.js';
import { toCsr } from './convert.js';
import { CSRConnection } from './csr.js';
import type { EventList } from './event-list.js';
import { setKernelModuleEnabled } from './kernels/wasm-module.js';
import {
  build, randomEvents, randomTriples, refMatrix, refOf, refOnPost, refOnPre, refPropagate, rngFor, type Triples,
} from './test-util.js';

const FORMATS: ConnectionFormat[] = ['csr', 'coo', 'dense'];
const TOL = { atol: 2e-5, rtol: 2e-5 };

function expectCode(fn: () => unknown, code: ErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(isPlasticityError(caught, code), `expected ${code}, got ${String(caught)}`).toBe(true);
  if (message) expect((caught as Error).message).toMatch(message);
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

async function read(t: tf.Tensor): Promise<Float32Array> {
  const d = Float32Array.from((await t.data()) as Float32Array);
  t.dispose();
  return d;
}

/** The active indices of a dense event vector, and their values. */
function listOf(events: ArrayLike<number>): { indices: Int32Array; values: Float32Array } {
  const idx: number[] = [];
  const vals: number[] = [];
  for (let i = 0; i < events.length; i++) if (events[i] !== 0) { idx.push(i); vals.push(events[i]!); }
  return { indices: Int32Array.from(idx), values: Float32Array.from(vals) };
}

/** A list inside a longer preallocated array, with `count` saying how much of it is this step's. */
function paddedList(events: ArrayLike<number>, extra = 3): EventList {
  const { indices, values } = listOf(events);
  const padded = new Int32Array(indices.length + extra).fill(-7); // garbage past count is never read
  padded.set(indices);
  const vpad = new Float32Array(values.length + extra).fill(NaN);
  vpad.set(values);
  return { indices: padded, count: indices.length, values: vpad };
}

/** The matrix of `build(format, t)` as a CSR connection that stores the same entries (dense: all). */
async function csrTwin(format: ConnectionFormat, t: Triples): Promise<Connection> {
  if (format !== 'dense') return build(format, t);
  const d = build('dense', t);
  const full = await toCsr(d);
  d.dispose();
  return full;
}

describe.each(TEST_BACKENDS)('per-step API on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  describe.each(FORMATS)('%s', (format) => {
    it('propagateInto equals propagate bit for bit and the dense reference, for vectors and event lists', async () => {
      const rng = rngFor(41);
      for (const [nPre, nPost, p] of [[30, 70, 0.3], [1, 1, 1], [6, 4, 0]] as const) {
        const t = randomTriples(rng, nPre, nPost, p, 4);
        const conn = build(format, t);
        const twin = await csrTwin(format, t); // dense: its propagate is a matMul; compare bits with CSR over every entry
        const ref = refOf(t, format);
        const out = new Float32Array(nPost).fill(123); // stale contents are overwritten
        for (const rate of [0, 0.3, 1]) {
          const spikes = randomEvents(rng, nPre, rate);
          const want = await read(twin.propagate(spikes));
          expectClose(want, refPropagate(ref, spikes, 1, true), TOL);
          for (const events of [spikes, Uint8Array.from(spikes), listOf(spikes), paddedList(spikes)]) {
            expect(conn.propagateInto(events as Float32Array, out)).toBe(out);
            expect(bits(out)).toEqual(bits(want));
          }
          const tensor = tf.tensor1d(Uint8Array.from(spikes), 'bool');
          conn.propagateInto(tensor, out);
          expect(bits(out)).toEqual(bits(want));
          tensor.dispose();
          // propagate takes lists too
          if (format !== 'dense') expect(bits(await read(conn.propagate(paddedList(spikes))))).toEqual(bits(want));
          else expectClose(await read(conn.propagate(paddedList(spikes))), want, TOL);

          const x = randomEvents(rng, nPre, rate, true);
          const wantF = await read(twin.propagate(x, { mode: 'float' }));
          expectClose(wantF, refPropagate(ref, x, 1, false), TOL);
          for (const events of [x, listOf(x), paddedList(x)]) {
            conn.propagateInto(events as Float32Array, out, { mode: 'float' });
            expect(bits(out)).toEqual(bits(wantF));
          }
          // Binary mode ignores a list's values except 0, which makes an event inactive.
          const l = listOf(x);
          if (l.indices.length > 0) {
            l.values[0] = 0;
            const y = Float32Array.from(x);
            y[l.indices[0]!] = 0;
            conn.propagateInto(l, out);
            expect(bits(out)).toEqual(bits(await read(twin.propagate(y))));
            conn.propagateInto(l, out, { mode: 'float' });
            expect(bits(out)).toEqual(bits(await read(twin.propagate(y, { mode: 'float' }))));
          }
        }
        conn.dispose();
        twin.dispose();
      }
    });

    it('onPre / onPost with event lists equal the dense-vector calls bit for bit and the reference', async () => {
      const rng = rngFor(43);
      const t = randomTriples(rng, 25, 40, 0.3, 5);
      const byList = build(format, t);
      const byVector = build(format, t);
      const ref = refOf(t, format);
      for (const bounds of [undefined, { wMin: 0.1, wMax: 0.5 }]) {
        for (const rate of [0.3, 0, 1]) {
          const pre = randomEvents(rng, 25, rate);
          const postTr = Float32Array.from(rng.uniform(40, -0.3, 0.3));
          byList.onPre(paddedList(pre), postTr, bounds);
          byVector.onPre(pre, postTr, bounds);
          refOnPre(ref, pre, postTr, bounds?.wMin, bounds?.wMax);
          const post = randomEvents(rng, 40, rate);
          const preTr = tf.tensor1d(rng.uniform(25, -0.3, 0.3)); // tensor values take the same path
          byList.onPost(preTr, listOf(post), bounds);
          byVector.onPost(preTr, post, bounds);
          refOnPost(ref, await preTr.data(), post, bounds?.wMin, bounds?.wMax);
          preTr.dispose();
          const a = await byList.getWeights();
          expect(bits(a)).toEqual(bits(await byVector.getWeights()));
          const m = await read(byList.toDenseTensor());
          expectClose(m, refMatrix(ref), TOL);
        }
      }
      byList.dispose();
      byVector.dispose();
    });

    it('rejects bad event lists and outputs with PlasticityError and changes nothing', async () => {
      const c = build(format, randomTriples(rngFor(5), 6, 9, 0.5));
      const before = await c.getWeights();
      const out = new Float32Array(9).fill(7);
      const tr9 = new Float32Array(9).fill(0.1);
      const tr6 = new Float32Array(6).fill(0.1);
      const bad: Array<[EventList, ErrorCode, RegExp]> = [
        [{ indices: Int32Array.of(0, 6) }, 'E_PARAM', /indices\[1\] must be in \[0, 6\), got 6/],
        [{ indices: Int32Array.of(-1, 2) }, 'E_PARAM', /indices\[0\] must be in \[0, 6\), got -1/],
        [{ indices: Int32Array.of(3, 1) }, 'E_PARAM', /indices\[1\] must be strictly increasing \(after 3\), got 1/],
        [{ indices: Int32Array.of(2, 2) }, 'E_PARAM', /strictly increasing/],
        [{ indices: Int32Array.of(1, 2), count: 3 }, 'E_SHAPE', /count must be an integer in \[0, 2\]/],
        [{ indices: Int32Array.of(1, 2), count: 1.5 }, 'E_SHAPE', /count/],
        [{ indices: Int32Array.of(1, 2), values: Float32Array.of(1) }, 'E_SHAPE', /values must have at least 2 entries/],
        [{ indices: [1, 2] as unknown as Int32Array }, 'E_PARAM', /indices must be an Int32Array/],
        [{ indices: Int32Array.of(1), values: [1] as unknown as Float32Array }, 'E_PARAM', /values must be a Float32Array/],
      ];
      for (const [list, code, message] of bad) {
        expectCode(() => c.propagateInto(list, out), code, message);
        expectCode(() => c.propagate(list), code, message);
        expectCode(() => c.onPre(list, tr9, { wMin: 0, wMax: 1 }), code, message);
      }
      expectCode(() => c.onPost(tr6, { indices: Int32Array.of(9) }), 'E_PARAM', /postActive.indices\[0\] must be in \[0, 9\), got 9/);
      // A bad list is found even when a later argument is fine; a bad later argument after a fine list.
      expectCode(() => c.onPre({ indices: Int32Array.of(0) }, new Float32Array(8)), 'E_SHAPE', /postValues must have length 9/);
      expectCode(() => c.onPre({ indices: Int32Array.of(0) }, Float32Array.of(0, 0, 0, 0, NaN, 0, 0, 0, 0)), 'E_PARAM', /postValues .* NaN at index 4/);
      expectCode(() => c.propagateInto({ indices: Int32Array.of(0) }, new Float32Array(8)), 'E_SHAPE', /out must have length 9, got 8/);
      expectCode(() => c.propagateInto({ indices: Int32Array.of(0) }, new Array(9) as unknown as Float32Array), 'E_PARAM', /out must be a Float32Array/);
      expectCode(() => c.propagateInto(tf.ones([2, 6]), out), 'E_SHAPE', /events must have shape \[6\]/);
      expectCode(() => c.propagateInto(new Float32Array(6), out, { mode: 'spiky' as never }), 'E_PARAM', /mode/);
      expect(Array.from(out)).toEqual(new Array(9).fill(7));
      expect(Array.from(await c.getWeights())).toEqual(Array.from(before));
      c.dispose();
      expectCode(() => c.propagateInto({ indices: Int32Array.of(0) }, out), 'E_PARAM', /disposed/);
    });

    it('leaves no tensors behind, and one output and one list object serve many steps', async () => {
      const rng = rngFor(47);
      const t = randomTriples(rng, 50, 30, 0.2);
      const conn = build(format, t);
      const twin = await csrTwin(format, t);
      const out = new Float32Array(30);
      const indices = new Int32Array(50);
      const step: { indices: Int32Array; count: number } = { indices, count: 0 };
      const postTr = new Float32Array(30);
      const preTr = new Float32Array(50);
      for (const c of [conn, twin]) { // first use builds the cached views (owned by the connection)
        c.propagateInto(step, out);
        c.onPre(step, postTr);
        c.onPost(preTr, step);
      }
      const start = tf.memory().numTensors;
      for (let s = 0; s < 60; s++) {
        const spikes = randomEvents(rng, 50, 0.1 + (s % 5) * 0.1);
        step.count = 0;
        for (let i = 0; i < 50; i++) if (spikes[i]) indices[step.count++] = i;
        await expectNoLeaks(() => conn.propagateInto(step, out));
        expect(bits(out)).toEqual(bits(await read(twin.propagate(spikes))));
        postTr.set(rng.uniform(30, -0.01, 0.01));
        preTr.set(rng.uniform(50, -0.01, 0.01));
        await expectNoLeaks(() => conn.onPre(step, postTr, { wMin: 0, wMax: 1 }));
        twin.onPre(spikes, postTr, { wMin: 0, wMax: 1 });
        const postList = { indices: s % 30 === 29 ? Int32Array.of(29) : Int32Array.of(s % 30, 29) };
        await expectNoLeaks(() => conn.onPost(preTr, postList, { wMin: 0, wMax: 1 }));
        twin.onPost(preTr, postList, { wMin: 0, wMax: 1 });
      }
      expect(tf.memory().numTensors).toBe(start);
      tf.dispose(await expectNoLeaks(() => conn.propagate(step)));
      const wc = await read(conn.toDenseTensor());
      expect(bits(wc)).toEqual(bits(await read(twin.toDenseTensor())));
      conn.dispose();
      twin.dispose();
    });

    it('hands out a new weightTensor after an update in place (same object = same weights)', async () => {
      const conn = build(format, randomTriples(rngFor(71), 8, 12, 0.5));
      conn.onPost(new Float32Array(8), { indices: new Int32Array(0) }); // builds the views
      conn.onPre({ indices: new Int32Array(0) }, new Float32Array(12));
      const start = tf.memory().numTensors;
      const a = conn.weightTensor;
      expect(conn.weightTensor).toBe(a); // no update: the same object
      conn.onPre({ indices: Int32Array.of(1) }, new Float32Array(12).fill(0.5));
      const b = conn.weightTensor;
      expect(b).not.toBe(a);
      expect(a.isDisposed).toBe(true); // as every update did before: do not keep it across updates
      expect(Array.from(await b.data())).toEqual(Array.from(await conn.getWeights()));
      conn.onPost(new Float32Array(8).fill(0.5), new Uint8Array(12).fill(1));
      expect(conn.weightTensor).not.toBe(b);
      expect(tf.memory().numTensors).toBe(start);
      conn.dispose();
    });

    it('updates a copy when another tensor shares the weights, so that tensor keeps its values', async () => {
      const t = randomTriples(rngFor(53), 8, 12, 0.5);
      const conn = build(format, t);
      const saved = tf.clone(conn.weightTensor); // shares the buffer on cpu and wasm
      const want = await saved.data();
      conn.onPre({ indices: Int32Array.of(0, 3, 7) }, new Float32Array(12).fill(0.25));
      conn.onPost(new Float32Array(8).fill(0.5), { indices: Int32Array.of(1, 11) });
      expect(Array.from(await saved.data())).toEqual(Array.from(want));
      expect(Array.from(await conn.getWeights())).not.toEqual(Array.from(want));
      saved.dispose();
      conn.dispose();
    });
  });
});

describe.each(TEST_BACKENDS)('per-step API with homogeneous weights on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('propagates one shared weight (binary and float) and refuses updates', async () => {
    const c = CSRConnection.fromCsr({ nPre: 3, nPost: 4, indptr: Int32Array.of(0, 2, 2, 4), indices: Int32Array.of(0, 3, 1, 3), weights: 0.5 });
    const out = new Float32Array(4);
    expect(Array.from(c.propagateInto({ indices: Int32Array.of(0, 2) }, out))).toEqual([0.5, 0.5, 0, 1]);
    expect(Array.from(c.propagateInto({ indices: Int32Array.of(0, 2), values: Float32Array.of(2, -1) }, out, { mode: 'float' }))).toEqual([1, -0.5, 0, 0.5]);
    expect(bits(c.propagateInto(Float32Array.of(2, 7, -1), out, { mode: 'float' }))).toEqual(bits(await read(c.propagate(Float32Array.of(2, 7, -1), { mode: 'float' }))));
    expectCode(() => c.onPre({ indices: Int32Array.of(1) }, new Float32Array(4)), 'E_PARAM', /homogeneous weight/);
    c.dispose();
  });
});

describe.each(TEST_BACKENDS)('finite check of host values on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('finds the first NaN / ±Infinity anywhere (SIMD blocks and tail) and accepts every finite value', async () => {
    const c = CSRConnection.fromCoo(randomTriples(rngFor(67), 37, 41, 0.4));
    const before = await c.getWeights();
    for (const n of [41, 37]) {
      for (const at of [0, 3, 15, 16, 31, 32, n - 2, n - 1]) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const v = new Float32Array(n).fill(0.01);
          v[at] = bad;
          if (at > 1) v[at - 1] = -Infinity; // the first one is reported
          const first = at > 1 ? at - 1 : at;
          const name = n === 41 ? 'postValues' : 'preValues';
          const call = n === 41 ? () => c.onPre({ indices: Int32Array.of(0, 36) }, v) : () => c.onPost(v, { indices: Int32Array.of(2) });
          expectCode(call, 'E_PARAM', new RegExp(`${name} must contain only finite numbers, got .* at index ${first}$`));
        }
      }
    }
    expect(bits(await c.getWeights())).toEqual(bits(before));
    const extremes = Float32Array.of(3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, -0, 0);
    const v = new Float32Array(41).fill(0);
    for (let k = 0; k < 41; k++) v[k] = extremes[k % extremes.length]!;
    c.onPre({ indices: Int32Array.of(5) }, v); // finite: accepted
    c.dispose();
  });
});

describe('cpu = wasm bit for bit on the per-step paths', () => {
  const run = async (backend: 'cpu' | 'wasm', rng: Rng): Promise<number[][]> => {
    await useBackend(backend);
    const t = randomTriples(rng, 60, 80, 0.2, 6);
    const results: number[][] = [];
    for (const format of FORMATS) {
      const c = build(format, t);
      const out = new Float32Array(80);
      for (let s = 0; s < 8; s++) {
        const spikes = randomEvents(rng, 60, 0.2);
        const x = randomEvents(rng, 60, 0.2, true);
        results.push(bits(c.propagateInto(listOf(spikes), out)));
        results.push(bits(c.propagateInto(x, out, { mode: 'float' })));
        results.push(bits(c.propagateInto(listOf(x), out, { mode: 'float' })));
        c.onPre(listOf(spikes), Float32Array.from(rng.uniform(80, -0.2, 0.2)), { wMin: 0, wMax: 0.7 });
        c.onPost(Float32Array.from(rng.uniform(60, -0.2, 0.2)), randomEvents(rng, 80, 0.2), s % 2 ? undefined : { wMin: 0.05 });
      }
      results.push(bits(await c.getWeights()));
      c.dispose();
    }
    return results;
  };
  afterAll(() => setKernelModuleEnabled(true));

  it.each([true, false])('with the SIMD module %s', async (simd) => {
    const cpu = await run('cpu', rngFor(59));
    setKernelModuleEnabled(simd);
    const wasm = await run('wasm', rngFor(59));
    setKernelModuleEnabled(true);
    expect(wasm.length).toBe(cpu.length);
    for (let k = 0; k < cpu.length; k++) expect(wasm[k], `result ${k}`).toEqual(cpu[k]);
  });

  it('stays correct when the wasm heap grows between steps (views are rebuilt)', async () => {
    await useBackend('wasm');
    const rng = rngFor(61);
    const t = randomTriples(rng, 40, 50, 0.3);
    const c = CSRConnection.fromCoo(t);
    const ref = refOf(t, 'csr');
    const out = new Float32Array(50);
    const big: tf.Tensor[] = [];
    for (let s = 0; s < 4; s++) {
      const spikes = randomEvents(rng, 40, 0.3);
      c.propagateInto(listOf(spikes), out);
      expectClose(out, refPropagate(ref, spikes, 1, true), TOL);
      big.push(tf.zeros([8 * 1024 * 1024])); // 32 MB: the memory grows, every heap view is detached
    }
    tf.dispose(big);
    c.dispose();
  });
});
