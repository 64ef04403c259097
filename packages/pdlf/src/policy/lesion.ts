import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, defineTransform } from '@plasticity/core';

/**
 * `pdlf/lesion`: multiplies every stored weight by its `alive` flag (1, or 0 for a blocked synapse)
 * after each update, so blocked synapses stay at zero whatever the plastic rule does — the permanent
 * injury of the PDLF experiments (neurons blocked, their weights zeroed and frozen). `alive` is a
 * per-synapse array of the projection (all ones at first; `SpikingPolicy.block` writes it).
 */
export const lesion = defineTransform<Record<string, never>, Record<string, never>>({
  name: 'pdlf/lesion',
  description: 'zeroes and freezes blocked synapses (per-synapse alive flags)',
  defaults: {},
  synapseArrays: ({ nnz }) => ({ alive: new Float32Array(nnz).fill(1) }),
  apply({ weights, synapses }, state) {
    const alive = synapses?.params.alive;
    if (!alive) throw new PlasticityError('E_PARAM', 'pdlf/lesion: the projection gives no per-synapse alive flags');
    return { weights: tf.tidy(() => tf.mul(weights, alive)), state };
  },
  fused: {
    setup({ synapses }) {
      const alive = synapses.alive!;
      return {
        apply(w) {
          for (let k = 0; k < w.length; k++) if (alive[k] === 0) w[k] = 0;
        },
      };
    },
  },
});
