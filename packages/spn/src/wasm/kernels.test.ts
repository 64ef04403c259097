import { readFile } from 'node:fs/promises';
import { PlasticityError } from '@plasticity/core';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { generate, OUTPUT } from '../../assembly/build.mjs';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasm-binary.js';
import { adamInWasm, attentionGradInWasm, attentionInWasm, gemm, type Epilogue, type Op } from './kernels.js';
import { isResident, releaseResident, residentArray, residentCopy } from './memory.js';
import { gemmInWasm, hostThreads, setGemmKernels, setHostThreads } from './module.js';

function random(seed: number, n: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

/** op(A)·op(B) in double, then the epilogue as documented. */
function reference(opA: Op, opB: Op, M: number, N: number, K: number, a: Float32Array, b: Float32Array, e: Epilogue = {}): Float64Array {
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += (opA === 'N' ? a[i * K + k]! : a[k * M + i]!) * (opB === 'N' ? b[k * N + j]! : b[j * K + k]!);
      if (e.bias) s += e.bias[j]!;
      if ((e.relu && !(s > 0)) || (e.mask && !(e.mask[i * N + j]! > 0))) s = 0;
      c[i * N + j] = s;
    }
  }
  return c;
}

function expectNear(got: Float32Array, want: Float64Array, K: number): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
  // float32 sums of K products of values in [−1, 1]
  expect(worst).toBeLessThan(4e-7 * (K + 4));
}

const OPS: [Op, Op][] = [['N', 'N'], ['T', 'N'], ['N', 'T'], ['T', 'T']];
// odd sizes (row and panel tails), one-row and one-column products, and sizes that use worker threads
const SIZES: [number, number, number][] = [[1, 1, 1], [7, 13, 5], [5, 8, 3], [1, 17, 9], [9, 1, 4], [33, 70, 41], [67, 130, 150]];

