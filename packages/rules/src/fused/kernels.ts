import { ScaledTrace, propagate, setTraceState, traceState, trueTraces, type FusedKernel as RuleKernel, type SynapseTable } from '@plasticity/core/fused';
import type { FusedPairStdp, FusedRuleSpec } from './spec.js';
import { LazyPotentiation } from './lazy-potentiation.js';

/**
 * Typed-array kernels of the built-in rules: one per fused rule kind, over the engine's synapse
 * table. Nothing here dispatches tfjs ops.
 */

const lo = (v: number | undefined) => (v === undefined ? -Infinity : v);
const hi = (v: number | undefined) => (v === undefined ? Infinity : v);

/**
 * Pair STDP (and the triplet rule, which adds the slow detectors r2/o2): per step,
 *   pre pathway:  for each active pre i, for each synapse (i, j): input[j] += w; w −= Δ−; then pre traces jump;
 *   post pathway: for each active post j, for each synapse (i, j): w += Δ+; then post traces jump.
 */
function stdpKernel(t: SynapseTable, spec: Extract<FusedRuleSpec, { kind: 'stdp' | 'triplet' }>, dtMs: number): RuleKernel {
  const triplet = spec.kind === 'triplet';
  const xPre = new ScaledTrace(t.nPre, spec.traceMode, dtMs, spec.tauPlusMs);
  const xPost = new ScaledTrace(t.nPost, spec.traceMode, dtMs, spec.tauMinusMs);
  const r2 = triplet ? new ScaledTrace(t.nPre, spec.traceMode, dtMs, spec.tauXMs) : null;
  const o2 = triplet ? new ScaledTrace(t.nPost, spec.traceMode, dtMs, spec.tauYMs) : null;
  const traces: Record<string, ScaledTrace> = { xPre, xPost, ...(r2 && o2 ? { r2, o2 } : {}) };
  const wMin = lo(spec.wMin), wMax = hi(spec.wMax);
  const dep = spec.kind === 'stdp' ? spec.weightDependence : 'additive';
  const aPlus = spec.kind === 'stdp' ? spec.aPlus : spec.a2Plus;
  const aMinus = spec.kind === 'stdp' ? spec.aMinus : spec.a2Minus;
  const a3Plus = spec.kind === 'triplet' ? spec.a3Plus : 0;
  const a3Minus = spec.kind === 'triplet' ? spec.a3Minus : 0;
  const muPlus = spec.kind === 'stdp' ? (spec.muPlus ?? 1) : 0;
  const muMinus = spec.kind === 'stdp' ? (spec.muMinus ?? 1) : 0;
  const span = wMax - wMin;
  const XPre = xPre.X, XPost = xPost.X;
  const R2 = r2?.X, O2 = o2?.X;
  const { dense, nPost, nPre } = t;

  /** New weight after depression by amount a·x (x = true post trace value). */
  const depress = (w: number, ax: number): number => {
    let d = ax;
    if (dep === 'multiplicative') d *= Math.pow(Math.max(0, (w - wMin) / span), muMinus);
    else if (dep === 'soft-bound') d *= Math.max(0, w - wMin);
    const v = w - d;
    return v < wMin ? wMin : v > wMax ? wMax : v;
  };
  const potentiate = (w: number, ax: number): number => {
    let d = ax;
    if (dep === 'multiplicative') d *= Math.pow(Math.max(0, (wMax - w) / span), muPlus);
    else if (dep === 'soft-bound') d *= Math.max(0, wMax - w);
    const v = w + d;
    return v < wMin ? wMin : v > wMax ? wMax : v;
  };
  const additive = dep === 'additive';
  const k0 = { XPre, XPost, R2: R2 ?? null, O2: O2 ?? null, wMin, wMax, additive, dense, nPre, nPost, aPlus, aMinus, a3Plus, a3Minus };

  return {
    step(io) {
      const { n, preActive, preCount, preValue, postActive, postCount, input, w, binary } = io;
      if (preCount === 0 && postCount === 0) return;
      const { XPre, XPost, R2, O2, wMin, wMax, additive, dense, nPre, nPost, aPlus, aMinus, a3Plus, a3Minus } = k0; // STATE_OBJECT
      xPre.advance(n); xPost.advance(n); r2?.advance(n); o2?.advance(n);
      // --- pre pathway: propagate with the weight before the update (Brian2: ge += w; w = clip(w + Apost))
      if (preCount > 0) {
        const pPost = xPost.read(n);
        const pR2 = r2 ? r2.read(n) : 0;
        for (let c = 0; c < preCount; c++) {
          const i = preActive[c]!;
          const s = preValue[i]!;
          const amp = (aMinus + (R2 ? a3Minus * R2[i]! * pR2 : 0)) * pPost;
          if (dense) {
            const base = i * nPost;
            for (let j = 0; j < nPost; j++) {
              const k = base + j;
              const wk = w[k]!;
              input[j]! += binary ? wk : wk * s;
              if (additive) {
                const v = wk - amp * XPost[j]!;
                w[k] = v < wMin ? wMin : v > wMax ? wMax : v;
              } else w[k] = depress(wk, amp * XPost[j]!);
            }
          } else {
            const { rowPtr, rowIdx, rowPos } = t;
            for (let s0 = rowPtr[i]!, e = rowPtr[i + 1]!; s0 < e; s0++) {
              const k = rowPos[s0]!, j = rowIdx[s0]!;
              const wk = w[k]!;
              input[j]! += binary ? wk : wk * s;
              if (additive) {
                const v = wk - amp * XPost[j]!;
                w[k] = v < wMin ? wMin : v > wMax ? wMax : v;
              } else w[k] = depress(wk, amp * XPost[j]!);
            }
          }
        }
        xPre.spike(n, preActive, preCount, preValue);
        r2?.spike(n, preActive, preCount, preValue);
      }
      // --- post pathway: potentiation from the pre trace (which already holds this step's pre spikes)
      if (postCount > 0) {
        const pPre = xPre.read(n);
        const pO2 = o2 ? o2.read(n) : 0;
        for (let c = 0; c < postCount; c++) {
          const j = postActive[c]!;
          const amp = (aPlus + (O2 ? a3Plus * O2[j]! * pO2 : 0)) * pPre;
          if (dense) {
            for (let i = 0, k = j; i < nPre; i++, k += nPost) {
              const x = XPre[i]!;
              if (x === 0) continue;
              if (additive) {
                const v = w[k]! + amp * x;
                w[k] = v < wMin ? wMin : v > wMax ? wMax : v;
              } else w[k] = potentiate(w[k]!, amp * x);
            }
          } else {
            const { colPtr, colIdx, colPos } = t;
            for (let s0 = colPtr[j]!, e = colPtr[j + 1]!; s0 < e; s0++) {
              const x = XPre[colIdx[s0]!]!;
              if (x === 0) continue;
              const k = colPos[s0]!;
              if (additive) {
                const v = w[k]! + amp * x;
                w[k] = v < wMin ? wMin : v > wMax ? wMax : v;
              } else w[k] = potentiate(w[k]!, amp * x);
            }
          }
        }
        xPost.spike(n, postActive, postCount, io.postValue);
        o2?.spike(n, postActive, postCount, io.postValue);
      }
    },
    state: () => traceState(traces),
    setState: (arrays, data) => setTraceState(traces, arrays, data),
    traces: (n) => trueTraces(traces, n),
    reset() {
      for (const tr of Object.values(traces)) tr.reset();
    },
  };
}

