import * as tf from '@tensorflow/tfjs-core';
import { DenseConnection } from '@plasticity/sparse';
import { fitRows } from '../batch-rows.js';
import { dense, denseReluOnData } from './dense.js';

/**
 * `SynapticPlasticityNeuron` — f_SP(x) = ReLU(x·W + b), W[pre, post] of shape [inputDim, outputDim].
 *
 * Its weights are a `tf.Variable` held by a `DenseConnection` (`connection`), the one copy that the
 * optimizer and the plastic update both change. Faithful mode keeps the blog's running activity
 * a(t) = d·a(t−1) + (1 − d)·x(t) per batch row and its update W[i, :] += η·mean_b(a)[i]·mean_b(x)[i]
 * (`blogUpdate`); plastic mode hands the connection to a registered rule instead (see the network).
 */
export class SynapticPlasticityNeuron {
  readonly inputDim: number;
  readonly outputDim: number;
  readonly connection: DenseConnection;
  readonly bias: tf.Variable;
  /** Running activity [rows, inputDim] (faithful mode), or null before the first step / after reset. */
  private activityState: tf.Tensor2D | null = null;

  constructor(kernel: tf.Variable, bias: tf.Variable) {
    this.connection = DenseConnection.fromVariable(kernel);
    this.bias = bias;
    this.inputDim = kernel.shape[0]!;
    this.outputDim = kernel.shape[1]!;
  }

  get kernel(): tf.Variable {
    return this.connection.variable!;
  }

  get activity(): tf.Tensor2D | null {
    return this.activityState;
  }

  /** ReLU(x·W + b) for x [batch, inputDim]; changes nothing. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return dense(x, { kernel: this.kernel, bias: this.bias }, true);
  }

  /** `apply` for network inputs (data, not a function of any variable): no gradient is computed for x. */
  applyToData(x: tf.Tensor2D): tf.Tensor2D {
    return denseReluOnData(x, { kernel: this.kernel, bias: this.bias });
  }

  /**
   * The blog's step before `fc(x)` (faithful mode, off the gradient tape): the activity takes this batch
   * (rows fitted to the batch first: first rows kept when it shrinks, zeros when it grows), then, when
   * `plastic`, W[i, :] += η·mean_b(a)[i]·mean_b(x)[i] — the same change for every output unit.
   */
  blogUpdate(x: tf.Tensor2D, plastic: boolean, eta: number, decay: number): void {
    const batch = x.shape[0];
    const next = tf.tidy(() => {
      const previous = fitRows(this.activityState, batch, this.inputDim);
      const activity = tf.add(tf.mul(previous, decay), tf.mul(x, 1 - decay)) as tf.Tensor2D;
      if (plastic) {
        const update = tf.mul(tf.mul(tf.mean(activity, 0), tf.mean(x, 0)), eta);
        this.kernel.assign(tf.add(this.kernel, tf.reshape(update, [this.inputDim, 1])));
      }
      return activity;
    });
    this.activityState?.dispose();
    this.activityState = next;
  }

  setActivity(activity: tf.Tensor2D | null): void {
    if (activity === this.activityState) return;
    this.activityState?.dispose();
    this.activityState = activity;
  }

  dispose(): void {
    this.setActivity(null);
    this.connection.dispose();
    this.bias.dispose();
  }
}
