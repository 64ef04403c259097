// Each library package, packed as it would be published, installs and works alone in a fresh project.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@plasticity/core';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const LIBRARIES = ['core', 'sparse', 'snn', 'rules'];
const TFJS = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'];
const work = mkdtempSync(path.join(os.tmpdir(), 'plasticity-packed-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

const SMOKE = `
import * as core from '@plasticity/core';
const name = await core.initBackend('auto', { log: () => {} });
const registry = core.createRegistry();
const report = { backend: name, packages: {} };
for (const pkg of PACKAGES) {
  const mod = await import(pkg);
  if (typeof mod.registerBuiltins === 'function') mod.registerBuiltins(registry);
  report.packages[pkg] = Object.keys(mod).length;
}
report.plugins = registry.list().map((p) => p.name);
const rng = core.createRng(1);
report.draw = Array.from(rng.uniform(2));
console.log(JSON.stringify(report));
`;

describe('packed packages', () => {
  it('install from their tarballs into a fresh project and run in plain Node', () => {
    for (const lib of LIBRARIES) {
      execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: path.join(root, 'packages', lib), stdio: 'pipe' });
    }
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz')).map((f) => path.join(work, f));
    expect(tarballs).toHaveLength(LIBRARIES.length);
    const project = path.join(work, 'app');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...TFJS], { cwd: project, stdio: 'pipe' });
    const packages = LIBRARIES.map((l) => `@plasticity/${l}`);
    writeFileSync(path.join(project, 'smoke.mjs'), `const PACKAGES = ${JSON.stringify(packages)};\n${SMOKE}`);
    const out = execFileSync(process.execPath, ['smoke.mjs'], { cwd: project, encoding: 'utf8' });
    const report = JSON.parse(out.trim().split('\n').pop()!);
    expect(report.backend).toBe('wasm');
    for (const pkg of packages) expect(report.packages[pkg]).toBeGreaterThan(0);
    expect(report.draw).toEqual(Array.from(createRng(1).uniform(2))); // same stream as the workspace build
    expect(report.plugins.length).toBeGreaterThan(0);

    // Every package README's first example runs, unchanged but for its types, against the tarballs.
    for (const lib of LIBRARIES) {
      const readme = readFileSync(path.join(root, 'packages', lib, 'README.md'), 'utf8');
      const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(readme);
      expect(block, `${lib} README has a code example`).not.toBeNull();
      const js = ts.transpileModule(block![1]!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const file = path.join(project, `readme-${lib}.mjs`);
      writeFileSync(file, js);
      const printed = execFileSync(process.execPath, [file], { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
      expect(printed.trim().length, `${lib} README example prints its result`).toBeGreaterThan(0);
    }
  }, 300_000);
});
