import { createRegistry } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { Network } from './network.js';

// Closed-loop input and output for every member at once (an evolution strategy's population on a
// task): one call per step instead of one per member, the same network either way.

function net(members: number) {
  const registry = createRegistry();
  registerBuiltins(registry);
  const n = new Network({ dtMs: 1, seed: 2, registry, members, fallback: 'error' });
  n.addExternal('in', { n: 3, values: true });
  n.addPopulation('out', { n: 4, neuron: 'core/ternary-lif' });
  n.connect('in', 'out', { connection: { format: 'dense', random: { p: 1, seed: 1, init: { dist: 'normal', mean: 0, std: 0.6 } } }, rule: 'core/pdp', ruleParams: { initStd: 0.5 } });
  return n;
}

/** Member m's input at step t (some entries zero, some ±, so both kinds of event occur). */
const input = (t: number, m: number) => Float32Array.from({ length: 3 }, (_, i) => ((t * 7 + m * 3 + i) % 5 === 0 ? 0 : Math.sin(t + m + i)));

describe('every member at once: setMemberSpikes and memberState', () => {
  it('give what per-member setSpikes and state() give, bit for bit', async () => {
    const P = 3;
    const a = net(P), b = net(P);
    const seenA: number[][] = [], seenB: number[][] = [];
    for (let t = 0; t < 25; t++) {
      const all = new Float32Array(P * 3);
      for (let m = 0; m < P; m++) { all.set(input(t, m), m * 3); b.setSpikes('in', input(t, m), { member: m }); }
      a.setMemberSpikes('in', all);
      if (t === 0) { await a.step(); await b.step(); } else { a.stepSync(); b.stepSync(); }
      seenA.push(Array.from(a.memberState('out', 'mem')));
      seenB.push(Array.from({ length: P }, (_, m) => Array.from(b.state('out', { member: m }).mem!)).flat());
    }
    expect(seenA).toEqual(seenB);
    expect(new Set(seenA.flat()).size).toBeGreaterThan(5);
    for (let m = 0; m < P; m++) expect(await a.weights('in->out', { member: m })).toEqual(await b.weights('in->out', { member: m }));
    a.dispose();
    b.dispose();
  });

  it('rejects bad input and changes nothing', async () => {
    const a = net(2);
    expectPlasticityError(() => a.setMemberSpikes('in', new Float32Array(3)), 'E_SHAPE', /spikes must have length 6, got 3/);
    expectPlasticityError(() => a.setMemberSpikes('in', Float32Array.of(0, 0, 0, 0, NaN, 0)), 'E_PARAM', /spikes\[4\] must be finite, got NaN/);
    expectPlasticityError(() => a.setMemberSpikes('out', new Float32Array(8)), 'E_PARAM', /"out" is not external/);
    expectPlasticityError(() => a.memberState('out', 'v'), 'E_PARAM', /has no state variable "v" \(it has mem, inp\)/);
    await a.step(); // nothing was queued by the failed calls: no input reaches the readout
    a.stepSync();
    expect(Array.from(a.memberState('out', 'inp'))).toEqual(new Array(8).fill(0));
    a.dispose();
  });
});

describe('an external source delivers the values it is given', () => {
  it('a spike of value 0.5 or −2 adds w·value to the input, fused and on the tensor path', async () => {
    for (const rule of [undefined, 'core/hebbian']) {
      const registry = createRegistry();
      registerBuiltins(registry);
      const n = new Network({ dtMs: 1, seed: 1, registry, fallback: 'silent' });
      n.addExternal('in', { n: 2, values: true });
      n.addPopulation('out', { n: 2, neuron: 'core/ternary-lif', params: { vThresh: 100 } });
      n.connect('in', 'out', { connection: { format: 'dense', random: { p: 1, seed: 1, init: 1 } }, ...(rule ? { rule, ruleParams: { eta: 0 } } : {}) });
      n.setSpikes('in', Float32Array.of(0.5, -2));
      await n.step();
      // W = all ones: each output receives 0.5 − 2 (values once counted as 1 here: 2)
      expect(Array.from(n.state('out').inp!)).toEqual([-1.5, -1.5]);
      expect((await n.toSpec()).populations[0]).toEqual({ name: 'in', kind: 'external', n: 2, values: true });
      n.dispose();
    }
  });

  it('a binary external population (the default) takes 0/1 only, and says how to get values', () => {
    const n = new Network({ dtMs: 1, registry: createRegistry() });
    n.addExternal('in', { n: 2 });
    expectPlasticityError(() => n.setSpikes('in', Float32Array.of(0.5, 0)), 'E_PARAM', /spikes\[0\] must be 0 or 1 for a binary external population, got 0.5 \(addExternal\(name, \{ n, values: true \}\)/);
    expectPlasticityError(() => n.addExternal('x', { n: 2, values: 'yes' as never }), 'E_PARAM', /values must be true or false/);
    n.setSpikes('in', Float32Array.of(1, 0));
    n.dispose();
  });
});
