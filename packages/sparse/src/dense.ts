import * as tf from '@tensorflow/tfjs-core';
import {
  PlasticityError, check, describeValue, requireBackend,
  type Bounds, type SynapseContext, type SynapseMap, type ValueVector,
} from '@plasticity/core';
import { EVENT_MODES, type Connection, type EventMode, type PropagateIntoOptions, type PropagateOptions, type StepInput } from './connection.js';
import { checkOut, hostOnly, isEventList, spikeVector, stepEvents, type StepEvents } from './event-list.js';
import { hostEventMatVec, hostOnRows } from './kernels/host.js';
import { checkConnectionArrays, type ConnectionArrays } from './connection-arrays.js';
import type { CooOptions } from './csr.js';
import { denseValues, type DenseInput } from './dense-input.js';
import {
  fixedFanInStructure, fixedFanOutStructure, randomStructure,
  type FixedFanInOptions, type FixedFanOutOptions, type GeneratedStructure, type RandomOptions,
} from './generate.js';
import { onRowsUpdate } from './kernels/dispatch.js';
import { ADD_OUTER } from './kernels/names.js';
import { registerSparseKernels } from './kernels/register.js';
import { boundAttrs, checkOperand, checkSameBatch, checkValues, checkWeightValues, operand, vector } from './operands.js';
import { dedupeCoo, validateCoo, type CooTriples } from './structure.js';
import { WeightStore, checkVariable, type TrainableOptions } from './variable.js';
import { plainBounds, updateExtras, type RowBounds, type UpdateOptions } from './update-options.js';

/** Active (!= 0) as 1 in the forward pass, identity in the backward pass (straight-through). */
const binaryEvents = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.cast(tf.notEqual(x, 0), 'float32'),
  gradFunc: (dy: tf.Tensor) => dy,
})) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** Kernel inputs of the full structure of a dense matrix (see DenseConnection.rows/cols). */
interface FullView {
  readonly ptr: tf.Tensor1D;
  readonly idx: tf.Tensor1D;
  readonly slot?: tf.Tensor1D;
}

/**
 * All-to-all connection on a dense [nPre, nPost] tensor: every entry is a synapse (zeros included),
 * so nnz = nPre · nPost. Propagation and maps are ordinary tfjs ops; onPre, onPost and addOuter run
 * the sparse kernels over the full row/column structure, so they cost O(touched synapses) and update
 * in place, like CSR. Results equal those of CSR/COO connections that store every entry.
 */
export class DenseConnection implements Connection {
  readonly format = 'dense' as const;
  readonly nPre: number;
  readonly nPost: number;
  readonly homogeneous = false;
  /** The weights (or the variable that replaced them) and their version. */
  private readonly store: WeightStore<tf.Tensor2D>;
  private indexTensors?: { pre: tf.Tensor1D; post: tf.Tensor1D };
  private rowView?: FullView;
  private colView?: FullView;
  private disposed = false;

  private constructor(nPre: number, nPost: number, weights: tf.Tensor2D) {
    registerSparseKernels();
    this.nPre = nPre;
    this.nPost = nPost;
    this.store = new WeightStore(weights instanceof tf.Variable ? weights : tf.keep(weights));
  }

  /**
   * Adopts a float32 tf.Variable of shape [nPre, nPost] as the weights (no copy): the connection is
   * trainable from the start (`variable` returns it) and owns it (disposes it with itself).
   */
  static fromVariable(variable: tf.Variable): DenseConnection {
    requireBackend('creating a DenseConnection');
    const v = checkVariable('variable', variable, [null, null]) as tf.Variable<tf.Rank.R2>;
    return new DenseConnection(v.shape[0], v.shape[1], v);
  }

  private static of(nPre: number, nPost: number, values: Float32Array): DenseConnection {
    requireBackend('creating a DenseConnection'); // before the first tensor
    return new DenseConnection(nPre, nPost, tf.tensor2d(values, [nPre, nPost], 'float32'));
  }

