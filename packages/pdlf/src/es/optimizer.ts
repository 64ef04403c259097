// Gradient-ascent steps on the search centre (float64, in place).

export type OptimizerName = 'adam' | 'sgd' | 'clipup';

export interface OptimizerSettings {
  readonly optimizer: OptimizerName;
  /** Adam's first-moment decay. */
  readonly beta1: number;
  /** Adam's second-moment decay. */
  readonly beta2: number;
  /** Adam's denominator constant. */
  readonly epsilon: number;
  /** SGD and ClipUp momentum (0: plain SGD). */
  readonly momentum: number;
  /** ClipUp's largest step (velocity norm). */
  readonly maxSpeed: number;
}

/** Optimizer moments: Adam's m and v, or the SGD / ClipUp velocity in `m` (v empty). */
export interface OptimizerMoments {
  readonly m: Float64Array;
  readonly v: Float64Array;
}

export function createMoments(settings: OptimizerSettings, dim: number): OptimizerMoments {
  return { m: new Float64Array(dim), v: new Float64Array(settings.optimizer === 'adam' ? dim : 0) };
}

/**
 * One ascent step `x ← x + lr · direction(grad)`:
 * - Adam (jax.example_libraries.optimizers.adam, fed the negated gradient as evojax does):
 *   m ← (1−β1)g + β1·m, v ← (1−β2)g² + β2·v, m̂ = m/(1−β1^(i+1)), v̂ = v/(1−β2^(i+1)),
 *   x ← x + lr·m̂/(√v̂ + ε), where `i` is the bias-correction step index the caller passes.
 * - SGD with momentum μ: u ← μ·u + g, x ← x + lr·u (μ = 0 is jax's plain sgd).
 * - ClipUp (Toklu et al. 2020, as evojax's `clipup`): u ← μ·u + lr·g/‖g‖, then u is scaled down to
 *   norm maxSpeed if longer, x ← x + u (a zero gradient leaves u to its momentum).
 */
export function ascentStep(x: Float64Array, grad: Float64Array, lr: number, stepIndex: number, settings: OptimizerSettings, moments: OptimizerMoments): void {
  const { m, v } = moments;
  if (settings.optimizer === 'adam') {
    const { beta1: b1, beta2: b2, epsilon: eps } = settings;
    const c1 = 1 - b1 ** (stepIndex + 1);
    const c2 = 1 - b2 ** (stepIndex + 1);
    for (let j = 0; j < x.length; j++) {
      // jax minimises: it receives g = -grad; m and v hold the moments of that negated gradient.
      const g = -grad[j]!;
      const mj = (1 - b1) * g + b1 * m[j]!;
      const vj = (1 - b2) * g * g + b2 * v[j]!;
      m[j] = mj;
      v[j] = vj;
      x[j] = x[j]! - (lr * (mj / c1)) / (Math.sqrt(vj / c2) + eps);
    }
  } else if (settings.optimizer === 'clipup') {
    let norm = 0;
    for (let j = 0; j < x.length; j++) norm += grad[j]! * grad[j]!;
    norm = Math.sqrt(norm);
    const scale = norm > 0 ? lr / norm : 0;
    let speed = 0;
    for (let j = 0; j < x.length; j++) {
      const u = settings.momentum * m[j]! + scale * grad[j]!;
      m[j] = u;
      speed += u * u;
    }
    speed = Math.sqrt(speed);
    const clip = speed > settings.maxSpeed ? settings.maxSpeed / speed : 1;
    for (let j = 0; j < x.length; j++) {
      if (clip !== 1) m[j] = m[j]! * clip;
      x[j] = x[j]! + m[j]!;
    }
  } else {
    const mu = settings.momentum;
    for (let j = 0; j < x.length; j++) {
      const u = mu * m[j]! + grad[j]!;
      m[j] = u;
      x[j] = x[j]! + lr * u;
    }
  }
}
