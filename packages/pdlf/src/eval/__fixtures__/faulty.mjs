// Fitness functions that fail on purpose, for the worker pool's recovery tests. Each misbehaves on its
// first call in the worker of slot `context.data.slot` in its first incarnation only: the replacement
// worker (incarnation 1) evaluates normally, so a correct pool ends with the right fitness everywhere.
import { fitness as sphere } from './sphere.mjs';

let calls = 0;
const firstCallInTarget = (context) => calls++ === 0 && context.worker.slot === context.data.slot && context.worker.incarnation === 0;

export function crashFirst(x, context) {
  if (firstCallInTarget(context)) throw new Error('deliberate crash in the fitness function');
  return sphere(x);
}

export function exitFirst(x, context) {
  if (firstCallInTarget(context)) process.exit(3);
  return sphere(x);
}

export function hangFirst(x, context) {
  if (firstCallInTarget(context)) for (;;);
  return sphere(x);
}

/** Throws for every solution whose first parameter is above 100 (never recovers). */
export function poison(x) {
  if (x[0] > 100) throw new Error(`poisonous solution (x[0] = ${x[0]})`);
  return sphere(x);
}

/** Returns a string: not a fitness. */
export function notANumber() {
  return 'high';
}
