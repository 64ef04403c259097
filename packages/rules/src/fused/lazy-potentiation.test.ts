import { createRng } from '@plasticity/core';
import { ScaledTrace, type SynapseTable } from '@plasticity/core/fused';
import { expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { LazyPotentiation } from './lazy-potentiation.js';
import { setSimdEnabled } from './simd.js';

// The public block on its own, against a brute-force direct pair STDP (float64, potentiation applied at
// every post spike down its whole column): the same weights up to float32 rounding and the same
// propagated input, on dense tables (JS rows and SIMD rows) and on sparse ones, with publish in the
// middle of the run (a run call ending) and at the end.

const DT = 0.5, TAU_PLUS = 16.8, TAU_MINUS = 33.7;
const A_PLUS = 0.02, A_MINUS = 0.021, W_MIN = 0, W_MAX = 1;

/** A table over the synapses where mask is set (storage order: row-major over the mask). */
function table(nPre: number, nPost: number, mask: boolean[], dense: boolean): SynapseTable {
  const rows: number[][] = Array.from({ length: nPre }, () => []);
  const cols: [number, number][][] = Array.from({ length: nPost }, () => []);
  let k = 0;
  for (let i = 0; i < nPre; i++) for (let j = 0; j < nPost; j++) if (mask[i * nPost + j]) { rows[i]!.push(j); cols[j]!.push([i, k]); k++; }
  if (dense) return { nPre, nPost, nnz: nPre * nPost, dense, rowPtr: new Int32Array(0), rowIdx: new Int32Array(0), rowPos: new Int32Array(0), colPtr: new Int32Array(0), colIdx: new Int32Array(0), colPos: new Int32Array(0) };
  const rowPtr = Int32Array.from([0, ...rows.map((r) => r.length)].map(((s) => (x: number) => (s += x))(0)));
  const colPtr = Int32Array.from([0, ...cols.map((c) => c.length)].map(((s) => (x: number) => (s += x))(0)));
  return {
    nPre, nPost, nnz: k, dense,
    rowPtr, rowIdx: Int32Array.from(rows.flat()), rowPos: Int32Array.from({ length: k }, (_, s) => s),
    colPtr, colIdx: Int32Array.from(cols.flat().map(([i]) => i)), colPos: Int32Array.from(cols.flat().map(([, kk]) => kk)),
  };
}

function run(nPre: number, nPost: number, dense: boolean, steps: number) {
  const rng = createRng(7);
  const mask = Array.from({ length: nPre * nPost }, () => dense || rng.random() < 0.4);
  const t = table(nPre, nPost, mask, dense);
  const pairs: [number, number][] = [];
  for (let i = 0; i < nPre; i++) for (let j = 0; j < nPost; j++) if (mask[i * nPost + j]) pairs.push([i, j]);
  const w0 = Float32Array.from(rng.uniform(t.nnz, 0.2, 0.8));
  // the block, as a kernel drives it
  const xPre = new ScaledTrace(nPre, 'all-to-all', DT, TAU_PLUS, 1, 12);
  const xPost = new ScaledTrace(nPost, 'all-to-all', DT, TAU_MINUS);
  const lazy = new LazyPotentiation(t, xPre, { aPlus: A_PLUS, wMin: W_MIN, wMax: W_MAX });
  const w = w0.slice();
  lazy.attach(w, true);
  // the reference
  const ref = Float64Array.from(w0);
  const x = new Float64Array(nPre), y = new Float64Array(nPost);
  const gP = Math.exp(-DT / TAU_PLUS), gM = Math.exp(-DT / TAU_MINUS);
  const input = new Float32Array(nPost), refInput = new Float64Array(nPost);
  const ones = new Float32Array(Math.max(nPre, nPost)).fill(1);
  for (let n = 0; n < steps; n++) {
    const pre = Int32Array.from(Array.from({ length: nPre }, (_, i) => i).filter(() => rng.random() < 0.08));
    const post = Int32Array.from(Array.from({ length: nPost }, (_, j) => j).filter(() => rng.random() < 0.05));
    for (let i = 0; i < nPre; i++) x[i]! *= gP;
    for (let j = 0; j < nPost; j++) y[j]! *= gM;
    lazy.advance(n);
    xPost.advance(n);
    if (pre.length > 0) {
      const amp = A_MINUS * xPost.read(n);
      for (let j = 0; j < nPost; j++) lazy.delta[j] = -(amp * xPost.X[j]!);
      lazy.preRows(pre, pre.length, input);
      xPre.spike(n, pre, pre.length, ones);
    }
    if (post.length > 0) {
      lazy.post(n, post, post.length);
      xPost.spike(n, post, post.length, ones);
    }
    // reference: pre pathway (propagate, depress), pre traces jump, post pathway (potentiate), post traces jump
    const isPre = new Set(pre), isPost = new Set(post);
    pairs.forEach(([i, j], k) => {
      if (!isPre.has(i)) return;
      refInput[j]! += ref[k]!;
      ref[k] = Math.min(W_MAX, Math.max(W_MIN, ref[k]! - A_MINUS * y[j]!));
    });
    for (const i of pre) x[i]! += 1;
    pairs.forEach(([i, j], k) => { if (isPost.has(j)) ref[k] = Math.min(W_MAX, ref[k]! + A_PLUS * x[i]!); });
    for (const j of post) y[j]! += 1;
    if (n === steps >> 1) lazy.publish(w); // a run call ending half way
  }
  lazy.publish(w);
  return { w, ref, input, refInput, changed: w.filter((v, k) => v !== w0[k]).length / t.nnz };
}

describe('LazyPotentiation', () => {
  const cases = [
    ['dense, JS rows (nPost < 8)', 40, 6, true],
    ['dense, SIMD rows', 40, 12, true],
    ['sparse', 40, 12, false],
  ] as const;
  for (const [label, nPre, nPost, dense] of cases) {
    it(`is the direct pair rule up to float32 rounding: ${label}, over several trace renormalisations`, () => {
      const { w, ref, input, refInput, changed } = run(nPre, nPost, dense, 1500);
      expect(changed).toBeGreaterThan(0.5);
      for (let k = 0; k < w.length; k++) expect(Math.abs(w[k]! - ref[k]!)).toBeLessThan(2e-5);
      for (let j = 0; j < nPost; j++) expect(Math.abs(input[j]! - refInput[j]!)).toBeLessThan(1e-5 * (1 + Math.abs(refInput[j]!)));
    });
  }

  it('the plain JS rows equal the SIMD rows up to float32 rounding', () => {
    const simd = run(40, 12, true, 600).w;
    setSimdEnabled(false);
    try {
      const js = run(40, 12, true, 600).w;
      for (let k = 0; k < js.length; k++) expect(Math.abs(js[k]! - simd[k]!)).toBeLessThan(1e-6);
    } finally {
      setSimdEnabled(true);
    }
  });

  it('rejects a negative aPlus, inverted bounds and a pre trace whose scale may grow past e^12', () => {
    const t = table(4, 3, [], true);
    const ok = new ScaledTrace(4, 'all-to-all', DT, TAU_PLUS, 1, 12);
    expectPlasticityError(() => new LazyPotentiation(t, ok, { aPlus: -0.1 }), 'E_PARAM', /aPlus must be finite and >= 0/);
    expectPlasticityError(() => new LazyPotentiation(t, ok, { aPlus: 0.1, wMin: 1, wMax: 0 }), 'E_PARAM', /wMin must be <= wMax/);
    expectPlasticityError(() => new LazyPotentiation(t, new ScaledTrace(4, 'all-to-all', DT, TAU_PLUS), { aPlus: 0.1 }), 'E_PARAM', /range 12/);
    expect(() => new LazyPotentiation(t, ok, { aPlus: 0.1, wMin: 0, wMax: 1 })).not.toThrow();
  });
});
