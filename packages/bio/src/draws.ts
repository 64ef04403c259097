import { Rng, type PluginState } from '@plasticity/core';
import type { BioKernels } from './wasm.js';

// Seeded draws for the transforms. Values are made in JavaScript from the core Rng (xoshiro128**), so a
// seed gives the same numbers on every backend; tensors are filled from these arrays.

const TWO_POW_M32 = 1 / 4294967296;

/** A uniform draw in (0, 1) from one 32-bit output (never 0, so its log is finite). */
export function unit(rng: Rng): number {
  return (rng.nextUint32() + 0.5) * TWO_POW_M32;
}

/**
 * The next n raw 32-bit outputs of `rng` (the same outputs, in the same order, as n calls of
 * rng.nextUint32()), written into `out` (grown when too short; default: a scratch buffer shared by this
 * module, valid until the next call) and returned with the stream advanced past them. The generator runs
 * on local variables, several times faster than one method call per output.
 */
export function rawUint32(rng: Rng, n: number, out?: Uint32Array): Uint32Array {
  const buf = out && out.length >= n ? out : scratchOf(n);
  const st = rng.getState();
  let s0 = st.s[0], s1 = st.s[1], s2 = st.s[2], s3 = st.s[3];
  for (let i = 0; i < n; i++) {
    const m = Math.imul(s1, 5);
    buf[i] = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  rng.setState({ algorithm: st.algorithm, s: [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0], root: st.root });
  return buf;
}

let scratch = new Uint32Array(0);
function scratchOf(n: number): Uint32Array {
  if (scratch.length < n) scratch = new Uint32Array(Math.max(n, Math.ceil(scratch.length * 1.25)));
  return scratch;
}

/** unit() of a raw output already drawn. */
export function unitOf(x: number): number {
  return (x + 0.5) * TWO_POW_M32;
}

/** How many raw outputs normalArray(rng, n, …) consumes (two per pair; an odd n uses half of the last pair). */
export function normalDraws(n: number): number {
  return n + (n & 1);
}

/** n uniform float32 values in (lo, hi). One 32-bit output per value. */
export function uniformArray(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  const raw = rawUint32(rng, n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) out[i] = lo + span * ((raw[i]! + 0.5) * TWO_POW_M32);
  return out;
}

// cos/sin of the Box–Muller angle 2π·u, u = (x + 0.5)/2^32, for the host kernels: a table of 1024 angles
// (made with Math.cos/sin) and the angle-sum formula with the rest d = 2π·((x mod 2^22) + 0.5)/2^32 < 2π/1024
// (Taylor to d^6 and d^5: < 1e-19). Within 1e-15 of Math.cos/sin(2π·u), twice as fast as the pair of calls;
// the float32 draws they give equal normalArray's (none of 10^6 differed; a draw could differ by one float32
// ulp only where r·cos lies within ~1e-15 of a float32 rounding boundary).
const COS = new Float64Array(1024);
const SIN = new Float64Array(1024);
for (let j = 0; j < 1024; j++) {
  COS[j] = Math.cos((2 * Math.PI * j) / 1024);
  SIN[j] = Math.sin((2 * Math.PI * j) / 1024);
}
const TWO_PI_M32 = (2 * Math.PI) / 4294967296;

/** cos(2π(x + 0.5)/2^32) (even) or sin(…) for a raw 32-bit output x. */
export function cosSinUnit(x: number, even: boolean): number {
  const j = x >>> 22;
  const d = ((x & 0x3fffff) + 0.5) * TWO_PI_M32;
  const d2 = d * d;
  const c = 1 - d2 * (0.5 - d2 * (1 / 24 - d2 / 720));
  const s = d * (1 - d2 * (1 / 6 - d2 / 120));
  return even ? COS[j]! * c - SIN[j]! * s : SIN[j]! * c + COS[j]! * s;
}

/** The standard normal value i of normalArray(…, 0, 1) from the raw outputs it was drawn from (`raw[at]`
 *  onwards): Box–Muller, cos for even i, sin for odd i (cosSinUnit); a double (store it as float32). */
export function normalAt(raw: Uint32Array, at: number, i: number): number {
  const j = at + (i & ~1);
  return Math.sqrt(-2 * Math.log((raw[j]! + 0.5) * TWO_POW_M32)) * cosSinUnit(raw[j + 1]!, (i & 1) === 0);
}

/** n normal float32 values N(mean, std) by Box–Muller (both values of each pair used). */
export function normalArray(rng: Rng, n: number, mean: number, std: number): Float32Array {
  const out = new Float32Array(n);
  const raw = rawUint32(rng, normalDraws(n));
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log((raw[i]! + 0.5) * TWO_POW_M32));
    const theta = 2 * Math.PI * ((raw[i + 1]! + 0.5) * TWO_POW_M32);
    out[i] = mean + std * r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(theta);
  }
  return out;
}

