// A user-defined plasticity rule, written against the published API only (package imports, no internals).
import * as tf from '@tensorflow/tfjs-core';
import {
  createRegistry, defineRule, fromConfig, initBackend, isPlasticityError, loadCheckpoint, saveCheckpoint, toConfig,
  type SynapseOps,
} from '@plasticity/core';
import { beforeAll, describe, expect, it } from 'vitest';

/** Presynaptically gated Hebbian rule with a decaying postsynaptic trace: Δw = η·pre·(yTrace − θ). */
const gatedHebb = defineRule({
  name: 'acme/gated-hebb',
  description: 'Δw = eta · pre · (postTrace − theta)',
  defaults: { eta: 0.01, theta: 0.2, tauMs: 20 },
  validate: (p) => [
    ...(p.tauMs > 0 ? [] : [`tauMs must be > 0, got ${p.tauMs}`]),
    ...(p.eta >= 0 ? [] : [`eta must be >= 0, got ${p.eta}`]),
  ],
  init: ({ nPost }) => ({ postTrace: tf.zeros([nPost]) }),
  step(io, state, p) {
    const decay = Math.exp(-io.dtMs / p.tauMs);
    const postTrace = tf.tidy(() => tf.add(tf.mul(state.postTrace as tf.Tensor, decay), tf.reshape(io.post, [-1])));
    const delta = tf.tidy(() => tf.mul(tf.sub(postTrace, p.theta), p.eta));
    io.conn.onPre(io.pre, delta);
    tf.dispose([state.postTrace as tf.Tensor, delta]);
    return { postTrace };
  },
});

/** The smallest SynapseOps a user could write: a dense matrix held in a Float32Array. */
class ArrayConnection implements SynapseOps {
  readonly nnz: number;
  constructor(readonly nPre: number, readonly nPost: number, readonly w = new Float32Array(nPre * nPost)) {
    this.nnz = nPre * nPost;
  }
  onPre(pre: tf.Tensor | Float32Array | Uint8Array, post: tf.Tensor | Float32Array): void {
    const a = pre instanceof tf.Tensor ? (pre.dataSync() as Float32Array) : pre;
    const b = post instanceof tf.Tensor ? (post.dataSync() as Float32Array) : post;
    for (let i = 0; i < this.nPre; i++) if (a[i] !== 0) for (let j = 0; j < this.nPost; j++) this.w[i * this.nPost + j]! += b[j]!;
  }
  onPost(): void {
    throw new Error('not used by this rule');
  }
  addOuter(): void {
    throw new Error('not used by this rule');
  }
  mapSynapses(): void {
    throw new Error('not used by this rule');
  }
}

describe('a custom rule defined outside the packages', () => {
  beforeAll(async () => {
    await initBackend('cpu', { log: () => {} });
  });

  it('registers, serialises and round-trips through JSON and a checkpoint', async () => {
    const registry = createRegistry();
    registry.register(gatedHebb);
    const config = toConfig(gatedHebb, { eta: 0.5 });
    const json = JSON.stringify(config);
    const back = fromConfig(registry, json);
    expect(back.plugin).toBe(gatedHebb);
    expect(back.params).toEqual({ eta: 0.5, theta: 0.2, tauMs: 20 });
    const bytes = await saveCheckpoint({ configs: { rule: config } });
    expect(loadCheckpoint(bytes, registry).configs.rule!.params).toEqual(back.params);
    expect(() => toConfig(gatedHebb, { tauMs: 0 })).toThrow(/tauMs must be > 0/);
    try {
      fromConfig(createRegistry(), json);
      expect.unreachable();
    } catch (error) {
      expect(isPlasticityError(error, 'E_REGISTRY')).toBe(true);
    }
  });

  it('runs on a connection and gives the hand-computed weights', () => {
    const params = fromConfig(createRegistry([gatedHebb]), toConfig(gatedHebb, { eta: 0.5, theta: 0.25, tauMs: 10 })).params as typeof gatedHebb.defaults;
    const conn = new ArrayConnection(2, 3);
    let state = gatedHebb.init({ nPre: 2, nPost: 3, batch: 1 }, params);
    const pre = tf.tensor1d([1, 0]);
    const post = tf.tensor1d([1, 0, 1]);
    state = gatedHebb.step({ pre, post, conn, dtMs: 1 }, state, params);
    const silent = tf.tensor1d([0, 0, 0]);
    state = gatedHebb.step({ pre, post: silent, conn, dtMs: 1 }, state, params);
    // Step 1: trace = post = [1, 0, 1]; Δw row 0 = 0.5·(trace − 0.25). Step 2: trace = [e^-0.1, 0, e^-0.1].
    const d = Math.exp(-0.1);
    const expected = [0.5 * 0.75 + 0.5 * (d - 0.25), 0.5 * -0.25 * 2, 0.5 * 0.75 + 0.5 * (d - 0.25), 0, 0, 0];
    expected.forEach((v, k) => expect(conn.w[k]).toBeCloseTo(v, 6));
    tf.dispose([pre, post, silent, state.postTrace as tf.Tensor]);
    expect(tf.memory().numTensors).toBe(0);
  });
});
