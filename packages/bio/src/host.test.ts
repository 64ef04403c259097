import { readFile } from 'node:fs/promises';
import { createRng, hostValues, resolveParams, type Params, type PluginState, type Transform } from '@plasticity/core';
import { expectPlasticityError, useBackend } from '@plasticity/testing';
import { CSRConnection } from '@plasticity/sparse';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crystallize } from './crystallize.js';
import { dale, DALE_SIGN } from './dale.js';
import { cosSinUnit, DRAW_BLOCK, drawBlockFloats, jumpAhead, normalArray, normalAt, rawUint32, rngFields, rngFrom, uniformArray, unit, wasmDrawBlocks } from './draws.js';
import { fuzzyLr } from './fuzzy-lr.js';
import { setHostKernels, useHost } from './host.js';
import { rejuvenate } from './rejuvenate.js';
import { synapticScaling } from './synaptic-scaling.js';
import { BioTrainer } from './trainer.js';
import { volumeLr } from './volume-lr.js';
import { KERNEL_CONSTANTS, pointers, wasmKernels } from './wasm.js';
// @ts-expect-error: a plain .mjs build script without types
import { generate, OUTPUT } from '../assembly/build.mjs';

// The host kernels (typed-array passes on cpu/wasm) against the tensor form they replace (the reference):
// same draws, same decisions, values equal up to float32 rounding (the tensor form rounds after every op).

afterEach(() => {
  setHostKernels('auto');
});

/** The draws as they were made before the bulk generator: one method call per output. */
function refUniform(rng: ReturnType<typeof createRng>, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * unit(rng);
  return out;
}
function refNormal(rng: ReturnType<typeof createRng>, n: number, mean: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(unit(rng)));
    const theta = 2 * Math.PI * unit(rng);
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}

function expectAllClose(a: ArrayLike<number>, b: ArrayLike<number>, rel = 2e-6, abs = 1e-12): void {
  expect(a.length).toBe(b.length);
  let bad = -1;
  for (let i = 0; i < a.length && bad < 0; i++) {
    const x = a[i]!, y = b[i]!;
    if (Number.isNaN(x) || Number.isNaN(y)) { if (!(Number.isNaN(x) && Number.isNaN(y))) bad = i; continue; }
    if (Math.abs(x - y) > abs + rel * Math.max(Math.abs(x), Math.abs(y))) bad = i;
  }
  expect(bad < 0 ? 'all close' : `index ${bad}: ${a[bad]} vs ${b[bad]}`).toBe('all close');
}

/** apply() of a transform with host kernels on and off, from the same state; returns both outputs. */
async function both<P extends Params>(t: Transform<P, any>, input: Record<string, unknown>, state: () => PluginState, params: Partial<P> = {}) {
  const p = resolveParams(t, params as P);
  const run = async (mode: 'auto' | 'off') => {
    setHostKernels(mode);
    expect(useHost()).toBe(mode === 'auto'); // the comparison is host kernel against tensor form
    const s = state();
    const out = t.apply(input as never, s as never, p);
    const res = {
      gradient: out.gradient ? Array.from(await out.gradient.data()) : null,
      weights: out.weights ? Array.from(await out.weights.data()) : null,
      state: Object.fromEntries(await Promise.all(Object.entries(out.state ?? {}).map(async ([k, v]) => [k, v instanceof tf.Tensor ? Array.from(await v.data()) : v]))),
    };
    tf.dispose([out.gradient, out.weights].filter((x): x is tf.Tensor => !!x && !Object.values(s).includes(x) && x !== input.weights));
    for (const v of Object.values(out.state ?? {})) if (v instanceof tf.Tensor && !Object.values(s).includes(v)) v.dispose();
    for (const v of Object.values(s)) if (v instanceof tf.Tensor) v.dispose();
    return res;
  };
  const host = await run('auto');
  const ref = await run('off');
  return { host, ref };
}

const randn = (n: number, seed: number, std = 0.05) => createRng(seed).normal(n, 0, std);

describe('host kernel mode', () => {
  it("accepts 'auto' and 'off' only, with E_PARAM and no change otherwise", () => {
    expect(setHostKernels('off')).toBe('auto');
    expectPlasticityError(() => setHostKernels('on' as never), 'E_PARAM', /'auto', 'js' or 'off'/);
    expect(useHost()).toBe(false);
    expect(setHostKernels('auto')).toBe('off');
  });
});