/** The random-stream fields a transform keeps in its state, so that it checkpoints and resumes exactly. */
export interface RngFields {
  readonly [key: string]: number;
  readonly rng0: number;
  readonly rng1: number;
  readonly rng2: number;
  readonly rng3: number;
  readonly rngRoot0: number;
  readonly rngRoot1: number;
}

export function rngFields(rng: Rng): RngFields {
  const { s, root } = rng.getState();
  return { rng0: s[0], rng1: s[1], rng2: s[2], rng3: s[3], rngRoot0: root[0], rngRoot1: root[1] };
}

/** A copy of the stream saved in `state` (the state itself is never changed). */
export function rngFrom(state: PluginState): Rng {
  const n = (k: string) => state[k] as number;
  return new Rng({ algorithm: 'xoshiro128**', s: [n('rng0'), n('rng1'), n('rng2'), n('rng3')], root: [n('rngRoot0'), n('rngRoot1')] });
}

// Jumping ahead. xoshiro128's state transition T is linear over GF(2), with characteristic polynomial P
// (degree 128; found by Berlekamp–Massey on a state bit's sequence; x^(2^64) mod P is the generator's
// published jump polynomial, and the tests check jumps against stepping). By Cayley–Hamilton,
// T^q = Σ c_i·T^i for x^q mod P = Σ c_i·x^i, so the state q outputs ahead is the XOR of the states i ahead
// (i < 128) where c_i = 1.
const CHARACTERISTIC = BigInt('0x100fc65a2006254b11b489db6de18fc01');
const jumps = new Map<number, Uint32Array>();

/** x^q mod P over GF(2), as four 32-bit words, lowest coefficients first (cached: the draw counts of a
 *  model's layers repeat every step). */
function jumpPolynomial(q: number): Uint32Array {
  let words = jumps.get(q);
  if (words !== undefined) return words;
  const one = BigInt(1), top = BigInt(128);
  const times = (a: bigint, b: bigint): bigint => { // a·b mod P
    let acc = BigInt(0);
    for (let i = 127; i >= 0; i--) {
      acc <<= one;
      if (acc >> top) acc ^= CHARACTERISTIC;
      if ((b >> BigInt(i)) & one) acc ^= a;
    }
    return acc;
  };
  let r = one;
  for (let bit = 31 - Math.clz32(q); bit >= 0; bit--) {
    r = times(r, r);
    if ((q >>> bit) & 1) {
      r <<= one;
      if (r >> top) r ^= CHARACTERISTIC;
    }
  }
  words = Uint32Array.from({ length: 4 }, (_, w) => Number(BigInt.asUintN(32, r >> BigInt(32 * w))));
  if (jumps.size >= 64) jumps.clear();
  jumps.set(q, words);
  return words;
}

/** The xoshiro128** state q ≥ 0 outputs after s (what q calls of nextUint32 would leave), without making them. */
export function jumpAhead(s: readonly number[], q: number): [number, number, number, number] {
  const c = jumpPolynomial(q);
  let s0 = s[0]! | 0, s1 = s[1]! | 0, s2 = s[2]! | 0, s3 = s[3]! | 0;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  for (let i = 0; i < 128; i++) {
    if ((c[i >>> 5]! >>> (i & 31)) & 1) {
      a0 ^= s0; a1 ^= s1; a2 ^= s2; a3 ^= s3;
    }
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
  }
  return [a0 >>> 0, a1 >>> 0, a2 >>> 0, a3 >>> 0];
}

