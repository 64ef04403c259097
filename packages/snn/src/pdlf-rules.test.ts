import { createRegistry, createRng, type Rule } from '@plasticity/core';
import { BUILTIN_RULES, PDLF_COEFFICIENTS, registerBuiltins } from '@plasticity/rules';
import { describe, expect, it } from 'vitest';
import { Network } from './network.js';

// The PDLF rules in the network they were made for: Poisson input → ternary-LIF hidden layer →
// ternary-LIF readout, fast weights starting at zero, every member with its own evolved coefficients
// (as an evolution strategy sets them).

function registry(generic: boolean) {
  const r = createRegistry();
  if (generic) for (const rule of BUILTIN_RULES) r.register({ ...rule, fused: undefined } as Rule);
  else registerBuiltins(r);
  return r;
}

/** Member m's genome: lr, A, B, C, D for each projection. */
function genome(m: number, nnz: number): Record<string, Float32Array> {
  const rng = createRng(100 + m);
  return Object.fromEntries(PDLF_COEFFICIENTS.map((k) => [k, rng.normal(nnz, k === 'lr' ? 0.3 : 0, 1)]));
}

function policy(members: number, generic = false) {
  const net = new Network({ dtMs: 1, seed: 8, registry: registry(generic), members, fallback: generic ? 'silent' : 'error' });
  net.addPoisson('in', { n: 12, rateHz: 200 });
  net.addPopulation('hid', { n: 16, neuron: 'core/ternary-lif' });
  net.addPopulation('out', { n: 2, neuron: 'core/ternary-lif' });
  // the official policy: raw input into the rule, traced hidden activity, raw readout; fast weights from 0
  net.connect('in', 'hid', { connection: { format: 'dense', random: { p: 1, seed: 1, init: 0 } }, rule: 'core/pdp', ruleParams: { postTauMs: 1 } });
  net.connect('hid', 'out', { connection: { format: 'dense', random: { p: 1, seed: 2, init: 0 } }, rule: 'core/scp', ruleParams: { preTauMs: 1 } });
  for (let m = 0; m < members; m++) {
    for (const [name, nnz] of [['in->hid', 12 * 16], ['hid->out', 16 * 2]] as const) {
      const g = genome(m * 2 + (name === 'in->hid' ? 0 : 1), nnz);
      for (const k of PDLF_COEFFICIENTS) net.setSynapseArray(name, k, g[k]!, members > 1 ? { member: m } : {});
    }
  }
  return net;
}

describe('core/pdp and core/scp in a ternary spiking policy', () => {
  it('fused = tensor step bit for bit with ±1 events, and the fast weights grow from zero', async () => {
    const fused = policy(1), generic = policy(1, true);
    expect(fused.engineReport().map((r) => r.engine)).toEqual(['fused', 'fused']);
    expect(generic.engineReport().map((r) => r.engine)).toEqual(['tensor', 'tensor']);
    const spikes = fused.monitorSpikes('hid');
    await fused.run(60);
    await generic.run(60);
    expect(spikes.count).toBeGreaterThan(30);
    const values = Array.from(spikes.values());
    expect(values.filter((v) => v === -1).length).toBeGreaterThan(0); // both signs reach the rule
    expect(values.filter((v) => v === 1).length).toBeGreaterThan(0);
    for (const p of ['in->hid', 'hid->out']) {
      const a = await fused.weights(p), b = await generic.weights(p);
      expect(a).toEqual(b);
      expect(Math.max(...Array.from(a, Math.abs))).toBeCloseTo(1, 6); // max-abs normalised every step
    }
    fused.dispose();
    generic.dispose();
  });

  it('population member k with its own genome = that genome run alone', async () => {
    const P = 4;
    const pop = policy(P);
    await pop.run(40);
    for (const m of [0, 3]) {
      const alone = new Network({ dtMs: 1, seed: 8, registry: registry(false), fallback: 'error' });
      alone.addPoisson('in', { n: 12, rateHz: 200 });
      alone.addPopulation('hid', { n: 16, neuron: 'core/ternary-lif' });
      alone.addPopulation('out', { n: 2, neuron: 'core/ternary-lif' });
      alone.connect('in', 'hid', { connection: { format: 'dense', random: { p: 1, seed: 1, init: 0 } }, rule: 'core/pdp', ruleParams: { postTauMs: 1 } });
      alone.connect('hid', 'out', { connection: { format: 'dense', random: { p: 1, seed: 2, init: 0 } }, rule: 'core/scp', ruleParams: { preTauMs: 1 } });
      for (const [name, nnz] of [['in->hid', 12 * 16], ['hid->out', 16 * 2]] as const) {
        const g = genome(m * 2 + (name === 'in->hid' ? 0 : 1), nnz);
        for (const k of PDLF_COEFFICIENTS) alone.setSynapseArray(name, k, g[k]!);
      }
      await alone.run(40);
      for (const p of ['in->hid', 'hid->out']) expect(await pop.weights(p, { member: m })).toEqual(await alone.weights(p));
      alone.dispose();
    }
    // different genomes give different fast weights
    expect(await pop.weights('in->hid', { member: 0 })).not.toEqual(await pop.weights('in->hid', { member: 1 }));
    pop.dispose();
  });
});
