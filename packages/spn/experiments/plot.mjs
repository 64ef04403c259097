// A small SVG line chart (for the experiment figures) and its PNG rendering with resvg (the renderer
// apps/cli uses; resolved from there, so this package needs no dependency on it).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (x) => (Math.abs(x) >= 100 ? x.toFixed(0) : +x.toFixed(2));

/** series: [{ label, color, y: number[], x?: number[], dash? }], marks: [{ x, label, color }] */
export function lineChart(series, { title, xLabel, yLabel, marks = [], width = 960, height = 420, yRange }) {
  const left = 60, right = width - 20, top = 48, bottom = height - 44;
  const xs = series.flatMap((s) => s.x ?? s.y.map((_, i) => i));
  const ys = series.flatMap((s) => s.y).filter(Number.isFinite);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const [y0, y1] = yRange ?? [Math.min(...ys), Math.max(...ys)];
  const sx = (x) => left + ((x - x0) / (x1 - x0 || 1)) * (right - left);
  const sy = (y) => bottom - ((y - y0) / (y1 - y0 || 1)) * (bottom - top);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`, `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15">${esc(title)}</text>`];
  for (let k = 0; k <= 5; k++) {
    const y = y0 + ((y1 - y0) * k) / 5;
    parts.push(`<line x1="${left}" x2="${right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#eee"/><text x="${left - 6}" y="${sy(y) + 4}" text-anchor="end">${fmt(y)}</text>`);
    const x = x0 + ((x1 - x0) * k) / 5;
    parts.push(`<text x="${sx(x)}" y="${bottom + 16}" text-anchor="middle">${fmt(x)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#333"/>`);
  for (const m of marks) parts.push(`<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${top}" y2="${bottom}" stroke="${m.color}" stroke-dasharray="6 4"/><text x="${sx(m.x) + 4}" y="${top + 14}" fill="${m.color}">${esc(m.label)}</text>`);
  for (const s of series) {
    const pts = s.y.map((y, i) => `${sx(s.x ? s.x[i] : i).toFixed(1)},${sy(Math.max(y0, Math.min(y1, y))).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
  }
  let lx = left + 8;
  for (const s of series) {
    parts.push(`<line x1="${lx}" x2="${lx + 16}" y1="${top - 12}" y2="${top - 12}" stroke="${s.color}" stroke-width="2"/><text x="${lx + 20}" y="${top - 8}">${esc(s.label)}</text>`);
    lx += 30 + 7 * s.label.length;
  }
  parts.push(`<text x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text></svg>`);
  return parts.join('\n');
}

/** Writes NAME.svg and NAME.png. */
export function writeFigure(base, svg) {
  writeFileSync(`${base}.svg`, svg);
  const require = createRequire(fileURLToPath(new URL('../../../apps/cli/package.json', import.meta.url)));
  const { Resvg } = require('@resvg/resvg-js');
  writeFileSync(`${base}.png`, new Resvg(svg, { fitTo: { mode: 'width', value: 960 } }).render().asPng());
}
