import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRegistry, createRng, defineNeuron, defineRule, isPlasticityError, updateTraceTensor, type Params, type RuleStepIO, type TraceMode } from '@plasticity/core';
import { COOConnection, CSRConnection, DenseConnection } from '@plasticity/sparse';
import { setSimdEnabled } from '@plasticity/rules/diagnostics';
import { expectNoLeaks, useBackend } from '@plasticity/testing';
import { builtins } from './testing/registry.js';
import { Network, type NetworkConnection } from './network.js';
import { conductanceLif, lif } from './neurons/models.js';


/** Built-in rules by the fused description the tests were written in: { rule, ruleParams }. */
type Spec =
  | { kind: 'stdp'; aPlus: number; aMinus: number; tauPlusMs: number; tauMinusMs: number; traceMode: 'all-to-all' | 'nearest'; weightDependence: 'additive'; wMin: number; wMax: number }
  | { kind: 'triplet'; a2Plus: number; a3Plus: number; a2Minus: number; a3Minus: number; tauPlusMs: number; tauMinusMs: number; tauXMs: number; tauYMs: number; traceMode: 'all-to-all' | 'nearest'; wMin: number; wMax: number }
  | { kind: 'mstdp' | 'mstdpet'; nu: number; aPlus: number; aMinus: number; tauPlusMs: number; tauMinusMs: number; tauZMs?: number; modulator: string; wMin?: number; wMax?: number };
const fusedRule = (_name: string, spec: Spec): { rule: string; ruleParams: Params } => {
  const { kind, ...rest } = spec;
  if (kind === 'stdp' || kind === 'triplet') {
    const { traceMode, ...p } = rest as Extract<Spec, { kind: 'stdp' }>;
    return { rule: kind === 'stdp' ? 'core/stdp' : 'core/triplet-stdp', ruleParams: { ...p, pairing: traceMode } };
  }
  const m = rest as Omit<Extract<Spec, { kind: 'mstdp' | 'mstdpet' }>, 'kind'>;
  return { rule: `core/${kind}`, ruleParams: { ...m, aMinus: -m.aMinus, wMin: m.wMin ?? null, wMax: m.wMax ?? null } };
};

const stdpSpec = (over: Partial<Extract<Spec, { kind: 'stdp' }>> = {}): Spec => ({
  kind: 'stdp', aPlus: 0.01, aMinus: 0.012, tauPlusMs: 20, tauMinusMs: 20, traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: 1, ...over,
});

// ---------------------------------------------------------------------------------------------
// Song, Miller & Abbott (2000) as Brian2's examples/synapses/STDP.py

const fixture = JSON.parse(readFileSync(new URL('../fixtures/brian2-sma-seed1.json', import.meta.url), 'utf8')) as {
  result: { hist10_w_over_gmax: number[]; frac_w_below_0p1gmax: number; frac_w_above_0p9gmax: number; mean_w_over_gmax: number; output_rate_hz: number };
};

async function songMillerAbbott(seed: number) {
  const gmax = 0.01, dApre = 0.01 * gmax, dApost = -dApre * 1.05;
  const net = new Network({ registry: builtins(), dtMs: 0.1, seed });
  const input = net.addPoisson('input', { n: 1000, rateHz: 15 });
  const out = net.addPopulation('out', { n: 1, neuron: conductanceLif, params: { vInitMv: 0 } }); // Brian2: v starts at 0 V
  const conn = DenseConnection.fromDense({ data: createRng(seed).uniform(1000, 0, gmax), shape: [1000, 1] });
  net.connect(input, out, { connection: conn, ...fusedRule('sma', { kind: 'stdp', aPlus: dApre, aMinus: -dApost, tauPlusMs: 20, tauMinusMs: 20, traceMode: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: gmax }) });
  const spikes = net.monitorSpikes(out);
  await net.run(10); // Brian2's warm-up run (plastic too)
  const before = spikes.count;
  await net.run(100_000);
  const w = await conn.getWeights();
  conn.dispose();
  const hist = new Array<number>(10).fill(0);
  let mean = 0;
  for (const x of w) { const r = x / gmax; hist[Math.min(9, Math.floor(r * 10))]!++; mean += r; }
  return { hist, mean: mean / w.length, below: w.filter((x) => x / gmax < 0.1).length / w.length, above: w.filter((x) => x / gmax > 0.9).length / w.length, rateHz: (spikes.count - before) / 100 };
}