describe('bulk draws', () => {
  it('rawUint32 gives the outputs of nextUint32 in order and leaves the stream where they would', () => {
    for (const n of [0, 1, 7, 1000]) {
      const a = createRng(5), b = createRng(5);
      const raw = Array.from(rawUint32(a, n).subarray(0, n));
      expect(raw).toEqual(Array.from({ length: n }, () => b.nextUint32()));
      expect(a.getState()).toEqual(b.getState());
    }
    const out = new Uint32Array(10);
    expect(rawUint32(createRng(1), 4, out)).toBe(out);
  });

  it('jumpAhead(s, q) is the state q outputs on, for q below and above the state size (128 bits)', () => {
    for (const q of [0, 1, 2, 127, 128, 129, 4097, 262_144, 1_000_003]) {
      const a = createRng(21);
      const s = a.getState().s;
      rawUint32(a, q, new Uint32Array(q));
      expect(jumpAhead(s, q)).toEqual(a.getState().s);
    }
  });

  it('cosSinUnit: within 1e-15 of Math.cos/sin(2π·u), and the float32 normals of 10^6 raw pairs equal normalArray\'s', () => {
    const n = 1 << 20;
    const raw = rawUint32(createRng(17), n).slice();
    let worst = 0;
    for (const x of [...raw.subarray(0, 100_000), 0, 1, 0x3fffff, 0x400000, 0x7fffffff, 0x80000000, 0xffffffff]) {
      const th = 2 * Math.PI * ((x + 0.5) / 4294967296);
      worst = Math.max(worst, Math.abs(cosSinUnit(x, true) - Math.cos(th)), Math.abs(cosSinUnit(x, false) - Math.sin(th)));
    }
    expect(worst).toBeLessThan(1e-15);
    const z = normalArray(createRng(17), n, 0, 1);
    let differ = 0;
    for (let i = 0; i < n; i++) if (Math.fround(normalAt(raw, 0, i)) !== z[i]) differ++;
    expect(differ).toBe(0);
  });

  it('uniformArray and normalArray draw exactly what one call per output drew (odd and even n)', () => {
    for (const n of [1, 2, 9, 1001]) {
      const a = createRng(11), b = createRng(11);
      expect(uniformArray(a, n, -0.3, 2)).toEqual(refUniform(b, n, -0.3, 2));
      expect(normalArray(a, n, 1, 0.16)).toEqual(refNormal(b, n, 1, 0.16));
      expect(a.getState()).toEqual(b.getState());
      const raw = rawUint32(createRng(3), n + (n & 1)).slice();
      const z = normalArray(createRng(3), n, 0, 1);
      expect(Float32Array.from({ length: n }, (_, i) => normalAt(raw, 0, i))).toEqual(z); // cosSinUnit: see the next test
    }
  });
});

