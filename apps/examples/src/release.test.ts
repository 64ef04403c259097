// A dry-run release: `changeset version` on a copy of the workspace's manifests and changesets, then a look
// at what it bumped. Nothing in the checkout changes.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const changesetBin = path.join(root, 'node_modules', '.bin', 'changeset');
const work = mkdtempSync(path.join(os.tmpdir(), 'plasticity-release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Manifest { name: string; version: string; private?: boolean; peerDependencies?: Record<string, string> }

/** Every workspace package directory (pnpm-workspace.yaml's patterns: `dir/*` or `dir`). */
function workspaceDirs(): string[] {
  const patterns = [...readFileSync(path.join(root, 'pnpm-workspace.yaml'), 'utf8').matchAll(/^\s*-\s*['"]?([^'"\n]+?)['"]?\s*$/gm)].map((m) => m[1]!);
  return patterns.flatMap((p) => p.endsWith('/*')
    ? readdirSync(path.join(root, p.slice(0, -2)), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${p.slice(0, -2)}/${e.name}`)
    : [p]).filter((d) => existsSync(path.join(root, d, 'package.json')));
}

/** A copy of the workspace (manifests, changeset config) with the given changesets (file name → text). */
function copyWorkspace(name: string, changesets: Record<string, string>): { dir: string; dirs: string[] } {
  const dir = path.join(work, name);
  const dirs = workspaceDirs();
  for (const f of ['package.json', 'pnpm-workspace.yaml', ...dirs.map((d) => `${d}/package.json`)]) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    cpSync(path.join(root, f), path.join(dir, f));
  }
  mkdirSync(path.join(dir, '.changeset'));
  cpSync(path.join(root, '.changeset', 'config.json'), path.join(dir, '.changeset', 'config.json'));
  for (const [file, text] of Object.entries(changesets)) writeFileSync(path.join(dir, '.changeset', file), text);
  return { dir, dirs };
}

const manifest = (dir: string, d: string): Manifest => JSON.parse(readFileSync(path.join(dir, d, 'package.json'), 'utf8'));

/** Runs `changeset version` in the copy; returns name → [before, after] for every package whose version changed. */
function dryRun(name: string, changesets: Record<string, string>): { bumped: Map<string, [string, string]>; dir: string; dirs: string[] } {
  const { dir, dirs } = copyWorkspace(name, changesets);
  const before = new Map(dirs.map((d) => [d, manifest(dir, d)]));
  execFileSync(changesetBin, ['version'], { cwd: dir, stdio: 'pipe' });
  const bumped = new Map<string, [string, string]>();
  for (const d of dirs) {
    const a = before.get(d)!;
    const b = manifest(dir, d);
    if (a.version !== b.version) bumped.set(a.name, [a.version, b.version]);
  }
  return { bumped, dir, dirs };
}

/** The repository's pending changesets: file name → text, and package → the bumps asked for it. */
function pendingChangesets(): { files: Record<string, string>; requested: Map<string, string[]> } {
  const files: Record<string, string> = {};
  const requested = new Map<string, string[]>();
  for (const f of readdirSync(path.join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
    const text = readFileSync(path.join(root, '.changeset', f), 'utf8');
    files[f] = text;
    const front = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
    for (const m of front.matchAll(/^["']?(@?[^"':]+)["']?:\s*(major|minor|patch)\s*$/gm)) requested.set(m[1]!, [...(requested.get(m[1]!) ?? []), m[2]!]);
  }
  return { files, requested };
}

describe('changesets (dry-run release)', () => {
  it('one patch changeset bumps that package only, with a CHANGELOG entry, and no dependent', () => {
    const { bumped, dir } = dryRun('one-patch', { 'only-core.md': '---\n"@plasticity/core": patch\n---\n\nA test change to core.\n' });
    expect([...bumped.keys()]).toEqual(['@plasticity/core']);
    const [from, to] = bumped.get('@plasticity/core')!;
    const [major, minor, patch] = from.split('.').map(Number);
    expect(to).toBe(`${major}.${minor}.${patch! + 1}`);
    expect(readFileSync(path.join(dir, 'packages/core/CHANGELOG.md'), 'utf8')).toContain('A test change to core.');
    expect(existsSync(path.join(dir, 'packages/sparse/CHANGELOG.md'))).toBe(false);
  });

  it("the repository's pending changesets bump the packages they name (and peer dependents they leave out of range), never a private one", () => {
    const { files, requested } = pendingChangesets();
    const { bumped, dir, dirs } = dryRun('pending', files);
    for (const [pkg] of requested) expect(bumped.has(pkg), `${pkg} has a changeset`).toBe(true);
    const manifests = dirs.map((d) => ({ d, m: manifest(dir, d) }));
    for (const [pkg] of bumped) {
      const { d, m } = manifests.find((x) => x.m.name === pkg)!;
      expect(m.private, `${pkg} is private`).not.toBe(true);
      if (!requested.has(pkg)) {
        // changesets also re-releases a package whose peer range no longer holds a bumped package.
        const peers = Object.keys(m.peerDependencies ?? {});
        expect(peers.some((p) => bumped.has(p)), `${pkg} was bumped without a changeset or a bumped peer`).toBe(true);
      }
      expect(existsSync(path.join(dir, d, 'CHANGELOG.md')), `${pkg} CHANGELOG.md`).toBe(true);
    }
    // Each changeset's text lands in the CHANGELOG of each package it names.
    for (const [file, text] of Object.entries(files)) {
      const firstLine = text.replace(/^---\n[\s\S]*?\n---\n+/, '').split('\n')[0]!.trim();
      const front = /^---\n([\s\S]*?)\n---/.exec(text)![1]!;
      for (const m of front.matchAll(/^["']?(@?[^"':]+)["']?:/gm)) {
        const d = manifests.find((x) => x.m.name === m[1])!.d;
        expect(readFileSync(path.join(dir, d, 'CHANGELOG.md'), 'utf8'), `${file} in ${m[1]}'s CHANGELOG`).toContain(firstLine);
      }
    }
  });
});
