import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, createRng, fromConfig, toConfig, type Params, type Rule, type SynapseOps } from '@plasticity/core';
import { COOConnection, CSRConnection, DenseConnection, type Connection } from '@plasticity/sparse';
import { expectClose } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { BUILTIN_RULES, registerBuiltins } from './builtins.js';
import { BCM_DEFAULTS, HEBBIAN_DEFAULTS, OJA_DEFAULTS } from './hebbian.js';
import { MSTDPET_DEFAULTS, MSTDP_DEFAULTS } from './mstdp.js';
import { STDP_DEFAULTS } from './stdp.js';
import { ReferenceConnection } from './testing/reference-connection.js';
import { randomRaster, runRule, type Trains } from './testing/run.js';
import { TRIPLET_DEFAULTS } from './triplet.js';

/** Every rule in the configurations that exercise its distinct code paths. */
const CASES: [string, Params, 'spikes' | 'rates'][] = [
  ['core/stdp', { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, wMin: 0, wMax: 1 }, 'spikes'],
  ['core/stdp', { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, pairing: 'nearest' }, 'spikes'],
  ['core/stdp', { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, sameStepPairs: 'ignore' }, 'spikes'],
  ['core/stdp', { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, weightDependence: 'multiplicative', muPlus: 0.5, muMinus: 2 }, 'spikes'],
  ['core/stdp', { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06, weightDependence: 'soft-bound', wMin: -0.5, wMax: 1.5 }, 'spikes'],
  ['core/triplet-stdp', { ...TRIPLET_DEFAULTS, a2Plus: 0.02, a3Plus: 0.03, a2Minus: 0.04, a3Minus: 0.01 }, 'spikes'],
  ['core/triplet-stdp', { ...TRIPLET_DEFAULTS, a2Plus: 0.02, a3Plus: 0.03, a2Minus: 0.04, model: 'minimal', pairing: 'nearest' }, 'spikes'],
  ['core/hebbian', { ...HEBBIAN_DEFAULTS, eta: 0.05, wMin: -1, wMax: 1 }, 'rates'],
  ['core/oja', { ...OJA_DEFAULTS, eta: 0.05 }, 'rates'],
  ['core/bcm', { ...BCM_DEFAULTS, eta: 0.05, thetaInit: 0.2, tauThetaMs: 5 }, 'rates'],
  ['core/bcm', { ...BCM_DEFAULTS, eta: 0.5, thetaInit: 0.05, tauThetaMs: 5, traceTauMs: 3 }, 'spikes'],
  ['core/oja', { ...OJA_DEFAULTS, eta: 0.5, traceTauMs: 2 }, 'spikes'],
  ['core/mstdp', { ...MSTDP_DEFAULTS, nu: 0.05, wMin: 0, wMax: 1 }, 'spikes'],
  ['core/mstdpet', { ...MSTDPET_DEFAULTS, nu: 0.2 }, 'spikes'],
];

function triples(nPre: number, nPost: number, p: number, seed: number) {
  const rng = createRng(seed);
  const cells: [number, number][] = [];
  for (let i = 0; i < nPre; i++) for (let j = 0; j < nPost; j++) if (rng.random() < p) cells.push([i, j]);
  // COO in a shuffled (user) order, so storage orders differ between formats.
  const order = rng.permutation(cells.length);
  return {
    nPre,
    nPost,
    pre: Int32Array.from(order, (k) => cells[k]![0]),
    post: Int32Array.from(order, (k) => cells[k]![1]),
    weights: Float32Array.from(rng.uniform(cells.length, 0.2, 0.8)),
  };
}

function trainsFor(kind: 'spikes' | 'rates', steps: number, batch: number, nPre: number, nPost: number, seed: number): Trains {
  const pre = randomRaster(seed, steps, batch * nPre, 0.25);
  const post = randomRaster(seed + 1, steps, batch * nPost, 0.25);
  const rng = createRng(seed + 2);
  const modulator = Float32Array.from(rng.uniform(steps, -1, 1));
  if (kind === 'spikes') return { steps, pre, post, modulator };
  // Rates: sparse non-negative inputs (zeros exercise the event-driven rows) and signed outputs.
  const x = Float32Array.from(pre, (s, k) => s * (0.5 + ((k * 7919) % 13) / 13));
  const y = Float32Array.from(rng.uniform(steps * batch * nPost, -0.5, 1));
  return { steps, pre: x, post: y };
}

async function dense(conn: Connection | ReferenceConnection): Promise<Float32Array> {
  if (conn instanceof ReferenceConnection) return conn.toDense();
  const t = conn.toDenseTensor();
  const d = (await t.data()) as Float32Array;
  t.dispose();
  return d;
}

