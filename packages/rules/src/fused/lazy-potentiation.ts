import { PlasticityError } from '@plasticity/core';
import type { FusedKernelState, ScaledTrace, SynapseTable } from '@plasticity/core/fused';
import { simdInstance, simdModule } from './simd.js';
import { LAZY_WASM_BASE64 } from './wasm-binary.js';

export interface LazyPotentiationOptions {
  /** Potentiation a post spike of j owes synapse (i, j) per unit of pre trace: Δw = aPlus·x_i (>= 0). */
  readonly aPlus: number;
  readonly wMin?: number;
  readonly wMax?: number;
}

/**
 * Lazy post-triggered potentiation: the building block of core/stdp's default kernel, public so that a
 * user's pair rule can run at the same speed. A post spike of j at step n owes every synapse (i, j)
 * aPlus·x_i(n), where the pre trace x_i = X_i·g^(n − base) lives on a ScaledTrace and X_i is fixed
 * between spikes of i. So a post spike only adds g^(n − base) to a per-post sum C_j (O(1) instead of a
 * walk down column j); synapse (i, j) collects aPlus·X_i·(C_j − Cold_ij) when row i is next touched (a
 * spike of i, before its weights propagate and before X_i jumps) or at a flush before the trace's scale
 * moves. Clipping at wMax commutes with a sum of non-negative increments, so this is the direct rule up to
 * float rounding.
 *
 * Use it where `ctx.lazy && ctx.binaryEvents` (a signed pre event would scale what is owed). It keeps
 * the committed weights itself: the kernel's `attach`, `publish`, `state`, `setState` and `reset` call
 * the methods of the same names. Per step, in this order: `advance(n)` (instead of the pre trace's),
 * fill `delta` and call `preRows` for the active pre neurons, then the pre trace's `spike`, then
 * `post` for the active post neurons. Dense tables with nPost >= 8 run the row pass in a WebAssembly
 * SIMD module (float32 arithmetic) where the runtime has SIMD.
 */
export class LazyPotentiation {
  /** Added to every synapse (i, ·) of an active pre i in `preRows`, per post neuron (the rule's depression, negative). */
  readonly delta: Float32Array | Float64Array;
  private readonly t: SynapseTable;
  private readonly xPre: ScaledTrace;
  private readonly aPlus: number;
  private readonly wMin: number;
  private readonly wMax: number;
  private readonly C: Float64Array;
  private readonly Cold: Float64Array;
  private readonly wc: Float32Array;
  private readonly simd: ReturnType<typeof lazySimd>;
  private pending = false; // any post spike since the last full flush
  private dirtyAll = true;
  // what changed since the last publish: rows of spiking pre neurons and columns of spiking post
  // neurons; publish rewrites only those, so a step() costs what the direct kernel's would
  private readonly rowMark: Uint8Array;
  private readonly rowList: Int32Array;
  private readonly colMark: Uint8Array;
  private readonly colList: Int32Array;
  private nRows = 0;
  private nCols = 0;

  /** Throws E_PARAM when aPlus < 0, wMin > wMax, or the pre trace's scale may grow past e^12. */
  constructor(table: SynapseTable, xPre: ScaledTrace, options: LazyPotentiationOptions) {
    const problems: string[] = [];
    if (!(options.aPlus >= 0 && options.aPlus < Infinity)) problems.push(`aPlus must be finite and >= 0 (clipping commutes only with non-negative increments), got ${options.aPlus}`);
    if (!((options.wMin ?? -Infinity) <= (options.wMax ?? Infinity))) problems.push(`wMin must be <= wMax, got ${options.wMin} > ${options.wMax}`);
    // C_j − Cold_ij is a difference of float64 sums on the trace's scale: bounded by e^12, ~10 digits remain
    if (xPre.K * -Math.log(xPre.g) > 12 + 1e-9) problems.push(`the pre trace's scale may grow to e^${(xPre.K * -Math.log(xPre.g)).toFixed(1)}; make it with range 12: new ScaledTrace(n, mode, dtMs, tauMs, 1, 12)`);
    if (problems.length > 0) throw new PlasticityError('E_PARAM', `LazyPotentiation: ${problems.join('; ')}`);
    this.t = table;
    this.xPre = xPre;
    this.aPlus = options.aPlus;
    this.wMin = options.wMin ?? -Infinity;
    this.wMax = options.wMax ?? Infinity;
    const { dense, nPre, nPost, nnz } = table;
    // Cold[k] is exactly the C[j] it last saw
    this.simd = dense && nPost >= 8 ? lazySimd(nPre, nPost) : null;
    this.C = this.simd ? this.simd.C : new Float64Array(nPost);
    this.Cold = this.simd ? this.simd.Cold : new Float64Array(nnz);
    this.wc = this.simd ? this.simd.wc : new Float32Array(nnz);
    this.delta = this.simd ? this.simd.delta : new Float64Array(nPost);
    this.rowMark = new Uint8Array(nPre);
    this.rowList = new Int32Array(nPre);
    this.colMark = new Uint8Array(nPost);
    this.colList = new Int32Array(nPost);
  }

