import { PlasticityError, describeValue, toRng, type Rng } from '@plasticity/core';
import { ParamProblems } from './checks.js';
import { lognormalMoments } from './rejuvenate.js';
import { unit } from './draws.js';

export interface RewireOptions {
  /** Strength d_re as in rejuvenation: a synapse moves with probability exp(−dre·|w|/std(w)). */
  readonly dre?: number;
  /** At most this fraction of the stored synapses moves in one call (default 1: no cap). */
  readonly maxFraction?: number;
  /** New weights are clamped to [−limit, limit] (0: no clamp). */
  readonly limit?: number;
  /** Seed or stream of the draws (required: rewiring is always reproducible). */
  readonly seed: number | Rng;
}

export interface RewiredSynapses {
  readonly pre: Int32Array;
  readonly post: Int32Array;
  readonly weights: Float32Array;
  /** Storage positions (of the input) whose synapse moved to a new postsynaptic target. */
  readonly moved: Int32Array;
}

function checkOptions(o: RewireOptions): Required<Omit<RewireOptions, 'seed'>> {
  const c = new ParamProblems();
  const dre = o.dre ?? 8;
  const maxFraction = o.maxFraction ?? 1;
  const limit = o.limit ?? 1;
  c.positive('dre', dre);
  c.inRange('maxFraction', maxFraction, 0, 1);
  c.nonNegative('limit', limit);
  if (c.list.length > 0) throw new PlasticityError('E_PARAM', `rewire: ${c.list.join('; ')}`);
  return { dre, maxFraction, limit };
}

/**
 * Structural plasticity on stored synapses (storage order kept): each weak synapse (i, j) moves with
 * probability exp(−dre·|w|/std(w)) to a postsynaptic neuron j' that i does not reach yet, drawn uniformly
 * (prune and regrow); nnz stays the same and no (pre, post) pair is ever stored twice. A moved synapse gets
 * a fresh weight: a log-normal magnitude matched to the mean and spread of |w|, with the old synapse's sign
 * (so a presynaptic neuron keeps its Dale sign); NaN weights always move. A row that already reaches every
 * postsynaptic neuron keeps its synapses where they are. Pure: the inputs are not changed.
 */
