import { readFileSync } from 'node:fs';
import { createRng } from '@plasticity/core';
import { expectClose, expectPlasticityError } from '@plasticity/testing';
import { describe, expect, it } from 'vitest';
import { PGPE, PGPE_DEFAULTS } from './pgpe.js';

const fixture = JSON.parse(readFileSync(new URL('./__fixtures__/pgpe-evojax.json', import.meta.url), 'utf8')) as {
  seed: number; dim: number; popSize: number; z: number[][]; fitness: number[][];
  cases: { name: string; optimizer: 'adam' | 'sgd'; rankFitness: boolean; centreLr: number; stdLr: number; initCentre: number[]; initStd: number[];
    generations: { solutions: number[][]; gradCentre: number[]; gradStd: number[]; centre: number[]; std: number[] }[] }[];
};

const sphere = (x: Float32Array) => {
  let s = 0;
  for (const v of x) s += v * v;
  return -s;
};

describe('PGPE', () => {
  it('uses the issue defaults (pop 256, centre lr 0.01, std lr 0.07, init std 0.04, Adam, ranked fitness, max change 0.2)', () => {
    const es = new PGPE({ dim: 4, seed: 1 });
    expect(es.popSize).toBe(256);
    expect(Array.from(es.std)).toEqual([0.04, 0.04, 0.04, 0.04]);
    expect(PGPE_DEFAULTS).toMatchObject({ centreLr: 0.01, stdLr: 0.07, initStd: 0.04, stdMaxChange: 0.2, optimizer: 'adam', rankFitness: true });
  });

  it('draws the fixture noise from its seeded stream (the fixture pins the arithmetic, this pins the stream)', () => {
    const rng = createRng(fixture.seed).stream('pgpe');
    expect(Array.from(rng.normal(9))).toEqual(fixture.z[0]);
    expect(Array.from(rng.normal(9))).toEqual(fixture.z[1]);
  });

  for (const c of fixture.cases) {
    it(`matches evojax's update computed with numpy for two generations: ${c.name}`, () => {
      const es = new PGPE({ dim: fixture.dim, popSize: fixture.popSize, seed: fixture.seed, optimizer: c.optimizer, rankFitness: c.rankFitness,
        centreLr: c.centreLr, stdLr: c.stdLr, initCentre: c.initCentre, initStd: c.initStd });
      c.generations.forEach((g, t) => {
        const population = es.ask();
        // Members are float32: compare with the float64 numpy values to float32 precision.
        population.forEach((x, i) => expectClose(x, g.solutions[i]!, { atol: 1e-7, rtol: 1e-6 }));
        const report = es.tell(fixture.fitness[t]!);
        expect(report.nonFinite).toBe(0);
        expectClose(es.centre, g.centre, { atol: 1e-13, rtol: 1e-12 });
        expectClose(es.std, g.std, { atol: 1e-13, rtol: 1e-12 });
      });
    });
  }

  it('converges on a sphere (dim 8) from a centre at 1', () => {
    const es = new PGPE({ dim: 8, seed: 3, popSize: 32, initCentre: 1, initStd: 0.1, centreLr: 0.05 });
    const start = -sphere(Float32Array.from(es.centre));
    for (let g = 0; g < 300; g++) es.tell(es.ask().map(sphere));
    const end = -sphere(Float32Array.from(es.centre));
    expect(start).toBe(8);
    expect(end).toBeLessThan(0.01);
    expect(es.best!.fitness).toBeGreaterThan(-0.05);
  });

  it('gives the same search for the same seed and another for another seed', () => {
    const run = (seed: number) => {
      const es = new PGPE({ dim: 5, seed, popSize: 8 });
      for (let g = 0; g < 5; g++) es.tell(es.ask().map(sphere));
      return es.centre;
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('asks the same population again until tell, and hands out copies', () => {
    const es = new PGPE({ dim: 3, seed: 2, popSize: 4 });
    const a = es.ask();
    a[0]!.fill(99);
    const b = es.ask();
    expect(b[0]![0]).not.toBe(99);
    expect(es.ask()).toEqual(b);
    expect(b[0]![0]! - es.centre[0]!).toBeCloseTo(-(b[1]![0]! - es.centre[0]!), 6); // antithetic pair
  });

  it('treats NaN and ±Infinity fitness as the worst, counts them, never keeps them as best', () => {
    const es = new PGPE({ dim: 2, seed: 4, popSize: 6 });
    es.ask();
    const report = es.tell([NaN, 1, Infinity, 2, -Infinity, 0]);
    expect(report).toMatchObject({ nonFinite: 3, bestFitness: 2, worstFitness: 0, meanFitness: 1, skipped: false });
    expect(es.best!.fitness).toBe(2);
    expect(es.centre.every(Number.isFinite)).toBe(true);
    expect(es.std.every((s) => Number.isFinite(s) && s > 0)).toBe(true);
  });

  it('skips the update of a generation with no finite fitness (and still advances)', () => {
    const es = new PGPE({ dim: 2, seed: 4, popSize: 4 });
    const before = es.state();
    const first = es.ask();
    const report = es.tell([NaN, NaN, Infinity, -Infinity]);
    expect(report).toMatchObject({ skipped: true, nonFinite: 4, generation: 0 });
    expect(es.centre).toEqual(before.arrays.centre);
    expect(es.std).toEqual(before.arrays.stdev);
    expect(es.generation).toBe(1);
    expect(es.best).toBeNull();
    expect(es.ask()).not.toEqual(first); // the next generation draws new noise
  });

  it('rejects invalid configurations with every problem named, before any work', () => {
    expectPlasticityError(() => new PGPE({ dim: 0, seed: 1 }), 'E_PARAM', /dim must be an integer >= 1, got 0/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, popSize: 7 }), 'E_PARAM', /popSize must be an even integer >= 2 \(antithetic pairs\), got 7/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, initStd: 0 }), 'E_PARAM', /initStd must be a finite number > 0, got 0/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, initStd: [0.1, -1, 0.1] }), 'E_PARAM', /initStd\[1\] must be a finite number > 0, got -1/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, initCentre: [1, 2] }), 'E_PARAM', /initCentre must have length dim=3, got 2/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1.5 }), 'E_PARAM', /seed must be a safe integer, got 1.5/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, optimizer: 'rmsprop' as 'adam' }), 'E_PARAM', /optimizer must be one of "adam", "sgd", "clipup", got "rmsprop"/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, centreLr: NaN, stdMaxChange: 1 }), 'E_PARAM', /centreLr must be a finite number, got NaN; stdMaxChange must be in \[0, 1\), got 1/);
    expectPlasticityError(() => new PGPE({ dim: 3, seed: 1, stdLR: 0.1 } as never), 'E_PARAM', /unknown option 'stdLR'/);
  });

  it('rejects a bad tell and changes nothing', () => {
    const es = new PGPE({ dim: 2, seed: 5, popSize: 4 });
    expectPlasticityError(() => es.tell([1, 2, 3, 4]), 'E_PARAM', /call ask\(\) first/);
    const population = es.ask();
    const before = es.state();
    expectPlasticityError(() => es.tell([1, 2, 3]), 'E_SHAPE', /popSize=4\), got length 3/);
    expectPlasticityError(() => es.tell([1, 2, '3' as unknown as number, 4]), 'E_PARAM', /fitness\[2\] must be a number/);
    expect(es.state()).toEqual(before);
    expect(es.ask()).toEqual(population);
  });

  it("evojax's Adam bias correction keeps its first-step value for lrDecaySteps generations; 'per-generation' is textbook Adam", () => {
    const run = (mode: 'evojax' | 'per-generation') => {
      const es = new PGPE({ dim: 1, seed: 9, popSize: 2, initStd: 1, stdLr: 0, centreLr: 0.1, adamBiasCorrection: mode });
      const grads: number[] = [];
      const centres: number[] = [es.centre[0]!];
      for (let g = 0; g < 3; g++) {
        const before = es.centre[0]!;
        const [plus] = es.ask();
        // The member on the + side of the centre wins: ∇centre = 0.5·|noise| > 0.
        es.tell(plus![0]! > before ? [1, 0] : [0, 1]);
        grads.push(0.5 * Math.abs(plus![0]! - before));
        centres.push(es.centre[0]!);
      }
      return { grads, centres };
    };
    const adam = (grads: number[], index: (t: number) => number) => {
      let x = 0;
      let m = 0;
      let v = 0;
      const out = [x];
      grads.forEach((grad, t) => {
        const g = -grad;
        m = 0.1 * g + 0.9 * m;
        v = 0.001 * g * g + 0.999 * v;
        const i = index(t);
        x -= (0.1 * (m / (1 - 0.9 ** (i + 1)))) / (Math.sqrt(v / (1 - 0.999 ** (i + 1))) + 1e-8);
        out.push(x);
      });
      return out;
    };
    const evojax = run('evojax');
    const textbook = run('per-generation');
    expectClose(evojax.centres, adam(evojax.grads, () => 0), { atol: 1e-6 });
    expectClose(textbook.centres, adam(textbook.grads, (t) => t), { atol: 1e-6 });
    expect(evojax.centres[2]).not.toBeCloseTo(textbook.centres[2]!, 3);
  });

  it('ClipUp (evojax clipup): the first step has length centreLr, no step is longer than maxSpeed', () => {
    const es = new PGPE({ dim: 6, seed: 12, popSize: 16, initCentre: 2, optimizer: 'clipup', centreLr: 0.05, maxSpeed: 0.12 });
    const steps: number[] = [];
    for (let g = 0; g < 150; g++) {
      const before = es.centre;
      es.tell(es.ask().map(sphere));
      steps.push(Math.hypot(...Array.from(es.centre, (c, j) => c - before[j]!)));
    }
    expect(steps[0]).toBeCloseTo(0.05, 12);
    expect(Math.max(...steps)).toBeLessThanOrEqual(0.12 + 1e-12);
    expect(Math.max(...steps.slice(1, 20))).toBeCloseTo(0.12, 12); // momentum 0.9 (the default) builds up to the cap
    expect(-sphere(Float32Array.from(es.centre))).toBeLessThan(0.05); // from 24
  });
});
