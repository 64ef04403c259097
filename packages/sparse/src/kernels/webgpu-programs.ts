/**
 * WGSL programs of the sparse kernels (names.ts) for tfjs-backend-webgpu. Each builder returns a
 * plain WebGPUProgram object and the uniforms to run it with.
 *
 * Work distribution ("lanes"): the row-wise programs give each task (a row, or a (batch, row) pair)
 * `lanes` consecutive invocations, a power of two in [1, 64] chosen from the mean row length; lane
 * l handles slots ptr[r] + l, ptr[r] + l + lanes, ... so long rows are spread over many threads and
 * short rows do not waste a whole workgroup. Tasks never straddle a workgroup (64 is a multiple of
 * every lane count). Rows without an event exit after one read.
 */
import { makeProgram, sizeOf, type GpuBackend, type GpuProgram, type GpuUniform } from './webgpu-program.js';

export interface Built {
  program: GpuProgram;
  uniforms: GpuUniform[];
}

/** How the weight of slot k is read. */
export interface WeightAccess {
  /** weights has length 1 while nnz != 1: one weight for every slot. */
  homogeneous: boolean;
  /** A `slot` input maps slot k to weight position slot[k]. */
  hasSlot: boolean;
}

const i32 = (v: number): GpuUniform => ({ type: 'int32', data: [v] });
const f32 = (v: number): GpuUniform => ({ type: 'float32', data: [v] });

/** Lanes per row: the next power of two >= the mean row length, in [1, 64]. */
export function lanesFor(nnz: number, nRows: number): number {
  const mean = nRows > 0 ? nnz / nRows : 0;
  let lanes = 1;
  while (lanes < mean && lanes < 64) lanes *= 2;
  return lanes;
}

function log2(n: number): number {
  return Math.round(Math.log2(n));
}

/** WGSL expression for the weight position of slot `k`. */
function posExpr(hasSlot: boolean): string {
  return hasSlot ? 'Slot[k]' : 'k';
}

/** WGSL expression for the weight of slot `k`. */
function weightExpr(access: WeightAccess): string {
  if (access.homogeneous) return 'f32(Weights[0])';
  return `f32(Weights[${posExpr(access.hasSlot)}])`;
}

/** Task/lane prologue shared by the row-wise programs (declares task and lane, returns when idle). */
const TASK_PROLOGUE = `
    let task = index >> u32(uniforms.lanesLog2);
    if (task >= uniforms.numTasks) { return; }
    let lane = index & (uniforms.lanes - 1);`;

const TASK_UNIFORMS = 'numTasks : i32, lanes : i32, lanesLog2 : i32,';

function taskUniforms(numTasks: number, lanes: number): GpuUniform[] {
  return [i32(numTasks), i32(lanes), i32(log2(lanes))];
}

/** Clip snippet on the local `x` (only the bounds that are set; compares as the cpu kernel does). */
const CLIP = `
      if (uniforms.hasMin != 0 && x < uniforms.wMin) { x = uniforms.wMin; }
      if (uniforms.hasMax != 0 && x > uniforms.wMax) { x = uniforms.wMax; }`;

const CLIP_UNIFORMS = 'hasMin : i32, wMin : f32, hasMax : i32, wMax : f32,';

/**
 * The optional per-synapse factor and per-row bounds of an update (input `Ex` = [lr, lo, hi], see
 * names.ts). Per-row bounds replace the scalar ones; their flags come as hasMin / hasMax.
 */
export interface UpdateExtras {
  readonly lrLen: number;
  readonly nBounds: number;
  readonly byIdx: boolean;
  readonly hasMin: boolean;
  readonly hasMax: boolean;
}

const EX_UNIFORMS = 'lrLen : i32, nBounds : i32, byIdx : i32,';

/** WGSL: x = old + lr[p] · d, then the per-row clip (row `row`, or Idx[k] with byIdx) or the scalar one. */
function exUpdate(old: string, d: string, row: string): string {
  return `
      var d = ${d};
      if (uniforms.lrLen > 0) { d = f32(Ex[p]) * d; }
      var x = ${old} + d;
      if (uniforms.nBounds > 0) {
        let bi = uniforms.lrLen + select(${row}, Idx[k], uniforms.byIdx != 0);
        if (uniforms.hasMin != 0 && x < f32(Ex[bi])) { x = f32(Ex[bi]); }
        if (uniforms.hasMax != 0 && x > f32(Ex[bi + uniforms.nBounds])) { x = f32(Ex[bi + uniforms.nBounds]); }
      } else {${CLIP}
      }`;
}

