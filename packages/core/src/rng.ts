import { PlasticityError, describeValue } from './errors.js';
import * as check from './validate.js';

/**
 * Seeded, splittable random numbers: xoshiro128** (32-bit, fast in JS) seeded through splitmix32.
 * Everything is computed in JavaScript, so a seed gives the same numbers on every backend and
 * platform; tensors are filled from these arrays.
 */
export interface RngState {
  readonly algorithm: 'xoshiro128**';
  /** The four state words. */
  readonly s: readonly [number, number, number, number];
  /** The seed words that `stream(key)` derives from. */
  readonly root: readonly [number, number];
}

export type Size = number | readonly number[];

const TWO_POW_32 = 4294967296;
const TWO_POW_M24 = 1 / 16777216;
const TWO_POW_M53 = 1 / 9007199254740992;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** One splitmix32 output for input `a` (a pure mixing function). */
function mix32(a: number): number {
  let t = (a + 0x9e3779b9) | 0;
  t ^= t >>> 16;
  t = Math.imul(t, 0x21f0aaad);
  t ^= t >>> 15;
  t = Math.imul(t, 0x735a2d97);
  t ^= t >>> 15;
  return t >>> 0;
}

function hashKey(key: string | number): number {
  const text = typeof key === 'number' ? `#${key}` : key;
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function seedWords(seed: number): [number, number] {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) {
    throw new PlasticityError('E_PARAM', `seed must be a safe integer, got ${describeValue(seed)}`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_POW_32) >>> 0;
  return [lo, hi];
}

function stateFrom(a: number, b: number): [number, number, number, number] {
  let x = mix32(a ^ mix32(b));
  const s: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    x = mix32(x + i + b);
    s[i] = x;
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 0x9e3779b9; // the all-zero state is a fixed point
  return s;
}

function sizeOf(size: Size): number {
  if (typeof size === 'number') return check.integer('size', size, 0);
  let n = 1;
  size.forEach((d, i) => {
    n *= check.integer(`size[${i}]`, d, 0);
  });
  return n;
}

/** log Γ(x) for x > 0 (Lanczos, g = 7), accurate to ~1e-15 relative. */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

export class Rng {
  readonly algorithm = 'xoshiro128**' as const;
  private readonly s = new Uint32Array(4);
  private readonly root: [number, number];

  /** Use `createRng(seed)`; the constructor takes raw state. */
  constructor(state: RngState) {
    Rng.checkState(state);
    this.s.set(state.s);
    this.root = [state.root[0], state.root[1]];
  }

  /** Next raw 32-bit output as an unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A double in [0, 1) with 53 random bits. */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) * TWO_POW_M53;
  }

  /** One standard normal draw (Box–Muller; one of the pair is used). */
  gaussian(): number {
    const u1 = 1 - this.random(); // (0, 1]: log is finite
    const u2 = this.random();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform float32 values in [low, high). */
  uniform(size: Size, low = 0, high = 1): Float32Array {
    check.finite('low', low);
    check.finite('high', high);
    if (high < low) throw new PlasticityError('E_PARAM', `uniform: high must be >= low, got low=${low}, high=${high}`);
    const out = new Float32Array(sizeOf(size));
    const span = high - low;
    for (let i = 0; i < out.length; i++) out[i] = low + span * ((this.nextUint32() >>> 8) * TWO_POW_M24);
    return out;
  }

  normal(size: Size, mean = 0, std = 1): Float32Array {
    check.finite('mean', mean);
    check.nonNegative('std', std);
    const out = new Float32Array(sizeOf(size));
    for (let i = 0; i < out.length; i += 2) {
      const r = Math.sqrt(-2 * Math.log(1 - this.random()));
      const theta = 2 * Math.PI * this.random();
      out[i] = mean + std * r * Math.cos(theta);
      if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(theta);
    }
    return out;
  }

  /** exp(N(mu, sigma)). */
  lognormal(size: Size, mu = 0, sigma = 1): Float32Array {
    const out = this.normal(size, mu, sigma);
    for (let i = 0; i < out.length; i++) out[i] = Math.exp(out[i]!);
    return out;
  }

  exponential(size: Size, rate = 1): Float32Array {
    check.positive('rate', rate);
    const out = new Float32Array(sizeOf(size));
    for (let i = 0; i < out.length; i++) out[i] = -Math.log(1 - this.random()) / rate;
    return out;
  }

  /** Gamma(shape k, scale θ), mean kθ (Marsaglia–Tsang). */
  gamma(size: Size, shape: number, scale = 1): Float32Array {
    check.positive('shape', shape);
    check.positive('scale', scale);
    const out = new Float32Array(sizeOf(size));
    for (let i = 0; i < out.length; i++) out[i] = this.gammaOne(shape) * scale;
    return out;
  }

  beta(size: Size, a: number, b: number): Float32Array {
    check.positive('a', a);
    check.positive('b', b);
    const out = new Float32Array(sizeOf(size));
    for (let i = 0; i < out.length; i++) {
      const x = this.gammaOne(a);
      const y = this.gammaOne(b);
      out[i] = x / (x + y);
    }
    return out;
  }

  poisson(size: Size, lambda: number): Int32Array {
    check.nonNegative('lambda', lambda);
    if (lambda > 1e9) throw new PlasticityError('E_PARAM', `lambda must be <= 1e9, got ${lambda}`);
    const out = new Int32Array(sizeOf(size));
    for (let i = 0; i < out.length; i++) out[i] = this.poissonOne(lambda);
    return out;
  }

  /** 1 with probability p, else 0. */
  bernoulli(size: Size, p: number): Uint8Array {
    check.probability('p', p);
    const out = new Uint8Array(sizeOf(size));
    for (let i = 0; i < out.length; i++) out[i] = this.random() < p ? 1 : 0;
    return out;
  }

  /** Number of failures before the first success, P(k) = (1 − p)^k · p. */
  geometric(size: Size, p: number): Int32Array {
    check.inRange('p', p, 0, 1, { min: true });
    const out = new Int32Array(sizeOf(size));
    const logq = Math.log1p(-p);
    for (let i = 0; i < out.length; i++) {
      out[i] = p === 1 ? 0 : Math.min(2147483647, Math.floor(Math.log(1 - this.random()) / logq));
    }
    return out;
  }

  /** Uniform integers in [low, high), unbiased. */
  integers(size: Size, low: number, high: number): Int32Array {
    check.integer('low', low, -2147483648, 2147483647);
    check.integer('high', high, -2147483647, 2147483648);
    if (high <= low) throw new PlasticityError('E_PARAM', `integers: high must be > low, got low=${low}, high=${high}`);
    const out = new Int32Array(sizeOf(size));
    for (let i = 0; i < out.length; i++) out[i] = low + this.below(high - low);
    return out;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    check.integer('n', n, 0, 2147483647);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** k distinct integers from [0, n), sorted ascending (Floyd's algorithm: O(k) draws). */
  choice(n: number, k: number): Int32Array {
    check.integer('n', n, 0, 2147483647);
    check.integer('k', k, 0, n);
    const chosen = new Set<number>();
    for (let j = n - k; j < n; j++) {
      const t = this.below(j + 1);
      chosen.add(chosen.has(t) ? j : t);
    }
    return Int32Array.from(chosen).sort();
  }

  /** An independent generator; advances this one. */
  split(): Rng {
    const a = this.nextUint32();
    const b = this.nextUint32();
    return new Rng({ algorithm: 'xoshiro128**', s: stateFrom(a, b), root: [a, b] });
  }

  /** A named stream derived from the seed alone: the same key always gives the same stream. */
  stream(key: string | number): Rng {
    const h = hashKey(key);
    const a = mix32(this.root[0] ^ h);
    const b = mix32(this.root[1] + h);
    return new Rng({ algorithm: 'xoshiro128**', s: stateFrom(a, b), root: [a, b] });
  }

  getState(): RngState {
    return { algorithm: this.algorithm, s: [this.s[0]!, this.s[1]!, this.s[2]!, this.s[3]!], root: [this.root[0], this.root[1]] };
  }

  setState(state: RngState): void {
    Rng.checkState(state);
    this.s.set(state.s);
    this.root[0] = state.root[0];
    this.root[1] = state.root[1];
  }

  clone(): Rng {
    return new Rng(this.getState());
  }

  static checkState(state: unknown): asserts state is RngState {
    const st = state as Partial<RngState> | null;
    const word = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < TWO_POW_32;
    const ok = st !== null && typeof st === 'object' && st.algorithm === 'xoshiro128**' && Array.isArray(st.s) && st.s.length === 4 &&
      st.s.every(word) && st.s.some((v) => v !== 0) && Array.isArray(st.root) && st.root.length === 2 && st.root.every(word);
    if (!ok) throw new PlasticityError('E_PARAM', `RNG state must be { algorithm: 'xoshiro128**', s: four uint32 (not all 0), root: two uint32 }, got ${describeValue(state)}`);
  }

  /** Unbiased integer in [0, range), range <= 2^32. */
  private below(range: number): number {
    const limit = TWO_POW_32 - (TWO_POW_32 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % range;
  }

  private gammaOne(shape: number): number {
    if (shape < 1) return this.gammaOne(shape + 1) * Math.pow(1 - this.random(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.gaussian();
      let v = 1 + c * x;
      if (v <= 0) continue;
      v = v * v * v;
      const u = 1 - this.random();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  private poissonOne(lambda: number): number {
    if (lambda === 0) return 0;
    if (lambda < 10) {
      // Knuth: multiply uniforms until the product falls below e^-λ.
      const limit = Math.exp(-lambda);
      let k = 0;
      let p = this.random();
      while (p > limit) {
        k++;
        p *= this.random();
      }
      return k;
    }
    // PTRS, transformed rejection with squeeze (Hörmann 1993).
    const slam = Math.sqrt(lambda);
    const loglam = Math.log(lambda);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.random() - 0.5;
      const v = this.random();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logGamma(k + 1)) return k;
    }
  }
}

/** A generator for `seed` (any safe integer). Same seed, same numbers, everywhere. */
export function createRng(seed: number): Rng {
  const [lo, hi] = seedWords(seed);
  return new Rng({ algorithm: 'xoshiro128**', s: stateFrom(lo, hi), root: [lo, hi] });
}

/** Accepts a seed or an existing generator (which is used as is). */
export function toRng(seedOrRng: number | Rng): Rng {
  return seedOrRng instanceof Rng ? seedOrRng : createRng(seedOrRng);
}
