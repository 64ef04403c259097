import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { expectPlasticityError } from '@plasticity/testing';
import { CSRConnection } from '@plasticity/sparse';
import { buildNetwork } from './build.js';
import { builtins } from './testing/registry.js';
import { Network } from './network.js';
import { lif } from './neurons/models.js';
import { PoissonSource } from './sources/sources.js';
import type { NetworkSpec } from './spec.js';



/** Built through the API: a connection object, connection specs, two rules, a delay, monitors. */
function original() {
  const net = new Network({ dtMs: 0.5, seed: 21, registry: builtins() });
  net.addPoisson('in', { n: 50, rateHz: 40, schedule: { startsMs: [0, 100], factors: [1, 0.5] } });
  net.addPopulation('exc', { n: 10, neuron: lif, params: { tauMMs: 12, refractoryMs: 1 } });
  net.addSpikeTrain('cue', { n: 2, timesMs: [5, 20.5, 60], indices: [0, 1, 0] });
  const c = CSRConnection.random({ nPre: 50, nPost: 10, p: 0.4, seed: 3, init: { dist: 'uniform', low: 1, high: 4 } });
  net.connect('in', 'exc', { connection: c, rule: 'core/stdp', ruleParams: { aPlus: 0.2, aMinus: 0.22, wMax: 6 }, delaySteps: 2 });
  net.connect('exc', 'exc', { connection: { format: 'coo', random: { p: 0.3, seed: 4, init: { dist: 'uniform', low: 0, high: 2 } } }, rule: 'core/mstdp', ruleParams: { nu: 0.05, wMin: 0, wMax: 3 } });
  net.connect('cue', 'exc', { connection: { format: 'dense', pre: [0, 0, 1, 1], post: [0, 1, 2, 3], weights: [9, 9, 9, 9] } });
  net.setModulator('reward', 0.5);
  net.monitorSpikes('exc');
  net.monitorWeights('in->exc', { every: 40 });
  return { net, c };
}