for (const backend of ['cpu', 'wasm'] as const) describe(`host kernels = tensor form (${backend}: ${backend === 'wasm' ? 'views of the wasm memory' : 'the backend arrays'})`, () => {
  beforeEach(async () => { await useBackend(backend); });
  afterAll(async () => { await useBackend('cpu'); });

  const shape = [24, 10];
  const n = 240;

  it('bio/volume-lr (dense and stored synapses): same draws, same factors up to float32 rounding', async () => {
    const w = tf.tensor2d(randn(n, 1, 0.8), [24, 10]);
    const g = tf.tensor2d(randn(n, 2), [24, 10]);
    const { host, ref } = await both(volumeLr, { weights: w, gradient: g }, () => volumeLr.init!(shape, resolveParams(volumeLr, {}), 9));
    expectAllClose(host.gradient!, ref.gradient!);
    expect(host.state).toEqual(ref.state); // the stream advanced alike
    const odd = await both(volumeLr, { weights: tf.slice(tf.reshape(w, [n]), 0, 239), gradient: tf.slice(tf.reshape(g, [n]), 0, 239), synapses: { pre: tf.zeros([239], 'int32'), post: tf.zeros([239], 'int32'), params: {} } },
      () => volumeLr.init!([239], resolveParams(volumeLr, {}), 9));
    expectAllClose(odd.host.gradient!, odd.ref.gradient!);
    expect(odd.host.state).toEqual(odd.ref.state);
    tf.dispose([w, g]);
  });

  it('bio/fuzzy-lr: g·F bit-identical (uniform, and temporal on an update step)', async () => {
    const w = tf.tensor2d(randn(n, 1), [24, 10]);
    const g = tf.tensor2d(randn(n, 2), [24, 10]);
    const p = resolveParams(fuzzyLr, {});
    const { host, ref } = await both(fuzzyLr, { weights: w, gradient: g }, () => fuzzyLr.init!(shape, p, 4));
    expect(host.gradient).toEqual(ref.gradient);
    expect(host.state).toEqual(ref.state);
    const pt = { distribution: 'temporal', updateFreq: 1 } as const;
    const t = await both(fuzzyLr, { weights: w, gradient: g }, () => ({ ...fuzzyLr.init!(shape, resolveParams(fuzzyLr, pt), 4), calls: 9 }), pt);
    expect(t.host.gradient).toEqual(t.ref.gradient);
    expect(t.host.state).toEqual(t.ref.state);
    tf.dispose([w, g]);
  });

  it('bio/crystallize: same damped synapses, bit-identical gradient and factors', async () => {
    const wv = randn(n, 1);
    const gv = Float32Array.from(randn(n, 2, 0.02), (x, i) => (i % 7 === 0 ? x * 1e-6 : i % 11 === 0 ? 0.5 : x));
    wv[3] = 0; gv[3] = 0;
    const w = tf.tensor2d(wv, [24, 10]);
    const g = tf.tensor2d(gv, [24, 10]);
    const f0 = uniformArray(createRng(8), n, 0.5, 1);
    const { host, ref } = await both(crystallize, { weights: w, gradient: g }, () => ({ factors: tf.tensor2d(f0, [24, 10]) }));
    expect(host.gradient).toEqual(ref.gradient);
    expect(host.state).toEqual(ref.state);
    expect((host.state.factors as number[]).filter((x, i) => x !== f0[i]).length).toBeGreaterThan(20);
    tf.dispose([w, g]);
  });

  it("bio/synaptic-scaling mode 'total' (dense, and stored synapses with repeated posts)", async () => {
    const w = tf.tensor2d(randn(n, 1, 0.3), [24, 10]);
    const d = await both(synapticScaling, { weights: w }, () => ({ rate: 0 }));
    expectAllClose(d.host.weights!, d.ref.weights!);
    const nnz = 300;
    const rng = createRng(2);
    const post = tf.tensor1d(rng.integers(nnz, 0, 12), 'int32');
    const pre = tf.tensor1d(rng.integers(nnz, 0, 30), 'int32');
    const ws = tf.tensor1d(randn(nnz, 3, 0.5));
    const s = await both(synapticScaling, { weights: ws, synapses: { pre, post, params: {}, nPre: 30, nPost: 12 } }, () => ({ rate: 0 }), { strength: 0.7 });
    expectAllClose(s.host.weights!, s.ref.weights!);
    tf.dispose([w, ws, pre, post]);
  });

  for (const params of [{}, { compat: true }, { mode: 'classic' }, { dre: 1, limit: 0 }] as const) {
    it(`bio/rejuvenate ${JSON.stringify(params)}: same weights replaced, same new values up to float32 rounding`, async () => {
      const wv = randn(1001, 6, 0.2);
      wv[0] = NaN; wv[5] = 0; wv[6] = 0; wv[7] = 3; wv[8] = -2.5; wv[9] = NaN;
      const w = tf.tensor1d(wv);
      const sy = { pre: tf.zeros([1001], 'int32'), post: tf.zeros([1001], 'int32'), params: {} };
      const { host, ref } = await both(rejuvenate, { weights: w, synapses: sy }, () => rejuvenate.init!([1001], resolveParams(rejuvenate, params as never), 21), params as never);
      const changed = (a: number[]) => a.map((x, i) => (Object.is(x, wv[i]) ? 0 : 1));
      expect(changed(host.weights!)).toEqual(changed(ref.weights!));
      expect(changed(host.weights!).filter((c) => c === 1).length).toBeGreaterThan(20);
      expectAllClose(host.weights!, ref.weights!, 1e-5);
      expect(host.weights!.map(Math.sign)).toEqual(ref.weights!.map(Math.sign));
      expect(host.state).toEqual(ref.state);
      tf.dispose([w, sy.pre, sy.post]);
    });
  }

  for (const mode of ['lognormal', 'classic'] as const) {
    it(`bio/rejuvenate ${mode} with Dale's signs (per row, per column, per synapse): re-drawn weights take their neuron's sign, host = tensor form`, async () => {
      const wv = randn(n, 8, 0.2);
      wv[0] = NaN; wv[5] = 0; wv[17] = -0.001; wv[18] = 0.001;
      const w = tf.tensor2d(wv, [24, 10]);
      const rowSign = Float32Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? -1 : 1));
      const colSign = Float32Array.from({ length: 10 }, (_, j) => (j % 4 === 1 ? -1 : 1));
      const perSynapse = Float32Array.from({ length: n }, (_, k) => rowSign[Math.floor(k / 10)]!);
      const params = { mode, dre: 2 };
      const cases = [
        { name: 'rows', input: { weights: w, signs: tf.tensor2d(rowSign, [24, 1]) }, signOf: (k: number) => rowSign[Math.floor(k / 10)]! },
        { name: 'columns', input: { weights: w, signs: tf.tensor2d(colSign, [1, 10]) }, signOf: (k: number) => colSign[k % 10]! },
        { name: 'synapses', input: { weights: tf.reshape(w, [n]), synapses: { pre: tf.zeros([n], 'int32'), post: tf.zeros([n], 'int32'), params: { [DALE_SIGN]: tf.tensor1d(perSynapse) } } },
          signOf: (k: number) => perSynapse[k]! },
      ];
      for (const c of cases) {
        const { host, ref } = await both(rejuvenate, c.input, () => rejuvenate.init!([n], resolveParams(rejuvenate, params), 5), params);
        const changed = host.weights!.map((x, k) => !Object.is(x, Math.fround(Math.min(1, Math.max(-1, Number.isNaN(wv[k]!) ? 0 : wv[k]!)))));
        expect(changed.filter(Boolean).length, c.name).toBeGreaterThan(20);
        expect(changed, c.name).toEqual(ref.weights!.map((x, k) => !Object.is(x, Math.fround(Math.min(1, Math.max(-1, Number.isNaN(wv[k]!) ? 0 : wv[k]!))))));
        for (let k = 0; k < n; k++) if (changed[k]) expect(Math.sign(host.weights![k]!), `${c.name} ${k}`).toBe(c.signOf(k));
        // classic's U(−1, 1) draw is rounded to float32 (absolute 6e-8) before it is scaled by max|W| < 1
        expectAllClose(host.weights!, ref.weights!, 1e-5, 1e-7);
        expect(host.state).toEqual(ref.state);
      }
      const inputs = cases.map((c) => c.input as Record<string, unknown>);
      tf.dispose([w, ...inputs.flatMap((i) => [i.signs as tf.Tensor, ...(i.synapses ? [i.weights as tf.Tensor, ...Object.values((i.synapses as { params: Record<string, tf.Tensor> }).params), (i.synapses as { pre: tf.Tensor }).pre, (i.synapses as { post: tf.Tensor }).post] : [])]).filter(Boolean)]);
    });
  }

  it("bio/dale: projection and flip, axis 'pre' and 'post', dense and per-synapse signs: bit-identical", async () => {
    const wv = randn(n, 4, 0.3);
    wv[2] = NaN;
    wv[3] = -Infinity;
    wv[14] = Infinity;
    wv[25] = 0;
    const w = tf.tensor2d(wv, [24, 10]);
    for (const axis of ['pre', 'post'] as const) {
      for (const initialized of [0, 1]) {
        const p = resolveParams(dale, { axis });
        const { host, ref } = await both(dale, { weights: w }, () => ({ ...dale.init!(shape, p, 3), initialized }), { axis });
        expect(host.weights!.map((x) => x + 0)).toEqual(ref.weights!.map((x) => x + 0)); // +0: −0 and 0 alike
      }
    }
    const sign = tf.tensor1d(Float32Array.from({ length: n }, (_, i) => ((i * 7) % 3 === 0 ? -1 : 1)));
    const sy = { pre: tf.zeros([n], 'int32'), post: tf.zeros([n], 'int32'), params: { [DALE_SIGN]: sign } };
    const ws = tf.reshape(w, [n]);
    const s = await both(dale, { weights: ws, synapses: sy }, () => ({ sign: 0, initialized: 1 }));
    expect(s.host.weights!.map((x) => x + 0)).toEqual(s.ref.weights!.map((x) => x + 0));
    tf.dispose([w, ws, sign, sy.pre, sy.post]);
  });

});

