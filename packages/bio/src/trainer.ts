import {
  createRegistry, createRng, describeValue, loadCheckpoint, PlasticityError, resolveParams, saveCheckpoint, toConfig,
  type Params, type PluginConfig, type PluginState, type Registry, type Rng, type Transform,
} from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';
import type { SizedSynapses } from './checks.js';
import { registerBuiltins } from './builtins.js';
import { resolveTarget, type BioTarget, type WeightSlot } from './targets.js';

/** A transform: the plugin, its registered name, or { transform, params }. */
export type TransformSpec = Transform<any, any> | string | { readonly transform: Transform<any, any> | string; readonly params?: Params };

/** The documented order inside one step. Gradient transforms run before the optimizer, in this order: */
export const GRADIENT_ORDER = ['bio/volume-lr', 'bio/fuzzy-lr', 'bio/crystallize'] as const;
/** Weight transforms run after the optimizer: synaptic scaling, any other (non-bio) transform in the
 *  order given, rejuvenation, and Dale's principle last, so that signs hold after everything else. */
export const WEIGHT_ORDER_FIRST = ['bio/synaptic-scaling'] as const;
export const WEIGHT_ORDER_LAST = ['bio/rejuvenate', 'bio/dale'] as const;

export interface BioTrainerOptions {
  /** Named tf.Variables / connections, a list of them, or a tfjs-layers LayersModel. Dense weights are
   *  W[pre, post] ([nPre, nPost]; a Dense layer's kernel is [inputDim, units], the same convention). */
  readonly target: BioTarget;
  readonly transforms: readonly TransformSpec[];
  /** Any tfjs optimizer (tf.train.adam(…)); its state is checkpointed with the factors. */
  readonly optimizer: tf.Optimizer;
  /** Seed of every draw (factors, signs, rejuvenation): same seed → same run, on every backend. */
  readonly seed: number;
  /** Where names are looked up and configs are checked on restore (default: a registry with the bio
   *  built-ins). */
  readonly registry?: Registry;
}

export interface StepOptions {
  /** Postsynaptic activity [batch, nPost] of this step per target name (activity-dependent factors,
   *  synaptic scaling by rate). */
  readonly activity?: Readonly<Record<string, tf.Tensor>>;
}

interface Entry {
  readonly transform: Transform<any, any>;
  readonly params: Params;
  state: PluginState;
}

interface Slot extends WeightSlot {
  readonly gradient: Entry[];
  readonly weights: Entry[];
  readonly synapses?: SizedSynapses;
}

function disposeReplaced(old: PluginState, next: PluginState): void {
  const keep = new Set(Object.values(next).filter((v) => v instanceof tf.Tensor));
  for (const v of Object.values(old)) if (v instanceof tf.Tensor && !keep.has(v) && !v.isDisposed) v.dispose();
}

function disposeState(state: PluginState): void {
  for (const v of Object.values(state)) if (v instanceof tf.Tensor && !v.isDisposed) v.dispose();
}

/**
 * The training-step helper: one call takes the gradients, applies the gradient transforms (volume-dependent
 * learning rate → fuzzy learning rates → crystallize), the optimizer step, then the weight transforms
 * (synaptic scaling → others → rejuvenation → Dale), on every weight of the target. The per-synapse
 * factors and the optimizer's state are checkpointed with the weights (`checkpoint`/`restore`).
 * Dale with `initialize` flips the weights to their signs at construction.
 */
export class BioTrainer {
  readonly registry: Registry;
  readonly optimizer: tf.Optimizer;
  private readonly slots: Slot[];
  private readonly configs: PluginConfig[];
  private steps = 0;
  private disposed = false;

