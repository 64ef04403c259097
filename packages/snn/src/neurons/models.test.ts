import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRegistry, isPlasticityError, resolveParams, type Params } from '@plasticity/core';
import { expectNoLeaks } from '@plasticity/testing';
import { adaptiveLif, conductanceLif, lif, NEURONS, ternaryLif } from './models.js';
import type { SpikingNeuron } from './types.js';
import { registerBuiltins } from '../registry.js';

type AnyNeuron = SpikingNeuron<Params, Record<string, tf.Tensor>>;

/** Runs the tensor path and the fused path side by side with the same inputs; returns both histories. */
async function both(neuron: AnyNeuron, params: Params, n: number, steps: number, input: (t: number, i: number) => number, channel?: string) {
  const p = resolveParams(neuron, params);
  const dt = 0.1;
  const init = neuron.initialState(p, dt);
  const arrays: Record<string, Float32Array> = {};
  for (const k of neuron.stateVars) arrays[k] = new Float32Array(n).fill(init[k]!);
  const inputs: Record<string, Float32Array> = {};
  for (const c of neuron.channels) inputs[c] = new Float32Array(n);
  const kernel = neuron.fused(arrays, inputs, p, dt);
  const ch = channel ?? neuron.channels[0]!;
  let state = neuron.init({ n, batch: 1 }, p);
  const active = new Int32Array(n), value = new Float32Array(n);
  let spikesFused = 0, spikesTensor = 0;
  for (let t = 0; t < steps; t++) {
    const x = Float32Array.from({ length: n }, (_, i) => input(t, i));
    // fused
    value.fill(0);
    const c = kernel.integrate(active, value);
    spikesFused += c;
    inputs[ch]!.set(x);
    kernel.deliver(active, c);
    // tensor
    const xt = tf.tensor1d(x);
    const { spikes, state: next } = neuron.step(xt, state, p, dt);
    if (ch !== neuron.channels[0]) throw new Error('tensor step feeds the first channel');
    const s = await spikes.data();
    for (let i = 0; i < n; i++) {
      expect(s[i]).toBe(value[i]);
      if (s[i] !== 0) spikesTensor++;
    }
    xt.dispose();
    spikes.dispose();
    for (const v of Object.values(state)) v.dispose();
    state = next;
    for (const k of neuron.stateVars) expect(Array.from(await state[k]!.data())).toEqual(Array.from(arrays[k]!));
  }
  for (const v of Object.values(state)) v.dispose();
  return { spikesFused, spikesTensor, arrays };
}

describe('neuron models: tensor path == fused path (bit for bit on cpu)', () => {
  const drive = (amp: number) => (t: number, i: number) => ((t * 31 + i * 17) % 7 === 0 ? amp * (1 + (i % 3)) : 0);
  it('conductance LIF', async () => {
    const r = await expectNoLeaks(() => both(conductanceLif as unknown as AnyNeuron, { vInitMv: -60 }, 8, 400, drive(0.4)));
    expect(r.spikesFused).toBeGreaterThan(5);
    expect(r.spikesFused).toBe(r.spikesTensor);
  });
  for (const resetMode of ['value', 'zero', 'subtract'] as const) {
    it(`current LIF, reset ${resetMode}`, async () => {
      const r = await expectNoLeaks(() => both(lif as unknown as AnyNeuron, { resetMode, refractoryMs: 1 }, 8, 400, drive(6)));
      expect(r.spikesFused).toBeGreaterThan(5);
    });
  }
  it('adaptive LIF', async () => {
    const r = await expectNoLeaks(() => both(adaptiveLif as unknown as AnyNeuron, { thetaPlusMv: 2, tauThetaMs: 50 }, 8, 400, drive(8)));
    expect(r.spikesFused).toBeGreaterThan(5);
    expect(Math.max(...r.arrays.theta!)).toBeGreaterThan(0);
  });
  it('ternary LIF (spikes of both signs)', async () => {
    const r = await expectNoLeaks(() => both(ternaryLif as unknown as AnyNeuron, {}, 8, 200, (t, i) => Math.sin(t * 0.3 + i) * 0.3));
    expect(r.spikesFused).toBeGreaterThan(20);
  });
});

