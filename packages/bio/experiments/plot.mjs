// Minimal SVG charts for the experiments (grouped bar chart with per-seed points, small-multiple
// histograms, line chart, spike raster) and PNG rendering at 1× through @resvg/resvg-js (loaded with
// createRequire, as apps/cli/src/output.ts does).
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
const FONT = 'font-family="DejaVu Sans, sans-serif"';
const svgDoc = (width, height, parts) =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
const text = (x, y, s, { size = 12, anchor = 'middle', rotate, weight } = {}) =>
  `<text x="${x}" y="${y}" text-anchor="${anchor}" font-size="${size}"${weight ? ` font-weight="${weight}"` : ''}${rotate !== undefined ? ` transform="rotate(${rotate} ${x} ${y})"` : ''}>${esc(s)}</text>`;
const nice = (v) => (Number.isInteger(+v.toFixed(6)) ? String(Math.round(v)) : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : String(+v.toFixed(2)));

/** 1, 2, 2.5 or 5 × 10^k, the smallest not below v. */
export function niceStep(v) {
  const e = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * e).find((x) => x >= v);
}

let resvg = null;
/** The SVG rendered to PNG at its own size (1×). */
export function toPng(svg) {
  resvg ??= createRequire(import.meta.url)('@resvg/resvg-js');
  return new resvg.Resvg(svg, { background: 'white', fitTo: { mode: 'zoom', value: 1 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
}

/** Writes NAME.svg and NAME.png into dir. */
export function saveFigure(dir, name, svg) {
  writeFileSync(`${dir}/${name}.svg`, svg);
  writeFileSync(`${dir}/${name}.png`, toPng(svg));
}

/** Splits a label at spaces into lines of at most `width` px (≈ charPx per character). */
function wrap(label, width, charPx) {
  const words = String(label).split(' '), lines = [];
  for (const wd of words) {
    if (lines.length && (lines.at(-1) + ' ' + wd).length * charPx <= width) lines[lines.length - 1] += ' ' + wd;
    else lines.push(wd);
  }
  return lines;
}

/** Axes with ticks: returns the parts and the scale functions. */
function axes({ L, T, w, h, x0, x1, y0, y1, xLabel, yLabel, xTicks = 5, yTicks = 5, grid = true }) {
  const sx = (x) => L + ((x - x0) / (x1 - x0 || 1)) * w;
  const sy = (y) => T + h - ((y - y0) / (y1 - y0 || 1)) * h;
  const p = [];
  for (let k = 0; k <= yTicks; k++) {
    const v = y0 + ((y1 - y0) * k) / yTicks;
    if (grid) p.push(`<line x1="${L}" x2="${L + w}" y1="${sy(v)}" y2="${sy(v)}" stroke="#e4e4e4"/>`);
    p.push(text(L - 5, sy(v) + 4, nice(v), { size: 10, anchor: 'end' }));
  }
  if (xTicks) for (let k = 0; k <= xTicks; k++) {
    const v = x0 + ((x1 - x0) * k) / xTicks;
    p.push(`<line x1="${sx(v)}" x2="${sx(v)}" y1="${T + h}" y2="${T + h + 4}" stroke="black"/>`, text(sx(v), T + h + 15, nice(v), { size: 10 }));
  }
  p.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${T + h}" stroke="black"/><line x1="${L}" x2="${L + w}" y1="${T + h}" y2="${T + h}" stroke="black"/>`);
  if (xLabel) p.push(text(L + w / 2, T + h + 30, xLabel, { size: 11 }));
  if (yLabel) p.push(text(L - 38, T + h / 2, yLabel, { size: 11, rotate: -90 }));
  return { parts: p, sx, sy };
}

/**
 * Grouped bars: groups [{ label, bars: [{ value, err, points }] }], one color per series name.
 * A legend on top when there is more than one series.
 */
export function barChart({ title, yLabel, groups, series, yMin = 0, yMax = 1, width = 720, height = 400 }) {
  const L = 64, R = 16, T = series.length > 1 ? 62 : 40, B = 70, w = width - L - R, h = height - T - B;
  const { parts, sy } = axes({ L, T, w, h, x0: 0, x1: 1, y0: yMin, y1: yMax, yLabel, xTicks: 0 });
  parts.unshift(text(width / 2, 22, title, { size: 15 }));
  if (series.length > 1) {
    let x = L;
    series.forEach((s, i) => {
      parts.push(`<rect x="${x}" y="34" width="12" height="12" fill="${COLORS[i]}" opacity="0.8"/>`, text(x + 16, 44, s, { size: 11, anchor: 'start' }));
      x += 28 + s.length * 6.5;
    });
  }
  const gw = w / groups.length, nb = series.length, bw = (gw * 0.8) / nb;
  groups.forEach((g, gi) => {
    g.bars.forEach((b, bi) => {
      const x = L + gi * gw + gw * 0.1 + bi * bw, cx = x + bw / 2, top = sy(Math.max(yMin, b.value));
      parts.push(`<rect x="${x + 1}" y="${top}" width="${bw - 2}" height="${sy(yMin) - top}" fill="${COLORS[bi]}" opacity="0.7"/>`);
      if (b.err) parts.push(`<line x1="${cx}" x2="${cx}" y1="${sy(b.value - b.err)}" y2="${sy(Math.min(yMax, b.value + b.err))}" stroke="black" stroke-width="1.5"/>`);
      for (const p of b.points ?? []) parts.push(`<circle cx="${cx}" cy="${sy(p)}" r="2.5" fill="black" opacity="0.55"/>`);
      const hi = Math.max(b.value + (b.err ?? 0), ...(b.points ?? []));
      if (nb <= 2) parts.push(text(cx, sy(Math.min(yMax, hi)) - 5, b.value.toFixed(3), { size: 10 }));
    });
    const lines = wrap(g.label, gw - 4, 6.4);
    lines.forEach((line, k) => parts.push(text(L + gi * gw + gw / 2, T + h + 16 + 13 * k, line, { size: 11 })));
    if (g.sublabel) parts.push(text(L + gi * gw + gw / 2, T + h + 16 + 13 * lines.length, g.sublabel, { size: 10, weight: 'bold' }));
  });
  return svgDoc(width, height, parts);
}

/** Histogram counts of values in [lo, hi] with `bins` bins, as fractions. */
export function histogram(values, lo, hi, bins) {
  const c = new Array(bins).fill(0);
  let n = 0;
  for (const x of values) {
    if (!Number.isFinite(x)) continue;
    c[Math.max(0, Math.min(bins - 1, Math.floor(((x - lo) / (hi - lo || 1)) * bins)))]++;
    n++;
  }
  return c.map((k) => k / (n || 1));
}

/**
 * Small multiples: panels [{ title, series: [{ label, values, color?, fill? }] }] on a shared x range,
 * `cols` per row; each panel has its own y scale (fraction of weights per bin).
 */
export function histogramPanels({ title, panels, cols = 4, bins = 40, range, xLabel = 'weight', width = 720, height = 400, note }) {
  const all = panels.flatMap((p) => p.series.flatMap((s) => Array.from(s.values))).filter(Number.isFinite);
  const [lo, hi] = range ?? [Math.min(...all), Math.max(...all)];
  const rows = Math.ceil(panels.length / cols);
  const top0 = 36, bottom0 = note ? 22 : 6, pw = width / cols, ph = (height - top0 - bottom0) / rows;
  const parts = [text(width / 2, 22, title, { size: 15 })];
  panels.forEach((p, k) => {
    const L = (k % cols) * pw + 44, T = top0 + Math.floor(k / cols) * ph + 18, w = pw - 56, h = ph - 58;
    const hs = p.series.map((s) => histogram(s.values, lo, hi, bins));
    const yMax = Math.max(...hs.flat()) * 1.05 || 1;
    const { parts: ax, sx, sy } = axes({ L, T, w, h, x0: lo, x1: hi, y0: 0, y1: yMax, xTicks: 2, yTicks: 2, grid: false, xLabel });
    parts.push(...ax, text(L + w / 2, T - 6, p.title, { size: 12, weight: 'bold' }));
    hs.forEach((c, si) => {
      const s = p.series[si], color = s.color ?? COLORS[si];
      const pts = c.flatMap((f, i) => [`${sx(lo + (i / bins) * (hi - lo))},${sy(f)}`, `${sx(lo + ((i + 1) / bins) * (hi - lo))},${sy(f)}`]);
      const d = `M${sx(lo)},${sy(0)} L${pts.join(' L')} L${sx(hi)},${sy(0)}`;
      parts.push(`<path d="${d}" fill="${s.fill ? color : 'none'}" fill-opacity="0.35" stroke="${color}" stroke-width="${s.fill ? 1 : 1.3}"/>`);
    });
    if (p.legend !== false && p.series.length > 1) {
      p.series.forEach((s, si) => parts.push(
        `<rect x="${L + w - 70}" y="${T + 2 + si * 13}" width="9" height="9" fill="${s.color ?? COLORS[si]}" opacity="0.8"/>`,
        text(L + w - 58, T + 10 + si * 13, s.label, { size: 9, anchor: 'start' })));
    }
  });
  if (note) parts.push(text(width / 2, height - 6, note, { size: 10 }));
  return svgDoc(width, height, parts);
}

/**
 * Line chart: series [{ label, x, y, color?, dash? }]. Legend inside the plot at the top right
 * (legendAt 'right') or below the axes in columns (legendAt 'columns', `legendCols` per row).
 */
export function lineChart({ title, xLabel, yLabel, series, yRange, width = 720, height = 400, legendAt = 'right', legendCols = 5, marks = [], legend }) {
  const entries = legend ?? series;
  const legendRows = legendAt === 'columns' ? Math.ceil(entries.length / legendCols) : 0;
  const L = 64, R = 16, T = 40, B = 48 + legendRows * 16, w = width - L - R, h = height - T - B;
  const xs = series.flatMap((s) => s.x), ys = series.flatMap((s) => s.y).filter(Number.isFinite);
  const [y0, y1] = yRange ?? [Math.min(0, ...ys), Math.max(...ys) * 1.1 || 1];
  const { parts, sx, sy } = axes({ L, T, w, h, x0: Math.min(...xs), x1: Math.max(...xs), y0, y1, xLabel, yLabel });
  parts.unshift(text(width / 2, 22, title, { size: 15 }));
  for (const m of marks) parts.push(`<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${T}" y2="${T + h}" stroke="#888" stroke-dasharray="3 3"/>`, text(sx(m.x) + 4, T + 12, m.label, { size: 10, anchor: 'start' }));
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i];
    const dash = s.dash ? ' stroke-dasharray="5 3"' : '';
    parts.push(`<polyline points="${s.x.map((x, k) => `${sx(x)},${sy(s.y[k])}`).join(' ')}" fill="none" stroke="${color}" stroke-width="1.6"${dash}/>`);
  });
  entries.forEach((s, i) => {
    const color = s.color ?? COLORS[i];
    const dash = s.dash ? ' stroke-dasharray="5 3"' : '';
    const [lx, ly] = legendAt === 'columns'
      ? [L + (i % legendCols) * (w / legendCols), T + h + 46 + Math.floor(i / legendCols) * 16]
      : [L + w - 150, T + 10 + i * 15];
    parts.push(`<line x1="${lx}" x2="${lx + 18}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`, text(lx + 22, ly + 4, s.label, { size: 10.5, anchor: 'start' }));
  });
  return svgDoc(width, height, parts);
}

