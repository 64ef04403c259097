// Each library package, packed as it would be published (the READMEs' install path: `pnpm tarballs`),
// installs and works alone in a fresh npm project outside the workspace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@plasticity/core';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const LIBRARIES = ['core', 'sparse', 'snn', 'rules', 'pdlf', 'bio', 'spn'];
const TFJS = ['@tensorflow/tfjs-core@4.22.0', '@tensorflow/tfjs-backend-cpu@4.22.0', '@tensorflow/tfjs-backend-wasm@4.22.0'];
const work = mkdtempSync(path.join(os.tmpdir(), 'plasticity-packed-'));
const tarballDir = path.join(work, 'tarballs');
const tarballs = new Map<string, string>(); // '@plasticity/core' → path

// Several node_modules trees: removing them takes more than the default hook time on a slow disk.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

beforeAll(() => {
  // The packages are built (turbo runs `build` before `test`); this is the READMEs' `pnpm tarballs` minus the build.
  execFileSync('pnpm', ['run', '--silent', 'tarballs:pack'], { cwd: root, stdio: 'pipe', env: { ...process.env, TARBALLS: tarballDir } });
  for (const f of readdirSync(tarballDir)) {
    const name = /^plasticity-([a-z]+)-\d/.exec(f)?.[1];
    if (name) tarballs.set(`@plasticity/${name}`, path.join(tarballDir, f));
  }
}, 120_000);

/** The packed package.json of a tarball (what npm would read from the registry). */
function packedManifest(tarball: string): { name: string; license?: string; repository?: { url: string; directory?: string }; peerDependencies?: Record<string, string> } {
  return JSON.parse(execFileSync('tar', ['-xOzf', tarball, 'package/package.json'], { encoding: 'utf8' }));
}
const tarballFiles = (tarball: string) => execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');

