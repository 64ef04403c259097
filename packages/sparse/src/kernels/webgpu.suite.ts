// The WebGPU kernel suite, shared by the Node entry (webgpu.gpu-test.ts: dawn.node on SwiftShader)
// and the browser entry (webgpu.browser-test.ts: headless Chromium). Each WebGPU kernel is compared
// with the cpu kernel (reference semantics of names.ts) on random structures, with and without slot,
// batch 1 and > 1, empty rows, nnz 0, all-active and all-silent events, folded dispatches and the
// device's 65535-workgroup limit; then CSR and COO connections run a scripted session on both.
//
// Tolerance: |webgpu − cpu| <= 2e-5 · (1 + Σ|terms|) per element, Σ|terms| being the sum of the
// magnitudes of the products that make the element (float32 sums in another order; EventMatVec's
// atomic order changes between runs). Never bit-exact.
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type * as TF from '@tensorflow/tfjs-core';
import { ADD_OUTER, EVENT_MATVEC, ON_ROWS, ROW_DOT, SDDMM } from './names.js';
import { registerSparseKernels } from './register.js';
import { setDispatchLimit } from './webgpu-program.js';

let tf: typeof TF;
let skipReason: string | null = null;

const TOL = 2e-5;

/** Test that reports itself skipped (with the reason) when there is no WebGPU adapter. */
function gpuIt(name: string, fn: () => Promise<void>): void {
  it(name, async (ctx: TestContext) => {
    if (skipReason !== null) ctx.skip(skipReason);
    await fn();
  });
}

// ---------------------------------------------------------------------------------------------
// Random structures (seeded)

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Csr {
  nRows: number;
  nCols: number;
  ptr: Int32Array;
  idx: Int32Array;
  nnz: number;
}

/** Random CSR with density p; `emptyEvery` forces every k-th row empty. */
function randomCsr(nRows: number, nCols: number, p: number, seed: number, emptyEvery = 0): Csr {
  const rand = rng(seed);
  const ptr = new Int32Array(nRows + 1);
  const cols: number[] = [];
  for (let r = 0; r < nRows; r++) {
    if (!(emptyEvery > 0 && r % emptyEvery === emptyEvery - 1)) {
      for (let c = 0; c < nCols; c++) if (rand() < p) cols.push(c);
    }
    ptr[r + 1] = cols.length;
  }
  return { nRows, nCols, ptr, idx: Int32Array.from(cols), nnz: cols.length };
}

function uniform(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const rand = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
}

