import * as tf from '@tensorflow/tfjs-core';
import { createRng, type SynapseArrays } from '@plasticity/core';
import { CSRConnection } from '@plasticity/sparse';
import { expectClose, expectNoLeaks, expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { releaseState } from './common.js';
import { PDLF_COEFFICIENTS, pdp, scp, type PdlfParams, type PdlfState } from './pdlf.js';
import { ReferenceConnection } from './testing/reference-connection.js';

// core/scp and core/pdp against the official policies' arithmetic written out in float64 over a
// dense weight matrix (the reference below), with per-synapse coefficients, traces, batches,
// ablated terms and max-abs normalisation.

const NPRE = 4, NPOST = 3;
const base: PdlfParams = { ...pdp.defaults };

type Form = 'scp' | 'pdp';

/** The official update for every (i, j), with batch sums, then max-abs normalisation (float64). */
function reference(form: Form, p: PdlfParams, w0: number[], c: Record<string, Float32Array>, pre: number[][][], post: number[][][], dtMs: number): number[] {
  const w = w0.slice();
  const on = new Set(p.terms);
  const coef = (k: string, s: number) => (on.has(k) ? c[k]![s]! : 0);
  const dx = p.preTauMs > 0 ? Math.exp(-dtMs / p.preTauMs) : 0, dy = p.postTauMs > 0 ? Math.exp(-dtMs / p.postTauMs) : 0;
  const batch = pre[0]!.length;
  let xBar = Array.from({ length: batch }, () => new Array(NPRE).fill(0));
  let yBar = Array.from({ length: batch }, () => new Array(NPOST).fill(0));
  for (let t = 0; t < pre.length; t++) {
    xBar = xBar.map((row, b) => row.map((v, i) => (p.preTauMs > 0 ? v * dx + (1 - dx) * pre[t]![b]![i]! : pre[t]![b]![i]!)));
    yBar = yBar.map((row, b) => row.map((v, j) => (p.postTauMs > 0 ? v * dy + (1 - dy) * post[t]![b]![j]! : post[t]![b]![j]!)));
    for (let i = 0; i < NPRE; i++) {
      for (let j = 0; j < NPOST; j++) {
        const s = i * NPOST + j;
        let xy = 0, x = 0, y = 0;
        for (let b = 0; b < batch; b++) { xy += xBar[b]![i]! * yBar[b]![j]!; x += xBar[b]![i]!; y += yBar[b]![j]!; }
        const u = form === 'pdp'
          ? coef('A', s) * xy + coef('B', s) * x + coef('C', s) * y + coef('D', s)
          : coef('A', s) * xy - coef('A', s) * coef('C', s) * x + coef('B', s) * y + coef('D', s);
        w[s] = w[s]! + c.lr![s]! * u;
      }
    }
    const m = Math.max(...w.map(Math.abs));
    if (p.normalize === 'max-abs' && m > 0) for (let s = 0; s < w.length; s++) w[s] = w[s]! / m;
  }
  return w;
}

function coefficients(seed: number): Record<string, Float32Array> {
  const rng = createRng(seed);
  return Object.fromEntries(PDLF_COEFFICIENTS.map((k) => [k, rng.normal(NPRE * NPOST, k === 'lr' ? 0.2 : 0, 1)]));
}

/** Ternary activity [steps][batch][n] (the ternary LIF's −1/0/+1). */
function activity(seed: number, steps: number, batch: number, n: number): number[][][] {
  const rng = createRng(seed);
  return Array.from({ length: steps }, () => Array.from({ length: batch }, () => Array.from(rng.uniform(n), (u) => (u < 0.3 ? -1 : u > 0.6 ? 1 : 0))));
}

async function run(form: Form, p: PdlfParams, w0: number[], c: SynapseArrays, pre: number[][][], post: number[][][], dtMs = 1): Promise<Float32Array> {
  const rule = form === 'pdp' ? pdp : scp;
  const conn = ReferenceConnection.dense(NPRE, NPOST, w0);
  const batch = pre[0]!.length;
  let state = rule.init({ nPre: NPRE, nPost: NPOST, batch }, p);
  for (let t = 0; t < pre.length; t++) {
    const x = tf.tensor2d(pre[t]!), y = tf.tensor2d(post[t]!);
    const next = rule.step({ pre: x, post: y, conn, dtMs, synapses: c }, state, p);
    releaseState(state, next);
    state = next;
    tf.dispose([x, y]);
  }
  tf.dispose(Object.values(state) as tf.Tensor[]);
  const w = await conn.toDense();
  conn.dispose();
  return w;
}

const W0 = Array.from({ length: NPRE * NPOST }, (_, k) => ((k * 7) % 5) / 10 - 0.2);

describe('core/scp and core/pdp against the official arithmetic', () => {
  const cases: [string, Partial<PdlfParams>, number][] = [
    ['raw activities, batch 1', {}, 1],
    ['traces (τ = dt: the official x/e + act·(1 − 1/e)), batch 1', { preTauMs: 1, postTauMs: 1 }, 1],
    ['traces, batch 3 (sums over the batch, one plastic matrix)', { preTauMs: 1, postTauMs: 2 }, 3],
    ['terms "BD" (the official ablation)', { terms: 'BD', postTauMs: 1 }, 1],
    ['no normalisation', { normalize: 'none', preTauMs: 1 }, 2],
  ];
  for (const form of ['pdp', 'scp'] as const) {
    for (const [label, extra, batch] of cases) {
      it(`${form}: ${label}`, async () => {
        const p = { ...base, ...extra };
        const c = coefficients(3);
        const pre = activity(4, 12, batch, NPRE), post = activity(5, 12, batch, NPOST);
        const w = await run(form, p, W0, c, pre, post);
        expectClose(w, reference(form, p, W0, c, pre, post, 1), { atol: 2e-6, rtol: 2e-5 });
        if (p.normalize === 'max-abs') expect(Math.max(...Array.from(w, Math.abs))).toBeCloseTo(1, 6);
      });
    }
  }

  it('scp and pdp differ where they should: x·(y − C) and B·y against B·x and C·y', async () => {
    const c = coefficients(9);
    const pre = activity(1, 3, 1, NPRE), post = activity(2, 3, 1, NPOST);
    const a = await run('pdp', base, W0, c, pre, post), b = await run('scp', base, W0, c, pre, post);
    expect(Array.from(a)).not.toEqual(Array.from(b));
  });

  it('runs on sparse connections (CSR): the stored synapses follow the same equation', async () => {
    const p = { ...base, preTauMs: 1, postTauMs: 1 };
    const conn = CSRConnection.random({ nPre: NPRE, nPost: NPOST, p: 0.6, seed: 2, init: { dist: 'uniform', low: -0.5, high: 0.5 } });
    const dense0 = Array.from(await conn.toDenseTensor().data());
    const { pre: rows, post: cols } = conn.pairs();
    const full = coefficients(7);
    // the connection's coefficients in storage order; absent synapses get zeros in the reference
    const stored = Object.fromEntries(PDLF_COEFFICIENTS.map((k) => [k, Float32Array.from(rows, (i, s) => full[k]![i * NPOST + cols[s]!]!)]));
    const mask = new Float32Array(NPRE * NPOST);
    rows.forEach((i, s) => { mask[i * NPOST + cols[s]!] = 1; });
    const masked = Object.fromEntries(PDLF_COEFFICIENTS.map((k) => [k, full[k]!.map((v, s) => v * mask[s]!)]));
    const pre = activity(4, 8, 1, NPRE), post = activity(5, 8, 1, NPOST);
    let state: PdlfState = pdp.init({ nPre: NPRE, nPost: NPOST, batch: 1 }, p);
    for (let t = 0; t < pre.length; t++) {
      const x = tf.tensor2d(pre[t]!), y = tf.tensor2d(post[t]!);
      const next = pdp.step({ pre: x, post: y, conn, dtMs: 1, synapses: stored }, state, p);
      releaseState(state, next);
      state = next;
      tf.dispose([x, y]);
    }
    tf.dispose(Object.values(state) as tf.Tensor[]);
    const want = reference('pdp', p, dense0, masked, pre, post, 1);
    const dense = conn.toDenseTensor();
    expectClose(await dense.data(), want, { atol: 2e-6, rtol: 2e-5 });
    dense.dispose();
    conn.dispose();
  });

  it('normalisation never divides by zero: all-zero weights and updates stay 0 (the official code gives NaN)', async () => {
    const zeros = Object.fromEntries(PDLF_COEFFICIENTS.map((k) => [k, new Float32Array(NPRE * NPOST)]));
    const w = await run('pdp', base, new Array(NPRE * NPOST).fill(0), zeros, activity(1, 3, 1, NPRE), activity(2, 3, 1, NPOST));
    expect(Array.from(w)).toEqual(new Array(NPRE * NPOST).fill(0));
  });

  it('synapseArrays: init values plus seeded noise, the same for the same seed', () => {
    const structure = { nPre: 2, nPost: 2, nnz: 4, pre: Int32Array.of(0, 0, 1, 1), post: Int32Array.of(0, 1, 0, 1) };
    const flat = pdp.synapseArrays!(structure, { ...base, init: { lr: 0.5, A: 1, B: -1, C: 2, D: 0 } }, createRng(1));
    expect(Array.from(flat.lr!)).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect(Array.from(flat.B!)).toEqual([-1, -1, -1, -1]);
    const noisy = (seed: number) => pdp.synapseArrays!(structure, { ...base, initStd: 0.1 }, createRng(seed));
    expect(Array.from(noisy(2).A!)).toEqual(Array.from(noisy(2).A!));
    expect(Array.from(noisy(2).A!)).not.toEqual(Array.from(noisy(3).A!));
  });

  it('leaks no tensors over many steps', async () => {
    const p = { ...base, preTauMs: 1, postTauMs: 1 };
    const c = coefficients(3);
    const conn = ReferenceConnection.dense(NPRE, NPOST, W0);
    let state = pdp.init({ nPre: NPRE, nPost: NPOST, batch: 1 }, p);
    const x = tf.tensor2d([[1, 0, -1, 1]]), y = tf.tensor2d([[0, 1, -1]]);
    const step = () => {
      const next = pdp.step({ pre: x, post: y, conn, dtMs: 1, synapses: c }, state, p);
      releaseState(state, next);
      state = next;
    };
    step(); // the trace state replaces the initial tensors once, then keeps its size
    await expectNoLeaks(() => { for (let t = 0; t < 50; t++) step(); });
    tf.dispose([x, y, ...(Object.values(state) as tf.Tensor[])]);
    conn.dispose();
  });
});

describe('core/scp and core/pdp reject bad input and change nothing', () => {
  it('invalid params', () => {
    const bad: [Partial<PdlfParams>, RegExp][] = [
      [{ terms: 'ABCE' }, /terms must be a string of distinct letters from "ABCD"/],
      [{ terms: 'AA' }, /terms must be/],
      [{ normalize: 'l2' as never }, /normalize must be one of "max-abs", "none"/],
      [{ preTauMs: -1 }, /preTauMs must be >= 0/],
      [{ init: { lr: NaN, A: 1, B: 0, C: 0, D: 0 } }, /init\.lr must be a finite number/],
      [{ initStd: -0.1 }, /initStd must be >= 0/],
    ];
    for (const [p, message] of bad) expectPlasticityError(() => scp.init({ nPre: 2, nPost: 2, batch: 1 }, { ...base, ...p }), 'E_PARAM', message);
  });

  it('missing or wrong-length coefficient arrays leave the weights as they were', async () => {
    const conn = ReferenceConnection.dense(NPRE, NPOST, W0);
    const state = pdp.init({ nPre: NPRE, nPost: NPOST, batch: 1 }, base);
    const x = tf.tensor2d([[1, 0, -1, 1]]), y = tf.tensor2d([[0, 1, -1]]);
    const short = { ...coefficients(1), D: new Float32Array(3) };
    expectPlasticityError(() => pdp.step({ pre: x, post: y, conn, dtMs: 1 }, state, base), 'E_PARAM', /io\.synapses\.lr must be a Float32Array of length 12/);
    expectPlasticityError(() => pdp.step({ pre: x, post: y, conn, dtMs: 1, synapses: short }, state, base), 'E_PARAM', /io\.synapses\.D must be a Float32Array of length 12/);
    expectClose(await conn.toDense(), W0);
    tf.dispose([x, y, ...(Object.values(state) as tf.Tensor[])]);
    conn.dispose();
  });
});

describe('the PDLF kernel: SIMD module = plain JS loop, bit for bit', () => {
  it('both forms, normalised or not, row lengths with and without a remainder of 4', async () => {
    const { pdlfKernel } = await import('./pdlf.js');
    const { setSimdEnabled, simdModule } = await import('./fused/simd.js');
    const { PDLF_WASM_BASE64 } = await import('./fused/wasm-binary.js');
    expect(simdModule(PDLF_WASM_BASE64), 'the SIMD module loads here').not.toBeNull();
    for (const [nPre, nPost] of [[5, 8], [7, 11], [3, 2]] as const) {
      for (const form of ['pdp', 'scp'] as const) {
        for (const normalize of ['max-abs', 'none'] as const) {
          const nnz = nPre * nPost;
          const table = { nPre, nPost, nnz, dense: true, rowPtr: new Int32Array(0), rowIdx: new Int32Array(0), rowPos: new Int32Array(0), colPtr: new Int32Array(0), colIdx: new Int32Array(0), colPos: new Int32Array(0) };
          const run = (simd: boolean) => {
            setSimdEnabled(simd);
            const rng = createRng(nPre * 100 + nPost);
            const synapses = Object.fromEntries(PDLF_COEFFICIENTS.map((k) => [k, rng.normal(nnz, k === 'lr' ? 0.2 : 0, 1)]));
            const k = pdlfKernel(table, form, { ...base, normalize, preTauMs: 1 }, synapses, 1);
            const io = { n: 0, preActive: Int32Array.from({ length: nPre }, (_, i) => i), preCount: nPre, preValue: new Float32Array(nPre), postActive: new Int32Array(nPost), postCount: 0,
              postValue: new Float32Array(nPost), input: new Float32Array(nPost), binary: false, modulator: 0, w: rng.normal(nnz, 0, 0.5) };
            for (let s = 0; s < 30; s++) {
              io.preValue = Float32Array.from(rng.uniform(nPre), (u) => (u < 0.3 ? -1 : u > 0.7 ? 1 : 0));
              io.postValue = Float32Array.from(rng.uniform(nPost), (u) => (u < 0.3 ? -1 : u > 0.7 ? 1 : 0));
              k.step(io);
            }
            return Array.from(io.w);
          };
          const simd = run(true), js = run(false);
          setSimdEnabled(true);
          expect(simd).toEqual(js);
          expect(new Set(simd).size).toBeGreaterThan(nnz / 2);
        }
      }
    }
  });
});
