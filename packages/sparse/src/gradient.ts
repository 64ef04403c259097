import * as tf from '@tensorflow/tfjs-core';
import { EVENT_MATVEC, ROW_DOT, SDDMM } from './kernels/names.js';

/**
 * Gradient of EVENT_MATVEC (y = e(events) @ W on the stored synapses):
 *   dL/dEvents = ROW_DOT(W, dy)            (W @ dyᵀ per batch row; straight-through in binary mode)
 *   dL/dW(k)   = SDDMM(e(events), dy)(k)   (e = events in float mode, (events != 0) in binary mode)
 * A homogeneous weight gets the sum over its synapses. The forward call must pass `slot` while a
 * tape records (connections do: an identity slot for plain CSR), because tfjs saves inputs by a
 * fixed list of names.
 */
export function registerEventMatVecGradient(): void {
  tf.registerGradient({
    kernelName: EVENT_MATVEC,
    inputsToSave: ['ptr', 'idx', 'weights', 'events', 'slot'],
    gradFunc: (dy, saved, attrs) => {
      const [ptr, idx, weights, events, slot] = saved as tf.Tensor[];
      const g = dy as tf.Tensor;
      const mode = (attrs as { mode?: string }).mode ?? 'binary';
      const structure = { ptr: ptr!, idx: idx!, slot: slot! };
      return {
        events: () => tf.engine().runKernel(ROW_DOT, { ...structure, weights: weights!, v: g }, {}) as tf.Tensor,
        weights: () => {
          const a = mode === 'binary' ? tf.cast(tf.notEqual(events!, 0), 'float32') : events!;
          const a2 = a.rank === 1 ? tf.reshape(a, [1, -1]) : a;
          const c2 = g.rank === 1 ? tf.reshape(g, [1, -1]) : g;
          const perSlot = tf.engine().runKernel(SDDMM, { ...structure, a: a2, c: c2, weights: weights! }, {}) as tf.Tensor;
          return weights!.size === perSlot.size ? perSlot : tf.reshape(tf.sum(perSlot), weights!.shape);
        },
        ptr: () => tf.zerosLike(ptr!),
        idx: () => tf.zerosLike(idx!),
        slot: () => tf.zerosLike(slot!),
      };
    },
  });
}