  /** Moves the pre trace's scale to step n, settling every synapse first when the scale is about to move. */
  advance(n: number): void {
    if (n - this.xPre.base >= this.xPre.K) this.fullFlush();
    this.xPre.advance(n);
  }

  /**
   * The pre pathway of the active pre neurons active[0..count): for each synapse (i, j) the owed
   * potentiation is settled (clipped at wMax), the weight added to input[j] (propagation with the weight
   * before this step's pre update, as Brian2's on_pre), then delta[j] added and the result clipped to
   * [wMin, wMax].
   */
  preRows(active: Int32Array, count: number, input: Float32Array): void {
    if (count === 0) return;
    this.markRows(active, count);
    const { C, Cold, wc, delta, aPlus, wMin, wMax, simd } = this;
    const XPre = this.xPre.X;
    if (simd) {
      const { list, a, input: scratch } = simd;
      for (let c = 0; c < count; c++) { const i = active[c]!; list[c] = i; a[c] = aPlus * XPre[i]!; }
      scratch.set(input);
      simd.rows(count, wMin, wMax);
      input.set(scratch);
      return;
    }
    const { dense, nPost } = this.t;
    for (let c = 0; c < count; c++) {
      const i = active[c]!;
      const a = aPlus * XPre[i]!;
      if (dense) {
        for (let j = 0, k = i * nPost; j < nPost; j++, k++) {
          // branch-free: with nothing owed, C_j − Cold_ij = 0 and the weight is unchanged
          const cj = C[j]!;
          const u = wc[k]! + a * (cj - Cold[k]!);
          Cold[k] = cj;
          const wk = Math.fround(u > wMax ? wMax : u);
          input[j]! += wk;
          const v = wk + delta[j]!;
          wc[k] = v < wMin ? wMin : v > wMax ? wMax : v;
        }
      } else {
        const { rowPtr, rowIdx, rowPos } = this.t;
        for (let s = rowPtr[i]!, e = rowPtr[i + 1]!; s < e; s++) {
          const k = rowPos[s]!, j = rowIdx[s]!;
          const cj = C[j]!;
          const u = wc[k]! + a * (cj - Cold[k]!);
          Cold[k] = cj;
          const wk = Math.fround(u > wMax ? wMax : u);
          input[j]! += wk;
          const v = wk + delta[j]!;
          wc[k] = v < wMin ? wMin : v > wMax ? wMax : v;
        }
      }
    }
  }

  /** Post spikes of active[0..count) at step n: each owes aPlus·(pre trace at n) to every synapse of its column. */
  post(n: number, active: Int32Array, count: number): void {
    if (count === 0) return;
    this.markCols(active, count);
    const g = this.xPre.read(n);
    for (let c = 0; c < count; c++) this.C[active[c]!]! += g;
    this.pending = true;
  }

  /** The connection's weights at the start of a run; `changed`: replaced since the last publish. */
  attach(w: Float32Array, changed: boolean): void {
    if (!changed) return;
    this.dirtyAll = true;
    this.wc.set(w);
    const { C, Cold, t } = this;
    if (t.dense) for (let i = 0, k = 0; i < t.nPre; i++) for (let j = 0; j < t.nPost; j++, k++) Cold[k] = C[j]!;
    else for (let s = 0; s < t.rowIdx.length; s++) Cold[t.rowPos[s]!] = C[t.rowIdx[s]!]!;
  }

  /** Writes the true current weights (committed + owed) into `w`: only what changed since the last publish. */
  publish(w: Float32Array): void {
    const { nnz, nPre, nPost } = this.t;
    const rowLen = nnz / Math.max(1, nPre), colLen = nnz / Math.max(1, nPost);
    if (this.dirtyAll || this.nRows * rowLen + this.nCols * colLen >= nnz) {
      if (this.pending) this.settle(w);
      else w.set(this.wc);
    } else {
      for (let c = 0; c < this.nRows; c++) this.settleRow(this.rowList[c]!, w);
      for (let c = 0; c < this.nCols; c++) this.settleCol(this.colList[c]!, w);
    }
    this.clearMarks();
  }

  state(): FusedKernelState {
    return { arrays: { C: Float64Array.from(this.C), Cold: Float64Array.from(this.Cold), wc: Float32Array.from(this.wc) }, data: { pending: this.pending ? 1 : 0 } };
  }

  setState(arrays: FusedKernelState['arrays'], data: FusedKernelState['data']): void {
    this.C.set(arrays.C!);
    this.Cold.set(arrays.Cold!);
    this.wc.set(arrays.wc!);
    this.pending = data.pending === 1;
    this.dirtyAll = true;
  }

