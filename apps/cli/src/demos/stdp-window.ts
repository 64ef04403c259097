import * as tf from '@tensorflow/tfjs-core';
import { createRegistry, fromConfig, type Rule } from '@plasticity/core';
import { registerBuiltins, releaseState, disposeState } from '@plasticity/rules';
import { DenseConnection } from '@plasticity/sparse';
import { byBudget, type Demo } from '../demo.js';
import { chart } from '../svg.js';

const A_PLUS = 0.01;
const A_MINUS = 0.012;
const TAU_PLUS = 16.8;
const TAU_MINUS = 33.7;

/** Weight change of one synapse after one pre spike at 70 ms and one post spike at 70 + Δt ms. */
async function pairing(rule: Rule, params: Record<string, unknown>, deltaMs: number, dtMs: number): Promise<number> {
  const conn = DenseConnection.fromDense([[0.5]]);
  const t0 = 70; // both spikes after t = 0 for every Δt in [−60, 60]
  const steps = Math.round((t0 + Math.abs(deltaMs) + 10) / dtMs);
  const preStep = Math.round(t0 / dtMs);
  const postStep = Math.round((t0 + deltaMs) / dtMs);
  let state = rule.init({ nPre: 1, nPost: 1, batch: 1 }, params as never);
  for (let n = 0; n < steps; n++) {
    const pre = tf.tensor1d([n === preStep ? 1 : 0]);
    const post = tf.tensor1d([n === postStep ? 1 : 0]);
    const next = rule.step({ pre, post, conn, dtMs }, state, params as never);
    releaseState(state, next);
    state = next;
    tf.dispose([pre, post]);
  }
  disposeState(state);
  const w = (await conn.getWeights())[0]!;
  conn.dispose();
  return w - 0.5;
}

/**
 * The STDP learning window measured through the rule plugin (per-step tfjs ops on a Dense
 * connection), against the analytic A+·e^(−Δt/τ+) and −A−·e^(Δt/τ−), for both pairing schemes.
 */
export const stdpWindow: Demo = {
  name: 'stdp-window',
  title: 'STDP learning window: the core/stdp plugin against the analytic curve',
  description: `One pre and one post spike Δt apart on a single synapse (Bi & Poo-like parameters A+ = ${A_PLUS}, A− = ${A_MINUS}, τ+ = ${TAU_PLUS} ms, τ− = ${TAU_MINUS} ms). Each point runs the registered rule step by step; the line is the closed form.`,
  figures: ['stdp-window'],
  async run({ budget, progress, figure }) {
    const registry = createRegistry();
    registerBuiltins(registry);
    const dtMs = 1;
    const count = byBudget(budget, 25, 61, 61); // spacing 5 or 2 ms, both include +10 ms (long: denser markers would only hide each other)
    const deltas = Array.from({ length: count }, (_, k) => Math.round(-60 + (120 * k) / (count - 1))).filter((d) => d !== 0);
    const analytic = (d: number) => (d > 0 ? A_PLUS * Math.exp(-d / TAU_PLUS) : -A_MINUS * Math.exp(d / TAU_MINUS));
    const measured: Record<string, number[]> = {};
    let worst = 0;
    for (const pairingScheme of ['all-to-all', 'nearest']) {
      const { plugin, params } = fromConfig(registry, {
        name: 'core/stdp', specVersion: 1,
        params: { aPlus: A_PLUS, aMinus: A_MINUS, tauPlusMs: TAU_PLUS, tauMinusMs: TAU_MINUS, wMin: 0, wMax: 1, pairing: pairingScheme },
      });
      const bar = progress(`pairings (${pairingScheme})`, deltas.length);
      const values: number[] = [];
      for (const [k, d] of deltas.entries()) {
        values.push(await pairing(plugin as Rule, params, d, dtMs));
        worst = Math.max(worst, Math.abs(values[k]! - analytic(d)));
        bar.update(k + 1);
      }
      bar.finish();
      measured[pairingScheme] = values;
    }
    // The closed form jumps at Δt = 0 (LTD below, LTP above): two pieces, so no line joins −A− to +A+.
    const curve = (from: number, to: number) => Array.from({ length: 120 }, (_, k) => from + ((to - from) * k) / 119);
    const ltd = curve(-60, -0.01);
    const ltp = curve(0.01, 60);
    figure('stdp-window', chart([
      { label: 'analytic A+·e^(−Δt/τ+), −A−·e^(Δt/τ−)', x: ltd, y: ltd.map(analytic), color: '#111827' },
      { label: 'analytic (LTP)', x: ltp, y: ltp.map(analytic), color: '#111827', hideInLegend: true },
      // Both pairings give the same Δw for one pair: rings around dots keep both visible.
      { label: 'core/stdp all-to-all', x: deltas, y: measured['all-to-all']!, style: 'points', marker: 'ring', size: 6, color: '#2563eb' },
      { label: 'core/stdp nearest', x: deltas, y: measured.nearest!, style: 'points', marker: 'dot', size: 2.5, color: '#dc2626' },
    ], { title: 'STDP window: Δw after one pre→post pair', xLabel: 'Δt = t_post − t_pre (ms)', yLabel: 'Δw' }),
    'Measured weight change per pairing (rings: all-to-all, dots: nearest; one pair, so they coincide) against the closed form.');
    return {
      summary: {
        figure: `Δw(+10 ms) ${measured['all-to-all']![deltas.indexOf(10)]!.toExponential(3)}, max error ${worst.toExponential(1)}`,
        reference: `analytic ${analytic(10).toExponential(3)}, error < 2e-7`,
      },
      metrics: {
        'Δw at +10 ms': +measured['all-to-all']![deltas.indexOf(10)]!.toExponential(4),
        'analytic at +10 ms': +analytic(10).toExponential(4),
        'max |Δw − analytic|': +worst.toExponential(2),
        pairings: deltas.length * 2,
      },
      checks: {
        // The weight is stored in float32 around 0.5, whose spacing is 6e-8.
        'every pairing within 2e-7 of the closed form (float32 weight)': worst < 2e-7,
        'LTP for pre→post, LTD for post→pre': deltas.every((d, k) => Math.sign(measured['all-to-all']![k]!) === Math.sign(d)),
      },
    };
  },
};