describe('gemm (WebAssembly SIMD, several threads)', () => {
  afterAll(() => {
    setGemmKernels('wasm');
    setHostThreads(0);
  });

  it('runs in the module here', () => {
    expect(gemmInWasm()).toBe(true);
  });

  it.each(OPS)('op(A) = %s, op(B) = %s: equals the product in double within float32 rounding, at every size', (opA, opB) => {
    for (const [M, N, K] of SIZES) {
      const a = random(M * 7 + K, M * K);
      const b = random(N * 3 + K, K * N);
      const c = new Float32Array(M * N + 3).fill(9);
      gemm(opA, opB, M, N, K, a, b, c);
      expectNear(c, reference(opA, opB, M, N, K, a, b), K);
      expect(Array.from(c.subarray(M * N))).toEqual([9, 9, 9]); // nothing written past M·N
    }
  });

  it('epilogue: bias, ReLU and mask as the reference; NaN, −0 and non-positive mask values give +0', () => {
    const [M, N, K] = [6, 11, 4];
    const a = random(1, M * K);
    const b = random(2, K * N);
    const bias = random(3, N);
    const mask = random(4, M * N);
    mask[0] = NaN;
    mask[1] = -0;
    mask[2] = 0;
    for (const e of [{ bias }, { relu: true }, { mask }, { bias, relu: true, mask }] as Epilogue[]) {
      const c = new Float32Array(M * N);
      gemm('N', 'N', M, N, K, a, b, c, e);
      expectNear(c, reference('N', 'N', M, N, K, a, b, e), K);
      for (const v of c) expect(Object.is(v, -0) || Number.isNaN(v)).toBe(false);
    }
    const nan = new Float32Array(K * N).fill(NaN);
    const c = new Float32Array(M * N);
    gemm('N', 'N', M, N, K, a, nan, c, { relu: true });
    expect(Array.from(c)).toEqual(new Array(M * N).fill(0));
  });

  it('gives the same bits on 1, 2 and 3 threads (each element is summed by one thread in one order)', async () => {
    const [M, N, K] = [96, 200, 160];
    const a = random(5, M * K);
    const b = random(6, K * N);
    const results: Float32Array[] = [];
    for (const threads of [1, 2, 3]) {
      setHostThreads(threads);
      const c = new Float32Array(M * N);
      gemm('T', 'N', M, N, K, a, b, c); // starts the workers
      for (let wait = 0; hostThreads() < threads && wait < 200; wait++) await new Promise((r) => setTimeout(r, 10));
      expect(hostThreads()).toBe(threads);
      gemm('T', 'N', M, N, K, a, b, c);
      results.push(c);
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it('the JS loops (where WebAssembly SIMD is missing) give the same products within float32 rounding', () => {
    setGemmKernels('js');
    expect(gemmInWasm()).toBe(false);
    for (const [opA, opB] of OPS) {
      const [M, N, K] = [9, 21, 13];
      const a = random(7, M * K);
      const b = random(8, K * N);
      const e = { bias: random(9, N), relu: true };
      const c = new Float32Array(M * N);
      gemm(opA, opB, M, N, K, a, b, c, e);
      expectNear(c, reference(opA, opB, M, N, K, a, b, e), K);
    }
    setGemmKernels('wasm');
  });

  it('rejects short operands and bad thread counts with PlasticityError, changing nothing', () => {
    const c = new Float32Array(6).fill(1);
    expect(() => gemm('N', 'N', 2, 3, 4, new Float32Array(7), new Float32Array(12), c)).toThrow(/A has 7 values, needs 8/);
    expect(() => gemm('N', 'N', 2, 3, 4, new Float32Array(8), new Float32Array(12), c, { bias: new Float32Array(2) })).toThrow(PlasticityError);
    expect(Array.from(c)).toEqual([1, 1, 1, 1, 1, 1]);
    const before = setHostThreads(2);
    for (const bad of [-1, 1.5, 17, NaN]) expect(() => setHostThreads(bad)).toThrow(/host threads must be an integer from 0 \(automatic\) to 16/);
    expect(setHostThreads(before)).toBe(2);
  });
});

describe('resident arrays (the module\'s shared memory)', () => {
  it('are zeroed views that survive the memory growing, reuse freed blocks and give the same products in place', () => {
    const a = residentCopy(random(1, 64 * 48));
    const b = residentCopy(random(2, 48 * 40));
    expect([isResident(a), isResident(b), isResident(new Float32Array(4))]).toEqual([true, true, false]);
    const freed = residentArray(1000);
    const at = freed.byteOffset;
    releaseResident(freed);
    const again = residentArray(999);
    expect(again.byteOffset).toBe(at);
    expect(again.every((x) => x === 0)).toBe(true);
    const big = residentArray(8 << 20); // 32 MB: the memory grows
    big[big.length - 1] = 1;
    expect(Array.from(a.subarray(0, 3))).toEqual(Array.from(random(1, 3)));
    const [M, N, K] = [64, 40, 48];
    const mask = residentCopy(random(3, M * N));
    const plain = new Float32Array(M * N);
    gemm('N', 'N', M, N, K, a.slice(), b.slice(), plain, { mask: mask.slice(), relu: true });
    const inPlace = residentArray(M * N);
    gemm('N', 'N', M, N, K, a, b, inPlace, { mask, relu: true });
    expect(inPlace).toEqual(plain);
    for (const x of [a, b, again, big, mask, inPlace]) releaseResident(x);
  });
});

describe('Adam in the module', () => {
  it('is bit-identical to the JS form (every operation rounded to float32), in place, on resident arrays and plain ones', () => {
    const n = 1003;
    const consts = [0.9, 0.1, 0.999, 0.001, 0.0123, 0.0447, 1e-8].map(Math.fround);
    const [b1, b1c, b2, b2c, step, rc, eps] = consts as [number, number, number, number, number, number, number];
    const f = Math.fround;
    for (const place of [(x: Float32Array) => x.slice(), residentCopy]) {
      const [w0, g, m0, v0] = [random(1, n), random(2, n), random(3, n), random(4, n).map(Math.abs)];
      const [w, m, v] = [place(w0), place(m0), place(v0)];
      expect(adamInWasm(w, place(g), m, v, consts)).toBe(true);
      for (let i = 0; i < n; i++) {
        const mi = f(f(m0[i]! * b1) + f(g[i]! * b1c));
        const vi = f(f(v0[i]! * b2) + f(f(g[i]! * g[i]!) * b2c));
        expect([w[i], m[i], v[i]]).toEqual([f(w0[i]! - f(f(mi / f(f(f(Math.sqrt(vi)) / rc) + eps)) * step)), mi, vi]);
      }
    }
  });
});

/** The ids of a WebAssembly binary's sections. */
function sectionIds(base64: string): number[] {
  const bytes = Buffer.from(base64, 'base64');
  const ids: number[] = [];
  for (let at = 8; at < bytes.length;) {
    ids.push(bytes[at++]!);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++]!;
      size |= (byte & 0x7f) << shift;
      if (byte < 0x80) break;
    }
    at += size;
  }
  return ids;
}

describe('the kernels module binary', () => {
  it('is the committed wasm-binary.ts (run `pnpm --filter @plasticity/spn build:wasm` and commit)', async () => {
    expect(await generate()).toBe(await readFile(OUTPUT, 'utf8'));
  });

  it('has no data section (the first 256 bytes of its memory are the threads\' control block)', () => {
    for (const base64 of [KERNELS_WASM_BASE64, KERNELS_SHARED_WASM_BASE64]) {
      const ids = sectionIds(base64);
      expect(ids).toContain(10); // code
      expect(ids).not.toContain(11); // data
    }
  });
});

describe('the attention layer in the module', () => {
  /** Distance in float32 ulps. */
  const ulps = (a: number, b: number) => {
    const v = new Float32Array([a, b]);
    const i = new Int32Array(v.buffer);
    return Math.abs(i[0]! - i[1]!);
  };

  it('t = tanh(|p − z|) within 2 float32 ulps of Math.tanh (0 to 20, both branches of the approximation), q = z·t', () => {
    const n = 200_003;
    const z = Float32Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1) * 10 * (i / n) ** 2);
    const p = Float32Array.from({ length: n }, (_, i) => (i % 3) * z[i]! * 0.5 + (i % 5 === 0 ? 10 : 0));
    p[0] = NaN;
    const t = new Float32Array(n);
    const q = new Float32Array(n);
    expect(attentionInWasm(p, z, t, q)).toBe(true);
    expect(t[0]).toBeNaN();
    let worst = 0;
    for (let i = 1; i < n; i++) {
      const exact = Math.fround(Math.tanh(Math.abs(Math.fround(p[i]! - z[i]!))));
      worst = Math.max(worst, ulps(t[i]!, exact));
      expect(q[i]).toBe(Math.fround(z[i]! * t[i]!));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it('dz equals the JS form within float32 rounding; zero where z ≤ 0; the sign of the |·| gradient as tfjs', () => {
    const n = 1001;
    const [dq, z, p] = [random(1, n), random(2, n), random(3, n)];
    p[4] = z[4]!; // p − z = 0 takes s = 1
    const t = new Float32Array(n);
    attentionInWasm(p, z, t, new Float32Array(n));
    const dz = new Float32Array(n);
    expect(attentionGradInWasm(dq, z, t, p, dz)).toBe(true);
    for (let i = 0; i < n; i++) {
      const s = p[i]! - z[i]! > 0 ? -1 : 1;
      const want = z[i]! > 0 ? dq[i]! * t[i]! + dq[i]! * z[i]! * (1 - t[i]! * t[i]!) * s : 0;
      expect(Math.abs(dz[i]! - want)).toBeLessThan(3e-7 * (Math.abs(dq[i]!) + 1e-30) + 1e-12);
    }
  });
});