describe('Song, Miller & Abbott (2000) vs Brian2', () => {
  it('100 s of additive STDP give Brian2\'s bimodal w/gmax histogram (seeds 1–3)', async () => {
    const runs = [];
    for (const seed of [1, 2, 3]) runs.push(await songMillerAbbott(seed));
    const b = fixture.result;
    for (const r of runs) {
      expect(r.below).toBeGreaterThan(0.19);
      expect(r.below).toBeLessThan(0.29);
      expect(r.above).toBeGreaterThan(0.14);
      expect(r.above).toBeLessThan(0.25);
      expect(r.mean).toBeGreaterThan(0.44);
      expect(r.mean).toBeLessThan(0.51);
      expect(r.rateHz).toBeGreaterThan(20);
      expect(r.rateHz).toBeLessThan(30);
      // bimodal: both end bins hold more than twice any middle bin
      const middle = Math.max(...r.hist.slice(2, 8));
      expect(r.hist[0]!).toBeGreaterThan(2 * middle);
      expect(r.hist[9]!).toBeGreaterThan(2 * middle);
    }
    // pooled 10-bin histogram vs Brian2's (seed 1, scaled to the same total): two-sample χ², 9 dof
    const ours = runs.reduce((acc, r) => acc.map((v, i) => v + r.hist[i]!), new Array<number>(10).fill(0));
    const theirs = b.hist10_w_over_gmax.map((v) => v * runs.length);
    const chi2 = ours.reduce((s, a, i) => s + (a - theirs[i]!) ** 2 / (a + theirs[i]!), 0);
    expect(chi2).toBeLessThan(21.67); // p > 0.01
    const meanBelow = runs.reduce((s, r) => s + r.below, 0) / runs.length;
    const meanAbove = runs.reduce((s, r) => s + r.above, 0) / runs.length;
    expect(Math.abs(meanBelow - b.frac_w_below_0p1gmax)).toBeLessThan(0.03);
    expect(Math.abs(meanAbove - b.frac_w_above_0p9gmax)).toBeLessThan(0.03);
  });
});

// ---------------------------------------------------------------------------------------------
// A small network with every feature: Poisson → LIF (CSR, STDP, delay), LIF → LIF (COO, triplet),
// Poisson → LIF (Dense, MSTDPET with reward), conductance population.

function buildNetwork(seed: number, connSeed = seed) {
  const net = new Network({ registry: builtins(), dtMs: 0.5, seed });
  const inp = net.addPoisson('in', { n: 60, rateHz: 40 });
  const exc = net.addPopulation('exc', { n: 12, neuron: lif, params: { tauMMs: 10, refractoryMs: 2 } });
  const cond = net.addPopulation('cond', { n: 4, neuron: 'core/conductance-lif', params: { vInitMv: -60 } });
  const c1 = CSRConnection.random({ nPre: 60, nPost: 12, p: 0.5, seed: connSeed + 1, init: { dist: 'uniform', low: 1, high: 6 } });
  const c2 = COOConnection.random({ nPre: 12, nPost: 12, p: 0.3, seed: connSeed + 2, init: { dist: 'uniform', low: 0, high: 3 } });
  const c3 = DenseConnection.random({ nPre: 60, nPost: 4, p: 1, seed: connSeed + 3, init: { dist: 'uniform', low: 0.05, high: 0.2 } });
  net.connect(inp, exc, { connection: c1, delaySteps: 2, ...fusedRule('stdp', stdpSpec({ aPlus: 0.3, aMinus: 0.35, wMax: 8, traceMode: 'nearest' })) });
  net.connect(exc, exc, { connection: c2, ...fusedRule('triplet', { kind: 'triplet', a2Plus: 0.05, a3Plus: 0.1, a2Minus: 0.07, a3Minus: 0.01, tauPlusMs: 16.8, tauMinusMs: 33.7, tauXMs: 101, tauYMs: 125, traceMode: 'all-to-all', wMin: 0, wMax: 5 }) });
  net.connect(inp, cond, { connection: c3, ...fusedRule('mstdpet', { kind: 'mstdpet', nu: 0.5, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, tauZMs: 25, modulator: 'reward', wMin: 0, wMax: 0.3 }) });
  net.setModulator('reward', 0.5);
  const conns = [c1, c2, c3];
  return { net, conns, dispose: () => conns.forEach((c) => c.dispose()) };
}

