import { PlasticityError, describeValue, type Params, type SynapseContext, type TransformInput } from '@plasticity/core';
import type { Tensor, Tensor1D } from '@tensorflow/tfjs-core';

// Parameter checks with the reference package's wording ("base_lr must be between 0 and 1"), in the
// camelCase names of this package, each followed by the value that was given.

export class ParamProblems {
  readonly list: string[] = [];

  private finite(name: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isFinite(value)) return true;
    this.list.push(`${name} must be a finite number, got ${describeValue(value)}`);
    return false;
  }

  /** value > 0 */
  positive(name: string, value: unknown): void {
    if (this.finite(name, value) && value <= 0) this.list.push(`${name} must be positive, got ${describeValue(value)}`);
  }

  /** 0 < value < 1 */
  between01(name: string, value: unknown): void {
    if (this.finite(name, value) && !(value > 0 && value < 1)) this.list.push(`${name} must be between 0 and 1, got ${describeValue(value)}`);
  }

  /** lo <= value <= hi */
  inRange(name: string, value: unknown, lo: number, hi: number): void {
    if (this.finite(name, value) && !(value >= lo && value <= hi)) this.list.push(`${name} must be between ${lo} and ${hi}, got ${describeValue(value)}`);
  }

  nonNegative(name: string, value: unknown): void {
    if (this.finite(name, value) && value < 0) this.list.push(`${name} must be non-negative, got ${describeValue(value)}`);
  }

  integer(name: string, value: unknown, min: number): void {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
      this.list.push(`${name} must be an integer >= ${min}, got ${describeValue(value)}`);
    }
  }

  oneOf(name: string, value: unknown, allowed: readonly string[]): void {
    if (!allowed.includes(value as string)) {
      this.list.push(`${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${describeValue(value)}`);
    }
  }

  add(ok: boolean, message: string): void {
    if (!ok) this.list.push(message);
  }
}

/** Throws E_PARAM with every problem `validate` reports for `params` (used where a plugin is applied
 *  without going through resolveParams). */
export function assertParams<P extends Params>(name: string, validate: (p: P) => string[], params: P): void {
  const problems = validate(params);
  if (problems.length > 0) throw new PlasticityError('E_PARAM', `${name}: ${problems.join('; ')}`);
}

/** A synapse context with the connection's dimensions (the training-step helper adds them). */
export interface SizedSynapses extends SynapseContext {
  readonly nPre?: number;
  readonly nPost?: number;
}

/** What the bio transforms read besides weights and gradient. */
export interface BioInput extends TransformInput {
  /** Postsynaptic activity of this step, [batch, nPost] (activity-dependent factors, scaling by rate). */
  readonly activity?: Tensor;
  readonly synapses?: SizedSynapses;
  /** Dense weights: the sign (±1) each weight must have under Dale's principle, [nPre, 1] (one per row) or
   *  [1, nPost] (one per column), which BioTrainer passes when `bio/dale` acts on the same weights. Stored
   *  synapses read the per-synapse array `daleSign` of the synapse context instead. */
  readonly signs?: Tensor;
}

/** The layout of the weights a transform sees: a dense W[pre, post] or the stored synapses [nnz]. */
export type Layout =
  | { readonly kind: 'dense'; readonly nPre: number; readonly nPost: number }
  | { readonly kind: 'sparse'; readonly nnz: number; readonly synapses: SizedSynapses };

/** Checks the weights (a float32 [nPre, nPost] matrix, or [nnz] with a synapse context) and, when
 *  `needGradient`, a gradient of the same shape; throws before anything is computed. */
