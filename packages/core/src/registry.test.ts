import { describe, expect, it } from 'vitest';
import { createRegistry, defineNeuron, defineRule, defineTransform, isPlasticityError, type AnyPlugin } from './index.js';
import { defineFusedKernel, propagate, type FusedKernelConfig } from './fused/index.js';

const ruleA = defineRule({
  name: 'test/a',
  defaults: { rate: 1 },
  init: () => ({}),
  step: (_io, state) => state,
});
const ruleA2 = defineRule({ ...ruleA, defaults: { rate: 2 } });
const transform = defineTransform({ name: 'test/t', defaults: {}, apply: () => ({}) });
const neuron = defineNeuron({ name: 'test/n', defaults: { tauMs: 10 }, init: () => ({}), step: (input, state) => ({ spikes: input, state }) });

function registryError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isPlasticityError(error, 'E_REGISTRY')) return error.message;
    throw error;
  }
  throw new Error('expected E_REGISTRY');
}

describe('registry', () => {
  it('registers, gets, lists by kind and reports what it has', () => {
    const registry = createRegistry([ruleA, transform, neuron]);
    expect(registry.has('test/a')).toBe(true);
    expect(registry.get('test/a')).toBe(ruleA);
    expect(registry.get('test/a', 'rule')).toBe(ruleA);
    expect(registry.list().map((p) => p.name)).toEqual(['test/a', 'test/t', 'test/n']);
    expect(registry.list('rule')).toEqual([ruleA]);
    expect(registry.list('format')).toEqual([]);
  });

  it('treats the same object again as a no-op and refuses a different one under a taken name', () => {
    const registry = createRegistry();
    registry.register(ruleA);
    registry.register(ruleA);
    expect(registry.list()).toHaveLength(1);
    expect(registryError(() => registry.register(ruleA2))).toContain("a different rule is already registered as 'test/a'");
    expect(registry.get('test/a')).toBe(ruleA); // unchanged by the failed call
    registry.register(ruleA2, { override: true });
    expect(registry.get('test/a')).toBe(ruleA2);
  });

  it('explains unknown names and kind mismatches', () => {
    const registry = createRegistry([ruleA, transform]);
    expect(registryError(() => registry.get('test/missing'))).toBe("E_REGISTRY: unknown plugin 'test/missing'; registered: test/a, test/t");
    expect(registryError(() => registry.get('test/t', 'rule'))).toBe("E_REGISTRY: 'test/t' is a transform, not a rule");
  });

  it('rejects malformed plugins and leaves the registry unchanged', () => {
    const registry = createRegistry();
    const bad = (patch: object) => ({ ...ruleA, ...patch }) as unknown as AnyPlugin;
    expect(registryError(() => registry.register(bad({ name: 'no-namespace' })))).toContain("name must be 'namespace/name'");
    expect(registryError(() => registry.register(bad({ name: 'Acme/Rule' })))).toContain('namespace/name');
    expect(registryError(() => registry.register(bad({ kind: 'layer' })))).toContain('kind must be one of');
    expect(registryError(() => registry.register(bad({ specVersion: 2 })))).toContain('specVersion must be 1');
    expect(registryError(() => registry.register(bad({ defaults: { f: () => 1 } })))).toContain('JSON values only');
    expect(registryError(() => registry.register(bad({ defaults: { x: NaN } })))).toContain('JSON values only');
    expect(registryError(() => registry.register(null as unknown as AnyPlugin))).toContain('plugin must be an object');
    expect(registry.list()).toEqual([]);
  });

  it('keeps registries independent and can unregister', () => {
    const one = createRegistry([ruleA]);
    const two = createRegistry();
    expect(two.has('test/a')).toBe(false);
    expect(one.unregister('test/a')).toBe(true);
    expect(one.unregister('test/a')).toBe(false);
    expect(one.has('test/a')).toBe(false);
  });

  it('freezes defined plugins so a shared rule cannot be mutated by one user', () => {
    expect(Object.isFrozen(ruleA)).toBe(true);
    expect(ruleA.kind).toBe('rule');
    expect(ruleA.specVersion).toBe(1);
  });

  it('registers fused kernels by rule name, from the rule object or on their own', () => {
    const kernel = (rule: `${string}/${string}`): FusedKernelConfig => defineFusedKernel({
      rule,
      setup: ({ table }) => ({ step: (io) => propagate(table, io), state: () => ({ arrays: {}, data: {} }), setState: () => undefined, reset: () => undefined }),
    });
    const k1 = kernel('test/a'), k2 = kernel('test/a');
    const fusedRule = defineRule({ ...ruleA, name: 'test/f', fused: kernel('test/f') });
    const registry = createRegistry([ruleA, fusedRule]);
    expect(registry.kernelFor('test/f')).toBe(fusedRule.fused);
    expect(registry.kernelFor('test/a')).toBeUndefined();
    registry.registerKernel(k1);
    registry.registerKernel(k1); // same object: no-op
    expect(registry.kernelFor('test/a')).toBe(k1);
    expect(registryError(() => registry.registerKernel(k2))).toContain("a different fused kernel is already registered for 'test/a'");
    registry.registerKernel(k2, { override: true });
    expect(registry.kernelFor('test/a')).toBe(k2);
    expect(registry.listKernels()).toEqual([fusedRule.fused, k2]);
    // a rule whose kernel names another rule is refused at definition
    expect(registryError(() => defineRule({ ...ruleA, name: 'test/g', fused: kernel('test/h') }))).toContain("kernel.rule must be the rule's name");
    expect(registryError(() => registry.registerKernel({ rule: 'bad name', setup: 1 } as never))).toMatch(/rule must be a rule name.*setup must be a function/);
    expect(registry.unregister('test/a')).toBe(true);
    expect(registry.kernelFor('test/a')).toBeUndefined();
  });

  it('get(name, kind) is typed by kind', () => {
    const registry = createRegistry([ruleA, neuron]);
    const rule = registry.get('test/a', 'rule');
    expect(typeof rule.init).toBe('function');
    expect(registryError(() => registry.get('test/n', 'rule'))).toContain("'test/n' is a neuron, not a rule");
  });
});
