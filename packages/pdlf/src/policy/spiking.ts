import { PlasticityError, Problems, type Registry } from '@plasticity/core';
import { PDLF_COEFFICIENTS, registerBuiltins } from '@plasticity/rules';
import { Network } from '@plasticity/snn';
import { createRegistry } from '@plasticity/core';
import { GruBranch } from './gru.js';
import { lesion } from './lesion.js';

/**
 * The PDLF spiking policy: external input → one or more plastic hidden layers of ternary LIF
 * neurons → a readout population, every projection dense, plastic under core/pdp (working memory)
 * or core/scp (control), with fast weights that start at zero. The genome is the per-synapse
 * coefficients lr, A, B, C, D of every projection (nothing else is evolved, as in the official code);
 * `build(members)` makes a population network whose members each run one genome.
 *
 * With `plastic: false` it is the weight-trained baseline of the same architecture (the official
 * `MLPSnnPolicy`): no plasticity, and the genome is every projection's weights followed by a bias
 * per neuron of each non-input layer (injected as input current every step).
 *
 * With `gru: H` an evolved, non-plastic GRU branch of H units reads the input and adds its output to
 * the readout (the official working-memory policy); with `hidden: []` and `gru: H` the policy is that
 * GRU alone (the official baseline, `GruPolicy`), with no spiking network.
 */
export interface SpikingPolicyOptions {
  readonly nIn: number;
  /** Sizes of the hidden layers. */
  readonly hidden: readonly number[];
  readonly nOut: number;
  readonly rule: 'core/pdp' | 'core/scp';
  /** Terms of the rule in use ('ABCD'; 'BD' is the official ablation). */
  readonly terms: string;
  /** Firing threshold of the ternary LIF neurons (the official 0.1). */
  readonly vThresh: number;
  /** false: the weight-trained baseline (weights and biases evolved, no plasticity). */
  readonly plastic: boolean;
  /** Give every projection the `pdlf/lesion` transform, so that `block` can silence neurons for good. */
  readonly lesion: boolean;
  /** Units of an evolved GRU branch added to the readout (0: none). */
  readonly gru: number;
}

export const SPIKING_POLICY_DEFAULTS: SpikingPolicyOptions = { nIn: 3, hidden: [128], nOut: 1, rule: 'core/pdp', terms: 'ABCD', vThresh: 0.1, plastic: true, lesion: false, gru: 0 };

/** Where each part of the genome goes: a projection's coefficient array (plastic), its weights or a layer's biases (baseline). */
export interface GenomeSlice {
  /** A projection ('in->h0') or, for biases, a layer ('h0'). */
  readonly target: string;
  readonly key: (typeof PDLF_COEFFICIENTS)[number] | 'weights' | 'bias' | 'gru';
  readonly offset: number;
  readonly length: number;
}

export function validateSpikingPolicy(o: SpikingPolicyOptions): string[] {
  const v = new Problems();
  const size = (name: string, x: unknown) => v.add(Number.isSafeInteger(x) && (x as number) >= 1, `${name} must be an integer >= 1, got ${String(x)}`);
  size('nIn', o.nIn);
  size('nOut', o.nOut);
  v.add(Number.isSafeInteger(o.gru) && o.gru >= 0, `gru must be an integer >= 0 (units of the GRU branch), got ${String(o.gru)}`);
  const gruOnly = Array.isArray(o.hidden) && o.hidden.length === 0 && o.gru > 0;
  if (v.add(Array.isArray(o.hidden) && (o.hidden.length >= 1 || gruOnly), `hidden must be a non-empty array of layer sizes (or [] with a GRU branch), got ${JSON.stringify(o.hidden)}`)) {
    o.hidden.forEach((h, i) => size(`hidden[${i}]`, h));
  }
  v.oneOf('rule', o.rule, ['core/pdp', 'core/scp']);
  v.add(typeof o.terms === 'string' && /^[ABCD]*$/.test(o.terms), `terms must be letters from "ABCD", got ${JSON.stringify(o.terms)}`);
  v.nonNegative('vThresh', o.vThresh);
  for (const k of ['plastic', 'lesion'] as const) v.add(typeof o[k] === 'boolean', `${k} must be true or false, got ${JSON.stringify(o[k])}`);
  return v.list;
}

export class SpikingPolicy {
  readonly options: SpikingPolicyOptions;
  /** Layer names in order: 'in', 'h0', …, 'out'. */
  readonly layers: readonly { readonly name: string; readonly n: number }[];
  readonly slices: readonly GenomeSlice[];
  /** Genome length. */
  readonly dim: number;
  /** The GRU branch (null without one). */
  readonly gru: GruBranch | null;
  /** False for the GRU alone: no spiking network to build. */
  readonly spiking: boolean;
  private readonly registry: Registry;

  constructor(options: Partial<SpikingPolicyOptions> = {}, registry?: Registry) {
    const o = { ...SPIKING_POLICY_DEFAULTS, ...options };
    const problems = validateSpikingPolicy(o);
    if (problems.length) throw new PlasticityError('E_PARAM', `spiking policy: ${problems.join('; ')}`);
    this.options = o;
    this.layers = [{ name: 'in', n: o.nIn }, ...o.hidden.map((n, i) => ({ name: `h${i}`, n })), { name: 'out', n: o.nOut }];
    const slices: GenomeSlice[] = [];
    let offset = 0;
    const add = (target: string, key: GenomeSlice['key'], length: number) => { slices.push({ target, key, offset, length }); offset += length; };
    this.spiking = o.hidden.length > 0; // false: the GRU alone, no network and no network genome
    for (let l = 1; l < this.layers.length && this.spiking; l++) {
      const target = `${this.layers[l - 1]!.name}->${this.layers[l]!.name}`;
      const length = this.layers[l - 1]!.n * this.layers[l]!.n;
      if (o.plastic) for (const key of PDLF_COEFFICIENTS) add(target, key, length);
      else add(target, 'weights', length);
    }
    if (!o.plastic && this.spiking) for (const layer of this.layers.slice(1)) add(layer.name, 'bias', layer.n);
    this.gru = o.gru > 0 ? new GruBranch(o.nIn, o.gru, o.nOut) : null;
    if (this.gru) add('gru', 'gru', this.gru.dim);
    this.slices = slices;
    this.dim = offset;
    if (registry) this.registry = registry;
    else { this.registry = createRegistry(); registerBuiltins(this.registry); }
    if (o.lesion) this.registry.register(lesion);
  }

