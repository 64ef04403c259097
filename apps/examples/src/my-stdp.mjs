// A user's own additive pair-STDP rule with a fused kernel, written only against the published API
// (`@plasticity/core` and its `/fused` subpath). Plain JavaScript, so Node runs it as it is; the tests
// (my-stdp.test.ts) and `pnpm bench engine` import this very file; the playground's custom-rule page
// starts its editor from its text (delete the `fused: kernel` line there to see the tensor path).
//
//   pre trace  x ← x·e^(−dt/τ+) + s_pre    post trace y ← y·e^(−dt/τ−) + s_post
//   pre spike of i:  input[j] += w;  w[i, j] ← clip(w − A−·y[j])          (depression)
//   post spike of j: w[i, j] ← clip(w + A+·x[i])                             (potentiation)
// Brian2's order within a step: the pre pathway, then the post pathway, so a pre and a post spike in
// the same step pair as Δt = 0. Bounds clip only the synapses an update touches.
import * as tf from '@tensorflow/tfjs-core';
import { defineRule } from '@plasticity/core';
import { ScaledTrace, defineFusedKernel, setTraceState, traceState } from '@plasticity/core/fused';

export const MY_STDP_DEFAULTS = { aPlus: 0.01, aMinus: 0.0105, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: 1 };

/** @param {typeof MY_STDP_DEFAULTS} p */
function validate(p) {
  const problems = [];
  for (const k of ['tauPlusMs', 'tauMinusMs']) if (!(p[k] > 0)) problems.push(`${k} must be > 0, got ${p[k]}`);
  for (const k of ['aPlus', 'aMinus']) if (!(p[k] >= 0)) problems.push(`${k} must be >= 0, got ${p[k]}`);
  if (!(p.wMin <= p.wMax)) problems.push(`wMin must be <= wMax, got ${p.wMin} > ${p.wMax}`);
  return problems;
}

/** The fused kernel: one step over typed arrays (the table's row and column views, the weights). */
const kernel = defineFusedKernel({
  rule: 'acme/my-stdp',
  setup({ table, params: p, dtMs }) {
    // Traces on a shifting scale: the per-step decay of every element costs nothing.
    const xPre = new ScaledTrace(table.nPre, 'all-to-all', dtMs, p.tauPlusMs);
    const xPost = new ScaledTrace(table.nPost, 'all-to-all', dtMs, p.tauMinusMs);
    const traces = { xPre, xPost };
    // What the loops read, in one object taken apart at the top of step: V8 then knows every array's
    // type, even with many projections or networks in one process (captured variables lose that).
    const { dense, nPre, nPost, rowPtr, rowIdx, rowPos, colPtr, colIdx, colPos } = table;
    const k0 = { dense, nPre, nPost, rowPtr, rowIdx, rowPos, colPtr, colIdx, colPos, X: xPre.X, Y: xPost.X, lo: p.wMin, hi: p.wMax, aPlus: p.aPlus, aMinus: p.aMinus };
    return {
      step(io) {
        const { n, preActive, preCount, postActive, postCount, input, w } = io;
        if (preCount === 0 && postCount === 0) return;
        const { dense, nPre, nPost, rowPtr, rowIdx, rowPos, colPtr, colIdx, colPos, X, Y, lo, hi, aPlus, aMinus } = k0;
        xPre.advance(n);
        xPost.advance(n);
        if (preCount > 0) {
          // propagate with the weight before the update, then depress (Brian2's on_pre)
          const amp = aMinus * xPost.read(n);
          for (let c = 0; c < preCount; c++) {
            const i = preActive[c];
            if (dense) {
              for (let j = 0, k = i * nPost; j < nPost; j++, k++) {
                const wk = w[k];
                input[j] += wk;
                const v = wk - amp * Y[j];
                w[k] = v < lo ? lo : v > hi ? hi : v;
              }
            } else {
              for (let s = rowPtr[i], e = rowPtr[i + 1]; s < e; s++) {
                const k = rowPos[s], j = rowIdx[s];
                const wk = w[k];
                input[j] += wk;
                const v = wk - amp * Y[j];
                w[k] = v < lo ? lo : v > hi ? hi : v;
              }
            }
          }
          xPre.spike(n, preActive, preCount, io.preValue);
        }
        if (postCount > 0) {
          const amp = aPlus * xPre.read(n);
          for (let c = 0; c < postCount; c++) {
            const j = postActive[c];
            if (dense) {
              for (let i = 0, k = j; i < nPre; i++, k += nPost) {
                const x = X[i];
                if (x === 0) continue;
                const v = w[k] + amp * x;
                w[k] = v < lo ? lo : v > hi ? hi : v;
              }
            } else {
              for (let s = colPtr[j], e = colPtr[j + 1]; s < e; s++) {
                const x = X[colIdx[s]];
                if (x === 0) continue;
                const k = colPos[s];
                const v = w[k] + amp * x;
                w[k] = v < lo ? lo : v > hi ? hi : v;
              }
            }
          }
          xPost.spike(n, postActive, postCount, io.postValue);
        }
      },
      state: () => traceState(traces),
      setState: (arrays, data) => setTraceState(traces, arrays, data),
      reset() {
        xPre.reset();
        xPost.reset();
      },
    };
  },
});

/**
 * `acme/my-stdp`: the rule plugin. Its tfjs `step` is what runs where no fused kernel can (and what
 * the kernel is tested against); `fused` is the kernel above, registered with the rule.
 */
export const myStdp = defineRule({
  name: 'acme/my-stdp',
  description: 'additive pair STDP (user-defined, fused)',
  defaults: MY_STDP_DEFAULTS,
  validate,
  init: ({ nPre, nPost }) => ({ xPre: tf.zeros([nPre]), xPost: tf.zeros([nPost]) }),
  step(io, state, p) {
    const bounds = { wMin: p.wMin, wMax: p.wMax };
    const [xPreD, xPostD] = tf.tidy(() => [
      tf.mul(state.xPre, Math.exp(-io.dtMs / p.tauPlusMs)),
      tf.mul(state.xPost, Math.exp(-io.dtMs / p.tauMinusMs)),
    ]);
    const pre = tf.tidy(() => tf.reshape(io.pre, [-1]));
    const post = tf.tidy(() => tf.reshape(io.post, [-1]));
    const ltd = tf.tidy(() => tf.mul(xPostD, -p.aMinus));
    io.conn.onPre(pre, ltd, bounds);
    const xPre = tf.tidy(() => tf.add(xPreD, pre));
    const ltp = tf.tidy(() => tf.mul(xPre, p.aPlus));
    io.conn.onPost(ltp, post, bounds);
    const xPost = tf.tidy(() => tf.add(xPostD, post));
    tf.dispose([xPreD, xPostD, pre, post, ltd, ltp]);
    return { xPre, xPost };
  },
  fused: kernel,
});
