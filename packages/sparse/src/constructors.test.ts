import { createRegistry, isPlasticityError, loadCheckpoint, saveCheckpoint, toConfig } from '@plasticity/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Connection } from './connection.js';
import { connectionCheckpoint, connectionFromCheckpoint, fromArrays } from './convert.js';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';
import { cooFormat, csrFormat, denseFormat, registerBuiltins } from './formats.js';

async function matrix(c: Connection): Promise<number[]> {
  const m = c.toDenseTensor();
  const d = Array.from(await m.data());
  m.dispose();
  return d;
}

describe('seeded random connectivity', () => {
  it('random: same seed → same synapses and weights in every format; another seed differs; density ≈ p', async () => {
    const opts = { nPre: 200, nPost: 150, p: 0.05, seed: 7, init: { dist: 'uniform', low: 0, high: 0.5 } } as const;
    const a = CSRConnection.random(opts);
    const b = CSRConnection.random(opts);
    const c = COOConnection.random(opts);
    const d = DenseConnection.random(opts);
    const e = CSRConnection.random({ ...opts, seed: 8 });
    expect(Array.from(a.structure().indices)).toEqual(Array.from(b.structure().indices));
    expect(Array.from(await a.getWeights())).toEqual(Array.from(await b.getWeights()));
    const ma = await matrix(a);
    expect(await matrix(c)).toEqual(ma);
    expect(await matrix(d)).toEqual(ma);
    expect(await matrix(e)).not.toEqual(ma);
    // 30000 pairs at p = 0.05: mean 1500, sd ≈ 37.7; ±5 sd.
    expect(Math.abs(a.nnz - 1500)).toBeLessThan(190);
    const w = await a.getWeights();
    expect(Math.min(...w)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...w)).toBeLessThan(0.5);
    // The structure does not depend on init.
    const f = CSRConnection.random({ ...opts, init: 0.25 });
    expect(Array.from(f.structure().indices)).toEqual(Array.from(a.structure().indices));
    expect(new Set(await f.getWeights())).toEqual(new Set([0.25]));
    // Edge probabilities.
    expect(CSRConnection.random({ ...opts, p: 0 }).nnz).toBe(0);
    expect(CSRConnection.random({ nPre: 3, nPost: 4, p: 1, seed: 1 }).nnz).toBe(12);
    [a, b, c, d, e, f].forEach((x) => x.dispose());
  });

  it('fixedFanOut / fixedFanIn give exactly that many distinct partners per neuron', async () => {
    const out = CSRConnection.fixedFanOut({ nPre: 30, nPost: 20, fanOut: 5, seed: 3, init: { dist: 'normal', mean: 1, std: 0.1 } });
    const { indptr, indices } = out.structure();
    for (let i = 0; i < 30; i++) {
      const row = Array.from(indices.subarray(indptr[i]!, indptr[i + 1]!));
      expect(row.length).toBe(5);
      expect(new Set(row).size).toBe(5);
    }
    const inn = COOConnection.fixedFanIn({ nPre: 30, nPost: 20, fanIn: 4, seed: 3 });
    const counts = new Array(20).fill(0);
    for (const j of inn.pairs().post) counts[j]++;
    expect(counts).toEqual(new Array(20).fill(4));
    expect(await matrix(CSRConnection.fixedFanIn({ nPre: 30, nPost: 20, fanIn: 4, seed: 3 }))).toEqual(await matrix(inn));
    expect(() => CSRConnection.fixedFanOut({ nPre: 3, nPost: 2, fanOut: 3, seed: 1 })).toThrow(/fanOut must be an integer in \[0, 2\]/);
    expect(() => CSRConnection.random({ nPre: 3, nPost: 2, p: 1.5, seed: 1 })).toThrow(/p must be in \[0, 1\]/);
    expect(() => CSRConnection.random({ nPre: 3, nPost: 2, p: 0.5, seed: 1.5 })).toThrow(/seed/);
    out.dispose();
    inn.dispose();
  });
});

