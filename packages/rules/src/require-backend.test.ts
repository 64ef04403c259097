import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('without a tfjs backend', () => {
  it("every built-in rule's init throws E_BACKEND naming the rule and initBackend(); after it, init works", () => {
    // A fresh Node process: nothing has started a backend (vitest's setup file would have).
    const script = `
      const rules = await import(${JSON.stringify(distEntry)});
      const core = await import('@plasticity/core');
      const dims = { nPre: 3, nPost: 2, batch: 1 };
      const before = {};
      for (const rule of rules.BUILTIN_RULES) {
        try { rule.init(dims, rule.defaults); before[rule.name] = 'no error'; } catch (e) { before[rule.name] = { code: e.code, message: e.message }; }
      }
      // Bad parameters are still reported as such first.
      let badParams;
      try { rules.stdp.init(dims, { ...rules.stdp.defaults, tauPlusMs: -1 }); } catch (e) { badParams = e.code; }
      await core.initBackend('cpu');
      const after = {};
      for (const rule of rules.BUILTIN_RULES) after[rule.name] = Object.keys(rule.init(dims, rule.defaults)).length;
      console.log(JSON.stringify({ before, badParams, after }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    const { before, badParams, after } = JSON.parse(out.trim().split('\n').pop()!);
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(7);
    for (const [name, result] of Object.entries(before) as [string, { code: string; message: string }][]) {
      expect(result.code, name).toBe('E_BACKEND');
      expect(result.message, name).toContain(`E_BACKEND: ${name} init needs a TensorFlow.js backend and none is started`);
      expect(result.message, name).toContain('await initBackend()');
      expect(after[name], name).toBeGreaterThan(0);
    }
    expect(badParams).toBe('E_PARAM');
  });
});
