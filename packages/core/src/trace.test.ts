import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoLeaks, expectPlasticityError } from '@plasticity/testing';
import { ScaledTrace } from './fused/scaled-trace.js';
import { TRACE_MODES, traceAfter, traceDecay, traceJump, updateTrace, updateTraceTensor, type TraceMode } from './trace.js';


describe('trace modes', () => {
  it('each mode follows its closed form after one spike (dt 0.5, tau 4, a 2)', () => {
    const dt = 0.5, tau = 4, a = 2;
    for (const mode of TRACE_MODES) {
      const x = new Float32Array(1);
      updateTrace(x, [1], mode, dt, tau, a);
      for (let k = 0; k < 30; k++) {
        expect(x[0]).toBeCloseTo(traceAfter(mode, dt, tau, k, a), 5);
        updateTrace(x, [0], mode, dt, tau, a);
      }
    }
    // the three differ: after 10 silent steps
    expect(traceAfter('all-to-all', dt, tau, 10, a)).toBeCloseTo(2 * Math.exp(-10 * 0.125), 12);
    expect(traceAfter('nearest', dt, tau, 10, a)).toBeCloseTo(2 * Math.exp(-10 * 0.125), 12);
    expect(traceAfter('euler', dt, tau, 10, a)).toBeCloseTo(2 * 0.125 * 0.875 ** 10, 12);
  });

  it('all-to-all accumulates, nearest resets, euler scales the jump by dt/tau', () => {
    const s = [1, 1];
    const x = { 'all-to-all': new Float32Array(1), nearest: new Float32Array(1), euler: new Float32Array(1) };
    for (const mode of TRACE_MODES) {
      updateTrace(x[mode], [s[0]!], mode, 1, 10);
      updateTrace(x[mode], [s[1]!], mode, 1, 10);
    }
    expect(x['all-to-all'][0]).toBeCloseTo(Math.exp(-0.1) + 1, 6);
    expect(x.nearest[0]).toBe(1);
    expect(x.euler[0]).toBeCloseTo(0.1 * 0.9 + 0.1, 6);
    expect(traceDecay('euler', 1, 10)).toBeCloseTo(0.9, 15);
    expect(traceJump('euler', 1, 10, 3)).toBeCloseTo(0.3, 15);
  });

  it('typed-array and tensor updates give identical float32 numbers on cpu', async () => {
    const n = 64;
    const spikes = Array.from({ length: 40 }, (_, t) => Float32Array.from({ length: n }, (_, i) => ((i * 7 + t * 13) % 5 === 0 ? 1 : 0)));
    for (const mode of TRACE_MODES) {
      const x = new Float32Array(n);
      await expectNoLeaks(async () => {
        let xt = tf.zeros([n]);
        for (const s of spikes) {
          updateTrace(x, s, mode as TraceMode, 0.1, 7, 0.3);
          const st = tf.tensor1d(s);
          const next = updateTraceTensor(xt, st, mode as TraceMode, 0.1, 7, 0.3);
          st.dispose();
          xt.dispose();
          xt = next;
        }
        const got = await xt.data();
        expect(Array.from(got)).toEqual(Array.from(x));
        xt.dispose();
      });
    }
  });

  it('rejects bad trace settings, naming the argument', () => {
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0, 0], 'all-to-all', 0.1, -1), 'E_PARAM', /tauMs/);
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0, 0], 'all-to-all', 0.1, 0), 'E_PARAM', /tauMs/);
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0, 0], 'all-to-all', 0, 5), 'E_PARAM', /dtMs/);
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0, 0], 'euler', 5, 5), 'E_PARAM', /dtMs < tauMs/);
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0, 0], 'bogus' as TraceMode, 1, 5), 'E_PARAM', /mode/);
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0], 'nearest', 1, 5), 'E_SHAPE', /s must have length 2/);
    expectPlasticityError(() => updateTrace(new Float32Array(2), [0, 0], 'nearest', 1, 5, NaN), 'E_PARAM', /scale/);
  });

  it('a shifting-scale trace equals per-step decay (every mode, across renormalisations)', () => {
    for (const mode of TRACE_MODES) {
      const tr = new ScaledTrace(3, mode, 0.25, 2);
      const ref = new Float64Array(3);
      const g = traceDecay(mode, 0.25, 2), J = traceJump(mode, 0.25, 2);
      const active = new Int32Array(3), value = new Float32Array([1, 1, 1]);
      expect(tr.K).toBeLessThan(300);
      for (let n = 0; n < 2000; n++) {
        for (let i = 0; i < 3; i++) ref[i]! *= g;
        let c = 0;
        for (let i = 0; i < 3; i++) if ((n * (i + 3)) % 37 === 0) active[c++] = i;
        tr.advance(n);
        tr.spike(n, active, c, value);
        for (let k = 0; k < c; k++) { const i = active[k]!; ref[i] = mode === 'nearest' ? J : ref[i]! + J; }
        const got = tr.values(n, new Float64Array(3));
        for (let i = 0; i < 3; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-12 * Math.max(1, ref[i]!));
      }
      expect(tr.base).toBeGreaterThan(0);
    }
  });
});