  /**
   * A population network of `members` members, fast weights at zero. The rule sees the input and the
   * readout raw and the hidden layers through the official trace (x/e + s·(1 − 1/e), τ = dt).
   */
  build(members: number, seed = 1): Network {
    const o = this.options;
    if (!this.spiking) throw new PlasticityError('E_PARAM', 'spiking policy: a GRU-only policy has no network to build');
    const net = new Network({ dtMs: 1, seed, registry: this.registry, members, fallback: 'error' });
    net.addExternal('in', { n: o.nIn, values: true }); // observations enter with their values
    for (const layer of this.layers.slice(1)) {
      net.addPopulation(layer.name, { n: layer.n, neuron: 'core/ternary-lif', params: { vThresh: o.vThresh } });
    }
    for (let l = 1; l < this.layers.length; l++) {
      const pre = this.layers[l - 1]!, post = this.layers[l]!;
      const connection = { format: 'dense', random: { p: 1, seed: l, init: 0 } } as const;
      const transforms = o.lesion ? [lesion.name] : [];
      if (!o.plastic) { net.connect(pre.name, post.name, { connection, transforms }); continue; }
      net.connect(pre.name, post.name, {
        connection,
        transforms,
        rule: o.rule,
        ruleParams: { terms: o.terms, preTauMs: l > 1 ? 1 : 0, postTauMs: l < this.layers.length - 1 ? 1 : 0 },
      });
    }
    return net;
  }

  /** Writes `genome` into one member of a network from `build` (coefficients, or weights: biases go through `biases`). */
  async setGenome(net: Network, genome: ArrayLike<number>, member: number): Promise<void> {
    const g = this.check(genome);
    const options = net.members > 1 ? { member } : {};
    for (const s of this.slices) {
      const part = g.subarray(s.offset, s.offset + s.length);
      if (s.key === 'weights') await net.setWeights(s.target, part, options);
      else if (s.key !== 'bias' && s.key !== 'gru') net.setSynapseArray(s.target, s.key, part, options);
    }
  }

  /**
   * Blocks `neurons` of a hidden layer in one member for good (a policy built with `lesion: true`):
   * their incoming and outgoing weights are zeroed now and kept at zero by the lesion transform.
   */
  async block(net: Network, layer: string, neurons: readonly number[], member: number): Promise<void> {
    if (!this.options.lesion) throw new PlasticityError('E_PARAM', 'spiking policy: block needs a policy built with lesion: true');
    const at = this.layers.findIndex((l) => l.name === layer);
    if (at <= 0 || at === this.layers.length - 1) throw new PlasticityError('E_PARAM', `spiking policy: block takes a hidden layer (${this.layers.slice(1, -1).map((l) => l.name).join(', ')}), got ${JSON.stringify(layer)}`);
    const n = this.layers[at]!.n;
    for (const i of neurons) if (!Number.isSafeInteger(i) || i < 0 || i >= n) throw new PlasticityError('E_PARAM', `spiking policy: neuron ${String(i)} is not in ${layer} (0..${n - 1})`);
    const options = net.members > 1 ? { member } : {};
    for (const [k, side] of [[at, 'post'], [at + 1, 'pre']] as const) {
      const pre = this.layers[k - 1]!, post = this.layers[k]!, projection = `${pre.name}->${post.name}`;
      const alive = net.synapseArrays(projection, options).alive!;
      const w = await net.weights(projection, options);
      for (const i of neurons) {
        // dense W[pre, post]: the synapses of post neuron i are a column, those of pre neuron i a row
        if (side === 'post') for (let r = 0; r < pre.n; r++) { alive[r * post.n + i] = 0; w[r * post.n + i] = 0; }
        else for (let c = 0; c < post.n; c++) { alive[i * post.n + c] = 0; w[i * post.n + c] = 0; }
      }
      net.setSynapseArray(projection, 'alive', alive, options);
      await net.setWeights(projection, w, options);
    }
  }

  /** The baseline's biases of `genome` by layer (none for the plastic policy): inject them every step. */
  biases(genome: ArrayLike<number>): { layer: string; values: Float32Array }[] {
    const g = this.check(genome);
    return this.slices.filter((s) => s.key === 'bias').map((s) => ({ layer: s.target, values: g.slice(s.offset, s.offset + s.length) }));
  }

  /** The GRU branch's parameters in `genome` (empty without a branch). */
  gruParams(genome: ArrayLike<number>): Float32Array {
    const g = this.check(genome), s = this.slices.find((x) => x.key === 'gru');
    return s ? g.subarray(s.offset, s.offset + s.length) : new Float32Array(0);
  }

  private check(genome: ArrayLike<number>): Float32Array {
    if (genome?.length !== this.dim) throw new PlasticityError('E_SHAPE', `spiking policy: a genome has ${this.dim} values, got ${genome?.length}`);
    return genome instanceof Float32Array ? genome : Float32Array.from(genome);
  }
}
