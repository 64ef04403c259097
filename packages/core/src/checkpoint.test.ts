import * as tf from '@tensorflow/tfjs-core';
import { expectNoLeaks } from '@plasticity/testing';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  crc32, createRegistry, createRng, defineRule, isPlasticityError, loadCheckpoint, saveCheckpoint, toConfig, type Checkpoint,
} from './index.js';

const rule = defineRule({
  name: 'test/rule',
  defaults: { rate: 0.1, tauMs: 20 },
  validate: (p) => (p.tauMs > 0 ? [] : ['tauMs must be > 0']),
  init: () => ({}),
  step: (_io, s) => s,
});
const registry = createRegistry([rule]);

async function sample(): Promise<Uint8Array> {
  const rng = createRng(9);
  rng.uniform(5);
  const w = tf.tensor2d([[0.5, -1], [2, 3.25]]);
  const bytes = await saveCheckpoint({
    arrays: {
      weights: w,
      indptr: Int32Array.from([0, 2, 3]),
      trace: { data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] },
      spikes: Uint8Array.from([0, 1, 1]),
      time: Float64Array.from([Math.PI]),
      counts: Uint32Array.from([4294967295]),
      small: Int16Array.from([-7]),
      empty: new Float32Array(0),
    },
    configs: { plasticity: toConfig(rule, { rate: 0.5 }) },
    data: { step: 1234, rng: rng.getState() as never, note: 'ünïcode' },
  });
  w.dispose();
  return bytes;
}

/** Rewrites the manifest JSON and fixes the checksum, as a hand-edit with a tool would. */
function editManifest(bytes: Uint8Array, edit: (m: any) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(12, true);
  const manifest = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + length)));
  edit(manifest);
  const text = new TextEncoder().encode(JSON.stringify(manifest));
  const oldBlob = Math.ceil((16 + length) / 8) * 8;
  const newBlob = Math.ceil((16 + text.length) / 8) * 8;
  const blob = bytes.subarray(oldBlob, bytes.length - 4);
  const out = new Uint8Array(newBlob + blob.length + 4);
  out.set(bytes.subarray(0, 12));
  new DataView(out.buffer).setUint32(12, text.length, true);
  out.set(text, 16);
  out.set(blob, newBlob);
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

function checkpointError(fn: () => Checkpoint): string {
  try {
    fn();
  } catch (error) {
    if (isPlasticityError(error, 'E_CHECKPOINT')) return error.message;
    throw error;
  }
  throw new Error('expected E_CHECKPOINT');
}

