// Single-precision matrix products for the host step (src/gemm/): C = op(A)·op(B) over a panel-packed B.
// The caller copies its operands into this module's memory; pointers are byte addresses in it. Work is
// split by 8-column panels of B and C, so threads sharing the memory take disjoint panel ranges, and every
// element of C is summed by one thread in the same order (k ascending) whatever the number of threads.

/**
 * Packs columns [8·p0, 8·p1) of B (K rows; element (k, j) at b + 4·(k·brs + j·bcs)) into panels: panel p
 * holds, for each k, the 8 values B(k, 8p..8p+7) at out + 4·8·(p·K + k). Columns at or past N are zeros.
 */
export function pack(b: usize, brs: i32, bcs: i32, N: i32, K: i32, out: usize, p0: i32, p1: i32): void {
  for (let p = p0; p < p1; p++) {
    const j0 = p << 3;
    let dst = out + (<usize>p * <usize>K << 5);
    if (bcs == 1 && j0 + 8 <= N) {
      for (let k = 0; k < K; k++) {
        const src = b + (<usize>(k * brs + j0) << 2);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += 32;
      }
      continue;
    }
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < 8; j++) {
        store<f32>(dst + (<usize>j << 2), j0 + j < N ? load<f32>(b + (<usize>(k * brs + (j0 + j) * bcs) << 2)) : 0);
      }
      dst += 32;
    }
  }
}

/**
 * C(i, 8p..8p+7) = Σ_k A(i, k)·B(k, 8p..8p+7) for every row i < M and panel p in [p0, p1), then the
 * epilogue of `put` (bias: ldc floats; mask: laid out as C): A(i, k) at a + 4·(i·ars + k·acs), B packed by
 * `pack`, C row-major with row length ldc (a multiple of 8). Four rows at a time in eight accumulators
 * (4 × 8 floats), then single rows.
 */
export function gemm(a: usize, ars: i32, acs: i32, bp: usize, c: usize, ldc: i32, M: i32, K: i32, p0: i32, p1: i32, bias: usize, mask: usize, relu: bool): void {
  // blocks of PANEL_BLOCK panels (at most 512 KB of packed B for K ≤ 1024: L2); within a block each
  // 4-row slice of A is used for every panel of the block while it is in L1
  for (let q = p0; q < p1; q += PANEL_BLOCK) {
    const q1 = min(q + PANEL_BLOCK, p1);
    let i = 0;
    for (; i + 4 <= M; i += 4) {
      for (let p = q; p < q1; p++) {
        const at = <usize>i * (<usize>ldc << 2) + (<usize>p << 5);
        rows4(a + <usize>i * (<usize>ars << 2), ars, acs, bp + (<usize>p * <usize>K << 5), c + at, ldc, K, bias ? bias + (<usize>p << 5) : 0, mask ? mask + at : 0, relu);
      }
    }
    for (; i < M; i++) {
      for (let p = q; p < q1; p++) {
        const at = <usize>i * (<usize>ldc << 2) + (<usize>p << 5);
        row1(a + <usize>i * (<usize>ars << 2), acs, bp + (<usize>p * <usize>K << 5), c + at, K, bias ? bias + (<usize>p << 5) : 0, mask ? mask + at : 0, relu);
      }
    }
  }
}

const PANEL_BLOCK = 16;

/** C(4 rows, 8 columns) = A(4 rows, K)·B(K, 8 packed) in eight accumulators. */
// @ts-ignore: decorator
@inline function rows4(a0: usize, ars: i32, acs: i32, pb: usize, pc: usize, ldc: i32, K: i32, bias: usize, mask: usize, relu: bool): void {
  const rowA = <usize>ars << 2;
  const stepA = <usize>acs << 2;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let a1 = a0 + rowA;
  let a2 = a1 + rowA;
  let a3 = a2 + rowA;
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = v128.load32_splat(a0);
    c00 = f32x4.add(c00, f32x4.mul(s, b0));
    c01 = f32x4.add(c01, f32x4.mul(s, b1));
    s = v128.load32_splat(a1);
    c10 = f32x4.add(c10, f32x4.mul(s, b0));
    c11 = f32x4.add(c11, f32x4.mul(s, b1));
    s = v128.load32_splat(a2);
    c20 = f32x4.add(c20, f32x4.mul(s, b0));
    c21 = f32x4.add(c21, f32x4.mul(s, b1));
    s = v128.load32_splat(a3);
    c30 = f32x4.add(c30, f32x4.mul(s, b0));
    c31 = f32x4.add(c31, f32x4.mul(s, b1));
    a0 += stepA;
    a1 += stepA;
    a2 += stepA;
    a3 += stepA;
    pb += 32;
  }
  const rowC = <usize>ldc << 2;
  put(pc, c00, c01, bias, mask, relu);
  put(pc + rowC, c10, c11, bias, mask ? mask + rowC : 0, relu);
  put(pc + 2 * rowC, c20, c21, bias, mask ? mask + 2 * rowC : 0, relu);
  put(pc + 3 * rowC, c30, c31, bias, mask ? mask + 3 * rowC : 0, relu);
}

