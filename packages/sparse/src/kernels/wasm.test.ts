import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, type Rng } from '@plasticity/core';
import { useBackend } from '@plasticity/testing/backends';
import { checkBinary, compileKernels, OUTPUT, renderModule } from '../../assembly/build.mjs';
import { registerCpuKernels } from './cpu.js';
import { ADD_OUTER, EVENT_MATVEC, ON_ROWS, ROW_DOT, SDDMM } from './names.js';
import { registerWasmKernels } from './wasm.js';
import { instantiate, kernelsFor, setKernelModuleEnabled, type WasmBackend } from './wasm-module.js';

type Arr = Float32Array | Int32Array | Uint8Array;
type In = { data: Arr; shape: number[]; dtype: 'float32' | 'int32' | 'bool' };

interface Structure {
  nRows: number;
  nCols: number;
  ptr: Int32Array;
  idx: Int32Array;
  slot: Int32Array | null;
}

const f32 = (data: Float32Array, shape: number[]): In => ({ data, shape, dtype: 'float32' });
const i32 = (data: Int32Array, shape: number[] = [data.length]): In => ({ data, shape, dtype: 'int32' });

/** Random CSR-shaped structure: row r has Binomial-ish many distinct columns; some rows empty. */
function structure(rng: Rng, nRows: number, nCols: number, p: number, withSlot: boolean): Structure {
  const ptr = new Int32Array(nRows + 1);
  const idx: number[] = [];
  for (let r = 0; r < nRows; r++) {
    const empty = rng.random() < 0.2;
    for (let j = 0; j < nCols; j++) if (!empty && rng.random() < p) idx.push(j);
    ptr[r + 1] = idx.length;
  }
  const nnz = idx.length;
  return { nRows, nCols, ptr, idx: Int32Array.from(idx), slot: withSlot ? rng.permutation(nnz) : null };
}

function events(rng: Rng, n: number, rate: number, dtype: 'float32' | 'int32' | 'bool', float = false): Arr {
  const out = dtype === 'float32' ? new Float32Array(n) : dtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.random() < rate) out[i] = float && dtype === 'float32' ? Math.fround(rng.random() * 2 - 0.5) : dtype === 'int32' && float ? 3 : 1;
  }
  if (dtype === 'float32' && n > 2) out[1] = -0; // -0 is inactive
  return out;
}

/** Runs a kernel on `backend` and returns the output's bits plus the post-call weights' bits. */
async function run(backend: 'cpu' | 'wasm', kernel: string, inputs: Record<string, In>, attrs: object) {
  await useBackend(backend);
  const before = tf.memory().numTensors;
  const dataIds = tf.engine().backend.numDataIds();
  const ts: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(inputs)) ts[k] = tf.tensor(v.data.slice(), v.shape, v.dtype);
  const out = tf.engine().runKernel(kernel, ts as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor;
  const result = new Uint32Array((await out.data<'float32'>()).slice().buffer);
  const inPlace = ts.weights !== undefined && out.dataId === ts.weights.dataId;
  for (const t of Object.values(ts)) t.dispose();
  out.dispose();
  expect(tf.memory().numTensors, 'numTensors').toBe(before);
  expect(tf.engine().backend.numDataIds(), 'numDataIds').toBe(dataIds);
  return { result, inPlace, shape: out.shape };
}

async function same(kernel: string, inputs: Record<string, In>, attrs: object, inPlace = false) {
  const cpu = await run('cpu', kernel, inputs, attrs);
  const wasm = await run('wasm', kernel, inputs, attrs);
  expect(wasm.shape).toEqual(cpu.shape);
  expect(wasm.result.length).toBe(cpu.result.length);
  const firstBad = wasm.result.findIndex((x, i) => x !== cpu.result[i]);
  expect(firstBad, `first differing element (wasm vs cpu) of ${kernel}`).toBe(-1);
  if (inPlace) expect(wasm.inPlace, 'wasm update in place').toBe(true);
}

