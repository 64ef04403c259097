// Small SVG figures for the experiment scripts (lines and grouped bars), written as SVG and PNG.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const W = 720, H = 380, M = { l: 64, r: 20, t: 40, b: 78 };
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#93c5fd', '#fca5a5'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const fmt = (v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : String(+v.toPrecision(2)));

function frame({ title, xLabel, yLabel, yMin, yMax, body, legend, xTicks = '' }) {
  const y = (v) => M.t + (1 - (v - yMin) / (yMax - yMin)) * (H - M.t - M.b);
  const ticks = Array.from({ length: 5 }, (_, k) => yMin + (k * (yMax - yMin)) / 4)
    .map((v) => `<line x1="${M.l}" x2="${W - M.r}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${M.l - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`).join('');
  const keys = legend.map(([name, color, dashed], k) => {
    const x = M.l + (k % 4) * 165, yy = H - 30 + Math.floor(k / 4) * 16;
    return `<line x1="${x}" x2="${x + 18}" y1="${yy - 4}" y2="${yy - 4}" stroke="${color}" stroke-width="3" ${dashed ? 'stroke-dasharray="5 3"' : ''}/><text x="${x + 22}" y="${yy}">${esc(name)}</text>`;
  }).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>
<text transform="translate(16 ${(M.t + H - M.b) / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>
<text x="${(M.l + W - M.r) / 2}" y="${H - M.b + 34}" text-anchor="middle">${esc(xLabel)}</text>${ticks}${xTicks}${body(y)}${keys}</svg>`;
}

/** series: [{ label, x: number[], y: number[], dashed? }]; hLines: [{ y, label }]. */
export function lines({ title, xLabel, yLabel, series, hLines = [], yMin, yMax }) {
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y).concat(hLines.map((h) => h.y));
  const x0 = Math.min(...xs), x1 = Math.max(...xs);
  const lo = yMin ?? Math.min(...ys), hi = yMax ?? Math.max(...ys) + 1e-9;
  const x = (v) => M.l + ((v - x0) / (x1 - x0 || 1)) * (W - M.l - M.r);
  const xTicks = [x0, (x0 + x1) / 2, x1].map((v) => `<text x="${x(v)}" y="${H - M.b + 16}" text-anchor="middle">${fmt(v)}</text>`).join('');
  return frame({
    title, xLabel, yLabel, yMin: lo, yMax: hi, xTicks,
    legend: series.map((s, k) => [s.label, s.color ?? COLORS[k % COLORS.length], s.dashed]),
    body: (y) => hLines.map((h) => `<line x1="${M.l}" x2="${W - M.r}" y1="${y(h.y)}" y2="${y(h.y)}" stroke="#111" stroke-dasharray="4 3"/><text x="${W - M.r}" y="${y(h.y) - 4}" text-anchor="end">${esc(h.label)}</text>`).join('')
      + series.map((s, k) => `<polyline fill="none" stroke="${s.color ?? COLORS[k % COLORS.length]}" stroke-width="1.6" ${s.dashed ? 'stroke-dasharray="5 3"' : ''} points="${s.x.map((v, i) => `${x(v)},${y(Math.min(hi, Math.max(lo, s.y[i])))}`).join(' ')}"/>`).join(''),
  });
}

/** groups: [{ label, values: number[] }], one bar per name in `bars`. */
export function bars({ title, yLabel, groups, names, hLines = [], yMin = 0, yMax }) {
  const hi = yMax ?? Math.max(...groups.flatMap((g) => g.values), ...hLines.map((h) => h.y)) * 1.05;
  const groupW = (W - M.l - M.r) / groups.length, barW = groupW / (names.length + 1);
  const xTicks = groups.map((g, i) => `<text x="${M.l + (i + 0.5) * groupW}" y="${H - M.b + 16}" text-anchor="middle">${esc(g.label)}</text>`).join('');
  return frame({
    title, xLabel: '', yLabel, yMin, yMax: hi, xTicks,
    legend: names.map((n, k) => [n, COLORS[k % COLORS.length]]),
    // bars grow from 0 (down for negative values)
    body: (y) => groups.map((g, i) => g.values.map((v, b) => `<rect x="${M.l + i * groupW + (b + 0.5) * barW}" y="${Math.min(y(v), y(0))}" width="${barW * 0.9}" height="${Math.abs(y(0) - y(v))}" fill="${COLORS[b % COLORS.length]}"/>`).join('')).join('')
      + `<line x1="${M.l}" x2="${W - M.r}" y1="${y(0)}" y2="${y(0)}" stroke="#6b7280"/>`
      + hLines.map((h) => `<line x1="${M.l}" x2="${W - M.r}" y1="${y(h.y)}" y2="${y(h.y)}" stroke="#111" stroke-dasharray="4 3"/><text x="${W - M.r}" y="${y(h.y) - 4}" text-anchor="end">${esc(h.label)}</text>`).join(''),
  });
}

/** Writes name.svg and name.png (when @resvg/resvg-js loads) into `dir`. */
export function writeFigure(dir, name, svg) {
  writeFileSync(path.join(dir, `${name}.svg`), svg);
  try {
    const { Resvg } = createRequire(import.meta.url)('@resvg/resvg-js');
    writeFileSync(path.join(dir, `${name}.png`), new Resvg(svg, { background: 'white', font: { loadSystemFonts: true } }).render().asPng());
  } catch (error) {
    console.log(`(${name}.png skipped: ${error.message.split('\n')[0]})`);
  }
}
