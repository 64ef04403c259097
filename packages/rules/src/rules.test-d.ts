import { toConfig } from '@plasticity/core';
import { describe, expectTypeOf, it } from 'vitest';
import { bcm, mstdpet, stdp, tripletStdp, type StdpParams } from './index.js';

describe('rule parameter types', () => {
  it('are checked at compile time', () => {
    expectTypeOf(stdp.defaults).toEqualTypeOf<StdpParams>();
    expectTypeOf(stdp.defaults.weightDependence).toEqualTypeOf<'additive' | 'multiplicative' | 'soft-bound'>();
    toConfig(stdp, { tauPlusMs: 10, pairing: 'nearest' });
    // @ts-expect-error misspelt unit suffix
    toConfig(stdp, { tauPlusMS: 10 });
    // @ts-expect-error unknown weight dependence
    toConfig(stdp, { weightDependence: 'hebbian' });
    // @ts-expect-error wrong type
    toConfig(tripletStdp, { tauXMs: '101' });
    toConfig(bcm, { wMin: null, wMax: 2 });
    toConfig(mstdpet, { tauZMs: 25, modulator: 'dopamine' });
  });
});
