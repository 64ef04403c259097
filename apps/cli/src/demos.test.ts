import { describe, expect, it } from 'vitest';
import { parseCommand, UsageError } from './args.js';
import { byBudget } from './demo.js';
import { DEMOS } from './demos/index.js';
import { mdCell, summaryTable, type DemoRecord } from './report.js';
import { chart, heatmap, histogram } from './svg.js';

const silent = { update() {}, finish() {} };

describe('demos', () => {
  for (const demo of DEMOS) {
    it(`${demo.name} runs (quick) and passes its own checks`, async () => {
      const figures: string[] = [];
      const log: string[] = [];
      const result = await demo.run({
        backend: 'cpu', budget: 'quick', progress: () => silent, log: (l) => log.push(l),
        figure: (name, svg) => { figures.push(name); expect(svg).toMatch(/^<svg/); expect(svg).not.toContain('NaN'); },
      });
      for (const [name, ok] of Object.entries(result.checks)) expect(ok, name).toBe(true);
      expect(Object.keys(result.metrics).length).toBeGreaterThan(0);
      expect(result.summary.figure.length).toBeGreaterThan(0);
      expect(result.summary.reference.length).toBeGreaterThan(0);
      // Every figure it writes is one it declares (the CLI clears declared figures before each run), and all of them.
      expect([...figures].sort()).toEqual([...demo.figures].sort());
      // Metrics are printed once by the CLI: log lines do not repeat them.
      for (const line of log) for (const key of Object.keys(result.metrics)) expect(line.startsWith(`${key}`), line).toBe(false);
      const metric = (key: string) => {
        const v = result.metrics[key];
        expect(typeof v, key).toBe('number');
        return v as number;
      };
      if (demo.name === 'spn-forecast') {
        for (const model of ['SPN', 'plasticity off', 'persistence']) {
          for (const part of ['before', 'after']) {
            const mse = metric(`MSE ${part} the change, ${model}`);
            expect(Number.isFinite(mse) && mse > 0 && mse < 1, `${part}, ${model}: ${mse}`).toBe(true);
          }
        }
        // Persistence does not depend on the budget: the series' noise (variance 0.01) plus the change.
        expect(metric('MSE after the change, persistence')).toBeCloseTo(0.0316, 3);
        expect(result.summary.reference).toMatch(/persistence/);
      }
      if (demo.name === 'pdlf-working-memory') {
        for (const key of ['held-out accuracy (best solution)', 'held-out accuracy, membranes reset after the delay']) {
          const a = metric(key);
          expect(a >= 0 && a <= 1, `${key}: ${a}`).toBe(true);
        }
        // Even the quick search (12 generations × 16) is above chance on 512 held-out recall items.
        expect(metric('held-out accuracy (best solution)')).toBeGreaterThan(0.544);
        expect(metric('generations')).toBe(12);
      }
      if (demo.name === 'bio-transforms') {
        expect(metric('Dale sign violations (rows with both signs)')).toBe(0);
        for (const key of ['test accuracy, plain Adam', 'test accuracy, BioTrainer (Dale + fuzzy-lr)']) {
          const a = metric(key);
          expect(a >= 0 && a <= 1, `${key}: ${a}`).toBe(true);
          expect(a, key).toBeGreaterThan(1 / 3 + 0.1); // three classes: chance is 1/3
        }
        expect(metric('W2 exactly 0 under Dale')).toBeGreaterThan(0);
      }
      if (demo.name === 'song-miller-abbott') {
        // The settled rate (second half of the run) is the one compared with Brian2's, and says over which window.
        expect(Object.keys(result.metrics).find((k) => k.startsWith('settled output rate'))).toMatch(/last 10 s/);
        expect(result.summary.figure).toMatch(/settled rate \d+(\.\d)? Hz/);
      }
    });
  }

  it('the foundation log does not repeat the backend or the checkpoint size', async () => {
    const log: string[] = [];
    await DEMOS.find((d) => d.name === 'foundation')!.run({ backend: 'cpu', budget: 'quick', progress: () => silent, figure: () => {}, log: (l) => log.push(l) });
    expect(log.join('\n')).not.toMatch(/backend|bytes/);
  });
});

