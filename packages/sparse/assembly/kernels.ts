// SIMD kernels of @plasticity/sparse for the tfjs 'wasm' backend (AssemblyScript, compiled by
// `pnpm --filter @plasticity/sparse build:wasm` into src/kernels/wasm-binary.ts).
//
// The module imports tfjs-backend-wasm's own WebAssembly.Memory and works on tensors in place:
// every pointer argument is a byte offset into that memory (a tensor's memoryOffset or scratch
// obtained from tfjs's _malloc). It has no data segment, no globals that need initialising and
// allocates nothing. Arithmetic mirrors the JS cpu kernels exactly: float32 adds where JS stores a
// float32 sum, float64 products/accumulators where JS keeps a number in a local (JS numbers are
// doubles), rounded to float32 only where JS stores into a Float32Array.
//
// Event kinds (dtype of an events/active tensor): 0 = float32, 1 = int32, 2 = bool (uint8).
// An element is active iff it is != 0 (float: -0 is inactive, NaN is active).

const F32: i32 = 0;
const I32: i32 = 1;

/**
 * clip(v) = (v < lo ? lo : v) then (v > hi ? hi : v), bit for bit (NaN passes through, -0 stays -0)
 * in the vector unit: f32x4.pmax/pmin are exactly these selects and compile to maxps/minps, where a
 * scalar select becomes a branch that mispredicts whenever clipping is irregular.
 */
@inline function clip(v: f32, vlo: v128, vhi: v128): f32 {
  return f32x4.extract_lane(f32x4.pmin(f32x4.pmax(f32x4.splat(v), vlo), vhi), 0);
}

@inline function clip64(v: f64, vlo: v128, vhi: v128): f64 {
  return f64x2.extract_lane(f64x2.pmin(f64x2.pmax(f64x2.splat(v), vlo), vhi), 0);
}

@inline function value(ev: usize, i: i32, kind: i32): f64 {
  if (kind == F32) return <f64>load<f32>(ev + (<usize>i << 2));
  if (kind == I32) return <f64>load<i32>(ev + (<usize>i << 2));
  return <f64>load<u8>(ev + <usize>i);
}

/**
 * Bit l of the result is set iff element l of the 16 at p is active. 4-byte kinds narrow twice
 * with signed saturation, which keeps every non-zero lane non-zero; float32 clears the sign bit
 * first (so -0 is inactive and NaN active), int32 keeps all bits.
 */
@inline function mask16(p: usize, bytes: bool, signMask: v128): u64 {
  const z = i8x16.splat(0);
  if (bytes) return <u64><u32>i8x16.bitmask(i8x16.ne(v128.load(p), z));
  const lo = i16x8.narrow_i32x4_s(v128.and(v128.load(p), signMask), v128.and(v128.load(p, 16), signMask));
  const hi = i16x8.narrow_i32x4_s(v128.and(v128.load(p, 32), signMask), v128.and(v128.load(p, 48), signMask));
  return <u64><u32>i8x16.bitmask(i8x16.ne(i8x16.narrow_i16x8_s(lo, hi), z));
}

@inline function scan(ev: usize, n: i32, bytes: bool, signMask: v128, list: usize): i32 {
  const sh: usize = bytes ? 0 : 2;
  let c = 0;
  let i = 0;
  // 64 elements a step: one mask and a short loop over its set bits. At 5% firing this listed 10^4
  // bool spikes 2.4x faster than a mask per 16 elements with two branch-free stores each
  for (; i + 64 <= n; i += 64) {
    const p = ev + (<usize>i << sh);
    let m = mask16(p, bytes, signMask) | (mask16(p + (<usize>16 << sh), bytes, signMask) << 16) |
      (mask16(p + (<usize>32 << sh), bytes, signMask) << 32) | (mask16(p + (<usize>48 << sh), bytes, signMask) << 48);
    while (m != 0) {
      store<i32>(list + (<usize>c << 2), i + <i32>ctz<u64>(m));
      c++;
      m &= m - 1;
    }
  }
  for (; i < n; i++) {
    const p = ev + (<usize>i << sh);
    const x = bytes ? <i32>load<u8>(p) : load<i32>(p) & i32x4.extract_lane(signMask, 0);
    if (x != 0) {
      store<i32>(list + (<usize>c << 2), i);
      c++;
    }
  }
  return c;
}

