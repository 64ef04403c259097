// Small dependency-free SVG charts for the demo report: lines, points, bars, rasters and heat maps.

export interface Series {
  readonly label: string;
  readonly x: ArrayLike<number>;
  /** A non-finite y breaks a line there (two pieces, one legend entry). */
  readonly y: ArrayLike<number>;
  readonly color?: string;
  /** 'line' (default), 'points' or 'bars'. */
  readonly style?: 'line' | 'points' | 'bars';
  /** Point marker: 'dot' (filled, default), 'ring' (hollow, larger: stays visible under dots) or 'tick' (raster). */
  readonly marker?: 'dot' | 'ring' | 'tick';
  /** Marker radius (dot, ring) or half height (tick) in px. */
  readonly size?: number;
  readonly dashed?: boolean;
  /** Leave this series out of the legend (e.g. a second piece of a split curve). */
  readonly hideInLegend?: boolean;
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  readonly xMin?: number;
  readonly xMax?: number;
  readonly yMin?: number;
  readonly yMax?: number;
  /** Categorical x axis: series x values are indices into these labels. */
  readonly xCategories?: readonly string[];
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) => v.toFixed(1);

function extent(values: number[], fallback: [number, number]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo > hi) return fallback;
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  return [lo, hi];
}

function ticks(lo: number, hi: number, count = 5): number[] {
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / count)));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (hi - lo) / s <= count) ?? step * 10;
  const out: number[] = [];
  for (let v = Math.ceil(lo / nice) * nice; v <= hi + 1e-12; v += nice) out.push(+v.toPrecision(12));
  return out;
}

const tickLabel = (t: number) => (Math.abs(t) >= 1e4 || (t !== 0 && Math.abs(t) < 1e-3) ? t.toExponential(0) : String(t));

interface Frame {
  parts: string[];
  sx(x: number): number;
  sy(y: number): number;
  plot: { left: number; top: number; right: number; bottom: number };
}

/** The legend sits in a strip between the title and the plot, so it never covers data. */
function legendRows(labels: readonly string[], width: number): number {
  let rows = labels.length ? 1 : 0;
  let x = 0;
  for (const l of labels) {
    const w = 22 + 7 * l.length;
    if (x > 0 && x + w > width) {
      rows++;
      x = 0;
    }
    x += w;
  }
  return rows;
}

