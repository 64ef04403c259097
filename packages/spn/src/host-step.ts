// The faithful-mode step on host arrays (plain JS over Float32Array, sums in double precision): the blog
// update, the forward pass, the mean squared error, the hand-derived backward pass and Adam — the same
// computation as the tfjs path (network.ts, layers/*.ts, adam.ts), which stays the reference. A step of
// the seed's config is ~100 tiny tfjs ops, so per-op overhead dominates it; here it is a few loops.
// Every function is pure: inputs are never written, results are new arrays (a tensor made from one on
// the cpu backend may keep the array itself as its storage).

/** Sizes and hyper-parameters of the faithful step. */
export interface HostDims {
  readonly inputDim: number;
  readonly hiddenDim: number;
  readonly outputDim: number;
}

export interface HostStepOptions {
  readonly plastic: boolean;
  readonly eta: number;
  readonly activityDecay: number;
  readonly memoryDecay: number;
}

/** Short-term state rows ([rows, width] row-major) or null before the first step. */
export interface HostState {
  readonly activity: Float32Array | null;
  readonly memory: Float32Array | null;
  readonly previous: Float32Array | null;
}

/** Adam's hyper-parameters and moments, in the parameters' order. */
export interface HostAdam {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** The step number of this update (1 for the first). */
  readonly t: number;
  readonly m: readonly Float32Array[];
  readonly v: readonly Float32Array[];
}

export interface HostForward {
  /** The next activity [batch, inputDim]. */
  readonly activity: Float32Array;
  /** W_SP after the blog update (the input array itself when not plastic). */
  readonly spKernel: Float32Array;
  readonly h: Float32Array;
  /** The next memory [batch, hidden] (also the memory half of the CM input). */
  readonly memory: Float32Array;
  /** The attention state the step compared against, fitted to the batch. */
  readonly previousIn: Float32Array;
  readonly z: Float32Array;
  readonly attention: Float32Array;
  readonly q: Float32Array;
  /** The attention layer's output: the next `previous`. */
  readonly u: Float32Array;
  readonly output: Float32Array;
}

const f32 = Math.fround;

/** `fitRows` on host rows: the same array when it fits, the first rows, a broadcast single row, or zeros. */
export function fitRowsHost(state: Float32Array | null, batch: number, width: number, broadcastOneRow = false): Float32Array {
  if (state === null) return new Float32Array(batch * width);
  const rows = state.length / width;
  if (rows === batch) return state;
  if (rows > batch) return state.subarray(0, batch * width);
  if (broadcastOneRow && rows === 1) {
    const out = new Float32Array(batch * width);
    for (let b = 0; b < batch; b++) out.set(state, b * width);
    return out;
  }
  return new Float32Array(batch * width);
}

/**
 * C[m, n] = act(Σ_k A[m, k]·B[k, n] + bias[n]) for A [M, K] (the first K columns of A's rows when
 * `aStride` > K), B [K, N]; sums in double. `acc` is a scratch row of N doubles.
 */
