// SIMD kernel of the PDLF rules (core/pdp, core/scp) on a dense W[pre, post], full rule (terms ABCD),
// four synapses at a time. Every operation is a float32 operation in the tensor step's order, so the
// result is the JS kernel's (Math.fround after every operation) bit for bit. Pointers are byte offsets
// into the imported memory; nothing is allocated.
//   pdp: u = A·(x·y) + B·x + C·y + D        scp: u = A·(x·y) − (A·C)·x + B·y + D
//   w ← w + lr·u, and the largest |w| is returned (for the max-abs normalisation, `scale`).

@inline function update(form: i32, va: v128, vb: v128, vc: v128, vd: v128, vx: v128, vy: v128): v128 {
  let u = f32x4.mul(va, f32x4.mul(vx, vy));
  if (form == 0) {
    u = f32x4.add(u, f32x4.mul(vb, vx));
    u = f32x4.add(u, f32x4.mul(vc, vy));
  } else {
    u = f32x4.sub(u, f32x4.mul(f32x4.mul(va, vc), vx));
    u = f32x4.add(u, f32x4.mul(vb, vy));
  }
  return f32x4.add(u, vd);
}

@inline function update1(form: i32, a: f32, b: f32, c: f32, d: f32, x: f32, y: f32): f32 {
  let u: f32 = a * (x * y);
  if (form == 0) { u = u + b * x; u = u + c * y; } else { u = u - (a * c) * x; u = u + b * y; }
  return u + d;
}

export function pdlfRows(w: usize, lr: usize, a: usize, b: usize, c: usize, d: usize, x: usize, y: usize, nPre: i32, nPost: i32, form: i32): f32 {
  const n4 = nPost & ~3;
  let vm = f32x4.splat(0);
  let m: f32 = 0;
  for (let i = 0; i < nPre; i++) {
    const xi = load<f32>(x + (<usize>i << 2));
    const vx = f32x4.splat(xi);
    const base = <usize>i * <usize>nPost;
    let j = 0;
    for (; j < n4; j += 4) {
      const k = (base + <usize>j) << 2;
      const u = update(form, v128.load(a + k), v128.load(b + k), v128.load(c + k), v128.load(d + k), vx, v128.load(y + (<usize>j << 2)));
      const v = f32x4.add(v128.load(w + k), f32x4.mul(v128.load(lr + k), u));
      v128.store(w + k, v);
      vm = f32x4.pmax(vm, f32x4.abs(v)); // m < |v| ? |v| : m, as the JS loop keeps its maximum
    }
    for (; j < nPost; j++) {
      const k = (base + <usize>j) << 2;
      const u = update1(form, load<f32>(a + k), load<f32>(b + k), load<f32>(c + k), load<f32>(d + k), xi, load<f32>(y + (<usize>j << 2)));
      const v = load<f32>(w + k) + load<f32>(lr + k) * u;
      store<f32>(w + k, v);
      const av = abs<f32>(v);
      if (av > m) m = av;
    }
  }
  const e0 = f32x4.extract_lane(vm, 0), e1 = f32x4.extract_lane(vm, 1), e2 = f32x4.extract_lane(vm, 2), e3 = f32x4.extract_lane(vm, 3);
  if (e0 > m) m = e0;
  if (e1 > m) m = e1;
  if (e2 > m) m = e2;
  if (e3 > m) m = e3;
  return m;
}

/** w ← w / m for n weights (the max-abs normalisation). */
export function scale(w: usize, n: i32, m: f32): void {
  const vm = f32x4.splat(m);
  const n4 = n & ~3;
  let k = 0;
  for (; k < n4; k += 4) v128.store(w + (<usize>k << 2), f32x4.div(v128.load(w + (<usize>k << 2)), vm));
  for (; k < n; k++) store<f32>(w + (<usize>k << 2), load<f32>(w + (<usize>k << 2)) / m);
}
