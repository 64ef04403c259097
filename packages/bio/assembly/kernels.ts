// The bio transforms' host kernels in WebAssembly SIMD, run on tfjs-backend-wasm's own memory (pointers
// are byte offsets of tensors there). They compute what the JS host kernels compute (src/*.ts), with the
// same draws: sums in float64; products, comparisons and projections in float32, bit-identical to the JS
// passes; normals, exponentials and logarithms in float32 (a few ulps: the tensor form's precision), where
// the JS passes use doubles. Names follow the JS kernels.

const TWO_POW_M32: f64 = 1.0 / 4294967296.0;

// ---------------------------------------------------------------------------------------------------
// draws

/** n raw xoshiro128** outputs at `out` from the state s[0..3] at `state`, which is advanced past them. */
export function draws(state: usize, out: usize, n: i32): void {
  let s0 = load<u32>(state), s1 = load<u32>(state, 4), s2 = load<u32>(state, 8), s3 = load<u32>(state, 12);
  for (let i = 0; i < n; i++) {
    store<u32>(out + (<usize>i << 2), rotl<u32>(s1 * 5, 7) * 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl<u32>(s3, 11);
  }
  store<u32>(state, s0);
  store<u32>(state, s1, 4);
  store<u32>(state, s2, 8);
  store<u32>(state, s3, 12);
}

/**
 * 4·q raw outputs of one stream made by four copies of the generator at once, one per lane: lane j starts
 * q outputs after lane j − 1 (the caller jumps the states ahead, draws.ts) and writes its q outputs at
 * out + 4·j·q (q a multiple of 4), so that out holds the stream in order. `state`: the lanes' s0, s1, s2,
 * s3 (four u32 each), advanced past their outputs, then 64 bytes of scratch (four steps' outputs, stored a
 * lane's four at a time after a 4×4 transpose). The products by 5 and 9 as shifts and adds (no constants
 * to rebuild).
 */
export function drawsLanes(state: usize, out: usize, q: i32): void {
  let s0 = v128.load(state), s1 = v128.load(state, 16), s2 = v128.load(state, 32), s3 = v128.load(state, 48);
  const tmp = state + 64;
  const stride = <usize>q << 2;
  for (let i = 0; i < q; i += 4) {
    for (let t = 0; t < 4; t++) {
      const m = i32x4.add(i32x4.shl(s1, 2), s1);
      const r = v128.or(i32x4.shl(m, 7), i32x4.shr_u(m, 25));
      v128.store(tmp + (<usize>t << 4), i32x4.add(i32x4.shl(r, 3), r));
      const x = i32x4.shl(s1, 9);
      s2 = v128.xor(s2, s0);
      s3 = v128.xor(s3, s1);
      s1 = v128.xor(s1, s2);
      s0 = v128.xor(s0, s3);
      s2 = v128.xor(s2, x);
      s3 = v128.or(i32x4.shl(s3, 11), i32x4.shr_u(s3, 21));
    }
    const o0 = v128.load(tmp), o1 = v128.load(tmp, 16), o2 = v128.load(tmp, 32), o3 = v128.load(tmp, 48);
    const lo01 = v128.shuffle<i32>(o0, o1, 0, 4, 1, 5), hi01 = v128.shuffle<i32>(o0, o1, 2, 6, 3, 7);
    const lo23 = v128.shuffle<i32>(o2, o3, 0, 4, 1, 5), hi23 = v128.shuffle<i32>(o2, o3, 2, 6, 3, 7);
    const at = out + (<usize>i << 2);
    v128.store(at, v128.shuffle<i32>(lo01, lo23, 0, 1, 4, 5));
    v128.store(at + stride, v128.shuffle<i32>(lo01, lo23, 2, 3, 6, 7));
    v128.store(at + 2 * stride, v128.shuffle<i32>(hi01, hi23, 0, 1, 4, 5));
    v128.store(at + 3 * stride, v128.shuffle<i32>(hi01, hi23, 2, 3, 6, 7));
  }
  v128.store(state, s0);
  v128.store(state, s1, 16);
  v128.store(state, s2, 32);
  v128.store(state, s3, 48);
}

// ---------------------------------------------------------------------------------------------------
// transforms

// ---------------------------------------------------------------------------------------------------
// float32x4 functions (volume-lr, whose factors only need float32 accuracy: the tensor form rounds each op).
// Their constants are read from a table the kernel writes at `cst` first (V8 rebuilds a v128 constant at
// every use, in several instructions; a load from memory is one).

export const CONSTANTS_BYTES = 1008;

/** Writes the constants of the float32x4 functions at cst (CONSTANTS_BYTES bytes). */
function constants(cst: usize): void {
  v128.store(cst, f32x4.splat(1.44269504088896341), 0);
  v128.store(cst, f32x4.splat(0.693359375), 16);
  v128.store(cst, f32x4.splat(-2.12194440e-4), 32);
  v128.store(cst, f32x4.splat(1.9875691500e-4), 48);
  v128.store(cst, f32x4.splat(1.3981999507e-3), 64);
  v128.store(cst, f32x4.splat(8.3334519073e-3), 80);
  v128.store(cst, f32x4.splat(4.1665795894e-2), 96);
  v128.store(cst, f32x4.splat(1.6666665459e-1), 112);
  v128.store(cst, f32x4.splat(5.0000001201e-1), 128);
  v128.store(cst, f32x4.splat(1), 144);
  v128.store(cst, f32x4.splat(0.5), 160);
  v128.store(cst, i32x4.splat(127 + 32), 176);
  v128.store(cst, i32x4.splat(0x007fffff), 192);
  v128.store(cst, i32x4.splat(0x3f800000), 208);
  v128.store(cst, f32x4.splat(1.41421356), 224);
  v128.store(cst, f32x4.splat(7.0376836292e-2), 240);
  v128.store(cst, f32x4.splat(-1.1514610310e-1), 256);
  v128.store(cst, f32x4.splat(1.1676998740e-1), 272);
  v128.store(cst, f32x4.splat(-1.2420140846e-1), 288);
  v128.store(cst, f32x4.splat(1.4249322787e-1), 304);
  v128.store(cst, f32x4.splat(-1.6668057665e-1), 320);
  v128.store(cst, f32x4.splat(2.0000714765e-1), 336);
  v128.store(cst, f32x4.splat(-2.4999993993e-1), 352);
  v128.store(cst, f32x4.splat(3.3333331174e-1), 368);
  v128.store(cst, i32x4.splat(1 << 29), 384);
  v128.store(cst, f32x4.splat(1.4629180792671596e-9), 400);
  v128.store(cst, f32x4.splat(1.0 / 40320.0), 416);
  v128.store(cst, f32x4.splat(1.0 / 720.0), 432);
  v128.store(cst, f32x4.splat(1.0 / 24.0), 448);
  v128.store(cst, f32x4.splat(1.0 / 362880.0), 464);
  v128.store(cst, f32x4.splat(1.0 / 5040.0), 480);
  v128.store(cst, f32x4.splat(1.0 / 120.0), 496);
  v128.store(cst, f32x4.splat(1.0 / 6.0), 512);
  v128.store(cst, i32x4.splat(3), 528);
  v128.store(cst, i32x4.splat(1), 544);
  v128.store(cst, i32x4.splat(2), 560);
  v128.store(cst, f32x4.splat(-0.0), 576);
  v128.store(cst, i32x4.splat(0), 592);
  v128.store(cst, f32x4.splat(0), 608);
  v128.store(cst, f32x4.splat(-2), 624);
  v128.store(cst, v128.shuffle<i32>(i32x4.splat(0), i32x4.splat(1), 0, 4, 0, 4), 640);
  v128.store(cst, f32x4.splat(12582912), 656);
  v128.store(cst, i32x4.splat(0x4b400000), 672);
  v128.store(cst, f32x4.splat(1.0 / 6), 688);
  v128.store(cst, f32x4.splat(1 + 1e-6), 704);
  v128.store(cst, i32x4.splat(4), 720);
  v128.store(cst, i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(0), 1, 1), 2, 2), 3, 3), 736); // lane numbers
  // byte shuffles that move the 32-bit lanes set in a 4-bit mask to the front, in order (list compaction)
  memory.fill(cst + 752, 0, 256);
  for (let m = 0; m < 16; m++) {
    let at = cst + 752 + (<usize>m << 4);
    for (let lane = 0; lane < 4; lane++) {
      if (m & (1 << lane)) {
        for (let b = 0; b < 4; b++) store<u8>(at + b, <u8>(4 * lane + b));
        at += 4;
      }
    }
  }
}