/**
 * Writes the indices i < n with ev[i] != 0 to list (int32, room for n + 1 entries) in increasing
 * order; returns their count.
 */
export function activeList(ev: usize, n: i32, kind: i32, list: usize): i32 {
  if (kind == 2) return scan(ev, n, true, i32x4.splat(0), list);
  return scan(ev, n, false, i32x4.splat(kind == F32 ? 0x7fffffff : -1), list);
}

/** Rows r of a [batch, n] array with some a[b, r] != 0, in increasing order; returns their count. */
export function activeAny(a: usize, batch: i32, n: i32, kind: i32, list: usize): i32 {
  let c = 0;
  const sh: usize = kind == 2 ? 0 : 2;
  const mask = kind == F32 ? 0x7fffffff : -1;
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < batch; b++) {
      const p = a + ((<usize>b * <usize>n + <usize>r) << sh);
      const x = kind == 2 ? <i32>load<u8>(p) : load<i32>(p) & mask;
      if (x != 0) {
        store<i32>(list + (<usize>c << 2), r);
        c++;
        break;
      }
    }
  }
  return c;
}

/**
 * Loads the first element of row list[a2] in two arrays laid out by slot (idx and w, or idx and
 * slot). Rows start at random places, so their first cache lines miss; touching them two rows ahead
 * lets them arrive while the current row runs (wasm has no prefetch instruction). The caller keeps
 * the result alive (the list's spare entry), so the loads are not optimised away.
 */
@inline function touchRow(ptr: usize, list: usize, a2: i32, first: usize, second: usize): i32 {
  const k2 = <usize>load<i32>(ptr + (<usize>load<i32>(list + (<usize>a2 << 2)) << 2)) << 2;
  return load<i32>(first + k2) ^ load<i32>(second + k2);
}

/**
 * Binary event matvec with one weight per synapse in CSR order, the per-step hot path:
 * out[idx[k]] += w[k] (float32) over the slots of the listed rows. out (nCols float32) must be zeroed
 * by the caller. A function of its own so the engine keeps its loop in registers (inside the general
 * matvec below it spilled and ran ~3% slower).
 */
export function matvecBinary(ptr: usize, idx: usize, w: usize, list: usize, nAct: i32, out: usize): void {
  let touched: i32 = 0;
  const dw = w - idx; // byte pointers walk idx and, at this fixed distance, w
  for (let a = 0; a < nAct; a++) {
    const pr = ptr + (<usize>load<i32>(list + (<usize>a << 2)) << 2);
    let q = idx + (<usize>load<i32>(pr) << 2);
    const qe = idx + (<usize>load<i32>(pr, 4) << 2);
    if (a + 2 < nAct) touched ^= touchRow(ptr, list, a + 2, idx, w);
    for (; q + 32 <= qe; q += 32) { // 8 slots per iteration
      const p = q + dw;
      let o = out + (<usize>load<i32>(q) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p));
      o = out + (<usize>load<i32>(q, 4) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 4));
      o = out + (<usize>load<i32>(q, 8) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 8));
      o = out + (<usize>load<i32>(q, 12) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 12));
      o = out + (<usize>load<i32>(q, 16) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 16));
      o = out + (<usize>load<i32>(q, 20) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 20));
      o = out + (<usize>load<i32>(q, 24) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 24));
      o = out + (<usize>load<i32>(q, 28) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(p, 28));
    }
    for (; q < qe; q += 4) {
      const o = out + (<usize>load<i32>(q) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(q + dw));
    }
  }
  store<i32>(list + (<usize>nAct << 2), touched); // the list's spare entry: keeps the touches alive
}

/**
 * Event matvec for one batch row in every other case: out[idx[k]] += e(r) · w(k) for the listed
 * rows r. out (nCols float32) must be zeroed by the caller. slot = 0: w(k) = w[k]; else w[slot[k]].
 * homog != 0: every w(k) = w[0]. float mode (evKind >= 0): out = f32(f64(out) + e · f64(w)), which
 * is what `out[j] += e * w` does in JS; binary mode (evKind < 0): out += w in float32.
 */