describe('fuzzed generators', () => {
  it('fixedFanOut/fixedFanIn: valid CSR, exact counts, distinct partners, reproducible by seed', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.nat(), fc.integer({ min: 0, max: 1e6 }),
      (nPre, nPost, k, seed) => {
        const fanOut = k % (nPost + 1);
        const fanIn = k % (nPre + 1);
        const out = CSRConnection.fixedFanOut({ nPre, nPost, fanOut, seed });
        const again = CSRConnection.fixedFanOut({ nPre, nPost, fanOut, seed });
        const inn = CSRConnection.fixedFanIn({ nPre, nPost, fanIn, seed });
        const s = out.structure();
        expect(Array.from(again.structure().indices)).toEqual(Array.from(s.indices));
        for (let i = 0; i < nPre; i++) {
          const row = Array.from(s.indices.subarray(s.indptr[i]!, s.indptr[i + 1]!));
          expect(row.length).toBe(fanOut);
          expect(row).toEqual([...new Set(row)].sort((a, b) => a - b));
        }
        const counts = new Array(nPost).fill(0);
        for (const j of inn.structure().indices) counts[j]++;
        expect(counts).toEqual(new Array(nPost).fill(fanIn));
        [out, again, inn].forEach((c) => c.dispose());
      }), { numRuns: 60 });
  });

  it('init distributions: per-synapse draws with the requested moments', async () => {
    const base = { nPre: 100, nPost: 100, p: 0.5, seed: 9 };
    const mean = (w: Float32Array): number => w.reduce((a, b) => a + b, 0) / w.length;
    const normal = CSRConnection.random({ ...base, init: { dist: 'normal', mean: 1, std: 0.1 } });
    const w = await normal.getWeights();
    expect(Math.abs(mean(w) - 1)).toBeLessThan(0.01); // sd of the mean ≈ 0.0014
    const pois = CSRConnection.random({ ...base, init: { dist: 'poisson', lambda: 3 } });
    const wp = await pois.getWeights();
    expect(wp.every((x) => Number.isInteger(x))).toBe(true);
    expect(Math.abs(mean(wp) - 3)).toBeLessThan(0.15);
    expect(() => CSRConnection.random({ ...base, init: { dist: 'cauchy' } as never })).toThrow(/init.dist/);
    normal.dispose();
    pois.dispose();
  });
});

describe('checkpoints and format plugins', () => {
  it('round-trips every format through saveCheckpoint / loadCheckpoint bit-exactly', async () => {
    const registry = createRegistry();
    registerBuiltins(registry);
    const base = CSRConnection.random({ nPre: 9, nPost: 13, p: 0.3, seed: 5, init: { dist: 'normal', std: 1 } });
    const conns: Connection[] = [base, COOConnection.fromCoo({ ...base.pairs(), nPre: 9, nPost: 13, weights: await base.getWeights() }), DenseConnection.random({ nPre: 4, nPost: 3, p: 0.5, seed: 2 }),
      CSRConnection.fromCsr({ nPre: 2, nPost: 2, indptr: Int32Array.of(0, 1, 2), indices: Int32Array.of(1, 0), weights: 0.125 })];
    for (const conn of conns) {
      if (!conn.homogeneous) conn.onPre(new Float32Array(conn.nPre).fill(1), new Float32Array(conn.nPost).fill(1 / 3));
      const { arrays, meta } = await connectionCheckpoint(conn, 'layer1');
      const bytes = await saveCheckpoint({ arrays, data: { layer1: meta }, configs: { format: toConfig(csrFormat, { duplicates: 'sum' }) } });
      for (let load = 0; load < 2; load++) {
        const ckpt = loadCheckpoint(bytes, registry);
        const back = connectionFromCheckpoint(ckpt.arrays, (ckpt.data as { layer1: typeof meta }).layer1, 'layer1');
        expect(back.format).toBe(conn.format);
        expect(back.homogeneous).toBe(conn.homogeneous);
        const [x, y] = [await conn.toArrays(), await back.toArrays()];
        for (const name of Object.keys(x.arrays)) {
          expect(new Uint8Array(y.arrays[name]!.buffer)).toEqual(new Uint8Array(x.arrays[name]!.buffer));
        }
        back.dispose();
      }
    }
    conns.forEach((c) => c.dispose());
  }, 20_000);

  it('fromArrays validates what it loads', () => {
    const bad = { format: 'csr' as const, nPre: 2, nPost: 2, arrays: { indptr: Int32Array.of(0, 3, 1), indices: Int32Array.of(0), weights: Float32Array.of(1) } };
    expect(() => fromArrays(bad)).toThrow(/indptr must be non-decreasing/);
    expect(() => fromArrays({ ...bad, arrays: { ...bad.arrays, indptr: Float32Array.of(0, 1, 1) } })).toThrow(/arrays.indptr .* Int32Array/);
    expect(() => fromArrays({ ...bad, format: 'ell' as never })).toThrow(/format must be/);
    try {
      fromArrays({ format: 'coo', nPre: 2, nPost: 2, arrays: { pre: Int32Array.of(0, 0), post: Int32Array.of(1, 1), weights: Float32Array.of(1, 2) } });
      expect.unreachable();
    } catch (e) {
      expect(isPlasticityError(e, 'E_FORMAT')).toBe(true);
    }
  });

  it('registers the three format plugins; fromCoo follows the duplicates parameter', async () => {
    const registry = createRegistry();
    registerBuiltins(registry);
    registerBuiltins(registry); // same objects again: no-op
    expect(registry.list('format').map((p) => p.name).sort()).toEqual(['sparse/coo', 'sparse/csr', 'sparse/dense']);
    const coo = { nPre: 2, nPost: 2, pre: Int32Array.of(1, 1), post: Int32Array.of(0, 0), weights: Float32Array.of(1, 2) };
    for (const format of [denseFormat, csrFormat, cooFormat]) {
      const c = format.fromCoo(coo, format.defaults);
      expect(await matrix(c)).toEqual([0, 0, 3, 0]);
      expect(() => format.fromCoo(coo, { duplicates: 'error' })).toThrow(/repeats position 0/);
      expect(format.validate!({ duplicates: 'maybe' as never })).toHaveLength(1);
      c.dispose();
    }
  });
});
