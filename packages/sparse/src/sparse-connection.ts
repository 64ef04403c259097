import * as tf from '@tensorflow/tfjs-core';
import {
  PlasticityError, check, describeValue, hostValues, requireBackend,
  type Bounds, type SynapseContext, type SynapseMap, type ValueVector,
} from '@plasticity/core';
import {
  EVENT_MODES, type Connection, type ConnectionArrays, type EventMode, type PropagateIntoOptions, type PropagateOptions, type StepInput,
} from './connection.js';
import { checkOut, hostOnly, isEventList, spikeVector, stepEvents, type StepEvents } from './event-list.js';
import { hostEventMatVec, hostOnRows } from './kernels/host.js';
import { ADD_OUTER, EVENT_MATVEC, ROW_DOT } from './kernels/names.js';
import { eventMatVec, onRowsUpdate } from './kernels/dispatch.js';
import { registerSparseKernels } from './kernels/register.js';
import { boundAttrs, checkOperand, checkSameBatch, checkValues, checkWeightValues, operand, rank1Input, tapeActive, vector } from './operands.js';
import type { CompressedView } from './structure.js';
import { WeightStore, type TrainableOptions } from './variable.js';
import { plainBounds, updateExtras, type Extras, type RowBounds, type UpdateOptions } from './update-options.js';

/** Kernel inputs of a compressed view, kept alive by the connection. */
interface ViewTensors {
  readonly ptr: tf.Tensor1D;
  readonly idx: tf.Tensor1D;
  readonly slot?: tf.Tensor1D;
}

function keepInt(a: Int32Array): tf.Tensor1D {
  return tf.keep(tf.tensor1d(a, 'int32'));
}

/**
 * Shared machinery of CSR and COO connections: weights [nnz] in storage order, a row view (rows =
 * pre) and a column view (rows = post, the CSC view) whose `slot` maps view slots to storage
 * positions. Views are built on first use and cached; the structure never changes after
 * construction, so they never go stale.
 */
export abstract class SparseConnection implements Connection {
  abstract readonly format: 'csr' | 'coo';
  readonly nPre: number;
  readonly nPost: number;
  readonly nnz: number;
  /** The weights (or the variable that replaced them) and their version. */
  private readonly store: WeightStore<tf.Tensor1D>;
  private rowTensors?: ViewTensors;
  private colTensors?: ViewTensors;
  private identitySlot?: tf.Tensor1D;
  private indexTensors?: { pre: tf.Tensor1D; post: tf.Tensor1D };
  private disposed = false;

  /** `weights`: a fresh array (it becomes tfjs's buffer on cpu), or a checked variable to adopt. */
  protected constructor(nPre: number, nPost: number, nnz: number, weights: Float32Array | tf.Variable) {
    requireBackend('creating a CSR or COO connection');
    registerSparseKernels();
    this.nPre = nPre;
    this.nPost = nPost;
    this.nnz = nnz;
    this.store = new WeightStore<tf.Tensor1D>(weights instanceof tf.Variable ? weights as tf.Variable<tf.Rank.R1> : tf.keep(tf.tensor1d(weights, 'float32')));
  }

  /** Row view over pre (CSR); `slot` null when view order is storage order. */
  protected abstract rowView(): CompressedView;
  /** Column view over post (CSC) with the view → storage permutation. */
  protected abstract colView(): CompressedView;
  /** (pre, post) of every synapse in storage order (fresh arrays). */
  abstract pairs(): { pre: Int32Array; post: Int32Array };

  get shape(): readonly [number, number] {
    return [this.nPre, this.nPost];
  }

  get homogeneous(): boolean {
    return this.w.size !== this.nnz;
  }

  /**
   * The tf.Variable that holds the weights ([nnz], storage order) once the connection is trainable,
   * else null. It is the connection's only copy: plastic updates write into it (in place where its
   * buffer is exclusive, by `assign` otherwise) and an optimizer's `assign` is what propagate and the
   * plastic updates read next. Owned by the connection (disposed with it).
   */
  get variable(): tf.Variable | null {
    this.assertLive();
    return this.store.variable;
  }