export function rewireSynapses(
  structure: { readonly nPre: number; readonly nPost: number; readonly pre: Int32Array; readonly post: Int32Array },
  weights: Float32Array, options: RewireOptions,
): RewiredSynapses {
  const { nPre, nPost } = structure;
  const nnz = structure.pre.length;
  if (structure.post.length !== nnz || weights.length !== nnz) {
    throw new PlasticityError('E_SHAPE', `rewire: pre, post and weights must have the same length, got ${structure.pre.length}, ${structure.post.length}, ${weights.length}`);
  }
  const o = checkOptions(options);
  if (options.seed === undefined) throw new PlasticityError('E_PARAM', 'rewire: seed must be given (a number or an Rng)');
  const rng = toRng(options.seed);
  const pre = structure.pre.slice();
  const post = structure.post.slice();
  const w = weights.slice();
  // who each row reaches now
  const taken = new Set<number>();
  let sum = 0, sumAbs = 0, finite = 0;
  for (let k = 0; k < nnz; k++) {
    const key = pre[k]! * nPost + post[k]!;
    if (pre[k]! < 0 || pre[k]! >= nPre || post[k]! < 0 || post[k]! >= nPost) throw new PlasticityError('E_FORMAT', `rewire: synapse ${k} (${pre[k]}, ${post[k]}) is outside [${nPre}, ${nPost}]`);
    if (taken.has(key)) throw new PlasticityError('E_FORMAT', `rewire: the pair (${pre[k]}, ${post[k]}) is stored twice (position ${k})`);
    taken.add(key);
    const v = w[k]!;
    if (Number.isFinite(v)) { sum += v; sumAbs += Math.abs(v); finite++; }
  }
  const mean = finite ? sum / finite : 0;
  const meanAbs = finite ? sumAbs / finite : 0;
  let varW = 0, varAbs = 0;
  for (let k = 0; k < nnz; k++) {
    const v = w[k]!;
    if (Number.isFinite(v)) { varW += (v - mean) ** 2; varAbs += (Math.abs(v) - meanAbs) ** 2; }
  }
  const std = finite && varW > 0 ? Math.sqrt(varW / finite) : 1e-8;
  const { logMean, logSigma } = lognormalMoments(meanAbs, finite ? Math.sqrt(varAbs / finite) : 0, false);
  const budget = Math.floor(o.maxFraction * nnz);
  const moved: number[] = [];
  const rowCount = new Int32Array(nPre);
  for (let k = 0; k < nnz; k++) rowCount[pre[k]!]!++;
  for (let k = 0; k < nnz && moved.length < budget; k++) {
    const v = w[k]!;
    const nan = !Number.isFinite(v);
    const prob = nan ? 1 : Math.min(1, Math.exp((-o.dre * Math.abs(v)) / std));
    if (!(unit(rng) < prob)) continue;
    const i = pre[k]!;
    if (rowCount[i]! >= nPost) continue; // the row reaches every target: nowhere to move
    let target = -1;
    for (let attempt = 0; attempt < 32 && target < 0; attempt++) {
      const j = Math.floor(unit(rng) * nPost);
      if (!taken.has(i * nPost + j)) target = j;
    }
    if (target < 0) { // dense row: pick uniformly among the free targets
      const free: number[] = [];
      for (let j = 0; j < nPost; j++) if (!taken.has(i * nPost + j)) free.push(j);
      target = free[Math.floor(unit(rng) * free.length)]!;
    }
    taken.delete(i * nPost + post[k]!);
    taken.add(i * nPost + target);
    post[k] = target;
    const z = Math.sqrt(-2 * Math.log(unit(rng))) * Math.cos(2 * Math.PI * unit(rng));
    let mag = Math.exp(logMean + logSigma * z);
    if (o.limit > 0) mag = Math.min(mag, o.limit);
    const sign = nan || v === 0 ? (unit(rng) < 0.5 ? -1 : 1) : Math.sign(v);
    w[k] = sign * mag;
    moved.push(k);
  }
  return { pre, post, weights: w, moved: Int32Array.from(moved) };
}

/** A connection the rewiring can rebuild: CSR or COO from @plasticity/sparse. */
export interface RewirableConnection {
  readonly format: string;
  readonly nPre: number;
  readonly nPost: number;
  pairs(): { pre: Int32Array; post: Int32Array };
  getWeights(): Promise<Float32Array>;
}

/**
 * Rewires a CSR or COO connection (see rewireSynapses) and returns a new connection of the same class
 * built from the rewired triples, with `source`: for each storage position of the new connection, the
 * position in the old one its synapse came from (carry per-synapse arrays over with it). The old
 * connection is left as it was (dispose it when done). Dense connections store every pair: E_PARAM.
 */
export async function rewire<C extends RewirableConnection>(conn: C, options: RewireOptions): Promise<{ connection: C; moved: Int32Array; source: Int32Array }> {
  if (!conn || typeof conn.pairs !== 'function') throw new PlasticityError('E_PARAM', `rewire: conn must be a CSR or COO connection, got ${describeValue(conn)}`);
  if (conn.format !== 'csr' && conn.format !== 'coo') {
    throw new PlasticityError('E_PARAM', `rewire: conn must be a CSR or COO connection (a dense connection stores every pair, there is nowhere to move), got format ${JSON.stringify(conn.format)}`);
  }
  const { pre, post } = conn.pairs();
  const r = rewireSynapses({ nPre: conn.nPre, nPost: conn.nPost, pre, post }, await conn.getWeights(), options);
  const ctor = conn.constructor as unknown as { fromCoo(c: object): C };
  const connection = ctor.fromCoo({ nPre: conn.nPre, nPost: conn.nPost, pre: r.pre, post: r.post, weights: r.weights });
  const nnz = r.pre.length;
  let source = Int32Array.from({ length: nnz }, (_, k) => k);
  if (conn.format === 'csr') {
    // CSR stores row-major, post ascending within a row
    const nPost = conn.nPost;
    source = Int32Array.from([...source].sort((a, b) => (r.pre[a]! * nPost + r.post[a]!) - (r.pre[b]! * nPost + r.post[b]!)));
  }
  return { connection, moved: r.moved, source };
}