function structInputs(s: Structure): Record<string, In> {
  const o: Record<string, In> = { ptr: i32(s.ptr), idx: i32(s.idx) };
  if (s.slot) o.slot = i32(s.slot);
  return o;
}

const SHAPES: Array<[number, number, number]> = [
  [37, 53, 0.2], [20, 100, 0.1], [100, 50, 0.05], [1, 1, 1], [9, 7, 0], [64, 64, 1],
];

describe.each([true, false])('wasm kernels == cpu kernels bit for bit (SIMD module: %s)', (simd) => {
  beforeAll(async () => {
    registerCpuKernels();
    registerWasmKernels();
    setKernelModuleEnabled(simd);
    await useBackend('wasm');
    if (simd) expect(kernelsFor(tf.backend() as unknown as WasmBackend), 'SIMD module instantiated').not.toBeNull();
  });
  afterAll(async () => {
    setKernelModuleEnabled(true);
    await useBackend('cpu');
  });

  it.each(SHAPES)('%i x %i, p=%f', async (nRows, nCols, p) => {
    const rng = createRng(nRows * 1000 + nCols);
    for (const withSlot of [false, true]) {
      const s = structure(rng, nRows, nCols, p, withSlot);
      const nnz = s.idx.length;
      const w = rng.uniform(nnz, 0, 0.5);
      const base = structInputs(s);
      for (const batch of [1, 3]) {
        for (const rate of [0.3, 1]) {
          for (const dtype of ['float32', 'int32', 'bool'] as const) {
            const shape = batch === 1 && dtype === 'int32' ? [nRows] : [batch, nRows];
            for (const mode of ['binary', 'float'] as const) {
              const ev = { data: events(rng, batch * nRows, rate, dtype, mode === 'float'), shape, dtype };
              await same(EVENT_MATVEC, { ...base, weights: f32(w, [nnz]), events: ev }, { nCols, mode });
              await same(EVENT_MATVEC, { ...base, weights: f32(Float32Array.of(0.3), [1]), events: ev }, { nCols, mode });
            }
          }
          const v = rng.uniform(batch * nCols, -1, 1);
          const vShape = batch === 1 ? [nCols] : [batch, nCols];
          await same(ROW_DOT, { ...base, weights: f32(w, [nnz]), v: f32(v, vShape) }, {});
          await same(ROW_DOT, { ...base, weights: f32(Float32Array.of(0.7), [1]), v: f32(v, vShape) }, {});
          const a = events(rng, batch * nRows, rate, 'float32', true) as Float32Array;
          const c = rng.uniform(batch * nCols, -1, 1);
          const ac = { a: f32(a, [batch, nRows]), c: f32(c, [batch, nCols]) };
          for (const [wMin, wMax] of [[-Infinity, Infinity], [0, 0.5], [0.1, 0.30000001]]) {
            await same(ADD_OUTER, { ...base, weights: f32(w, [nnz]), ...ac }, { scale: 0.37, wMin, wMax }, true);
          }
          await same(SDDMM, { ...base, weights: f32(w, [nnz]), ...ac }, {});
        }
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          const active = { data: events(rng, nRows, 0.4, dtype), shape: [nRows], dtype };
          const values = f32(rng.uniform(nCols, -0.3, 0.3), [nCols]);
          for (const [wMin, wMax] of [[-Infinity, Infinity], [0, 0.5], [0.1, 0.30000001], [-Infinity, 0.2]]) {
            await same(ON_ROWS, { ...base, weights: f32(w, [nnz]), active, values }, { wMin, wMax }, true);
          }
        }
      }
    }
  });

  it('clips signed zeros and bound-equal values as the cpu does', async () => {
    // 9 slots in one row (SIMD body + scalar tail), and the same through a slot permutation
    const ptr = Int32Array.of(0, 9);
    const idx = Int32Array.from({ length: 9 }, (_, k) => k);
    const w = Float32Array.of(-0, 0, -0, 1, 0.25, -0, 0.5, 1, -0);
    const values = f32(Float32Array.of(-0, -0, 0, 0.5, -0.25, -0, -1, 0, -0), [9]);
    const active = f32(Float32Array.of(1), [1]);
    for (const slot of [null, Int32Array.of(8, 0, 7, 1, 6, 2, 5, 3, 4)]) {
      const base = structInputs({ nRows: 1, nCols: 9, ptr, idx, slot });
      for (const [wMin, wMax] of [[0, 1], [-0, 0], [0, 0], [-Infinity, 0], [0.25, Infinity]]) {
        await same(ON_ROWS, { ...base, weights: f32(w, [9]), active, values }, { wMin, wMax }, true);
        await same(ADD_OUTER, { ...base, weights: f32(w, [9]), a: f32(Float32Array.of(-0.5), [1, 1]), c: values }, { scale: 1, wMin, wMax }, true);
      }
    }
  });

  it('takes int32 and bool value operands (reference path on the heap)', async () => {
    const rng = createRng(21);
    const s = structure(rng, 12, 9, 0.4, false);
    const nnz = s.idx.length;
    const base = structInputs(s);
    const w = f32(rng.uniform(nnz, 0, 0.5), [nnz]);
    const ints = (n: number) => i32(rng.integers(n, -2, 3), [n]);
    await same(ROW_DOT, { ...base, weights: w, v: ints(9) }, {});
    await same(ON_ROWS, { ...base, weights: w, active: ints(12), values: ints(9) }, { wMin: -1, wMax: 1 }, true);
    await same(ADD_OUTER, { ...base, weights: w, a: { data: rng.bernoulli(24, 0.5), shape: [2, 12], dtype: 'bool' }, c: i32(rng.integers(18, -2, 3), [2, 9]) },
      { scale: 0.5, wMin: 0, wMax: 1 }, true);
    await same(SDDMM, { ...base, weights: w, a: i32(rng.integers(12, -2, 3), [1, 12]), c: f32(rng.uniform(9, -1, 1), [1, 9]) }, {});
  });

  it('stays correct when its scratch list grows the wasm heap', async () => {
    // 4e6 rows: the active-index list (16 MB) is allocated inside the kernel call
    const nRows = 4_000_000;
    const ptr = new Int32Array(nRows + 1);
    const idx = Int32Array.of(0, 2, 1);
    ptr.fill(3, nRows - 1);
    ptr[nRows - 1] = 0;
    const base = structInputs({ nRows, nCols: 3, ptr, idx, slot: null });
    const ev = new Uint8Array(nRows);
    ev[nRows - 1] = 1;
    ev[7] = 1;
    await same(EVENT_MATVEC, { ...base, weights: f32(Float32Array.of(0.5, 0.25, 2), [3]), events: { data: ev, shape: [nRows], dtype: 'bool' } },
      { nCols: 3, mode: 'binary' });
  });

  it('updates a copy when another tensor shares the weights buffer', async () => {
    await useBackend('wasm');
    const s = structure(createRng(3), 10, 12, 0.5, false);
    const w = tf.tensor1d(createRng(4).uniform(s.idx.length, 0, 0.5));
    const shared = tf.reshape(w, [s.idx.length]); // shares the buffer (refCount 2)
    const before = await shared.data();
    const ptr = tf.tensor1d(s.ptr, 'int32');
    const idx = tf.tensor1d(s.idx, 'int32');
    const active = tf.ones([10]);
    const values = tf.fill([12], 0.25);
    const out = tf.engine().runKernel(ON_ROWS, { ptr, idx, weights: w, active, values }, { wMin: 0, wMax: 1 }) as tf.Tensor;
    expect(out.dataId).not.toBe(w.dataId);
    expect(Array.from(await shared.data())).toEqual(Array.from(before));
    expect((await out.data())[0]).toBe(Math.fround(before[0]! + 0.25));
    tf.dispose([w, shared, ptr, idx, active, values, out]);
  });
});