function frame(W: number, H: number, options: ChartOptions, legend: { label: string; color: string; kind: string }[], x: [number, number], y: [number, number], extraRight = 0): Frame {
  const rows = legendRows(legend.map((l) => l.label), W - 80);
  const plot = { left: 64, right: W - 16 - extraRight, top: 34 + rows * 16 + (rows ? 6 : 0), bottom: H - 48 };
  const [x0, x1] = x;
  const [y0, y1] = y;
  const sx = (v: number) => plot.left + ((v - x0) / (x1 - x0)) * (plot.right - plot.left);
  const sy = (v: number) => plot.bottom - ((v - y0) / (y1 - y0)) * (plot.bottom - plot.top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`,
  ];
  let lx = plot.left;
  let ly = 30;
  for (const l of legend) {
    const w = 22 + 7 * l.label.length;
    if (lx > plot.left && lx + w > W - 16) {
      lx = plot.left;
      ly += 16;
    }
    if (l.kind === 'line') parts.push(`<line x1="${lx}" x2="${lx + 14}" y1="${ly + 5}" y2="${ly + 5}" stroke="${l.color}" stroke-width="2"/>`);
    else if (l.kind === 'ring') parts.push(`<circle cx="${lx + 6}" cy="${ly + 5}" r="4.5" fill="none" stroke="${l.color}" stroke-width="1.5"/>`);
    else if (l.kind === 'dot' || l.kind === 'tick') parts.push(`<circle cx="${lx + 6}" cy="${ly + 5}" r="3" fill="${l.color}"/>`);
    else parts.push(`<rect x="${lx}" y="${ly}" width="12" height="10" fill="${l.color}" fill-opacity="0.6"/>`);
    parts.push(`<text x="${lx + 18}" y="${ly + 9}">${esc(l.label)}</text>`);
    lx += w;
  }
  if (options.xCategories) {
    options.xCategories.forEach((c, i) => {
      parts.push(`<text x="${fmt(sx(i))}" y="${plot.bottom + 16}" text-anchor="middle">${esc(c)}</text>`);
    });
  } else {
    for (const t of ticks(x0, x1)) {
      parts.push(`<line x1="${fmt(sx(t))}" x2="${fmt(sx(t))}" y1="${plot.bottom}" y2="${plot.bottom + 4}" stroke="#333"/>`);
      parts.push(`<text x="${fmt(sx(t))}" y="${plot.bottom + 16}" text-anchor="middle">${tickLabel(t)}</text>`);
    }
  }
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${plot.left}" x2="${plot.right}" y1="${fmt(sy(t))}" y2="${fmt(sy(t))}" stroke="#eee"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${fmt(sy(t) + 4)}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  parts.push(`<text x="${(plot.left + plot.right) / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  return { parts, sx, sy, plot };
}

/** An SVG chart of one or more series (empty series render as an empty frame, never as an error). */
export function chart(series: readonly Series[], options: ChartOptions): string {
  const W = options.width ?? 640;
  const H = options.height ?? 360;
  const xs = series.flatMap((s) => Array.from(s.x));
  const ys = series.flatMap((s) => Array.from(s.y));
  let [x0, x1] = options.xCategories ? [-0.5, options.xCategories.length - 0.5] : extent(xs, [0, 1]);
  // Bars are centred on their x: widen the range by half a bar so the edge bars stay inside.
  const bars = series.find((s) => s.style === 'bars' && s.x.length > 1);
  if (bars && !options.xCategories) {
    const half = Math.abs(bars.x[1]! - bars.x[0]!) / 2;
    x0 -= half;
    x1 += half;
  }
  if (!bars && !options.xCategories && series.some((s) => s.style === 'points')) {
    // Markers at the ends of the range would be cut in half by the frame.
    const pad = 0.02 * (x1 - x0);
    x0 -= pad;
    x1 += pad;
  }
  x0 = options.xMin ?? x0;
  x1 = options.xMax ?? x1;
  const [yLo, yHi] = extent(ys, [0, 1]);
  const y0 = options.yMin ?? (series.some((s) => s.style === 'bars') ? Math.min(yLo, 0) : yLo - 0.05 * (yHi - yLo));
  const y1 = options.yMax ?? yHi + 0.05 * (yHi - y0); // a little headroom above the tallest bar or point
  const colorOf = (s: Series, k: number) => s.color ?? PALETTE[k % PALETTE.length]!;
  const legend = series.flatMap((s, k) => (s.hideInLegend ? [] : [{ label: s.label, color: colorOf(s, k), kind: s.style === 'points' ? (s.marker ?? 'dot') : (s.style ?? 'line') }]));
  const { parts, sx, sy, plot } = frame(W, H, options, legend, [x0, x1], [y0, y1]);
  parts.push(`<clipPath id="plot"><rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}"/></clipPath>`);
  parts.push('<g clip-path="url(#plot)">');
  series.forEach((s, k) => {
    const color = colorOf(s, k);
    const n = Math.min(s.x.length, s.y.length);
    if (s.style === 'bars') {
      const step = n > 1 ? Math.abs(sx(s.x[1]!) - sx(s.x[0]!)) : options.xCategories ? Math.abs(sx(1) - sx(0)) : 20;
      const barWidth = step * (options.xCategories ? 0.6 : 0.9);
      for (let i = 0; i < n; i++) {
        const top = sy(Math.max(s.y[i]!, y0));
        parts.push(`<rect x="${fmt(sx(s.x[i]!) - barWidth / 2)}" y="${fmt(top)}" width="${fmt(barWidth)}" height="${fmt(Math.max(0, sy(y0) - top))}" fill="${color}" fill-opacity="0.6"/>`);
      }
    } else if (s.style === 'points') {
      const r = s.size ?? (s.marker === 'ring' ? 5 : s.marker === 'tick' ? 3 : 2.5);
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(s.y[i]!)) continue;
        const cx = fmt(sx(s.x[i]!));
        const cy = sy(s.y[i]!);
        if (s.marker === 'ring') parts.push(`<circle cx="${cx}" cy="${fmt(cy)}" r="${r}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
        else if (s.marker === 'tick') parts.push(`<line x1="${cx}" x2="${cx}" y1="${fmt(cy - r)}" y2="${fmt(cy + r)}" stroke="${color}" stroke-width="1"/>`);
        else parts.push(`<circle cx="${cx}" cy="${fmt(cy)}" r="${r}" fill="${color}"/>`);
      }
    } else if (n > 0) {
      let d = '';
      let pen = false;
      for (let i = 0; i < n; i++) {
        if (!Number.isFinite(s.y[i]!) || !Number.isFinite(s.x[i]!)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${fmt(sx(s.x[i]!))},${fmt(sy(s.y[i]!))}`;
        pen = true;
      }
      if (d) parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    }
  });
  parts.push('</g>');
  parts.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#333"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export interface HeatmapOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** x value of each column (its centre) and y value of each row. */
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly valueLabel: string;
  readonly min: number;
  readonly max: number;
  readonly width?: number;
  readonly height?: number;
}