  constructor(options: BioTrainerOptions) {
    if (!options || typeof options !== 'object') throw new PlasticityError('E_PARAM', `options must be an object, got ${describeValue(options)}`);
    const { optimizer, seed } = options;
    if (!optimizer || typeof (optimizer as tf.Optimizer).applyGradients !== 'function') {
      throw new PlasticityError('E_PARAM', `optimizer must be a tfjs optimizer (tf.train.adam(...)), got ${describeValue(optimizer)}`);
    }
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new PlasticityError('E_PARAM', `seed must be a safe integer, got ${describeValue(seed)}`);
    if (!Array.isArray(options.transforms)) throw new PlasticityError('E_PARAM', `transforms must be an array, got ${describeValue(options.transforms)}`);
    this.registry = options.registry ?? (() => { const r = createRegistry(); registerBuiltins(r); return r; })();
    this.optimizer = optimizer;
    // Everything is resolved and validated before any state is made.
    const resolved = options.transforms.map((t, i) => this.resolve(t, `transforms[${i}]`));
    const names = resolved.map((r) => r.transform.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) throw new PlasticityError('E_PARAM', `transforms: ${JSON.stringify(dup)} is given twice`);
    if (names.includes('bio/weight-splitting')) {
      throw new PlasticityError('E_PARAM', "transforms: 'bio/weight-splitting' acts on a layer's outputs in the forward pass; call splitOutputs(y, gamma) there instead");
    }
    const rank = (name: string) => {
      const g = (GRADIENT_ORDER as readonly string[]).indexOf(name);
      if (g >= 0) return g;
      if ((WEIGHT_ORDER_FIRST as readonly string[]).includes(name)) return 10;
      const l = (WEIGHT_ORDER_LAST as readonly string[]).indexOf(name);
      return l >= 0 ? 30 + l : 20;
    };
    const ordered = resolved.map((r, i) => ({ ...r, i })).sort((a, b) => rank(a.transform.name) - rank(b.transform.name) || a.i - b.i);
    const weightSlots = resolveTarget(options.target);
    const transformed = weightSlots.filter((s) => s.transformed);
    const root = createRng(seed);
    this.configs = resolved.map((r) => toConfig(r.transform, r.params));
    const made: Slot[] = [];
    try {
      for (const ws of weightSlots) {
        if (!ws.transformed) {
          made.push({ ...ws, gradient: [], weights: [] });
          continue;
        }
        const layer = transformed.indexOf(ws);
        const synapses = ws.structure ? this.synapseContext(ws, ordered, root) : undefined;
        const entries = ordered.map(({ transform, params }): Entry => {
          const p: Params = transform.name === 'bio/fuzzy-lr' && params.layerIndex === -1
            ? { ...params, layerIndex: layer, totalLayers: params.totalLayers === -1 ? transformed.length : params.totalLayers! } : params;
          const initSeed = root.stream(`${ws.name}/${transform.name}`).nextUint32();
          return { transform, params: p, state: (transform.init?.(ws.variable.shape, p, initSeed) ?? {}) as PluginState };
        });
        const isGradient = (e: Entry) => (GRADIENT_ORDER as readonly string[]).includes(e.transform.name);
        made.push({ ...ws, gradient: entries.filter(isGradient), weights: entries.filter((e) => !isGradient(e)), ...(synapses ? { synapses } : {}) });
      }
    } catch (error) {
      for (const s of made) this.disposeSlot(s);
      throw error;
    }
    this.slots = made;
    // Dale's initialisation (w ← |w|·sign) happens now, as in the reference's constructor.
    for (const s of this.slots) {
      const dale = s.weights.find((e) => e.transform.name === 'bio/dale');
      if (dale && dale.params.initialize) this.applyWeightEntry(s, dale, {});
    }
  }

  private resolve(t: TransformSpec, where: string): { transform: Transform<any, any>; params: Params } {
    const spec = typeof t === 'string' || (t as Transform)?.kind === 'transform' ? { transform: t as Transform | string } : (t as { transform: Transform | string; params?: Params });
    const transform = typeof spec?.transform === 'string' ? this.registry.get(spec.transform, 'transform') : spec?.transform;
    if (!transform || transform.kind !== 'transform') throw new PlasticityError('E_PARAM', `${where} must be a transform plugin, a registered name or { transform, params }, got ${describeValue(t)}`);
    return { transform, params: resolveParams(transform, spec.params ?? {}) };
  }

  private synapseContext(ws: WeightSlot, ordered: readonly { transform: Transform<any, any>; params: Params }[], root: Rng): SizedSynapses {
    const st = ws.structure!;
    const params: Record<string, tf.Tensor1D> = {};
    for (const { transform, params: p } of ordered) {
      const arrays = transform.synapseArrays?.(st, p as never, root.stream(`synapses/${ws.name}/${transform.name}`)) ?? {};
      for (const [key, v] of Object.entries(arrays)) params[key] = tf.tensor1d(v, 'float32');
    }
    return { pre: tf.tensor1d(st.pre, 'int32'), post: tf.tensor1d(st.post, 'int32'), params, nPre: st.nPre, nPost: st.nPost };
  }

