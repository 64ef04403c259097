import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const distEntry = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

describe('without a tfjs backend', () => {
  it("every neuron model's tensor init throws E_BACKEND naming the model and initBackend(); after it, init works", () => {
    // A fresh Node process: nothing has started a backend (vitest's setup file would have).
    const script = `
      const snn = await import(${JSON.stringify(distEntry)});
      const core = await import('@plasticity/core');
      const before = {};
      for (const neuron of snn.NEURONS) {
        try { neuron.init({ n: 3, batch: 1 }, neuron.defaults); before[neuron.name] = 'no error'; }
        catch (e) { before[neuron.name] = { code: e.code, message: e.message }; }
      }
      await core.initBackend('cpu');
      const after = {};
      for (const neuron of snn.NEURONS) {
        const state = neuron.init({ n: 3, batch: 1 }, neuron.defaults);
        after[neuron.name] = Object.values(state).map((t) => t.size);
      }
      console.log(JSON.stringify({ before, after }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    const { before, after } = JSON.parse(out.trim().split('\n').pop()!);
    expect(Object.keys(before).sort()).toEqual(['core/adaptive-lif', 'core/conductance-lif', 'core/lif', 'core/ternary-lif']);
    for (const [name, result] of Object.entries(before) as [string, { code: string; message: string }][]) {
      expect(result.code, name).toBe('E_BACKEND');
      expect(result.message, name).toContain(`E_BACKEND: ${name} init (tensor path) needs a TensorFlow.js backend and none is started`);
      expect(result.message, name).toContain('await initBackend()');
      expect(after[name].every((size: number) => size === 3), name).toBe(true);
    }
  });
});
