import { Rng, type PluginState } from '@plasticity/core';

// Seeded draws for the transforms. Values are made in JavaScript from the core Rng (xoshiro128**), so a
// seed gives the same numbers on every backend; tensors are filled from these arrays.

const TWO_POW_M32 = 1 / 4294967296;

/** A uniform draw in (0, 1) from one 32-bit output (never 0, so its log is finite). */
export function unit(rng: Rng): number {
  return (rng.nextUint32() + 0.5) * TWO_POW_M32;
}

/** n uniform float32 values in (lo, hi). One 32-bit output per value. */
export function uniformArray(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  const out = new Float32Array(n);
  const span = hi - lo;
  for (let i = 0; i < n; i++) out[i] = lo + span * unit(rng);
  return out;
}

/** n normal float32 values N(mean, std) by Box–Muller (both values of each pair used). */
export function normalArray(rng: Rng, n: number, mean: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(unit(rng)));
    const theta = 2 * Math.PI * unit(rng);
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