/** Uniforms of an update: the scalar clip, or with extras their sizes and the per-row flags. */
function updateUniforms(wMin: number, wMax: number, ex: UpdateExtras | null): GpuUniform[] {
  if (!ex) return clipUniforms(wMin, wMax);
  const clip = ex.nBounds > 0
    ? [i32(ex.hasMin ? 1 : 0), f32(0), i32(ex.hasMax ? 1 : 0), f32(0)]
    : clipUniforms(wMin, wMax);
  return [...clip, i32(ex.lrLen), i32(ex.nBounds), i32(ex.byIdx ? 1 : 0)];
}

/** Bounds as uniforms: infinite bounds become flags, never infinities in the shader. */
function clipUniforms(wMin: number, wMax: number): GpuUniform[] {
  const hasMin = wMin > -Infinity;
  const hasMax = wMax < Infinity;
  return [i32(hasMin ? 1 : 0), f32(hasMin ? wMin : 0), i32(hasMax ? 1 : 0), f32(hasMax ? wMax : 0)];
}

/** out[i] = 0 for every element of `shape` (float32). */
export function fillZeros(backend: GpuBackend, shape: number[]): Built {
  return {
    program: makeProgram(backend, {
      variableNames: [], outputShape: shape, shaderKey: 'plasticity_sparse_zeros', size: true,
      getUserCode: () => `
  fn main(index : i32) {
    if (index < uniforms.size) { setOutputAtIndex(index, 0.0); }
  }`,
    }, sizeOf(shape)),
    uniforms: [],
  };
}

/** out[i] = Weights[i] (the new weight buffer an update writes into; WebGPU cannot bind one buffer twice). */
export function copyWeights(backend: GpuBackend, shape: number[]): Built {
  return {
    program: makeProgram(backend, {
      variableNames: ['Weights'], outputShape: shape, shaderKey: 'plasticity_sparse_copy', size: true,
      getUserCode: () => `
  fn main(index : i32) {
    if (index < uniforms.size) { setOutputAtIndex(index, f32(Weights[index])); }
  }`,
    }, sizeOf(shape)),
    uniforms: [],
  };
}

/**
 * EventMatVec scatter: task (b, r) with events[b, r] != 0 adds e · w(k) to out[b, idx[k]] for its
 * slots. Several rows may hit one output, so the add is a compare-exchange loop on the f32 bit
 * pattern (WGSL has no float atomics): lock-free, every failed exchange means another thread's add
 * went in; the summation order, hence the last bits of the result, varies from run to run.
 * The output must be zeroed first (fillZeros on the same output).
 * Inputs: Ptr, Idx, Weights, Events[, Slot].
 */
export function eventMatVecScatter(
  backend: GpuBackend, outShape: number[], access: WeightAccess, binary: boolean,
  batch: number, nRows: number, nCols: number, nnz: number,
): Built {
  const lanes = lanesFor(nnz, nRows);
  const numTasks = batch * nRows;
  const value = binary ? weightExpr(access) : `${weightExpr(access)} * e`;
  const key = `plasticity_sparse_evmv_${binary ? 'bin' : 'flt'}_${access.homogeneous ? 'h' : 'w'}_${access.hasSlot ? 's' : 'n'}`;
  return {
    program: makeProgram(backend, {
      variableNames: access.hasSlot ? ['Ptr', 'Idx', 'Weights', 'Events', 'Slot'] : ['Ptr', 'Idx', 'Weights', 'Events'],
      outputShape: outShape, shaderKey: key, atomic: true,
      uniforms: `${TASK_UNIFORMS} nRows : i32, nCols : i32,`,
      getUserCode: () => `
  fn atomicAddF32(i : i32, v : f32) {
    var old = atomicLoad(&result[i]);
    loop {
      let r = atomicCompareExchangeWeak(&result[i], old, bitcast<i32>(bitcast<f32>(old) + v));
      if (r.exchanged) { break; }
      old = r.old_value;
    }
  }
  fn main(index : i32) {${TASK_PROLOGUE}
    let e = f32(Events[task]);
    if (e == 0.0) { return; }
    let b = task / uniforms.nRows;
    let r = task - b * uniforms.nRows;
    let base = b * uniforms.nCols;
    let end = Ptr[r + 1];
    for (var k = Ptr[r] + lane; k < end; k = k + uniforms.lanes) {
      let v = ${value};
      if (v != 0.0) { atomicAddF32(base + Idx[k], v); }
    }
  }`,
    }, numTasks * lanes),
    uniforms: [...taskUniforms(numTasks, lanes), i32(nRows), i32(nCols)],
  };
}

