import { PlasticityError, check, describeValue, toRng, type Distribution, type Rng } from '@plasticity/core';
import { bucketSort, checkDims, type CsrArrays } from './structure.js';

/**
 * Seeded random connectivity. Structure and weights come from two named streams of the seed, so the
 * same seed gives the same synapses and weights on every backend, and changing `init` does not
 * change the structure. Structures are row-major (CSR order, post ascending in a row).
 */

/** Initial weights: one value for every synapse, or a distribution drawn per synapse. */
export type WeightInit = number | Distribution;

export interface RandomOptions {
  readonly nPre: number;
  readonly nPost: number;
  /** Connection probability of each (pre, post) pair. */
  readonly p: number;
  /** Seed (safe integer) or generator. */
  readonly seed: number | Rng;
  /** Default 1. */
  readonly init?: WeightInit;
}

export interface FixedFanOutOptions {
  readonly nPre: number;
  readonly nPost: number;
  /** Distinct post neurons per pre neuron, <= nPost. */
  readonly fanOut: number;
  readonly seed: number | Rng;
  readonly init?: WeightInit;
}

export interface FixedFanInOptions {
  readonly nPre: number;
  readonly nPost: number;
  /** Distinct pre neurons per post neuron, <= nPre. */
  readonly fanIn: number;
  readonly seed: number | Rng;
  readonly init?: WeightInit;
}

export interface GeneratedStructure extends CsrArrays {
  /** Weights in CSR order. */
  readonly weights: Float32Array;
}

function streams(seed: number | Rng): { structure: Rng; weights: Rng } {
  if (typeof seed !== 'number' && (seed === null || typeof seed !== 'object' || typeof (seed as Rng).stream !== 'function')) {
    throw new PlasticityError('E_PARAM', `seed must be a safe integer or an Rng, got ${describeValue(seed)}`);
  }
  const rng = toRng(seed);
  return { structure: rng.stream('sparse/structure'), weights: rng.stream('sparse/weights') };
}

/** n draws of `init` (validated). */
export function initWeights(rng: Rng, n: number, init: WeightInit = 1): Float32Array {
  if (typeof init === 'number') return new Float32Array(n).fill(check.finite('init', init));
  if (init === null || typeof init !== 'object') {
    throw new PlasticityError('E_PARAM', `init must be a number or a distribution { dist, ... }, got ${describeValue(init)}`);
  }
  switch (init.dist) {
    case 'uniform': return rng.uniform(n, init.low ?? 0, init.high ?? 1);
    case 'normal': return rng.normal(n, init.mean ?? 0, init.std ?? 1);
    case 'lognormal': return rng.lognormal(n, init.mu ?? 0, init.sigma ?? 1);
    case 'gamma': return rng.gamma(n, init.shape, init.scale ?? 1);
    case 'beta': return rng.beta(n, init.a, init.b);
    case 'exponential': return rng.exponential(n, init.rate ?? 1);
    case 'poisson': return Float32Array.from(rng.poisson(n, init.lambda));
    case 'bernoulli': return Float32Array.from(rng.bernoulli(n, init.p));
    default: throw new PlasticityError('E_PARAM', `init.dist must be a known distribution, got ${describeValue((init as { dist: unknown }).dist)}`);
  }
}

/**
 * Each pair connected independently with probability p. The gaps between connected pairs in
 * row-major order are geometric, so the work is proportional to the number of synapses.
 */
export function randomStructure(options: RandomOptions): GeneratedStructure {
  const { nPre, nPost, p } = options;
  checkDims(nPre, nPost);
  check.probability('p', p);
  const { structure, weights } = streams(options.seed);
  const total = nPre * nPost;
  const flat: number[] = [];
  if (p === 1) {
    for (let f = 0; f < total; f++) flat.push(f);
  } else if (p > 0) {
    const logq = Math.log1p(-p);
    for (let f = -1; ;) {
      f += 1 + Math.floor(Math.log(1 - structure.random()) / logq);
      if (f >= total) break;
      flat.push(f);
    }
  }
  const nnz = flat.length;
  const indptr = new Int32Array(nPre + 1);
  const indices = new Int32Array(nnz);
  for (let k = 0; k < nnz; k++) {
    const i = Math.floor(flat[k]! / nPost);
    indices[k] = flat[k]! - i * nPost;
    indptr[i + 1]!++;
  }
  for (let i = 0; i < nPre; i++) indptr[i + 1]! += indptr[i]!;
  return { nPre, nPost, indptr, indices, weights: initWeights(weights, nnz, options.init) };
}

/** Every pre neuron connects to `fanOut` distinct post neurons chosen uniformly. */
export function fixedFanOutStructure(options: FixedFanOutOptions): GeneratedStructure {
  const { nPre, nPost } = options;
  checkDims(nPre, nPost);
  const fanOut = check.integer('fanOut', options.fanOut, 0, nPost);
  const { structure, weights } = streams(options.seed);
  const indptr = new Int32Array(nPre + 1);
  const indices = new Int32Array(nPre * fanOut);
  for (let i = 0; i < nPre; i++) {
    indices.set(structure.choice(nPost, fanOut), i * fanOut);
    indptr[i + 1] = (i + 1) * fanOut;
  }
  return { nPre, nPost, indptr, indices, weights: initWeights(weights, indices.length, options.init) };
}

/** Every post neuron receives from `fanIn` distinct pre neurons chosen uniformly. */
export function fixedFanInStructure(options: FixedFanInOptions): GeneratedStructure {
  const { nPre, nPost } = options;
  checkDims(nPre, nPost);
  const fanIn = check.integer('fanIn', options.fanIn, 0, nPre);
  const { structure, weights } = streams(options.seed);
  const pre = new Int32Array(nPost * fanIn);
  const post = new Int32Array(nPost * fanIn);
  for (let j = 0; j < nPost; j++) {
    pre.set(structure.choice(nPre, fanIn), j * fanIn);
    post.fill(j, j * fanIn, (j + 1) * fanIn);
  }
  // Stable by pre over post-major input: post ascending inside each row.
  const { ptr, order } = bucketSort(pre, nPre);
  const indices = new Int32Array(order.length);
  for (let k = 0; k < order.length; k++) indices[k] = post[order[k]!]!;
  return { nPre, nPost, indptr: ptr, indices, weights: initWeights(weights, indices.length, options.init) };
}
