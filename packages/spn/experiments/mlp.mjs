// The plain MLP the experiments compare against: 1 → hidden → hidden → hidden → 1, ReLU, PyTorch's
// default initialisation (uniform ±1/√fanIn) drawn from the seed's 'mlp' stream.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@plasticity/core';

/** The MLP's variables (weights and biases, layer by layer) and its forward function. */
export function makeMlp(seed, hidden) {
  const rng = createRng(seed).stream('mlp');
  const layer = (fanIn, fanOut) => {
    const b = 1 / Math.sqrt(fanIn);
    const u = (n) => rng.uniform(n).map((v) => (2 * v - 1) * b);
    return [tf.variable(tf.tensor2d(u(fanIn * fanOut), [fanIn, fanOut])), tf.variable(tf.tensor1d(u(fanOut)))];
  };
  const vars = [...layer(1, hidden), ...layer(hidden, hidden), ...layer(hidden, hidden), ...layer(hidden, 1)];
  const forward = (x) => {
    let h = x;
    for (let l = 0; l < 4; l++) {
      h = tf.add(tf.matMul(h, vars[2 * l]), vars[2 * l + 1]);
      if (l < 3) h = tf.relu(h);
    }
    return h;
  };
  return { vars, forward };
}
