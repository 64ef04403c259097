import { createRng } from '@plasticity/core';
import { expectClose, expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { OpenAIES } from './openai-es.js';
import { centredRanks, fitnessRanks, zScores } from './shaping.js';

const sphere = (x: Float32Array) => {
  let s = 0;
  for (const v of x) s += v * v;
  return -s;
};

describe('OpenAI-ES', () => {
  it('takes g = Σ F_i·ε_i / (pop·σ) with raw fitness and plain SGD: one step by hand', () => {
    const es = new OpenAIES({ dim: 2, seed: 5, popSize: 4, sigma: 0.5, lr: 0.1, optimizer: 'sgd', momentum: 0, fitnessShaping: 'none', sigmaDecay: 0.9, sigmaLimit: 0.4, lrDecay: 0.5, lrLimit: 0 });
    const eps = createRng(5).stream('openai-es').normal(4); // two antithetic rows of dim 2
    const population = es.ask();
    expectClose(population[0]!, [0.5 * eps[0]!, 0.5 * eps[1]!], { atol: 1e-7 });
    expectClose(population[1]!, [-0.5 * eps[0]!, -0.5 * eps[1]!], { atol: 1e-7 });
    expectClose(population[2]!, [0.5 * eps[2]!, 0.5 * eps[3]!], { atol: 1e-7 });
    const f = [3, 1, -2, 0.5];
    es.tell(f);
    const g = [0, 1].map((j) => (f[0]! * eps[j]! - f[1]! * eps[j]! + f[2]! * eps[2 + j]! - f[3]! * eps[2 + j]!) / (4 * 0.5));
    expectClose(es.centre, [0.1 * g[0]!, 0.1 * g[1]!], { atol: 1e-15 });
    expect(es.sigma).toBeCloseTo(0.45, 15);
    expect(es.lr).toBeCloseTo(0.05, 15);
    for (let g = 0; g < 2; g++) {
      es.ask();
      es.tell(f);
    }
    expect(es.sigma).toBe(0.4); // 0.405 · 0.9 falls below the limit
    expect(es.lr).toBe(0.0125);
  });

  it('converges on a sphere (dim 8), antithetic or not, with centred ranks or z-scores', () => {
    for (const [antithetic, fitnessShaping] of [[true, 'centred-rank'], [false, 'z-score']] as const) {
      const es = new OpenAIES({ dim: 8, seed: 2, popSize: 40, initCentre: 1, sigma: 0.1, sigmaLimit: 0.02, lr: 0.05, lrLimit: 0.01, antithetic, fitnessShaping });
      for (let g = 0; g < 300; g++) es.tell(es.ask().map(sphere));
      expect(-sphere(Float32Array.from(es.centre))).toBeLessThan(0.05); // from 8
    }
  });

  it('weight decay pulls the centre toward 0 when the fitness is flat', () => {
    const es = new OpenAIES({ dim: 4, seed: 8, popSize: 16, initCentre: 2, weightDecay: 1, lr: 0.05, lrDecay: 1, fitnessShaping: 'none' });
    for (let g = 0; g < 50; g++) {
      es.ask();
      es.tell(new Array(16).fill(1));
    }
    expect(Math.max(...es.centre)).toBeLessThan(2 - 0.5);
    const flat = new OpenAIES({ dim: 4, seed: 8, popSize: 16, initCentre: 2, fitnessShaping: 'none' });
    for (let g = 0; g < 50; g++) {
      flat.ask();
      flat.tell(new Array(16).fill(1));
    }
    expect(Array.from(flat.centre)).toEqual([2, 2, 2, 2]); // antithetic pairs cancel: nothing to follow without the penalty
  });

  it('rejects invalid configurations listing every problem', () => {
    expectPlasticityError(() => new OpenAIES({ dim: 2, seed: 1, popSize: 5 }), 'E_PARAM', /popSize must be an even integer >= 2 with antithetic sampling, got 5/);
    expect(new OpenAIES({ dim: 2, seed: 1, popSize: 5, antithetic: false }).popSize).toBe(5);
    expectPlasticityError(() => new OpenAIES({ dim: 2, seed: 1, sigma: 0, sigmaDecay: 1.5, fitnessShaping: 'rank' as 'none' }), 'E_PARAM',
      /sigma must be > 0 \(the perturbation scale\), got 0; sigmaDecay must be in \(0, 1\], got 1.5; fitnessShaping must be one of "centred-rank", "z-score", "none", got "rank"/);
  });
});

describe('fitness shaping', () => {
  it('ranks like evojax (stable ties) and puts non-finite values at the bottom, tied', () => {
    expect(Array.from(fitnessRanks([0.3, -1.2, 2.5, 0.3]))).toEqual([1, 0, 3, 2]);
    expect(Array.from(centredRanks([0.3, -1.2, 2.5, 0.3]))).toEqual([1 / 3 - 0.5, -0.5, 0.5, 2 / 3 - 0.5]);
    expect(Array.from(fitnessRanks([NaN, 5, -Infinity, 1, Infinity]))).toEqual([1, 4, 1, 3, 1]);
    expect(Array.from(zScores([1, 1, 1]))).toEqual([0, 0, 0]);
    const sd = Math.sqrt(8 / 9); // NaN counts as the lowest finite value: [1, 1, 3], mean 5/3
    expectClose(zScores([1, NaN, 3]), [(1 - 5 / 3) / sd, (1 - 5 / 3) / sd, (3 - 5 / 3) / sd], { atol: 1e-12 });
  });
});