describe('Dense, CSR and COO give the same weights for every rule', () => {
  const registry = createRegistry();
  registerBuiltins(registry);
  for (const [index, [name, params, kind]] of CASES.entries()) {
    for (const batch of [1, 2]) {
      it(`${name} (case ${index}: ${JSON.stringify(params).slice(0, 90)}…) batch ${batch}`, async () => {
        const { plugin, params: p } = fromConfig(registry, toConfig(registry.get(name) as Rule, params));
        const rule = plugin as Rule;
        const steps = 25;
        // Sparse structure: reference (masked dense), CSR, COO.
        const s = triples(7, 5, 0.5, 11);
        const trains = trainsFor(kind, steps, batch, 7, 5, 100 + batch);
        const sparse: (SynapseOps & { dispose(): void })[] = [new ReferenceConnection(s), CSRConnection.fromCoo(s), COOConnection.fromCoo(s)];
        // Full structure: additionally Dense (every entry is a synapse).
        const f = triples(7, 5, 1, 12);
        const full: (SynapseOps & { dispose(): void })[] = [new ReferenceConnection(f), DenseConnection.fromCoo(f), CSRConnection.fromCoo(f), COOConnection.fromCoo(f)];
        for (const group of [sparse, full]) {
          const results: Float32Array[] = [];
          for (const conn of group) {
            await runRule(rule, p, conn, trains, { dtMs: 1, batch });
            results.push(await dense(conn as Connection));
          }
          const initial = group === sparse ? s : f;
          const changed = results[0]!.some((w, k) => {
            const idx = Array.from(initial.pre).findIndex((i, m) => i * 5 + initial.post[m]! === k);
            return idx >= 0 && Math.abs(w - initial.weights[idx]!) > 1e-3;
          });
          expect(changed, 'the rule changed some weight').toBe(true);
          for (const r of results.slice(1)) expectClose(r, results[0]!, { atol: 2e-6, rtol: 1e-5 });
          for (const conn of group) conn.dispose();
        }
      });
    }
  }

  it('every rule runs on a 0-synapse CSR and a 1×1 connection', async () => {
    for (const [name, params, kind] of CASES) {
      const rule = registry.get(name) as Rule;
      const empty = CSRConnection.fromCoo({ nPre: 4, nPost: 3, pre: new Int32Array(0), post: new Int32Array(0), weights: new Float32Array(0) });
      await runRule(rule, params, empty, trainsFor(kind, 4, 1, 4, 3, 1));
      expect(empty.nnz).toBe(0);
      empty.dispose();
      const one = COOConnection.fromCoo({ nPre: 1, nPost: 1, pre: Int32Array.of(0), post: Int32Array.of(0), weights: Float32Array.of(0.5) });
      await runRule(rule, params, one, trainsFor(kind, 6, 1, 1, 1, 2));
      expect(Number.isFinite((await one.getWeights())[0]!)).toBe(true);
      one.dispose();
    }
  });
});

describe('registerBuiltins', () => {
  it('registers all nine rules, idempotently, and nothing at import', () => {
    const registry = createRegistry();
    expect(registry.list('rule')).toEqual([]);
    registerBuiltins(registry);
    registerBuiltins(registry);
    expect(registry.list('rule').map((r) => r.name)).toEqual([
      'core/stdp', 'core/triplet-stdp', 'core/hebbian', 'core/oja', 'core/bcm', 'core/mstdp', 'core/mstdpet', 'core/scp', 'core/pdp',
    ]);
    for (const rule of BUILTIN_RULES) {
      const config = JSON.parse(JSON.stringify(toConfig(rule as Rule)));
      expect(fromConfig(registry, config).params).toEqual(rule.defaults);
      expect(rule.validate!(rule.defaults as never)).toEqual([]);
    }
    expect(() => registry.get('core/stpd')).toThrow(/unknown plugin 'core\/stpd'/);
  });
});

describe('cpu and wasm agree', () => {
  it('stdp on CSR gives the same weights on both backends', async () => {
    const { useBackend } = await import('@plasticity/testing');
    const s = triples(6, 4, 0.6, 3);
    const trains = trainsFor('spikes', 20, 1, 6, 4, 9);
    const out: Float32Array[] = [];
    for (const backend of ['cpu', 'wasm'] as const) {
      await useBackend(backend);
      const conn = CSRConnection.fromCoo(s);
      await runRule(registry().get('core/stdp') as Rule, { ...STDP_DEFAULTS, aPlus: 0.05, aMinus: 0.06 }, conn, trains);
      out.push(await conn.getWeights());
      conn.dispose();
    }
    await useBackend('cpu');
    expectClose(out[1]!, out[0]!, { atol: 1e-6, rtol: 1e-5 });
    expect(tf.getBackend()).toBe('cpu');
  });
});

function registry() {
  const r = createRegistry();
  registerBuiltins(r);
  return r;
}