describe('the kernel module binary', () => {
  it('is the committed wasm-binary.ts, has no data section and fits synchronous compilation', async () => {
    const bytes = await compileKernels();
    const sharedBytes = await compileKernels(true);
    expect(checkBinary(bytes)).toEqual([]);
    expect(checkBinary(sharedBytes)).toEqual([]);
    expect(renderModule(bytes, sharedBytes), 'run `pnpm --filter @plasticity/sparse build:wasm` and commit').toBe(await readFile(OUTPUT, 'utf8'));
  });

  it('runs on a shared memory (tfjs threaded build) exactly as on a plain one', () => {
    const rng = createRng(11);
    const s = structure(rng, 50, 40, 0.2, true);
    const nnz = s.idx.length;
    const run = (memory: WebAssembly.Memory) => {
      const k = instantiate(memory)!;
      expect(k, `instantiated on a ${memory.buffer.constructor.name} memory`).not.toBeNull();
      const u8 = new Uint8Array(memory.buffer);
      let top = 64;
      const put = (a: Arr) => {
        const off = top;
        u8.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), off);
        top += (a.byteLength + 15) & ~15;
        return off;
      };
      const r = createRng(12);
      const ptr = put(s.ptr), idx = put(s.idx), slot = put(s.slot!), w = put(r.uniform(nnz, 0, 0.5));
      const active = put(r.bernoulli(50, 0.5)), vals = put(r.uniform(40, -0.3, 0.3));
      const list = put(new Int32Array(51)), out = put(new Float32Array(40));
      const n = k.activeList(active, 50, 2, list);
      k.onRows(ptr, idx, 0, w, list, n, vals, 0, 0.45);
      k.onRows(ptr, idx, slot, w, list, n, vals, 0.05, 1);
      k.matvec(ptr, idx, 0, w, 0, list, n, active, -1, out);
      return u8.slice(0, top);
    };
    const plain = run(new WebAssembly.Memory({ initial: 1 }));
    const shared = run(new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }));
    expect(shared).toEqual(plain);
  });

  it('lists active elements of every kind and length as the != 0 test does', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = instantiate(memory)!;
    const listOf = (data: Arr, kind: number): number[] => {
      const at = 64;
      const list = at + ((data.byteLength + 15) & ~15);
      new Uint8Array(memory.buffer).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), at);
      return [...new Int32Array(memory.buffer, list, k.activeList(at, data.length, kind, list))];
    };
    const rng = createRng(5);
    // -0 (inactive as float32), NaN and denormals of both signs, negative and minimum int32
    const specials = [1, -0, Number.NaN, -1, 1e-45, -1e-45, 2, -2147483648];
    for (const n of [0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 200, 1000]) {
      for (const rate of [0, 0.05, 0.5, 1]) {
        const values = Array.from({ length: n }, () => (rng.random() < rate ? specials[rng.integers(1, 0, specials.length)[0]!]! : -0));
        const kinds: Array<[number, Arr]> = [
          [0, Float32Array.from(values)],
          [1, Int32Array.from(values, (v) => (Number.isNaN(v) ? 7 : v))],
          [2, Uint8Array.from(values, (v) => (Object.is(v, -0) ? 0 : v === 1 ? 1 : 255))],
        ];
        for (const [kind, data] of kinds) {
          const expected = [...data].flatMap((v, i) => (v !== 0 ? [i] : []));
          expect({ kind, n, rate, list: listOf(data, kind) }).toEqual({ kind, n, rate, list: expected });
        }
      }
    }
  });

  it('rejects a binary with a data segment', () => {
    // (module (import "env" "memory" (memory 0)) (data (i32.const 0) "x"))
    const bytes = Uint8Array.from([
      0, 97, 115, 109, 1, 0, 0, 0,
      2, 15, 1, 3, 101, 110, 118, 6, 109, 101, 109, 111, 114, 121, 2, 0, 0,
      11, 7, 1, 0, 65, 0, 11, 1, 120,
    ]);
    expect(new WebAssembly.Module(bytes)).toBeInstanceOf(WebAssembly.Module);
    expect(checkBinary(bytes)).toContain('has a data section');
  });
});