  /** Steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** The names of the weights, in order, and whether the transforms act on each. */
  get weights(): { name: string; variable: tf.Variable; transformed: boolean }[] {
    return this.slots.map((s) => ({ name: s.name, variable: s.variable, transformed: s.transformed }));
  }

  /** A copy of one transform's state for a weight (tensors cloned; dispose them), e.g. the fuzzy factors. */
  stateOf(weight: string, transform: string): PluginState {
    const slot = this.slotByName(weight);
    const e = [...slot.gradient, ...slot.weights].find((x) => x.transform.name === transform);
    if (!e) throw new PlasticityError('E_PARAM', `transform must be one of ${[...slot.gradient, ...slot.weights].map((x) => JSON.stringify(x.transform.name)).join(', ')}, got ${describeValue(transform)}`);
    return Object.fromEntries(Object.entries(e.state).map(([k, v]) => [k, v instanceof tf.Tensor ? tf.clone(v) : v]));
  }

  /** The per-synapse arrays of a connection weight (copies, storage order), e.g. daleSign. */
  async synapseArrays(weight: string): Promise<Record<string, Float32Array>> {
    const slot = this.slotByName(weight);
    const out: Record<string, Float32Array> = {};
    for (const [k, v] of Object.entries(slot.synapses?.params ?? {})) out[k] = (await v.data()) as Float32Array;
    return out;
  }

  private slotByName(name: string): Slot {
    this.checkLive();
    const slot = this.slots.find((s) => s.name === name);
    if (!slot) throw new PlasticityError('E_PARAM', `weight must be one of ${this.slots.map((s) => JSON.stringify(s.name)).join(', ')}, got ${describeValue(name)}`);
    return slot;
  }

  private checkLive(): void {
    if (this.disposed) throw new PlasticityError('E_PARAM', 'this BioTrainer was disposed');
  }

  /**
   * One training step: loss → gradients → gradient transforms → optimizer → weight transforms. Returns the
   * loss (a scalar the caller disposes). Throws before anything changes when a gradient is missing for a
   * transformed weight, an activity a transform needs is missing or of the wrong shape, or the loss is not
   * a scalar.
   */
  stepWith(loss: () => tf.Scalar, options: StepOptions = {}): tf.Scalar {
    this.checkLive();
    if (typeof loss !== 'function') throw new PlasticityError('E_PARAM', `loss must be a function returning a scalar, got ${describeValue(loss)}`);
    const activity = options.activity ?? {};
    for (const key of Object.keys(activity)) this.slotByName(key);
    const vars = this.slots.map((s) => s.variable);
    const { value, grads } = tf.variableGrads(loss, vars);
    const newGrads: Record<string, tf.Tensor> = {};
    const pending: { entry: Entry; state: PluginState }[] = [];
    try {
      if (value.rank !== 0) throw new PlasticityError('E_SHAPE', `loss must return a scalar, got shape [${value.shape.join(', ')}]`);
      for (const s of this.slots) {
        const g = grads[s.variable.name];
        if (!g) {
          if (s.gradient.length > 0) throw new PlasticityError('E_PARAM', `no gradient found for the weights ${JSON.stringify(s.name)} (the loss does not depend on them)`);
          continue;
        }
        // pre-check of the weight stage's needs, so that nothing is left half done
        for (const e of s.weights) this.checkActivity(s, e, activity[s.name]);
        let cur = g;
        for (const e of s.gradient) {
          this.checkActivity(s, e, activity[s.name]);
          const out = e.transform.apply({ weights: s.variable, gradient: cur, ...(s.synapses ? { synapses: s.synapses } : {}), ...(activity[s.name] ? { activity: activity[s.name] } : {}) } as never, e.state, e.params);
          if (!out.gradient) throw new PlasticityError('E_PARAM', `${e.transform.name} returned no gradient`);
          if (cur !== g) cur.dispose();
          cur = out.gradient;
          pending.push({ entry: e, state: (out.state ?? e.state) as PluginState });
        }
        newGrads[s.variable.name] = cur === g ? tf.clone(g) : cur;
      }
    } catch (error) {
      tf.dispose([value, ...Object.values(grads), ...Object.values(newGrads)]);
      for (const p of pending) disposeReplaced(p.state, p.entry.state);
      throw error;
    }
    for (const p of pending) {
      disposeReplaced(p.entry.state, p.state);
      p.entry.state = p.state;
    }
    tf.dispose(Object.values(grads));
    this.optimizer.applyGradients(newGrads);
    tf.dispose(Object.values(newGrads));
    for (const s of this.slots) for (const e of s.weights) this.applyWeightEntry(s, e, activity);
    this.steps++;
    return value;
  }

