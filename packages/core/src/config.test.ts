import { describe, expect, it } from 'vitest';
import { createRegistry, defineRule, fromConfig, isPlasticityError, resolveParams, toConfig } from './index.js';

const stdpLike = defineRule({
  name: 'test/stdp',
  defaults: { aPlus: 0.01, aMinus: 0.012, tauPlusMs: 20, pairing: 'all-to-all', hardBounds: true, extra: null as null | number },
  validate: (p) => (p.tauPlusMs > 0 ? [] : [`tauPlusMs must be > 0, got ${p.tauPlusMs}`]),
  init: () => ({}),
  step: (_io, state) => state,
});

function paramError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isPlasticityError(error, 'E_PARAM') || isPlasticityError(error, 'E_REGISTRY')) return error.message;
    throw error;
  }
  throw new Error('expected a PlasticityError');
}

describe('toConfig / fromConfig', () => {
  it('fills defaults and round-trips through JSON text', () => {
    const config = toConfig(stdpLike, { aPlus: 0.05, pairing: 'nearest' });
    expect(config).toEqual({
      name: 'test/stdp', kind: 'rule', specVersion: 1,
      params: { aPlus: 0.05, aMinus: 0.012, tauPlusMs: 20, pairing: 'nearest', hardBounds: true, extra: null },
    });
    const registry = createRegistry([stdpLike]);
    const back = fromConfig(registry, JSON.stringify(config));
    expect(back.plugin).toBe(stdpLike);
    expect(back.params).toEqual(config.params);
    expect(fromConfig(registry, config).params).toEqual(config.params);
  });

  it('fills missing params from the defaults when reading', () => {
    const registry = createRegistry([stdpLike]);
    expect(fromConfig(registry, { name: 'test/stdp', specVersion: 1, params: { tauPlusMs: 5 } }).params.tauPlusMs).toBe(5);
    expect(fromConfig(registry, { name: 'test/stdp', specVersion: 1 }).params).toEqual(stdpLike.defaults);
  });

  it('rejects unknown names, wrong types, failed validation and foreign versions', () => {
    const registry = createRegistry([stdpLike]);
    expect(paramError(() => toConfig(stdpLike, { aPluss: 1 } as never))).toContain("unknown parameter 'aPluss'");
    expect(paramError(() => toConfig(stdpLike, { aPlus: '1' } as never))).toContain('aPlus must be a number, got "1"');
    expect(paramError(() => toConfig(stdpLike, { aPlus: NaN }))).toContain('aPlus must be a JSON value');
    expect(paramError(() => toConfig(stdpLike, { tauPlusMs: -1 }))).toBe('E_PARAM: test/stdp: tauPlusMs must be > 0, got -1');
    expect(paramError(() => fromConfig(registry, { name: 'test/other', specVersion: 1 }))).toContain("unknown plugin 'test/other'");
    expect(paramError(() => fromConfig(registry, { name: 'test/stdp', specVersion: 2 }))).toContain('specVersion 2');
    expect(paramError(() => fromConfig(registry, { name: 'test/stdp', kind: 'transform', specVersion: 1 }))).toContain('kind "transform"');
    expect(paramError(() => fromConfig(registry, '{not json'))).toContain('not valid JSON');
    expect(paramError(() => fromConfig(registry, [1]))).toContain('config must be an object');
  });

  it('accepts any JSON where the default is null and returns fresh objects', () => {
    const a = resolveParams(stdpLike, { extra: 3 });
    expect(a.extra).toBe(3);
    const config = toConfig(stdpLike);
    expect(config.params).not.toBe(stdpLike.defaults);
  });
});