  /**
   * Makes the weights a tf.Variable (no copy: the variable takes over the weights' buffer) and returns
   * it; returns the same variable when already trainable. For optimizers:
   * `optimizer.minimize(() => loss(conn.propagate(x)), false, [conn.makeTrainable()])`.
   * Homogeneous weights throw E_PARAM (a variable needs one weight per synapse).
   */
  makeTrainable(options: TrainableOptions = {}): tf.Variable {
    this.assertPlastic('makeTrainable');
    return this.store.makeTrainable(options);
  }

  /**
   * A number that changes whenever the weights may have changed: every update, setWeights, and an
   * assign to the variable by anyone (an optimizer step). Equal numbers mean the same weights.
   */
  get weightsVersion(): number {
    this.assertLive();
    return this.store.version;
  }

  get weightTensor(): tf.Tensor1D {
    this.assertLive();
    return this.store.tensor();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertLive(): void {
    if (this.disposed) throw new PlasticityError('E_PARAM', `this ${this.format} connection has been disposed`);
    if (this.store.variable?.isDisposed) throw new PlasticityError('E_PARAM', `the variable of this ${this.format} connection has been disposed`);
  }

  private assertPlastic(op: string): void {
    this.assertLive();
    if (this.homogeneous) {
      throw new PlasticityError('E_PARAM',
        `${op}: plastic updates need one weight per synapse, but this connection has one homogeneous weight for its ${this.nnz} synapses; ` +
        'give per-synapse weights (setWeights) first');
    }
  }

  private tensorsOf(view: CompressedView): ViewTensors {
    return { ptr: keepInt(view.ptr), idx: keepInt(view.idx), ...(view.slot ? { slot: keepInt(view.slot) } : {}) };
  }

  private rows(): ViewTensors {
    if (!this.rowTensors) {
      this.rowTensors = this.tensorsOf(this.rowView());
      this.rowTensorsBuilt();
    }
    return this.rowTensors;
  }

  /** Called once the row view's tensors exist (a format may drop host arrays they duplicate). */
  protected rowTensorsBuilt(): void {}

  /**
   * A copy of the row view's column indices read from host memory where the backend keeps them
   * there (cpu: the tensor's typed array; wasm: its heap); undefined before the row tensors exist
   * and on GPU backends, whose readback is async. `copy: false` only checks availability.
   */
  protected rowIndicesFromBackend(copy = true): Int32Array | undefined {
    const t = this.rowTensors?.idx;
    const view = t ? hostValues(t) : undefined;
    if (!(view instanceof Int32Array)) return undefined;
    return copy ? view.slice() : view;
  }

  /** Bytes of structure arrays the connection keeps on the JS heap besides its tensors. */
  abstract get hostBytes(): number;

  private cols(): ViewTensors {
    return (this.colTensors ??= this.tensorsOf(this.colView()));
  }

  /** Kernel inputs of a view; under a gradient tape the slot is always given (see gradient.ts). */
  private viewInputs(view: ViewTensors): Record<string, tf.Tensor> {
    if (view.slot) return { ptr: view.ptr, idx: view.idx, slot: view.slot };
    if (!tapeActive()) return { ptr: view.ptr, idx: view.idx };
    this.identitySlot ??= tf.keep(tf.range(0, this.nnz, 1, 'int32') as tf.Tensor1D);
    return { ptr: view.ptr, idx: view.idx, slot: this.identitySlot };
  }

  private indices(): { pre: tf.Tensor1D; post: tf.Tensor1D } {
    if (!this.indexTensors) {
      const { pre, post } = this.pairs();
      this.indexTensors = { pre: keepInt(pre), post: keepInt(post) };
    }
    return this.indexTensors;
  }

  /** Runs an in-place weight kernel and adopts its output as the weights. */
  private update(kernel: string, view: ViewTensors, inputs: () => Record<string, tf.Tensor>, attrs: Record<string, number>): void {
    const out = tf.tidy(() =>
      tf.engine().runKernel(kernel, { ...this.viewInputs(view), weights: this.w, ...inputs() }, attrs) as tf.Tensor1D);
    this.replaceWeights(out);
  }

  private replaceWeights(next: tf.Tensor1D): void {
    this.store.replace(next);
  }

  /** The weights as the kernels read them. */
  private get w(): tf.Tensor1D {
    return this.store.w;
  }

  /**
   * spikes @ W. events: [nPre] or [batch, nPre] (active iff != 0), or an EventList of active pre
   * indices; returns [nPost] or [batch, nPost].
   */
  propagate(events: StepInput, options: PropagateOptions = {}): tf.Tensor {
    this.assertLive();
    const mode: EventMode = check.oneOf('mode', options.mode ?? 'binary', EVENT_MODES);
    if (isEventList(events)) {
      const ev = stepEvents('events', events, this.nPre);
      if (options.weights === undefined && !tapeActive()) {
        const out = new Float32Array(this.nPost);
        if (hostEventMatVec(this.rows(), this.w, ev, this.nPre, mode === 'binary', out)) return tf.tensor1d(out, 'float32');
      }
      return this.propagate(spikeVector(ev, this.nPre), options);
    }
    checkOperand('events', events, this.nPre, true);
    const weights = options.weights ?? this.w;
    if (options.weights !== undefined) {
      check.shape('options.weights', options.weights.shape, [this.w.size]);
      check.dtype('options.weights', options.weights, ['float32']);
    }
    const rank1 = !(events instanceof tf.Tensor) || events.rank === 1;
    if (rank1 && !tapeActive()) {
      // Hot path (one call per step): no scope, no reshape, no copy of a Uint8Array.
      const e = rank1Input(events, this.nPre, mode === 'float');
      try {
        return eventMatVec(this.rows(), weights, e.tensor, this.nPost, mode);
      } finally {
        if (e.owned) e.tensor.dispose();
      }
    }
    return tf.tidy(() => {
      const { tensor, rank1: wasRank1 } = operand(events, this.nPre);
      const out = tf.engine().runKernel(EVENT_MATVEC, { ...this.viewInputs(this.rows()), weights, events: tensor },
        { nCols: this.nPost, mode }) as tf.Tensor2D;
      return wasRank1 ? tf.reshape(out, [this.nPost]) : out;
    });
  }

  /**
   * One step of spikes @ W into the caller's `out` (Float32Array [nPost], overwritten, returned):
   * no tensor allocated on cpu and wasm; events [nPre] or an EventList. E_BACKEND elsewhere.
   */
  propagateInto(events: StepInput, out: Float32Array, options: PropagateIntoOptions = {}): Float32Array {
    this.assertLive();
    const mode: EventMode = check.oneOf('mode', options.mode ?? 'binary', EVENT_MODES);
    const ev = stepEvents('events', events, this.nPre);
    checkOut(out, this.nPost);
    if (!hostEventMatVec(this.rows(), this.w, ev, this.nPre, mode === 'binary', out)) throw hostOnly('propagateInto');
    return out;
  }

  /** x @ W with float events: x [nPre] or [batch, nPre]. */
  vecMat(x: ValueVector): tf.Tensor {
    return this.propagate(x, { mode: 'float' });
  }

  /** W @ v: v [nPost] → [nPre], [batch, nPost] → [batch, nPre]. */
  matVec(v: ValueVector): tf.Tensor {
    this.assertLive();
    checkOperand('v', v, this.nPost, true);
    return tf.tidy(() => {
      const { tensor, rank1 } = operand(v, this.nPost);
      const out = tf.engine().runKernel(ROW_DOT, { ...this.viewInputs(this.rows()), weights: this.w, v: tensor }, {}) as tf.Tensor2D;
      return rank1 ? tf.reshape(out, [this.nPre]) : out;
    });
  }

  /**
   * W[i, j] += postValues[j] on the synapses of every active pre i (active iff != 0, or listed in an
   * EventList); clips those. Host postValues must be finite. In place, no tensor, on cpu and wasm.
   */
  onPre(preActive: StepInput, postValues: ValueVector, bounds?: RowBounds, options?: UpdateOptions): void {
    this.assertPlastic('onPre');
    const ev = stepEvents('preActive', preActive, this.nPre);
    this.updateRows(this.rows(), ev, this.nPre, postValues, 'postValues', this.nPost, bounds, options, false);
  }

  /** W[i, j] += preValues[i] on the synapses of every active post j (through the CSC view); clips those. */
  onPost(preValues: ValueVector, postActive: StepInput, bounds?: RowBounds, options?: UpdateOptions): void {
    this.assertPlastic('onPost');
    const ev = stepEvents('postActive', postActive, this.nPost);
    this.updateRows(this.cols(), ev, this.nPost, preValues, 'preValues', this.nPre, bounds, options, true);
  }

  /** onPre/onPost over a view: the per-step host kernels where they run, else ON_ROWS on tensors. */
  private updateRows(view: ViewTensors, ev: StepEvents, nRows: number, values: ValueVector, valuesName: string, nValues: number,
    bounds: RowBounds | undefined, options: UpdateOptions | undefined, byIdx: boolean): void {
    checkOperand(valuesName, values, nValues, false);
    const plain = plainBounds(bounds, options);
    const u = plain ? null : updateExtras(bounds, options, this.nnz, this.nPre, byIdx);
    const attrs = plain ?? { wMin: u!.wMin, wMax: u!.wMax };
    const extras = u?.extras;
    if (extras) {
      checkValues(valuesName, values, nValues);
      this.replaceWeights(this.withEx(extras, (ex) => onRowsUpdate(view, this.w, spikeVector(ev, nRows), nRows, values, nValues,
        { ...attrs, ...extras.attrs }, ex)) as tf.Tensor1D);
      return;
    }
    if (hostOnRows(view, this.w, ev, nRows, values, valuesName, attrs.wMin, attrs.wMax)) {
      this.store.changedInPlace();
      return;
    }
    checkValues(valuesName, values, nValues);
    this.replaceWeights(onRowsUpdate(view, this.w, spikeVector(ev, nRows), nRows, values, nValues, attrs) as tf.Tensor1D);
  }

  /**
   * W[i, j] += scale · Σ_b a[b, i] · b[b, j] on stored synapses of the pre rows with some a[b, i] != 0;
   * a: [nPre] or [batch, nPre], b: [nPost] or [batch, nPost] (summed over the batch). Clips those.
   */
  addOuter(a: ValueVector, b: ValueVector, scale: number, bounds?: RowBounds, options?: UpdateOptions): void {
    this.assertPlastic('addOuter');
    checkOperand('a', a, this.nPre, true);
    checkOperand('b', b, this.nPost, true);
    checkSameBatch('a', a, 'b', b);
    check.finite('scale', scale);
    const { extras, ...bound } = updateExtras(bounds, options, this.nnz, this.nPre, false);
    this.update(ADD_OUTER, this.rows(), () => ({
      a: operand(a, this.nPre).tensor,
      c: operand(b, this.nPost).tensor,
      ...(extras ? { ex: extras.ex() } : {}),
    }), { scale, ...bound, ...(extras?.attrs ?? {}) });
  }

  /** Runs `f` with the extras' `ex` tensor and disposes it after. */
  private withEx(extras: Extras, f: (ex: tf.Tensor) => tf.Tensor): tf.Tensor {
    const ex = extras.ex();
    try {
      return f(ex);
    } finally {
      ex.dispose();
    }
  }

  /**
   * W ← map(W) on every stored synapse (storage order), then clipped to `bounds` if given. The map
   * gets the weights [nnz] and a context with pre/post indices and `perSynapseParams` as tensors;
   * it must return [nnz]. Intermediate tensors are disposed.
   */
  mapSynapses(map: SynapseMap, perSynapseParams: Readonly<Record<string, ValueVector>> = {}, bounds?: Bounds): void {
    this.assertPlastic('mapSynapses');
    if (typeof map !== 'function') throw new PlasticityError('E_PARAM', `map must be a function, got ${describeValue(map)}`);
    for (const [name, p] of Object.entries(perSynapseParams)) checkOperand(`perSynapseParams.${name}`, p, this.nnz, false);
    const { wMin, wMax } = boundAttrs(bounds);
    const { pre, post } = this.indices();
    const next = tf.tidy(() => {
      const params: Record<string, tf.Tensor1D> = {};
      for (const [name, p] of Object.entries(perSynapseParams)) params[name] = vector(p, this.nnz);
      const context: SynapseContext = { pre, post, params };
      const result = map(this.w, context);
      if (!(result instanceof tf.Tensor)) {
        throw new PlasticityError('E_PARAM', `mapSynapses: map must return a tensor, got ${describeValue(result)}`);
      }
      check.shape('mapSynapses result', result.shape, [this.nnz]);
      const f = result.dtype === 'float32' ? result : tf.cast(result, 'float32');
      // A clone, so the result never is a tensor someone else owns (a param or the old weights).
      return (bounds ? tf.clipByValue(f, wMin, wMax) : tf.clone(f)) as tf.Tensor1D;
    });
    this.replaceWeights(next);
  }

  normalizePost(target: number, bounds?: Bounds): void {
    this.assertPlastic('normalizePost');
    check.finite('target', target);
    const { wMin, wMax } = boundAttrs(bounds);
    if (this.nnz === 0) return;
    // Post index of each stored synapse: the row view's idx when it is in storage order (CSR).
    const rows = this.rows();
    const post = rows.slot ? this.indices().post : rows.idx;
    const next = tf.tidy(() => {
      // Column sums through the CSC view: ROW_DOT with a vector of ones (kernels exist on every backend).
      const ones = tf.ones([1, this.nPre]);
      const sums = tf.reshape(tf.engine().runKernel(ROW_DOT, { ...this.viewInputs(this.cols()), weights: this.w, v: ones }, {}) as tf.Tensor, [this.nPost]);
      const factor = tf.where(tf.notEqual(sums, 0), tf.div(target, sums), tf.onesLike(sums));
      const scaled = tf.mul(this.w, tf.gather(factor, post));
      return (bounds ? tf.clipByValue(scaled, wMin, wMax) : scaled) as tf.Tensor1D;
    });
    this.replaceWeights(next);
  }

  async getWeights(): Promise<Float32Array> {
    this.assertLive();
    const data = await this.w.data();
    if (this.homogeneous) return new Float32Array(this.nnz).fill(data[0] ?? 0);
    return Float32Array.from(data as Float32Array);
  }

  setWeights(values: ArrayLike<number> | tf.Tensor): void {
    this.assertLive();
    if (values instanceof tf.Tensor) {
      check.shape('values', values.shape, [this.nnz]);
      this.replaceWeights(tf.tidy(() => tf.clone(tf.cast(values, 'float32')) as tf.Tensor1D));
      return;
    }
    const copy = checkWeightValues('values', values, this.nnz);
    this.replaceWeights(tf.tensor1d(copy, 'float32'));
  }

  toDenseTensor(): tf.Tensor2D {
    this.assertLive();
    const { pre, post } = this.indices();
    return tf.tidy(() => {
      if (this.nnz === 0) return tf.zeros([this.nPre, this.nPost]);
      const values = this.homogeneous ? tf.tile(this.w, [this.nnz]) : this.w;
      const flat = tf.add(tf.mul(pre, tf.scalar(this.nPost, 'int32')), post);
      return tf.reshape(tf.scatterND(tf.reshape(flat, [this.nnz, 1]), values, [this.nPre * this.nPost]), [this.nPre, this.nPost]);
    });
  }

  abstract toArrays(): Promise<ConnectionArrays>;

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const owned: tf.Tensor[] = this.w.isDisposed ? [] : [this.w]; // a variable may have been disposed by its user
    for (const v of [this.rowTensors, this.colTensors]) if (v) owned.push(v.ptr, v.idx, ...(v.slot ? [v.slot] : []));
    if (this.identitySlot) owned.push(this.identitySlot);
    if (this.indexTensors) owned.push(this.indexTensors.pre, this.indexTensors.post);
    tf.dispose(owned);
  }
}