  private checkActivity(s: Slot, e: Entry, a: tf.Tensor | undefined): void {
    const needs = (e.transform.name === 'bio/fuzzy-lr' && e.params.distribution === 'activity') || (e.transform.name === 'bio/synaptic-scaling' && e.params.mode === 'rate');
    if (!needs) return;
    const nPost = s.structure ? s.structure.nPost : s.variable.shape[1]!;
    if (!a || a.rank !== 2 || a.shape[1] !== nPost) {
      throw new PlasticityError('E_SHAPE', `${e.transform.name} on ${JSON.stringify(s.name)} needs options.activity[${JSON.stringify(s.name)}] of shape [batch, ${nPost}], got ${a ? `[${a.shape.join(', ')}]` : 'none'}`);
    }
  }

  private applyWeightEntry(s: Slot, e: Entry, activity: Readonly<Record<string, tf.Tensor>>): void {
    // the other weight transforms see Dale's signs of dense weights (rejuvenation re-draws with them);
    // stored synapses carry theirs in the synapse context
    const daleSign = s.weights.find((x) => x.transform.name === 'bio/dale')?.state.sign;
    const signs = e.transform.name !== 'bio/dale' && daleSign instanceof tf.Tensor ? { signs: daleSign } : {};
    const out = e.transform.apply({ weights: s.variable, ...(s.synapses ? { synapses: s.synapses } : {}), ...(activity[s.name] ? { activity: activity[s.name] } : {}), ...signs } as never, e.state, e.params);
    if (out.weights && out.weights !== s.variable) {
      s.variable.assign(out.weights);
      out.weights.dispose();
    }
    if (out.state) {
      disposeReplaced(e.state, out.state as PluginState);
      e.state = out.state as PluginState;
    }
  }

  /**
   * The whole training state as a core checkpoint: weights, every transform's state (per-synapse factors,
   * random streams, counters), per-synapse arrays, the optimizer's state and the step counter.
   */
  async checkpoint(): Promise<Uint8Array> {
    this.checkLive();
    const arrays: Record<string, tf.Tensor> = {};
    const scalars: Record<string, number> = {};
    for (const s of this.slots) {
      arrays[`w/${s.name}`] = s.variable;
      for (const e of [...s.gradient, ...s.weights]) {
        for (const [k, v] of Object.entries(e.state)) {
          if (v instanceof tf.Tensor) arrays[`s/${s.name}/${e.transform.name}/${k}`] = v;
          else if (typeof v === 'number') scalars[`${s.name}|${e.transform.name}|${k}`] = v;
        }
      }
      for (const [k, v] of Object.entries(s.synapses?.params ?? {})) arrays[`p/${s.name}/${k}`] = v;
    }
    const opt = await this.optimizer.getWeights();
    opt.forEach((w, i) => { arrays[`o/${i}`] = w.tensor; });
    try {
      return await saveCheckpoint({
        arrays,
        configs: Object.fromEntries(this.configs.map((c, i) => [`t${i}`, c])),
        data: { kind: 'bio-trainer', step: this.steps, scalars, optimizer: opt.map((w) => w.name), weights: this.slots.map((s) => s.name) },
      });
    } finally {
      // getWeights hands out the optimizer's own slot variables; only the iteration count is a new tensor
      tf.dispose(opt.map((w) => w.tensor).filter((t) => !(t instanceof tf.Variable)));
    }
  }

