// packages/snn/README.md documents every neuron model's parameters and defaults: the table must match the code.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { adaptiveLif, conductanceLif, lif, ternaryLif } from '@plasticity/snn';
import { describe, expect, it } from 'vitest';

const readme = readFileSync(fileURLToPath(new URL('../../../packages/snn/README.md', import.meta.url)), 'utf8');

/** model name → parameter → default as written in the README's defaults table. */
function documented(): Map<string, Map<string, string>> {
  const section = readme.slice(readme.indexOf('## Neuron parameters and their defaults'));
  const table = section.slice(0, section.indexOf('\n## ', 3));
  const out = new Map<string, Map<string, string>>();
  let model = '';
  for (const line of table.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4 || cells[1] === 'parameter' || cells[1]!.startsWith('---')) continue;
    if (cells[0]) model = /`([^`]+)`/.exec(cells[0])![1]!;
    if (!out.has(model)) out.set(model, new Map());
    out.get(model)!.set(cells[1]!.replace(/`/g, ''), cells[2]!);
  }
  return out;
}

describe('snn README', () => {
  it('lists every neuron model parameter with its default', () => {
    const table = documented();
    for (const model of [lif, conductanceLif, adaptiveLif, ternaryLif]) {
      const rows = table.get(model.name);
      expect(rows, `${model.name} has rows`).toBeDefined();
      const defaults = model.defaults as Record<string, unknown>;
      expect([...rows!.keys()].sort(), model.name).toEqual(Object.keys(defaults).sort());
      for (const [param, value] of Object.entries(defaults)) {
        const cell = rows!.get(param)!.replace(/`/g, '').split(' ')[0]!;
        expect(typeof value === 'string' ? cell.replace(/'/g, '') : Number(cell), `${model.name}.${param}`).toBe(value);
      }
    }
  });

  it('documents the three monitors and how they are made', () => {
    for (const s of ['SpikeMonitor', 'StateMonitor', 'WeightMonitor', 'monitorSpikes(', 'monitorState(', 'monitorWeights(']) expect(readme).toContain(s);
  });
});
