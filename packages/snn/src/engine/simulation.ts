import type { StepIO } from '@plasticity/core/fused';
import { SpikeMonitor, StateMonitor, WeightMonitor } from '../monitors.js';
import { EMPTY_I32, clearSpikes, memberSpikes, type Group, type Projection } from './model.js';

/**
 * The simulation core: populations and projections over typed arrays and the fused step (Brian2's
 * schedule: state update and threshold → propagation and plasticity → input and reset). Nothing here
 * needs a tfjs backend; Network builds it and runs the tensor-path parts around it.
 */
export class Simulation {
  readonly groups: Group[] = [];
  readonly projections: Projection[] = [];
  readonly modulators = new Map<string, number>();
  readonly monitors: (SpikeMonitor | StateMonitor | WeightMonitor)[] = [];
  /** Steps taken since construction or the last reset. */
  n = 0;
  /** Independent members simulated together (population networks); 1 for a plain network. */
  members = 1;
  /** Per member, or one value for all: the neuromodulator signals. */
  memberModulators = new Map<string, Float32Array>();
  private readonly preCursor = { at: 0 };
  private readonly postCursor = { at: 0 };

  readonly io: StepIO = {
    n: 0, preActive: EMPTY_I32, preCount: 0, preValue: new Float32Array(0), postActive: EMPTY_I32, postCount: 0,
    postValue: new Float32Array(0), input: new Float32Array(0), binary: true, modulator: 0, w: new Float32Array(0),
  };

  integrateAll(): void {
    const n = this.n;
    for (const g of this.groups) {
      clearSpikes(g);
      if (g.source) g.count = g.source.generate(n, g.active, g.value);
      else if (g.kernel) g.count = g.kernel.integrate(g.active, g.value);
      if (g.replicate) this.replicate(g);
    }
  }

  /** Copies member 0's spikes of a shared source to every other member (blocks stay in index order). */
  private replicate(g: Group): void {
    const c0 = g.count, n = g.n, { active, value } = g;
    for (let m = 1; m < this.members; m++) {
      const off = m * n, at = m * c0;
      for (let c = 0; c < c0; c++) { const i = active[c]!; active[at + c] = off + i; value[off + i] = value[i]!; }
    }
    g.count = c0 * this.members;
  }

  projectAll(): void {
    const io = this.io;
    for (const p of this.projections) {
      if (p.members) this.projectMembers(p);
      else {
        this.fillIO(p);
        p.kernel.step(io);
        for (const t of p.transforms) t.fused!.apply(io.w, io.n);
      }
      this.pushRing(p);
    }
  }

  fillIO(p: Projection): void {
    const io = this.io;
    io.n = this.n;
    if (p.ring) {
      const slot = this.n % p.delay;
      io.preActive = p.ring.active[slot]!;
      io.preCount = p.ring.count[slot]!;
      io.preValue = p.ring.value[slot]!;
    } else {
      io.preActive = p.pre.active;
      io.preCount = p.pre.count;
      io.preValue = p.pre.value;
    }
    io.binary = p.binaryPre;
    io.postActive = p.post.active;
    io.postCount = p.post.count;
    io.postValue = p.post.value;
    io.input = p.post.inputs![p.channel]!;
    io.modulator = p.modulator !== null ? (this.modulators.get(p.modulator) ?? 0) : 0;
    io.w = p.w!;
  }

  /** Every member's kernel on its own slices: member k sees exactly what the network alone would. */
  private projectMembers(p: Projection): void {
    const io = this.io, mm = p.members!;
    const slot = p.ring ? this.n % p.delay : 0;
    const preActive = p.ring ? p.ring.active[slot]! : p.pre.active;
    const preCount = p.ring ? p.ring.count[slot]! : p.pre.count;
    const mod = p.modulator !== null ? this.memberModulators.get(p.modulator) : undefined;
    this.preCursor.at = 0;
    this.postCursor.at = 0;
    io.n = this.n;
    io.binary = p.binaryPre;
    for (let m = 0; m < this.members; m++) {
      io.preActive = mm.pre;
      io.preCount = memberSpikes(preActive, preCount, p.pre.n, m, mm.pre, this.preCursor);
      io.preValue = p.ring ? mm.ringValue[slot]![m]! : mm.preValue[m]!;
      io.postActive = mm.post;
      io.postCount = memberSpikes(p.post.active, p.post.count, p.post.n, m, mm.post, this.postCursor);
      io.postValue = mm.postValue[m]!;
      io.input = mm.input[m]!;
      io.modulator = mod ? mod[m]! : 0;
      io.w = mm.wViews[m]!;
      mm.kernels[m]!.step(io);
      for (const t of mm.transforms) t[m]!.apply(io.w, io.n);
    }
  }

  pushRing(p: Projection): void {
    if (!p.ring) return;
    const slot = this.n % p.delay;
    const act = p.ring.active[slot]!, val = p.ring.value[slot]!;
    for (let c = 0; c < p.ring.count[slot]!; c++) val[act[c]!] = 0;
    const g = p.pre;
    for (let c = 0; c < g.count; c++) { const i = g.active[c]!; act[c] = i; val[i] = g.value[i]!; }
    p.ring.count[slot] = g.count;
  }

  finishStep(): void {
    for (const m of this.monitors) this.record(m);
    for (const g of this.groups) {
      if (g.kernel) g.kernel.deliver(g.active, g.count);
    }
    this.n++;
  }

  stepFused(): void {
    this.integrateAll();
    this.projectAll();
    this.finishStep();
  }

  record(m: SpikeMonitor | StateMonitor | WeightMonitor): void {
    if (m instanceof SpikeMonitor) {
      const g = this.groups.find((x) => x.name === m.population)!;
      if (g.count > 0) m.add(this.n, g.active, g.count, g.value);
    } else if (m instanceof StateMonitor) {
      if (this.n % m.every === 0) {
        const g = this.groups.find((x) => x.name === m.population)!;
        m.add(this.n, g.arrays![m.variable]!);
      }
    } else if (this.n % m.every === 0) {
      const p = this.projections.find((x) => x.name === m.projection)!;
      if (p.members) {
        p.members.kernels.forEach((k, i) => k.publish?.(p.members!.wViews[i]!));
        m.add(this.n, p.members.w!);
      } else {
        p.kernel.publish?.(p.w!);
        m.add(this.n, p.w!);
      }
    }
  }

  get fusedOnly(): boolean {
    return this.groups.every((g) => g.source || g.kernel) && this.projections.every((p) => p.engine.engine === 'fused');
  }
}