/**
 * MSTDP / MSTDPET (Florian 2007 as BindsNET), per step n with modulator r:
 *   MSTDP:   W += nu·r·e(n−1);   MSTDPET: z ← z·e^(−dt/τz) + e(n−1)/τz; W += nu·dt·r·z;
 *   then pPlus, pMinus decay and jump; e(n) = pPlus ⊗ sPost(n) + sPre(n) ⊗ pMinus (point eligibility,
 *   kept as the spike lists of step n and the trace scale). Touched weights are clipped.
 */
function mstdpKernel(t: SynapseTable, spec: Extract<FusedRuleSpec, { kind: 'mstdp' | 'mstdpet' }>, dtMs: number): RuleKernel {
  const et = spec.kind === 'mstdpet';
  const pPlus = new ScaledTrace(t.nPre, 'all-to-all', dtMs, spec.tauPlusMs, spec.aPlus);
  const pMinus = new ScaledTrace(t.nPost, 'all-to-all', dtMs, spec.tauMinusMs, spec.aMinus);
  const z = et ? new ScaledTrace(t.nnz, 'all-to-all', dtMs, (spec as { tauZMs: number }).tauZMs) : null;
  const tauZ = et ? (spec as { tauZMs: number }).tauZMs : 1;
  const traces: Record<string, ScaledTrace> = { pPlus, pMinus, ...(z ? { z } : {}) };
  const wMin = lo(spec.wMin), wMax = hi(spec.wMax);
  // spikes of the previous step and the true trace values they pair with
  const e: Eligibility = {
    t, prevPre: new Int32Array(t.nPre), prevPost: new Int32Array(t.nPost),
    prevPreVal: new Float32Array(t.nPre), prevPostVal: new Float32Array(t.nPost),
    ePlus: new Float64Array(t.nPre), // pPlus(n−1) snapshot for the previous post spikes' columns
    eMinus: new Float64Array(t.nPost), nPrevPre: 0, nPrevPost: 0, wMin, wMax,
  };
  const { prevPre, prevPost, prevPreVal, prevPostVal, ePlus, eMinus } = e;

  return {
    traces: (n) => trueTraces(traces, n),
    step(io) {
      const { n, w, modulator: r } = io;
      if (z) {
        z.advance(n);
        addEligible(e, z.X, z.write(n) / tauZ, false);
        if (r !== 0) {
          const a = spec.nu * dtMs * r * z.read(n);
          const Z = z.X;
          for (let k = 0; k < Z.length; k++) {
            const zk = Z[k]!;
            if (zk === 0) continue;
            const v = w[k]! + a * zk;
            w[k] = v < wMin ? wMin : v > wMax ? wMax : v;
          }
        }
      } else if (r !== 0) {
        // a synapse can be eligible through a post spike and a pre spike at once: add both parts,
        // then clip the total once (BindsNET clips W + ν·r·e as one update)
        addEligible(e, w, spec.nu * r, false);
        if (wMin > -Infinity || wMax < Infinity) addEligible(e, w, 0, true);
      }
      propagate(t, io);
      pPlus.advance(n); pMinus.advance(n);
      pPlus.spike(n, io.preActive, io.preCount, io.preValue);
      pMinus.spike(n, io.postActive, io.postCount, io.postValue);
      // point eligibility of this step: remember the spikes and the trace values they pair with
      for (let c = 0; c < e.nPrevPre; c++) prevPreVal[prevPre[c]!] = 0;
      for (let c = 0; c < e.nPrevPost; c++) prevPostVal[prevPost[c]!] = 0;
      e.nPrevPre = io.preCount;
      e.nPrevPost = io.postCount;
      for (let c = 0; c < e.nPrevPre; c++) { const i = io.preActive[c]!; prevPre[c] = i; prevPreVal[i] = io.preValue[i]!; }
      for (let c = 0; c < e.nPrevPost; c++) { const j = io.postActive[c]!; prevPost[c] = j; prevPostVal[j] = io.postValue[j]!; }
      if (e.nPrevPost > 0) pPlus.values(n, ePlus);
      if (e.nPrevPre > 0) pMinus.values(n, eMinus);
    },
    state() {
      const s = traceState(traces);
      return {
        arrays: { ...s.arrays, prevPre: prevPre.slice(), prevPost: prevPost.slice(), prevPreVal: Float32Array.from(prevPreVal), prevPostVal: Float32Array.from(prevPostVal), ePlus: Float64Array.from(ePlus), eMinus: Float64Array.from(eMinus) },
        data: { ...s.data, nPrevPre: e.nPrevPre, nPrevPost: e.nPrevPost },
      };
    },
    setState(arrays, data) {
      setTraceState(traces, arrays, data);
      e.nPrevPre = data.nPrevPre!; e.nPrevPost = data.nPrevPost!;
      prevPre.set(arrays.prevPre!); prevPost.set(arrays.prevPost!);
      prevPreVal.set(arrays.prevPreVal!); prevPostVal.set(arrays.prevPostVal!);
      ePlus.set(arrays.ePlus!); eMinus.set(arrays.eMinus!);
    },
    reset() {
      for (const tr of Object.values(traces)) tr.reset();
      e.nPrevPre = 0; e.nPrevPost = 0;
      prevPreVal.fill(0); prevPostVal.fill(0); ePlus.fill(0); eMinus.fill(0);
    },
  };
}