/**
 * RowDot: one invocation per output (b, r) sums w(k) · v[b, idx[k]] over its row in slot order
 * (deterministic; f32 accumulation where the cpu kernel accumulates in f64).
 * Inputs: Ptr, Idx, Weights, V[, Slot].
 */
export function rowDot(
  backend: GpuBackend, outShape: number[], access: WeightAccess, batch: number, nRows: number, nCols: number,
): Built {
  const numTasks = batch * nRows;
  const key = `plasticity_sparse_rowdot_${access.homogeneous ? 'h' : 'w'}_${access.hasSlot ? 's' : 'n'}`;
  const body = access.homogeneous
    ? `for (var k = Ptr[r]; k < end; k = k + 1) { s = s + f32(V[base + Idx[k]]); }
    s = s * f32(Weights[0]);`
    : `for (var k = Ptr[r]; k < end; k = k + 1) { s = s + ${weightExpr(access)} * f32(V[base + Idx[k]]); }`;
  return {
    program: makeProgram(backend, {
      variableNames: access.hasSlot ? ['Ptr', 'Idx', 'Weights', 'V', 'Slot'] : ['Ptr', 'Idx', 'Weights', 'V'],
      outputShape: outShape, shaderKey: key,
      uniforms: `${TASK_UNIFORMS} nRows : i32, nCols : i32,`,
      getUserCode: () => `
  fn main(index : i32) {${TASK_PROLOGUE}
    let b = task / uniforms.nRows;
    let r = task - b * uniforms.nRows;
    let base = b * uniforms.nCols;
    let end = Ptr[r + 1];
    var s = 0.0;
    ${body}
    setOutputAtIndex(task, s);
  }`,
    }, numTasks),
    uniforms: [...taskUniforms(numTasks, 1), i32(nRows), i32(nCols)],
  };
}

/**
 * Variable names of an update program: in place, the weights are the output itself (read and
 * written through `result`; WebGPU cannot bind one buffer as input and output), else an input.
 */
function updateInputs(inPlace: boolean, hasSlot: boolean, operands: string[]): string[] {
  return ['Ptr', 'Idx', ...(inPlace ? [] : ['Weights']), ...operands, ...(hasSlot ? ['Slot'] : [])];
}

/** WGSL expression of the current weight at position p of an update. */
function oldWeight(inPlace: boolean): string {
  return inPlace ? 'result[p]' : 'f32(Weights[p])';
}

/**
 * OnRows: the slots of each active row get w = clip(w + values[idx[k]]), written either in place
 * (output = the weights) or into the copy made by copyWeights. Each weight position appears once per
 * call, so there is no race. Inputs: Ptr, Idx[, Weights], Active, Values[, Slot].
 */
export function onRows(
  backend: GpuBackend, shape: number[], hasSlot: boolean, inPlace: boolean, nRows: number, nnz: number, wMin: number, wMax: number,
  ex: UpdateExtras | null = null,
): Built {
  const lanes = lanesFor(nnz, nRows);
  const pos = posExpr(hasSlot);
  const update = ex
    ? exUpdate(oldWeight(inPlace), 'f32(Values[Idx[k]])', 'task')
    : `
      var x = ${oldWeight(inPlace)} + f32(Values[Idx[k]]);${CLIP}`;
  return {
    program: makeProgram(backend, {
      variableNames: [...updateInputs(inPlace, hasSlot, ['Active', 'Values']), ...(ex ? ['Ex'] : [])],
      outputShape: shape, shaderKey: `plasticity_sparse_onrows_${hasSlot ? 's' : 'n'}_${inPlace ? 'ip' : 'cp'}${ex ? '_x' : ''}`,
      uniforms: `${TASK_UNIFORMS} ${CLIP_UNIFORMS}${ex ? ` ${EX_UNIFORMS}` : ''}`,
      getUserCode: () => `
  fn main(index : i32) {${TASK_PROLOGUE}
    if (f32(Active[task]) == 0.0) { return; }
    let end = Ptr[task + 1];
    for (var k = Ptr[task] + lane; k < end; k = k + uniforms.lanes) {
      let p = ${pos};${update}
      result[p] = x;
    }
  }`,
    }, nRows * lanes),
    uniforms: [...taskUniforms(nRows, lanes), ...updateUniforms(wMin, wMax, ex)],
  };
}

