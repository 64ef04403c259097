import type { SpikingPolicy } from '../policy/spiking.js';
import { COPY_INPUTS, recallItem, type CopyTrials } from './copy.js';

const f = Math.fround;

/**
 * The copying task with the official batched policy's fast weights: one plastic matrix per genome and
 * projection, shared by all the sequences of an evaluation, whose Hebbian terms are summed over them
 * (`_xy`, `_x`, `_y` summed over the batch axis, `D` added once). The population engine runs every
 * member at batch 1, so this variant has its own simulation of the same policy: the engine's step
 * (ternary LIF integrate → propagate → rule → deliver), with its float32 rounding, and the batch sums
 * of `core/pdp` / `core/scp`'s tensor step (products rounded to float32, summed in double, rounded
 * once). With one sequence it gives the engine's result bit for bit (tested). Returns the readout
 * summed per recall item, readout[s·length + item], as evaluateCopy accumulates it.
 */
export function batchSharedReadout(policy: SpikingPolicy, genome: Float32Array, trials: CopyTrials, resetMembrane: boolean): Float64Array {
  const o = policy.options;
  const { sequences: S, length } = trials.options;
  const layers = policy.layers, L = layers.length;
  const on = new Set(o.terms), pdp = o.rule === 'core/pdp';
  const hasA = on.has('A'), hasB = on.has('B'), hasC = on.has('C'), hasD = on.has('D');
  const d = f(Math.exp(-1)), d1 = f(1 - Math.exp(-1)); // the traces' τ = dt
  const tau = f(Math.E), vt = f(o.vThresh), nvt = f(-o.vThresh);

  const slice = (target: string, key: string) => {
    const s = policy.slices.find((x) => x.target === target && x.key === key)!;
    return genome.subarray(s.offset, s.offset + s.length);
  };
  // per layer l >= 1 (neurons) and per projection l (from layer l − 1), every sequence's block side by side
  const mem: Float32Array[] = [], inp: Float32Array[] = [], input: Float32Array[] = [], value: Float32Array[] = [];
  const W: Float32Array[] = [], C5: Float32Array[][] = [], xBar: Float32Array[] = [], yBar: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    const n = layers[l]!.n;
    value.push(new Float32Array(S * n));
    mem.push(new Float32Array(S * n)); inp.push(new Float32Array(S * n)); input.push(new Float32Array(S * n));
    if (l === 0) { W.push(new Float32Array(0)); C5.push([]); xBar.push(new Float32Array(0)); yBar.push(new Float32Array(0)); continue; }
    const target = `${layers[l - 1]!.name}->${layers[l]!.name}`;
    W.push(new Float32Array(layers[l - 1]!.n * n));
    C5.push(['lr', 'A', 'B', 'C', 'D'].map((k) => slice(target, k)));
    xBar.push(new Float32Array(S * layers[l - 1]!.n));
    yBar.push(new Float32Array(S * n));
  }
  const gru = policy.gru, gruParams = policy.gruParams(genome);
  const gruH = new Float64Array(gru ? S * gru.hidden : 0), gruOut = new Float64Array(o.nOut);
  const readout = new Float64Array(S * length);

  const clear = () => {
    for (let l = 1; l < L; l++) { mem[l]!.fill(0); inp[l]!.fill(0); input[l]!.fill(0); xBar[l]!.fill(0); yBar[l]!.fill(0); }
    for (const v of value) v.fill(0);
    gruH.fill(0);
  };

  for (let t = 0; t <= trials.steps; t++) {
    const now = recallItem(trials, t), late = recallItem(trials, t - 1);
    // the input layer's events and the GRU branch (in the step it sees the input)
    const vin = value[0]!;
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < COPY_INPUTS; c++) vin[s * COPY_INPUTS + c] = t < trials.steps ? trials.inputs[(t * S + s) * COPY_INPUTS + c]! : 0;
      if (gru && t < trials.steps) {
        gru.step(gruParams, vin.subarray(s * COPY_INPUTS, (s + 1) * COPY_INPUTS), gruH.subarray(s * gru.hidden, (s + 1) * gru.hidden), gruOut);
        if (now >= 0) for (let j = 0; j < o.nOut; j++) readout[s * length + now]! += gruOut[j]!;
      }
    }
    // integrate every neuron layer (ternary LIF)
    for (let l = 1; l < L; l++) {
      const m = mem[l]!, x = inp[l]!, v = value[l]!;
      for (let k = 0; k < m.length; k++) {
        const xi = x[k]!;
        const mk = f(xi + f(f(m[k]! - xi) / tau));
        m[k] = mk;
        v[k] = (mk > vt ? 1 : 0) - (mk < nvt ? 1 : 0);
      }
    }
    // every projection: propagate each sequence, then one shared update
    for (let l = 1; l < L; l++) {
      const nPre = layers[l - 1]!.n, nPost = layers[l]!.n, w = W[l]!, vPre = value[l - 1]!, vPost = value[l]!, buf = input[l]!;
      for (let s = 0; s < S; s++) {
        for (let i = 0; i < nPre; i++) {
          const v = vPre[s * nPre + i]!;
          if (v === 0) continue;
          for (let j = 0, k = i * nPost; j < nPost; j++, k++) buf[s * nPost + j] = buf[s * nPost + j]! + w[k]! * v;
        }
      }
      // the rule's activities: the official traces on hidden sides, raw input and readout
      const x = l > 1 ? xBar[l]! : vPre, y = l < L - 1 ? yBar[l]! : vPost;
      if (l > 1) for (let k = 0; k < x.length; k++) x[k] = f(f(x[k]! * d) + f(vPre[k]! * d1));
      if (l < L - 1) for (let k = 0; k < y.length; k++) y[k] = f(f(y[k]! * d) + f(vPost[k]! * d1));
      const [lr, A, B, C, D] = C5[l]! as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
      let mx = 0;
      for (let i = 0, k = 0; i < nPre; i++) {
        let X = 0;
        for (let s = 0; s < S; s++) X += x[s * nPre + i]!;
        X = f(X);
        for (let j = 0; j < nPost; j++, k++) {
          let xy = 0, Y = 0;
          for (let s = 0; s < S; s++) { const yj = y[s * nPost + j]!; xy += f(x[s * nPre + i]! * yj); Y += yj; }
          xy = f(xy); Y = f(Y);
          let u = 0;
          if (pdp) {
            if (hasA) u = f(A[k]! * xy);
            if (hasB) u = f(u + f(B[k]! * X));
            if (hasC) u = f(u + f(C[k]! * Y));
          } else {
            if (hasA) u = f(A[k]! * xy);
            if (hasA && hasC) u = f(u - f(f(A[k]! * C[k]!) * X));
            if (hasB) u = f(u + f(B[k]! * Y));
          }
          if (hasD) u = f(u + D[k]!);
          const v = f(w[k]! + f(lr[k]! * u));
          w[k] = v;
          if (Math.abs(v) > mx) mx = Math.abs(v);
        }
      }
      if (mx > 0) for (let k = 0; k < w.length; k++) w[k] = f(w[k]! / mx);
    }
    // deliver: the buffered input becomes next step's input; spiking neurons reset to 0
    for (let l = 1; l < L; l++) {
      const x = inp[l]!, buf = input[l]!, m = mem[l]!, v = value[l]!;
      for (let k = 0; k < x.length; k++) { x[k] = buf[k]!; buf[k] = 0; if (v[k] !== 0) m[k] = 0; }
    }
    if (late >= 0 && late < length) {
      const out = inp[L - 1]!, nOut = layers[L - 1]!.n;
      for (let s = 0; s < S; s++) {
        let sum = 0;
        for (let j = 0; j < nOut; j++) sum += out[s * nOut + j]!;
        readout[s * length + late]! += sum;
      }
    }
    if (resetMembrane && t === trials.recallStart - 1) clear();
  }
  return readout;
}