export function layoutOf(plugin: string, input: BioInput, needGradient: boolean): Layout {
  const { weights, gradient, synapses } = input;
  if (!weights || typeof weights !== 'object' || !('shape' in weights)) {
    throw new PlasticityError('E_PARAM', `${plugin}: weights must be a tensor, got ${describeValue(weights)}`);
  }
  if (weights.dtype !== 'float32') throw new PlasticityError('E_SHAPE', `${plugin}: weights must be float32, got ${weights.dtype}`);
  let layout: Layout;
  if (synapses) {
    if (weights.rank !== 1) throw new PlasticityError('E_SHAPE', `${plugin}: with a synapse context, weights must be the stored synapses [nnz], got shape [${weights.shape.join(', ')}]`);
    const nnz = weights.shape[0]!;
    for (const [key, t] of [['pre', synapses.pre], ['post', synapses.post]] as const) {
      if (!t || (t as Tensor1D).size !== nnz) throw new PlasticityError('E_SHAPE', `${plugin}: synapses.${key} must have length nnz = ${nnz}, got ${describeValue(t)}`);
    }
    layout = { kind: 'sparse', nnz, synapses };
  } else {
    if (weights.rank !== 2) {
      throw new PlasticityError('E_SHAPE', `${plugin}: weights must be W[pre, post] of shape [nPre, nPost] (or [nnz] with a synapse context), got shape [${weights.shape.join(', ')}]`);
    }
    layout = { kind: 'dense', nPre: weights.shape[0]!, nPost: weights.shape[1]! };
  }
  if (needGradient) {
    if (!gradient) throw new PlasticityError('E_PARAM', `${plugin}: no gradient found for the weights (this transform scales the gradient before the optimizer step)`);
    if (gradient.shape.length !== weights.shape.length || gradient.shape.some((d, i) => d !== weights.shape[i])) {
      throw new PlasticityError('E_SHAPE', `${plugin}: gradient must have the weights' shape [${weights.shape.join(', ')}], got [${gradient.shape.join(', ')}]`);
    }
  }
  return layout;
}

/** Checks that a state tensor has the expected number of elements (a state belongs to one weight tensor). */
export function checkStateSize(plugin: string, key: string, t: unknown, size: number): void {
  if (!t || typeof t !== 'object' || (t as Tensor).size !== size || (t as Tensor).isDisposed) {
    throw new PlasticityError('E_SHAPE', `${plugin}: state.${key} must be a live tensor of ${size} elements (one state per weight tensor; init it for these weights), got ${describeValue(t)}`);
  }
}

/** The per-synapse array of Dale's signs on a connection (storage order; bio/dale makes it). */
export const DALE_SIGN = 'daleSign';

/** Where each weight's sign is: values[k] (stride 1, period 0), values[⌊k/stride⌋] (one per row of a dense
 *  W) or values[k mod period] (one per column). */
export interface SignLayout {
  readonly values: Tensor;
  readonly stride: number;
  readonly period: number;
}

/**
 * The Dale signs the weights must keep, where there are some: `input.signs` on dense weights, the synapse
 * context's `daleSign` on stored synapses; null where there are none. Checks their shape (E_SHAPE).
 */
export function signLayout(plugin: string, input: BioInput, layout: Layout): SignLayout | null {
  if (layout.kind === 'sparse') {
    const s = layout.synapses.params?.[DALE_SIGN];
    if (s === undefined) return null;
    if (s.size !== layout.nnz) throw new PlasticityError('E_SHAPE', `${plugin}: synapses.params.${DALE_SIGN} must have length nnz = ${layout.nnz}, got ${describeValue(s)}`);
    return { values: s, stride: 1, period: 0 };
  }
  const s = input.signs;
  if (s === undefined) return null;
  const rows = s?.rank === 2 && s.shape[0] === layout.nPre && s.shape[1] === 1;
  const cols = s?.rank === 2 && s.shape[0] === 1 && s.shape[1] === layout.nPost;
  if (!rows && !cols) throw new PlasticityError('E_SHAPE', `${plugin}: signs must have shape [${layout.nPre}, 1] or [1, ${layout.nPost}] for weights [${layout.nPre}, ${layout.nPost}], got ${describeValue(s)}`);
  return { values: s, ...signPlacement(layout, rows ? 'pre' : 'post') };
}

/** Where weight k's sign is in a sign array (SignLayout's stride and period): one per stored synapse, one
 *  per row of a dense W (axis 'pre') or one per column (axis 'post'). */
export function signPlacement(layout: Layout, axis: 'pre' | 'post'): { stride: number; period: number } {
  if (layout.kind === 'sparse') return { stride: 1, period: 0 };
  return axis === 'pre' ? { stride: layout.nPost, period: 0 } : { stride: 1, period: layout.nPost };
}
