import { PlasticityError, check, describeValue } from '@plasticity/core';
import type { SpikeSource } from './sources.js';

/**
 * Spikes set from outside the network, one step at a time (closed-loop tasks): `set` gives the spikes
 * of the next step (active indices, or a 0/1 or ±1 vector), which then play once and clear. In a
 * population network each member has its own block of `n` neurons (member m's neuron i is m·n + i).
 */
export class ExternalSource implements SpikeSource {
  readonly kind = 'external' as const;
  /** Neurons of all members together. */
  readonly n: number;
  private readonly block: number;
  private readonly members: number;
  /** Member m's pending spikes: local indices (ascending) at m·block, values alike, counts[m]. */
  private readonly pending: Int32Array;
  private readonly pendingValue: Float32Array;
  private readonly counts: Int32Array;

  /**
   * @param valued false (default): binary events — every spike counts 1, as a neuron's does; true: a
   *   spike carries its value (an observation, a current) and propagation adds w·value.
   */
  constructor(n: number, members = 1, readonly valued = false) {
    this.block = check.integer('n', n, 1, 2 ** 31 - 1);
    this.members = check.integer('members', members, 1, 2 ** 31 - 1);
    this.n = this.block * this.members;
    this.pending = new Int32Array(this.n);
    this.pendingValue = new Float32Array(this.n);
    this.counts = new Int32Array(this.members);
  }

  /**
   * The spikes of the next step for one member, or for every member when `member` is undefined: an
   * Int32Array of distinct active indices (value 1), or a vector of length n whose non-zero entries
   * spike with that value. Replaces what was set before; checked before anything changes.
   */
  set(spikes: Int32Array | Float32Array | Uint8Array | readonly number[], member?: number): void {
    if (member !== undefined) check.integer('member', member, 0, this.members - 1);
    const local = new Int32Array(this.block), values = new Float32Array(this.block);
    let count = 0;
    if (spikes instanceof Int32Array) {
      const seen = new Uint8Array(this.block);
      for (let k = 0; k < spikes.length; k++) {
        const i = check.integer(`spikes[${k}]`, spikes[k], 0, this.block - 1);
        if (seen[i]) throw new PlasticityError('E_PARAM', `spikes[${k}] repeats neuron ${i}`);
        seen[i] = 1;
      }
      for (let i = 0; i < this.block; i++) if (seen[i]) { local[count] = i; values[count++] = 1; }
    } else {
      if (!spikes || typeof spikes.length !== 'number') throw new PlasticityError('E_PARAM', `spikes must be an Int32Array of indices or a vector of length ${this.block}, got ${describeValue(spikes)}`);
      check.length('spikes', spikes.length, this.block);
      for (let i = 0; i < this.block; i++) this.checkValue(spikes[i], i);
      for (let i = 0; i < this.block; i++) if (spikes[i] !== 0) { local[count] = i; values[count++] = spikes[i]!; }
    }
    for (let m = member ?? 0; m <= (member ?? this.members - 1); m++) {
      this.pending.set(local.subarray(0, count), m * this.block);
      this.pendingValue.set(values.subarray(0, count), m * this.block);
      this.counts[m] = count;
    }
  }

  /** Every member's spikes of the next step at once: a vector of length members·n, member-major, whose
   *  non-zero entries spike with that value. Checked before anything changes. */
  setAll(values: ArrayLike<number>): void {
    if (!values || typeof values.length !== 'number') throw new PlasticityError('E_PARAM', `spikes must be a vector of length ${this.n} (members × n), got ${describeValue(values)}`);
    check.length('spikes', values.length, this.n);
    for (let k = 0; k < this.n; k++) this.checkValue(values[k], k);
    for (let m = 0; m < this.members; m++) {
      const off = m * this.block;
      let count = 0;
      for (let i = 0; i < this.block; i++) {
        const v = values[off + i]!;
        if (v !== 0) { this.pending[off + count] = i; this.pendingValue[off + count++] = v; }
      }
      this.counts[m] = count;
    }
  }

  private checkValue(v: number | undefined, k: number): void {
    if (!Number.isFinite(v)) throw new PlasticityError('E_PARAM', `spikes[${k}] must be finite, got ${describeValue(v)}`);
    if (!this.valued && v !== 0 && v !== 1) {
      throw new PlasticityError('E_PARAM', `spikes[${k}] must be 0 or 1 for a binary external population, got ${describeValue(v)} (addExternal(name, { n, values: true }) takes valued events)`);
    }
  }

  bind(dtMs: number): void {
    check.positive('dtMs', dtMs);
  }

  generate(_step: number, active: Int32Array, value: Float32Array): number {
    let c = 0;
    for (let m = 0; m < this.members; m++) {
      const off = m * this.block;
      for (let k = 0; k < this.counts[m]!; k++) { const i = off + this.pending[off + k]!; active[c++] = i; value[i] = this.pendingValue[off + k]!; }
    }
    this.counts.fill(0);
    return c;
  }

  reset(): void {
    this.counts.fill(0);
  }

  getState(): { arrays: Record<string, Int32Array | Float64Array>; data: Record<string, unknown> } {
    return { arrays: { pending: this.pending.slice(), pendingValue: Float64Array.from(this.pendingValue), counts: this.counts.slice() }, data: {} };
  }

  setState(state: { arrays: Record<string, Int32Array | Float64Array | undefined>; data: Record<string, unknown> }): void {
    this.pending.set(state.arrays.pending!);
    this.pendingValue.set(state.arrays.pendingValue!);
    this.counts.set(state.arrays.counts!);
  }
}