/** Integer-valued floats (|n| < 2^22) as int32: the integer lands in the mantissa of n + 1.5·2^23 (V8 lowers
 *  the saturating conversion to about ten instructions). */
// @ts-ignore: decorator
@inline function intOf(n: v128, cst: usize): v128 {
  return i32x4.sub(f32x4.add(n, v128.load(cst, 656)), v128.load(cst, 672));
}

/** Unsigned 32-bit integers to float32 within one float32 rounding: x/2 is below 2^31, so the signed
 *  conversion (one instruction; V8 emulates the unsigned one) takes it exactly to 24 bits. */
// @ts-ignore: decorator
@inline function floatOfU32(x: v128): v128 {
  const h = f32x4.convert_i32x4_s(i32x4.shr_u(x, 1));
  return f32x4.add(h, h);
}

/** e^x, float32 (Cephes expf: x = n·ln 2 + r, |r| ≤ ln 2/2, a degree-5 polynomial; 1–2 ulps). The
 *  polynomials here are evaluated in Estrin's scheme (pairs of terms, then powers of the argument): half the
 *  dependency chain of Horner's rule, which bounded these loops by latency rather than by throughput. */
// @ts-ignore: decorator
@inline function expf4(x: v128, cst: usize): v128 {
  const n = f32x4.nearest(f32x4.mul(x, v128.load(cst, 0)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, v128.load(cst, 16))), f32x4.mul(n, v128.load(cst, 32)));
  const r2 = f32x4.mul(r, r);
  const a = f32x4.add(f32x4.mul(v128.load(cst, 48), r), v128.load(cst, 64));
  const b = f32x4.add(f32x4.mul(v128.load(cst, 80), r), v128.load(cst, 96));
  const c = f32x4.add(f32x4.mul(v128.load(cst, 112), r), v128.load(cst, 128));
  const e = f32x4.add(f32x4.mul(a, f32x4.mul(r2, r2)), f32x4.add(f32x4.mul(b, r2), c));
  return i32x4.add(f32x4.add(f32x4.add(f32x4.mul(e, r2), r), v128.load(cst, 144)), i32x4.shl(intOf(n, cst), 23));
}