describe('neuron models vs hand-computed steps', () => {
  const run = (neuron: AnyNeuron, params: Params, steps: number, dt: number, input: (t: number) => number) => {
    const p = resolveParams(neuron, params);
    const init = neuron.initialState(p, dt);
    const arrays: Record<string, Float32Array> = {};
    for (const k of neuron.stateVars) arrays[k] = new Float32Array(1).fill(init[k]!);
    const inputs: Record<string, Float32Array> = {};
    for (const c of neuron.channels) inputs[c] = new Float32Array(1);
    const k = neuron.fused(arrays, inputs, p, dt);
    const active = new Int32Array(1), value = new Float32Array(1);
    const trace: { v: number[]; spikes: number[] } = { v: [], spikes: [] };
    for (let t = 0; t < steps; t++) {
      value[0] = 0;
      const c = k.integrate(active, value);
      if (c) trace.spikes.push(t);
      inputs[neuron.channels[0]!]![0] = input(t);
      k.deliver(active, c);
      trace.v.push(arrays[neuron.stateVars[0]!]![0]!);
    }
    return { trace, arrays };
  };

  it('conductance LIF: Brian2 Euler step from v = 0 (first step spikes and resets)', () => {
    const { trace } = run(conductanceLif as unknown as AnyNeuron, { vInitMv: 0 }, 3, 0.1, (t) => (t === 1 ? 0.5 : 0));
    expect(trace.spikes).toEqual([0]);
    expect(trace.v[0]).toBe(-60); // v = 0 + 0.01·(0 − 74 − 0) = −0.74 > −54 → spike → reset −60
    // step 1: v = −60 + 0.01·(0·(0+60) − 74 + 60) = −60.14; then ge += 0.5
    expect(trace.v[1]).toBeCloseTo(-60.14, 4);
    // step 2: ge = 0.5 → dv = 0.5·(0 + 60.14) − 74 + 60.14 = 16.21; v = −60.14 + 0.1621
    expect(trace.v[2]).toBeCloseTo(-60.14 + 0.01 * (0.5 * 60.14 - 74 + 60.14), 4);
  });

  it('current LIF: leak, threshold, reset value and refractory clamp', () => {
    // tau 10, dt 1: v ← v + 0.1·(−65 − v); input 20 mV at t = 0 → −45 > −50 at t = 1
    const { trace } = run(lif as unknown as AnyNeuron, { tauMMs: 10, refractoryMs: 3 }, 7, 1, (t) => (t === 0 || t === 2 || t === 5 ? 20 : 0));
    expect(trace.v[0]).toBeCloseTo(-45, 5); // integrate (stays −65) then +20
    expect(trace.spikes).toEqual([1, 6]); // −45 + 0.1·(−20) = −47 > −50 (again after the input at t = 5)
    expect(trace.v[1]).toBe(-65);
    // refractory for 3 steps (Brian2): spike at t = 1, v clamped at t = 2, 3 and the input at t = 2 ignored;
    // free again at t = 4 (input delivered at t = 3 would count, as it first acts at t = 4)
    expect(trace.v[2]).toBe(-65);
    expect(trace.v[3]).toBe(-65);
    expect(trace.v[4]).toBe(-65);
    expect(trace.v[5]).toBeCloseTo(-45, 5);
  });

  it('current LIF reset modes: zero and subtract', () => {
    const zero = run(lif as unknown as AnyNeuron, { refractoryMs: 0, resetMode: 'zero', vRestMv: 0, vThreshMv: 1, vResetMv: 0, vInitMv: 0, tauMMs: 1e9 }, 3, 1, () => 1.5);
    // t0: +1.5; t1: 1.5 > 1 spike; the input of t1 is added, then v ← 0; t2: 0 + 1.5
    expect(zero.trace.spikes).toEqual([1]);
    expect(zero.trace.v[1]).toBe(0);
    expect(zero.trace.v[2]).toBeCloseTo(1.5, 6);
    const sub = run(lif as unknown as AnyNeuron, { refractoryMs: 0, resetMode: 'subtract', vRestMv: 0, vThreshMv: 1, vResetMv: 0, vInitMv: 0, tauMMs: 1e9 }, 3, 1, () => 1.5);
    // t0: 0 → +1.5; t1: 1.5 > 1 spike, +1.5 = 3, −1 = 2; t2: 2 > 1 spike, 3.5 − 1 = 2.5
    expect(sub.trace.spikes).toEqual([1, 2]);
    expect(sub.trace.v[1]).toBeCloseTo(2, 6);
    expect(sub.trace.v[2]).toBeCloseTo(2.5, 6);
  });

  it('adaptive LIF: threshold rises by thetaPlus per spike and decays', () => {
    const { arrays, trace } = run(adaptiveLif as unknown as AnyNeuron, { thetaPlusMv: 3, tauThetaMs: 100, refractoryMs: 0 }, 2, 1, (t) => (t === 0 ? 20 : 0));
    expect(trace.spikes).toEqual([1]);
    expect(arrays.theta![0]).toBeCloseTo(3, 6); // decayed once before the spike (from 0), then +3
  });

  it('ternary LIF: mem = inp + (mem − inp)/e, spikes ±1, reset to 0', () => {
    const { trace } = run(ternaryLif as unknown as AnyNeuron, {}, 4, 1, (t) => [0.12, -0.3, 0, 0][t]!);
    // t0: mem = 0 (inp 0); t1: mem = 0.12 + (0 − 0.12)/e = 0.0759 (< 0.1, no spike)
    expect(trace.v[1]).toBeCloseTo(0.12 - 0.12 / Math.E, 6);
    // t2: inp −0.3: mem = −0.3 + (0.0759 + 0.3)/e = −0.1617 → −1 spike → reset 0
    expect(trace.spikes).toEqual([2]);
    expect(trace.v[2]).toBe(0);
  });
});

