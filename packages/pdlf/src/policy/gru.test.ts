import { expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { GruBranch } from './gru.js';

describe('the GRU branch', () => {
  it('one unit, one input: the gate equations by hand', () => {
    const g = new GruBranch(1, 1, 1);
    expect(g.dim).toBe(3 + 3 + 6 + 1 + 1);
    // W_i = [0.5, -1, 2], W_h = [0.3, 0.2, -0.4], b_i = [0.1, 0, -0.2], b_h = [0, 0.05, 0.1], W_o = 1.5, b_o = -0.1
    const p = [0.5, -1, 2, 0.3, 0.2, -0.4, 0.1, 0, -0.2, 0, 0.05, 0.1, 1.5, -0.1];
    const h = Float64Array.of(0.25), out = new Float64Array(1);
    const x = 0.8, h0 = 0.25;
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const r = s(0.5 * x + 0.1 + 0.3 * h0), z = s(-1 * x + 0 + 0.2 * h0 + 0.05);
    const n = Math.tanh(2 * x - 0.2 + r * (-0.4 * h0 + 0.1));
    const h1 = (1 - z) * n + z * h0;
    g.step(p, [x], h, out);
    expect(h[0]).toBeCloseTo(h1, 14);
    expect(out[0]).toBeCloseTo(1.5 * h1 - 0.1, 14);
  });

  it('zero weights: h decays toward tanh(0) = 0 by half each step and the output is its bias', () => {
    const g = new GruBranch(2, 3, 2);
    const p = new Float64Array(g.dim);
    p[g.dim - 1] = 0.7;
    const h = Float64Array.of(1, -1, 0.5), out = new Float64Array(2);
    g.step(p, [1, 1], h, out);
    expect(Array.from(h)).toEqual([0.5, -0.5, 0.25]); // z = σ(0) = 1/2, n = 0
    expect(Array.from(out)).toEqual([0, 0.7]);
    expectPlasticityError(() => new GruBranch(0, 3, 1), 'E_PARAM', /nIn must be an integer >= 1, got 0/);
  });
});
