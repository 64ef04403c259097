import * as tf from '@tensorflow/tfjs-core';
import type { Tensor } from '@tensorflow/tfjs-core';
import { PlasticityError, crc32, describeValue, loadCheckpoint, saveCheckpoint, type PluginConfig, type PluginState, type Registry } from '@plasticity/core';
import type { FusedKernelState } from '@plasticity/core/fused';
import { disposeState, weightStamp, type Projection } from './model.js';
import { fillMembers } from './weights.js';
import type { Simulation } from './simulation.js';

/** The whole state (weights, neuron and rule state, sources' random state, delay lines, step) as a core checkpoint. */
export async function saveNetworkCheckpoint(sim: Simulation, dtMs: number, configs: Record<string, PluginConfig>): Promise<Uint8Array> {
  const arrays: Record<string, Float32Array | Float64Array | Int32Array | Tensor> = {};
  const data: Record<string, unknown> = {
    kind: 'plasticity-snn-network', step: sim.n, dtMs: dtMs, members: sim.members, modulators: Object.fromEntries(sim.modulators),
    memberModulators: Object.fromEntries([...sim.memberModulators].map(([k, v]) => [k, Array.from(v)])),
  };
  const groups: Record<string, unknown> = {};
  for (const g of sim.groups) {
    for (const [k, arr] of Object.entries(g.arrays ?? {})) arrays[`g/${g.name}/${k}`] = arr;
    for (const [k, arr] of Object.entries(g.inputs ?? {})) arrays[`g/${g.name}/in/${k}`] = arr;
    for (const [k, t] of Object.entries(g.tensorState ?? {})) if (t instanceof tf.Tensor) arrays[`g/${g.name}/t/${k}`] = t;
    if (g.source) {
      const st = g.source.getState();
      for (const [k, arr] of Object.entries(st.arrays)) arrays[`s/${g.name}/${k}`] = arr;
      groups[g.name] = { n: g.n, source: st.data };
    } else groups[g.name] = { n: g.n };
  }
  const projections: Record<string, unknown> = {};
  for (const p of sim.projections) {
    const kernels = p.members ? p.members.kernels : [p.kernel];
    if (p.members) {
      if (!p.members.w) fillMembers(p, await p.w0);
      kernels.forEach((k, m) => k.publish?.(p.members!.wViews[m]!));
      arrays[`p/${p.name}/w`] = p.members.w!;
    } else arrays[`p/${p.name}/w`] = await p.conn.getWeights();
    // one kernel state per member: member 0 under r/, member m under r@m/
    const states = kernels.map((k, m) => {
      const st = k.state();
      for (const [key, arr] of Object.entries(st.arrays)) arrays[`p/${p.name}/r${member(m)}/${key}`] = arr;
      return st.data;
    });
    for (const [k, t] of Object.entries(p.ruleState ?? {})) if (t instanceof tf.Tensor) arrays[`p/${p.name}/t/${k}`] = t;
    for (const [k, v] of Object.entries(p.synapses)) arrays[`p/${p.name}/s/${k}`] = v;
    const transforms = p.transforms.map((t, i) => {
      for (const [k, v] of Object.entries(t.tensorState ?? {})) if (v instanceof tf.Tensor) arrays[`p/${p.name}/xt${i}/${k}`] = v;
      return (p.members ? p.members.transforms[i]! : t.fused ? [t.fused] : []).map((f, m) => {
        const ts = f.state?.();
        for (const [k, v] of Object.entries(ts?.arrays ?? {})) arrays[`p/${p.name}/x${i}${member(m)}/${k}`] = v;
        return ts?.data ?? {};
      });
    });
    if (p.ring) {
      p.ring.active.forEach((a, s) => { arrays[`p/${p.name}/ring/a${s}`] = a; arrays[`p/${p.name}/ring/v${s}`] = p.ring!.value[s]!; });
      arrays[`p/${p.name}/ring/count`] = p.ring.count;
    }
    projections[p.name] = { nnz: p.table.nnz, format: p.conn.format, structure: structureCrc(p), engine: p.engine.engine, rules: states, transforms };
  }
  data.groups = groups;
  data.projections = projections;
  return saveCheckpoint({ arrays, configs: configs, data: JSON.parse(JSON.stringify(data)) });
}

/**
 * Restores a checkpoint of a network built the same way (same populations, projections, plugins and
 * parameters). Everything is checked before anything changes; loading twice gives the same state.
 */