/**
 * ln u for u = (x + 0.5)·2^-32 of raw outputs x, float32: x + 0.5 = m·2^e with m in [√½, √2) (Cephes logf's
 * polynomial in m − 1), plus (e − 32)·ln 2 in two parts. Near u = 1 the exponent is 0 and m − 1 is exact, so
 * small logarithms keep their precision (x + 0.5 is rounded to 24 bits: u within 2^-24 of 1 gives 0).
 */
// @ts-ignore: decorator
@inline function lnUnit4(x: v128, cst: usize): v128 {
  const v = f32x4.add(floatOfU32(x), v128.load(cst, 160));
  let e = i32x4.sub(i32x4.shr_u(v, 23), v128.load(cst, 176));
  let m = v128.or(v128.and(v, v128.load(cst, 192)), v128.load(cst, 208));
  const big = f32x4.gt(m, v128.load(cst, 224));
  m = v128.bitselect(f32x4.mul(m, v128.load(cst, 160)), m, big);
  e = i32x4.sub(e, big); // the mask is −1 where m was halved
  const ef = f32x4.convert_i32x4_s(e);
  const z = f32x4.sub(m, v128.load(cst, 144));
  const z2 = f32x4.mul(z, z), z4 = f32x4.mul(z2, z2);
  // p = c0·z^8 + c1·z^7 + … + c8 (the coefficients at 240, 256, …, 368), in pairs of terms
  const t78 = f32x4.add(f32x4.mul(v128.load(cst, 352), z), v128.load(cst, 368));
  const t56 = f32x4.add(f32x4.mul(v128.load(cst, 320), z), v128.load(cst, 336));
  const t34 = f32x4.add(f32x4.mul(v128.load(cst, 288), z), v128.load(cst, 304));
  const t12 = f32x4.add(f32x4.mul(v128.load(cst, 256), z), v128.load(cst, 272));
  const low = f32x4.add(f32x4.mul(t56, z2), t78), high = f32x4.add(f32x4.mul(t12, z2), t34);
  const p = f32x4.add(f32x4.add(f32x4.mul(high, z4), low), f32x4.mul(v128.load(cst, 240), f32x4.mul(z4, z4)));
  let y = f32x4.mul(f32x4.mul(z2, z), p);
  y = f32x4.add(y, f32x4.mul(ef, v128.load(cst, 32)));
  y = f32x4.sub(y, f32x4.mul(z2, v128.load(cst, 160)));
  return f32x4.add(f32x4.add(z, y), f32x4.mul(ef, v128.load(cst, 16)));
}

// cos(2π·t) and sin(2π·t) for t = (x + 0.5)·2^-32 of raw outputs x, float32: the quarter turn q and the
// rest f (|f| ≤ 2^29, exact in integers) from x, φ = 2π·f·2^-32, Taylor polynomials to φ^8 and φ^9 (< 3e-8
// on |φ| ≤ π/4), and ±cos φ or ±sin φ picked by the quarter turn.

/** The quarter turns q = round(x/2^30) mod 4 of the angles (as the top two bits of x + 2^29). */
// @ts-ignore: decorator
@inline function quarterTurns(x: v128, cst: usize): v128 {
  return i32x4.shr_u(i32x4.add(x, v128.load(cst, 384)), 30);
}

/** φ = 2π·(x − q·2^30 + 0.5)·2^-32, the rest of the angle after q quarter turns. */
// @ts-ignore: decorator
@inline function restAngle(x: v128, q: v128, cst: usize): v128 {
  const f = i32x4.sub(x, i32x4.shl(q, 30)); // in [−2^29, 2^29), as a signed int
  return f32x4.mul(f32x4.add(f32x4.convert_i32x4_s(f), v128.load(cst, 160)), v128.load(cst, 400)); // 2π/2^32
}

/** cos φ = 1 − u/2 + u²/24 − u³/720 + u⁴/40320 for u = φ². */
// @ts-ignore: decorator
@inline function cosPoly(u: v128, cst: usize): v128 {
  const u2 = f32x4.mul(u, u);
  const a = f32x4.sub(v128.load(cst, 144), f32x4.mul(u, v128.load(cst, 160)));
  const b = f32x4.sub(v128.load(cst, 448), f32x4.mul(u, v128.load(cst, 432)));
  return f32x4.add(a, f32x4.mul(u2, f32x4.add(b, f32x4.mul(u2, v128.load(cst, 416)))));
}

