// The built CLI as a user runs it: a child process, its exit code, stdout and stderr, and the files it leaves.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const cliDir = fileURLToPath(new URL('..', import.meta.url));
const main = path.join(cliDir, 'dist', 'main.js');
const work = mkdtempSync(path.join(os.tmpdir(), 'plasticity-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: work, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // turbo builds before testing; a bare `npx vitest run` in a fresh checkout builds here.
  if (!existsSync(main)) spawnSync('npx', ['tsup'], { cwd: cliDir, stdio: 'ignore' });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('command line errors', () => {
  for (const [args, message] of [
    [['--bogus'], 'error: unknown option --bogus'],
    [['--backend'], 'error: --backend needs a value'],
    [['--backend', 'tpu'], 'error: --backend must be one of auto, webgpu, wasm, cpu, got "tpu"'],
    [['--quick=yes'], 'error: --quick takes no value'],
    [['--budget', 'huge'], 'error: --budget must be one of quick, default, long, got "huge"'],
    [['--budget'], 'error: --budget needs a value'],
    [['--budget', 'long', '--quick'], 'error: --quick is --budget quick: it contradicts --budget long'],
    [['nosuchdemo'], 'error: unknown demo(s): nosuchdemo;'],
  ] as const) {
    it(`${args.join(' ')}: one line, the usage, exit code 2, no stack trace`, () => {
      const r = cli(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(message);
      expect(r.stderr).toContain('Usage: pnpm demo');
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.stdout).toBe('');
    });
  }

  it('accepts the `--` npm and pnpm pass through (`pnpm demo -- --list`)', () => {
    const r = cli('--', '--list');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^foundation\s/m);
    expect(r.stdout).toMatch(/^song-miller-abbott\s/m);
    for (const name of ['spn-forecast', 'pdlf-working-memory', 'bio-transforms']) expect(r.stdout).toMatch(new RegExp(`^${name}\\s`, 'm'));
  });

  it('--help lists every backend it accepts', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--backend auto|webgpu|wasm|cpu');
    expect(r.stdout).toContain('--budget quick|default|long');
  });
});

describe('backends', () => {
  it('an explicitly requested backend that cannot start is an error, not a silent fallback', () => {
    // Node has no navigator.gpu: WebGPU cannot start in this process.
    const r = cli('--backend', 'webgpu', '--quick', 'foundation', '--out', 'webgpu-out');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: --backend webgpu cannot start here: .*navigator\.gpu is missing/m);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(work, 'webgpu-out', 'report.md'))).toBe(false);
  });

  it('auto falls back and says why', () => {
    const r = cli('--quick', 'stdp-window', '--out', 'auto-out');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^backend auto: webgpu skipped: navigator\.gpu is missing/m);
    expect(r.stderr).toMatch(/on the wasm backend/);
    expect(readFileSync(path.join(work, 'auto-out', 'report.md'), 'utf8')).toMatch(/Backend: wasm \(auto\); webgpu skipped/);
  });
});

describe('a run', () => {
  it('records its budget, and the new packages\' demos write their figures', () => {
    const r = cli('--budget', 'quick', '--backend', 'cpu', 'pdlf-working-memory', '--out', 'budget-out');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('quick budget');
    const json = JSON.parse(readFileSync(path.join(work, 'budget-out', 'report.json'), 'utf8'));
    expect(json.run).toMatchObject({ budget: 'quick', quick: true, demos: ['pdlf-working-memory'] });
    expect(readFileSync(path.join(work, 'budget-out', 'report.md'), 'utf8')).toContain('Run: **quick** budget');
    expect(existsSync(path.join(work, 'budget-out', 'pdlf-fitness.png'))).toBe(true);
    expect(r.stdout).toMatch(/^pdlf-working-memory\s+held-out accuracy 0\.\d+, membranes reset 0\.\d+ .*\spass$/m);
  });

  it('writes a consistent output folder and records its options', () => {
    const out = path.join(work, 'out');
    const first = cli('--quick', '--backend', 'cpu', 'foundation', 'sparse-events', '--out', 'out');
    expect(first.code, first.stderr).toBe(0);
    for (const f of ['rng-normal.svg', 'rng-normal.png', 'sparse-timing.svg', 'sparse-timing.png', 'report.html']) expect(existsSync(path.join(out, f)), f).toBe(true);
    writeFileSync(path.join(out, 'notes.txt'), 'mine');

    // A second, partial run leaves no figure of the first beside its report, and nothing it does not own is touched.
    const second = cli('--quick', '--backend', 'cpu', 'foundation', '--out', 'out');
    expect(second.code, second.stderr).toBe(0);
    expect(existsSync(path.join(out, 'sparse-timing.svg'))).toBe(false);
    expect(existsSync(path.join(out, 'sparse-timing.png'))).toBe(false);
    expect(existsSync(path.join(out, 'rng-normal.png'))).toBe(true);
    expect(readFileSync(path.join(out, 'notes.txt'), 'utf8')).toBe('mine');

    const report = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('Run: **quick** budget');
    expect(report).toContain('Demos: foundation only (a partial run)');
    expect(report).toContain('Backend: cpu (requested)');
    expect(report).toMatch(/Date: \d{4}-\d\d-\d\dT/);
    expect(report).not.toContain('sparse-timing');
    const json = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(json.run).toMatchObject({ budget: 'quick', quick: true, backend: 'cpu', demos: ['foundation'], allDemos: false });
    expect(json.files).toContain('rng-normal.png');
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('<img src="rng-normal.svg"');

    // The PNG is a real image at twice the SVG's size.
    const png = readFileSync(path.join(out, 'rng-normal.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280);

    // The summary table is what stdout holds.
    const lines = second.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^demo\s+key figure\s+reference\s+result$/);
    expect(lines[2]).toMatch(/^foundation\s.*\spass$/);
    expect(lines).toHaveLength(3);

    // The foundation demo says the backend and the checkpoint size once each.
    const section = second.stderr.slice(second.stderr.indexOf('▶ Foundation'));
    expect(section.match(/\bbackend\b/g)).toHaveLength(1); // the metric
    expect(section.match(/bytes/g)).toHaveLength(1);
  });
});