describe('the budget', () => {
  const names = DEMOS.map((d) => d.name);
  const run = (...argv: string[]) => {
    const c = parseCommand(argv, names);
    if (c.kind !== 'run') throw new Error(c.kind);
    return c;
  };

  it('is default unless --budget or --quick says otherwise; --quick is --budget quick', () => {
    expect(run().budget).toBe('default');
    for (const b of ['quick', 'default', 'long'] as const) {
      expect(run('--budget', b).budget).toBe(b);
      expect(run(`--budget=${b}`, 'spn-forecast').budget).toBe(b);
    }
    expect(run('--quick').budget).toBe('quick');
    expect(run('--quick', '--budget', 'quick').budget).toBe('quick');
  });

  it('rejects a bad or missing value and a --quick that contradicts it', () => {
    expect(() => run('--budget', 'huge')).toThrow(new UsageError('--budget must be one of quick, default, long, got "huge"'));
    expect(() => run('--budget')).toThrow(UsageError);
    expect(() => run('--quick', '--budget', 'long')).toThrow(/--quick is --budget quick/);
  });

  it('picks the value for the budget', () => {
    expect(['quick', 'default', 'long'].map((b) => byBudget(b as 'quick', 1, 2, 3))).toEqual([1, 2, 3]);
  });
});

describe('report', () => {
  it('escapes | in Markdown table cells', () => {
    expect(mdCell('max |ΔW| between formats')).toBe('max \\|ΔW\\| between formats');
    const row = `| ${mdCell('max |ΔW|')} | ${mdCell(0)} |`;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(4); // two cells
  });

  it('prints the summary table with one row per demo', () => {
    const record: DemoRecord = {
      name: 'x', title: 'X', description: '', seconds: 1, figures: [], log: [],
      result: { metrics: {}, checks: { ok: true }, summary: { figure: 'f = 1', reference: 'f = 1' } },
    };
    const failed: DemoRecord = { ...record, name: 'y', error: 'boom', result: undefined };
    const lines = summaryTable([record, failed]).split('\n');
    expect(lines[0]).toMatch(/^demo\s+key figure\s+reference\s+result$/);
    expect(lines[2]).toMatch(/^x\s+f = 1\s+f = 1\s+pass$/);
    expect(lines[3]).toMatch(/^y\s+error: boom\s+FAIL$/);
  });
});

describe('svg charts', () => {
  it('render empty, single-point and constant series without NaN coordinates', () => {
    for (const series of [[], [{ label: 'one', x: [1], y: [2] }], [{ label: 'flat', x: [0, 1, 2], y: [3, 3, 3], style: 'bars' as const }]]) {
      const svg = chart(series, { title: 't', xLabel: 'x', yLabel: 'y' });
      expect(svg).not.toContain('NaN');
      expect(svg).toContain('</svg>');
    }
    expect(heatmap([], { title: 't', xLabel: 'x', yLabel: 'y', valueLabel: 'v', x: [], y: [], min: 0, max: 1 })).not.toContain('NaN');
  });

  it('breaks a line at non-finite values and labels categorical axes', () => {
    const svg = chart([{ label: 'split', x: [0, 1, 2, 3], y: [1, 2, NaN, 4] }], { title: 't', xLabel: 'x', yLabel: 'y' });
    expect(svg.match(/M/g)).toHaveLength(2);
    const bars = chart([{ label: 'ms', x: [0, 1, 2], y: [1, 2, 3], style: 'bars' }], { title: 't', xLabel: 'x', yLabel: 'y', xCategories: ['CSR', 'COO', 'Dense'] });
    for (const c of ['CSR', 'COO', 'Dense']) expect(bars).toContain(`>${c}</text>`);
  });

  it('bins values with the upper edge in the last bin', () => {
    expect(histogram([0, 0.1, 0.5, 0.99, 1, 2], 0, 1, 2)).toEqual({ x: [0.25, 0.75], y: [2, 3] });
  });
});