/**
 * AddOuter: for each row r with some a[b, r] != 0, its slots get
 * w = clip(w + scale · Σ_b a[b, r] · c[b, idx[k]]) (batch sum first, as the cpu kernel), in place or
 * into the copy made by copyWeights. Race-free as OnRows. Inputs: Ptr, Idx[, Weights], A, C[, Slot].
 */
export function addOuter(
  backend: GpuBackend, shape: number[], hasSlot: boolean, inPlace: boolean, batch: number, nRows: number, nCols: number, nnz: number,
  scale: number, wMin: number, wMax: number, ex: UpdateExtras | null = null,
): Built {
  const lanes = lanesFor(nnz, nRows);
  const pos = posExpr(hasSlot);
  const update = ex
    ? exUpdate(oldWeight(inPlace), 'uniforms.scale * s', 'r')
    : `
      var x = ${oldWeight(inPlace)} + uniforms.scale * s;${CLIP}`;
  return {
    program: makeProgram(backend, {
      variableNames: [...updateInputs(inPlace, hasSlot, ['A', 'C']), ...(ex ? ['Ex'] : [])],
      outputShape: shape, shaderKey: `plasticity_sparse_addouter_${hasSlot ? 's' : 'n'}_${inPlace ? 'ip' : 'cp'}${ex ? '_x' : ''}`,
      uniforms: `${TASK_UNIFORMS} batch : i32, nRows : i32, nCols : i32, scale : f32, ${CLIP_UNIFORMS}${ex ? ` ${EX_UNIFORMS}` : ''}`,
      getUserCode: () => `
  fn main(index : i32) {${TASK_PROLOGUE}
    let r = task;
    var touched = false;
    for (var b = 0; b < uniforms.batch; b = b + 1) {
      if (f32(A[b * uniforms.nRows + r]) != 0.0) { touched = true; break; }
    }
    if (!touched) { return; }
    let end = Ptr[r + 1];
    for (var k = Ptr[r] + lane; k < end; k = k + uniforms.lanes) {
      let j = Idx[k];
      var s = 0.0;
      for (var b = 0; b < uniforms.batch; b = b + 1) {
        s = s + f32(A[b * uniforms.nRows + r]) * f32(C[b * uniforms.nCols + j]);
      }
      let p = ${pos};${update}
      result[p] = x;
    }
  }`,
    }, nRows * lanes),
    uniforms: [...taskUniforms(nRows, lanes), i32(batch), i32(nRows), i32(nCols), f32(scale), ...updateUniforms(wMin, wMax, ex)],
  };
}

/**
 * Sddmm: out[pos(k)] = Σ_b a[b, r] · c[b, idx[k]] for every slot of every row (race-free: one
 * position per slot). With a slot input the output is zeroed first so positions no slot maps to
 * read 0. Inputs: Ptr, Idx, A, C[, Slot].
 */
export function sddmm(
  backend: GpuBackend, shape: number[], hasSlot: boolean, batch: number, nRows: number, nCols: number, nnz: number,
): Built {
  const lanes = lanesFor(nnz, nRows);
  const pos = posExpr(hasSlot);
  return {
    program: makeProgram(backend, {
      variableNames: hasSlot ? ['Ptr', 'Idx', 'A', 'C', 'Slot'] : ['Ptr', 'Idx', 'A', 'C'],
      outputShape: shape, shaderKey: `plasticity_sparse_sddmm_${hasSlot ? 's' : 'n'}`,
      uniforms: `${TASK_UNIFORMS} batch : i32, nRows : i32, nCols : i32,`,
      getUserCode: () => `
  fn main(index : i32) {${TASK_PROLOGUE}
    let r = task;
    let end = Ptr[r + 1];
    for (var k = Ptr[r] + lane; k < end; k = k + uniforms.lanes) {
      let j = Idx[k];
      var s = 0.0;
      for (var b = 0; b < uniforms.batch; b = b + 1) {
        s = s + f32(A[b * uniforms.nRows + r]) * f32(C[b * uniforms.nCols + j]);
      }
      result[${pos}] = s;
    }
  }`,
    }, nRows * lanes),
    uniforms: [...taskUniforms(nRows, lanes), i32(batch), i32(nRows), i32(nCols)],
  };
}
