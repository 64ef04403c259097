import { PlasticityError } from '@plasticity/core';

/** One synapse's (or a mean synapse's) coefficients of the PDLF control rule. */
export interface RuleCoefficients {
  readonly lr: number;
  readonly A: number;
  readonly B: number;
  readonly C: number;
  readonly D: number;
}

/**
 * The control rule (`core/scp`) read as an STDP window, as the official figure code reads it: with
 * both traces decaying by 1/e per step, a pair at interval Δt = t_post − t_pre gives
 *   Δw(Δt > 0) = lr·((A + B)·e^(−Δt/e) + D)      Δw(Δt < 0) = lr·(−A·C·e^(Δt/e) + D)
 * (Δt in steps; Δt = 0 takes the causal branch).
 */
export function scpWindow(c: RuleCoefficients, dts: readonly number[]): Float64Array {
  for (const k of ['lr', 'A', 'B', 'C', 'D'] as const) {
    if (!Number.isFinite(c?.[k])) throw new PlasticityError('E_PARAM', `scpWindow: coefficient ${k} must be a finite number, got ${String(c?.[k])}`);
  }
  return Float64Array.from(dts, (dt) => (dt >= 0 ? c.lr * ((c.A + c.B) * Math.exp(-dt / Math.E) + c.D) : c.lr * (-c.A * c.C * Math.exp(dt / Math.E) + c.D)));
}

/**
 * The mean window over the synapses of one projection of a genome (`slices` from a SpikingPolicy):
 * each synapse's window, averaged (the window is linear in A·C, A + B and D, not in the mean
 * coefficients, so it is averaged window by window).
 */
export function meanScpWindow(genome: ArrayLike<number>, slices: readonly { target: string; key: string; offset: number; length: number }[], projection: string, dts: readonly number[]): Float64Array {
  const part = (key: string) => {
    const s = slices.find((x) => x.target === projection && x.key === key);
    if (!s) throw new PlasticityError('E_PARAM', `meanScpWindow: the genome has no ${key} for projection ${JSON.stringify(projection)}`);
    return s;
  };
  const [lr, A, B, C, D] = (['lr', 'A', 'B', 'C', 'D'] as const).map(part);
  const out = new Float64Array(dts.length);
  for (let k = 0; k < lr!.length; k++) {
    const w = scpWindow({ lr: genome[lr!.offset + k]!, A: genome[A!.offset + k]!, B: genome[B!.offset + k]!, C: genome[C!.offset + k]!, D: genome[D!.offset + k]! }, dts);
    for (let i = 0; i < dts.length; i++) out[i]! += w[i]! / lr!.length;
  }
  return out;
}
