import { PlasticityError } from '@plasticity/core';
import { isResident, stage, unstage } from './memory.js';
import { getKernels, runningWorkers, threadsFor } from './module.js';
import { runShare } from './workers.js';

// The host step's kernels: matrix products C[M, N] = op(A)·op(B) over row-major Float32Arrays, Adam and the
// attention layer's elementwise work, in the WebAssembly SIMD module (module.ts). Operands that are
// resident arrays (memory.ts) are used in place, others are copied in and out. Large products are shared
// with worker threads by 8-column panels; each element of C is summed by one thread, in float32, k
// ascending, so the result does not depend on the number of threads. Where WebAssembly SIMD is missing,
// plain JS loops run (sums in double).

/** 'N': the operand as stored; 'T': its transpose. */
export type Op = 'N' | 'T';

/** Below this many multiply-adds a product runs on the calling thread alone (waking workers costs ~10 µs). */
const THREADED_MIN_MACS = 1 << 18;

function check(name: string, array: Float32Array, length: number): void {
  if (array.length < length) throw new PlasticityError('E_SHAPE', `gemm: ${name} has ${array.length} values, needs ${length}`);
}

/** What is done to each product before it is stored: + bias[n], ReLU, zero where !(mask[m, n] > 0). */
export interface Epilogue {
  readonly bias?: Float32Array;
  readonly relu?: boolean;
  readonly mask?: Float32Array;
}

/**
 * C[M, N] = epilogue(op(A)·op(B)): A is [M, K] ('N') or [K, M] ('T'), B is [K, N] ('N') or [N, K] ('T'),
 * the mask [M, N], all row-major; the first M·N values of `c` are written. The bias is added in float32
 * to the float32 sum; ReLU and the mask turn NaN and −0 into +0.
 */
export function gemm(opA: Op, opB: Op, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array, epilogue: Epilogue = {}): void {
  check('A', a, M * K);
  check('B', b, K * N);
  check('C', c, M * N);
  const { bias, relu = false, mask } = epilogue;
  if (bias) check('bias', bias, N);
  if (mask) check('mask', mask, M * N);
  if (M === 0 || N === 0) return;
  const k = getKernels();
  if (k === null || K === 0) {
    gemmJs(opA, opB, M, N, K, a, b, c);
    finishJs(c, M, N, epilogue);
    return;
  }
  const panels = Math.ceil(N / 8);
  const ldc = panels * 8;
  // C and the mask in place when resident with rows of a multiple of 8; otherwise staged with padded rows
  const direct = ldc === N;
  const padMask = mask && !(direct && isResident(mask));
  const { at, f32 } = stage(k, [
    { array: a, floats: M * K, read: true },
    { array: b, floats: K * N, read: true },
    { array: null, floats: K * ldc, read: false },
    { array: direct ? c : null, floats: M * ldc, read: false },
    { array: null, floats: bias ? ldc : 0, read: false },
    { array: padMask ? null : mask ?? null, floats: mask ? M * ldc : 0, read: true },
  ]);
  const [pa, pb, pp, pc, pBias, pMask] = at as [number, number, number, number, number, number];
  if (bias) f32.set(bias.subarray(0, N), pBias / 4);
  if (padMask) for (let i = 0; i < M; i++) f32.set(mask.subarray(i * N, (i + 1) * N), pMask / 4 + i * ldc);
  const [ars, acs] = opA === 'N' ? [K, 1] : [1, M];
  const [brs, bcs] = opB === 'N' ? [N, 1] : [1, K];
  const args = [pa, ars, acs, pb, brs, bcs, N, K, pp, pc, ldc, M, bias ? pBias : 0, mask ? pMask : 0, relu ? 1 : 0];
  const threads = M * N * K >= THREADED_MIN_MACS ? threadsFor(k) : 1;
  if (threads > 1) runningWorkers().run(threads, panels, args);
  else runShare(k, args, 0, panels);
  if (direct) unstage(f32, pc, c, M * N);
  else for (let i = 0; i < M; i++) c.set(f32.subarray(pc / 4 + i * ldc, pc / 4 + i * ldc + N), i * N);
}

/**
 * One parameter's Adam update in place (w, m, v), each operation rounded to float32 as host-step.ts's JS
 * loop, with consts [b1, 1 − b1, b2, 1 − b2, stepSize, √(1 − b2^t), eps]. False (nothing written) where
 * WebAssembly SIMD is missing.
 */
export function adamInWasm(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, consts: readonly number[]): boolean {
  const k = getKernels();
  if (k === null) return false;
  const n = w.length;
  const { at, f32 } = stage(k, [w, g, m, v].map((array) => ({ array, floats: n, read: true })));
  const [pw, pg, pm, pv] = at as [number, number, number, number];
  const [b1, b1c, b2, b2c, stepSize, rc, eps] = consts as [number, number, number, number, number, number, number];
  k.adam(pw, pg, pm, pv, n, b1, b1c, b2, b2c, stepSize, rc, eps);
  unstage(f32, pw, w, n);
  unstage(f32, pm, m, n);
  unstage(f32, pv, v, n);
  return true;
}

function finishJs(c: Float32Array, M: number, N: number, { bias, relu, mask }: Epilogue): void {
  for (let i = 0; i < M * N; i++) {
    let v = bias ? Math.fround(c[i]! + bias[i % N]!) : c[i]!;
    if ((relu && !(v > 0)) || (mask && !(mask[i]! > 0))) v = 0;
    c[i] = v;
  }
}

/**
 * The attention layer's elementwise work in the module: t = tanh(|p − z|) and q = z·t (attention), or
 * dz = (dq·t + dq·z·(1 − t²)·s)·[z > 0] (attentionGrad). False (nothing written) where WebAssembly SIMD is missing.
 */
export function attentionInWasm(p: Float32Array, z: Float32Array, t: Float32Array, q: Float32Array): boolean {
  return elementwise('attention', [p, z], [t, q]);
}

export function attentionGradInWasm(dq: Float32Array, z: Float32Array, t: Float32Array, p: Float32Array, dz: Float32Array): boolean {
  return elementwise('attentionGrad', [dq, z, t, p], [dz]);
}

/** Runs an elementwise export on `inputs` (read) and `outputs` (written), n values each. */
function elementwise(name: 'attention' | 'attentionGrad', inputs: readonly Float32Array[], outputs: readonly Float32Array[]): boolean {
  const k = getKernels();
  if (k === null) return false;
  const n = outputs[0]!.length;
  const { at, f32 } = stage(k, [...inputs.map((array) => ({ array, floats: n, read: true })), ...outputs.map((array) => ({ array, floats: n, read: false }))]);
  (k[name] as (...args: number[]) => void)(...at, n);
  outputs.forEach((y, i) => unstage(f32, at[inputs.length + i]!, y, n));
  return true;
}

/** The same product in plain JS, sums in double (where WebAssembly SIMD is missing). */
function gemmJs(opA: Op, opB: Op, M: number, N: number, K: number, a: Float32Array, b: Float32Array, c: Float32Array): void {
  const acc = new Float64Array(N);
  for (let i = 0; i < M; i++) {
    acc.fill(0);
    for (let kk = 0; kk < K; kk++) {
      const av = opA === 'N' ? a[i * K + kk]! : a[kk * M + i]!;
      if (av === 0) continue;
      if (opB === 'N') for (let j = 0, r = kk * N; j < N; j++) acc[j] = acc[j]! + av * b[r + j]!;
      else for (let j = 0; j < N; j++) acc[j] = acc[j]! + av * b[j * K + kk]!;
    }
    for (let j = 0; j < N; j++) c[i * N + j] = acc[j]!;
  }
}
