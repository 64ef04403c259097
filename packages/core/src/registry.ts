import { PlasticityError } from './errors.js';
import type { AnyPlugin, PluginKind } from './plugin.js';

const KINDS: readonly PluginKind[] = ['rule', 'transform', 'neuron', 'format'];
const NAME = /^[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/;

export interface RegisterOptions {
  /** Replace a different plugin already registered under the same name. */
  readonly override?: boolean;
}

/** Plugins by name. Created by the application: there is no hidden global registry. */
export interface Registry {
  /** Same object again: no-op. Another object under a taken name: E_REGISTRY unless { override: true }. */
  register(plugin: AnyPlugin, options?: RegisterOptions): void;
  has(name: string): boolean;
  /** The plugin under `name`, checked against `kind` when given; E_REGISTRY when absent. */
  get<K extends PluginKind>(name: string, kind?: K): AnyPlugin & { kind: K };
  list(kind?: PluginKind): AnyPlugin[];
  unregister(name: string): boolean;
}

function checkPlugin(plugin: unknown): asserts plugin is AnyPlugin {
  const p = plugin as Partial<AnyPlugin> | null;
  const problems: string[] = [];
  if (p === null || typeof p !== 'object') throw new PlasticityError('E_REGISTRY', `plugin must be an object, got ${p === null ? 'null' : typeof p}`);
  if (typeof p.name !== 'string' || !NAME.test(p.name)) {
    problems.push(`name must be 'namespace/name' in lower case (e.g. 'acme/my-rule'), got ${JSON.stringify(p.name)}`);
  }
  if (!KINDS.includes(p.kind as PluginKind)) problems.push(`kind must be one of ${KINDS.join(', ')}, got ${JSON.stringify(p.kind)}`);
  if (p.specVersion !== 1) problems.push(`specVersion must be 1, got ${JSON.stringify(p.specVersion)}`);
  if (p.defaults === null || typeof p.defaults !== 'object' || Array.isArray(p.defaults)) problems.push('defaults must be a plain object of JSON values');
  else if (!isJson(p.defaults)) problems.push('defaults must hold JSON values only (no functions, undefined, NaN or class instances)');
  if (problems.length > 0) throw new PlasticityError('E_REGISTRY', `invalid plugin ${JSON.stringify(p.name)}: ${problems.join('; ')}`);
}

/** True for values that survive JSON.stringify/parse unchanged. */
export function isJson(value: unknown): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJson);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) return Object.values(value as object).every(isJson);
  return false;
}

export function createRegistry(plugins: readonly AnyPlugin[] = []): Registry {
  const byName = new Map<string, AnyPlugin>();
  const registry: Registry = {
    register(plugin, options = {}) {
      checkPlugin(plugin);
      const existing = byName.get(plugin.name);
      if (existing === plugin) return;
      if (existing && !options.override) {
        throw new PlasticityError(
          'E_REGISTRY',
          `a different ${existing.kind} is already registered as '${plugin.name}'; pass { override: true } to replace it`,
        );
      }
      byName.set(plugin.name, plugin);
    },
    has: (name) => byName.has(name),
    get(name, kind) {
      const plugin = byName.get(name);
      if (!plugin) {
        const known = [...byName.keys()].sort().join(', ') || 'none';
        throw new PlasticityError('E_REGISTRY', `unknown plugin '${name}'; registered: ${known}`);
      }
      if (kind !== undefined && plugin.kind !== kind) {
        throw new PlasticityError('E_REGISTRY', `'${name}' is a ${plugin.kind}, not a ${kind}`);
      }
      return plugin as AnyPlugin & { kind: typeof kind & PluginKind };
    },
    list: (kind) => [...byName.values()].filter((p) => kind === undefined || p.kind === kind),
    unregister: (name) => byName.delete(name),
  };
  for (const plugin of plugins) registry.register(plugin);
  return registry;
}
