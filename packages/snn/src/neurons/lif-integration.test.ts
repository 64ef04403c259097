import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { isPlasticityError, resolveParams, type Params } from '@plasticity/core';
import { expectNoLeaks } from '@plasticity/testing';
import { adaptiveLif, conductanceLif, lif } from './models.js';
import type { SpikingNeuron } from './types.js';

type AnyNeuron = SpikingNeuron<Params, Record<string, tf.Tensor>>;

/**
 * One neuron on the fused kernel and on the tensor path side by side, with `input(t)` on the first
 * channel each step; checks both agree bit for bit and returns the spike steps and v after each step.
 */
async function simulate(neuron: AnyNeuron, params: Params, steps: number, dt: number, input: (t: number) => number) {
  const p = resolveParams(neuron, params);
  const init = neuron.initialState(p, dt);
  const arrays: Record<string, Float32Array> = {};
  for (const k of neuron.stateVars) arrays[k] = new Float32Array(1).fill(init[k]!);
  const inputs: Record<string, Float32Array> = {};
  for (const c of neuron.channels) inputs[c] = new Float32Array(1);
  const kernel = neuron.fused(arrays, inputs, p, dt);
  let state = neuron.init({ n: 1, batch: 1 }, p);
  const active = new Int32Array(1), value = new Float32Array(1);
  const spikes: number[] = [], v: number[] = [];
  for (let t = 0; t < steps; t++) {
    value[0] = 0;
    const c = kernel.integrate(active, value);
    if (c) spikes.push(t);
    inputs[neuron.channels[0]!]![0] = input(t);
    kernel.deliver(active, c);
    v.push(arrays.v![0]!);
    const x = tf.tensor1d([input(t)]);
    const { spikes: s, state: next } = neuron.step(x, state, p, dt);
    expect((await s.data())[0], `spike at step ${t}`).toBe(c);
    x.dispose();
    s.dispose();
    for (const old of Object.values(state)) old.dispose();
    state = next;
    expect((await state.v!.data())[0], `v at step ${t}`).toBe(arrays.v![0]);
  }
  for (const s of Object.values(state)) s.dispose();
  return { spikes, v };
}

describe("LIF subthreshold integration: 'exact' (default) and 'euler'", () => {
  // Relaxation from 12 mV below rest, no input: v(t) = vRest + (v0 − vRest)·e^(−t/τ), τ = 20 ms, dt = 0.1 ms.
  const [vRest, v0, tau, dt, steps] = [-65, -77, 20, 0.1, 400];
  const analytic = (n: number) => vRest + (v0 - vRest) * Math.exp(-(n * dt) / tau);
  for (const neuron of [lif, adaptiveLif] as unknown as AnyNeuron[]) {
    it(`${neuron.name}: 'exact' follows the analytic solution on both paths; 'euler' is ~1e-2 mV off`, async () => {
      const base = { tauMMs: tau, vRestMv: vRest, vInitMv: v0, vResetMv: vRest, vThreshMv: -50 };
      expect(resolveParams(neuron, {}).integration).toBe('exact');
      const exact = await expectNoLeaks(() => simulate(neuron, base, steps, dt, () => 0));
      const euler = await simulate(neuron, { ...base, integration: 'euler' }, steps, dt, () => 0);
      const err = (v: number[]) => Math.max(...v.map((x, k) => Math.abs(x - analytic(k + 1))));
      expect(err(exact.v)).toBeLessThan(1e-4); // float32 rounding of e^(−dt/τ) and of each step
      // Forward Euler's (1 − dt/τ)^n against e^(−n·dt/τ): 1.1e-2 mV at t = τ, 12 mV below rest.
      expect(Math.abs(euler.v[199]! - analytic(200))).toBeGreaterThan(1e-2);
      expect(Math.abs(euler.v[199]! - analytic(200))).toBeLessThan(1.2e-2);
      expect(euler.v[0]).toBe(Math.fround(v0 + (vRest - v0) * Math.fround(dt / tau)));
    });
  }

  it('rejects an unknown integration method naming it', () => {
    for (const neuron of [lif, adaptiveLif] as unknown as AnyNeuron[]) {
      let error: unknown;
      try { resolveParams(neuron, { integration: 'rk4' }); } catch (e) { error = e; }
      expect(isPlasticityError(error, 'E_PARAM')).toBe(true);
      expect((error as Error).message).toMatch(/integration must be one of 'exact', 'euler', got "rk4"/);
    }
  });
});

