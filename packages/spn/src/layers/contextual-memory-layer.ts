import * as tf from '@tensorflow/tfjs-core';
import { fitRows, fitRows3 } from '../batch-rows.js';
import { detach } from '../detach.js';
import { denseWithConstant, type DenseParams } from './dense.js';

/** Memory state: one EMA row per sequence ([rows, width]), or the last K inputs ([rows, K, width]). */
export type MemoryState =
  | { readonly kind: 'ema'; readonly memory: tf.Tensor2D | null }
  | { readonly kind: 'ring'; readonly memory: tf.Tensor3D | null; readonly next: number; readonly filled: number };

/**
 * `ContextualMemoryLayer` — f_CM(h) = ReLU([h, mean(m(t))]·W_CM + b_CM), W_CM of shape [2·width, width]
 * (rows 0..width−1 take h, the rest the memory).
 *
 * The memory is state, never a parameter: it is updated with the detached input and enters the product as
 * a constant, so no gradient flows through it (the blog re-wraps it as a fresh `nn.Parameter` each call,
 * which cuts the same path). `ema`: m(t) = d·m(t−1) + (1 − d)·h(t), exactly the mean of the blog's slots,
 * which are all equal; O(width) per row instead of O(slots·width). `ring` (plastic mode): the last K
 * inputs, averaged over the slots filled so far.
 */
export class ContextualMemoryLayer {
  readonly width: number;
  readonly params: DenseParams;
  readonly decay: number;
  readonly slots: number;
  state: MemoryState;

  constructor(params: DenseParams, options: { decay: number; slots: number }) {
    this.params = params;
    this.width = params.kernel.shape[1]!;
    this.decay = options.decay;
    this.slots = options.slots;
    this.state = this.emptyState();
  }

  emptyState(): MemoryState {
    return this.slots === 0 ? { kind: 'ema', memory: null } : { kind: 'ring', memory: null, next: 0, filled: 0 };
  }

  /**
   * One step for h [batch, width] from the memory `current`: the new memory (to keep as state) and the output. `broadcastOneRow`:
   * a one-row memory meets a larger batch by broadcasting (the blog's `expand`), else by the row policy.
   */
  step(h: tf.Tensor2D, current: MemoryState, broadcastOneRow: boolean): { output: tf.Tensor2D; state: MemoryState } {
    const batch = h.shape[0];
    const held = detach(h) as tf.Tensor2D;
    let state: MemoryState;
    let mean: tf.Tensor2D;
    if (current.kind === 'ema') {
      const previous = fitRows(current.memory, batch, this.width, broadcastOneRow);
      const memory = tf.add(tf.mul(previous, this.decay), tf.mul(held, 1 - this.decay)) as tf.Tensor2D;
      state = { kind: 'ema', memory };
      mean = memory;
    } else {
      const previous = fitRows3(current.memory, batch, this.slots, this.width);
      const mask = new Float32Array(this.slots);
      mask[current.next] = 1;
      const slot = tf.tensor3d(mask, [1, this.slots, 1]);
      const keep = tf.tensor3d(mask.map((v) => 1 - v), [1, this.slots, 1]);
      const memory = tf.add(tf.mul(previous, keep), tf.mul(tf.expandDims(held, 1), slot)) as tf.Tensor3D;
      const filled = Math.min(current.filled + 1, this.slots);
      state = { kind: 'ring', memory, next: (current.next + 1) % this.slots, filled };
      mean = tf.div(tf.sum(memory, 1), filled) as tf.Tensor2D;
    }
    const output = denseWithConstant(h, mean, this.params);
    return { output, state };
  }

  /** Replaces the state (disposing the old tensors unless they are the new ones). */
  setState(state: MemoryState): void {
    if (this.state.memory !== null && this.state.memory !== state.memory) this.state.memory.dispose();
    this.state = state;
  }

  reset(): void {
    this.setState(this.emptyState());
  }

  dispose(): void {
    this.reset();
    this.params.kernel.dispose();
    this.params.bias.dispose();
  }
}