function matMulBias(a: Float32Array, aOffset: number, aStride: number, M: number, K: number, w: Float32Array, wRowOffset: number, N: number, bias: Float32Array | null, acc: Float64Array, out: Float32Array, accumulate: boolean): void {
  const nonzero = new Int32Array(K);
  for (let i = 0; i < M; i++) {
    const o = i * N;
    if (accumulate) for (let j = 0; j < N; j++) acc[j] = out[o + j]!;
    else if (bias !== null) for (let j = 0; j < N; j++) acc[j] = bias[j]!;
    else acc.fill(0, 0, N);
    // the row's nonzero inputs (ReLU outputs are often zero), four rows of W per pass over acc
    const rowA = aOffset + i * aStride;
    let count = 0;
    for (let k = 0; k < K; k++) if (a[rowA + k] !== 0) nonzero[count++] = k;
    let c = 0;
    for (; c + 3 < count; c += 4) {
      const k0 = nonzero[c]!;
      const k1 = nonzero[c + 1]!;
      const k2 = nonzero[c + 2]!;
      const k3 = nonzero[c + 3]!;
      const a0 = a[rowA + k0]!;
      const a1 = a[rowA + k1]!;
      const a2 = a[rowA + k2]!;
      const a3 = a[rowA + k3]!;
      const w0 = (wRowOffset + k0) * N;
      const w1 = (wRowOffset + k1) * N;
      const w2 = (wRowOffset + k2) * N;
      const w3 = (wRowOffset + k3) * N;
      for (let j = 0; j < N; j++) acc[j] = acc[j]! + (a0 * w[w0 + j]! + a1 * w[w1 + j]! + a2 * w[w2 + j]! + a3 * w[w3 + j]!);
    }
    for (; c < count; c++) {
      const k = nonzero[c]!;
      const av = a[rowA + k]!;
      const wRow = (wRowOffset + k) * N;
      for (let j = 0; j < N; j++) acc[j] = acc[j]! + av * w[wRow + j]!;
    }
    for (let j = 0; j < N; j++) out[o + j] = acc[j]!;
  }
}

function reluInPlace(x: Float32Array): void {
  for (let i = 0; i < x.length; i++) if (!(x[i]! > 0)) x[i] = 0;
}

/** The faithful forward pass after (and including) the blog update; nothing is written to the inputs. */
export function hostForward(d: HostDims, params: readonly Float32Array[], state: HostState, x: Float32Array, batch: number, o: HostStepOptions): HostForward {
  const { inputDim: I, hiddenDim: H, outputDim: O } = d;
  const [spK0, spB, cmK, cmB, daK, daB, outK, outB] = params as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
  // activity a ← d·a + (1 − d)·x, f32 per op as the tfjs path
  const aPrev = fitRowsHost(state.activity, batch, I);
  const activity = new Float32Array(batch * I);
  const ad = f32(o.activityDecay);
  const ax = f32(1 - o.activityDecay);
  for (let i = 0; i < activity.length; i++) activity[i] = f32(aPrev[i]! * ad) + f32(x[i]! * ax);
  let spK = spK0;
  if (o.plastic) {
    // W[i, :] += η·mean_b(a)[i]·mean_b(x)[i]
    spK = new Float32Array(spK0.length);
    const eta = f32(o.eta);
    for (let i = 0; i < I; i++) {
      let sa = 0;
      let sx = 0;
      for (let b = 0; b < batch; b++) {
        sa += activity[b * I + i]!;
        sx += x[b * I + i]!;
      }
      const update = f32(f32(f32(sa / batch) * f32(sx / batch)) * eta);
      for (let j = 0; j < H; j++) spK[i * H + j] = spK0[i * H + j]! + update;
    }
  }
  const acc = new Float64Array(Math.max(H, O));
  // h = ReLU(x·W_SP + b)
  const h = new Float32Array(batch * H);
  matMulBias(x, 0, I, batch, I, spK, 0, H, spB, acc, h, false);
  reluInPlace(h);
  // m ← d·m + (1 − d)·h (a one-row memory broadcast); z = ReLU([h, m]·W_CM + b)
  const mPrev = fitRowsHost(state.memory, batch, H, true);
  const memory = new Float32Array(batch * H);
  const md = f32(o.memoryDecay);
  const mx = f32(1 - o.memoryDecay);
  for (let i = 0; i < memory.length; i++) memory[i] = f32(mPrev[i]! * md) + f32(h[i]! * mx);
  const z = new Float32Array(batch * H);
  matMulBias(h, 0, H, batch, H, cmK, 0, H, cmB, acc, z, false);
  matMulBias(memory, 0, H, batch, H, cmK, H, H, null, acc, z, true);
  reluInPlace(z);
  // u = ReLU((z ⊙ tanh(|p − z|))·W_DA + b)
  const previousIn = fitRowsHost(state.previous, batch, H);
  const attention = new Float32Array(batch * H);
  const q = new Float32Array(batch * H);
  for (let i = 0; i < q.length; i++) {
    const t = f32(Math.tanh(Math.abs(f32(previousIn[i]! - z[i]!))));
    attention[i] = t;
    q[i] = z[i]! * t;
  }
  const u = new Float32Array(batch * H);
  matMulBias(q, 0, H, batch, H, daK, 0, H, daB, acc, u, false);
  reluInPlace(u);
  // y = u·W_out + b
  const output = new Float32Array(batch * O);
  matMulBias(u, 0, H, batch, H, outK, 0, O, outB, acc, output, false);
  return { activity, spKernel: spK, h, memory, previousIn, z, attention, q, u, output };
}