describe('LIF refractoriness matches Brian2: the shortest inter-spike interval is refractoryMs / dt steps', () => {
  const extra = (neuron: AnyNeuron): Params => (neuron === (adaptiveLif as unknown) ? { thetaPlusMv: 0 } : {});
  // Strong synaptic drive: 100 mV every step. As in Brian2 (update, threshold, synapses, reset), the input
  // of the spike step is overwritten by the reset, and input that first acts on a free step counts: the
  // neuron fires again at the first free step, R = refractoryMs/dt steps later, but never sooner than 2.
  for (const [refractoryMs, dt, isi] of [[2, 0.1, 20], [0.5, 0.1, 5], [1, 0.25, 4], [0.2, 0.1, 2], [0.1, 0.1, 2], [0, 0.1, 2]] as const) {
    for (const neuron of [lif, adaptiveLif] as unknown as AnyNeuron[]) {
      it(`${neuron.name}: synaptic drive, refractory ${refractoryMs} ms at dt ${dt} ms → every ${isi} steps`, async () => {
        const { spikes, v } = await simulate(neuron, { refractoryMs, ...extra(neuron) }, 100, dt, () => 100);
        expect(spikes.length).toBeGreaterThan(3);
        const intervals = spikes.slice(1).map((s, k) => s - spikes[k]!);
        expect(new Set(intervals)).toEqual(new Set([isi]));
        // v stays at the reset value while refractory (clamped, input ignored): steps s .. s + isi − 2.
        for (const s of spikes.slice(0, -1)) for (let t = s; t <= s + isi - 2; t++) expect(v[t]).toBe(-65);
      });
    }
  }
  // Drive inside the equation (vRest far above threshold, like a strong constant current): one free step
  // from the reset crosses threshold, so the interval is exactly max(R, 1) steps.
  for (const [refractoryMs, isi] of [[2, 20], [0.3, 3], [0, 1]] as const) {
    for (const neuron of [lif, adaptiveLif] as unknown as AnyNeuron[]) {
      for (const integration of ['exact', 'euler'] as const) {
        it(`${neuron.name}: tonic drive (${integration}), refractory ${refractoryMs} ms at dt 0.1 ms → every ${isi} steps`, async () => {
          const params = { refractoryMs, vRestMv: 5000, integration, ...extra(neuron) };
          const { spikes } = await simulate(neuron, params, 100, 0.1, () => 0);
          expect(spikes[0]).toBe(0);
          expect(spikes.slice(1).map((s, k) => s - spikes[k]!)).toEqual(new Array(spikes.length - 1).fill(isi));
          expect(spikes.length).toBe(Math.floor(99 / isi) + 1);
        });
      }
    }
  }
});

describe('LIF-family validation', () => {
  it('rejects vThreshMv below vResetMv (the neuron would fire on every free step) naming both', () => {
    for (const neuron of [lif, adaptiveLif, conductanceLif] as unknown as AnyNeuron[]) {
      let error: unknown;
      try { resolveParams(neuron, { vThreshMv: -70, vResetMv: -60 }); } catch (e) { error = e; }
      expect(isPlasticityError(error, 'E_PARAM'), neuron.name).toBe(true);
      expect((error as Error).message).toMatch(/vThreshMv \(-70\) must be >= vResetMv \(-60\)/);
      expect(() => resolveParams(neuron, { vThreshMv: -60, vResetMv: -60 })).not.toThrow();
    }
  });
});