describe('host kernels in the trainer', () => {
  it('BioTrainer with every transform: host kernels and tensor form train to the same weights (a dense W and a CSR connection), on cpu and wasm', async () => {
    const run = async (mode: 'auto' | 'off') => {
      setHostKernels(mode);
      expect(useHost()).toBe(mode === 'auto');
      const w = tf.variable(tf.tensor2d(randn(400, 12, 0.1), [20, 20]));
      const x = tf.tensor2d(randn(160, 13, 1), [8, 20]);
      const conn = CSRConnection.random({ nPre: 20, nPost: 15, p: 0.3, seed: 4, init: { dist: 'normal', mean: 0, std: 0.2 } });
      const trainer = new BioTrainer({
        target: { w, c: conn },
        transforms: ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize', 'bio/synaptic-scaling', { transform: 'bio/rejuvenate', params: { dre: 4 } }, 'bio/dale'],
        optimizer: tf.train.adam(1e-2),
        seed: 5,
      });
      for (let s = 0; s < 5; s++) trainer.stepWith(() => tf.add(tf.mean(tf.square(tf.matMul(x, w))), tf.mean(tf.square(conn.propagate(tf.matMul(x, w), { mode: 'float' })))) as tf.Scalar).dispose();
      const out = [...Array.from(await w.data()), ...Array.from(await conn.makeTrainable().data())];
      trainer.dispose();
      conn.dispose();
      tf.dispose([w, x]);
      return out;
    };
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      try {
        const host = await run('auto');
        const ref = await run('off');
        expect(host.map(Math.sign)).toEqual(ref.map(Math.sign));
        expectAllClose(host, ref, 1e-4, 1e-7);
      } finally {
        await useBackend('cpu');
      }
    }
  });

  it('rngFields/rngFrom round trip still resumes the bulk stream', () => {
    const a = createRng(2);
    rawUint32(a, 5);
    const b = rngFrom(rngFields(a));
    expect(rawUint32(b, 3).slice(0, 3)).toEqual(rawUint32(a, 3).slice(0, 3));
  });
});