/** MSTDP's point eligibility of the previous step, in one object (STATE_OBJECT in @plasticity/core/fused). */
interface Eligibility {
  readonly t: SynapseTable;
  readonly prevPre: Int32Array;
  readonly prevPost: Int32Array;
  readonly prevPreVal: Float32Array;
  readonly prevPostVal: Float32Array;
  readonly ePlus: Float64Array;
  readonly eMinus: Float64Array;
  nPrevPre: number;
  nPrevPost: number;
  readonly wMin: number;
  readonly wMax: number;
}

/**
 * For every synapse k with nonzero point eligibility e(n−1): arr[k] += factor·e, or with `clip` the
 * weight arr[k] clipped to [wMin, wMax] instead. Post spikes' columns first, then pre spikes' rows.
 */
function addEligible(s: Eligibility, arr: Float32Array | Float64Array, factor: number, clip: boolean): void {
  const { t, prevPre, prevPost, prevPreVal, prevPostVal, ePlus, eMinus, nPrevPre, nPrevPost, wMin, wMax } = s;
  const { dense, nPre, nPost, rowPtr, rowIdx, rowPos, colPtr, colIdx, colPos } = t;
  const visit = (k: number, e: number): void => {
    if (e === 0) return;
    if (clip) { const v = arr[k]!; arr[k] = v < wMin ? wMin : v > wMax ? wMax : v; } else arr[k]! += e * factor;
  };
  for (let c = 0; c < nPrevPost; c++) {
    const j = prevPost[c]!, sj = prevPostVal[j]!;
    if (dense) for (let i = 0, k = j; i < nPre; i++, k += nPost) visit(k, ePlus[i]! * sj);
    else for (let q = colPtr[j]!; q < colPtr[j + 1]!; q++) visit(colPos[q]!, ePlus[colIdx[q]!]! * sj);
  }
  for (let c = 0; c < nPrevPre; c++) {
    const i = prevPre[c]!, si = prevPreVal[i]!;
    if (dense) for (let j = 0, k = i * nPost; j < nPost; j++, k++) visit(k, si * eMinus[j]!);
    else for (let q = rowPtr[i]!; q < rowPtr[i + 1]!; q++) visit(rowPos[q]!, si * eMinus[rowIdx[q]!]!);
  }
}

