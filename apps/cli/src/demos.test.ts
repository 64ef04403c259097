import { describe, expect, it } from 'vitest';
import { DEMOS } from './demos/index.js';
import { chart, histogram } from './svg.js';

const silent = { update() {}, finish() {} };

describe('demos', () => {
  for (const demo of DEMOS) {
    it(`${demo.name} runs (quick) and passes its own checks`, async () => {
      const figures: string[] = [];
      const result = await demo.run({ backend: 'cpu', quick: true, progress: () => silent, figure: (f, svg) => { figures.push(f); expect(svg).toMatch(/^<svg/); }, log: () => {} });
      for (const [name, ok] of Object.entries(result.checks)) expect(ok, name).toBe(true);
      expect(Object.keys(result.metrics).length).toBeGreaterThan(0);
      expect(figures.length).toBeGreaterThan(0);
    });
  }
});

describe('svg charts', () => {
  it('render empty, single-point and constant series without NaN coordinates', () => {
    for (const series of [[], [{ label: 'one', x: [1], y: [2] }], [{ label: 'flat', x: [0, 1, 2], y: [3, 3, 3], style: 'bars' as const }]]) {
      const svg = chart(series, { title: 't', xLabel: 'x', yLabel: 'y' });
      expect(svg).not.toContain('NaN');
      expect(svg).toContain('</svg>');
    }
  });

  it('bins values with the upper edge in the last bin', () => {
    expect(histogram([0, 0.1, 0.5, 0.99, 1, 2], 0, 1, 2)).toEqual({ x: [0.25, 0.75], y: [2, 3] });
  });
});
