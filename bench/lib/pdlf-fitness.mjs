// The CPU-bound fitness function of bench/pdlf-pool.mjs: a solution is the 32 × 32 recurrent weight
// matrix of a tanh network, rolled out for `data.steps` steps from a fixed input; the fitness is minus
// the squared distance of the final state from a target. Pure JavaScript arithmetic (~1 M
// multiply-adds per 1000 steps), no allocation in the loop: the work a policy rollout does.
const N = 32;

export function rollout(w, context) {
  const steps = context.data.steps;
  let x = new Float64Array(N);
  let y = new Float64Array(N);
  for (let i = 0; i < N; i++) x[i] = Math.sin(i + 1);
  for (let t = 0; t < steps; t++) {
    for (let j = 0; j < N; j++) {
      let s = 0.1 * Math.sin(0.01 * t + j);
      for (let i = 0; i < N; i++) s += x[i] * w[i * N + j];
      y[j] = Math.tanh(s);
    }
    const tmp = x;
    x = y;
    y = tmp;
  }
  let f = 0;
  for (let i = 0; i < N; i++) f -= (x[i] - 0.5 * Math.cos(i)) ** 2;
  return f;
}

export const DIM = N * N;