/** G[K, N] = Σ_b A[b, k]·D[b, n] (A [B, K] with row stride `aStride` from column `aOffset`); sums in double. */
function gradKernel(a: Float32Array, aOffset: number, aStride: number, K: number, dz: Float32Array, B: number, N: number, acc: Float64Array, out: Float32Array, outRowOffset: number): void {
  acc.fill(0, 0, K * N);
  let b = 0;
  // four batch rows per pass over acc
  for (; b + 3 < B; b += 4) {
    const rowA = b * aStride + aOffset;
    const d0 = b * N;
    const d1 = d0 + N;
    const d2 = d1 + N;
    const d3 = d2 + N;
    for (let k = 0; k < K; k++) {
      const a0 = a[rowA + k]!;
      const a1 = a[rowA + aStride + k]!;
      const a2 = a[rowA + 2 * aStride + k]!;
      const a3 = a[rowA + 3 * aStride + k]!;
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const r = k * N;
      for (let n = 0; n < N; n++) acc[r + n] = acc[r + n]! + (a0 * dz[d0 + n]! + a1 * dz[d1 + n]! + a2 * dz[d2 + n]! + a3 * dz[d3 + n]!);
    }
  }
  for (; b < B; b++) {
    const rowA = b * aStride + aOffset;
    const rowD = b * N;
    for (let k = 0; k < K; k++) {
      const av = a[rowA + k]!;
      if (av === 0) continue;
      const r = k * N;
      for (let n = 0; n < N; n++) acc[r + n] = acc[r + n]! + av * dz[rowD + n]!;
    }
  }
  const base = outRowOffset * N;
  for (let i = 0; i < K * N; i++) out[base + i] = acc[i]!;
}

function gradBias(dz: Float32Array, B: number, N: number): Float32Array {
  const acc = new Float64Array(N);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) acc[n] = acc[n]! + dz[b * N + n]!;
  return Float32Array.from(acc);
}

/** dX[b, k] = Σ_n D[b, n]·W[k, n] for k < K (the first K rows of W [*, N]): D times Wᵀ, W transposed first
 *  so that the product skips D's zeros (the ReLU masks) and runs over contiguous rows. */
function gradInput(dz: Float32Array, B: number, N: number, w: Float32Array, K: number, acc: Float64Array): Float32Array {
  const wT = new Float32Array(N * K);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) wT[n * K + k] = w[k * N + n]!;
  const out = new Float32Array(B * K);
  matMulBias(dz, 0, N, B, N, wT, 0, K, null, acc, out, false);
  return out;
}