/** C(1 row, 8 columns) = A(1 row, K)·B(K, 8 packed). */
// @ts-ignore: decorator
@inline function row1(a0: usize, acs: i32, pb: usize, pc: usize, K: i32, bias: usize, mask: usize, relu: bool): void {
  const stepA = <usize>acs << 2;
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  for (let k = 0; k < K; k++) {
    const s = v128.load32_splat(a0);
    c0 = f32x4.add(c0, f32x4.mul(s, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(s, v128.load(pb, 16)));
    a0 += stepA;
    pb += 32;
  }
  put(pc, c0, c1, bias, mask, relu);
}

/**
 * Stores 8 sums at pc after the epilogue: + bias (8 floats at `bias`, unless 0), then ReLU (if `relu`),
 * then zero where the mask (8 floats at `mask`, unless 0) is not > 0. ReLU and the mask keep a value only
 * where the comparison is true, so NaN and −0 become +0, as the JS form's `!(v > 0) ? 0 : v`.
 */
// @ts-ignore: decorator
@inline function put(pc: usize, lo: v128, hi: v128, bias: usize, mask: usize, relu: bool): void {
  if (bias) {
    lo = f32x4.add(lo, v128.load(bias));
    hi = f32x4.add(hi, v128.load(bias, 16));
  }
  const zero = f32x4.splat(0);
  if (relu) {
    lo = v128.and(lo, f32x4.gt(lo, zero));
    hi = v128.and(hi, f32x4.gt(hi, zero));
  }
  if (mask) {
    lo = v128.and(lo, f32x4.gt(v128.load(mask), zero));
    hi = v128.and(hi, f32x4.gt(v128.load(mask, 16), zero));
  }
  v128.store(pc, lo);
  v128.store(pc, hi, 16);
}

/**
 * Adam on n float32 values in place (w, m, v) with the gradient g, each operation rounded to float32 as
 * the host step's JS form does: m = b1·m + b1c·g; v = b2·v + b2c·g²; w −= (m / (√v / rc + eps))·stepSize.
 */
export function adam(w: usize, g: usize, m: usize, v: usize, n: i32, b1: f32, b1c: f32, b2: f32, b2c: f32, stepSize: f32, rc: f32, eps: f32): void {
  const vb1 = f32x4.splat(b1), vb1c = f32x4.splat(b1c), vb2 = f32x4.splat(b2), vb2c = f32x4.splat(b2c);
  const vstep = f32x4.splat(stepSize), vrc = f32x4.splat(rc), veps = f32x4.splat(eps);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const gi = v128.load(g + at);
    const mi = f32x4.add(f32x4.mul(v128.load(m + at), vb1), f32x4.mul(gi, vb1c));
    const vi = f32x4.add(f32x4.mul(v128.load(v + at), vb2), f32x4.mul(f32x4.mul(gi, gi), vb2c));
    const den = f32x4.add(f32x4.div(f32x4.sqrt(vi), vrc), veps);
    v128.store(w + at, f32x4.sub(v128.load(w + at), f32x4.mul(f32x4.div(mi, den), vstep)));
    v128.store(m + at, mi);
    v128.store(v + at, vi);
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const gi = load<f32>(g + at);
    const mi = load<f32>(m + at) * b1 + gi * b1c;
    const vi = load<f32>(v + at) * b2 + gi * gi * b2c;
    store<f32>(w + at, load<f32>(w + at) - (mi / (sqrt<f32>(vi) / rc + eps)) * stepSize);
    store<f32>(m + at, mi);
    store<f32>(v + at, vi);
  }
}

