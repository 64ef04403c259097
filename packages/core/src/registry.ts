import { PlasticityError } from './errors.js';
import { checkKernelConfig, type AnyFusedKernelConfig } from './fused/contract.js';
import type { AnyPlugin, Neuron, Format, PluginKind, Rule, Transform } from './plugin.js';

/** The plugin interface of each kind, for `registry.get(name, kind)`. */
export interface PluginOfKind {
  rule: Rule<any, any>;
  transform: Transform<any, any>;
  neuron: Neuron<any, any>;
  format: Format<any, any>;
}

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
  get<K extends PluginKind>(name: string, kind: K): PluginOfKind[K];
  get(name: string): AnyPlugin;
  list(kind?: PluginKind): AnyPlugin[];
  /** Removes a plugin and the fused kernel registered for it. */
  unregister(name: string): boolean;
  /**
   * Registers the fused kernel of the rule `config.rule` (the rule itself may be registered before or
   * after). Same object again: no-op; another config for the same rule: E_REGISTRY unless override.
   */
  registerKernel(config: AnyFusedKernelConfig, options?: RegisterOptions): void;
  /** The fused kernel config registered for a rule, or undefined. */
  kernelFor(ruleName: string): AnyFusedKernelConfig | undefined;
  listKernels(): AnyFusedKernelConfig[];
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
  const kernels = new Map<string, AnyFusedKernelConfig>();
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
      const fused = plugin.kind === 'rule' ? (plugin as Rule).fused : undefined;
      if (fused !== undefined) {
        checkKernelConfig(fused);
        if (fused.rule !== plugin.name) throw new PlasticityError('E_REGISTRY', `rule '${plugin.name}' carries a fused kernel for '${fused.rule}'`);
        const other = kernels.get(plugin.name);
        if (other && other !== fused && !options.override) {
          throw new PlasticityError('E_REGISTRY', `a different fused kernel is already registered for '${plugin.name}'; pass { override: true } to replace it`);
        }
      }
      byName.set(plugin.name, plugin);
      if (fused !== undefined) kernels.set(plugin.name, fused);
    },
    has: (name) => byName.has(name),
    get(name: string, kind?: PluginKind): any {
      const plugin = byName.get(name);
      if (!plugin) {
        const known = [...byName.keys()].sort().join(', ') || 'none';
        throw new PlasticityError('E_REGISTRY', `unknown plugin '${name}'; registered: ${known}`);
      }
      if (kind !== undefined && plugin.kind !== kind) {
        throw new PlasticityError('E_REGISTRY', `'${name}' is a ${plugin.kind}, not a ${kind}`);
      }
      return plugin;
    },
    list: (kind) => [...byName.values()].filter((p) => kind === undefined || p.kind === kind),
    unregister: (name) => {
      kernels.delete(name);
      return byName.delete(name);
    },
    registerKernel(config, options = {}) {
      checkKernelConfig(config);
      const existing = kernels.get(config.rule);
      if (existing === config) return;
      if (existing && !options.override) {
        throw new PlasticityError('E_REGISTRY', `a different fused kernel is already registered for '${config.rule}'; pass { override: true } to replace it`);
      }
      kernels.set(config.rule, config);
    },
    kernelFor: (ruleName) => kernels.get(ruleName),
    listKernels: () => [...kernels.values()],
  };
  for (const plugin of plugins) registry.register(plugin);
  return registry;
}