/** The loss (mean squared error over every element) and the gradients of all eight parameters. */
export function hostBackward(d: HostDims, params: readonly Float32Array[], f: HostForward, x: Float32Array, y: Float32Array, batch: number): { loss: number; grads: Float32Array[] } {
  const { inputDim: I, hiddenDim: H, outputDim: O } = d;
  const cmK = params[2]!;
  const daK = params[4]!;
  const outK = params[6]!;
  const n = batch * O;
  let sum = 0;
  const dOut = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const diff = f32(f.output[i]! - y[i]!);
    sum += f32(diff * diff);
    dOut[i] = (2 * diff) / n;
  }
  const loss = f32(sum / n);
  const acc = new Float64Array(Math.max(2 * H * H, I * H, H * O));
  // output layer
  const gOutK = new Float32Array(H * O);
  gradKernel(f.u, 0, H, H, dOut, batch, O, acc, gOutK, 0);
  const gOutB = gradBias(dOut, batch, O);
  const du = gradInput(dOut, batch, O, outK, H, acc);
  for (let i = 0; i < du.length; i++) if (!(f.u[i]! > 0)) du[i] = 0;
  // attention layer: q = z ⊙ tanh(|p − z|)
  const gDaK = new Float32Array(H * H);
  gradKernel(f.q, 0, H, H, du, batch, H, acc, gDaK, 0);
  const gDaB = gradBias(du, batch, H);
  const dq = gradInput(du, batch, H, daK, H, acc);
  const dz = new Float32Array(batch * H);
  for (let i = 0; i < dz.length; i++) {
    const zi = f.z[i]!;
    if (!(zi > 0)) continue; // ReLU of the memory layer (its mask is applied here)
    const t = f.attention[i]!;
    // d|p − z|/dz = −sign(p − z), with tfjs's abs gradient (−1 at 0)
    const s = f.previousIn[i]! - zi > 0 ? -1 : 1;
    dz[i] = dq[i]! * t + dq[i]! * zi * (1 - t * t) * s;
  }
  // memory layer: [h, m]·W_CM, the memory a constant
  const gCmK = new Float32Array(2 * H * H);
  gradKernel(f.h, 0, H, H, dz, batch, H, acc, gCmK, 0);
  gradKernel(f.memory, 0, H, H, dz, batch, H, acc, gCmK, H);
  const gCmB = gradBias(dz, batch, H);
  const dh = gradInput(dz, batch, H, cmK, H, acc);
  for (let i = 0; i < dh.length; i++) if (!(f.h[i]! > 0)) dh[i] = 0;
  // first layer
  const gSpK = new Float32Array(I * H);
  gradKernel(x, 0, I, I, dh, batch, H, acc, gSpK, 0);
  const gSpB = gradBias(dh, batch, H);
  return { loss, grads: [gSpK, gSpB, gCmK, gCmB, gDaK, gDaB, gOutK, gOutB] };
}

/** Adam as `Adam.apply` computes it (f32 per elementwise op): new weights and moments. */
export function hostAdam(weights: readonly Float32Array[], grads: readonly Float32Array[], a: HostAdam): { weights: Float32Array[]; m: Float32Array[]; v: Float32Array[] } {
  const b1 = f32(a.beta1);
  const b1c = f32(1 - a.beta1);
  const b2 = f32(a.beta2);
  const b2c = f32(1 - a.beta2);
  const stepSize = f32(a.learningRate / (1 - a.beta1 ** a.t));
  const rootCorrection = f32(Math.sqrt(1 - a.beta2 ** a.t));
  const eps = f32(a.epsilon);
  const outW: Float32Array[] = [];
  const outM: Float32Array[] = [];
  const outV: Float32Array[] = [];
  for (let p = 0; p < weights.length; p++) {
    const w = weights[p]!;
    const g = grads[p]!;
    const m0 = a.m[p]!;
    const v0 = a.v[p]!;
    const len = w.length;
    const w1 = new Float32Array(len);
    const m1 = new Float32Array(len);
    const v1 = new Float32Array(len);
    for (let i = 0; i < len; i++) {
      const gi = g[i]!;
      const mi = f32(f32(m0[i]! * b1) + f32(gi * b1c));
      const vi = f32(f32(v0[i]! * b2) + f32(f32(gi * gi) * b2c));
      const denominator = f32(f32(f32(Math.sqrt(vi)) / rootCorrection) + eps);
      w1[i] = w[i]! - f32(f32(mi / denominator) * stepSize);
      m1[i] = mi;
      v1[i] = vi;
    }
    outW.push(w1);
    outM.push(m1);
    outV.push(v1);
  }
  return { weights: outW, m: outM, v: outV };
}
