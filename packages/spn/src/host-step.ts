import { adamInWasm, attentionGradInWasm, attentionInWasm, gemm } from './wasm/kernels.js';
import { residentArray, stepArray } from './wasm/memory.js';

// The faithful-mode step on host arrays: the blog update, the forward pass, the mean squared error, the
// hand-derived backward pass and Adam — the same computation as the tfjs path (network.ts, layers/*.ts,
// adam.ts), which stays the reference. A step of the seed's config is ~100 tiny tfjs ops, so per-op
// overhead dominates it; here it is a few loops. The matrix products and Adam run in wasm/ (WebAssembly SIMD,
// the products on several threads in Node, float32 sums as tfjs's kernels); the rest is plain JS.
// Intermediate results are step arrays (wasm/memory.ts: in the module's memory, so its kernels use them in
// place, until the caller's releaseStepArrays); the results that outlive the step are arrays of their own.
// Only hostAdam writes its inputs (weights and moments, in place); the other functions write nothing.

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
  /** W_SP after the blog update (the input array itself when not plastic), a resident array of its own. */
  readonly spKernel: Float32Array;
  readonly h: Float32Array;
  /** The next memory [batch, hidden] (also the memory half of the CM input). */
  readonly memory: Float32Array;
  /** The memory layer's input [h, m] ([batch, 2·hidden]). */
  readonly hm: Float32Array;
  /** The attention state the step compared against, fitted to the batch. */
  readonly previousIn: Float32Array;
  readonly z: Float32Array;
  readonly attention: Float32Array;
  readonly q: Float32Array;
  /** The attention layer's output: the next `previous` (a step array: copy it to keep it). */
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
    spK = residentArray(spK0.length);
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
  // h = ReLU(x·W_SP + b)
  const h = stepArray(batch * H);
  gemm('N', 'N', batch, H, I, x, spK, h, { bias: spB, relu: true });
  // m ← d·m + (1 − d)·h (a one-row memory broadcast); z = ReLU([h, m]·W_CM + b)
  const mPrev = fitRowsHost(state.memory, batch, H, true);
  const memory = new Float32Array(batch * H);
  const md = f32(o.memoryDecay);
  const mx = f32(1 - o.memoryDecay);
  for (let i = 0; i < memory.length; i++) memory[i] = f32(mPrev[i]! * md) + f32(h[i]! * mx);
  const hm = stepArray(batch * 2 * H);
  for (let b = 0; b < batch; b++) {
    hm.set(h.subarray(b * H, (b + 1) * H), 2 * b * H);
    hm.set(memory.subarray(b * H, (b + 1) * H), (2 * b + 1) * H);
  }
  const z = stepArray(batch * H);
  gemm('N', 'N', batch, H, 2 * H, hm, cmK, z, { bias: cmB, relu: true });
  // u = ReLU((z ⊙ tanh(|p − z|))·W_DA + b)
  const previousIn = fitRowsHost(state.previous, batch, H);
  const attention = stepArray(batch * H);
  const q = stepArray(batch * H);
  if (!attentionInWasm(previousIn, z, attention, q)) {
    for (let i = 0; i < q.length; i++) {
      const t = f32(Math.tanh(Math.abs(f32(previousIn[i]! - z[i]!))));
      attention[i] = t;
      q[i] = z[i]! * t;
    }
  }
  const u = stepArray(batch * H);
  gemm('N', 'N', batch, H, H, q, daK, u, { bias: daB, relu: true });
  // y = u·W_out + b
  const output = new Float32Array(batch * O);
  gemm('N', 'N', batch, O, H, u, outK, output, { bias: outB });
  return { activity, spKernel: spK, h, memory, hm, previousIn, z, attention, q, u, output };
}

function gradBias(dz: Float32Array, B: number, N: number): Float32Array {
  const acc = new Float64Array(N);
  for (let b = 0; b < B; b++) for (let n = 0; n < N; n++) acc[n] = acc[n]! + dz[b * N + n]!;
  return Float32Array.from(acc);
}