export function loadNetworkCheckpoint(sim: Simulation, dtMs: number, registry: Registry, mine: Record<string, PluginConfig>, bytes: Uint8Array): void {
  const ck = loadCheckpoint(bytes, registry);
  const data = ck.data as Record<string, any>;
  const fail = (msg: string): never => { throw new PlasticityError('E_CHECKPOINT', msg); };
  if (!data || data.kind !== 'plasticity-snn-network') fail('checkpoint is not a plasticity snn network checkpoint');
  if (data.dtMs !== dtMs) fail(`checkpoint dtMs ${describeValue(data.dtMs)} differs from this network's ${dtMs}`);
  if ((data.members ?? 1) !== sim.members) fail(`checkpoint has ${describeValue(data.members)} members, this network ${sim.members}`);
  const mods = data.memberModulators ?? {};
  for (const [k, v] of Object.entries(mods)) if (!Array.isArray(v) || v.length !== sim.members || !v.every(Number.isFinite)) fail(`checkpoint modulator ${k} must hold ${sim.members} finite values`);
  const theirs = ck.rawConfigs;
  if (JSON.stringify(Object.keys(mine).sort()) !== JSON.stringify(Object.keys(theirs).sort())) {
    fail(`checkpoint plugins ${Object.keys(theirs).join(', ')} differ from this network's ${Object.keys(mine).join(', ')}`);
  }
  for (const [k, c] of Object.entries(mine)) {
    const t = theirs[k]!;
    if (t.name !== c.name || JSON.stringify(t.params) !== JSON.stringify(c.params)) fail(`checkpoint ${k} is ${t.name} ${JSON.stringify(t.params)}, this network has ${c.name} ${JSON.stringify(c.params)}`);
  }
  const arr = (key: string, ctor: abstract new (...args: never[]) => unknown, length: number): any => {
    const a = ck.arrays[key];
    if (!a || !(a.data instanceof ctor) || a.data.length !== length) fail(`checkpoint array ${key} missing or not a ${ctor.name} of length ${length}`);
    return a!.data;
  };
  /** A kernel's arrays from the checkpoint, each of its own type and length, and its scalars present. */
  const kernelArrays = (prefix: string, st: FusedKernelState, scalars: Record<string, unknown> | undefined, what: string) => {
    const out: Record<string, Float64Array | Int32Array | Float32Array> = {};
    // every array at its own length, so nothing is half-written or overruns
    for (const [k, a] of Object.entries(st.arrays)) out[k] = arr(`${prefix}/${k}`, a.constructor as abstract new (...args: never[]) => unknown, a.length);
    for (const k of Object.keys(st.data)) if (typeof scalars?.[k] !== 'number') fail(`checkpoint value ${k} of the ${what} missing`);
    return out;
  };
  /** Checks a tensor state's arrays now; the returned step replaces the state with new tensors. */
  const tensorState = (prefix: string, state: PluginState, assign: (next: PluginState) => void): (() => void) => {
    const src: Record<string, ArrayLike<number>> = {};
    for (const [k, t] of Object.entries(state)) {
      if (!(t instanceof tf.Tensor)) continue;
      const a = ck.arrays[`${prefix}/${k}`];
      if (!a || a.data.length !== t.size) fail(`checkpoint array ${prefix}/${k} missing or of the wrong size`);
      src[k] = a!.data;
    }
    return () => {
      const next: Record<string, Tensor | number> = { ...(state as Record<string, Tensor | number>) };
      for (const [k, t] of Object.entries(state)) if (t instanceof tf.Tensor) next[k] = tf.tensor(Array.from(src[k]!), t.shape, t.dtype);
      disposeState(state);
      assign(next as PluginState);
    };
  };
  // Validate every array first.
  const plan: (() => void)[] = [];
  for (const g of sim.groups) {
    const gd = data.groups?.[g.name];
    if (!gd || gd.n !== g.n) fail(`checkpoint has no population ${JSON.stringify(g.name)} of size ${g.n}`);
    for (const [k, a] of Object.entries(g.arrays ?? {})) { const src = arr(`g/${g.name}/${k}`, Float32Array, a.length); plan.push(() => a.set(src)); }
    for (const [k, a] of Object.entries(g.inputs ?? {})) { const src = arr(`g/${g.name}/in/${k}`, Float32Array, a.length); plan.push(() => a.set(src)); }
    if (g.tensorState) plan.push(tensorState(`g/${g.name}/t`, g.tensorState, (next) => { g.tensorState = next; }));
    if (g.source) {
      const st = g.source.getState();
      const arrays: Record<string, Int32Array | Float64Array> = {};
      for (const [k, a] of Object.entries(st.arrays)) arrays[k] = arr(`s/${g.name}/${k}`, a.constructor as abstract new (...args: never[]) => unknown, a.length);
      const sdata = gd.source;
      if (!sdata || typeof sdata !== 'object') fail(`checkpoint has no source state for ${JSON.stringify(g.name)}`);
      const probe = g.source;
      plan.push(() => probe.setState({ arrays, data: sdata }));
    }
  }
  for (const p of sim.projections) {
    const pd = data.projections?.[p.name];
    if (!pd || pd.nnz !== p.table.nnz || pd.engine !== p.engine.engine) fail(`checkpoint projection ${JSON.stringify(p.name)} does not match this network's`);
    // weights and per-synapse arrays are in storage order: the same synapses, stored the same way
    if (pd.format !== p.conn.format) fail(`checkpoint projection ${JSON.stringify(p.name)} was a ${describeValue(pd.format)} connection, this network's is '${p.conn.format}' (move values between formats with synapsePermutation from @plasticity/sparse)`);
    if (pd.structure !== structureCrc(p)) fail(`checkpoint projection ${JSON.stringify(p.name)} connects other synapses than this network's (different structure)`);
    const kernels = p.members ? p.members.kernels : [p.kernel];
    const w = arr(`p/${p.name}/w`, Float32Array, p.table.nnz * kernels.length);
    if (!Array.isArray(pd.rules) || pd.rules.length !== kernels.length) fail(`checkpoint projection ${JSON.stringify(p.name)} has no kernel state for ${kernels.length} member(s)`);
    const rs = kernels.map((k, m) => kernelArrays(`p/${p.name}/r${member(m)}`, k.state(), pd.rules[m], `rule of ${p.name}`));
    const syn = Object.entries(p.synapses).map(([k, v]) => [v, arr(`p/${p.name}/s/${k}`, Float32Array, v.length)] as const);
    plan.push(() => {
      if (p.members) {
        fillMembers(p, w.subarray(0, p.table.nnz));
        p.members.w!.set(w);
      } else {
        p.conn.setWeights(Float32Array.from(w));
        p.published = weightStamp(p.conn);
        p.host = null;
      }
      kernels.forEach((k, m) => k.setState(rs[m]!, pd.rules[m]));
      for (const [target, src] of syn) target.set(src);
    });
    p.transforms.forEach((t, i) => {
      const fused = p.members ? p.members.transforms[i]! : t.fused ? [t.fused] : [];
      fused.forEach((f, m) => {
        const fs = f.state?.();
        if (!fs) return;
        const scalars = pd.transforms?.[i]?.[m];
        const ta = kernelArrays(`p/${p.name}/x${i}${member(m)}`, fs, scalars, `transform ${i} of ${p.name}`);
        plan.push(() => f.setState!(ta, scalars));
      });
      if (t.tensorState) plan.push(tensorState(`p/${p.name}/xt${i}`, t.tensorState, (next) => { t.tensorState = next; }));
    });
    if (p.ring) {
      const ring = p.ring;
      const cnt = arr(`p/${p.name}/ring/count`, Int32Array, p.delay);
      const as = ring.active.map((a, s) => arr(`p/${p.name}/ring/a${s}`, Int32Array, a.length));
      const vs = ring.value.map((v, s) => arr(`p/${p.name}/ring/v${s}`, Float32Array, v.length));
      plan.push(() => { ring.count.set(cnt); as.forEach((a: Int32Array, s: number) => ring.active[s]!.set(a)); vs.forEach((v: Float32Array, s: number) => ring.value[s]!.set(v)); });
    }
    if (p.ruleState) plan.push(tensorState(`p/${p.name}/t`, p.ruleState, (next) => { p.ruleState = next; }));
  }
  const step = data.step;
  if (!Number.isSafeInteger(step) || step < 0) fail(`checkpoint step must be a non-negative integer, got ${describeValue(step)}`);
  // Apply.
  for (const f of plan) f();
  for (const g of sim.groups) { g.value.fill(0); g.count = 0; }
  sim.modulators.clear();
  for (const [k, v] of Object.entries((data.modulators ?? {}) as Record<string, number>)) sim.modulators.set(k, v);
  sim.memberModulators.clear();
  for (const [k, v] of Object.entries((data.memberModulators ?? {}) as Record<string, number[]>)) sim.memberModulators.set(k, Float32Array.from(v));
  sim.n = step;
}

/** Key suffix of member m's kernel and transform state (none for member 0, as a plain network). */
const member = (m: number): string => (m === 0 ? '' : `@${m}`);

/** A checksum of the (pre, post) pair of every stored synapse, in storage order. */
function structureCrc(p: Projection): number {
  if (p.table.dense) return 0; // every pair, row-major
  const { pre, post } = p.structure();
  const bytes = new Uint8Array(pre.byteLength + post.byteLength);
  bytes.set(new Uint8Array(pre.buffer, pre.byteOffset, pre.byteLength));
  bytes.set(new Uint8Array(post.buffer, post.byteOffset, post.byteLength), pre.byteLength);
  return crc32(bytes);
}
