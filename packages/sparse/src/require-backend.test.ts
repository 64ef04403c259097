import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const distEntry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('without a tfjs backend', () => {
  it('creating any connection throws E_BACKEND telling the user to call initBackend(); after it, the same calls work', () => {
    // A fresh Node process: nothing has started a backend (vitest's setup file would have).
    const script = `
      const sparse = await import(${JSON.stringify(distEntry)});
      const core = await import('@plasticity/core');
      const coo = { nPre: 2, nPost: 2, pre: Int32Array.of(0, 1), post: Int32Array.of(1, 0), weights: Float32Array.of(0.5, 0.25) };
      const calls = {
        dense: () => sparse.DenseConnection.fromDense([[1, 2], [3, 4]]),
        denseRandom: () => sparse.DenseConnection.random({ nPre: 3, nPost: 3, p: 0.5, seed: 1 }),
        csr: () => sparse.CSRConnection.fromCoo(coo),
        csrRandom: () => sparse.CSRConnection.random({ nPre: 3, nPost: 3, p: 0.5, seed: 1 }),
        coo: () => sparse.COOConnection.fromCoo(coo),
      };
      const before = {};
      for (const [name, make] of Object.entries(calls)) {
        try { make(); before[name] = 'no error'; } catch (e) { before[name] = { code: e.code, message: e.message }; }
      }
      await core.initBackend('cpu');
      const after = {};
      for (const [name, make] of Object.entries(calls)) { const c = make(); after[name] = c.nnz; c.dispose(); }
      console.log(JSON.stringify({ before, after }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: packageDir, encoding: 'utf8' });
    const { before, after } = JSON.parse(out.trim().split('\n').pop()!);
    for (const [name, what] of [['dense', 'DenseConnection'], ['denseRandom', 'DenseConnection'], ['csr', 'CSR or COO connection'], ['csrRandom', 'CSR or COO connection'], ['coo', 'CSR or COO connection']]) {
      expect(before[name!].code, name).toBe('E_BACKEND');
      expect(before[name!].message, name).toMatch(new RegExp(`^E_BACKEND: creating a ${what} needs a TensorFlow\\.js backend and none is started .*await initBackend\\(\\)`));
    }
    expect(after).toMatchObject({ dense: 4, csr: 2, coo: 2 });
    expect(after.denseRandom).toBe(9);
  });
});
