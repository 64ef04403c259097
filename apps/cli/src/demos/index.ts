import type { Demo } from '../demo.js';
import { foundation } from './foundation.js';
import { sparseEvents } from './sparse-events.js';

/** Every demo, in the order `pnpm demo` runs them. */
export const DEMOS: readonly Demo[] = [foundation, sparseEvents];
