import { PlasticityError, check, describeValue } from '@plasticity/core';
import type { SpikeSource } from './sources.js';

/**
 * Spikes set from outside the network, one step at a time (closed-loop tasks): `set` gives the spikes
 * of the next step (active indices, or a 0/1 or ±1 vector), which then play once and clear.
 */
export class ExternalSource implements SpikeSource {
  readonly kind = 'external' as const;
  readonly n: number;
  private readonly pending: Int32Array;
  private readonly pendingValue: Float32Array;
  private count = 0;

  constructor(n: number) {
    this.n = check.integer('n', n, 1, 2 ** 31 - 1);
    this.pending = new Int32Array(this.n);
    this.pendingValue = new Float32Array(this.n);
  }

  /**
   * The spikes of the next step: an Int32Array of distinct active indices (value 1), or a vector of
   * length n whose non-zero entries spike with that value. Replaces what was set before; checked
   * before anything changes.
   */
  set(spikes: Int32Array | Float32Array | Uint8Array | readonly number[]): void {
    if (spikes instanceof Int32Array) {
      const seen = new Set<number>();
      for (let k = 0; k < spikes.length; k++) {
        const i = check.integer(`spikes[${k}]`, spikes[k], 0, this.n - 1);
        if (seen.has(i)) throw new PlasticityError('E_PARAM', `spikes[${k}] repeats neuron ${i}`);
        seen.add(i);
      }
      this.count = spikes.length;
      for (let k = 0; k < spikes.length; k++) { this.pending[k] = spikes[k]!; this.pendingValue[k] = 1; }
      return;
    }
    if (!spikes || typeof spikes.length !== 'number') throw new PlasticityError('E_PARAM', `spikes must be an Int32Array of indices or a vector of length ${this.n}, got ${describeValue(spikes)}`);
    check.length('spikes', spikes.length, this.n);
    for (let i = 0; i < this.n; i++) if (!Number.isFinite(spikes[i])) throw new PlasticityError('E_PARAM', `spikes[${i}] must be finite, got ${describeValue(spikes[i])}`);
    let c = 0;
    for (let i = 0; i < this.n; i++) if (spikes[i] !== 0) { this.pending[c] = i; this.pendingValue[c] = spikes[i]!; c++; }
    this.count = c;
  }

  bind(dtMs: number): void {
    check.positive('dtMs', dtMs);
  }

  generate(_step: number, active: Int32Array, value: Float32Array): number {
    const c = this.count;
    for (let k = 0; k < c; k++) { const i = this.pending[k]!; active[k] = i; value[i] = this.pendingValue[k]!; }
    this.count = 0;
    return c;
  }

  reset(): void {
    this.count = 0;
  }

  getState(): { arrays: Record<string, Int32Array | Float64Array>; data: Record<string, unknown> } {
    return { arrays: { pending: this.pending.slice(), pendingValue: Float64Array.from(this.pendingValue) }, data: { count: this.count } };
  }

  setState(state: { arrays: Record<string, Int32Array | Float64Array | undefined>; data: Record<string, unknown> }): void {
    this.pending.set(state.arrays.pending!);
    this.pendingValue.set(state.arrays.pendingValue!);
    this.count = check.integer('count', state.data.count, 0, this.n);
  }
}