function permutation(n: number, seed: number): Int32Array {
  const rand = rng(seed);
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Events with a fraction `rate` active; binary 0/1 or float values in (0.5, 1.5]·±1. */
function events(n: number, rate: number, binary: boolean, seed: number): Float32Array {
  const rand = rng(seed);
  return Float32Array.from({ length: n }, () => {
    if (rand() >= rate) return 0;
    return binary ? 1 : (rand() < 0.5 ? -1 : 1) * (0.5 + rand());
  });
}

// ---------------------------------------------------------------------------------------------
// Running a kernel on one backend

interface Arr {
  values: Float32Array | Int32Array;
  shape: number[];
}
const i32 = (values: Int32Array): Arr => ({ values, shape: [values.length] });
const f32 = (values: Float32Array, shape = [values.length]): Arr => ({ values, shape });

interface Out {
  values: Float32Array;
  shape: number[];
}

const UPDATES = new Set<string>([ON_ROWS, ADD_OUTER]);

/**
 * Runs `name` on `backend` with fresh tensors; checks (webgpu) that no tensor or data buffer leaks.
 * Updates (OnRows, AddOuter) on webgpu: with `shared` a clone holds the weights buffer, so the
 * update must go to a new buffer and leave weights and clone unchanged; without it the update is
 * in place (the output shares the weights' dataId). Other kernels leave the weights unchanged.
 */
async function runOn(
  backend: 'cpu' | 'webgpu', name: string, inputs: Record<string, Arr | undefined>, attrs: object = {}, shared = false,
): Promise<Out> {
  await tf.setBackend(backend);
  // the cpu backend's first use prints a tfjs-node advert: not in the test log
  if (backend === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  const before = tf.memory();
  const ts: Record<string, TF.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) {
    // A copy: tfjs keeps the given typed array as the cpu tensor's storage, and the cpu update
    // kernels write in place.
    if (v !== undefined) ts[k] = tf.tensor(v.values.slice(), v.shape, v.values instanceof Int32Array ? 'int32' : 'float32');
  }
  const clone = shared && ts.weights !== undefined ? tf.clone(ts.weights) : undefined;
  const out = tf.engine().runKernel(name, ts as unknown as TF.NamedTensorMap, attrs as TF.NamedAttrMap) as TF.Tensor;
  const values = (await out.data()) as Float32Array;
  const shape = out.shape.slice();
  expect(out.dtype).toBe('float32');
  if (backend === 'webgpu' && ts.weights !== undefined) {
    const original = Array.from(inputs.weights!.values);
    if (UPDATES.has(name) && !shared) {
      expect(out.dataId, 'an unshared weights buffer is updated in place').toBe(ts.weights.dataId);
    } else {
      expect(out.dataId, 'a shared weights buffer is not written').not.toBe(ts.weights.dataId);
      expect(Array.from(await ts.weights.data())).toEqual(original);
      if (clone) expect(Array.from(await clone.data())).toEqual(original);
    }
  }
  out.dispose();
  clone?.dispose();
  for (const t of Object.values(ts)) t.dispose();
  if (backend === 'webgpu') {
    const after = tf.memory() as TF.MemoryInfo & { numDataBuffers: number };
    expect(after.numTensors, 'tensors leaked').toBe(before.numTensors);
    expect(after.numDataBuffers, 'data buffers leaked').toBe((before as typeof after).numDataBuffers);
  }
  return { values: Float32Array.from(values), shape };
}

/** Elementwise |gpu − cpu| <= TOL·(1 + mag); mag = Σ|terms| per element. */
function expectWithin(gpu: Out, cpu: Out, mag: ArrayLike<number>, label: string): void {
  expect(gpu.shape, `${label}: shape`).toEqual(cpu.shape);
  expect(gpu.values.length, `${label}: length`).toBe(cpu.values.length);
  let worst = 0;
  for (let i = 0; i < cpu.values.length; i++) {
    const err = Math.abs(gpu.values[i]! - cpu.values[i]!);
    const tol = TOL * (1 + mag[i]!);
    if (!(err <= tol)) {
      expect.fail(`${label}: index ${i}: webgpu ${gpu.values[i]} vs cpu ${cpu.values[i]} (|err| ${err} > ${tol})`);
    }
    worst = Math.max(worst, err / (1 + mag[i]!));
  }
  expect(worst).toBeLessThanOrEqual(TOL);
}

/** Not all zero where the reference is not (silent zeros are the WebGPU failure mode). */
function expectNonZeroIfExpected(gpu: Out, cpu: Out, label: string): void {
  if (cpu.values.some((v) => v !== 0)) expect(gpu.values.some((v) => v !== 0), `${label}: all zeros`).toBe(true);
}

// Magnitudes (Σ|terms|) per output element, in float64.

function weightOf(w: Float32Array, slot: Int32Array | undefined, k: number): number {
  return w.length === 1 ? w[0]! : w[slot ? slot[k]! : k]!; // length 1: homogeneous (or nnz 1)
}

function magEventMatVec(s: Csr, w: Float32Array, slot: Int32Array | undefined, ev: Float32Array, batch: number, binary: boolean): Float64Array {
  const m = new Float64Array(batch * s.nCols);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < s.nRows; r++) {
      const e = ev[b * s.nRows + r]!;
      if (e === 0) continue;
      for (let k = s.ptr[r]!; k < s.ptr[r + 1]!; k++) m[b * s.nCols + s.idx[k]!]! += Math.abs(weightOf(w, slot, k) * (binary ? 1 : e));
    }
  }
  return m;
}

function magRowDot(s: Csr, w: Float32Array, slot: Int32Array | undefined, v: Float32Array, batch: number): Float64Array {
  const m = new Float64Array(batch * s.nRows);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < s.nRows; r++) {
      for (let k = s.ptr[r]!; k < s.ptr[r + 1]!; k++) m[b * s.nRows + r]! += Math.abs(weightOf(w, slot, k) * v[b * s.nCols + s.idx[k]!]!);
    }
  }
  return m;
}

