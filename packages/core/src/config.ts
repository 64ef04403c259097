import { PlasticityError, describeValue } from './errors.js';
import type { AnyPlugin, JsonValue, Params, Plugin, PluginKind, PluginName } from './plugin.js';
import { isJson, type Registry } from './registry.js';

/** The serialised form of a configured plugin: plain JSON. */
export interface PluginConfig<P extends Params = Params> {
  readonly name: PluginName;
  readonly kind: PluginKind;
  readonly specVersion: 1;
  readonly params: P;
}

export interface ResolvedConfig<P extends Params = Params> {
  readonly plugin: AnyPlugin;
  readonly params: P;
}

/** Defaults overlaid with `params`, checked against the defaults' types and the plugin's own validate(). */
export function resolveParams<P extends Params>(plugin: Plugin<P, PluginKind>, params: Partial<P> = {}): P {
  const problems: string[] = [];
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new PlasticityError('E_PARAM', `${plugin.name}: params must be an object, got ${describeValue(params)}`);
  }
  for (const [key, value] of Object.entries(params)) {
    if (!(key in plugin.defaults)) {
      problems.push(`unknown parameter '${key}' (known: ${Object.keys(plugin.defaults).join(', ') || 'none'})`);
      continue;
    }
    const expected = (plugin.defaults as Params)[key] ?? null;
    if (value === undefined) continue;
    if (!isJson(value)) problems.push(`${key} must be a JSON value, got ${describeValue(value)}`);
    else if (!sameJsonType(expected, value as JsonValue)) {
      problems.push(`${key} must be ${jsonTypeName(expected)}, got ${describeValue(value)}`);
    }
  }
  if (problems.length === 0) {
    const merged = { ...plugin.defaults, ...stripUndefined(params) } as P;
    problems.push(...(plugin.validate?.(merged) ?? []));
    if (problems.length === 0) return merged;
  }
  throw new PlasticityError('E_PARAM', `${plugin.name}: ${problems.join('; ')}`);
}

/** Serialise a plugin with its parameters (defaults filled in, validated). */
export function toConfig<P extends Params>(plugin: Plugin<P, PluginKind>, params: Partial<P> = {}): PluginConfig<P> {
  const resolved = resolveParams(plugin, params);
  return { name: plugin.name, kind: plugin.kind, specVersion: plugin.specVersion, params: structuredClone(resolved) };
}

/** Look a config up in the registry, fill defaults and validate. Never evaluates code. */
export function fromConfig(registry: Registry, json: unknown): ResolvedConfig {
  const config = typeof json === 'string' ? parseJson(json) : json;
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new PlasticityError('E_PARAM', `config must be an object { name, kind, specVersion, params }, got ${describeValue(config)}`);
  }
  const { name, kind, specVersion, params } = config as Record<string, unknown>;
  if (typeof name !== 'string') throw new PlasticityError('E_PARAM', `config.name must be a string, got ${describeValue(name)}`);
  const plugin = registry.get(name);
  if (kind !== undefined && kind !== plugin.kind) {
    throw new PlasticityError('E_REGISTRY', `config for '${name}' says kind ${describeValue(kind)} but the registered plugin is a ${plugin.kind}`);
  }
  if (specVersion !== plugin.specVersion) {
    throw new PlasticityError('E_REGISTRY', `config for '${name}' has specVersion ${describeValue(specVersion)}; this library reads specVersion ${plugin.specVersion}`);
  }
  return { plugin, params: resolveParams(plugin, (params ?? {}) as Partial<Params>) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PlasticityError('E_PARAM', `config is not valid JSON: ${(error as Error).message}`);
  }
}

function stripUndefined(object: object): object {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
}

function jsonTypeName(value: JsonValue): string {
  if (value === null) return 'any JSON value';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function sameJsonType(expected: JsonValue, value: JsonValue): boolean {
  if (expected === null) return true;
  if (Array.isArray(expected)) return Array.isArray(value);
  if (typeof expected === 'object') return value !== null && typeof value === 'object' && !Array.isArray(value);
  return typeof expected === typeof value;
}