/** sin φ = φ·(1 − u/6 + u²/120 − u³/5040 + u⁴/362880) for u = φ². */
// @ts-ignore: decorator
@inline function sinPoly(phi: v128, u: v128, cst: usize): v128 {
  const u2 = f32x4.mul(u, u);
  const a = f32x4.sub(v128.load(cst, 144), f32x4.mul(u, v128.load(cst, 512)));
  const b = f32x4.sub(v128.load(cst, 496), f32x4.mul(u, v128.load(cst, 480)));
  return f32x4.mul(phi, f32x4.add(a, f32x4.mul(u2, f32x4.add(b, f32x4.mul(u2, v128.load(cst, 464))))));
}

/** cos(2π·t) from cos φ and sin φ after q quarter turns, or sin(2π·t) in the lanes where `sine` is 1 (one
 *  quarter turn less); k = (q − sine) mod 4 picks ±cos φ or ±sin φ. */
// @ts-ignore: decorator
@inline function pickTurn(c: v128, s: v128, q: v128, sine: v128, cst: usize): v128 {
  const k = v128.and(i32x4.sub(q, sine), v128.load(cst, 528));
  const odd = i32x4.eq(v128.and(k, v128.load(cst, 544)), v128.load(cst, 544));
  const neg = v128.or(i32x4.eq(k, v128.load(cst, 544)), i32x4.eq(k, v128.load(cst, 560)));
  return v128.xor(v128.bitselect(s, c, odd), v128.and(neg, v128.load(cst, 576)));
}

/** cos(2π·t), or sin(2π·t) in the lanes where `sine` is 1. */
// @ts-ignore: decorator
@inline function cosSinAny4(x: v128, sine: v128, cst: usize): v128 {
  const q = quarterTurns(x, cst);
  const phi = restAngle(x, q, cst);
  const p2 = f32x4.mul(phi, phi);
  return pickTurn(cosPoly(p2, cst), sinPoly(phi, p2, cst), q, sine, cst);
}

/** cosSinAny4 with sines in lanes 1 and 3 (the Box–Muller pairs of four consecutive values). */
// @ts-ignore: decorator
@inline function cosSin4(x: v128, cst: usize): v128 {
  return cosSinAny4(x, v128.load(cst, 640), cst);
}

/**
 * volume-lr: out = g·|baseLr·exp(negSf·|w|/(|w| + 1))·(1 + lrVar·z)|, z the Box–Muller normal of raw pair
 * (2⌊i/2⌋, 2⌊i/2⌋ + 1) (cos for even i, sin for odd), in float32 (the tensor form's precision). Eight
 * values a step: the four pairs' radii and angles are computed once, each angle's cosine and sine from one
 * pair of polynomials.
 */
export function volumeLr(w: usize, g: usize, raw: usize, out: usize, n: i32, baseLr: f32, negSf: f32, lrVar: f32, cst: usize): void {
  constants(cst);
  const vBase = f32x4.splat(baseLr), vSf = f32x4.splat(negSf), vVar = f32x4.splat(lrVar), one = v128.load(cst, 144);
  for (let i = 0; i < n; i += 8) {
    const at = <usize>i << 2;
    // the raw draws come in pairs: lanes up to the even count exist
    const c = min(8, n - i), pairs = (c + 1) & ~1;
    const r0 = pairs >= 4 ? v128.load(raw + at) : tail(raw + at, pairs);
    const r1 = pairs == 8 ? v128.load(raw + at, 16) : pairs > 4 ? tail(raw + at + 16, pairs - 4) : r0;
    const radius = f32x4.sqrt(f32x4.mul(v128.load(cst, 624), lnUnit4(v128.shuffle<i32>(r0, r1, 0, 2, 4, 6), cst)));
    const angle = v128.shuffle<i32>(r0, r1, 1, 3, 5, 7);
    const q = quarterTurns(angle, cst);
    const phi = restAngle(angle, q, cst);
    const p2 = f32x4.mul(phi, phi);
    const cp = cosPoly(p2, cst), sp = sinPoly(phi, p2, cst), zero = v128.load(cst, 592);
    const zc = f32x4.mul(radius, pickTurn(cp, sp, q, zero, cst));
    const zs = f32x4.mul(radius, pickTurn(cp, sp, q, v128.load(cst, 544), cst));
    volumeLr4(w + at, g + at, out + at, v128.shuffle<i32>(zc, zs, 0, 4, 1, 5), min(4, c), vBase, vSf, vVar, cst);
    if (c > 4) volumeLr4(w + at + 16, g + at + 16, out + at + 16, v128.shuffle<i32>(zc, zs, 2, 6, 3, 7), c - 4, vBase, vSf, vVar, cst);
  }
}

/** volume-lr's factors of c (1–4) values at w, g, out with their normals z. */
// @ts-ignore: decorator
@inline function volumeLr4(w: usize, g: usize, out: usize, z: v128, c: i32, vBase: v128, vSf: v128, vVar: v128, cst: usize): void {
  const one = v128.load(cst, 144);
  const wv = c == 4 ? v128.load(w) : tail(w, c);
  const gv = c == 4 ? v128.load(g) : tail(g, c);
  const a = f32x4.abs(wv);
  const m = f32x4.mul(vBase, expf4(f32x4.mul(vSf, f32x4.div(a, f32x4.add(a, one))), cst));
  storeLanes(out, f32x4.mul(gv, f32x4.abs(f32x4.mul(m, f32x4.add(one, f32x4.mul(vVar, z))))), c);
}

