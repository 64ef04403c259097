// Plot helpers. uPlot (canvas) for what updates many times a second with many points — traces and
// spike rasters; Observable Plot (SVG) for figures — histograms, the STDP window. Each helper records
// how many points it shows in `data-points`, which the end-to-end tests read.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import * as Plot from '@observablehq/plot';

export const COLORS = ['#2563eb', '#dc2626', '#059669', '#7c3aed', '#d97706'];

function width(host: HTMLElement): number {
  return Math.max(280, Math.floor(host.clientWidth || 560));
}

export interface LinePlot {
  setData(x: ArrayLike<number>, ...ys: ArrayLike<number | null>[]): void;
  destroy(): void;
}

/** A vertical line (`x`) or a shaded band (`x` to `x2`) drawn behind the lines, e.g. a change point. */
export interface XMark {
  readonly x: number;
  readonly x2?: number;
  readonly label?: string;
}

/** Draws the marks of a plot (uPlot draw hook, canvas pixels). */
function drawMarks(u: uPlot, marks: () => readonly XMark[]): void {
  const ctx = u.ctx;
  const { top, height } = u.bbox;
  ctx.save();
  for (const [k, m] of marks().entries()) {
    const x = u.valToPos(m.x, 'x', true);
    if (m.x2 !== undefined) {
      ctx.fillStyle = 'rgba(220, 38, 38, 0.10)';
      ctx.fillRect(x, top, u.valToPos(m.x2, 'x', true) - x, height);
    } else {
      ctx.strokeStyle = '#6b7280';
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
    }
    if (m.label) {
      ctx.fillStyle = '#374151';
      ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
      // labels alternate between two rows, so that marks close together stay readable
      ctx.fillText(m.label, x + 4 * devicePixelRatio, top + (12 + 13 * (k % 2)) * devicePixelRatio);
    }
  }
  ctx.restore();
}

/** Lines over a shared x axis (uPlot); `marks` adds vertical lines or bands, `colors` overrides the palette. */
export function linePlot(host: HTMLElement, options: {
  series: string[]; xLabel: string; yLabel: string; height?: number; fromZero?: boolean;
  marks?: readonly XMark[]; colors?: readonly string[]; dashed?: readonly boolean[]; yRange?: [number, number];
  /** Series drawn as dots (e.g. values measured every few generations, null in between). */
  points?: readonly boolean[];
}): LinePlot & { setMarks(marks: readonly XMark[]): void } {
  let marks = options.marks ?? [];
  const yScale: uPlot.Scales = options.yRange
    ? { y: { range: options.yRange } }
    : options.fromZero ? { y: { range: (_u, _lo, hi) => [0, Math.max(1, hi * 1.1)] } } : {};
  const plot = new uPlot({
    width: width(host),
    height: options.height ?? 200,
    legend: { live: false },
    scales: { x: { time: false }, ...yScale },
    axes: [{ label: options.xLabel }, { label: options.yLabel, size: 60 }],
    series: [{ label: options.xLabel }, ...options.series.map((label, i) => ({
      label, stroke: (options.colors ?? COLORS)[i % (options.colors ?? COLORS).length], width: 1.5,
      ...(options.dashed?.[i] ? { dash: [6, 4] } : {}),
      ...(options.points?.[i] ? { paths: () => null, points: { show: true, size: 7, fill: (options.colors ?? COLORS)[i % (options.colors ?? COLORS).length] } } : {}),
    }))],
    hooks: { drawClear: [(u: uPlot) => drawMarks(u, () => marks)] },
  }, [[], ...options.series.map(() => [])], host);
  return {
    setData(x, ...ys) {
      plot.setData([Array.from(x), ...ys.map((y) => Array.from(y))] as uPlot.AlignedData);
      host.dataset.points = String(x.length);
    },
    setMarks(next) {
      marks = next;
      plot.redraw(false, false);
    },
    destroy: () => plot.destroy(),
  };
}