/**
 * The attention layer's elementwise step over n values: t = tanh(|p − z|), q = z·t, in float32. tanh
 * (tanhAbs) is within a few float32 ulps of the exact value, where the JS form rounds Math.tanh.
 */
export function attention(p: usize, z: usize, t: usize, q: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const zi = v128.load(z + at);
    const ti = tanhAbs(f32x4.abs(f32x4.sub(v128.load(p + at), zi)));
    v128.store(t + at, ti);
    v128.store(q + at, f32x4.mul(zi, ti));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const zi = load<f32>(z + at);
    const ti = f32x4.extract_lane(tanhAbs(f32x4.splat(abs<f32>(load<f32>(p + at) - zi))), 0);
    store<f32>(t + at, ti);
    store<f32>(q + at, zi * ti);
  }
}

/**
 * The gradient through the attention layer and the memory layer's ReLU: dz = dq·t + dq·z·(1 − t²)·s where
 * z > 0, else 0, with s = −1 where p − z > 0, else 1 (tfjs's gradient of |·|).
 */
export function attentionGrad(dq: usize, z: usize, t: usize, p: usize, dz: usize, n: i32): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const g = v128.load(dq + at), zi = v128.load(z + at), ti = v128.load(t + at);
    // s·x as x with its sign flipped where p − z > 0
    const flip = v128.and(f32x4.gt(f32x4.sub(v128.load(p + at), zi), zero), f32x4.splat(-0.0));
    const chain = v128.xor(f32x4.mul(f32x4.mul(g, zi), f32x4.sub(one, f32x4.mul(ti, ti))), flip);
    v128.store(dz + at, v128.and(f32x4.add(f32x4.mul(g, ti), chain), f32x4.gt(zi, zero)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const g = load<f32>(dq + at), zi = load<f32>(z + at), ti = load<f32>(t + at);
    const s: f32 = load<f32>(p + at) - zi > 0 ? -1 : 1;
    store<f32>(dz + at, zi > 0 ? g * ti + g * zi * (1 - ti * ti) * s : 0);
  }
}

/**
 * tanh of x ≥ 0 (lanes), float32: x + x³·P(x²) below 0.625 (Cephes tanhf's polynomial), else
 * 1 − 2/(e^{2x} + 1), 1 from 9 on; e^{2x} = 2^n·e^r with r = 2x − n·ln 2, |r| ≤ ln 2/2 (Cephes expf's
 * polynomial, ln 2 in two parts). Not inlined: the module must stay under 4 KB.
 */
function tanhAbs(x: v128): v128 {
  const x2 = f32x4.mul(x, x);
  let poly = f32x4.splat(-5.70498872745e-3);
  poly = f32x4.add(f32x4.mul(poly, x2), f32x4.splat(2.06390887954e-2));
  poly = f32x4.add(f32x4.mul(poly, x2), f32x4.splat(-5.37397155531e-2));
  poly = f32x4.add(f32x4.mul(poly, x2), f32x4.splat(1.33314422036e-1));
  poly = f32x4.add(f32x4.mul(poly, x2), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(poly, x2), x));
  const y = f32x4.min(f32x4.add(x, x), f32x4.splat(18));
  const n = f32x4.nearest(f32x4.mul(y, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(y, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let e = f32x4.splat(1.9875691500e-4);
  e = f32x4.add(f32x4.mul(e, r), f32x4.splat(1.3981999507e-3));
  e = f32x4.add(f32x4.mul(e, r), f32x4.splat(8.3334519073e-3));
  e = f32x4.add(f32x4.mul(e, r), f32x4.splat(4.1665795894e-2));
  e = f32x4.add(f32x4.mul(e, r), f32x4.splat(1.6666665459e-1));
  e = f32x4.add(f32x4.mul(e, r), f32x4.splat(5.0000001201e-1));
  e = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(e, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  const exp2x = f32x4.mul(e, scale);
  const large = f32x4.sub(f32x4.splat(1), f32x4.div(f32x4.splat(2), f32x4.add(exp2x, f32x4.splat(1))));
  return v128.bitselect(small, large, f32x4.lt(x, f32x4.splat(0.625)));
}