/** crystallize (float32 as the JS kernel): gOut = g·f; fOut = f·damp where |g| < f32(|w|·thr) or |g| > meanAbs. */
export function crystallize(w: usize, g: usize, f: usize, gOut: usize, fOut: usize, n: i32, thr: f32, meanAbs: f32, damp: f32): void {
  const vt = f32x4.splat(thr), vm = f32x4.splat(meanAbs), vd = f32x4.splat(damp);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    const gi = v128.load(g + at), fi = v128.load(f + at);
    v128.store(gOut + at, f32x4.mul(gi, fi));
    const ag = f32x4.abs(gi);
    const damped = v128.or(f32x4.lt(ag, f32x4.mul(f32x4.abs(v128.load(w + at)), vt)), f32x4.gt(ag, vm));
    v128.store(fOut + at, v128.bitselect(f32x4.mul(fi, vd), fi, damped));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    const gi = load<f32>(g + at), fi = load<f32>(f + at);
    store<f32>(gOut + at, gi * fi);
    const ag = abs<f32>(gi);
    store<f32>(fOut + at, ag < abs<f32>(load<f32>(w + at)) * thr || ag > meanAbs ? fi * damp : fi);
  }
}

/** Σ|x| over n float32 (float64 sums in two lanes). */
export function sumAbs(x: usize, n: i32): f64 {
  let acc = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = f32x4.abs(v128.load(x + (<usize>i << 2)));
    acc = f64x2.add(acc, f64x2.add(f64x2.promote_low_f32x4(a), f64x2.promote_low_f32x4(v128.shuffle<i32>(a, a, 2, 3, 0, 1))));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) s += abs<f64>(<f64>load<f32>(x + (<usize>i << 2)));
  return s;
}

/** out = a·b elementwise (float32). */
export function mul(a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = <usize>i << 2;
    v128.store(out + at, f32x4.mul(v128.load(a + at), v128.load(b + at)));
  }
  for (; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(out + at, load<f32>(a + at) * load<f32>(b + at));
  }
}

/** synaptic scaling 'total': totals[j] (float64, zeroed here) += |w_k| over the synapses k with post j. */
export function postTotals(w: usize, post: usize, n: i32, totals: usize, nPost: i32): void {
  memory.fill(totals, 0, <usize>nPost << 3);
  for (let k = 0; k < n; k++) {
    const j = <usize>load<i32>(post + (<usize>k << 2)) << 3;
    store<f64>(totals + j, load<f64>(totals + j) + abs<f64>(<f64>load<f32>(w + (<usize>k << 2))));
  }
}

/** out_k = w_k·factor[post_k] (float32). */
export function scaleByPost(w: usize, post: usize, factor: usize, out: usize, n: i32): void {
  for (let k = 0; k < n; k++) {
    const at = <usize>k << 2;
    store<f32>(out + at, load<f32>(w + at) * load<f32>(factor + (<usize>load<i32>(post + at) << 2)));
  }
}

/**
 * rejuvenate's one pass over the weights: w = weights clamped to ±limit with NaN → 0; at `stats` (6 float64):
 * Σv, Σ|v|, max|v|, the NaN count and Σv² (= Σ|v|²), float64 sums in two lanes, four values a step (the
 * variances follow as Σv² − n·mean², exact to ~1e-13 here, where the JS kernel makes a second pass).
 */
export function clampStats(weights: usize, w: usize, n: i32, limit: f32, stats: usize): void {
  const hi = f32x4.splat(limit), lo = f32x4.neg(hi);
  let sum = f64x2.splat(0), sumAbs = f64x2.splat(0), sumSq = f64x2.splat(0), maxAbs = f32x4.splat(0), nan = i32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const at = <usize>k << 2;
    const x = v128.load(weights + at);
    const isNan = f32x4.ne(x, x);
    nan = i32x4.sub(nan, isNan);
    const v = f32x4.pmin(hi, f32x4.pmax(lo, v128.andnot(x, isNan))); // no NaN left: the plain min/max instructions
    v128.store(w + at, v);
    const a = f32x4.abs(v);
    maxAbs = f32x4.pmax(maxAbs, a);
    const v0 = f64x2.promote_low_f32x4(v), v1 = f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1));
    sum = f64x2.add(sum, f64x2.add(v0, v1));
    sumAbs = f64x2.add(sumAbs, f64x2.add(f64x2.abs(v0), f64x2.abs(v1)));
    sumSq = f64x2.add(sumSq, f64x2.add(f64x2.mul(v0, v0), f64x2.mul(v1, v1)));
  }
  let s = f64x2.extract_lane(sum, 0) + f64x2.extract_lane(sum, 1);
  let sa = f64x2.extract_lane(sumAbs, 0) + f64x2.extract_lane(sumAbs, 1);
  let sq = f64x2.extract_lane(sumSq, 0) + f64x2.extract_lane(sumSq, 1);
  let m = <f64>max(max(f32x4.extract_lane(maxAbs, 0), f32x4.extract_lane(maxAbs, 1)), max(f32x4.extract_lane(maxAbs, 2), f32x4.extract_lane(maxAbs, 3)));
  let count = <f64>(i32x4.extract_lane(nan, 0) + i32x4.extract_lane(nan, 1) + i32x4.extract_lane(nan, 2) + i32x4.extract_lane(nan, 3));
  for (; k < n; k++) {
    const at = <usize>k << 2;
    let v = load<f32>(weights + at);
    if (v != v) {
      count++;
      v = 0;
    }
    v = min(limit, max(-limit, v));
    store<f32>(w + at, v);
    const d = <f64>v;
    s += d;
    sa += abs<f64>(d);
    sq += d * d;
    m = max(m, abs<f64>(d));
  }
  store<f64>(stats, s);
  store<f64>(stats, sa, 8);
  store<f64>(stats, m, 16);
  store<f64>(stats, count, 24);
  store<f64>(stats, sq, 32);
}

