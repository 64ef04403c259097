/** Growable typed storage. */
class Grow<T extends Int32Array | Float32Array> {
  private buf: T;
  length = 0;
  constructor(private readonly make: (n: number) => T) {
    this.buf = make(1024);
  }
  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = this.make(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }
  pushAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.push(values[i]!);
  }
  view(): T {
    return this.buf.slice(0, this.length) as T;
  }
  clear(): void {
    this.length = 0;
  }
}

/** Every spike of a population: step, neuron index and event value (1, or ±1 for ternary neurons). */
export class SpikeMonitor {
  private readonly stepsBuf = new Grow((n) => new Int32Array(n));
  private readonly indexBuf = new Grow((n) => new Int32Array(n));
  private readonly valueBuf = new Grow((n) => new Float32Array(n));
  constructor(readonly population: string, private readonly dtMs: number) {}
  /** @internal */
  add(step: number, active: Int32Array, count: number, value: Float32Array): void {
    for (let c = 0; c < count; c++) {
      const i = active[c]!;
      this.stepsBuf.push(step);
      this.indexBuf.push(i);
      this.valueBuf.push(value[i]!);
    }
  }
  get count(): number {
    return this.stepsBuf.length;
  }
  /** Step of every spike. */
  steps(): Int32Array {
    return this.stepsBuf.view();
  }
  /** Time of every spike in ms (step · dt). */
  timesMs(): Float64Array {
    return Float64Array.from(this.stepsBuf.view(), (s) => s * this.dtMs);
  }
  indices(): Int32Array {
    return this.indexBuf.view();
  }
  values(): Float32Array {
    return this.valueBuf.view();
  }
  /** Spike count per neuron. */
  counts(n: number): Int32Array {
    const out = new Int32Array(n);
    const idx = this.indexBuf.view();
    for (let k = 0; k < idx.length; k++) out[idx[k]!]!++;
    return out;
  }
  clear(): void {
    this.stepsBuf.clear();
    this.indexBuf.clear();
    this.valueBuf.clear();
  }
}

/** A state variable of some neurons, recorded after every `every`-th step. */
export class StateMonitor {
  private readonly stepsBuf = new Grow((n) => new Int32Array(n));
  private readonly valuesBuf = new Grow((n) => new Float32Array(n));
  constructor(readonly population: string, readonly variable: string, readonly every: number, readonly indices: Int32Array, private readonly dtMs: number) {}
  /** @internal */
  add(step: number, values: Float32Array): void {
    this.stepsBuf.push(step);
    for (let k = 0; k < this.indices.length; k++) this.valuesBuf.push(values[this.indices[k]!]!);
  }
  steps(): Int32Array {
    return this.stepsBuf.view();
  }
  timesMs(): Float64Array {
    return Float64Array.from(this.stepsBuf.view(), (s) => s * this.dtMs);
  }
  /** Values as [samples × indices.length], row-major. */
  values(): Float32Array {
    return this.valuesBuf.view();
  }
  clear(): void {
    this.stepsBuf.clear();
    this.valuesBuf.clear();
  }
}

/** Copies of a projection's weights (storage order), after every `every`-th step. */
export class WeightMonitor {
  readonly snapshots: Float32Array[] = [];
  readonly stepsTaken: number[] = [];
  constructor(readonly projection: string, readonly every: number, private readonly dtMs: number) {}
  /** @internal */
  add(step: number, w: Float32Array): void {
    this.stepsTaken.push(step);
    this.snapshots.push(Float32Array.from(w));
  }
  timesMs(): Float64Array {
    return Float64Array.from(this.stepsTaken, (s) => s * this.dtMs);
  }
  clear(): void {
    this.snapshots.length = 0;
    this.stepsTaken.length = 0;
  }
}
