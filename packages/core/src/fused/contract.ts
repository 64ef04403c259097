import { PlasticityError, describeValue } from '../errors.js';
import type { Params, PluginName, SynapseArrays, SynapseStructure } from '../plugin.js';

/**
 * The fused-kernel contract: how a rule runs inside a simulation loop on typed arrays, many steps per
 * call, with no tfjs op per step. A kernel config is registered under its rule's name
 * (`registry.registerKernel`), the way tfjs registers a KernelConfig per kernel name; the built-in
 * rules go through the same door. Conventions: W[pre, post]; time in ms; an event is active iff != 0;
 * bounds clip only the synapses an update touches.
 */

/*
 * STATE_OBJECT — how kernels keep their loops fast in V8. A kernel made by a factory (`setup`) is one
 * closure per projection, and once a process holds a second closure of the same function (a second
 * projection, network or population member), V8 compiles it without the captured variables'
 * values: every typed-array access in a loop then re-checks the array's type and bounds, and a loop
 * over captured arrays runs several times slower. An object's fields keep their type in V8's
 * field-type tracking, so the kernels here put their arrays and constants in one object made in
 * `setup` and destructure it into locals at the top of each call; classes with fields do the same.
 */

/**
 * Structure of a projection as a kernel walks it. Weights W[pre, post] live in `StepIO.w` in the
 * connection's storage order; a dense table indexes (i, j) as i·nPost + j and leaves the views empty.
 */
export interface SynapseTable {
  readonly nPre: number;
  readonly nPost: number;
  readonly nnz: number;
  readonly dense: boolean;
  /** Row (pre) view: slots rowPtr[i]..rowPtr[i+1] hold post rowIdx[s] at weight position rowPos[s]. */
  readonly rowPtr: Int32Array;
  readonly rowIdx: Int32Array;
  readonly rowPos: Int32Array;
  /** Column (post) view: slots colPtr[j]..colPtr[j+1] hold pre colIdx[s] at weight position colPos[s]. */
  readonly colPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly colPos: Int32Array;
}

/** What a kernel sees each step. The engine reuses one object: read it inside `step` only. */
export interface StepIO {
  /** Absolute step index (0 after construction or reset). */
  n: number;
  /** Active presynaptic neurons of this step (after the projection's delay): preActive[0..preCount). */
  preActive: Int32Array;
  preCount: number;
  /** Event value of each pre neuron (1 for a binary spike, ±1 for ternary; 0 when silent). */
  preValue: Float32Array;
  postActive: Int32Array;
  postCount: number;
  postValue: Float32Array;
  /** Input accumulator of the target channel (length nPost): propagation adds into it. */
  input: Float32Array;
  /** True when every pre event is 1: propagation adds w, else w·value. */
  binary: boolean;
  /** Current value of the projection's neuromodulator signal (0 when none). */
  modulator: number;
  /** The projection's weights (length nnz, storage order), written in place. */
  w: Float32Array;
}

/** Checkpointable kernel state: arrays and scalars. */
export interface FusedKernelState {
  readonly arrays: Record<string, Float64Array | Float32Array | Int32Array>;
  readonly data: Record<string, number>;
}

/**
 * One projection's kernel instance: propagation and plasticity for one step. A kernel must propagate
 * (`input[j] += w` for every synapse of every active pre, with the weight before this step's pre-pathway
 * update, as Brian2's `on_pre`); `propagate` below does exactly that for kernels that do not fuse it
 * into their own row loop.
 */
export interface FusedKernel {
  step(io: StepIO): void;
  state(): FusedKernelState;
  /** Restores a state of the same shapes (the engine checks names, types and lengths first). */
  setState(arrays: FusedKernelState['arrays'], data: FusedKernelState['data']): void;
  reset(): void;
  /** True trace values at the last completed step (step n − 1), by name, for inspection. */
  traces?(n: number): Record<string, Float64Array>;
  /**
   * For kernels that keep their own committed weights (lazy potentiation): `attach` hands them the
   * connection's weights at the start of a run (`changed`: replaced since the last publish);
   * `publish` writes the true current weights into `w`.
   */
  attach?(w: Float32Array, changed: boolean): void;
  publish?(w: Float32Array): void;
}

/** What a kernel config is given to build a kernel for one projection. */
export interface FusedContext<P extends Params = Params> {
  /** The rule's validated parameters (defaults filled). */
  readonly params: P;
  readonly dtMs: number;
  readonly table: SynapseTable;
  /** Every pre and post event is 0/1 (false when a population emits ±1, e.g. ternary neurons). */
  readonly binaryEvents: boolean;
  /** The network allows reordered float arithmetic for speed (NetworkOptions.lazyPotentiation and
   *  no transform on the projection: a kernel that keeps its own weights must not be used then). */
  readonly lazy: boolean;
  /** The rule's per-synapse arrays (Rule.synapseArrays), storage order; read and written in place. */
  readonly synapses: SynapseArrays;
  /** The (pre, post) pair of every stored synapse. */
  readonly structure: SynapseStructure;
}

