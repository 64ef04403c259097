import '@tensorflow/tfjs-backend-cpu';
import { createRng, initBackend } from '@plasticity/core';
import { expectPlasticityError } from '@plasticity/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { SpikingPolicy } from '../policy/spiking.js';
import { EIGHT_DIRECTIONS, HELD_OUT_DIRECTIONS, evaluateReach, reachReference } from './reach.js';

beforeAll(async () => {
  await initBackend('cpu'); // quiet: no tfjs-node advert
});

const control = (o = {}) => new SpikingPolicy({ nIn: 4, nOut: 2, hidden: [12], rule: 'core/scp', ...o });
const task = { steps: 30, directions: EIGHT_DIRECTIONS.slice(0, 3) };

describe('multi-task control (reach in a goal direction)', () => {
  it('the reference return is the best constant action, found by brute force over a grid of actions too', () => {
    const o = { steps: 30, directions: [0, Math.PI / 4, 2] };
    const ret = (a: [number, number], theta: number) => {
      let v = [0, 0], total = 0;
      for (let t = 0; t < 30; t++) {
        v = [0.9 * v[0]! + 0.1 * a[0], 0.9 * v[1]! + 0.1 * a[1]];
        total += v[0]! * Math.cos(theta) + v[1]! * Math.sin(theta) - 0.05 * (a[0] ** 2 + a[1] ** 2);
      }
      return total;
    };
    let want = 0;
    for (const theta of o.directions) {
      let best = -Infinity;
      for (let x = -1; x <= 1.0001; x += 0.01) for (let y = -1; y <= 1.0001; y += 0.01) best = Math.max(best, ret([x, y], theta));
      want += best / o.directions.length;
    }
    expect(reachReference(o)).toBeGreaterThanOrEqual(want - 1e-9);
    expect(reachReference(o)).toBeCloseTo(want, 3);
    expect(HELD_OUT_DIRECTIONS[0]).toBeCloseTo(Math.PI / 8, 12);
  });

  it('a genome without plasticity stays silent: no thrust, a return of exactly 0', async () => {
    const policy = control();
    const r = await evaluateReach(policy, [new Float32Array(policy.dim)], task, { recordRewards: true });
    expect(r.fitness[0]).toBe(0);
    expect(Array.from(r.rewards!)).toEqual(new Array(30).fill(0));
  });

  it('a genome scores the same alone as among others (one member per genome and direction)', async () => {
    const policy = control();
    const rng = createRng(4);
    const genomes = [0, 1, 2].map(() => rng.normal(policy.dim, 0, 1));
    const all = await evaluateReach(policy, genomes, task);
    const alone = await evaluateReach(policy, [genomes[2]!], task);
    expect(alone.fitness[0]).toBe(all.fitness[2]);
    expect(new Set(all.fitness).size).toBe(3);
  });

  it('temporary injury: identical before it, different after; the weight-trained baseline gets its weights back', async () => {
    const rng = createRng(5);
    for (const policy of [control(), control({ plastic: false })]) {
      const genome = rng.normal(policy.dim, 0, 1);
      const intact = await evaluateReach(policy, [genome], task, { recordRewards: true });
      const hurt = await evaluateReach(policy, [genome], task, { recordRewards: true, injury: { kind: 'temporary', from: 10, to: 15 } });
      expect(Array.from(hurt.rewards!.subarray(0, 10))).toEqual(Array.from(intact.rewards!.subarray(0, 10)));
      expect(Array.from(hurt.rewards!.subarray(10))).not.toEqual(Array.from(intact.rewards!.subarray(10)));
    }
  });

  it('permanent injury: blocked neurons keep zero weights under plasticity; blocking all silences the policy', async () => {
    const policy = control({ lesion: true });
    const genome = createRng(6).normal(policy.dim, 0, 1);
    const net = policy.build(1);
    await policy.setGenome(net, genome, 0);
    await policy.block(net, 'h0', [1, 4], 0);
    net.setSpikes('in', Float32Array.of(1, 0.5, 0.2, -0.3));
    await net.step();
    for (let t = 0; t < 20; t++) { net.setSpikes('in', Float32Array.of(1, 0.5, 0.2, -0.3)); net.stepSync(); }
    const w1 = await net.weights('in->h0'), w2 = await net.weights('h0->out');
    for (let r = 0; r < 4; r++) { expect(w1[r * 12 + 1]).toBe(0); expect(w1[r * 12 + 4]).toBe(0); }
    for (let c = 0; c < 2; c++) { expect(w2[1 * 2 + c]).toBe(0); expect(w2[4 * 2 + c]).toBe(0); }
    expect(Array.from(w1).filter((v) => v !== 0).length).toBeGreaterThan(30);
    net.dispose();
    const all = await evaluateReach(policy, [genome], task, { injury: { kind: 'permanent', blocked: [{ layer: 'h0', neurons: Array.from({ length: 12 }, (_, i) => i) }] } });
    expect(all.fitness[0]).toBe(0);
    await expect(policy.block(policy.build(1), 'out', [0], 0)).rejects.toThrow(/block takes a hidden layer \(h0\), got "out"/);
  });

  it('rejects bad settings and shapes', async () => {
    const policy = control();
    await expect(evaluateReach(policy, [new Float32Array(policy.dim)], { damping: 1, steps: 0 })).rejects.toThrow(/steps must be an integer >= 1.*damping must be in \[0, 1\)/);
    await expect(evaluateReach(new SpikingPolicy({ hidden: [4] }), [new Float32Array(10)])).rejects.toThrow(/nIn = 4 and nOut = 2, got 3 and 1/);
    expectPlasticityError(() => control({ lesion: 'yes' as never }), 'E_PARAM', /lesion must be true or false/);
  });
});