/**
 * rejuvenate 'lognormal', the re-draw of the clamped weights w, in float32: replaced where
 * u_k = f32(unit(raw_k)) < exp(−k0·|w_k|) or the original weight (nan: 0 or the weights) is NaN; then
 * |w| = min(limit, exp(logMean + logSigma·z_k)) (z_k the Box–Muller normal of the pair at draw + 8⌊k/2⌋) with
 * the sign kept (compat: positive; a zero takes the sign of the draw at third + 4k; with Dale's `signs`, not
 * 0, the sign of weight first + k, see signAt: the weights may be a block of a longer run). Two passes: the
 * decisions four at a time, listing the replaced indices at `list` (room for n + 4 int32) without a branch
 * per replaced weight (a byte shuffle moves a group's replaced indices to the front, the count grows by
 * their number), then the new values four listed weights at a time (a few weights in a hundred are
 * replaced). `cst`: the constants table.
 */
export function redrawLognormal(w: usize, nan: usize, raw: usize, n: i32, k0: f32, logMean: f32, logSigma: f32, limit: f32, compat: bool, draw: usize, third: usize, cst: usize, list: usize,
  signs: usize, stride: i32, period: i32, first: i32): void {
  constants(cst);
  const vk0 = f32x4.splat(k0), scale = f32x4.splat(<f32>TWO_POW_M32);
  let index = v128.load(cst, 736);
  let count = 0;
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const full = i + 4 <= n;
    const half = v128.load(cst, 160), one = v128.load(cst, 144);
    const wv = full ? v128.load(w + at) : tail(w + at, n - i);
    const u = f32x4.mul(f32x4.add(floatOfU32(full ? v128.load(raw + at) : tail(raw + at, n - i)), half), scale);
    const y = f32x4.mul(vk0, f32x4.abs(wv));
    // e^y ≥ 1 + y + y²/2 + y³/6 =: P, so u·P ≥ 1 + 1e-6 proves u > e^−y without the exponential: most
    // kept weights are decided by this bound alone
    const bound = f32x4.mul(u, f32x4.add(one, f32x4.mul(y, f32x4.add(one, f32x4.mul(y, f32x4.add(half, f32x4.mul(y, v128.load(cst, 688))))))));
    let replaced = f32x4.lt(bound, v128.load(cst, 704));
    if (v128.any_true(replaced)) replaced = v128.and(replaced, f32x4.lt(u, f32x4.pmin(one, expf4(f32x4.neg(y), cst))));
    if (nan) {
      const orig = full ? v128.load(nan + at) : tail(nan + at, n - i);
      replaced = v128.or(replaced, f32x4.ne(orig, orig));
    }
    const bits = i32x4.bitmask(replaced) & (full ? 15 : (1 << (n - i)) - 1);
    v128.store(list + (<usize>count << 2), i8x16.swizzle(index, v128.load(cst + 752 + (<usize>bits << 4))));
    count += popcnt(bits);
    index = i32x4.add(index, v128.load(cst, 720));
  }
  const vMean = f32x4.splat(logMean), vSigma = f32x4.splat(logSigma), vLimit = f32x4.splat(limit), zero = f32x4.splat(0);
  const half = v128.load(cst, 160);
  for (let c = 0; c < count; c += 4) {
    // four listed weights (the last ones repeated to fill the lanes), their pairs' raw outputs and sign draws
    const k0i = load<i32>(list + (<usize>c << 2));
    const k1i = c + 1 < count ? load<i32>(list + (<usize>(c + 1) << 2)) : k0i;
    const k2i = c + 2 < count ? load<i32>(list + (<usize>(c + 2) << 2)) : k0i;
    const k3i = c + 3 < count ? load<i32>(list + (<usize>(c + 3) << 2)) : k0i;
    const wv = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(w + (<usize>k0i << 2))), 1, load<f32>(w + (<usize>k1i << 2))), 2, load<f32>(w + (<usize>k2i << 2))), 3, load<f32>(w + (<usize>k3i << 2)));
    const pr = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(load<u32>(draw + (<usize>(k0i & ~1) << 2))), 1, load<u32>(draw + (<usize>(k1i & ~1) << 2))), 2, load<u32>(draw + (<usize>(k2i & ~1) << 2))), 3, load<u32>(draw + (<usize>(k3i & ~1) << 2)));
    const pa = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(load<u32>(draw + (<usize>(k0i | 1) << 2))), 1, load<u32>(draw + (<usize>(k1i | 1) << 2))), 2, load<u32>(draw + (<usize>(k2i | 1) << 2))), 3, load<u32>(draw + (<usize>(k3i | 1) << 2)));
    // cosSin4 gives sines in lanes 1 and 3: move each angle to a lane of its parity (cos for even k)
    const odd = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(k0i & 1), 1, k1i & 1), 2, k2i & 1), 3, k3i & 1);
    const r = f32x4.sqrt(f32x4.mul(v128.load(cst, 624), lnUnit4(pr, cst)));
    const cs = cosSinAny4(pa, odd, cst);
    let mag = f32x4.pmin(vLimit, expf4(f32x4.add(vMean, f32x4.mul(vSigma, f32x4.mul(r, cs))), cst));
    if (!compat && signs) {
      mag = v128.or(mag, v128.and(signs4(signs, first + k0i, first + k1i, first + k2i, first + k3i, stride, period), v128.load(cst, 576)));
    } else if (!compat) {
      const t = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(load<u32>(third + (<usize>k0i << 2))), 1, load<u32>(third + (<usize>k1i << 2))), 2, load<u32>(third + (<usize>k2i << 2))), 3, load<u32>(third + (<usize>k3i << 2)));
      // the sign kept; a zero's from its draw: −1 + 2·unit > 0
      const sv = f32x4.add(f32x4.splat(-1), f32x4.mul(f32x4.splat(2), f32x4.mul(f32x4.add(floatOfU32(t), half), scale)));
      const negative = v128.or(f32x4.lt(wv, zero), v128.and(f32x4.eq(wv, zero), f32x4.le(sv, zero)));
      mag = v128.or(mag, v128.and(negative, v128.load(cst, 576)));
    }
    store<f32>(w + (<usize>k0i << 2), f32x4.extract_lane(mag, 0));
    store<f32>(w + (<usize>k1i << 2), f32x4.extract_lane(mag, 1));
    store<f32>(w + (<usize>k2i << 2), f32x4.extract_lane(mag, 2));
    store<f32>(w + (<usize>k3i << 2), f32x4.extract_lane(mag, 3));
  }
}