/** The loss (mean squared error over every element) and the gradients of all eight parameters. */
export function hostBackward(d: HostDims, params: readonly Float32Array[], f: HostForward, x: Float32Array, y: Float32Array, batch: number): { loss: number; grads: Float32Array[] } {
  const { inputDim: I, hiddenDim: H, outputDim: O } = d;
  const cmK = params[2]!;
  const daK = params[4]!;
  const outK = params[6]!;
  const n = batch * O;
  let sum = 0;
  const dOut = stepArray(n);
  for (let i = 0; i < n; i++) {
    const diff = f32(f.output[i]! - y[i]!);
    sum += f32(diff * diff);
    dOut[i] = (2 * diff) / n;
  }
  const loss = f32(sum / n);
  // output layer
  const gOutK = stepArray(H * O);
  gemm('T', 'N', H, O, batch, f.u, dOut, gOutK);
  const gOutB = gradBias(dOut, batch, O);
  const du = stepArray(batch * H);
  gemm('N', 'T', batch, H, O, dOut, outK, du, { mask: f.u }); // through the ReLU of u
  // attention layer: q = z ⊙ tanh(|p − z|)
  const gDaK = stepArray(H * H);
  gemm('T', 'N', H, H, batch, f.q, du, gDaK);
  const gDaB = gradBias(du, batch, H);
  const dq = stepArray(batch * H);
  gemm('N', 'T', batch, H, H, du, daK, dq);
  const dz = stepArray(batch * H);
  if (!attentionGradInWasm(dq, f.z, f.attention, f.previousIn, dz)) {
    for (let i = 0; i < dz.length; i++) {
      const zi = f.z[i]!;
      if (!(zi > 0)) continue; // ReLU of the memory layer (its mask is applied here)
      const t = f.attention[i]!;
      // d|p − z|/dz = −sign(p − z), with tfjs's abs gradient (−1 at 0)
      const s = f.previousIn[i]! - zi > 0 ? -1 : 1;
      dz[i] = dq[i]! * t + dq[i]! * zi * (1 - t * t) * s;
    }
  }
  // memory layer: [h, m]·W_CM, the memory a constant
  const gCmK = stepArray(2 * H * H);
  gemm('T', 'N', 2 * H, H, batch, f.hm, dz, gCmK);
  const gCmB = gradBias(dz, batch, H);
  const dh = stepArray(batch * H);
  gemm('N', 'T', batch, H, H, dz, cmK.subarray(0, H * H), dh, { mask: f.h }); // the h half of W_CM, through h's ReLU
  // first layer
  const gSpK = stepArray(I * H);
  gemm('T', 'N', I, H, batch, x, dh, gSpK);
  const gSpB = gradBias(dh, batch, H);
  return { loss, grads: [gSpK, gSpB, gCmK, gCmB, gDaK, gDaB, gOutK, gOutB] };
}

/** One parameter's Adam update in place where WebAssembly SIMD is missing (a function of its own, so that
 *  V8 optimises its loop alone). */
function adamKernel(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
  b1: number, b1c: number, b2: number, b2c: number, stepSize: number, rootCorrection: number, eps: number): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = f32(f32(m[i]! * b1) + f32(gi * b1c));
    const vi = f32(f32(v[i]! * b2) + f32(f32(gi * gi) * b2c));
    const denominator = f32(f32(f32(Math.sqrt(vi)) / rootCorrection) + eps);
    w[i] = w[i]! - f32(f32(mi / denominator) * stepSize);
    m[i] = mi;
    v[i] = vi;
  }
}

/** Adam as `Adam.apply` computes it (f32 per elementwise op), in place on the weights and a's moments. */
export function hostAdam(weights: readonly Float32Array[], grads: readonly Float32Array[], a: HostAdam): void {
  const b1 = f32(a.beta1);
  const b1c = f32(1 - a.beta1);
  const b2 = f32(a.beta2);
  const b2c = f32(1 - a.beta2);
  const stepSize = f32(a.learningRate / (1 - a.beta1 ** a.t));
  const rootCorrection = f32(Math.sqrt(1 - a.beta2 ** a.t));
  const eps = f32(a.epsilon);
  for (let p = 0; p < weights.length; p++) {
    if (!adamInWasm(weights[p]!, grads[p]!, a.m[p]!, a.v[p]!, [b1, b1c, b2, b2c, stepSize, rootCorrection, eps])) {
      adamKernel(weights[p]!, grads[p]!, a.m[p]!, a.v[p]!, b1, b1c, b2, b2c, stepSize, rootCorrection, eps);
    }
  }
}
