import { describe, expect, it } from 'vitest';
import { expectPlasticityError } from '@plasticity/testing';
import { validateFusedSpec } from './spec.js';


describe('validateFusedSpec', () => {
  const stdp = { kind: 'stdp', aPlus: 0.01, aMinus: 0.0105, tauPlusMs: 20, tauMinusMs: 20, traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: 1 } as const;
  it('fills defaults and accepts every kind', () => {
    expect(validateFusedSpec(stdp)).toMatchObject({ muPlus: 1, muMinus: 1 });
    expect(validateFusedSpec({ kind: 'none' })).toEqual({ kind: 'none' });
    validateFusedSpec({ kind: 'triplet', a2Plus: 5e-10, a3Plus: 6.2e-3, a2Minus: 7e-3, a3Minus: 2.3e-4, tauPlusMs: 16.8, tauMinusMs: 33.7, tauXMs: 101, tauYMs: 125, traceMode: 'all-to-all' }, 0.1);
    validateFusedSpec({ kind: 'mstdpet', nu: 0.1, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, tauZMs: 25, modulator: 'reward' }, 1);
  });
  it('rejects bad fields by name', () => {
    expectPlasticityError(() => validateFusedSpec({ ...stdp, tauPlusMs: -20 }), 'E_PARAM', /tauPlusMs/);
    expectPlasticityError(() => validateFusedSpec({ ...stdp, tauMinusMs: 0 }), 'E_PARAM', /tauMinusMs/);
    expectPlasticityError(() => validateFusedSpec({ ...stdp, aPlus: NaN }), 'E_PARAM', /aPlus/);
    expectPlasticityError(() => validateFusedSpec({ ...stdp, wMin: 2, wMax: 1 }), 'E_PARAM', /wMin must be <= wMax/);
    expectPlasticityError(() => validateFusedSpec({ ...stdp, weightDependence: 'soft-bound', wMax: undefined }), 'E_PARAM', /wMax/);
    expectPlasticityError(() => validateFusedSpec(stdp, 0), 'E_PARAM', /dtMs/);
    expectPlasticityError(() => validateFusedSpec({ ...stdp, traceMode: 'euler' }, 30), 'E_PARAM', /dtMs < tauMs/);
    expectPlasticityError(() => validateFusedSpec({ kind: 'mstdp', nu: 1, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, modulator: '' }), 'E_PARAM', /modulator/);
    expectPlasticityError(() => validateFusedSpec({ kind: 'nope' } as never), 'E_PARAM', /spec.kind/);
  });
});
