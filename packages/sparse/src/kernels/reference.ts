/**
 * The sparse kernels of names.ts as plain functions on typed arrays. The cpu backend runs them on
 * tfjs's buffers; other backends may use them as a fallback and tests use them as the reference.
 *
 * Structure: `ptr` [nRows + 1], `idx` [nnz] (column of each slot), `slot` [nnz] or null (weight
 * position of each slot; null → slot k is weights[k]). Batched operands are row-major [batch, n].
 * An element is active iff it is != 0. Bounds clip only the slots a call touches; pass -Infinity /
 * +Infinity for an absent bound.
 */

/** Numeric read-only array: any typed array a tfjs buffer can be (float32, int32, bool). */
export type Values = ArrayLike<number>;

let scratch = new Int32Array(1024);

/** A reusable index buffer of at least n entries (kernels run one at a time; saves an allocation per call). */
function activeBuffer(n: number): Int32Array {
  if (scratch.length < n) scratch = new Int32Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/**
 * Writes the indices r in [0, n) with values[offset + r] != 0 into `out` and returns their count.
 * Kernels build this list once per call, so rows without events cost one comparison each.
 */
export function activeIndices(values: Values, offset: number, n: number, out: Int32Array): number {
  let count = 0;
  for (let r = 0; r < n; r++) {
    if (values[offset + r] !== 0) out[count++] = r;
  }
  return count;
}

/**
 * out[b, idx[k]] += e · w(k) for every slot k of every row r with events[b, r] != 0; e = 1 in binary
 * mode and events[b, r] in float mode. `weights` of length 1 is one homogeneous weight. `out` must
 * be zeroed by the caller ([batch, nCols]).
 */
export function eventMatVec(
  ptr: Values, idx: Values, slot: Values | null, weights: Values, events: Values,
  batch: number, nRows: number, nCols: number, binary: boolean, out: Float32Array,
): void {
  const active = activeBuffer(nRows);
  for (let b = 0; b < batch; b++) {
    const eOff = b * nRows;
    const nActive = activeIndices(events, eOff, nRows, active);
    accumulateRows(ptr, idx, slot, weights, active, nActive, events, eOff, true, binary, out, b * nCols);
  }
}

/**
 * The event matvec of one step given as a list of active rows (strictly increasing): the same
 * arithmetic in the same order as eventMatVec on the equivalent dense vector, so the results are
 * bit-identical. `values` (or null: every value 1) holds one value per list entry; an entry whose
 * value is 0 is skipped (inactive). `out` [nCols] must be zeroed by the caller.
 */
export function eventMatVecList(
  ptr: Values, idx: Values, slot: Values | null, weights: Values, rows: Int32Array, count: number,
  values: Values | null, binary: boolean, out: Float32Array,
): void {
  accumulateRows(ptr, idx, slot, weights, rows, count, values, 0, false, binary, out, 0);
}

/**
 * out[oOff + idx[k]] += e · w(k) over the slots of rows[0..count). The event value of entry a is
 * ev[evOff + (byRow ? r : a)] (1 when ev is null); entries with value 0 are skipped.
 */
function accumulateRows(
  ptr: Values, idx: Values, slot: Values | null, weights: Values, rows: Int32Array, count: number,
  ev: Values | null, evOff: number, byRow: boolean, binary: boolean, out: Float32Array, oOff: number,
): void {
  const homogeneous = weights.length === 1 && ptr[ptr.length - 1] !== 1;
  const w0 = weights[0] ?? 0;
  for (let a = 0; a < count; a++) {
    const r = rows[a]!;
    const e = ev === null ? 1 : ev[evOff + (byRow ? r : a)]!;
    if (e === 0) continue;
    const start = ptr[r]!;
    const end = ptr[r + 1]!;
    if (homogeneous) {
      const v = binary ? w0 : w0 * e;
      for (let k = start; k < end; k++) out[oOff + idx[k]!]! += v;
    } else if (slot === null) {
      if (binary) {
        let k = start;
        // Unrolled by 4: the row's weights are contiguous, the targets are scattered.
        for (; k + 3 < end; k += 4) {
          out[oOff + idx[k]!]! += weights[k]!;
          out[oOff + idx[k + 1]!]! += weights[k + 1]!;
          out[oOff + idx[k + 2]!]! += weights[k + 2]!;
          out[oOff + idx[k + 3]!]! += weights[k + 3]!;
        }
        for (; k < end; k++) out[oOff + idx[k]!]! += weights[k]!;
      } else {
        for (let k = start; k < end; k++) out[oOff + idx[k]!]! += weights[k]! * e;
      }
    } else if (binary) {
      for (let k = start; k < end; k++) out[oOff + idx[k]!]! += weights[slot[k]!]!;
    } else {
      for (let k = start; k < end; k++) out[oOff + idx[k]!]! += weights[slot[k]!]! * e;
    }
  }
}

/** out[b, r] = Σ_{k in row r} w(k) · v[b, idx[k]] ([batch, nRows]; every entry is written). */
export function rowDot(
  ptr: Values, idx: Values, slot: Values | null, weights: Values, v: Values,
  batch: number, nRows: number, nCols: number, out: Float32Array,
): void {
  const homogeneous = weights.length === 1 && ptr[nRows] !== 1;
  const w0 = weights[0] ?? 0;
  for (let b = 0; b < batch; b++) {
    const vOff = b * nCols;
    const oOff = b * nRows;
    for (let r = 0; r < nRows; r++) {
      const start = ptr[r]!;
      const end = ptr[r + 1]!;
      let s = 0;
      if (homogeneous) {
        for (let k = start; k < end; k++) s += v[vOff + idx[k]!]!;
        s *= w0;
      } else if (slot === null) {
        for (let k = start; k < end; k++) s += weights[k]! * v[vOff + idx[k]!]!;
      } else {
        for (let k = start; k < end; k++) s += weights[slot[k]!]! * v[vOff + idx[k]!]!;
      }
      out[oOff + r] = s;
    }
  }
}

/** In place: w(k) = clip(w(k) + values[idx[k]]) on every slot of each row r with active[r] != 0. */
export function onRows(
  ptr: Values, idx: Values, slot: Values | null, weights: Float32Array, active: Values, values: Values,
  nRows: number, wMin: number, wMax: number,
): void {
  const list = activeBuffer(nRows);
  const nActive = activeIndices(active, 0, nRows, list);
  onRowsList(ptr, idx, slot, weights, list, nActive, null, values, wMin, wMax);
}

/**
 * onRows on the rows listed in rows[0..count) (strictly increasing); with `gate`, entry a is skipped
 * where gate[a] is 0 (an event list's values). Same arithmetic as onRows on the dense vector.
 */
export function onRowsList(
  ptr: Values, idx: Values, slot: Values | null, weights: Float32Array, rows: Int32Array, count: number,
  gate: Values | null, values: Values, wMin: number, wMax: number,
): void {
  const clip = wMin > -Infinity || wMax < Infinity;
  for (let a = 0; a < count; a++) {
    if (gate !== null && gate[a] === 0) continue;
    const r = rows[a]!;
    const start = ptr[r]!;
    const end = ptr[r + 1]!;
    if (slot === null) {
      if (clip) {
        for (let k = start; k < end; k++) {
          const x = weights[k]! + values[idx[k]!]!;
          weights[k] = x < wMin ? wMin : x > wMax ? wMax : x;
        }
      } else {
        let k = start;
        for (; k + 3 < end; k += 4) {
          weights[k]! += values[idx[k]!]!;
          weights[k + 1]! += values[idx[k + 1]!]!;
          weights[k + 2]! += values[idx[k + 2]!]!;
          weights[k + 3]! += values[idx[k + 3]!]!;
        }
        for (; k < end; k++) weights[k]! += values[idx[k]!]!;
      }
    } else {
      for (let k = start; k < end; k++) {
        const s = slot[k]!;
        const x = weights[s]! + values[idx[k]!]!;
        weights[s] = x < wMin ? wMin : x > wMax ? wMax : x;
      }
    }
  }
}

/**
 * In place: w(k) = clip(w(k) + scale · Σ_b a[b, r] · c[b, idx[k]]) on the slots of rows r where some
 * a[b, r] != 0. The batch sum is formed first, then scaled and added once.
 */
export function addOuter(
  ptr: Values, idx: Values, slot: Values | null, weights: Float32Array, a: Values, c: Values,
  batch: number, nRows: number, nCols: number, scale: number, wMin: number, wMax: number,
): void {
  const coef = new Float64Array(batch);
  for (let r = 0; r < nRows; r++) {
    let any = false;
    for (let b = 0; b < batch; b++) {
      const x = a[b * nRows + r]!;
      coef[b] = x;
      if (x !== 0) any = true;
    }
    if (!any) continue;
    const start = ptr[r]!;
    const end = ptr[r + 1]!;
    for (let k = start; k < end; k++) {
      const j = idx[k]!;
      let s = 0;
      for (let b = 0; b < batch; b++) s += coef[b]! * c[b * nCols + j]!;
      const p = slot === null ? k : slot[k]!;
      const x = weights[p]! + scale * s;
      weights[p] = x < wMin ? wMin : x > wMax ? wMax : x;
    }
  }
}

/** out[pos(k)] = Σ_b a[b, r] · c[b, idx[k]] for every slot k (row r); pos(k) = slot[k] or k. */
export function sddmm(
  ptr: Values, idx: Values, slot: Values | null, a: Values, c: Values,
  batch: number, nRows: number, nCols: number, out: Float32Array,
): void {
  for (let r = 0; r < nRows; r++) {
    const start = ptr[r]!;
    const end = ptr[r + 1]!;
    for (let k = start; k < end; k++) {
      const j = idx[k]!;
      let s = 0;
      for (let b = 0; b < batch; b++) s += a[b * nRows + r]! * c[b * nCols + j]!;
      out[slot === null ? k : slot[k]!] = s;
    }
  }
}

/**
 * The per-synapse factor and per-row bounds of an update (kernel input `ex`, see names.ts):
 * ex = [lr (lrLen: 0 or one per weight position), lo (nBounds), hi (nBounds)]. The bounds of slot k
 * are those of its row r, or of idx[k] with `byIdx` (the CSC view, whose rows are post neurons,
 * clipping by pre row). With nBounds = 0 the scalar bounds apply.
 */
export interface UpdateExtras {
  readonly ex: Values;
  readonly lrLen: number;
  readonly nBounds: number;
  readonly byIdx: boolean;
  readonly hasMin: boolean;
  readonly hasMax: boolean;
}

/** w(p) = clip_b(w(p) + lr[p] · d) in float64, stored as float32 (the shared step of the *Ex kernels). */
function updateEx(weights: Float32Array, p: number, b: number, d: number, x: UpdateExtras, wMin: number, wMax: number): void {
  let v = weights[p]! + (x.lrLen > 0 ? x.ex[p]! * d : d);
  if (x.nBounds > 0) {
    if (x.hasMin) { const lo = x.ex[x.lrLen + b]!; if (v < lo) v = lo; }
    if (x.hasMax) { const hi = x.ex[x.lrLen + x.nBounds + b]!; if (v > hi) v = hi; }
  } else {
    v = v < wMin ? wMin : v > wMax ? wMax : v;
  }
  weights[p] = v;
}

/** onRows with a per-synapse factor and/or per-row bounds: w(p) = clip_b(w(p) + lr[p] · values[idx[k]]). */
export function onRowsEx(
  ptr: Values, idx: Values, slot: Values | null, weights: Float32Array, active: Values, values: Values,
  nRows: number, wMin: number, wMax: number, x: UpdateExtras,
): void {
  for (let r = 0; r < nRows; r++) {
    if (active[r] === 0) continue;
    for (let k = ptr[r]!; k < ptr[r + 1]!; k++) {
      const j = idx[k]!;
      updateEx(weights, slot === null ? k : slot[k]!, x.byIdx ? j : r, values[j]!, x, wMin, wMax);
    }
  }
}

/** addOuter with a per-synapse factor and/or per-row bounds: w(p) = clip_b(w(p) + lr[p] · (scale · s)). */
export function addOuterEx(
  ptr: Values, idx: Values, slot: Values | null, weights: Float32Array, a: Values, c: Values,
  batch: number, nRows: number, nCols: number, scale: number, wMin: number, wMax: number, x: UpdateExtras,
): void {
  for (let r = 0; r < nRows; r++) {
    let any = false;
    for (let b = 0; b < batch; b++) if (a[b * nRows + r] !== 0) any = true;
    if (!any) continue;
    for (let k = ptr[r]!; k < ptr[r + 1]!; k++) {
      const j = idx[k]!;
      let s = 0;
      for (let b = 0; b < batch; b++) s += a[b * nRows + r]! * c[b * nCols + j]!;
      updateEx(weights, slot === null ? k : slot[k]!, x.byIdx ? j : r, scale * s, x, wMin, wMax);
    }
  }
}
