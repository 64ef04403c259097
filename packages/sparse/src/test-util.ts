// Test support (not exported by the package): a masked dense reference model computed with plain
// loops, and builders for the connections under test.
import { createRng, type Rng } from '@plasticity/core';
import type { Connection, ConnectionFormat } from './connection.js';
import { COOConnection } from './coo.js';
import { CSRConnection } from './csr.js';
import { DenseConnection } from './dense.js';

/** Row-major W with a mask of stored synapses; updates follow the documented semantics exactly. */
export interface DenseRef {
  readonly nPre: number;
  readonly nPost: number;
  readonly w: Float32Array;
  readonly mask: Uint8Array;
}

export interface Triples {
  readonly nPre: number;
  readonly nPost: number;
  readonly pre: Int32Array;
  readonly post: Int32Array;
  readonly weights: Float32Array;
}

/** Reference of the connection `build(format, triples)` makes: duplicates summed; dense stores every entry. */
export function refOf(t: Triples, format: ConnectionFormat): DenseRef {
  const w = new Float32Array(t.nPre * t.nPost);
  const sums = new Float64Array(t.nPre * t.nPost);
  const mask = new Uint8Array(t.nPre * t.nPost).fill(format === 'dense' ? 1 : 0);
  for (let k = 0; k < t.pre.length; k++) {
    const f = t.pre[k]! * t.nPost + t.post[k]!;
    sums[f]! += t.weights[k]!;
    mask[f] = 1;
  }
  w.set(sums);
  return { nPre: t.nPre, nPost: t.nPost, w, mask };
}

export function build(format: ConnectionFormat, t: Triples): Connection {
  if (format === 'csr') return CSRConnection.fromCoo(t);
  if (format === 'coo') return COOConnection.fromCoo(t);
  return DenseConnection.fromCoo(t);
}

/** Random distinct-or-repeated triples with a fraction `p` of pairs, some empty rows, shuffled. */
export function randomTriples(rng: Rng, nPre: number, nPost: number, p: number, duplicates = 0): Triples {
  const pre: number[] = [];
  const post: number[] = [];
  for (let i = 0; i < nPre; i++) {
    if (i % 5 === 3) continue; // empty rows
    for (let j = 0; j < nPost; j++) if (rng.random() < p) { pre.push(i); post.push(j); }
  }
  for (let d = 0; d < duplicates && pre.length > 0; d++) {
    const k = Math.floor(rng.random() * pre.length);
    pre.push(pre[k]!);
    post.push(post[k]!);
  }
  const order = rng.permutation(pre.length);
  const weights = Float32Array.from(rng.uniform(pre.length, 0.05, 0.6));
  return {
    nPre, nPost,
    pre: Int32Array.from(order, (k) => pre[k]!),
    post: Int32Array.from(order, (k) => post[k]!),
    weights,
  };
}

export function rngFor(seed: number): Rng {
  return createRng(seed);
}

/** y[b, j] = Σ_{i: e != 0, stored} W[i, j]·(binary ? 1 : e), in float64. */
export function refPropagate(r: DenseRef, events: ArrayLike<number>, batch: number, binary: boolean): Float64Array {
  const out = new Float64Array(batch * r.nPost);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < r.nPre; i++) {
      const e = events[b * r.nPre + i]!;
      if (e === 0) continue;
      for (let j = 0; j < r.nPost; j++) {
        const f = i * r.nPost + j;
        if (r.mask[f]) out[b * r.nPost + j]! += r.w[f]! * (binary ? 1 : e);
      }
    }
  }
  return out;
}

/** out[b, i] = Σ_j W[i, j]·v[b, j]. */
export function refMatVec(r: DenseRef, v: ArrayLike<number>, batch: number): Float64Array {
  const out = new Float64Array(batch * r.nPre);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < r.nPre; i++) {
      let s = 0;
      for (let j = 0; j < r.nPost; j++) if (r.mask[i * r.nPost + j]) s += r.w[i * r.nPost + j]! * v[b * r.nPost + j]!;
      out[b * r.nPre + i] = s;
    }
  }
  return out;
}

const clip = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** W[i, j] += values[j] for active pre i; touched synapses clipped. */
export function refOnPre(r: DenseRef, active: ArrayLike<number>, values: ArrayLike<number>, lo = -Infinity, hi = Infinity): void {
  for (let i = 0; i < r.nPre; i++) {
    if (active[i] === 0) continue;
    for (let j = 0; j < r.nPost; j++) {
      const f = i * r.nPost + j;
      if (r.mask[f]) r.w[f] = clip(r.w[f]! + values[j]!, lo, hi);
    }
  }
}

/** W[i, j] += values[i] for active post j; touched synapses clipped. */
export function refOnPost(r: DenseRef, values: ArrayLike<number>, active: ArrayLike<number>, lo = -Infinity, hi = Infinity): void {
  for (let j = 0; j < r.nPost; j++) {
    if (active[j] === 0) continue;
    for (let i = 0; i < r.nPre; i++) {
      const f = i * r.nPost + j;
      if (r.mask[f]) r.w[f] = clip(r.w[f]! + values[i]!, lo, hi);
    }
  }
}

/** W[i, j] += scale·Σ_b a[b, i]·c[b, j] on rows with some a[b, i] != 0; those clipped. */
export function refAddOuter(r: DenseRef, a: ArrayLike<number>, c: ArrayLike<number>, batch: number, scale: number, lo = -Infinity, hi = Infinity): void {
  for (let i = 0; i < r.nPre; i++) {
    let any = false;
    for (let b = 0; b < batch; b++) if (a[b * r.nPre + i] !== 0) any = true;
    if (!any) continue;
    for (let j = 0; j < r.nPost; j++) {
      const f = i * r.nPost + j;
      if (!r.mask[f]) continue;
      let s = 0;
      for (let b = 0; b < batch; b++) s += a[b * r.nPre + i]! * c[b * r.nPost + j]!;
      r.w[f] = clip(r.w[f]! + scale * s, lo, hi);
    }
  }
}

/** Each post column's stored weights scaled to sum to target (zero-sum columns unchanged). */
export function refNormalizePost(r: DenseRef, target: number): void {
  for (let j = 0; j < r.nPost; j++) {
    let s = 0;
    for (let i = 0; i < r.nPre; i++) if (r.mask[i * r.nPost + j]) s += r.w[i * r.nPost + j]!;
    if (s === 0) continue;
    for (let i = 0; i < r.nPre; i++) if (r.mask[i * r.nPost + j]) r.w[i * r.nPost + j]! *= target / s;
  }
}

/** Dense matrix of the reference with 0 off the mask. */
export function refMatrix(r: DenseRef): Float32Array {
  return r.w.map((x, f) => (r.mask[f] ? x : 0));
}

/** Events with a fraction `rate` active: binary (0/1) or float values in [-1, 1] (never 0 when active). */
export function randomEvents(rng: Rng, n: number, rate: number, float = false): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (rng.random() < rate) out[i] = float ? Math.fround(0.25 + rng.random() * 0.75) * (rng.random() < 0.5 ? -1 : 1) : 1;
  }
  return out;
}
