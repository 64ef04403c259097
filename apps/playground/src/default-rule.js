// An additive pair-STDP rule of your own, written against the public API only. Edit it and press
// Start: it is registered in a fresh registry and runs beside the built-in core/stdp.
//
//   pre trace  x ← x·e^(−dt/τ+) + s_pre     post trace  y ← y·e^(−dt/τ−) + s_post
//   pre spike of i:  input[j] += w;  w[i, j] ← clip(w − A−·y[j])     (depression)
//   post spike of j: w[i, j] ← clip(w + A+·x[i])                      (potentiation)
//
// `fused` is the kernel the engine runs (typed arrays, no tfjs op per step). Without it — delete the
// `fused: kernel` line — the network runs `step` (tfjs ops, once per time step) and says why.
import * as tf from '@tensorflow/tfjs-core';
import { defineRule } from '@plasticity/core';
import { ScaledTrace, defineFusedKernel, setTraceState, traceState } from '@plasticity/core/fused';

const kernel = defineFusedKernel({
  rule: 'user/additive-stdp',
  setup({ table, params: p, dtMs }) {
    // Traces on a shifting scale: the per-step decay of every element costs nothing.
    const xPre = new ScaledTrace(table.nPre, 'all-to-all', dtMs, p.tauPlusMs);
    const xPost = new ScaledTrace(table.nPost, 'all-to-all', dtMs, p.tauMinusMs);
    const { dense, nPre, nPost, rowPtr, rowIdx, rowPos, colPtr, colIdx, colPos } = table;
    const X = xPre.X, Y = xPost.X, lo = p.wMin, hi = p.wMax;
    return {
      step(io) {
        const { n, preActive, preCount, postActive, postCount, input, w } = io;
        if (preCount === 0 && postCount === 0) return;
        xPre.advance(n);
        xPost.advance(n);
        if (preCount > 0) {
          const amp = p.aMinus * xPost.read(n);
          for (let c = 0; c < preCount; c++) {
            const i = preActive[c];
            if (dense) {
              for (let j = 0, k = i * nPost; j < nPost; j++, k++) {
                const wk = w[k];
                input[j] += wk;                     // propagate with the weight before the update
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
          const amp = p.aPlus * xPre.read(n);
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
      state: () => traceState({ xPre, xPost }),
      setState: (arrays, data) => setTraceState({ xPre, xPost }, arrays, data),
      reset() { xPre.reset(); xPost.reset(); },
    };
  },
});

export default defineRule({
  name: 'user/additive-stdp',
  defaults: { aPlus: 0.01, aMinus: 0.0105, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: 1 },
  validate: (p) => (p.wMin <= p.wMax ? [] : [`wMin must be <= wMax, got ${p.wMin} > ${p.wMax}`]),
  // the tfjs step: what runs where no fused kernel does
  init: ({ nPre, nPost }) => ({ xPre: tf.zeros([nPre]), xPost: tf.zeros([nPost]) }),
  step(io, state, p) {
    const bounds = { wMin: p.wMin, wMax: p.wMax };
    const [xPreD, xPostD, pre, post] = tf.tidy(() => [
      tf.mul(state.xPre, Math.exp(-io.dtMs / p.tauPlusMs)), tf.mul(state.xPost, Math.exp(-io.dtMs / p.tauMinusMs)),
      tf.reshape(io.pre, [-1]), tf.reshape(io.post, [-1]),
    ]);
    const ltd = tf.mul(xPostD, -p.aMinus);
    io.conn.onPre(pre, ltd, bounds);
    const xPre = tf.add(xPreD, pre);
    const ltp = tf.mul(xPre, p.aPlus);
    io.conn.onPost(ltp, post, bounds);
    const xPost = tf.add(xPostD, post);
    tf.dispose([xPreD, xPostD, pre, post, ltd, ltp]);
    return { xPre, xPost };
  },
  fused: kernel,
});
