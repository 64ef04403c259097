import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** Files every run writes beside the figures. */
export const REPORT_FILES = ['report.md', 'report.json', 'report.html'];
const FIGURE_EXTENSIONS = ['.svg', '.png'];

/**
 * Makes `outDir` hold only what this run will write: removes the report files, every figure any demo
 * may write (so a partial run leaves no figure of an earlier run beside its report) and whatever the
 * previous run's report.json listed. Other files in the folder are left alone.
 */
export function prepareOutDir(outDir: string, figureNames: readonly string[]): void {
  mkdirSync(outDir, { recursive: true });
  const owned = new Set<string>(REPORT_FILES);
  for (const name of figureNames) for (const ext of FIGURE_EXTENSIONS) owned.add(name + ext);
  try {
    const previous = JSON.parse(readFileSync(path.join(outDir, 'report.json'), 'utf8')) as { files?: unknown };
    if (Array.isArray(previous.files)) {
      // Only plain file names: a hand-edited report.json cannot make us delete outside the folder.
      for (const f of previous.files) if (typeof f === 'string' && f === path.basename(f) && !f.startsWith('.')) owned.add(f);
    }
  } catch {
    // no previous report, or not ours: nothing more to remove
  }
  for (const f of owned) rmSync(path.join(outDir, f), { force: true });
}

type Renderer = (svg: string) => Buffer;
let renderer: Renderer | null | undefined;
let rendererProblem = '';

/** Whether any font file is installed where resvg looks; without one, PNG text would be missing. */
function hasSystemFonts(): boolean {
  const roots = ['/usr/share/fonts', '/usr/local/share/fonts', path.join(process.env.HOME ?? '', '.fonts'), 'C:\\Windows\\Fonts', '/System/Library/Fonts', '/Library/Fonts'];
  const search = (dir: string, depth: number): boolean => {
    if (depth > 4 || !existsSync(dir)) return false;
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isFile() && /\.(ttf|otf|ttc)$/i.test(e.name)) return true;
        if (e.isDirectory() && search(path.join(dir, e.name), depth + 1)) return true;
      }
    } catch {
      return false;
    }
    return false;
  };
  return roots.some((r) => search(r, 0));
}

/**
 * SVG → PNG with @resvg/resvg-js (a prebuilt native binary from npm: no download at run time), at twice
 * the SVG's size. Returns null, with the reason in `pngProblem()`, when it cannot load here.
 */
export function pngRenderer(): Renderer | null {
  if (renderer !== undefined) return renderer;
  try {
    const require = createRequire(import.meta.url);
    const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
    if (!hasSystemFonts()) rendererProblem = 'no fonts installed (e.g. apt-get install fonts-dejavu-core): PNG figures have no text; the SVGs are complete';
    renderer = (svg) => Buffer.from(new Resvg(svg, {
      fitTo: { mode: 'zoom', value: 2 },
      background: 'white',
      font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    }).render().asPng());
  } catch (error) {
    rendererProblem = `PNG figures skipped: @resvg/resvg-js cannot load here (${(error as Error).message.split('\n')[0]})`;
    renderer = null;
  }
  return renderer;
}

export const pngProblem = (): string => rendererProblem;

/** Writes `name`.svg and, when possible, `name`.png; returns the file names written. */
export function writeFigure(outDir: string, name: string, svg: string): string[] {
  writeFileSync(path.join(outDir, `${name}.svg`), svg);
  const render = pngRenderer();
  if (!render) return [`${name}.svg`];
  writeFileSync(path.join(outDir, `${name}.png`), render(svg));
  return [`${name}.svg`, `${name}.png`];
}