/** Viridis-like ramp (five stops, linear between them). */
function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const u = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(u));
  const f = u - i;
  const c = stops[i]!.map((a, k) => Math.round(a + f * (stops[i + 1]![k]! - a)));
  return `rgb(${c.join(',')})`;
}

/** A heat map of `values` ([rows][cols]) with a colour bar; rows run bottom to top. */
export function heatmap(values: readonly (ArrayLike<number>)[], options: HeatmapOptions): string {
  const W = options.width ?? 640;
  const H = options.height ?? 360;
  const rows = values.length;
  const cols = rows ? values[0]!.length : 0;
  const half = (a: readonly number[]) => (a.length > 1 ? (a[1]! - a[0]!) / 2 : 0.5);
  const xr: [number, number] = cols ? [options.x[0]! - half(options.x), options.x[cols - 1]! + half(options.x)] : [0, 1];
  const yr: [number, number] = rows ? [options.y[0]! - half(options.y), options.y[rows - 1]! + half(options.y)] : [0, 1];
  const { parts, sx, sy, plot } = frame(W, H, options, [], xr, yr, 70);
  for (let r = 0; r < rows; r++) {
    const yTop = sy(options.y[r]! + half(options.y));
    const yBottom = sy(options.y[r]! - half(options.y));
    for (let c = 0; c < cols; c++) {
      const xLeft = sx(options.x[c]! - half(options.x));
      const xRight = sx(options.x[c]! + half(options.x));
      const t = (values[r]![c]! - options.min) / (options.max - options.min);
      // Overlap by half a pixel so anti-aliasing leaves no seams between cells.
      parts.push(`<rect x="${fmt(xLeft)}" y="${fmt(yTop)}" width="${fmt(xRight - xLeft + 0.5)}" height="${fmt(yBottom - yTop + 0.5)}" fill="${ramp(t)}"/>`);
    }
  }
  parts.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#333"/>`);
  const bx = plot.right + 16;
  const steps = 40;
  const bh = (plot.bottom - plot.top) / steps;
  for (let k = 0; k < steps; k++) parts.push(`<rect x="${bx}" y="${fmt(plot.bottom - (k + 1) * bh)}" width="14" height="${fmt(bh + 0.5)}" fill="${ramp((k + 0.5) / steps)}"/>`);
  parts.push(`<rect x="${bx}" y="${plot.top}" width="14" height="${plot.bottom - plot.top}" fill="none" stroke="#333"/>`);
  for (const t of ticks(options.min, options.max, 4)) {
    const y = plot.bottom - ((t - options.min) / (options.max - options.min)) * (plot.bottom - plot.top);
    parts.push(`<text x="${bx + 18}" y="${fmt(y + 4)}">${tickLabel(t)}</text>`);
  }
  parts.push(`<text transform="translate(${W - 6} ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(options.valueLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** Bin counts of `values` over [lo, hi) in `bins` equal bins, as bar centres and counts. */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): { x: number[]; y: number[] } {
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor(((values[i]! - lo) / (hi - lo)) * bins);
    if (b >= 0 && b < bins) counts[b]!++;
    else if (values[i] === hi) counts[bins - 1]!++;
  }
  return { x: counts.map((_, b) => lo + ((b + 0.5) * (hi - lo)) / bins), y: counts };
}
