import { PlasticityError, describeValue, isJson, type Params, type Registry } from '@plasticity/core';
import type { WeightInit } from '@plasticity/sparse';

/**
 * A network as data: populations, connections (by generator and seed, or explicit structure),
 * rules and transforms by registry name, neuromodulators and monitors. `buildNetwork(spec, registry)`
 * rebuilds it anywhere (a worker, the playground); with a checkpoint it continues a running network.
 * JSON only: loading a spec never evaluates code.
 */
export interface NetworkSpec {
  readonly format: 'plasticity-network';
  readonly version: 1;
  readonly dtMs: number;
  readonly seed: number;
  readonly lazyPotentiation: boolean;
  /** Members simulated together (NetworkOptions.members); 1 when absent. */
  readonly members?: number;
  readonly populations: readonly PopulationSpec[];
  readonly projections: readonly ProjectionSpec[];
  readonly modulators: Readonly<Record<string, number>>;
  readonly monitors: readonly MonitorSpec[];
}

export type PopulationSpec =
  | { readonly name: string; readonly kind: 'neurons'; readonly n: number; readonly neuron: string; readonly params: Params }
  | { readonly name: string; readonly kind: 'poisson'; readonly n: number; readonly rateHz: number | readonly number[];
    readonly schedule?: { readonly startsMs: readonly number[]; readonly factors: readonly number[] }; readonly seed?: number }
  | { readonly name: string; readonly kind: 'spike-train'; readonly n: number; readonly timesMs: readonly number[]; readonly indices: readonly number[] }
  | { readonly name: string; readonly kind: 'external'; readonly n: number; readonly values?: boolean };

export type ConnectionFormat = 'dense' | 'csr' | 'coo';

/** A connection by generator (Bernoulli(p) pairs, seeded) or by explicit (pre, post, weight) triples. */
export type ConnectionSpec =
  | { readonly format: ConnectionFormat; readonly random: { readonly p: number; readonly seed: number; readonly init?: WeightInit } }
  | { readonly format: ConnectionFormat; readonly pre: readonly number[]; readonly post: readonly number[]; readonly weights: readonly number[] };

export interface PluginRef {
  readonly name: string;
  readonly params?: Params;
}

export interface ProjectionSpec {
  readonly name: string;
  readonly pre: string;
  readonly post: string;
  readonly connection: ConnectionSpec;
  readonly channel?: string;
  readonly delaySteps?: number;
  readonly rule?: PluginRef;
  readonly transforms?: readonly PluginRef[];
  readonly modulator?: string;
}

export type MonitorSpec =
  | { readonly kind: 'spikes'; readonly population: string }
  | { readonly kind: 'state'; readonly population: string; readonly variable: string; readonly every: number; readonly indices?: readonly number[] }
  | { readonly kind: 'weights'; readonly projection: string; readonly every: number };

const fail = (path: string, what: string, value: unknown): never => {
  throw new PlasticityError('E_PARAM', `spec${path} must be ${what}, got ${describeValue(value)}`);
};
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown, path: string): string => (typeof v === 'string' && v.length > 0 ? v : fail(path, 'a non-empty string', v));
const names = (xs: readonly { name: string }[]) => new Set(xs.map((x) => x.name));

/**
 * Checks the shape of a spec (what the Network's own methods cannot see: unknown kinds, dangling
 * names, non-JSON values) and throws E_PARAM naming the path; values are checked again when built.
 */
export function validateSpec(spec: unknown): asserts spec is NetworkSpec {
  if (!isObject(spec)) fail('', 'an object', spec);
  const s = spec as Record<string, unknown>;
  if (s.format !== 'plasticity-network') fail('.format', "'plasticity-network'", s.format);
  if (s.version !== 1) fail('.version', '1', s.version);
  if (!isJson(s)) fail('', 'JSON (no functions, NaN or class instances)', '[non-JSON value]');
  for (const k of ['populations', 'projections', 'monitors'] as const) if (!Array.isArray(s[k])) fail(`.${k}`, 'an array', s[k]);
  if (!isObject(s.modulators)) fail('.modulators', 'an object of numbers', s.modulators);
  const pops = s.populations as Record<string, unknown>[];
  pops.forEach((p, i) => {
    if (!isObject(p)) fail(`.populations[${i}]`, 'an object', p);
    str(p.name, `.populations[${i}].name`);
    if (!['neurons', 'poisson', 'spike-train', 'external'].includes(p.kind as string)) fail(`.populations[${i}].kind`, "'neurons', 'poisson', 'spike-train' or 'external'", p.kind);
    if (p.kind === 'neurons') str(p.neuron, `.populations[${i}].neuron`);
  });
  const popNames = names(pops as { name: string }[]);
  const projs = s.projections as Record<string, unknown>[];
  projs.forEach((p, i) => {
    if (!isObject(p)) fail(`.projections[${i}]`, 'an object', p);
    str(p.name, `.projections[${i}].name`);
    for (const end of ['pre', 'post'] as const) if (!popNames.has(p[end] as string)) fail(`.projections[${i}].${end}`, `a population of the spec (${[...popNames].join(', ')})`, p[end]);
    const c = p.connection as Record<string, unknown>;
    if (!isObject(c)) fail(`.projections[${i}].connection`, 'an object', c);
    if (!['dense', 'csr', 'coo'].includes(c.format as string)) fail(`.projections[${i}].connection.format`, "'dense', 'csr' or 'coo'", c.format);
    if (!isObject(c.random) && !(Array.isArray(c.pre) && Array.isArray(c.post) && Array.isArray(c.weights))) {
      fail(`.projections[${i}].connection`, '{ random: { p, seed, init } } or explicit { pre, post, weights } arrays', c);
    }
    if (p.rule !== undefined) str((p.rule as PluginRef)?.name, `.projections[${i}].rule.name`);
    if (p.transforms !== undefined && !Array.isArray(p.transforms)) fail(`.projections[${i}].transforms`, 'an array', p.transforms);
    ((p.transforms ?? []) as PluginRef[]).forEach((t, k) => str(t?.name, `.projections[${i}].transforms[${k}].name`));
  });
  const projNames = names(projs as { name: string }[]);
  (s.monitors as Record<string, unknown>[]).forEach((m, i) => {
    if (!isObject(m) || !['spikes', 'state', 'weights'].includes(m.kind as string)) fail(`.monitors[${i}].kind`, "'spikes', 'state' or 'weights'", m?.kind);
    if (m.kind === 'weights' ? !projNames.has(m.projection as string) : !popNames.has(m.population as string)) {
      fail(`.monitors[${i}]`, 'a monitor of a population or projection of the spec', m);
    }
  });
}

/** Registry names a spec needs that `registry` lacks (to report them all at once). */
export function missingPlugins(spec: NetworkSpec, registry: Registry): string[] {
  const needed = [
    ...spec.populations.flatMap((p) => (p.kind === 'neurons' ? [p.neuron] : [])),
    ...spec.projections.flatMap((p) => [...(p.rule ? [p.rule.name] : []), ...(p.transforms ?? []).map((t) => t.name)]),
  ];
  return [...new Set(needed.filter((n) => !registry.has(n)))];
}
