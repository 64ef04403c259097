import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createRegistry, createRng } from '@plasticity/core';
import { CSRConnection, DenseConnection, type Connection } from '@plasticity/sparse';
import { registerBuiltins } from '@plasticity/rules';
import { TEST_BACKENDS, useBackend } from '@plasticity/testing';
import { Network } from './network.js';
import { lif } from './neurons/models.js';

// A trainable connection (its weights a tf.Variable) inside a Network: the engine's plasticity and an
// optimizer act on the one variable, and each sees what the other did.

const nIn = 30;
const nOut = 5;
const w0 = createRng(7).uniform(nIn * nOut, 0.5, 3);

function network(conn: Connection, lazyPotentiation: boolean): Network {
  const registry = createRegistry();
  registerBuiltins(registry);
  const net = new Network({ registry, dtMs: 1, seed: 3, lazyPotentiation });
  net.addPoisson('in', { n: nIn, rateHz: 40 });
  net.addPopulation('out', { n: nOut, neuron: lif, params: { tauMMs: 10 } });
  net.connect('in', 'out', {
    connection: conn, rule: 'core/stdp',
    ruleParams: { aPlus: 0.1, aMinus: 0.12, tauPlusMs: 20, tauMinusMs: 20, pairing: 'all-to-all', weightDependence: 'additive', wMin: 0, wMax: 5 },
  });
  return net;
}

/** One Adam step on mean((x @ W)²) through the connection's propagate (the sparse gradient for CSR). */
function adamStep(conn: Connection, optimizer: tf.Optimizer, x: tf.Tensor2D): void {
  optimizer.minimize(() => tf.mean(tf.square(conn.propagate(x, { mode: 'float' }))) as tf.Scalar, false, [conn.variable!]);
}

describe.each(TEST_BACKENDS)('a trainable connection in a Network (%s)', (backend) => {
  for (const format of ['dense', 'csr'] as const) {
    for (const lazy of [false, true]) {
      it(`${format}${lazy ? ', lazy potentiation' : ''}: plasticity, then Adam, then plasticity again — one variable, the same weights as a plain connection`, async () => {
        await useBackend(backend);
        const make = (): Connection => (format === 'dense'
          ? DenseConnection.fromDense({ data: w0, shape: [nIn, nOut] })
          : CSRConnection.fromDense({ data: w0, shape: [nIn, nOut] }));
        const trained = make();
        const v = trained.makeTrainable();
        const plain = make();
        const a = network(trained, lazy);
        const b = network(plain, lazy);
        const x = tf.tensor2d(createRng(2).uniform(3 * nIn, 0, 1), [3, nIn]);
        const optimizer = tf.train.adam(0.05);
        const tensors = tf.memory().numTensors;

        await a.run(200);
        await b.run(200);
        const afterRun = await plain.getWeights();
        expect(afterRun).not.toEqual(w0); // plasticity moved the weights
        expect(await v.data()).toEqual(afterRun);
        expect(trained.variable).toBe(v);
        if (backend === 'cpu') expect(tf.memory().numTensors).toBe(tensors); // the engine wrote into the variable's buffer

        adamStep(trained, optimizer, x); // creates Adam's moments
        const afterAdam = Float32Array.from(await v.data()); // a copy: on cpu data() is the buffer itself
        expect(afterAdam).not.toEqual(afterRun);
        plain.setWeights(afterAdam);

        // The network picks up the optimizer's step (not its own stale copy) and keeps training the variable.
        await a.run(200);
        await b.run(200);
        const final = await plain.getWeights();
        expect(await v.data()).toEqual(final);
        expect(await trained.getWeights()).toEqual(final);
        expect(final).not.toEqual(afterAdam);
        expect(trained.variable).toBe(v);

        optimizer.dispose();
        x.dispose();
        a.dispose();
        b.dispose();
        trained.dispose();
        plain.dispose();
        expect(v.isDisposed).toBe(true);
        await useBackend('cpu');
      });
    }
  }
});