  /** From nested rows or { data, shape } (copied). */
  static fromDense(matrix: DenseInput): DenseConnection {
    const { data, nPre, nPost } = denseValues(matrix);
    return DenseConnection.of(nPre, nPost, data);
  }

  /** From a [nPre, nPost] tensor (copied on the device; no readback). */
  static fromTensor(matrix: tf.Tensor): DenseConnection {
    check.shape('matrix', matrix.shape, [null, null]);
    const [nPre, nPost] = [matrix.shape[0]!, matrix.shape[1]!];
    // A real copy: the connection must own its buffer (in-place kernels, disposal).
    return new DenseConnection(nPre, nPost, tf.tidy(() => tf.add(tf.cast(matrix, 'float32'), tf.zeros([nPre, nPost]))) as tf.Tensor2D);
  }

  /** Entries at the COO pairs (repeats summed or rejected), 0 elsewhere. */
  static fromCoo(coo: CooTriples & { weights: ArrayLike<number> }, options: CooOptions = {}): DenseConnection {
    validateCoo('coo', coo);
    check.allFinite('coo.weights', coo.weights);
    const duplicates = check.oneOf('duplicates', options.duplicates ?? 'sum', ['sum', 'error'] as const);
    const d = dedupeCoo(coo, duplicates);
    const data = new Float32Array(coo.nPre * coo.nPost);
    for (let k = 0; k < d.pre.length; k++) data[d.pre[k]! * coo.nPost + d.post[k]!] = d.weights[k]!;
    return DenseConnection.of(coo.nPre, coo.nPost, data);
  }

  private static fromStructure(s: GeneratedStructure): DenseConnection {
    const data = new Float32Array(s.nPre * s.nPost);
    for (let i = 0; i < s.nPre; i++) {
      for (let k = s.indptr[i]!; k < s.indptr[i + 1]!; k++) data[i * s.nPost + s.indices[k]!] = s.weights[k]!;
    }
    return DenseConnection.of(s.nPre, s.nPost, data);
  }

  /** The matrix of CSRConnection.random with the same options (absent pairs are 0-weight synapses here). */
  static random(options: RandomOptions): DenseConnection {
    return DenseConnection.fromStructure(randomStructure(options));
  }

  static fixedFanOut(options: FixedFanOutOptions): DenseConnection {
    return DenseConnection.fromStructure(fixedFanOutStructure(options));
  }

  static fixedFanIn(options: FixedFanInOptions): DenseConnection {
    return DenseConnection.fromStructure(fixedFanInStructure(options));
  }

  static fromArrays(a: ConnectionArrays): DenseConnection {
    checkConnectionArrays(a, 'dense');
    return DenseConnection.fromDense({ data: a.arrays.weights!, shape: [a.nPre, a.nPost] });
  }

  get nnz(): number {
    return this.nPre * this.nPost;
  }

  /** Dense keeps no structure on the JS heap (its views live in tensors). */
  get hostBytes(): number {
    return 0;
  }

  get shape(): readonly [number, number] {
    return [this.nPre, this.nPost];
  }

  /**
   * The tf.Variable that holds the weights ([nPre, nPost]) once the connection is trainable, else
   * null. It is the connection's only copy: plastic updates write into it (in place where its buffer
   * is exclusive, by `assign` otherwise) and an optimizer's `assign` is what propagate and the plastic
   * updates read next. Owned by the connection (disposed with it).
   */
  get variable(): tf.Variable | null {
    this.assertLive();
    return this.store.variable;
  }

  /**
   * Makes the weights a tf.Variable (no copy: the variable takes over the weights' buffer) and returns
   * it; returns the same variable when already trainable.
   */
  makeTrainable(options: TrainableOptions = {}): tf.Variable {
    this.assertLive();
    return this.store.makeTrainable(options);
  }