  /** Restores a checkpoint of a trainer built the same way (same target shapes, transforms and params).
   *  Everything is checked before anything is written. */
  async restore(bytes: Uint8Array): Promise<void> {
    this.checkLive();
    const ck = loadCheckpoint(bytes, this.registry);
    const data = ck.data as { kind?: string; step?: number; scalars?: Record<string, number>; optimizer?: string[]; weights?: string[] };
    const fail = (msg: string): never => { throw new PlasticityError('E_CHECKPOINT', msg); };
    if (data?.kind !== 'bio-trainer') fail('not a BioTrainer checkpoint');
    const mine = JSON.stringify(this.configs);
    const theirs = JSON.stringify(Object.keys(ck.rawConfigs).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1))).map((k) => ck.rawConfigs[k]));
    if (mine !== theirs) fail(`the checkpoint's transforms ${theirs} differ from this trainer's ${mine}`);
    if (JSON.stringify(data.weights) !== JSON.stringify(this.slots.map((s) => s.name))) fail(`the checkpoint holds weights ${JSON.stringify(data.weights)}, this trainer ${JSON.stringify(this.slots.map((s) => s.name))}`);
    const need = (key: string, size: number) => {
      const a = ck.arrays[key];
      if (!a) return fail(`array ${JSON.stringify(key)} is missing`);
      if (a.data.length !== size) fail(`array ${JSON.stringify(key)} has ${a.data.length} values, expected ${size}`);
      return a;
    };
    const writes: (() => void)[] = [];
    for (const s of this.slots) {
      const w = need(`w/${s.name}`, s.variable.size);
      writes.push(() => {
        const t = tf.tensor(w.data as Float32Array, s.variable.shape, 'float32');
        s.variable.assign(t);
        t.dispose();
      });
      for (const e of [...s.gradient, ...s.weights]) {
        const next: Record<string, tf.Tensor | number> = {};
        const prefix = `s/${s.name}/${e.transform.name}/`;
        for (const key of Object.keys(ck.arrays).filter((k) => k.startsWith(prefix))) {
          const a = ck.arrays[key]!;
          next[key.slice(prefix.length)] = { shape: a.shape, data: a.data } as never;
        }
        const sp = `${s.name}|${e.transform.name}|`;
        for (const [k, v] of Object.entries(data.scalars ?? {})) if (k.startsWith(sp)) next[k.slice(sp.length)] = v;
        for (const [k, v] of Object.entries(e.state)) {
          if (!(k in next)) fail(`state ${JSON.stringify(k)} of ${e.transform.name} on ${JSON.stringify(s.name)} is missing`);
          if (v instanceof tf.Tensor && (next[k] as unknown as { data: ArrayLike<number> }).data.length !== v.size) fail(`state ${JSON.stringify(k)} of ${e.transform.name} on ${JSON.stringify(s.name)} has the wrong size`);
        }
        writes.push(() => {
          const state = Object.fromEntries(Object.entries(next).map(([k, v]) => [k, typeof v === 'number' ? v : tf.tensor((v as unknown as { data: Float32Array }).data, (v as unknown as { shape: number[] }).shape, ((v as unknown as { data: unknown }).data instanceof Int32Array ? 'int32' : 'float32'))]));
          disposeState(e.state);
          e.state = state as PluginState;
        });
      }
      for (const [k, t] of Object.entries(s.synapses?.params ?? {})) {
        const a = need(`p/${s.name}/${k}`, t.size);
        writes.push(() => {
          (s.synapses!.params as Record<string, tf.Tensor1D>)[k] = tf.tensor1d(a.data as Float32Array, 'float32');
          t.dispose();
        });
      }
    }
    const optNames = data.optimizer ?? [];
    const opt = optNames.map((name, i) => ({ name, a: need(`o/${i}`, ck.arrays[`o/${i}`]?.data.length ?? -1) }));
    for (const w of writes) w();
    if (opt.length > 0) {
      // setWeights makes its own slot variables (sharing these buffers) and drops the old ones undisposed
      const old = (await this.optimizer.getWeights()).map((w) => w.tensor);
      const values = opt.map(({ name, a }) => ({ name, tensor: tf.tensor(a.data as Float32Array, [...a.shape], a.dtype === 'int32' ? 'int32' : 'float32') }));
      await this.optimizer.setWeights(values);
      tf.dispose([...old, ...values.map((v) => v.tensor)]);
    }
    this.steps = data.step ?? 0;
  }

  private disposeSlot(s: Slot): void {
    for (const e of [...s.gradient, ...s.weights]) disposeState(e.state);
    if (s.synapses) tf.dispose([s.synapses.pre, s.synapses.post, ...Object.values(s.synapses.params)]);
  }

  /** Frees the transforms' state (the weights and the optimizer belong to the caller). */
  dispose(): void {
    if (this.disposed) return;
    for (const s of this.slots) this.disposeSlot(s);
    this.disposed = true;
  }
}
