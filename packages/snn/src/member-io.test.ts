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
  n.addExternal('in', { n: 3 });
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
