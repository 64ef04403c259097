import { PlasticityError } from '@plasticity/core';

/**
 * An evolved, non-plastic GRU branch (PyTorch's gate equations) with a linear output, added to the
 * spiking readout as the official working-memory policy does (`out = snn_out + GRU(x)`), or used alone
 * as its baseline (`GruPolicy`):
 *   r = σ(W_ir·x + b_ir + W_hr·h + b_hr)     z = σ(W_iz·x + b_iz + W_hz·h + b_hz)
 *   n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn))     h' = (1 − z) ⊙ n + z ⊙ h     y = W_o·h' + b_o
 * Parameters (in this order in the genome): W_i [3H, nIn] (rows r, z, n), W_h [3H, H], b_i [3H],
 * b_h [3H], W_o [nOut, H], b_o [nOut]. Computed in float64 on the host, one member at a time.
 */
export class GruBranch {
  readonly dim: number;
  constructor(readonly nIn: number, readonly hidden: number, readonly nOut: number) {
    for (const [k, v] of [['nIn', nIn], ['hidden', hidden], ['nOut', nOut]] as const) {
      if (!Number.isSafeInteger(v) || v < 1) throw new PlasticityError('E_PARAM', `GRU branch: ${k} must be an integer >= 1, got ${String(v)}`);
    }
    this.dim = 3 * hidden * nIn + 3 * hidden * hidden + 6 * hidden + nOut * hidden + nOut;
  }

  /** One step: updates `h` (length hidden) in place and writes the output into `out` (length nOut). */
  step(p: ArrayLike<number>, x: ArrayLike<number>, h: Float64Array, out: Float64Array): void {
    const { nIn, hidden: H, nOut } = this;
    const wi = 0, wh = wi + 3 * H * nIn, bi = wh + 3 * H * H, bh = bi + 3 * H, wo = bh + 3 * H, bo = wo + nOut * H;
    const gi = new Float64Array(3 * H), gh = new Float64Array(3 * H);
    for (let g = 0; g < 3 * H; g++) {
      let a = p[bi + g]!, b = p[bh + g]!;
      for (let k = 0; k < nIn; k++) a += p[wi + g * nIn + k]! * x[k]!;
      for (let k = 0; k < H; k++) b += p[wh + g * H + k]! * h[k]!;
      gi[g] = a; gh[g] = b;
    }
    for (let j = 0; j < H; j++) {
      const r = 1 / (1 + Math.exp(-(gi[j]! + gh[j]!)));
      const z = 1 / (1 + Math.exp(-(gi[H + j]! + gh[H + j]!)));
      const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
      h[j] = (1 - z) * n + z * h[j]!;
    }
    for (let o = 0; o < nOut; o++) {
      let y = p[bo + o]!;
      for (let k = 0; k < H; k++) y += p[wo + o * H + k]! * h[k]!;
      out[o] = y;
    }
  }
}