describe('the WebAssembly kernels (wasm.ts)', () => {
  afterAll(async () => {
    setHostKernels('auto');
    await useBackend('cpu');
  });

  it("run on the wasm backend's memory in mode 'auto' (so the wasm cases above test them), not in 'js' nor on cpu", async () => {
    await useBackend('wasm');
    const k = wasmKernels();
    expect(k).not.toBeNull();
    const t = tf.ones([8]);
    expect(pointers(k!, [hostValues(t)!])).not.toBeNull();
    expect(pointers(k!, [new Float32Array(8)])).toBeNull(); // an array of its own: the JS kernels run
    expect(k!.exports.CONSTANTS_BYTES.value).toBe(KERNEL_CONSTANTS);
    setHostKernels('js');
    expect(wasmKernels()).toBeNull();
    setHostKernels('auto');
    await useBackend('cpu');
    expect(wasmKernels()).toBeNull();
    t.dispose();
  });

  it('on 2^17 + 3 weights: the module\'s volume-lr and rejuvenation agree with the JS kernels (float32 against float64 arithmetic)', async () => {
    await useBackend('wasm');
    const n = (1 << 17) + 3; // ends that fill part of a step of eight, and of the draws' lanes
    const w = tf.tensor1d(randn(n, 31, 0.1));
    const g = tf.tensor1d(randn(n, 32, 1));
    const sy = { pre: tf.zeros([n], 'int32'), post: tf.zeros([n], 'int32'), params: {} };
    const run = async (mode: 'auto' | 'js') => {
      setHostKernels(mode);
      const v = volumeLr.apply({ weights: w, gradient: g, synapses: sy } as never, volumeLr.init!([n], resolveParams(volumeLr, {}), 5) as never, resolveParams(volumeLr, {}));
      const r = rejuvenate.apply({ weights: w, synapses: sy } as never, rejuvenate.init!([n], resolveParams(rejuvenate, {}), 6) as never, resolveParams(rejuvenate, {}));
      const out = { g: await v.gradient!.data(), w: await r.weights!.data(), states: [v.state, r.state] };
      tf.dispose([v.gradient!, r.weights!]);
      return out;
    };
    const wasm = await run('auto');
    const js = await run('js');
    setHostKernels('auto');
    expect(wasm.states).toEqual(js.states); // the same draws consumed
    // volume-lr: relative to the factor's own scale |g|·baseLr (a factor near 0 has no relative precision)
    const gv = await g.data();
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(wasm.g[i]! - js.g[i]!) / (Math.abs(gv[i]!) * 0.1 + 1e-30));
    expect(worst).toBeLessThan(1e-6); // measured 3.3e-7
    // rejuvenation: the same weights replaced (a decision can differ only at a tie of u and e^−y), the
    // same signs, new magnitudes within float32 rounding of exp
    const w0 = await w.data();
    let differentDecisions = 0, replaced = 0, worstNew = 0;
    for (let i = 0; i < n; i++) {
      const a = wasm.w[i] !== w0[i], b = js.w[i] !== w0[i];
      if (a !== b) differentDecisions++;
      else if (a) {
        replaced++;
        expect(Math.sign(wasm.w[i]!)).toBe(Math.sign(js.w[i]!));
        worstNew = Math.max(worstNew, Math.abs(wasm.w[i]! - js.w[i]!) / Math.abs(js.w[i]!));
      }
    }
    expect(replaced).toBeGreaterThan(n / 50);
    expect(differentDecisions).toBeLessThanOrEqual(2);
    expect(worstNew).toBeLessThan(5e-6); // measured 1.2e-6
    tf.dispose([w, g, sy.pre, sy.post]);
  });

  it("on 2^17 + 3 weights W [18725, 7] with Dale's signs per row: the module re-draws (in blocks) the weights the JS kernel re-draws, with their row's sign", async () => {
    await useBackend('wasm');
    const [rows, cols] = [18725, 7]; // a row of 7 weights straddles the draw blocks' ends
    const w = tf.tensor2d(randn(rows * cols, 33, 0.1), [rows, cols]);
    const rowSign = Float32Array.from({ length: rows }, (_, i) => (i % 5 === 0 ? -1 : 1));
    const signs = tf.tensor2d(rowSign, [rows, 1]);
    const run = async (mode: 'auto' | 'js') => {
      setHostKernels(mode);
      const r = rejuvenate.apply({ weights: w, signs } as never, rejuvenate.init!([rows, cols], resolveParams(rejuvenate, {}), 7) as never, resolveParams(rejuvenate, {}));
      const out = { w: await r.weights!.data(), state: r.state };
      r.weights!.dispose();
      return out;
    };
    const wasm = await run('auto');
    const js = await run('js');
    setHostKernels('auto');
    expect(wasm.state).toEqual(js.state);
    const w0 = await w.data();
    let differentDecisions = 0, replaced = 0;
    for (let k = 0; k < rows * cols; k++) {
      const a = wasm.w[k] !== w0[k], b = js.w[k] !== w0[k];
      if (a !== b) differentDecisions++;
      else if (a) {
        replaced++;
        expect(Math.sign(wasm.w[k]!)).toBe(rowSign[Math.floor(k / cols)]);
        expect(Math.sign(js.w[k]!)).toBe(rowSign[Math.floor(k / cols)]);
      }
    }
    expect(replaced).toBeGreaterThan(rows * cols / 50);
    expect(differentDecisions).toBeLessThanOrEqual(2);
    tf.dispose([w, signs]);
  });

  it('its xoshiro128** outputs, block by block from two parts of the stream, equal rawUint32\'s, and the stream ends where asked', async () => {
    await useBackend('wasm');
    const k = wasmKernels()!;
    // one lane below 2^14 outputs, four jumped lanes from there on (the last one making the rest); blocks of
    // DRAW_BLOCK elements; an odd n makes one output more per part (a last Box–Muller pair)
    for (const n of [1001, 1 << 14, 70_001, 250_003]) {
      const scratch = tf.zeros([drawBlockFloats(2, n)]);
      const at = pointers(k, [hostValues(scratch)!])![0]!;
      const a = createRng(9);
      const offsets = [0, n + 17];
      const got = offsets.map(() => new Uint32Array(n + (n & 1)));
      let next = 0;
      wasmDrawBlocks(k, a, at, n, offsets, 3 * n, (i0, len, raws) => {
        expect(i0).toBe(next);
        expect(len === DRAW_BLOCK || i0 + len === n).toBe(true);
        next = i0 + len;
        raws.forEach((r, s) => got[s]!.set(new Uint32Array(k.memory.buffer, r, len + (len & 1)), i0));
      });
      expect(next).toBe(n);
      const all = rawUint32(createRng(9), 3 * n).slice();
      offsets.forEach((o, s) => expect(got[s]).toEqual(all.subarray(o, o + n + (n & 1))));
      const b = createRng(9);
      rawUint32(b, 3 * n);
      expect(a.getState()).toEqual(b.getState());
      scratch.dispose();
    }
  });

  it('the committed module is a fresh build of assembly/kernels.ts (run `pnpm --filter @plasticity/bio build:wasm`)', async () => {
    expect(await generate()).toBe(await readFile(OUTPUT, 'utf8'));
  });
});
