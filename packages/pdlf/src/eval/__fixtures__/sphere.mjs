// Fitness modules for the evaluator tests (plain JavaScript: workers import them as they are).

/** -Σx² (maximum 0 at the origin). */
export function fitness(x) {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j] * x[j];
  return -s;
}

/** The same for several solutions at once; remembers the chunk sizes it saw in context.data-free form. */
export function batch(solutions, context) {
  return solutions.map((x, k) => fitness(x) + 0 * context.indices[k]);
}

/** Async, and uses the context: fitness plus `data.offset`. */
export async function withData(x, context) {
  await new Promise((resolve) => setTimeout(resolve, 1));
  return fitness(x) + context.data.offset;
}

export const notAFunction = 42;
