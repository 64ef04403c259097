// A checkpointed run: simulate half, save the whole network to a file, build it again (as a new process
// would), load the file, simulate the second half — and get exactly the uninterrupted run's weights and
// spikes. Run it with `pnpm --filter @plasticity/examples checkpointed-run`.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initBackend } from '@plasticity/core';
import { stdp } from '@plasticity/rules';
import { Network, lif } from '@plasticity/snn';
import { CSRConnection } from '@plasticity/sparse';

// cpu: the fused engine edits weights in place and is bit-for-bit reproducible across save/load there.
await initBackend('cpu');

/** The same network every time: everything stochastic is seeded. */
function build() {
  const net = new Network({ dtMs: 0.5, seed: 7 });
  net.addPoisson('input', { n: 100, rateHz: 25 });
  net.addPopulation('out', { n: 20, neuron: lif, params: { refractoryMs: 2 } });
  const w = CSRConnection.random({ nPre: 100, nPost: 20, p: 0.3, seed: 3, init: { dist: 'uniform', low: 0, high: 4 } });
  net.connect('input', 'out', {
    connection: w,
    rule: stdp,
    ruleParams: { aPlus: 0.04, aMinus: 0.042, tauPlusMs: 20, tauMinusMs: 20, wMin: 0, wMax: 4 },
  });
  return { net, w, spikes: net.monitorSpikes('out') };
}

const durationMs = 4_000;

// 1. Uninterrupted.
const a = build();
await a.net.run(durationMs);
const straight = { weights: await a.w.getWeights(), spikes: a.spikes.count };
a.w.dispose();
a.net.dispose();

// 2. Half, save to a file, throw the network away.
const dir = mkdtempSync(path.join(os.tmpdir(), 'plasticity-checkpoint-'));
const file = path.join(dir, 'run.ckpt');
const b = build();
await b.net.run(durationMs / 2);
const firstHalfSpikes = b.spikes.count;
writeFileSync(file, await b.net.saveCheckpoint());
b.w.dispose();
b.net.dispose();

// 3. Build again, load the file (validated; no code is evaluated), run the second half.
const c = build();
await c.net.loadCheckpoint(readFileSync(file));
await c.net.run(durationMs / 2);
const resumed = { weights: await c.w.getWeights(), spikes: firstHalfSpikes + c.spikes.count };
const bytes = readFileSync(file).length;
c.w.dispose();
c.net.dispose();
rmSync(dir, { recursive: true, force: true });

const identical = straight.weights.length === resumed.weights.length && straight.weights.every((x, i) => Object.is(x, resumed.weights[i]));
console.log(JSON.stringify({ checkpointBytes: bytes, spikesStraight: straight.spikes, spikesResumed: resumed.spikes, weightsIdentical: identical }));
if (!identical || straight.spikes !== resumed.spikes) process.exit(1);