export function matvec(ptr: usize, idx: usize, slot: usize, w: usize, homog: i32,
                       list: usize, nAct: i32, ev: usize, evKind: i32, out: usize): void {
  const hw = load<f32>(w);
  let touched: i32 = 0;
  for (let a = 0; a < nAct; a++) {
    const r = load<i32>(list + (<usize>a << 2));
    const pr = ptr + (<usize>r << 2);
    let k = load<i32>(pr);
    const e = load<i32>(pr, 4);
    if (a + 2 < nAct) touched ^= touchRow(ptr, list, a + 2, idx, slot == 0 ? w : slot);
    const x: f64 = evKind < 0 ? 1 : value(ev, r, evKind);
    for (; k < e; k++) {
      const o = out + (<usize>load<i32>(idx + (<usize>k << 2)) << 2);
      const wk = homog != 0 ? hw : slot == 0 ? load<f32>(w + (<usize>k << 2)) : load<f32>(w + (<usize>load<i32>(slot + (<usize>k << 2)) << 2));
      if (evKind < 0) store<f32>(o, load<f32>(o) + wk);
      else store<f32>(o, <f32>(<f64>load<f32>(o) + x * <f64>wk));
    }
  }
  store<i32>(list + (<usize>nAct << 2), touched);
}

/**
 * out[r] = f32(Σ_k f64(w(k)) · f64(v[idx[k]])) for every row r < nRows (a float64 sum, as in JS);
 * homogeneous weight: out[r] = f32(f64(w[0]) · Σ_k f64(v[idx[k]])).
 */
export function rowDot(ptr: usize, idx: usize, slot: usize, w: usize, homog: i32, nRows: i32, v: usize, out: usize): void {
  const hw = <f64>load<f32>(w);
  for (let r = 0; r < nRows; r++) {
    let k = load<i32>(ptr + (<usize>r << 2));
    const e = load<i32>(ptr + (<usize>r << 2), 4);
    let s: f64 = 0;
    if (homog != 0) {
      for (; k < e; k++) s += <f64>load<f32>(v + (<usize>load<i32>(idx + (<usize>k << 2)) << 2));
      s *= hw;
    } else if (slot == 0) {
      for (; k < e; k++) {
        s += <f64>load<f32>(w + (<usize>k << 2)) * <f64>load<f32>(v + (<usize>load<i32>(idx + (<usize>k << 2)) << 2));
      }
    } else {
      for (; k < e; k++) {
        s += <f64>load<f32>(w + (<usize>load<i32>(slot + (<usize>k << 2)) << 2)) *
             <f64>load<f32>(v + (<usize>load<i32>(idx + (<usize>k << 2)) << 2));
      }
    }
    store<f32>(out + (<usize>r << 2), <f32>s);
  }
}

/**
 * On-rows update: w(k) = clip(w(k) + vals[idx[k]]) on the slots of the listed rows (float32 add,
 * clip with f32x4.pmax/pmin, bit-exact with the scalar `v < lo ? lo : v; v > hi ? hi : v`).
 * slot = 0: contiguous weights, 4 lanes at a time with the values gathered lane by lane.
 */
