// The runnable examples in scripts/ (listed in the root README), run as a user runs them: `node scripts/x.mjs`.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));

/** Runs an example; returns the JSON object it prints last. */
function run(script: string): Record<string, unknown> {
  const r = spawnSync(process.execPath, [path.join('scripts', script)], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, `${script} exits 0\n${r.stderr}`).toBe(0);
  expect(r.stderr, `${script} prints nothing on stderr`).toBe('');
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

// One entry per script in scripts/; the custom fused rule example joins this list when it lands.
describe('examples', () => {
  it('getting-started: a LIF + CSR + STDP network runs and learns', () => {
    const out = run('getting-started.mjs');
    expect(out.backend).toBe('wasm');
    expect(out.synapses).toBeGreaterThan(1500);
    expect(out.outputRateHz).toBeGreaterThan(1);
    expect(out.outputRateHz).toBeLessThan(200);
    expect(out.meanWeightAfter).not.toBe(out.meanWeightBefore); // STDP changed the weights
    expect(out.vSamples).toBe(5000);
  });

  it('checkpointed-run: save at half time, load into a new network, finish: same as uninterrupted', () => {
    const out = run('checkpointed-run.mjs');
    expect(out.weightsIdentical).toBe(true);
    expect(out.spikesResumed).toBe(out.spikesStraight);
    expect(out.checkpointBytes).toBeGreaterThan(0);
  });
});