describe('checkpoints', () => {
  it('round-trip arrays of every dtype, tensors, plugin configs and JSON data bit for bit', async () => {
    const bytes = await expectNoLeaks(sample);
    const loaded = loadCheckpoint(bytes, registry);
    expect(loaded.version).toBe(1);
    expect(loaded.arrays.weights).toEqual({ dtype: 'float32', shape: [2, 2], data: Float32Array.from([0.5, -1, 2, 3.25]) });
    expect(loaded.arrays.indptr!.data).toEqual(Int32Array.from([0, 2, 3]));
    expect(loaded.arrays.trace!.shape).toEqual([2, 3]);
    expect(loaded.arrays.spikes!.data).toEqual(Uint8Array.from([0, 1, 1]));
    expect(loaded.arrays.time!.data[0]).toBe(Math.PI);
    expect(loaded.arrays.counts!.data[0]).toBe(4294967295);
    expect(loaded.arrays.small!.data[0]).toBe(-7);
    expect(loaded.arrays.empty!.data.length).toBe(0);
    expect(loaded.configs.plasticity!.plugin).toBe(rule);
    expect(loaded.configs.plasticity!.params).toEqual({ rate: 0.5, tauMs: 20 });
    expect(loaded.data).toMatchObject({ step: 1234, note: 'ünïcode' });
    // The saved RNG state continues the stream exactly.
    const rng = createRng(9);
    rng.uniform(5);
    const restored = createRng(0);
    restored.setState((loaded.data as any).rng);
    expect(restored.uniform(8)).toEqual(rng.uniform(8));
    // Saving what was loaded gives the same bytes.
    const again = await saveCheckpoint({ arrays: loaded.arrays as never, configs: loaded.rawConfigs, data: loaded.data });
    expect(again).toEqual(bytes);
  });

  it('returns copies: mutating loaded arrays leaves the file untouched', async () => {
    const bytes = await sample();
    const copy = bytes.slice();
    const a = loadCheckpoint(bytes, registry);
    (a.arrays.weights!.data as Float32Array)[0] = 99;
    expect(bytes).toEqual(copy);
    expect(loadCheckpoint(bytes, registry).arrays.weights!.data[0]).toBe(0.5);
  });

  it('rejects truncated files at every length', async () => {
    const bytes = await sample();
    for (const cut of [0, 5, 15, 16, 40, Math.floor(bytes.length / 2), bytes.length - 5, bytes.length - 1]) {
      expect(checkpointError(() => loadCheckpoint(bytes.subarray(0, cut), registry))).toMatch(/too short|truncated|checksum/);
    }
  });

  it('rejects any flipped byte through the checksum', async () => {
    const bytes = await sample();
    for (const position of [9, 20, Math.floor(bytes.length * 0.6), bytes.length - 10]) {
      const corrupt = bytes.slice();
      corrupt[position]! ^= 0x10;
      expect(checkpointError(() => loadCheckpoint(corrupt, registry))).toMatch(/checksum|version|truncated/);
    }
  });

  it('rejects bad magic, other versions and non-bytes', async () => {
    const bytes = await sample();
    const magic = bytes.slice();
    magic[0] = 0x58;
    expect(checkpointError(() => loadCheckpoint(magic, registry))).toContain('bad magic');
    const version = bytes.slice();
    new DataView(version.buffer).setUint32(8, 2, true);
    expect(checkpointError(() => loadCheckpoint(version, registry))).toContain('format version 2 is not supported');
    expect(checkpointError(() => loadCheckpoint([1, 2] as never, registry))).toContain('must be a Uint8Array or an ArrayBuffer');
  });

  it('rejects hand-edited manifests even with a fixed checksum', async () => {
    const bytes = await sample();
    const cases: [(m: any) => void, RegExp][] = [
      [(m) => { m.arrays[0].offset = 1e9; }, /does not fit/],
      [(m) => { m.arrays[0].offset = 4; }, /does not fit/],
      [(m) => { m.arrays[0].shape = [3, 3]; }, /does not fit/],
      [(m) => { m.arrays[0].shape = [-1]; }, /invalid shape/],
      [(m) => { m.arrays[0].dtype = 'complex64'; }, /unknown dtype/],
      [(m) => { m.arrays[1].name = m.arrays[0].name; }, /missing or repeated/],
      [(m) => { m.version = 7; }, /does not match header/],
      [(m) => { m.format = 'other'; }, /not a plasticity checkpoint manifest/],
      [(m) => { m.arrays = {}; }, /must be a list/],
      [(m) => { m.configs.plasticity.params.tauMs = -1; }, /config 'plasticity' is invalid.*tauMs must be > 0/],
      [(m) => { m.configs.plasticity.name = 'evil/rule'; }, /unknown plugin 'evil\/rule'/],
      [(m) => { m.configs.plasticity.params.rate = 'x'; }, /rate must be a number/],
    ];
    for (const [edit, message] of cases) {
      expect(checkpointError(() => loadCheckpoint(editManifest(bytes, edit), registry))).toMatch(message);
    }
    expect(loadCheckpoint(editManifest(bytes, () => {}), registry).arrays.weights!.data[1]).toBe(-1);
  });

  it('refuses unsaveable input before writing anything', async () => {
    const disposed = tf.scalar(1);
    disposed.dispose();
    await expect(saveCheckpoint({ arrays: { x: disposed } })).rejects.toThrow(/disposed tensor/);
    await expect(saveCheckpoint({ arrays: { x: [1, 2] as never } })).rejects.toThrow(/must be a typed array/);
    await expect(saveCheckpoint({ arrays: { x: { data: new Float32Array(3), shape: [2] } } })).rejects.toThrow(/does not match/);
    await expect(saveCheckpoint({ data: { f: NaN } })).rejects.toThrow(/data must be JSON/);
    await expect(saveCheckpoint({ arrays: { x: tf.complex([1], [1]) } })).rejects.toThrow(/complex64/);
  });

  it('reads a file from disk (Node Buffer), Uint8Array views at any offset and ArrayBuffers', async () => {
    const bytes = await sample();
    const dir = mkdtempSync(join(tmpdir(), 'plasticity-ckpt-'));
    try {
      const file = join(dir, 'run.ckpt');
      writeFileSync(file, bytes);
      // readFileSync returns a small Buffer: a view into Node's shared pool, not a buffer of its own.
      const fromDisk = readFileSync(file);
      const weights = [0.5, -1, 2, 3.25];
      const views: [string, Uint8Array | ArrayBuffer][] = [['Buffer', fromDisk], ['ArrayBuffer', bytes.slice().buffer]];
      // A view at an odd offset inside a bigger buffer, with bytes of its own before and after it.
      for (const at of [1, 3, 7]) {
        const big = new Uint8Array(bytes.length + 64).fill(0xab);
        big.set(bytes, at);
        views.push([`view at ${at}`, big.subarray(at, at + bytes.length)]);
      }
      for (const [what, input] of views) {
        const loaded = loadCheckpoint(input, registry);
        expect(Array.from(loaded.arrays.weights!.data), what).toEqual(weights);
        expect(loaded.arrays.trace!.data, what).toEqual(Float32Array.from([1, 2, 3, 4, 5, 6]));
        expect(loaded.arrays.indptr!.data, what).toEqual(Int32Array.from([0, 2, 3]));
        expect(loaded.arrays.time!.data, what).toEqual(Float64Array.from([Math.PI]));
        expect(loaded.arrays.small!.data, what).toEqual(Int16Array.from([-7]));
        expect(loaded.arrays.empty!.data.length, what).toBe(0);
        // Each array owns exactly its bytes: no window onto the caller's (or Node's pooled) memory.
        for (const a of Object.values(loaded.arrays)) {
          expect(a.data.buffer.byteLength, `${what}: buffer of ${a.dtype}`).toBe(a.data.byteLength);
        }
      }
      // The file on disk is unchanged after loading and mutating a result.
      (loadCheckpoint(fromDisk, registry).arrays.weights!.data as Float32Array)[0] = 99;
      expect(new Uint8Array(readFileSync(file))).toEqual(bytes);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
