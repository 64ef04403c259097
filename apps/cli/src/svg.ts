// Small dependency-free SVG charts for the demo report: lines, histograms (bars) and rasters.

export interface Series {
  readonly label: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly color?: string;
  /** 'line' (default), 'points' or 'bars'. */
  readonly style?: 'line' | 'points' | 'bars';
}

export interface ChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly width?: number;
  readonly height?: number;
  readonly yMin?: number;
  readonly yMax?: number;
}

const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function extent(values: number[], fallback: [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return fallback;
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
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

/** An SVG chart of one or more series (empty series render as an empty frame, never as an error). */
export function chart(series: readonly Series[], options: ChartOptions): string {
  const W = options.width ?? 640;
  const H = options.height ?? 360;
  const m = { left: 64, right: 16, top: 36, bottom: 48 };
  const xs = series.flatMap((s) => Array.from(s.x));
  const ys = series.flatMap((s) => Array.from(s.y));
  let [x0, x1] = extent(xs, [0, 1]);
  // Bars are centred on their x: widen the range by half a bar so the edge bars stay inside.
  const bars = series.find((s) => s.style === 'bars' && s.x.length > 1);
  if (bars) {
    const half = Math.abs(bars.x[1]! - bars.x[0]!) / 2;
    x0 -= half;
    x1 += half;
  }
  const [yLo, yHi] = extent(ys, [0, 1]);
  const y0 = options.yMin ?? Math.min(yLo, series.some((s) => s.style === 'bars') ? 0 : yLo);
  const y1 = options.yMax ?? yHi + 0.08 * (yHi - y0); // headroom for the legend and the tallest bar
  const sx = (x: number) => m.left + ((x - x0) / (x1 - x0)) * (W - m.left - m.right);
  const sy = (y: number) => H - m.bottom - ((y - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`,
  ];
  for (const t of ticks(x0, x1)) {
    parts.push(`<line x1="${sx(t)}" x2="${sx(t)}" y1="${H - m.bottom}" y2="${H - m.bottom + 4}" stroke="#333"/>`);
    parts.push(`<text x="${sx(t)}" y="${H - m.bottom + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of ticks(y0, y1)) {
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${sy(t)}" y2="${sy(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(options.yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const n = Math.min(s.x.length, s.y.length);
    if (s.style === 'bars') {
      const barWidth = n > 1 ? Math.abs(sx(s.x[1]!) - sx(s.x[0]!)) * 0.9 : 10;
      for (let i = 0; i < n; i++) {
        const top = sy(Math.max(s.y[i]!, y0));
        parts.push(`<rect x="${sx(s.x[i]!) - barWidth / 2}" y="${top}" width="${barWidth}" height="${Math.max(0, sy(y0) - top)}" fill="${color}" fill-opacity="0.6"/>`);
      }
    } else if (s.style === 'points') {
      for (let i = 0; i < n; i++) parts.push(`<circle cx="${sx(s.x[i]!).toFixed(1)}" cy="${sy(s.y[i]!).toFixed(1)}" r="3" fill="${color}"/>`);
    } else if (n > 0) {
      const d = Array.from({ length: n }, (_, i) => `${i ? 'L' : 'M'}${sx(s.x[i]!).toFixed(1)},${sy(s.y[i]!).toFixed(1)}`).join('');
      parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.5"/>`);
    }
    parts.push(`<rect x="${W - m.right - 170}" y="${m.top + 8 + 16 * k}" width="10" height="10" fill="${color}"/>`);
    parts.push(`<text x="${W - m.right - 155}" y="${m.top + 17 + 16 * k}">${esc(s.label)}</text>`);
  });
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
