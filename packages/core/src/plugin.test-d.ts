import { describe, expectTypeOf, it } from 'vitest';
import { defineRule, toConfig, type Rule } from './index.js';

const rule = defineRule({
  name: 'test/typed',
  defaults: { tauMs: 20, mode: 'additive' },
  init: () => ({ trace: 0 }),
  step(_io, state, params) {
    expectTypeOf(params.tauMs).toEqualTypeOf<number>();
    // @ts-expect-error a misspelt parameter name is a compile error
    void params.tauMS;
    return state;
  },
});

describe('plugin types', () => {
  it('infer params and state from the definition', () => {
    expectTypeOf(rule).toMatchTypeOf<Rule<{ tauMs: number; mode: string }, { trace: number }>>();
    expectTypeOf(rule.kind).toEqualTypeOf<'rule'>();
  });

  it('reject wrong parameter names and types in configs', () => {
    toConfig(rule, { tauMs: 5 });
    // @ts-expect-error unknown parameter name
    toConfig(rule, { tauMS: 5 });
    // @ts-expect-error wrong parameter type
    toConfig(rule, { tauMs: '5' });
  });

  it('require namespaced names', () => {
    // @ts-expect-error a plugin name needs a namespace
    defineRule({ name: 'plain', defaults: {}, init: () => ({}), step: (_io, s) => s });
  });
});