describe('network specs', () => {
  it('toSpec → JSON → buildNetwork → toSpec round-trips, and the rebuilt network runs identically', async () => {
    const a = original();
    const spec = await a.net.toSpec();
    const json = JSON.parse(JSON.stringify(spec)) as NetworkSpec;
    const b = buildNetwork(json, builtins());
    expect(await b.toSpec()).toEqual(spec);
    expect(spec.projections[0]!.connection).toMatchObject({ format: 'csr', pre: expect.any(Array) }); // a connection object: explicit
    expect(spec.projections[1]!.connection).toEqual({ format: 'coo', random: { p: 0.3, seed: 4, init: { dist: 'uniform', low: 0, high: 2 } } });
    await a.net.run(150);
    await b.run(150);
    for (const p of spec.projections) expect(await b.weights(p.name)).toEqual(await a.net.weights(p.name));
    expect(b.state('exc')).toEqual(a.net.state('exc'));
    const [sa, sb] = [a.net.monitors()[0]!, b.monitors()[0]!] as { count: number }[];
    expect(sb!.count).toBe(sa!.count);
    expect(sa!.count).toBeGreaterThan(20);
    a.net.dispose();
    a.c.dispose();
    b.dispose();
  });

  it('a worker thread rebuilds the network from spec + checkpoint and continues bit for bit', async () => {
    const ref = original();
    await ref.net.run(200);
    const half = original();
    await half.net.run(100);
    const spec = await half.net.toSpec();
    const checkpoint = await half.net.saveCheckpoint();
    const result = await new Promise<{ weights: Float32Array[]; step: number; state: Record<string, Float32Array> }>((resolve, reject) => {
      const w = new Worker(new URL('./testing/continue-worker.mjs', import.meta.url), { workerData: { spec, checkpoint, durationMs: 100 } });
      w.once('message', resolve);
      w.once('error', reject);
    });
    expect(result.step).toBe(400);
    for (const [k, p] of spec.projections.entries()) expect(result.weights[k]).toEqual(await ref.net.weights(p.name));
    expect(result.state).toEqual(ref.net.state('exc'));
    for (const x of [ref, half]) { x.net.dispose(); x.c.dispose(); }
  });

  it('rejects bad specs before building anything, naming the path', () => {
    const r = builtins();
    const ok = { format: 'plasticity-network', version: 1, dtMs: 1, seed: 0, lazyPotentiation: true, populations: [{ name: 'a', kind: 'external', n: 2 }, { name: 'b', kind: 'neurons', n: 2, neuron: 'core/lif', params: {} }], projections: [], modulators: {}, monitors: [] } as const;
    expect(() => buildNetwork(ok as unknown as NetworkSpec, r).dispose()).not.toThrow();
    const bad = (over: object) => ({ ...ok, ...over }) as unknown as NetworkSpec;
    expectPlasticityError(() => buildNetwork(bad({ version: 2 }), r), 'E_PARAM', /spec\.version must be 1/);
    expectPlasticityError(() => buildNetwork(bad({ populations: [{ name: 'a', kind: 'cloud', n: 1 }] }), r), 'E_PARAM', /spec\.populations\[0\]\.kind/);
    expectPlasticityError(() => buildNetwork(bad({ projections: [{ name: 'p', pre: 'a', post: 'zzz', connection: { format: 'csr', random: { p: 1, seed: 1 } } }] }), r), 'E_PARAM', /spec\.projections\[0\]\.post must be a population of the spec/);
    expectPlasticityError(() => buildNetwork(bad({ projections: [{ name: 'p', pre: 'a', post: 'b', connection: { format: 'csr' } }] }), r), 'E_PARAM', /connection must be \{ random/);
    expectPlasticityError(() => buildNetwork(bad({ projections: [{ name: 'p', pre: 'a', post: 'b', connection: { format: 'csr', random: { p: 1, seed: 1 } }, rule: { name: 'acme/nope' } }] }), r), 'E_REGISTRY', /acme\/nope/);
    expectPlasticityError(() => buildNetwork(bad({ monitors: [{ kind: 'weights', projection: 'none', every: 1 }] }), r), 'E_PARAM', /monitors\[0\]/);
    expectPlasticityError(() => buildNetwork(bad({ dtMs: NaN }), r), 'E_PARAM', /JSON/);
  });

  it('a custom SpikeSource has no spec', async () => {
    const net = new Network({ dtMs: 1 });
    net.addSource('custom', new PoissonSource({ n: 3, rateHz: 10, seed: 1 }));
    await expect(net.toSpec()).rejects.toMatchObject({ code: 'E_PARAM', message: expect.stringMatching(/custom SpikeSource/) });
  });
});

describe('closed loop', () => {
  it('external spikes set step by step, stepped synchronously, equal a played-back spike train', async () => {
    const times = [3, 4, 9, 15, 15, 22];
    const indices = [0, 2, 1, 0, 3, 2];
    const build = (external: boolean) => {
      const net = new Network({ dtMs: 1, registry: builtins() });
      if (external) net.addExternal('in', { n: 4 });
      else net.addSpikeTrain('in', { n: 4, timesMs: times, indices });
      net.addPopulation('out', { n: 2, neuron: lif, params: { tauMMs: 5 } });
      net.connect('in', 'out', { connection: { format: 'dense', random: { p: 1, seed: 2, init: 12 } }, rule: 'core/stdp', ruleParams: { aPlus: 0.5, aMinus: 0.4, wMax: 20 } });
      return net;
    };
    const ext = build(true), ref = build(false);
    await ext.step(); // weights into host memory (not needed on cpu; the documented habit)
    await ref.step();
    const seen: number[][] = [];
    for (let n = 1; n < 30; n++) {
      const now = indices.filter((_, k) => times[k] === n);
      ext.setSpikes('in', Int32Array.from(now));
      ext.stepSync();
      seen.push(Array.from(ext.spikes('in').indices));
    }
    await ref.run(29);
    expect(seen[2]).toEqual([0]); // step 3
    expect(seen[14]!.sort()).toEqual([0, 3]); // step 15
    expect(await ext.weights('in->out')).toEqual(await ref.weights('in->out'));
    expect(ext.state('out')).toEqual(ref.state('out'));
    expectPlasticityError(() => ext.setSpikes('in', Int32Array.from([4])), 'E_PARAM', /spikes\[0\]/);
    expectPlasticityError(() => ext.setSpikes('out', Int32Array.from([0])), 'E_PARAM', /not external/);
    ext.dispose();
    ref.dispose();
  });

  it('setInput drives a population for the next step; spikes() reads it back with no tfjs call', () => {
    const net = new Network({ dtMs: 1 });
    net.addPopulation('out', { n: 3, neuron: lif, params: { refractoryMs: 0 } });
    net.setInput('out', [0, 100, 0]);
    net.stepSync(); // the input is delivered at the end of this step
    expect(Array.from(net.spikes('out').indices)).toEqual([]);
    net.stepSync();
    expect(Array.from(net.spikes('out').indices)).toEqual([1]);
    expect(Array.from(net.spikes('out').values)).toEqual([1]);
    expectPlasticityError(() => net.setInput('out', [1, 2]), 'E_SHAPE', /values/);
    expectPlasticityError(() => net.setInput('out', [1, NaN, 0]), 'E_PARAM', /values\[1\] must be finite/);
  });
});