/**
 * Additive pair STDP with lazy potentiation (binary events, additive weight dependence): a post spike
 * costs O(1) instead of O(nPre) (LazyPotentiation). The committed weights live in the block;
 * `publish` writes them, with what is owed, into the connection's buffer at the end of every run call,
 * so step() × T and run(T) stay bit-identical.
 */
function lazyStdpKernel(t: SynapseTable, spec: FusedPairStdp, dtMs: number): RuleKernel {
  const xPre = new ScaledTrace(t.nPre, spec.traceMode, dtMs, spec.tauPlusMs, 1, 12);
  const xPost = new ScaledTrace(t.nPost, spec.traceMode, dtMs, spec.tauMinusMs);
  const lazy = new LazyPotentiation(t, xPre, { aPlus: spec.aPlus, wMin: spec.wMin, wMax: spec.wMax });
  const k0 = { delta: lazy.delta, XPost: xPost.X, aMinus: spec.aMinus };
  const traces: Record<string, ScaledTrace> = { xPre, xPost };
  return {
    traces: (n) => trueTraces(traces, n),
    step(io) {
      const { n, preActive, preCount, postActive, postCount } = io;
      if (preCount === 0 && postCount === 0) return;
      const { delta, XPost, aMinus } = k0; // STATE_OBJECT
      lazy.advance(n);
      xPost.advance(n);
      if (preCount > 0) {
        const amp = aMinus * xPost.read(n);
        for (let j = 0; j < delta.length; j++) delta[j] = -(amp * XPost[j]!);
        lazy.preRows(preActive, preCount, io.input);
        xPre.spike(n, preActive, preCount, io.preValue);
      }
      if (postCount > 0) {
        lazy.post(n, postActive, postCount);
        xPost.spike(n, postActive, postCount, io.postValue);
      }
    },
    state() {
      const s = traceState(traces), l = lazy.state();
      return { arrays: { ...s.arrays, ...l.arrays }, data: { ...s.data, ...l.data } };
    },
    setState(arrays, data) {
      setTraceState(traces, arrays, data);
      lazy.setState(arrays, data);
    },
    reset() {
      for (const tr of Object.values(traces)) tr.reset();
      lazy.reset();
    },
    attach: (w, changed) => lazy.attach(w, changed),
    publish: (w) => lazy.publish(w),
  };
}

/** The kernel of a (validated) fused spec over a synapse table. */
export function makeRuleKernel(t: SynapseTable, spec: FusedRuleSpec, dtMs: number, options: { lazy?: boolean } = {}): RuleKernel {
  switch (spec.kind) {
    case 'none':
      throw new Error('makeRuleKernel: a static projection has no rule kernel');
    case 'stdp':
      if (options.lazy && spec.weightDependence === 'additive') return lazyStdpKernel(t, spec, dtMs);
      return stdpKernel(t, spec, dtMs);
    case 'triplet':
      return stdpKernel(t, spec, dtMs);
    case 'mstdp':
    case 'mstdpet':
      return mstdpKernel(t, spec, dtMs);
  }
}