/** Σ_b |a[b, r] · c[b, idx[k]]| at each slot's position (SDDMM and AddOuter). */
function magOuter(s: Csr, slot: Int32Array | undefined, a: Float32Array, c: Float32Array, batch: number): Float64Array {
  const m = new Float64Array(s.nnz);
  for (let r = 0; r < s.nRows; r++) {
    for (let k = s.ptr[r]!; k < s.ptr[r + 1]!; k++) {
      let t = 0;
      for (let b = 0; b < batch; b++) t += Math.abs(a[b * s.nRows + r]! * c[b * s.nCols + s.idx[k]!]!);
      m[slot ? slot[k]! : k] = t;
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Cases

interface Shape {
  label: string;
  nRows: number;
  nCols: number;
  p: number;
  emptyEvery?: number;
}

const SHAPES: Shape[] = [
  { label: '20x100 p.1 empty rows', nRows: 20, nCols: 100, p: 0.1, emptyEvery: 3 },
  { label: '100x50 p.05', nRows: 100, nCols: 50, p: 0.05 },
  { label: '1x1', nRows: 1, nCols: 1, p: 1 },
  { label: 'nnz 0', nRows: 6, nCols: 9, p: 0 },
  { label: 'fan-in 300 (contention)', nRows: 300, nCols: 3, p: 1 },
  { label: 'fan-out 200 (long rows)', nRows: 4, nCols: 200, p: 1 },
];

/** Batched operand: [batch, n] for batch > 1, [n] for the rank-1 form. */
function batched(values: Float32Array, batch: number, n: number, rank1: boolean): Arr {
  return f32(values, rank1 ? [n] : [batch, n]);
}

async function checkEventMatVec(s: Csr, seed: number, opts: { slot: boolean; batch: number; rank1: boolean; binary: boolean; rate: number; homogeneous?: boolean }): Promise<void> {
  const slot = opts.slot ? permutation(s.nnz, seed + 1) : undefined;
  const w = opts.homogeneous ? Float32Array.of(0.75) : uniform(s.nnz, seed + 2);
  const ev = events(opts.batch * s.nRows, opts.rate, opts.binary, seed + 3);
  const inputs = { ptr: i32(s.ptr), idx: i32(s.idx), weights: f32(w), events: batched(ev, opts.batch, s.nRows, opts.rank1), slot: slot && i32(slot) };
  const attrs = { nCols: s.nCols, mode: opts.binary ? 'binary' : 'float' };
  const label = `EventMatVec ${JSON.stringify(opts)}`;
  const cpu = await runOn('cpu', EVENT_MATVEC, inputs, attrs);
  const gpu = await runOn('webgpu', EVENT_MATVEC, inputs, attrs);
  expectWithin(gpu, cpu, magEventMatVec(s, w, slot, ev, opts.batch, opts.binary), label);
  expectNonZeroIfExpected(gpu, cpu, label);
}

async function checkRowDot(s: Csr, seed: number, opts: { slot: boolean; batch: number; rank1: boolean; homogeneous?: boolean }): Promise<void> {
  const slot = opts.slot ? permutation(s.nnz, seed + 1) : undefined;
  const w = opts.homogeneous ? Float32Array.of(-0.5) : uniform(s.nnz, seed + 2);
  const v = uniform(opts.batch * s.nCols, seed + 3);
  const inputs = { ptr: i32(s.ptr), idx: i32(s.idx), weights: f32(w), v: batched(v, opts.batch, s.nCols, opts.rank1), slot: slot && i32(slot) };
  const label = `RowDot ${JSON.stringify(opts)}`;
  const cpu = await runOn('cpu', ROW_DOT, inputs);
  const gpu = await runOn('webgpu', ROW_DOT, inputs);
  expectWithin(gpu, cpu, magRowDot(s, w, slot, v, opts.batch), label);
  expectNonZeroIfExpected(gpu, cpu, label);
}

/** Per-synapse factor and/or per-row bounds of an update (the `ex` input, names.ts). */
interface ExOpts {
  lr: boolean;
  rowBounds: boolean;
  /** Bounds indexed by idx[k] (the CSC view) instead of the row. */
  byIdx: boolean;
}

/** The `ex` input and its attrs: lr in [0, 2] with every 4th 0 (a mask), lo in [0, 0.3], hi in [0.6, 1]. */
function exInput(s: Csr, seed: number, ex: ExOpts): { ex: Arr; attrs: Record<string, number>; lrMax: number } {
  const lr = ex.lr ? uniform(s.nnz, seed + 7, 0, 2).map((x, k) => (k % 4 === 0 ? 0 : x)) : new Float32Array(0);
  const nB = ex.rowBounds ? (ex.byIdx ? s.nCols : s.nRows) : 0;
  const all = new Float32Array(lr.length + 2 * nB);
  all.set(lr, 0);
  all.set(uniform(nB, seed + 8, 0, 0.3), lr.length);
  all.set(uniform(nB, seed + 9, 0.6, 1), lr.length + nB);
  const attrs = { lrLen: lr.length, nBounds: nB, byIdx: ex.byIdx ? 1 : 0, hasMin: nB > 0 ? 1 : 0, hasMax: nB > 0 ? 1 : 0 };
  return { ex: f32(all), attrs, lrMax: ex.lr ? 2 : 1 };
}

async function checkOnRows(s: Csr, seed: number, opts: { slot: boolean; rate: number; bounds: boolean; ex?: ExOpts }): Promise<void> {
  const slot = opts.slot ? permutation(s.nnz, seed + 1) : undefined;
  const w = uniform(s.nnz, seed + 2, 0, 1);
  const active = events(s.nRows, opts.rate, true, seed + 3);
  const values = uniform(s.nCols, seed + 4, -0.5, 0.5);
  const x = opts.ex ? exInput(s, seed, opts.ex) : null;
  const inputs = {
    ptr: i32(s.ptr), idx: i32(s.idx), weights: f32(w), active: f32(active), values: f32(values), slot: slot && i32(slot), ex: x?.ex,
  };
  const attrs = { ...(opts.bounds ? { wMin: 0.1, wMax: 0.9 } : { wMin: -Infinity, wMax: Infinity }), ...x?.attrs };
  const label = `OnRows ${JSON.stringify(opts)}`;
  const cpu = await runOn('cpu', ON_ROWS, inputs, attrs);
  const mag = Float64Array.from(w, (v) => Math.abs(v) + 0.5 * (x?.lrMax ?? 1));
  for (const shared of [false, true]) {
    const gpu = await runOn('webgpu', ON_ROWS, inputs, attrs, shared);
    expectWithin(gpu, cpu, mag, `${label} shared ${shared}`);
    expectNonZeroIfExpected(gpu, cpu, label);
  }
}

async function checkAddOuter(s: Csr, seed: number, opts: { slot: boolean; batch: number; rank1: boolean; rate: number; bounds: boolean; ex?: ExOpts }): Promise<void> {
  const slot = opts.slot ? permutation(s.nnz, seed + 1) : undefined;
  const w = uniform(s.nnz, seed + 2, 0, 1);
  const a = events(opts.batch * s.nRows, opts.rate, false, seed + 3);
  const c = uniform(opts.batch * s.nCols, seed + 4);
  const scale = 0.3;
  const x = opts.ex ? exInput(s, seed, opts.ex) : null;
  const inputs = {
    ptr: i32(s.ptr), idx: i32(s.idx), weights: f32(w),
    a: batched(a, opts.batch, s.nRows, opts.rank1), c: batched(c, opts.batch, s.nCols, opts.rank1), slot: slot && i32(slot), ex: x?.ex,
  };
  const attrs = { ...(opts.bounds ? { scale, wMin: 0.2, wMax: 0.8 } : { scale, wMin: -Infinity, wMax: Infinity }), ...x?.attrs };
  const label = `AddOuter ${JSON.stringify(opts)}`;
  const cpu = await runOn('cpu', ADD_OUTER, inputs, attrs);
  const outer = magOuter(s, slot, a, c, opts.batch);
  const mag = Float64Array.from(w, (v, i) => Math.abs(v) + scale * outer[i]! * (x?.lrMax ?? 1));
  for (const shared of [false, true]) {
    const gpu = await runOn('webgpu', ADD_OUTER, inputs, attrs, shared);
    expectWithin(gpu, cpu, mag, `${label} shared ${shared}`);
    expectNonZeroIfExpected(gpu, cpu, label);
  }
}

async function checkSddmm(s: Csr, seed: number, opts: { slot: boolean; batch: number; rank1: boolean; rate: number }): Promise<void> {
  const slot = opts.slot ? permutation(s.nnz, seed + 1) : undefined;
  const a = events(opts.batch * s.nRows, opts.rate, false, seed + 3);
  const c = uniform(opts.batch * s.nCols, seed + 4);
  const inputs = {
    ptr: i32(s.ptr), idx: i32(s.idx), a: batched(a, opts.batch, s.nRows, opts.rank1), c: batched(c, opts.batch, s.nCols, opts.rank1),
    weights: f32(new Float32Array(s.nnz)), slot: slot && i32(slot),
  };
  const label = `Sddmm ${JSON.stringify(opts)}`;
  const cpu = await runOn('cpu', SDDMM, inputs);
  const gpu = await runOn('webgpu', SDDMM, inputs);
  expectWithin(gpu, cpu, magOuter(s, slot, a, c, opts.batch), label);
  expectNonZeroIfExpected(gpu, cpu, label);
}

const VARIANTS = [
  { slot: false, batch: 1, rank1: true },
  { slot: true, batch: 1, rank1: false },
  { slot: false, batch: 3, rank1: false },
  { slot: true, batch: 3, rank1: false },
];

export interface SuiteEnvironment {
  /** tfjs-core, with the cpu backend and (when available) the webgpu backend imported. */
  tf: typeof TF;
  /** Why there is no WebGPU here (every test then reports itself skipped with it), or null. */
  skipReason: string | null;
  /** Extra words for the error when the webgpu backend fails to start although expected. */
  startHint: string;
}

/** Defines the suite's describe blocks in the calling test file. */
export function defineWebgpuSuite(env: SuiteEnvironment): void {
  tf = env.tf;
  skipReason = env.skipReason;

  beforeAll(async () => {
    registerSparseKernels();
    if (skipReason !== null) return;
    if (!(await tf.setBackend('webgpu'))) throw new Error(`tfjs webgpu backend failed to start (${env.startHint})`);
  });

  afterAll(() => {
    setDispatchLimit(null);
  });

  describe('webgpu sparse kernels match the cpu kernels', () => {
    SHAPES.forEach((shape, si) => {
      const s = randomCsr(shape.nRows, shape.nCols, shape.p, 100 + si, shape.emptyEvery);
      gpuIt(`EventMatVec ${shape.label}`, async () => {
        for (const [vi, v] of VARIANTS.entries()) {
          await checkEventMatVec(s, si * 10 + vi, { ...v, binary: true, rate: 0.3 });
          await checkEventMatVec(s, si * 10 + vi, { ...v, binary: false, rate: 0.3 });
        }
        await checkEventMatVec(s, si, { slot: false, batch: 2, rank1: false, binary: true, rate: 1 }); // all active
        await checkEventMatVec(s, si, { slot: false, batch: 2, rank1: false, binary: true, rate: 0 }); // all silent
        await checkEventMatVec(s, si, { slot: false, batch: 2, rank1: false, binary: false, rate: 0.5, homogeneous: true });
      });
      gpuIt(`RowDot ${shape.label}`, async () => {
        for (const [vi, v] of VARIANTS.entries()) await checkRowDot(s, si * 10 + vi, v);
        await checkRowDot(s, si, { slot: false, batch: 2, rank1: false, homogeneous: true });
      });
      gpuIt(`OnRows ${shape.label}`, async () => {
        for (const slot of [false, true]) {
          for (const bounds of [false, true]) await checkOnRows(s, si + (slot ? 1 : 0), { slot, rate: 0.4, bounds });
        }
        await checkOnRows(s, si, { slot: true, rate: 1, bounds: true });
        await checkOnRows(s, si, { slot: false, rate: 0, bounds: true });
      });
      gpuIt(`OnRows with a per-synapse factor and per-row bounds ${shape.label}`, async () => {
        await checkOnRows(s, si, { slot: false, rate: 0.5, bounds: true, ex: { lr: true, rowBounds: false, byIdx: false } });
        await checkOnRows(s, si + 1, { slot: false, rate: 0.5, bounds: false, ex: { lr: false, rowBounds: true, byIdx: false } });
        await checkOnRows(s, si + 2, { slot: true, rate: 0.7, bounds: false, ex: { lr: true, rowBounds: true, byIdx: true } });
        await checkOnRows(s, si + 3, { slot: true, rate: 1, bounds: false, ex: { lr: true, rowBounds: true, byIdx: false } });
      });
      gpuIt(`AddOuter with a per-synapse factor and per-row bounds ${shape.label}`, async () => {
        await checkAddOuter(s, si, { slot: false, batch: 1, rank1: true, rate: 0.5, bounds: true, ex: { lr: true, rowBounds: false, byIdx: false } });
        await checkAddOuter(s, si + 1, { slot: true, batch: 3, rank1: false, rate: 0.5, bounds: false, ex: { lr: true, rowBounds: true, byIdx: false } });
        await checkAddOuter(s, si + 2, { slot: false, batch: 2, rank1: false, rate: 1, bounds: false, ex: { lr: false, rowBounds: true, byIdx: false } });
      });
      gpuIt(`AddOuter ${shape.label}`, async () => {
        for (const [vi, v] of VARIANTS.entries()) {
          await checkAddOuter(s, si * 10 + vi, { ...v, rate: 0.4, bounds: vi % 2 === 0 });
        }
        await checkAddOuter(s, si, { slot: false, batch: 2, rank1: false, rate: 1, bounds: true });
        await checkAddOuter(s, si, { slot: true, batch: 2, rank1: false, rate: 0, bounds: true });
      });
      gpuIt(`Sddmm ${shape.label}`, async () => {
        for (const [vi, v] of VARIANTS.entries()) await checkSddmm(s, si * 10 + vi, { ...v, rate: 0.5 });
      });
    });
  });

  describe('webgpu dispatch folding (no grid dimension above the limit)', () => {
    // A lowered per-dimension cap exercises the 2-D and 3-D folded grids on small shapes.
    for (const limit of [3, 4]) {
      gpuIt(`every kernel with at most ${limit} workgroups per dimension`, async () => {
        setDispatchLimit(limit);
        try {
          // 150 rows, lanes 2: EventMatVec 3·150·2 invocations = 15 workgroups → [3, 3, 2] or [4, 4, 1];
          // RowDot 3·150 = 8 workgroups → [3, 3, 1] or [4, 2, 1].
          const s = randomCsr(150, 40, 0.05, 7, 5);
          await checkEventMatVec(s, 1, { slot: true, batch: 3, rank1: false, binary: false, rate: 0.5 });
          await checkRowDot(s, 2, { slot: false, batch: 3, rank1: false });
          await checkOnRows(s, 3, { slot: true, rate: 0.5, bounds: true });
          await checkAddOuter(s, 4, { slot: false, batch: 2, rank1: false, rate: 0.5, bounds: false });
          await checkSddmm(s, 5, { slot: true, batch: 2, rank1: false, rate: 0.5 });
        } finally {
          setDispatchLimit(null);
        }
      });
    }

    // The device limit itself (65535 on SwiftShader): RowDot runs one invocation per output, so
    // batch · nRows outputs need batch · nRows / 64 workgroups.
    for (const [label, nRows] of [['just below', 65535], ['just above', 65537]] as const) {
      gpuIt(`RowDot ${label} 65535 workgroups (64 × ${nRows} outputs)`, async () => {
        const s = randomCsr(nRows, 4, 0.3, 11);
        await checkRowDot(s, 3, { slot: false, batch: 64, rank1: false });
      });
    }
  });

  describe('webgpu event dtypes', () => {
    gpuIt('bool and int32 spike tensors give the float32 result (active iff != 0)', async () => {
      const s = randomCsr(30, 20, 0.2, 21);
      const w = uniform(s.nnz, 22);
      const ev = events(2 * s.nRows, 0.4, true, 23);
      const expected = await runOn('cpu', EVENT_MATVEC, { ptr: i32(s.ptr), idx: i32(s.idx), weights: f32(w), events: f32(ev, [2, s.nRows]) }, { nCols: s.nCols, mode: 'binary' });
      expect(expected.values.some((v) => v !== 0)).toBe(true);
      await tf.setBackend('webgpu');
      const before = tf.memory().numTensors;
      const ptr = tf.tensor1d(s.ptr, 'int32');
      const idx = tf.tensor1d(s.idx, 'int32');
      const weights = tf.tensor1d(w);
      for (const dtype of ['bool', 'int32'] as const) {
        const spikes = tf.tensor2d(Int32Array.from(ev), [2, s.nRows], dtype);
        const out = tf.engine().runKernel(EVENT_MATVEC, { ptr, idx, weights, events: spikes }, { nCols: s.nCols, mode: 'binary' }) as TF.Tensor;
        const mag = magEventMatVec(s, w, undefined, ev, 2, true);
        expectWithin({ values: (await out.data()) as Float32Array, shape: out.shape }, expected, mag, `EventMatVec ${dtype} events`);
        // OnRows with an int/bool active vector as well.
        const active = tf.tensor1d(Int32Array.from(ev.subarray(0, s.nRows)), dtype);
        const values = tf.tensor1d(uniform(s.nCols, 24));
        const own = tf.tensor1d(w); // updated in place: its own buffer
        const updated = tf.engine().runKernel(ON_ROWS, { ptr, idx, weights: own, active, values }, { wMin: -Infinity, wMax: Infinity }) as TF.Tensor;
        const got = await updated.data();
        const vals = await values.data();
        const rows = ev.subarray(0, s.nRows);
        for (let r = 0; r < s.nRows; r++) {
          for (let k = s.ptr[r]!; k < s.ptr[r + 1]!; k++) {
            const want = rows[r] !== 0 ? w[k]! + vals[s.idx[k]!]! : w[k]!;
            expect(Math.abs(got[k]! - want)).toBeLessThanOrEqual(TOL * 2);
          }
        }
        tf.dispose([spikes, out, active, values, own, updated]);
      }
      tf.dispose([ptr, idx, weights]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });

  describe('webgpu updates under a gradient tape', () => {
    /** grad of Σ r ⊙ EventMatVec(x, w) wrt w while an OnRows update of w runs inside the taped function. */
    async function gradWithUpdate(backend: 'cpu' | 'webgpu'): Promise<{ grad: Float32Array; weights: Float32Array }> {
      await tf.setBackend(backend);
      const { registerEventMatVecGradient } = await import('../index.js');
      await import('@tensorflow/tfjs-core/dist/register_all_gradients');
      registerEventMatVecGradient();
      const s = randomCsr(12, 9, 0.4, 31);
      const ptr = tf.tensor1d(s.ptr, 'int32');
      const idx = tf.tensor1d(s.idx, 'int32');
      const slot = tf.tensor1d(Int32Array.from({ length: s.nnz }, (_, k) => k), 'int32');
      const x = tf.tensor1d(uniform(12, 32));
      const r = tf.tensor1d(uniform(9, 33));
      const active = tf.ones([12]);
      const values = tf.fill([9], 0.25);
      const w = tf.tensor1d(uniform(s.nnz, 34));
      let updatedId: unknown;
      const grad = tf.grad((ww: TF.Tensor) => {
        const y = tf.engine().runKernel(EVENT_MATVEC, { ptr, idx, slot, weights: ww, events: x }, { nCols: 9, mode: 'float' }) as TF.Tensor;
        // The tape saved ww (a clone sharing its buffer): this update must not write that buffer.
        const updated = tf.engine().runKernel(ON_ROWS, { ptr, idx, weights: ww, active, values }, { wMin: -Infinity, wMax: Infinity }) as TF.Tensor;
        updatedId = updated.dataId;
        return tf.sum(tf.mul(y, r));
      })(w);
      if (backend === 'webgpu') expect(updatedId).not.toBe(w.dataId);
      const out = { grad: Float32Array.from(await grad.data()), weights: Float32Array.from(await w.data()) };
      tf.dispose([ptr, idx, slot, x, r, active, values, w, grad]);
      return out;
    }

    gpuIt('an update inside tf.grad leaves the weights the tape saved unchanged', async () => {
      const cpu = await gradWithUpdate('cpu');
      const gpu = await gradWithUpdate('webgpu');
      expect(Array.from(gpu.weights)).toEqual(Array.from(cpu.weights));
      expect(gpu.grad.some((v) => v !== 0)).toBe(true);
      for (let k = 0; k < cpu.grad.length; k++) expect(Math.abs(gpu.grad[k]! - cpu.grad[k]!)).toBeLessThanOrEqual(TOL * 10);
    });
  });

  describe('webgpu kernel errors', () => {
    gpuIt('homogeneous weights are rejected by plastic updates', async () => {
      await tf.setBackend('webgpu');
      const ptr = tf.tensor1d([0, 2], 'int32');
      const idx = tf.tensor1d([0, 1], 'int32');
      const weights = tf.tensor1d([0.5]);
      const active = tf.tensor1d([1]);
      const values = tf.tensor1d([1, 1]);
      const before = tf.memory().numTensors;
      expect(() => tf.engine().runKernel(ON_ROWS, { ptr, idx, weights, active, values }, { wMin: -Infinity, wMax: Infinity }))
        .toThrow(/homogeneous/);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([ptr, idx, weights, active, values]);
    });

    gpuIt('a float32 ptr is rejected (the shader would read its bits as integers)', async () => {
      await tf.setBackend('webgpu');
      const ptr = tf.tensor1d([0, 1]);
      const idx = tf.tensor1d([0], 'int32');
      const weights = tf.tensor1d([0.5]);
      const v = tf.tensor1d([1]);
      expect(() => tf.engine().runKernel(ROW_DOT, { ptr, idx, weights, v }, {})).toThrow(/int32/);
      tf.dispose([ptr, idx, weights, v]);
    });
  });

  describe('connections on webgpu match cpu (public API, gradients included)', () => {
    /** One scripted session of a connection: propagation, updates through both views, gradients. */
    async function session(backend: 'cpu' | 'webgpu', format: 'csr' | 'coo'): Promise<Float32Array[]> {
      await tf.setBackend(backend);
      const { CSRConnection, COOConnection, registerEventMatVecGradient } = await import('../index.js');
      await import('@tensorflow/tfjs-core/dist/register_all_gradients');
      registerEventMatVecGradient();
      const before = tf.memory().numTensors;
      const opts = { nPre: 40, nPost: 30, p: 0.2, seed: 5 };
      const conn = format === 'csr' ? CSRConnection.random(opts) : COOConnection.random(opts);
      const variable = conn.makeTrainable(); // every update below writes into this variable
      conn.setWeights(uniform(conn.nnz, 6, 0, 1));
      const spikes = tf.tensor2d(events(3 * 40, 0.3, true, 7), [3, 40]);
      const x = tf.tensor1d(uniform(40, 8));
      const v = tf.tensor2d(uniform(2 * 30, 9), [2, 30]);
      const results: Float32Array[] = [];
      const read = async (t: TF.Tensor): Promise<void> => {
        results.push(Float32Array.from(await t.data()));
        t.dispose();
      };
      await read(conn.propagate(spikes));
      await read(conn.vecMat(x));
      await read(conn.matVec(v));
      conn.onPre(events(40, 0.5, true, 10), uniform(30, 11, -0.2, 0.2), { wMin: 0, wMax: 1 });
      conn.onPost(uniform(40, 12, -0.2, 0.2), events(30, 0.5, true, 13), { wMin: 0, wMax: 1 });
      // Event lists (made dense for the webgpu kernels); propagateInto needs a synchronous host
      // backend; host values with NaN are refused before any weight changes.
      const list = { indices: Int32Array.of(1, 4, 9, 22, 39), values: Float32Array.of(0.5, 1, 0, -2, 1) };
      await read(conn.propagate(list, { mode: 'float' }));
      conn.onPre(list, uniform(30, 16, -0.2, 0.2), { wMin: 0, wMax: 1 });
      conn.onPost(uniform(40, 17, -0.2, 0.2), { indices: Int32Array.of(0, 7, 29) }, { wMin: 0, wMax: 1 });
      const nan = uniform(30, 18);
      nan[3] = NaN;
      expect(() => conn.onPre(list, nan)).toThrow(/postValues must contain only finite numbers, got NaN at index 3/);
      if (backend === 'webgpu') expect(() => conn.propagateInto(list, new Float32Array(30))).toThrow(/cpu and wasm backends/);
      const a = tf.tensor2d(events(2 * 40, 0.5, false, 14), [2, 40]);
      conn.addOuter(a, v, 0.1);
      results.push(await conn.getWeights());
      // A per-synapse factor (every 3rd synapse masked) and per-row bounds, through both views. The
      // weights are read between the updates: tfjs caches values on the host after a read, and an
      // update in place must drop that copy (this once returned the first read's values again).
      const lr = uniform(conn.nnz, 19, 0, 2).map((q, k) => (k % 3 === 0 ? 0 : q));
      const lo = uniform(40, 20, 0, 0.2);
      const hi = uniform(40, 21, 0.7, 1);
      conn.onPre(events(40, 0.6, true, 22), uniform(30, 23, -0.3, 0.3), { wMin: lo, wMax: hi }, { lr });
      results.push(await conn.getWeights());
      conn.onPost(uniform(40, 24, -0.3, 0.3), events(30, 0.6, true, 25), { wMin: 0, wMax: hi }, { lr });
      results.push(await conn.getWeights());
      conn.addOuter(a, v, 0.2, { wMin: lo }, { lr });
      results.push(await conn.getWeights());
      expect(conn.variable).toBe(variable);
      // d/dx and d/dW of Σ r ⊙ (x @ W)
      const r = tf.tensor1d(uniform(30, 15));
      const w = tf.tensor1d(await conn.getWeights());
      const f = (xx: TF.Tensor, ww: TF.Tensor): TF.Scalar => tf.sum(tf.mul(conn.propagate(xx, { mode: 'float', weights: ww as TF.Tensor1D }), r));
      const [gx, gw] = tf.grads(f)([x, w]);
      await read(gx!);
      await read(gw!);
      tf.dispose([spikes, x, v, a, r, w]);
      conn.dispose();
      expect(tf.memory().numTensors, `${backend} ${format}: tensors leaked`).toBe(before);
      return results;
    }

    for (const format of ['csr', 'coo'] as const) {
      gpuIt(`${format}: propagate, vecMat, matVec, onPre, onPost (event lists too), addOuter, gradients`, async () => {
        const cpu = await session('cpu', format);
        const gpu = await session('webgpu', format);
        expect(gpu.length).toBe(cpu.length);
        cpu.forEach((want, i) => {
          const got = gpu[i]!;
          expect(got.length).toBe(want.length);
          if (want.some((a) => a !== 0)) expect(got.some((a) => a !== 0), `result ${i} all zeros`).toBe(true);
          // Magnitudes here are O(1) to O(10): a plain tolerance of 1e-4 absolute, 1e-4 relative.
          for (let j = 0; j < want.length; j++) {
            expect(Math.abs(got[j]! - want[j]!), `result ${i}[${j}]`).toBeLessThanOrEqual(1e-4 + 1e-4 * Math.abs(want[j]!));
          }
        });
      });
    }
  });
}