function freshProject(name: string, install: string[]): string {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...install], { cwd: dir, stdio: 'pipe' });
  return dir;
}

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
  it('are packed with the README, the LICENSE, the license and repository fields, and no workspace: ranges', () => {
    expect([...tarballs.keys()].sort()).toEqual(LIBRARIES.map((l) => `@plasticity/${l}`).sort());
    for (const [pkg, tarball] of tarballs) {
      const files = tarballFiles(tarball);
      for (const f of ['package/LICENSE', 'package/README.md', 'package/package.json', 'package/dist/index.js', 'package/dist/index.d.ts']) expect(files, `${pkg}: ${f}`).toContain(f);
      const manifest = packedManifest(tarball);
      expect(manifest.license).toBe('MIT');
      expect(manifest.repository?.url).toMatch(/^git\+https:\/\/.+\.git$/);
      expect(manifest.repository?.directory).toBe(`packages/${pkg.slice('@plasticity/'.length)}`);
      expect(JSON.stringify(manifest)).not.toContain('workspace:');
    }
  });

  for (const lib of LIBRARIES) {
    it(`@plasticity/${lib} installs alone (with only its peer dependencies) and imports in plain Node`, () => {
      const pkg = `@plasticity/${lib}`;
      const peers = Object.keys(packedManifest(tarballs.get(pkg)!).peerDependencies ?? {}).filter((p) => p.startsWith('@plasticity/'));
      const project = freshProject(`alone-${lib}`, [tarballs.get(pkg)!, ...peers.map((p) => tarballs.get(p)!), ...TFJS]);
      const installed = readdirSync(path.join(project, 'node_modules', '@plasticity')).sort();
      expect(installed).toEqual([lib, ...peers.map((p) => p.slice('@plasticity/'.length))].sort());
      writeFileSync(path.join(project, 'smoke.mjs'), `const PACKAGES = ${JSON.stringify([pkg])};\n${SMOKE}`);
      const out = execFileSync(process.execPath, ['smoke.mjs'], { cwd: project, encoding: 'utf8' });
      const report = JSON.parse(out.trim().split('\n').pop()!);
      expect(report.backend).toBe('wasm');
      expect(report.packages[pkg]).toBeGreaterThan(0);
      expect(report.draw).toEqual(Array.from(createRng(1).uniform(2))); // same stream as the workspace build

      if (lib === 'rules') {
        // The root README's custom rule, registered beside the built-in rules, with only rules and its peers installed.
        const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
        const block = /## Extending: your own rule\n+```ts\n([\s\S]*?)```/.exec(readme);
        expect(block, 'root README has the custom rule example').not.toBeNull();
        const js = ts.transpileModule(`${block![1]!}
import { registerBuiltins } from '@plasticity/rules';
registerBuiltins(registry);
console.log(JSON.stringify({ plugins: registry.list().map((p) => p.name), params: params }));
`, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
        writeFileSync(path.join(project, 'custom-rule.mjs'), js);
        const custom = JSON.parse(execFileSync(process.execPath, ['custom-rule.mjs'], { cwd: project, encoding: 'utf8' }).trim().split('\n').pop()!);
        expect(custom.plugins).toContain('acme/decay');
        expect(custom.plugins).toContain('core/stdp');
        expect(custom.params).toEqual({ tauMs: 250 });
      }
      if (lib === 'pdlf') {
        // The README's worker-pool example from the installed tarball: dist/worker-node.js must resolve beside
        // dist/node.js, the fitness module loads in the workers, the checkpoint file resumes on a second run.
        const readme = readFileSync(path.join(root, 'packages/pdlf/README.md'), 'utf8');
        const blocks = [...readme.matchAll(/```(?:ts|js)\n([\s\S]*?)```/g)].map((m) => m[1]!);
        const fitness = blocks.find((b) => b.startsWith('// fitness.mjs'));
        const pooled = blocks.find((b) => b.includes('createNodeWorkerPool'));
        expect(fitness && pooled, 'pdlf README has the fitness module and the pool example').toBeTruthy();
        writeFileSync(path.join(project, 'fitness.mjs'), fitness!);
        const js = ts.transpileModule(pooled!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
        const run = (generations: number) => {
          writeFileSync(path.join(project, 'pooled.mjs'), js.replace('maxGenerations: 200', `maxGenerations: ${generations}`));
          return execFileSync(process.execPath, ['pooled.mjs'], { cwd: project, encoding: 'utf8' }).trim().split('\n');
        };
        const first = run(4);
        expect(first[0]).toMatch(/^gen 1 best /);
        expect(first.at(-1)).toMatch(/^max-generations 4 /);
        const second = run(8); // resumes from the checkpoint written when the first run stopped
        expect(second[0]).toMatch(/^gen 5 best /);
        expect(second.at(-1)).toMatch(/^max-generations 8 /);
      }
      if (lib === 'core') {
        // Quiet by default: initBackend() in Node says nothing about skipping WebGPU unless given a log.
        writeFileSync(path.join(project, 'quiet.mjs'), "import { initBackend } from '@plasticity/core';\nconsole.log(await initBackend());\n");
        const quiet = spawnSync(process.execPath, ['quiet.mjs'], { cwd: project, encoding: 'utf8' });
        expect(quiet.status).toBe(0);
        expect(quiet.stdout.trim()).toBe('wasm');
        expect(quiet.stderr).toBe('');
        writeFileSync(path.join(project, 'loud.mjs'), "import { initBackend } from '@plasticity/core';\nawait initBackend('auto', { log: console.warn });\n");
        expect(spawnSync(process.execPath, ['loud.mjs'], { cwd: project, encoding: 'utf8' }).stderr).toMatch(/backend 'webgpu' skipped: navigator\.gpu is missing/);
      }
    }, 300_000);
  }

  let all: string | undefined;
  const allProject = () => (all ??= freshProject('all', [...tarballs.values(), ...TFJS]));

  it('together import and register every package', () => {
    const project = allProject();
    writeFileSync(path.join(project, 'smoke.mjs'), `const PACKAGES = ${JSON.stringify([...tarballs.keys()])};\n${SMOKE}`);
    const report = JSON.parse(execFileSync(process.execPath, ['smoke.mjs'], { cwd: project, encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(report.plugins).toEqual(expect.arrayContaining(['core/stdp', 'core/pdp', 'bio/dale']));
  });

  it("run the user rules of apps/examples (my-stdp.mjs, my-lazy-stdp.mjs) fused, the lazy one equal to core/stdp's default kernel", () => {
    const project = allProject();
    for (const f of ['my-stdp.mjs', 'my-lazy-stdp.mjs']) writeFileSync(path.join(project, f), readFileSync(new URL(f, import.meta.url), 'utf8'));
    writeFileSync(path.join(project, 'user-rules.mjs'), `
import { createRegistry, initBackend } from '@plasticity/core';
import { registerBuiltins } from '@plasticity/rules';
import { Network, lif } from '@plasticity/snn';
import { DenseConnection } from '@plasticity/sparse';
import { myStdp } from './my-stdp.mjs';
import { myLazyStdp } from './my-lazy-stdp.mjs';
await initBackend('cpu', { log: () => {} });
const registry = createRegistry();
registerBuiltins(registry);
registry.register(myStdp);
registry.register(myLazyStdp);
async function run(rule) {
  const net = new Network({ dtMs: 0.5, seed: 11, registry, fallback: 'error' });
  net.addPoisson('in', { n: 60, rateHz: 40 });
  net.addPopulation('out', { n: 12, neuron: lif, params: { tauMMs: 10 } });
  const c = DenseConnection.random({ nPre: 60, nPost: 12, p: 1, seed: 2, init: { dist: 'uniform', low: 1, high: 5 } });
  net.connect('in', 'out', { connection: c, rule, ruleParams: { aPlus: 0.2, aMinus: 0.25, wMin: 0, wMax: 8 } });
  await net.run(300);
  return { w: Array.from(await c.getWeights()), engine: net.engineReport()[0].engine };
}
const lazy = await run('acme/my-lazy-stdp'), builtin = await run('core/stdp'), plain = await run('acme/my-stdp');
console.log(JSON.stringify({ engines: [lazy.engine, plain.engine], same: lazy.w.every((v, k) => v === builtin.w[k]), moved: lazy.w.filter((v, k) => v !== plain.w[k]).length }));
`);
    const r = JSON.parse(execFileSync(process.execPath, ['user-rules.mjs'], { cwd: project, encoding: 'utf8' }).trim().split('\n').pop()!);
    expect(r.engines).toEqual(['fused', 'fused']);
    expect(r.same).toBe(true);
    expect(r.moved).toBeGreaterThan(0); // the lazy and direct kernels round differently: the comparison can tell them apart
  });

  /** The README's `npm i $PLASTICITY/tarballs/…` command (continuation lines joined) as install arguments. */
  function readmeInstall(readme: string, lib: string): string[] {
    const m = /npm i (\$PLASTICITY(?:[^\n\\]|\\\n)*)/.exec(readme);
    expect(m, `${lib} README has an npm i $PLASTICITY/tarballs/… line`).not.toBeNull();
    return m![1]!.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean).map((arg) => {
      const t = /^\$PLASTICITY\/tarballs\/plasticity-([a-z]+)-\*\.tgz$/.exec(arg);
      return t ? tarballs.get(`@plasticity/${t[1]}`)! : arg;
    });
  }

  it('each package, installed exactly as its README says, runs its README example unchanged but for its types', () => {
    for (const lib of LIBRARIES) {
      const readme = readFileSync(path.join(root, 'packages', lib, 'README.md'), 'utf8');
      // The install section names this way of installing (nothing is on npm yet).
      expect(readme, `${lib} README install section`).toContain('pnpm tarballs');
      expect(readme).toContain(`$PLASTICITY/tarballs/plasticity-${lib}-*.tgz`);
      const project = freshProject(`readme-${lib}`, readmeInstall(readme, lib));
      const block = /```(?:ts|js)\n([\s\S]*?)```/.exec(readme);
      expect(block, `${lib} README has a code example`).not.toBeNull();
      const js = ts.transpileModule(block![1]!, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
      const file = path.join(project, `readme-${lib}.mjs`);
      writeFileSync(file, js);
      const run = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 120_000 });
      expect(run.error?.message ?? run.status, `${lib} README example exits 0\n${run.stderr}`).toBe(0);
      expect(run.stdout.trim().length, `${lib} README example prints its result`).toBeGreaterThan(0);
      expect(run.stderr, `${lib} README example: no tfjs-node advert`).not.toContain('tfjs-node');
    }
  }, 300_000);

  it('bundle for the browser with Vite, keeping the gradients initBackend loads on demand', async () => {
    const project = allProject();
    writeFileSync(path.join(project, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n');
    writeFileSync(path.join(project, 'main.js'), [
      "import { createRegistry, initBackend } from '@plasticity/core';",
      "import { CSRConnection } from '@plasticity/sparse';",
      "import { Network, lif } from '@plasticity/snn';",
      "import { registerBuiltins, stdp } from '@plasticity/rules';",
      "import { PGPE, WorkerPool, webWorkerFactory } from '@plasticity/pdlf';",
      "import { serveWebWorker } from '@plasticity/pdlf/worker';",
      "import { BioTrainer, registerBuiltins as registerBio } from '@plasticity/bio';",
      "import { SynapticPlasticityNetwork } from '@plasticity/spn';",
      'const registry = createRegistry();',
      'registerBuiltins(registry);',
      'registerBio(registry);',
      'globalThis.plasticity = { initBackend, CSRConnection, Network, lif, stdp, PGPE, WorkerPool, webWorkerFactory, serveWebWorker, BioTrainer, SynapticPlasticityNetwork, plugins: registry.list().map((p) => p.name) };',
    ].join('\n'));
    const { build } = await import('vite');
    const result = await build({ root: project, logLevel: 'silent', build: { outDir: path.join(project, 'dist'), emptyOutDir: true } });
    const chunks = (Array.isArray(result) ? result : [result]).flatMap((r) => ('output' in r ? r.output : [])).filter((o) => o.type === 'chunk');
    expect(chunks.length).toBeGreaterThan(0);
    // core's gradients are a lazily imported chunk with side effects only: a bundler must not empty it.
    const gradients = chunks.find((c) => c.fileName.includes('gradients-bundle'));
    expect(gradients, 'the gradients chunk').toBeDefined();
    expect(gradients!.code.length).toBeGreaterThan(10_000);
    const code = chunks.map((c) => c.code).join('\n');
    for (const name of ['core/stdp', 'core/pdp', 'bio/dale']) expect(code).toContain(name);
  }, 300_000);
});