export function onRows(ptr: usize, idx: usize, slot: usize, w: usize, list: usize, nAct: i32,
                       vals: usize, lo: f32, hi: f32): void {
  const vlo = f32x4.splat(lo);
  const vhi = f32x4.splat(hi);
  let touched: i32 = 0;
  for (let a = 0; a < nAct; a++) {
    const r = load<i32>(list + (<usize>a << 2));
    const pr = ptr + (<usize>r << 2);
    let k = load<i32>(pr);
    const e = load<i32>(pr, 4);
    if (a + 2 < nAct) touched ^= touchRow(ptr, list, a + 2, idx, slot == 0 ? w : slot);
    if (slot == 0) {
      for (; k + 4 <= e; k += 4) {
        const q = idx + (<usize>k << 2);
        const p = w + (<usize>k << 2);
        let t = f32x4.splat(load<f32>(vals + (<usize>load<i32>(q) << 2)));
        t = f32x4.replace_lane(t, 1, load<f32>(vals + (<usize>load<i32>(q, 4) << 2)));
        t = f32x4.replace_lane(t, 2, load<f32>(vals + (<usize>load<i32>(q, 8) << 2)));
        t = f32x4.replace_lane(t, 3, load<f32>(vals + (<usize>load<i32>(q, 12) << 2)));
        v128.store(p, f32x4.pmin(f32x4.pmax(f32x4.add(v128.load(p), t), vlo), vhi));
      }
      for (; k < e; k++) {
        const p = w + (<usize>k << 2);
        store<f32>(p, clip(load<f32>(p) + load<f32>(vals + (<usize>load<i32>(idx + (<usize>k << 2)) << 2)), vlo, vhi));
      }
    } else {
      for (; k + 4 <= e; k += 4) {
        const q = idx + (<usize>k << 2);
        const s = slot + (<usize>k << 2);
        const p0 = w + (<usize>load<i32>(s) << 2);
        const p1 = w + (<usize>load<i32>(s, 4) << 2);
        const p2 = w + (<usize>load<i32>(s, 8) << 2);
        const p3 = w + (<usize>load<i32>(s, 12) << 2);
        store<f32>(p0, clip(load<f32>(p0) + load<f32>(vals + (<usize>load<i32>(q) << 2)), vlo, vhi));
        store<f32>(p1, clip(load<f32>(p1) + load<f32>(vals + (<usize>load<i32>(q, 4) << 2)), vlo, vhi));
        store<f32>(p2, clip(load<f32>(p2) + load<f32>(vals + (<usize>load<i32>(q, 8) << 2)), vlo, vhi));
        store<f32>(p3, clip(load<f32>(p3) + load<f32>(vals + (<usize>load<i32>(q, 12) << 2)), vlo, vhi));
      }
      for (; k < e; k++) {
        const p = w + (<usize>load<i32>(slot + (<usize>k << 2)) << 2);
        store<f32>(p, clip(load<f32>(p) + load<f32>(vals + (<usize>load<i32>(idx + (<usize>k << 2)) << 2)), vlo, vhi));
      }
    }
  }
  store<i32>(list + (<usize>nAct << 2), touched); // the list's spare entry: keeps the touches alive
}

/**
 * Sampled outer-product update on the listed rows: s = Σ_b f64(a[b, r]) · f64(c[b, idx[k]])
 * (float64 sum), w(k) = f32(clip(f64(w(k)) + scale · s)). a is [batch, nRows], c [batch, nCols], float32.
 */
export function addOuter(ptr: usize, idx: usize, slot: usize, w: usize, list: usize, nAct: i32,
                         a: usize, c: usize, batch: i32, nRows: i32, nCols: i32,
                         scale: f64, lo: f64, hi: f64): void {
  const vlo = f64x2.splat(lo);
  const vhi = f64x2.splat(hi);
  for (let t = 0; t < nAct; t++) {
    const r = load<i32>(list + (<usize>t << 2));
    let k = load<i32>(ptr + (<usize>r << 2));
    const e = load<i32>(ptr + (<usize>r << 2), 4);
    for (; k < e; k++) {
      const j = load<i32>(idx + (<usize>k << 2));
      let s: f64 = 0;
      for (let b = 0; b < batch; b++) {
        s += <f64>load<f32>(a + ((<usize>b * <usize>nRows + <usize>r) << 2)) *
             <f64>load<f32>(c + ((<usize>b * <usize>nCols + <usize>j) << 2));
      }
      const p = w + ((slot == 0 ? <usize>k : <usize>load<i32>(slot + (<usize>k << 2))) << 2);
      store<f32>(p, <f32>clip64(<f64>load<f32>(p) + scale * s, vlo, vhi));
    }
  }
}

/**
 * OnRows (c = 0: d = vals[idx[k]]) or AddOuter (d = scale · Σ_b a[b, r] · c[b, idx[k]], a at `vals`)
 * with a per-synapse factor and/or per-row bounds, in float64 as the cpu kernel:
 * w(p) = f32(clip_b(f64(w(p)) + lr[p] · d)). ex = [lr (lrLen), lo (nB), hi (nB)] float32; the bound
 * row b is r, or idx[k] with flags & 2; flags & 4 / & 8: lo / hi set. Without per-row bounds
 * (nB = 0) the scalar lo/hi clip.
 */
