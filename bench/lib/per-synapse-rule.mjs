// A per-synapse plastic rule written against the public API, for `pnpm bench engine`'s population
// case: PDLF's working-memory form, every synapse with its own coefficients (per-synapse arrays):
//   x ← x/e + s_pre·(1 − 1/e),  y ← y/e + s_post·(1 − 1/e)        (pre and post traces)
//   w[i, j] += lr·(A·x_i·y_j + B·x_i + C·y_j + D)                 (lr, A, B, C, D per synapse)
import * as tf from '@tensorflow/tfjs-core';
import { defineRule } from '@plasticity/core';
import { defineFusedKernel, propagate } from '@plasticity/core/fused';

const KEYS = ['lr', 'A', 'B', 'C', 'D'];
const DECAY = Math.exp(-1);

export const perSynapseRule = defineRule({
  name: 'bench/per-synapse',
  defaults: { scale: 0.01 },
  synapseArrays: ({ nnz }, p, rng) => Object.fromEntries(KEYS.map((k) => [k, rng.normal(nnz, 0, k === 'lr' ? p.scale : 1)])),
  init: ({ nPre, nPost }) => ({ x: tf.zeros([nPre]), y: tf.zeros([nPost]) }),
  step(io, state) {
    const x = tf.tidy(() => tf.add(tf.mul(state.x, DECAY), tf.mul(tf.reshape(io.pre, [-1]), 1 - DECAY)));
    const y = tf.tidy(() => tf.add(tf.mul(state.y, DECAY), tf.mul(tf.reshape(io.post, [-1]), 1 - DECAY)));
    io.conn.mapSynapses((w, c) => tf.tidy(() => {
      const xi = tf.gather(x, c.pre), yj = tf.gather(y, c.post), p = c.params;
      const dw = tf.addN([tf.mul(p.A, tf.mul(xi, yj)), tf.mul(p.B, xi), tf.mul(p.C, yj), p.D]);
      return tf.add(w, tf.mul(p.lr, dw));
    }), io.synapses);
    return { x, y };
  },
  fused: defineFusedKernel({
    rule: 'bench/per-synapse',
    unsupported: ({ table }) => (table.dense ? undefined : 'this kernel walks dense tables only'),
    setup({ table, synapses }) {
      const { nPre, nPost } = table;
      // one object taken apart in step, as apps/examples/src/my-stdp.mjs does (V8 keeps the arrays' types)
      const k0 = { nPre, nPost, x: new Float32Array(nPre), y: new Float32Array(nPost), ...synapses };
      return {
        step(io) {
          const { nPre, nPost, x, y, lr, A, B, C, D } = k0;
          propagate(table, io);
          for (let i = 0; i < nPre; i++) x[i] = x[i] * DECAY + io.preValue[i] * (1 - DECAY);
          for (let j = 0; j < nPost; j++) y[j] = y[j] * DECAY + io.postValue[j] * (1 - DECAY);
          const w = io.w;
          for (let i = 0, k = 0; i < nPre; i++) {   // dense tables: k = i·nPost + j
            const xi = x[i];
            for (let j = 0; j < nPost; j++, k++) {
              const yj = y[j];
              w[k] += lr[k] * (A[k] * xi * yj + B[k] * xi + C[k] * yj + D[k]);
            }
          }
        },
        state: () => ({ arrays: { x: k0.x.slice(), y: k0.y.slice() }, data: {} }),
        setState(arrays) { k0.x.set(arrays.x); k0.y.set(arrays.y); },
        reset() { k0.x.fill(0); k0.y.fill(0); },
      };
    },
  }),
});