async function snapshot(net: Network, conns: NetworkConnection[]) {
  return {
    weights: await Promise.all(conns.map((c) => c.getWeights())),
    exc: net.state('exc'),
    cond: net.state('cond'),
    step: net.stepCount,
  };
}

describe('Network', () => {
  it('step() × T equals run(T) bit for bit, and plasticity moved every projection', async () => {
    const a = buildNetwork(5), b = buildNetwork(5);
    const w0 = await Promise.all(a.conns.map((c) => c.getWeights()));
    const spikesA = a.net.monitorSpikes('exc');
    for (let k = 0; k < 400; k++) await a.net.step();
    await b.net.run(200);
    const sa = await snapshot(a.net, a.conns), sb = await snapshot(b.net, b.conns);
    expect(sa).toEqual(sb);
    expect(sa.step).toBe(400);
    expect(spikesA.count).toBeGreaterThan(50);
    sa.weights.forEach((w, k) => expect(w).not.toEqual(w0[k]));
    a.dispose();
    b.dispose();
  });

  it('run T/2, save, load twice, run T/2 equals an uninterrupted run of T (bit for bit)', async () => {
    const ref = buildNetwork(9);
    await ref.net.run(300);
    const expected = await snapshot(ref.net, ref.conns);

    const first = buildNetwork(9);
    await first.net.run(150);
    const bytes = await first.net.saveCheckpoint();
    await first.net.run(150); // the saved network itself continues identically
    expect(await snapshot(first.net, first.conns)).toEqual(expected);

    const restored = buildNetwork(123, 9); // another network seed: every random state comes from the checkpoint
    await restored.net.loadCheckpoint(bytes);
    await restored.net.loadCheckpoint(bytes);
    expect(restored.net.stepCount).toBe(300);
    await restored.net.run(150);
    expect(await snapshot(restored.net, restored.conns)).toEqual(expected);
    // a network of another shape refuses the checkpoint and stays unchanged
    const other = new Network({ registry: builtins(), dtMs: 0.5 });
    other.addPoisson('in', { n: 61, rateHz: 40 });
    await expect(other.loadCheckpoint(bytes)).rejects.toThrow(/E_CHECKPOINT|plugins/);
    [ref, first, restored].forEach((x) => x.dispose());
  });

  it('reset() restores this network only; two networks never affect each other', async () => {
    const a = buildNetwork(3), b = buildNetwork(3);
    await a.net.run(100);
    const afterA = await snapshot(a.net, a.conns);
    await b.net.run(40);
    const bMid = await snapshot(b.net, b.conns);
    await a.net.reset({ weights: true });
    expect(await snapshot(b.net, b.conns)).toEqual(bMid); // B untouched by A's reset
    expect(a.net.stepCount).toBe(0);
    expect(a.net.state('exc').v).toEqual(new Float32Array(12).fill(-65));
    expect(a.net.traces('in->exc').xPre!.every((x) => x === 0)).toBe(true);
    await a.net.run(100);
    expect(await snapshot(a.net, a.conns)).toEqual(afterA); // a reset network replays a fresh run
    await b.net.run(60);
    expect(await snapshot(b.net, b.conns)).toEqual(afterA);
    a.dispose();
    b.dispose();
  });

  it('reset() without weights keeps learned weights', async () => {
    const a = buildNetwork(4);
    await a.net.run(50);
    const w = await a.conns[0]!.getWeights();
    await a.net.reset();
    expect(await a.conns[0]!.getWeights()).toEqual(w);
    a.dispose();
  });

  it('Dense, CSR and COO connections give the same weights under fused STDP', async () => {
    const w0 = createRng(1).uniform(40 * 6, 1, 5);
    const results: Float32Array[] = [];
    for (const make of [
      () => DenseConnection.fromDense({ data: w0, shape: [40, 6] }),
      () => CSRConnection.fromDense({ data: w0, shape: [40, 6] }),
      () => COOConnection.fromDense({ data: w0, shape: [40, 6] }),
    ]) {
      const net = new Network({ registry: builtins(), dtMs: 1, seed: 2 });
      net.addPoisson('in', { n: 40, rateHz: 30 });
      net.addPopulation('out', { n: 6, neuron: lif, params: { tauMMs: 10 } });
      const c = make();
      net.connect('in', 'out', { connection: c, ...fusedRule('stdp', stdpSpec({ aPlus: 0.2, aMinus: 0.25, wMax: 8 })) });
      await net.run(2000);
      results.push(await c.getWeights());
      c.dispose();
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
    expect(results[0]).not.toEqual(w0);
  });

  it('lazy potentiation is the direct rule up to float rounding (dense and CSR, with weight monitors)', async () => {
    const w0 = createRng(3).uniform(300 * 8, 0, 4);
    for (const make of [() => DenseConnection.fromDense({ data: w0, shape: [300, 8] }), () => CSRConnection.fromDense({ data: w0, shape: [300, 8] })]) {
      const out: Float32Array[] = [];
      const mons: Float32Array[][] = [];
      const trains: number[][] = [];
      for (const lazyPotentiation of [true, false]) {
        const net = new Network({ registry: builtins(), dtMs: 0.5, seed: 11, lazyPotentiation });
        net.addPoisson('in', { n: 300, rateHz: 20 });
        net.addPopulation('out', { n: 8, neuron: lif, params: { tauMMs: 10, refractoryMs: 1 } });
        const c = make();
        net.connect('in', 'out', { connection: c, ...fusedRule('stdp', stdpSpec({ aPlus: 0.05, aMinus: 0.06, wMax: 4, tauPlusMs: 5, tauMinusMs: 5 })) });
        const m = net.monitorWeights('in->out', { every: 1000 });
        const sp = net.monitorSpikes('out');
        await net.run(4000); // 8000 steps: several renormalisations of the τ = 5 ms traces
        trains.push(Array.from(sp.steps()));
        out.push(await c.getWeights());
        mons.push(m.snapshots);
        c.dispose();
      }
      let maxDiff = 0, moved = 0;
      for (let k = 0; k < w0.length; k++) {
        maxDiff = Math.max(maxDiff, Math.abs(out[0]![k]! - out[1]![k]!));
        if (Math.abs(out[1]![k]! - w0[k]!) > 0.01) moved++;
      }
      // float32 rounding of thousands of updates per synapse (weights up to 4, ulp 4.8e-7); a missed or doubled
      // potentiation of a close pair would be >= 1e-3 here; the output spike trains must match exactly
      expect(maxDiff).toBeLessThan(5e-4);
      expect(trains[0]).toEqual(trains[1]);
      expect(trains[0]!.length).toBeGreaterThan(100);
      expect(moved).toBeGreaterThan(w0.length / 2);
      expect(mons[0]!.length).toBe(8);
      mons[0]!.forEach((snap, s) => snap.forEach((v, k) => expect(Math.abs(v - mons[1]![s]![k]!)).toBeLessThan(5e-4)));
    }
  });

  it('the SIMD (WebAssembly) lazy kernel equals the plain JS one up to float32 rounding', async () => {
    const w0 = createRng(5).uniform(400 * 13, 0, 2);
    const runs: { w: Float32Array; spikes: number[] }[] = [];
    for (const simd of [true, false]) {
      setSimdEnabled(simd);
      try {
        const net = new Network({ registry: builtins(), dtMs: 0.25, seed: 3 });
        net.addPoisson('in', { n: 400, rateHz: 25 });
        net.addPopulation('out', { n: 13, neuron: lif, params: { tauMMs: 10, refractoryMs: 1 } }); // 13: a SIMD tail
        const c = DenseConnection.fromDense({ data: w0, shape: [400, 13] });
        net.connect('in', 'out', { connection: c, ...fusedRule('stdp', stdpSpec({ aPlus: 0.03, aMinus: 0.035, wMax: 2, tauPlusMs: 10, tauMinusMs: 10 })) });
        const sp = net.monitorSpikes('out');
        await net.run(2000);
        runs.push({ w: await c.getWeights(), spikes: Array.from(sp.steps()) });
        c.dispose();
      } finally {
        setSimdEnabled(true);
      }
    }
    expect(runs[0]!.spikes).toEqual(runs[1]!.spikes);
    expect(runs[0]!.spikes.length).toBeGreaterThan(200);
    let maxDiff = 0;
    runs[0]!.w.forEach((v, k) => { maxDiff = Math.max(maxDiff, Math.abs(v - runs[1]!.w[k]!)); });
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('monitors: spikes, decimated state and weights', async () => {
    const x = buildNetwork(6);
    const sm = x.net.monitorSpikes('in');
    const st = x.net.monitorState('exc', 'v', { every: 10, indices: [0, 3] });
    const wm = x.net.monitorWeights('in->exc', { every: 50 });
    await x.net.run(100); // 200 steps
    expect(st.steps()).toEqual(Int32Array.from({ length: 20 }, (_, k) => k * 10));
    expect(st.values().length).toBe(40);
    expect(wm.snapshots.length).toBe(4);
    expect(sm.count).toBeGreaterThan(60 * 40 * 0.1 * 0.5);
    expect(sm.count).toBeLessThan(60 * 40 * 0.1 * 1.5);
    expect(Math.max(...sm.timesMs())).toBeLessThan(100);
    x.dispose();
  });

  it('runs on the wasm backend (weights read once, written back at the end) with the cpu numbers', async () => {
    const cpu = buildNetwork(12);
    await cpu.net.run(100);
    const expected = await snapshot(cpu.net, cpu.conns);
    cpu.dispose();
    await useBackend('wasm');
    try {
      const x = buildNetwork(12);
      const seen: number[] = [];
      await x.net.run(100, { chunkSteps: 50, onProgress: async (p) => { seen.push((await x.conns[0]!.getWeights())[0]!); void p; } });
      expect(await snapshot(x.net, x.conns)).toEqual(expected);
      expect(seen.length).toBe(4);
      x.dispose();
    } finally {
      await useBackend('cpu');
    }
  });

  it('progress is reported per chunk, with the weights current inside the callback', async () => {
    const x = buildNetwork(1);
    const seen: number[] = [];
    let mid: Float32Array[] = [];
    await x.net.run(50, { chunkSteps: 40, onProgress: async (p) => { seen.push(p.step); if (p.step === 40) mid = await Promise.all(x.conns.map((c) => c.getWeights())); } });
    expect(seen).toEqual([40, 80, 100]);
    const ref = buildNetwork(1);
    await ref.net.run(20); // 40 steps
    expect(mid).toEqual(await Promise.all(ref.conns.map((c) => c.getWeights())));
    x.dispose();
    ref.dispose();
  });

  it('leaks no tensors (fused path)', async () => {
    const x = buildNetwork(2);
    await expectNoLeaks(async () => {
      await x.net.run(50);
      await x.net.step();
      const bytes = await x.net.saveCheckpoint();
      await x.net.loadCheckpoint(bytes);
      await x.net.reset({ weights: true });
    });
    x.dispose();
  });
});

// ---------------------------------------------------------------------------------------------
// Analytic windows through the whole engine: playback pre spikes and a post neuron driven to spike at
// chosen steps (a strong kick in step k makes it spike in step k + 1).

async function pairRun(spec: Spec, preStep: number, postStep: number, steps = 200, reward?: number,
  signal?: { option: string; set: string }) {
  const dt = 0.1;
  const net = new Network({ registry: builtins(), dtMs: dt });
  net.addSpikeTrain('pre', { n: 1, timesMs: [preStep * dt], indices: [0] });
  net.addSpikeTrain('kick', { n: 1, timesMs: [(postStep - 1) * dt], indices: [0] });
  net.addPopulation('post', { n: 1, neuron: lif, params: { tauMMs: 1e6, vThreshMv: 0, refractoryMs: 0 } });
  const plastic = DenseConnection.fromDense([[0.5]]);
  const kick = DenseConnection.fromDense([[1000]]);
  net.connect('kick', 'post', { connection: kick });
  net.connect('pre', 'post', { connection: plastic, ...fusedRule(spec.kind, spec), ...(signal ? { modulator: signal.option } : {}) });
  if (reward !== undefined) net.setModulator(signal?.set ?? 'reward', reward);
  const post = net.monitorSpikes('post');
  await net.run(steps * dt);
  expect(Array.from(post.steps())).toEqual([postStep]);
  const w = (await plastic.getWeights())[0]!;
  plastic.dispose();
  kick.dispose();
  return w - 0.5;
}

describe('analytic STDP window through the network', () => {
  for (const traceMode of ['all-to-all', 'nearest'] as const) {
    it(`pre→post gives +A+·e^(−Δt/τ+), post→pre gives −A−·e^(−Δt/τ−) (${traceMode})`, async () => {
      const spec = stdpSpec({ aPlus: 0.05, aMinus: 0.08, tauPlusMs: 10, tauMinusMs: 30, traceMode });
      for (const d of [0, 1, 7, 40]) {
        expect(await pairRun(spec, 50, 50 + d)).toBeCloseTo(0.05 * Math.exp(-(d * 0.1) / 10), 6);
        if (d > 0) expect(await pairRun(spec, 50 + d, 50)).toBeCloseTo(-0.08 * Math.exp(-(d * 0.1) / 30), 6);
      }
    });
  }
  it('traces() reads the true trace values (closed form after one spike)', async () => {
    for (const traceMode of ['all-to-all', 'nearest'] as const) {
      const net = new Network({ registry: builtins(), dtMs: 0.5 });
      net.addSpikeTrain('pre', { n: 2, timesMs: [5], indices: [1] });
      net.addPopulation('post', { n: 1, neuron: lif });
      const c = DenseConnection.fromDense([[0.1], [0.1]]);
      net.connect('pre', 'post', { connection: c, ...fusedRule('tr', stdpSpec({ tauPlusMs: 8, traceMode })) });
      await net.run(30); // spike at step 10, read after step 59
      const x = net.traces('pre->post').xPre!;
      const expected = Math.exp(-49 * 0.5 / 8);
      expect(x[0]).toBe(0);
      expect(x[1]).toBeCloseTo(expected, 12);
      c.dispose();
    }
  });

  it('MSTDP: Δw = ν·r·A+·e^(−Δt/τ+) one step after the post spike; no reward, no change', async () => {
    const spec: Spec = { kind: 'mstdp', nu: 0.2, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, modulator: 'reward' };
    expect(await pairRun(spec, 50, 60, 200, 0.5)).toBeCloseTo(0.2 * 0.5 * Math.exp(-1 / 20), 6);
    expect(await pairRun(spec, 60, 50, 200, 0.5)).toBeCloseTo(-0.2 * 0.5 * Math.exp(-1 / 20), 6);
    expect(await pairRun(spec, 50, 60, 200, 0)).toBe(0);
  });
  it("a projection's modulator option names the signal its fused rule reads", async () => {
    const spec: Spec = { kind: 'mstdp', nu: 0.2, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, modulator: 'reward' };
    const expected = 0.2 * 0.5 * Math.exp(-1 / 20);
    expect(await pairRun(spec, 50, 60, 200, 0.5, { option: 'dopamine', set: 'dopamine' })).toBeCloseTo(expected, 6);
    expect(await pairRun(spec, 50, 60, 200, 0.5, { option: 'dopamine', set: 'reward' })).toBe(0);
  });
  it('MSTDPET: the eligibility trace spreads the same update over τz', async () => {
    const spec: Spec = { kind: 'mstdpet', nu: 0.2, aPlus: 1, aMinus: -1, tauPlusMs: 20, tauMinusMs: 20, tauZMs: 5, modulator: 'reward' };
    const steps = 400, dt = 0.1, g = Math.exp(-dt / 5);
    const e = Math.exp(-1 / 20); // pPlus at the post spike (10 steps after the pre spike)
    // z jumps by e/τz in the step after the post spike (step 61) and decays; Δw = ν·dt·r·Σ z
    const expected = 0.2 * dt * 1 * (e / 5) * (1 - g ** (steps - 61)) / (1 - g);
    expect(await pairRun(spec, 50, 60, steps, 1)).toBeCloseTo(expected, 5);
  });
});

// ---------------------------------------------------------------------------------------------
// Generic path: a rule without a fused kernel runs with tfjs ops per step and matches the fused engine.

type TState = { xPre: tf.Tensor; xPost: tf.Tensor };
const tensorStdp = defineRule<{ traceMode: string }, TState>({
  name: 'test/tensor-stdp',
  defaults: { traceMode: 'all-to-all' },
  init: (d) => ({ xPre: tf.zeros([d.nPre]), xPost: tf.zeros([d.nPost]) }),
  step(io: RuleStepIO, s, p) {
    const mode = p.traceMode as TraceMode;
    const bounds = { wMin: 0, wMax: 8 };
    const zerosPost = tf.zerosLike(s.xPost);
    const xPostDec = updateTraceTensor(s.xPost, zerosPost, mode, io.dtMs, 20);
    const ltd = tf.mul(xPostDec, -0.25);
    io.conn.onPre(io.pre, ltd, bounds);
    const xPre = updateTraceTensor(s.xPre, io.pre, mode, io.dtMs, 20);
    const ltp = tf.mul(xPre, 0.2);
    io.conn.onPost(ltp, io.post, bounds);
    const xPost = updateTraceTensor(s.xPost, io.post, mode, io.dtMs, 20);
    tf.dispose([zerosPost, xPostDec, ltd, ltp]);
    return { xPre, xPost };
  },
});

describe('generic (tensor) path', () => {
  it('a rule without a fused kernel matches the fused engine, and leaks nothing', async () => {
    const w0 = createRng(8).uniform(30 * 5, 1, 5);
    const run = async (rule: { rule: Parameters<Network['connect']>[2]['rule']; ruleParams?: Params }) => {
      const net = new Network({ registry: builtins(), dtMs: 1, seed: 4 });
      net.addPoisson('in', { n: 30, rateHz: 30 });
      net.addPopulation('out', { n: 5, neuron: lif, params: { tauMMs: 10 } });
      const c = CSRConnection.fromDense({ data: w0, shape: [30, 5] });
      net.connect('in', 'out', { connection: c, ...rule });
      const spikes = net.monitorSpikes('out');
      await net.run(300);
      const w = await c.getWeights();
      c.dispose();
      net.dispose();
      return { w, spikes: Array.from(spikes.steps()) };
    };
    const generic = await expectNoLeaks(() => run({ rule: tensorStdp }));
    const fused = await run(fusedRule('stdp', stdpSpec({ aPlus: 0.2, aMinus: 0.25, wMax: 8 })));
    expect(generic.spikes).toEqual(fused.spikes);
    expect(generic.spikes.length).toBeGreaterThan(20);
    for (let k = 0; k < w0.length; k++) expect(generic.w[k]).toBeCloseTo(fused.w[k]!, 4);
    expect(generic.w).not.toEqual(w0);
  });
});

describe('generic (tensor) neurons', () => {
  // A core Neuron with only init/step (no fused kernel): the network calls step(input) per step with
  // the input gathered in the previous step, so it answers one step later than a SpikingNeuron.
  const genericLif = defineNeuron({ name: 'test/generic-lif', defaults: lif.defaults, init: lif.init, step: lif.step });

  async function latency(neuron: typeof lif | typeof genericLif) {
    const net = new Network({ registry: builtins(), dtMs: 1 });
    net.addSpikeTrain('in', { n: 1, timesMs: [10, 30], indices: [0, 0] });
    net.addPopulation('out', { n: 2, neuron, params: { refractoryMs: 0 } });
    const c = DenseConnection.fromDense([[100, 0]]);
    net.connect('in', 'out', { connection: c });
    const m = net.monitorSpikes('out');
    await net.run(40);
    const bytes = await net.saveCheckpoint();
    await net.loadCheckpoint(bytes);
    await net.reset();
    await net.run(40);
    c.dispose();
    net.dispose();
    return Array.from(m.steps());
  }

  it('run with tfjs ops per step, one step of extra latency, checkpoint and reset, no leaks', async () => {
    expect(await latency(lif)).toEqual([11, 31]);
    expect(await expectNoLeaks(() => latency(genericLif))).toEqual([12, 32]);
  });
});

// ---------------------------------------------------------------------------------------------
// Bad input: PlasticityError naming the argument, nothing changed.

describe('bad input', () => {
  it('throws PlasticityError naming the argument and changes nothing', async () => {
    expect(() => new Network({ registry: builtins(), dtMs: 0 })).toThrow(/dtMs/);
    expect(() => new Network({ registry: builtins(), dtMs: -0.1 })).toThrow(/dtMs/);
    const x = buildNetwork(7);
    const net = x.net;
    const check = (fn: () => unknown, code: string, re: RegExp) => {
      let err: unknown;
      try { fn(); } catch (e) { err = e; }
      expect(isPlasticityError(err, code as never), String(err)).toBe(true);
      expect((err as Error).message).toMatch(re);
    };
    const wrong = DenseConnection.fromDense({ data: new Float32Array(60 * 5), shape: [60, 5] });
    check(() => net.connect('in', 'exc', { connection: wrong }), 'E_SHAPE', /connection must have shape \[60, 12\]/);
    check(() => net.addPopulation('x', { n: 3, neuron: 'core/nope' }), 'E_REGISTRY', /core\/nope/);
    check(() => net.addPopulation('y', { n: 3, neuron: lif, params: { tauMMs: -1 } }), 'E_PARAM', /tauMMs/);
    check(() => net.addPopulation('z', { n: 3, neuron: lif, params: { vThreshMv: NaN } }), 'E_PARAM', /vThreshMv/);
    check(() => net.addPopulation('exc', { n: 3, neuron: lif }), 'E_PARAM', /already exists/);
    const ok = DenseConnection.fromDense({ data: new Float32Array(60 * 12).fill(1), shape: [60, 12] });
    check(() => net.connect('in', 'exc', { connection: ok, rule: 'core/unknown-rule' }), 'E_REGISTRY', /core\/unknown-rule/);
    check(() => net.connect('in', 'exc', { connection: ok, ...fusedRule('neg', stdpSpec({ tauPlusMs: -20 })) }), 'E_PARAM', /tauPlusMs/);
    check(() => net.connect('in', 'exc', { connection: ok, ...fusedRule('zero', stdpSpec({ tauMinusMs: 0 })) }), 'E_PARAM', /tauMinusMs/);
    check(() => net.connect('in', 'exc', { connection: ok, ...fusedRule('nan', stdpSpec({ aPlus: NaN })) }), 'E_PARAM', /aPlus/);
    check(() => net.connect('in', 'exc', { connection: ok, ...fusedRule('bounds', stdpSpec({ wMin: 1, wMax: 0 })) }), 'E_PARAM', /wMin must be <= wMax/);
    check(() => net.connect('in', 'exc', { connection: ok, delaySteps: -1 }), 'E_PARAM', /delaySteps/);
    check(() => net.connect('in', 'exc', { connection: ok, channel: 'ge' }), 'E_PARAM', /channel/);
    check(() => net.connect('exc', 'in', { connection: ok }), 'E_PARAM', /post must be a neuron population/);
    check(() => net.monitorState('exc', 'nope'), 'E_PARAM', /variable/);
    await expect(net.run(-1)).rejects.toThrow(/durationMs/);
    await expect(net.run(NaN)).rejects.toThrow(/durationMs/);
    // nothing changed: the network still runs exactly like an untouched twin
    const twin = buildNetwork(7);
    await net.run(50);
    await twin.net.run(50);
    expect(await snapshot(net, x.conns)).toEqual(await snapshot(twin.net, twin.conns));
    [wrong, ok].forEach((c) => c.dispose());
    x.dispose();
    twin.dispose();
  });

  it('the registry resolves names given by the application', () => {
    const registry = createRegistry();
    const net = new Network({ dtMs: 0.1, registry });
    expect(registry.has('core/lif')).toBe(true);
    net.addPopulation('a', { n: 2, neuron: 'core/adaptive-lif' });
    expect(net.state('a').theta).toEqual(new Float32Array(2));
  });
});
