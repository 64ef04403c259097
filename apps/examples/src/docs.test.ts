// The documentation a user reads: links stay inside the repository and resolve, no tracker references,
// and the API reference builds.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const markdown = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' }).split('\n')
  .filter((f) => f && !f.startsWith('.changeset/') && !f.includes('node_modules') && existsSync(path.join(root, f)));

describe('docs', () => {
  it('has markdown to check', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('docs/design.md');
  });

  it('relative links resolve inside the repository', () => {
    const problems: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1]!.split('#')[0]!;
        if (!target || /^[a-z]+:/i.test(target)) continue; // http(s), mailto: not files
        const resolved = path.resolve(root, path.dirname(file), target);
        if (!resolved.startsWith(root)) problems.push(`${file}: ${m[1]} points outside the repository`);
        else if (!existsSync(resolved)) problems.push(`${file}: ${m[1]} does not exist`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('does not refer to issue numbers of our tracker', () => {
    const hits = markdown.flatMap((file) => readFileSync(path.join(root, file), 'utf8').split('\n')
      .filter((line) => /\bissues? #?\d+|\(#\d+\)/i.test(line)).map((line) => `${file}: ${line.trim()}`));
    expect(hits).toEqual([]);
  });

  it('pnpm docs builds the API reference with typedoc', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'plasticity-api-'));
    try {
      execFileSync(path.join(root, 'node_modules', '.bin', 'typedoc'), ['--out', out, '--logLevel', 'Error'], { cwd: root, stdio: 'pipe' });
      expect(existsSync(path.join(out, 'index.html'))).toBe(true);
      for (const lib of ['core', 'sparse', 'snn', 'rules', 'pdlf']) expect(existsSync(path.join(out, 'modules', `_plasticity_${lib}.html`)), lib).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 240_000);
});