  reset(): void {
    this.C.fill(0);
    this.Cold.fill(0);
    this.pending = false;
    this.dirtyAll = true;
  }

  private clip(v: number): number {
    return v < this.wMin ? this.wMin : v > this.wMax ? this.wMax : v;
  }

  /** Committed + owed potentiation of every synapse into `out` (out may be wc itself). */
  private settle(out: Float32Array): void {
    for (let i = 0; i < this.t.nPre; i++) this.settleRow(i, out);
  }

  private settleRow(i: number, out: Float32Array): void {
    const { C, Cold, wc, t } = this;
    const a = this.aPlus * this.xPre.X[i]!;
    if (t.dense) {
      for (let j = 0, k = i * t.nPost; j < t.nPost; j++, k++) { const d = C[j]! - Cold[k]!; out[k] = d !== 0 && a !== 0 ? this.clip(wc[k]! + a * d) : wc[k]!; }
    } else {
      for (let s = t.rowPtr[i]!; s < t.rowPtr[i + 1]!; s++) {
        const k = t.rowPos[s]!;
        const d = C[t.rowIdx[s]!]! - Cold[k]!;
        out[k] = d !== 0 && a !== 0 ? this.clip(wc[k]! + a * d) : wc[k]!;
      }
    }
  }

  private settleCol(j: number, out: Float32Array): void {
    const { Cold, wc, t, aPlus } = this;
    const XPre = this.xPre.X;
    const cj = this.C[j]!;
    if (t.dense) {
      for (let i = 0, k = j; i < t.nPre; i++, k += t.nPost) { const a = aPlus * XPre[i]!, d = cj - Cold[k]!; out[k] = d !== 0 && a !== 0 ? this.clip(wc[k]! + a * d) : wc[k]!; }
    } else {
      for (let s = t.colPtr[j]!; s < t.colPtr[j + 1]!; s++) {
        const k = t.colPos[s]!;
        const a = aPlus * XPre[t.colIdx[s]!]!, d = cj - Cold[k]!;
        out[k] = d !== 0 && a !== 0 ? this.clip(wc[k]! + a * d) : wc[k]!;
      }
    }
  }

  private fullFlush(): void {
    if (this.pending) this.settle(this.wc);
    this.C.fill(0);
    this.Cold.fill(0);
    this.pending = false;
    this.dirtyAll = true;
  }

  private markRows(active: Int32Array, count: number): void {
    if (this.dirtyAll) return;
    for (let c = 0; c < count; c++) { const i = active[c]!; if (!this.rowMark[i]) { this.rowMark[i] = 1; this.rowList[this.nRows++] = i; } }
  }

  private markCols(active: Int32Array, count: number): void {
    if (this.dirtyAll) return;
    for (let c = 0; c < count; c++) { const j = active[c]!; if (!this.colMark[j]) { this.colMark[j] = 1; this.colList[this.nCols++] = j; } }
  }

  private clearMarks(): void {
    for (let c = 0; c < this.nRows; c++) this.rowMark[this.rowList[c]!] = 0;
    for (let c = 0; c < this.nCols; c++) this.colMark[this.colList[c]!] = 0;
    this.nRows = 0;
    this.nCols = 0;
    this.dirtyAll = false;
  }
}

/**
 * The dense arrays in a WebAssembly memory of their own with the SIMD row kernel (assembly/lazy.ts,
 * under 1 KB); null where WebAssembly SIMD is missing or the memory cannot be had (the JS loop runs then).
 */
function lazySimd(nPre: number, nPost: number) {
  const module = simdModule(LAZY_WASM_BASE64);
  if (!module) return null;
  const nnz = nPre * nPost;
  const pad = (x: number) => Math.ceil(x / 4) * 4;
  // wc f32, Cold f64, C f64, delta f32, input f32, list i32, a f32
  const inst = simdInstance(module, [nnz * 4, nnz * 8, pad(nPost) * 8, pad(nPost) * 4, pad(nPost) * 4, pad(nPre) * 4, pad(nPre) * 4]);
  if (!inst) return null;
  const lazyRows = inst.exports.lazyRows as (...args: number[]) => void;
  const buf = inst.buffer;
  const [oW, oCold, oC, oDelta, oIn, oList, oA] = inst.offsets as [number, number, number, number, number, number, number];
  return {
    wc: new Float32Array(buf, oW, nnz), Cold: new Float64Array(buf, oCold, nnz), C: new Float64Array(buf, oC, nPost),
    delta: new Float32Array(buf, oDelta, nPost), input: new Float32Array(buf, oIn, nPost), list: new Int32Array(buf, oList, nPre),
    a: new Float32Array(buf, oA, nPre),
    rows: (count: number, wMin: number, wMax: number) => lazyRows(oW, oCold, oC, oDelta, oIn, oList, oA, count, nPost, wMin, wMax),
  };
}
