import * as tf from '@tensorflow/tfjs-core';

// State that the blog keeps per batch row (activity, memory, previous attention output) meets a batch of
// another size whenever the batch size changes (its example ends on a batch of 7 after batches of 32).
// The PyTorch peer's policy (FIX-2), kept here so faithful mode matches it: when the batch shrinks keep the
// first rows, when it grows start from zeros. The blog's memory starts as one row and is broadcast to the
// first batch (`expand`), so a one-row memory is broadcast instead of zeroed (`broadcastOneRow`).

/**
 * State rows fitted to `batch` rows: the same tensor when it already fits, else a new tensor (the first
 * `batch` rows, or zeros). `null` (no state yet) gives zeros of `[batch, width]`.
 */
export function fitRows(state: tf.Tensor2D | null, batch: number, width: number, broadcastOneRow = false): tf.Tensor2D {
  if (state === null) return tf.zeros([batch, width]);
  const rows = state.shape[0];
  if (rows === batch) return state;
  if (rows > batch) return tf.slice(state, [0, 0], [batch, width]);
  if (broadcastOneRow && rows === 1) return tf.tile(state, [batch, 1]);
  return tf.zeros([batch, width]);
}

/** The same policy for ring-buffer memory [batch, slots, width]. */
export function fitRows3(state: tf.Tensor3D | null, batch: number, slots: number, width: number): tf.Tensor3D {
  if (state === null) return tf.zeros([batch, slots, width]);
  const rows = state.shape[0];
  if (rows === batch) return state;
  if (rows > batch) return tf.slice(state, [0, 0, 0], [batch, slots, width]);
  return tf.zeros([batch, slots, width]);
}