  /** Changes whenever the weights may have changed (updates, setWeights, an assign to the variable). */
  get weightsVersion(): number {
    this.assertLive();
    return this.store.version;
  }

  get weightTensor(): tf.Tensor2D {
    this.assertLive();
    return this.store.tensor();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private assertLive(): void {
    if (this.disposed) throw new PlasticityError('E_PARAM', 'this dense connection has been disposed');
    if (this.store.variable?.isDisposed) throw new PlasticityError('E_PARAM', 'the variable of this dense connection has been disposed');
  }

  private replace(next: tf.Tensor2D): void {
    this.store.replace(next);
  }

  /** The weights as the kernels read them. */
  private get w(): tf.Tensor2D {
    return this.store.w;
  }

  /** Rows = pre: row i holds the storage positions i·nPost … i·nPost + nPost − 1 (built on first use). */
  private rows(): FullView {
    if (!this.rowView) {
      const ptr = Int32Array.from({ length: this.nPre + 1 }, (_, i) => i * this.nPost);
      const idx = Int32Array.from({ length: this.nnz }, (_, k) => k % this.nPost);
      this.rowView = { ptr: tf.keep(tf.tensor1d(ptr, 'int32')), idx: tf.keep(tf.tensor1d(idx, 'int32')) };
    }
    return this.rowView;
  }

  /** Rows = post (the CSC view): column j lists every pre i, at storage position i·nPost + j. */
  private cols(): FullView {
    if (!this.colView) {
      const ptr = Int32Array.from({ length: this.nPost + 1 }, (_, j) => j * this.nPre);
      const idx = new Int32Array(this.nnz);
      const slot = new Int32Array(this.nnz);
      for (let j = 0, k = 0; j < this.nPost; j++) {
        for (let i = 0; i < this.nPre; i++, k++) {
          idx[k] = i;
          slot[k] = i * this.nPost + j;
        }
      }
      this.colView = {
        ptr: tf.keep(tf.tensor1d(ptr, 'int32')), idx: tf.keep(tf.tensor1d(idx, 'int32')), slot: tf.keep(tf.tensor1d(slot, 'int32')),
      };
    }
    return this.colView;
  }

  /** Runs an in-place weight kernel over a full view and adopts its output as the weights. */
  private update(kernel: string, view: FullView, inputs: () => Record<string, tf.Tensor>, attrs: Record<string, number>): void {
    this.replace(tf.tidy(() => tf.engine().runKernel(kernel, { ...view, weights: this.w, ...inputs() }, attrs) as tf.Tensor2D));
  }

  /** spikes @ W by matMul; events [nPre], [batch, nPre] or an EventList (made dense here). */
  propagate(events: StepInput, options: PropagateOptions = {}): tf.Tensor {
    this.assertLive();
    if (isEventList(events)) return this.propagate(spikeVector(stepEvents('events', events, this.nPre), this.nPre), options);
    const mode: EventMode = check.oneOf('mode', options.mode ?? 'binary', EVENT_MODES);
    checkOperand('events', events, this.nPre, true);
    if (options.weights !== undefined) check.shape('options.weights', options.weights.shape, [this.nPre, this.nPost]);
    const w = options.weights ?? this.w;
    return tf.tidy(() => {
      const { tensor, rank1 } = operand(events, this.nPre);
      const x = mode === 'binary' ? binaryEvents(tensor) : tensor;
      const out = tf.matMul(x, w as tf.Tensor2D);
      return rank1 ? tf.reshape(out, [this.nPost]) : out;
    });
  }

  /**
   * One step into the caller's `out` (Float32Array [nPost]) on cpu and wasm, by the sparse kernel
   * over the full row structure (the result of a CSR connection that stores every entry; it may
   * differ from propagate's matMul in the last bits). E_BACKEND elsewhere.
   */
  propagateInto(events: StepInput, out: Float32Array, options: PropagateIntoOptions = {}): Float32Array {
    this.assertLive();
    const mode: EventMode = check.oneOf('mode', options.mode ?? 'binary', EVENT_MODES);
    const ev = stepEvents('events', events, this.nPre);
    checkOut(out, this.nPost);
    if (!hostEventMatVec(this.rows(), this.w, ev, this.nPre, mode === 'binary', out)) throw hostOnly('propagateInto');
    return out;
  }

  vecMat(x: ValueVector): tf.Tensor {
    return this.propagate(x, { mode: 'float' });
  }

  matVec(v: ValueVector): tf.Tensor {
    this.assertLive();
    checkOperand('v', v, this.nPost, true);
    return tf.tidy(() => {
      const { tensor, rank1 } = operand(v, this.nPost);
      const out = tf.matMul(tensor, this.w, false, true);
      return rank1 ? tf.reshape(out, [this.nPre]) : out;
    });
  }

  onPre(preActive: StepInput, postValues: ValueVector, bounds?: RowBounds, options?: UpdateOptions): void {
    this.assertLive();
    const ev = stepEvents('preActive', preActive, this.nPre);
    this.updateRows(this.rows(), ev, this.nPre, postValues, 'postValues', this.nPost, bounds, options, false);
  }

  onPost(preValues: ValueVector, postActive: StepInput, bounds?: RowBounds, options?: UpdateOptions): void {
    this.assertLive();
    const ev = stepEvents('postActive', postActive, this.nPost);
    this.updateRows(this.cols(), ev, this.nPost, preValues, 'preValues', this.nPre, bounds, options, true);
  }

  /** As SparseConnection.updateRows: host kernels in place on cpu/wasm, else ON_ROWS on tensors. */
  private updateRows(view: FullView, ev: StepEvents, nRows: number, values: ValueVector, valuesName: string, nValues: number,
    bounds: RowBounds | undefined, options: UpdateOptions | undefined, byIdx: boolean): void {
    checkOperand(valuesName, values, nValues, false);
    const plain = plainBounds(bounds, options);
    const u = plain ? null : updateExtras(bounds, options, this.nnz, this.nPre, byIdx, [this.nPre, this.nPost]);
    const attrs = plain ?? { wMin: u!.wMin, wMax: u!.wMax };
    const extras = u?.extras;
    if (extras) {
      checkValues(valuesName, values, nValues);
      const ex = extras.ex();
      try {
        this.replace(onRowsUpdate(view, this.w, spikeVector(ev, nRows), nRows, values, nValues, { ...attrs, ...extras.attrs }, ex) as tf.Tensor2D);
      } finally {
        ex.dispose();
      }
      return;
    }
    if (hostOnRows(view, this.w, ev, nRows, values, valuesName, attrs.wMin, attrs.wMax)) {
      this.store.changedInPlace();
      return;
    }
    checkValues(valuesName, values, nValues);
    this.replace(onRowsUpdate(view, this.w, spikeVector(ev, nRows), nRows, values, nValues, attrs) as tf.Tensor2D);
  }

  addOuter(a: ValueVector, b: ValueVector, scale: number, bounds?: RowBounds, options?: UpdateOptions): void {
    this.assertLive();
    checkOperand('a', a, this.nPre, true);
    checkOperand('b', b, this.nPost, true);
    checkSameBatch('a', a, 'b', b);
    check.finite('scale', scale);
    const { extras, ...bound } = updateExtras(bounds, options, this.nnz, this.nPre, false, [this.nPre, this.nPost]);
    this.update(ADD_OUTER, this.rows(), () => ({
      a: operand(a, this.nPre).tensor,
      c: operand(b, this.nPost).tensor,
      ...(extras ? { ex: extras.ex() } : {}),
    }), { scale, ...bound, ...(extras?.attrs ?? {}) });
  }


  private indices(): { pre: tf.Tensor1D; post: tf.Tensor1D } {
    if (!this.indexTensors) {
      const { pre, post } = this.pairs();
      this.indexTensors = { pre: tf.keep(tf.tensor1d(pre, 'int32')), post: tf.keep(tf.tensor1d(post, 'int32')) };
    }
    return this.indexTensors;
  }

  mapSynapses(map: SynapseMap, perSynapseParams: Readonly<Record<string, ValueVector>> = {}, bounds?: Bounds): void {
    this.assertLive();
    if (typeof map !== 'function') throw new PlasticityError('E_PARAM', `map must be a function, got ${describeValue(map)}`);
    for (const [name, p] of Object.entries(perSynapseParams)) checkOperand(`perSynapseParams.${name}`, p, this.nnz, false);
    const { wMin, wMax } = boundAttrs(bounds);
    const { pre, post } = this.indices();
    this.replace(tf.tidy(() => {
      const params: Record<string, tf.Tensor1D> = {};
      for (const [name, p] of Object.entries(perSynapseParams)) params[name] = vector(p, this.nnz);
      const context: SynapseContext = { pre, post, params };
      const result = map(tf.reshape(this.w, [this.nnz]), context);
      if (!(result instanceof tf.Tensor)) {
        throw new PlasticityError('E_PARAM', `mapSynapses: map must return a tensor, got ${describeValue(result)}`);
      }
      check.shape('mapSynapses result', result.shape, [this.nnz]);
      const f = tf.reshape(result.dtype === 'float32' ? result : tf.cast(result, 'float32'), [this.nPre, this.nPost]);
      return (bounds ? tf.clipByValue(f, wMin, wMax) : tf.clone(f)) as tf.Tensor2D;
    }));
  }

  normalizePost(target: number, bounds?: Bounds): void {
    this.assertLive();
    check.finite('target', target);
    const { wMin, wMax } = boundAttrs(bounds);
    this.replace(tf.tidy(() => {
      const sums = tf.sum(this.w, 0, true);
      const factor = tf.where(tf.notEqual(sums, 0), tf.div(target, sums), tf.onesLike(sums));
      const scaled = tf.mul(this.w, factor);
      return (bounds ? tf.clipByValue(scaled, wMin, wMax) : scaled) as tf.Tensor2D;
    }));
  }

  async getWeights(): Promise<Float32Array> {
    this.assertLive();
    return Float32Array.from(await this.w.data() as Float32Array);
  }

  setWeights(values: ArrayLike<number> | tf.Tensor): void {
    this.assertLive();
    if (values instanceof tf.Tensor) {
      if (values.rank === 1) check.shape('values', values.shape, [this.nnz]);
      else check.shape('values', values.shape, [this.nPre, this.nPost]);
      this.replace(tf.tidy(() => tf.clone(tf.reshape(tf.cast(values, 'float32'), [this.nPre, this.nPost])) as tf.Tensor2D));
      return;
    }
    this.replace(tf.tensor2d(checkWeightValues('values', values, this.nnz), [this.nPre, this.nPost], 'float32'));
  }

  pairs(): { pre: Int32Array; post: Int32Array } {
    const pre = new Int32Array(this.nnz);
    const post = new Int32Array(this.nnz);
    for (let f = 0; f < this.nnz; f++) {
      pre[f] = Math.floor(f / this.nPost);
      post[f] = f - pre[f]! * this.nPost;
    }
    return { pre, post };
  }

  toDenseTensor(): tf.Tensor2D {
    this.assertLive();
    return tf.clone(this.w);
  }

  async toArrays(): Promise<ConnectionArrays> {
    return { format: 'dense', nPre: this.nPre, nPost: this.nPost, arrays: { weights: await this.getWeights() } };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const views = [this.rowView, this.colView].flatMap((v) => (v ? [v.ptr, v.idx, ...(v.slot ? [v.slot] : [])] : []));
    tf.dispose([...(this.w.isDisposed ? [] : [this.w]), ...views, ...(this.indexTensors ? [this.indexTensors.pre, this.indexTensors.post] : [])]);
  }
}