describe('neuron plugins', () => {
  it('are registered by registerBuiltins and validate their params', () => {
    const reg = createRegistry();
    registerBuiltins(reg);
    expect(reg.list('neuron').map((p) => p.name).sort()).toEqual(NEURONS.map((n) => n.name).sort());
    const bad: [AnyNeuron, Params, RegExp][] = [
      [lif as unknown as AnyNeuron, { tauMMs: -1 }, /tauMMs/],
      [lif as unknown as AnyNeuron, { tauMMs: 0 }, /tauMMs/],
      [lif as unknown as AnyNeuron, { vThreshMv: NaN }, /vThreshMv/],
      [lif as unknown as AnyNeuron, { resetMode: 'halfway' }, /resetMode/],
      [conductanceLif as unknown as AnyNeuron, { tauEMs: -5 }, /tauEMs/],
      [adaptiveLif as unknown as AnyNeuron, { tauThetaMs: 0 }, /tauThetaMs/],
      [ternaryLif as unknown as AnyNeuron, { tau: 0.5 }, /tau/],
    ];
    for (const [neuron, params, re] of bad) {
      let err: unknown;
      try { resolveParams(neuron, params); } catch (e) { err = e; }
      expect(isPlasticityError(err, 'E_PARAM')).toBe(true);
      expect((err as Error).message).toMatch(re);
    }
  });
  it('step rejects dt <= 0 without leaking', async () => {
    await expectNoLeaks(() => {
      const st = lif.init({ n: 2, batch: 1 }, lif.defaults);
      const x = tf.zeros([2]);
      expect(() => lif.step(x, st, lif.defaults, 0)).toThrow(/dtMs/);
      x.dispose();
      for (const v of Object.values(st)) v.dispose();
    });
  });
});