/**
 * Raster (top) and population rates (bottom) in one figure. raster: [{ label, color, timesMs, indices,
 * offset }] (neuron index + offset on the y axis); rates: [{ label, color, x, y }] (Hz).
 */
export function rasterRates({ title, raster, nNeurons, tMaxMs, rates, width = 720, height = 400 }) {
  const L = 64, R = 16, w = width - L - R;
  const T1 = 40, h1 = 190, T2 = T1 + h1 + 40, h2 = height - T2 - 40;
  const parts = [text(width / 2, 22, title, { size: 15 })];
  const a = axes({ L, T: T1, w, h: h1, x0: 0, x1: tMaxMs, y0: 0, y1: nNeurons, yLabel: 'neuron', grid: false, yTicks: 4 });
  parts.push(...a.parts);
  for (const r of raster) {
    const d = [];
    for (let k = 0; k < r.timesMs.length; k++) {
      if (r.timesMs[k] > tMaxMs) continue;
      const x = a.sx(r.timesMs[k]), y = a.sy(r.indices[k] + r.offset + 0.5);
      d.push(`M${x.toFixed(1)},${(y - 0.6).toFixed(1)}v1.2`);
    }
    parts.push(`<path d="${d.join('')}" stroke="${r.color}" stroke-width="1.2"/>`);
  }
  raster.forEach((r, i) => parts.push(`<rect x="${L + w - 150 + i * 75}" y="${T1 - 13}" width="9" height="9" fill="${r.color}"/>`, text(L + w - 137 + i * 75, T1 - 5, r.label, { size: 11, anchor: 'start' })));
  const ys = rates.flatMap((s) => s.y);
  const step = niceStep((Math.max(...ys) * 1.1 || 1) / 3);
  const yTop = Math.ceil((Math.max(...ys) * 1.1 || 1) / step) * step;
  const b = axes({ L, T: T2, w, h: h2, x0: 0, x1: tMaxMs, y0: 0, y1: yTop, xLabel: 'time (ms)', yLabel: 'rate (Hz)', yTicks: Math.round(yTop / step) });
  parts.push(...b.parts);
  rates.forEach((s, i) => {
    parts.push(`<polyline points="${s.x.map((x, k) => `${b.sx(x)},${b.sy(s.y[k])}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.6"/>`,
      `<line x1="${L + w - 150 + i * 75}" x2="${L + w - 138 + i * 75}" y1="${T2 - 8}" y2="${T2 - 8}" stroke="${s.color}" stroke-width="2"/>`, text(L + w - 134 + i * 75, T2 - 4, s.label, { size: 11, anchor: 'start' }));
  });
  return svgDoc(width, height, parts);
}