export interface Raster {
  /** Spike times (ascending), the row of each, and optionally which of the two groups each is in
   *  (group 1 is drawn larger, in red: e.g. the output neuron above its inputs). */
  setData(timesMs: ArrayLike<number>, rows: ArrayLike<number>, xRange?: [number, number], group?: ArrayLike<number>): void;
  destroy(): void;
}

/** A spike raster: one dot per spike, time on x, neuron on y (uPlot, points only). */
export function rasterPlot(host: HTMLElement, options: { neurons: number; label?: string; height?: number }): Raster {
  let xRange: [number, number] | undefined;
  const dots = (color: string, size: number) => ({
    stroke: color, fill: color,
    paths: () => null, // no line between spikes
    points: { show: true, size, width: 0, fill: color, stroke: color },
  });
  const plot = new uPlot({
    width: width(host),
    height: options.height ?? 240,
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: (_u, lo, hi) => xRange ?? [lo, hi] },
      y: { range: [-0.5, options.neurons - 0.5] },
    },
    axes: [{ label: 'time (ms)' }, { label: options.label ?? 'neuron', size: 60 }],
    series: [{}, dots('#1f2937', 2.5), dots('#dc2626', 6)],
  }, [[], [], []], host);
  return {
    setData(times, rows, range, group) {
      xRange = range;
      const y0: (number | null)[] = [];
      const y1: (number | null)[] = [];
      for (let k = 0; k < times.length; k++) {
        const second = group !== undefined && group[k] === 1;
        y0.push(second ? null : rows[k]!);
        y1.push(second ? rows[k]! : null);
      }
      plot.setData([Array.from(times), y0, y1]);
      host.dataset.points = String(times.length);
    },
    destroy: () => plot.destroy(),
  };
}

/** Counts per bin of `values` over [lo, hi) (values outside go to the end bins). */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): { x1: number; x2: number; count: number }[] {
  const counts = new Array<number>(bins).fill(0);
  for (let k = 0; k < values.length; k++) {
    const b = Math.floor(((values[k]! - lo) / (hi - lo)) * bins);
    counts[Math.min(bins - 1, Math.max(0, b))]!++;
  }
  return counts.map((count, b) => ({ x1: lo + ((hi - lo) * b) / bins, x2: lo + ((hi - lo) * (b + 1)) / bins, count }));
}

/** Replaces the host's content with an Observable Plot figure; `points` is what data-points reports. */
export function figure(host: HTMLElement, options: Plot.PlotOptions, points: number): void {
  const node = Plot.plot({ width: width(host), height: 240, marginLeft: 55, style: { fontSize: '12px' }, ...options });
  host.replaceChildren(node);
  host.dataset.points = String(points);
}

/** A histogram figure of one or more weight sets (bars side by side when several). */
export function histogramFigure(host: HTMLElement, sets: { label: string; values: ArrayLike<number> }[], options: { lo: number; hi: number; bins: number; xLabel: string; yMax?: number }): void {
  const rows = sets.flatMap((s, i) => histogram(s.values, options.lo, options.hi, options.bins).map((b) => {
    const w = (b.x2 - b.x1) / sets.length;
    return { ...b, x1: b.x1 + i * w, x2: b.x1 + (i + 1) * w, set: s.label };
  }));
  figure(host, {
    x: { label: options.xLabel, domain: [options.lo, options.hi] },
    y: { label: 'synapses', grid: true, ...(options.yMax ? { domain: [0, options.yMax] } : {}) },
    color: { legend: sets.length > 1, domain: sets.map((s) => s.label), range: COLORS },
    marks: [
      Plot.rectY(rows, { x1: 'x1', x2: 'x2', y: 'count', fill: 'set', inset: 0.5 }),
      Plot.ruleY([0]),
    ],
  }, rows.filter((r) => r.count > 0).length);
}

export { Plot };