/** Dale's sign of weight k: signs[k] (stride 1, period 0), signs[⌊k/stride⌋] or signs[k mod period], as float32. */
// @ts-ignore: decorator
@inline function signAt(signs: usize, k: i32, stride: i32, period: i32): f32 {
  return load<f32>(signs + (<usize>(period > 0 ? k % period : k / stride) << 2));
}

/** The signs of four weights (lanes), for their sign bits. */
function signs4(signs: usize, k0: i32, k1: i32, k2: i32, k3: i32, stride: i32, period: i32): v128 {
  let v = f32x4.splat(signAt(signs, k0, stride, period));
  v = f32x4.replace_lane(v, 1, signAt(signs, k1, stride, period));
  v = f32x4.replace_lane(v, 2, signAt(signs, k2, stride, period));
  return f32x4.replace_lane(v, 3, signAt(signs, k3, stride, period));
}

/** Stores the first c (1–4) lanes of v at p. */
function storeLanes(p: usize, v: v128, c: i32): void {
  if (c == 4) {
    v128.store(p, v);
    return;
  }
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (c > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (c > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** The last c (1–3) 32-bit values at p in the low lanes, zeros above. */
function tail(p: usize, c: i32): v128 {
  let v = i32x4.replace_lane(i32x4.splat(0), 0, load<i32>(p));
  if (c > 1) v = i32x4.replace_lane(v, 1, load<i32>(p, 4));
  if (c > 2) v = i32x4.replace_lane(v, 2, load<i32>(p, 8));
  return v;
}

/**
 * rejuvenate 'classic', four at a time in float32: replaced where |z_k·sigma| > |w_k| (z_k the Box–Muller
 * normal of the pair at normals + 8⌊k/2⌋) or the original weight is NaN, by (−1 + 2·unit(uniform_k))·maxAbs
 * (with Dale's `signs`, not 0: its magnitude with the sign of weight first + k).
 */
export function redrawClassic(w: usize, nan: usize, n: i32, sigma: f32, maxAbs: f32, uniform: usize, normals: usize, cst: usize,
  signs: usize, stride: i32, period: i32, first: i32): void {
  constants(cst);
  const vSigma = f32x4.splat(sigma), vMax = f32x4.splat(maxAbs), half = f32x4.splat(0.5), scale = f32x4.splat(<f32>TWO_POW_M32);
  for (let i = 0; i < n; i += 4) {
    const at = <usize>i << 2;
    const c = min(4, n - i);
    const wv = c == 4 ? v128.load(w + at) : tail(w + at, c);
    // the normals come in pairs: lanes up to the even count exist
    const rw = c > 2 ? v128.load(normals + at) : tail(normals + at, 2);
    const z = f32x4.mul(f32x4.sqrt(f32x4.mul(f32x4.splat(-2), lnUnit4(v128.shuffle<i32>(rw, rw, 0, 0, 2, 2), cst))), cosSin4(v128.shuffle<i32>(rw, rw, 1, 1, 3, 3), cst));
    let replaced = f32x4.gt(f32x4.abs(f32x4.mul(z, vSigma)), f32x4.abs(wv));
    if (nan) {
      const orig = c == 4 ? v128.load(nan + at) : tail(nan + at, c);
      replaced = v128.or(replaced, f32x4.ne(orig, orig));
    }
    if (!v128.any_true(replaced)) continue;
    const u = f32x4.mul(f32x4.add(floatOfU32(c == 4 ? v128.load(uniform + at) : tail(uniform + at, c)), half), scale);
    let fresh = f32x4.mul(f32x4.add(f32x4.splat(-1), f32x4.mul(f32x4.splat(2), u)), vMax);
    if (signs) fresh = v128.or(f32x4.abs(fresh), v128.and(signs4(signs, first + i, first + min(i + 1, n - 1), first + min(i + 2, n - 1), first + min(i + 3, n - 1), stride, period), v128.load(cst, 576)));
    storeLanes(w + at, v128.bitselect(fresh, wv, replaced), c);
  }
}

/** Dale's projection of 4 weights v with signs s: relu(v·s)·s (±0 and NaN kept as v·s), or |v|·s when flipping. */
// @ts-ignore: decorator
@inline function project4(v: v128, s: v128, flip: bool): v128 {
  if (flip) return f32x4.mul(f32x4.abs(v), s);
  const y = f32x4.mul(v, s);
  const keep = v128.or(v128.or(f32x4.gt(y, f32x4.splat(0)), f32x4.eq(v, f32x4.splat(0))), f32x4.ne(y, y));
  return f32x4.mul(v128.and(y, keep), s);
}

/**
 * dale: out = the projection of w with the sign of weight k at s[k] (stride 1, period 0), s[⌊k/stride⌋]
 * (one sign per row of `stride` weights) or s[k mod period] (one per column of rows of `period`).
 */
export function dale(w: usize, s: usize, out: usize, n: i32, stride: i32, period: i32, flip: bool): void {
  if (period > 0) {
    for (let r = 0; r < n; r += period) runSigns(w + (<usize>r << 2), s, out + (<usize>r << 2), period, flip);
  } else if (stride > 1) {
    for (let r = 0; r * stride < n; r++) {
      const at = <usize>(r * stride) << 2;
      runSign(w + at, f32x4.splat(load<f32>(s + (<usize>r << 2))), out + at, min(stride, n - r * stride), flip);
    }
  } else runSigns(w, s, out, n, flip);
}

/** m weights with a sign each. */
function runSigns(w: usize, s: usize, out: usize, m: i32, flip: bool): void {
  let k = 0;
  for (; k + 4 <= m; k += 4) {
    const at = <usize>k << 2;
    v128.store(out + at, project4(v128.load(w + at), v128.load(s + at), flip));
  }
  for (; k < m; k++) {
    const at = <usize>k << 2;
    store<f32>(out + at, f32x4.extract_lane(project4(f32x4.splat(load<f32>(w + at)), f32x4.splat(load<f32>(s + at)), flip), 0));
  }
}

/** m weights with one sign. */
function runSign(w: usize, s: v128, out: usize, m: i32, flip: bool): void {
  let k = 0;
  for (; k + 4 <= m; k += 4) {
    const at = <usize>k << 2;
    v128.store(out + at, project4(v128.load(w + at), s, flip));
  }
  for (; k < m; k++) {
    const at = <usize>k << 2;
    store<f32>(out + at, f32x4.extract_lane(project4(f32x4.splat(load<f32>(w + at)), s, flip), 0));
  }
}

/** synaptic scaling 'total', dense W [rows, cols]: totals[j] (float64, zeroed here) = Σ_r |W[r, j]|, rows in order. */
export function columnTotals(w: usize, rows: i32, cols: i32, totals: usize): void {
  memory.fill(totals, 0, <usize>cols << 3);
  for (let r = 0; r < rows; r++) {
    const row = w + (<usize>(r * cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const a = f32x4.abs(v128.load(row + (<usize>j << 2)));
      const t = totals + (<usize>j << 3);
      v128.store(t, f64x2.add(v128.load(t), f64x2.promote_low_f32x4(a)));
      v128.store(t, f64x2.add(v128.load(t, 16), f64x2.promote_low_f32x4(v128.shuffle<i32>(a, a, 2, 3, 0, 1))), 16);
    }
    for (; j < cols; j++) store<f64>(totals + (<usize>j << 3), load<f64>(totals + (<usize>j << 3)) + abs<f64>(<f64>load<f32>(row + (<usize>j << 2))));
  }
}

/** out[r, j] = W[r, j]·factor[j] (float32), dense W [rows, cols]. */
export function scaleColumns(w: usize, rows: i32, cols: i32, factor: usize, out: usize): void {
  for (let r = 0; r < rows; r++) {
    const at = <usize>(r * cols) << 2;
    mul(w + at, factor, out + at, cols);
  }
}