/** Advances `rng` past `count` outputs without making them (jumpAhead). */
export function skipDraws(rng: Rng, count: number): void {
  if (count === 0) return;
  const st = rng.getState();
  rng.setState({ algorithm: st.algorithm, s: jumpAhead(st.s, count), root: st.root });
}

/** Floats the WebAssembly draws keep before their outputs (four lanes of the generator's state, and scratch). */
const DRAW_HEADER_FLOATS = 32;
/** From this many outputs on, the WebAssembly draws run four jumped copies of the generator in SIMD lanes. */
const LANES_FROM = 1 << 14;
/** Elements per block of wasmDrawBlocks (even, so that no Box–Muller pair straddles two blocks). */
export const DRAW_BLOCK = 1 << 15;

/** Floats of scratch wasmDrawBlocks needs for `parts` parts of the stream over n elements. */
export function drawBlockFloats(parts: number, n: number): number {
  return DRAW_HEADER_FLOATS + parts * Math.min(DRAW_BLOCK, n + (n & 1));
}

/**
 * A pass over n elements whose draws come from parts of one stream: element i takes output offsets[s] + i
 * of `rng` from part s (an odd n also makes output offsets[s] + n, the second of a last Box–Muller pair).
 * The WebAssembly kernels make the outputs DRAW_BLOCK elements at a time, so that they stay in cache
 * between the generator and the pass, and `body(i0, len, raws)` runs on each block with the byte address
 * of each part's outputs for elements i0 … i0 + len − 1. Afterwards `rng` is `total` outputs on. `at`:
 * scratch of drawBlockFloats(offsets.length, n) floats in the module's memory.
 */
export function wasmDrawBlocks(k: BioKernels, rng: Rng, at: number, n: number, offsets: readonly number[], total: number,
  body: (i0: number, len: number, raws: readonly number[]) => void): void {
  const base = rng.getState();
  const block = Math.min(DRAW_BLOCK, n + (n & 1));
  const raws = offsets.map((_, s) => at + 4 * (DRAW_HEADER_FLOATS + s * block));
  const states = offsets.map((o) => jumpAhead(base.s, o));
  for (let i0 = 0; i0 < n; i0 += block) {
    const len = Math.min(block, n - i0);
    for (let s = 0; s < offsets.length; s++) states[s] = drawInto(k, at, states[s]!, raws[s]!, len + (len & 1));
    body(i0, len, raws);
  }
  skipDraws(rng, total);
}

/**
 * The `count` outputs that follow `state` written at byte `out` by the kernels (the header at `at`), and the
 * state after them. Long runs are made by four copies of the stream jumped q = 4⌊count/16⌋ outputs apart,
 * in the lanes of one SIMD generator; the last lane's state makes the count − 4q (< 16) left over.
 */
function drawInto(k: BioKernels, at: number, state: readonly number[], out: number, count: number): [number, number, number, number] {
  const s = new Uint32Array(k.memory.buffer, at, DRAW_HEADER_FLOATS);
  let last = state;
  let done = 0;
  if (count >= LANES_FROM) {
    const q = (count >>> 4) << 2;
    const lanes = [state];
    for (let j = 1; j < 4; j++) lanes.push(jumpAhead(lanes[j - 1]!, q));
    for (let j = 0; j < 4; j++) for (let w = 0; w < 4; w++) s[4 * w + j] = lanes[j]![w]!;
    k.exports.drawsLanes(at, out, q);
    last = [s[3]!, s[7]!, s[11]!, s[15]!];
    done = 4 * q;
  }
  s.set(last);
  k.exports.draws(at, out + 4 * done, count - done);
  return [s[0]!, s[1]!, s[2]!, s[3]!];
}
