// SIMD kernel of LazyPotentiation (src/fused/lazy-potentiation.ts; AssemblyScript, `pnpm --filter
// @plasticity/rules build:wasm` writes src/fused/wasm-binary.ts). It runs the pre pathway of a pair rule
// with lazy potentiation on a dense W[pre, post] kept in the module's (imported) memory, four synapses
// per step: for every active pre i and every post j,
//   w = min(wMax, wc + a_i·(C_j − Cold_ij)); Cold_ij = C_j; input_j += w; wc = clip(w + delta_j).
// C and Cold are float64 (the difference of two sums on one scale), the rest float32. All pointers
// are byte offsets into the imported memory; nothing is allocated.

@inline function lane(wc: usize, cold: usize, c: usize, delta: usize, input: usize, k: usize, j: usize, va: v128, vlo: v128, vhi: v128): void {
  const c0 = v128.load(c + (j << 3));
  const c1 = v128.load(c + (j << 3) + 16);
  const d0 = f32x4.demote_f64x2_zero(f64x2.sub(c0, v128.load(cold + (k << 3))));
  const d1 = f32x4.demote_f64x2_zero(f64x2.sub(c1, v128.load(cold + (k << 3) + 16)));
  v128.store(cold + (k << 3), c0);
  v128.store(cold + (k << 3) + 16, c1);
  const d = v128.shuffle<f32>(d0, d1, 0, 1, 4, 5);
  const u = f32x4.add(v128.load(wc + (k << 2)), f32x4.mul(va, d));
  const w = f32x4.pmin(u, vhi);
  v128.store(input + (j << 2), f32x4.add(v128.load(input + (j << 2)), w));
  const v = f32x4.add(w, v128.load(delta + (j << 2)));
  v128.store(wc + (k << 2), f32x4.pmin(f32x4.pmax(v, vlo), vhi));
}

export function lazyRows(wc: usize, cold: usize, c: usize, delta: usize, input: usize, list: usize, a: usize,
  nAct: i32, nPost: i32, wMin: f32, wMax: f32): void {
  const vlo = f32x4.splat(wMin);
  const vhi = f32x4.splat(wMax);
  const n4 = nPost & ~3;
  for (let q = 0; q < nAct; q++) {
    const i = <usize>load<i32>(list + (<usize>q << 2));
    const ai = load<f32>(a + (<usize>q << 2));
    const va = f32x4.splat(ai);
    const base = i * <usize>nPost;
    let j = 0;
    for (; j < n4; j += 4) lane(wc, cold, c, delta, input, base + <usize>j, <usize>j, va, vlo, vhi);
    for (; j < nPost; j++) {
      const k = base + <usize>j;
      const cj = load<f64>(c + (<usize>j << 3));
      let u = load<f32>(wc + (k << 2)) + ai * <f32>(cj - load<f64>(cold + (k << 3)));
      store<f64>(cold + (k << 3), cj);
      if (u > wMax) u = wMax;
      store<f32>(input + (<usize>j << 2), load<f32>(input + (<usize>j << 2)) + u);
      let v = u + load<f32>(delta + (<usize>j << 2));
      if (v < wMin) v = wMin;
      if (v > wMax) v = wMax;
      store<f32>(wc + (k << 2), v);
    }
  }
}
