import { expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { SpikingPolicy } from './spiking.js';
import { meanScpWindow, scpWindow } from './window.js';

describe('the control rule read as an STDP window', () => {
  it('follows the official figure formulas on both sides of Δt = 0', () => {
    const c = { lr: 0.5, A: 2, B: -1, C: 0.25, D: 0.1 };
    const w = scpWindow(c, [-2, -1, 0, 1, 3]);
    expect(w[0]).toBeCloseTo(0.5 * (-2 * 0.25 * Math.exp(-2 / Math.E) + 0.1), 14);
    expect(w[1]).toBeCloseTo(0.5 * (-0.5 * Math.exp(-1 / Math.E) + 0.1), 14);
    expect(w[2]).toBeCloseTo(0.5 * (1 + 0.1), 14);
    expect(w[4]).toBeCloseTo(0.5 * (Math.exp(-3 / Math.E) + 0.1), 14);
    // far from the pair only the non-Hebbian D term is left
    expect(scpWindow(c, [-60, 60]).every((v) => Math.abs(v - 0.05) < 1e-9)).toBe(true);
    expectPlasticityError(() => scpWindow({ ...c, A: NaN }, [0]), 'E_PARAM', /coefficient A must be a finite number/);
  });

  it('averages the windows of a projection\'s synapses', () => {
    const policy = new SpikingPolicy({ nIn: 2, hidden: [1], nOut: 1, rule: 'core/scp' });
    const g = new Float32Array(policy.dim);
    // in->h0 has two synapses: lr 1 and 0.5, A 1 and 2, the rest 0
    const at = (key: string) => policy.slices.find((s) => s.target === 'in->h0' && s.key === key)!.offset;
    g.set([1, 0.5], at('lr'));
    g.set([1, 2], at('A'));
    const want = [0, 2].map((dt) => (scpWindow({ lr: 1, A: 1, B: 0, C: 0, D: 0 }, [dt])[0]! + scpWindow({ lr: 0.5, A: 2, B: 0, C: 0, D: 0 }, [dt])[0]!) / 2);
    expect(Array.from(meanScpWindow(g, policy.slices, 'in->h0', [0, 2]))).toEqual(want.map((v) => expect.closeTo(v, 7) as unknown as number));
    expectPlasticityError(() => meanScpWindow(g, policy.slices, 'x->y', [0]), 'E_PARAM', /no lr for projection "x->y"/);
  });
});
