import { readFile } from 'node:fs/promises';
import { PlasticityError } from '@plasticity/core';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without types
import { generate, OUTPUT } from '../../assembly/build.mjs';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './wasm-binary.js';
import { adamInWasm, gemm, gemmInWasm, hostThreads, setGemmKernels, setHostThreads, type Epilogue, type Op } from './kernels.js';

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

describe('Adam in the module', () => {
  it('is bit-identical to the JS form (every operation rounded to float32)', () => {
    const n = 1003;
    const [w, g, m, v] = [random(1, n), random(2, n), random(3, n), random(4, n).map(Math.abs)];
    const consts = [0.9, 0.1, 0.999, 0.001, 0.0123, 0.0447, 1e-8].map(Math.fround);
    const [b1, b1c, b2, b2c, step, rc, eps] = consts as [number, number, number, number, number, number, number];
    const f = Math.fround;
    const out = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
    expect(adamInWasm(w, g, m, v, ...out, consts)).toBe(true);
    for (let i = 0; i < n; i++) {
      const mi = f(f(m[i]! * b1) + f(g[i]! * b1c));
      const vi = f(f(v[i]! * b2) + f(f(g[i]! * g[i]!) * b2c));
      expect([out[0][i], out[1][i], out[2][i]]).toEqual([f(w[i]! - f(f(mi / f(f(f(Math.sqrt(vi)) / rc) + eps)) * step)), mi, vi]);
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