export function updateEx(ptr: usize, idx: usize, slot: usize, w: usize, list: usize, nAct: i32,
                         vals: usize, c: usize, batch: i32, nRows: i32, nCols: i32, scale: f64,
                         lo: f64, hi: f64, ex: usize, lrLen: i32, nB: i32, flags: i32): void {
  for (let t = 0; t < nAct; t++) {
    const r = load<i32>(list + (<usize>t << 2));
    let k = load<i32>(ptr + (<usize>r << 2));
    const e = load<i32>(ptr + (<usize>r << 2), 4);
    for (; k < e; k++) {
      const j = load<i32>(idx + (<usize>k << 2));
      let d: f64 = 0;
      if (c == 0) {
        d = <f64>load<f32>(vals + (<usize>j << 2));
      } else {
        for (let b = 0; b < batch; b++) {
          d += <f64>load<f32>(vals + ((<usize>b * <usize>nRows + <usize>r) << 2)) *
               <f64>load<f32>(c + ((<usize>b * <usize>nCols + <usize>j) << 2));
        }
        d = scale * d;
      }
      const pi = slot == 0 ? <usize>k : <usize>load<i32>(slot + (<usize>k << 2));
      const p = w + (pi << 2);
      let v = <f64>load<f32>(p) + (lrLen > 0 ? <f64>load<f32>(ex + (pi << 2)) * d : d);
      if (nB > 0) {
        const lp = ex + (<usize>(lrLen + (flags & 2 ? j : r)) << 2);
        if (flags & 4) { const l = <f64>load<f32>(lp); if (v < l) v = l; }
        if (flags & 8) { const h = <f64>load<f32>(lp + (<usize>nB << 2)); if (v > h) v = h; }
      } else {
        v = v < lo ? lo : v > hi ? hi : v;
      }
      store<f32>(p, <f32>v);
    }
  }
}

/** out[pos(k)] = f32(Σ_b f64(a[b, r]) · f64(c[b, idx[k]])) for every slot k of every row r < nRows. */
export function sddmm(ptr: usize, idx: usize, slot: usize, a: usize, c: usize, batch: i32,
                      nRows: i32, nCols: i32, out: usize): void {
  for (let r = 0; r < nRows; r++) {
    let k = load<i32>(ptr + (<usize>r << 2));
    const e = load<i32>(ptr + (<usize>r << 2), 4);
    for (; k < e; k++) {
      const j = load<i32>(idx + (<usize>k << 2));
      let s: f64 = 0;
      for (let b = 0; b < batch; b++) {
        s += <f64>load<f32>(a + ((<usize>b * <usize>nRows + <usize>r) << 2)) *
             <f64>load<f32>(c + ((<usize>b * <usize>nCols + <usize>j) << 2));
      }
      store<f32>(out + ((slot == 0 ? <usize>k : <usize>load<i32>(slot + (<usize>k << 2))) << 2), <f32>s);
    }
  }
}

/**
 * Index of the first NaN or ±Infinity among n float32 at p, or -1. A finite float's bits without
 * the sign are below 0x7f800000: the loop keeps their unsigned maximum per lane (16 floats a step,
 * no branch), and only when that reaches 0x7f800000 does a scalar pass find the index. Host values
 * are checked this way after they are copied to the heap, before any weight changes.
 */
export function firstNonFinite(p: usize, n: i32): i32 {
  const abs = i32x4.splat(0x7fffffff);
  let m0 = i32x4.splat(0);
  let m1 = m0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const q = p + (<usize>i << 2);
    m0 = i32x4.max_u(m0, i32x4.max_u(v128.and(v128.load(q), abs), v128.and(v128.load(q, 16), abs)));
    m1 = i32x4.max_u(m1, i32x4.max_u(v128.and(v128.load(q, 32), abs), v128.and(v128.load(q, 48), abs)));
  }
  const m = i32x4.max_u(m0, m1);
  const bad = v128.any_true(i32x4.ge_u(m, i32x4.splat(0x7f800000)));
  for (let k = bad ? 0 : i; k < n; k++) {
    if ((load<i32>(p + (<usize>k << 2)) & 0x7fffffff) >= 0x7f800000) return k;
  }
  return -1;
}