/**
 * A rule's fused implementation. `rule` is the name of the rule plugin it runs; `unsupported` says why
 * a projection cannot run fused with these parameters (the network then runs the rule's tensor `step`
 * and reports the reason); `modulator` names the neuromodulator signal the kernel reads by default.
 */
export interface FusedKernelConfig<P extends Params = Params> {
  readonly rule: PluginName;
  readonly description?: string;
  unsupported?(ctx: FusedContext<P>): string | undefined;
  modulator?(params: P): string | undefined;
  setup(ctx: FusedContext<P>): FusedKernel;
}

export type AnyFusedKernelConfig = FusedKernelConfig<any>;

const NAME = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

/** A transform's per-projection instance in the fused engine: it runs after the rule's step. */
export interface FusedTransform {
  /** Acts on the weights of step `n` in place (after the rule's update of that step). */
  apply(w: Float32Array, n: number): void;
  state?(): FusedKernelState;
  setState?(arrays: FusedKernelState['arrays'], data: FusedKernelState['data']): void;
  reset?(): void;
}

/** What a transform's fused form is given: its params, the structure and its per-synapse arrays. */
export interface FusedTransformContext<P extends Params = Params> {
  readonly params: P;
  readonly dtMs: number;
  readonly table: SynapseTable;
  readonly structure: SynapseStructure;
  readonly synapses: SynapseArrays;
}

export interface FusedTransformConfig<P extends Params = Params> {
  setup(ctx: FusedTransformContext<P>): FusedTransform;
}

/** Throws E_REGISTRY naming what is wrong with a kernel config. */
export function checkKernelConfig(config: unknown): asserts config is AnyFusedKernelConfig {
  const c = config as Partial<AnyFusedKernelConfig> | null;
  if (c === null || typeof c !== 'object') throw new PlasticityError('E_REGISTRY', `kernel config must be an object, got ${describeValue(c)}`);
  const problems: string[] = [];
  if (typeof c.rule !== 'string' || !NAME.test(c.rule)) problems.push(`rule must be a rule name 'namespace/name', got ${JSON.stringify(c.rule)}`);
  if (typeof c.setup !== 'function') problems.push('setup must be a function (ctx) => kernel');
  for (const k of ['unsupported', 'modulator'] as const) if (c[k] !== undefined && typeof c[k] !== 'function') problems.push(`${k} must be a function when given`);
  if (problems.length > 0) throw new PlasticityError('E_REGISTRY', `invalid kernel config for ${JSON.stringify(c.rule)}: ${problems.join('; ')}`);
}

/** Typed helper: checks and freezes a kernel config; register it with `registry.registerKernel`. */
export function defineFusedKernel<P extends Params>(config: FusedKernelConfig<P>): FusedKernelConfig<P> {
  checkKernelConfig(config);
  return Object.freeze({ ...config });
}

/** input[j] += w (· value for non-binary events) for every stored synapse of every active pre. */
export function propagate(t: SynapseTable, io: StepIO): void {
  const { preActive, preCount, preValue, input, w, binary } = io;
  if (t.dense) {
    const nPost = t.nPost;
    for (let c = 0; c < preCount; c++) {
      const i = preActive[c]!;
      const s = preValue[i]!;
      const base = i * nPost;
      if (binary) for (let j = 0; j < nPost; j++) input[j]! += w[base + j]!;
      else for (let j = 0; j < nPost; j++) input[j]! += w[base + j]! * s;
    }
    return;
  }
  const { rowPtr, rowIdx, rowPos } = t;
  for (let c = 0; c < preCount; c++) {
    const i = preActive[c]!;
    const s = preValue[i]!;
    const end = rowPtr[i + 1]!;
    if (binary) for (let k = rowPtr[i]!; k < end; k++) input[rowIdx[k]!]! += w[rowPos[k]!]!;
    else for (let k = rowPtr[i]!; k < end; k++) input[rowIdx[k]!]! += w[rowPos[k]!]! * s;
  }
}

/** Calls fn(k, i) for the weight position k and pre index i of every synapse onto post j. */
export function forEachInColumn(t: SynapseTable, j: number, fn: (k: number, i: number) => void): void {
  if (t.dense) for (let i = 0, k = j; i < t.nPre; i++, k += t.nPost) fn(k, i);
  else for (let s = t.colPtr[j]!, e = t.colPtr[j + 1]!; s < e; s++) fn(t.colPos[s]!, t.colIdx[s]!);
}

/** Calls fn(k, j) for the weight position k and post index j of every synapse from pre i. */
export function forEachInRow(t: SynapseTable, i: number, fn: (k: number, j: number) => void): void {
  if (t.dense) for (let j = 0, k = i * t.nPost; j < t.nPost; j++, k++) fn(k, j);
  else for (let s = t.rowPtr[i]!, e = t.rowPtr[i + 1]!; s < e; s++) fn(t.rowPos[s]!, t.rowIdx[s]!);
}
