import type { Demo } from '../demo.js';
import { bioTransforms } from './bio-transforms.js';
import { foundation } from './foundation.js';
import { pdlfWorkingMemory } from './pdlf-working-memory.js';
import { songMillerAbbott } from './song-miller-abbott.js';
import { sparseBackprop } from './sparse-backprop.js';
import { sparseEvents } from './sparse-events.js';
import { spnForecast } from './spn-forecast.js';
import { stdpWindow } from './stdp-window.js';

/** Every demo, in the order `pnpm demo` runs them. */
export const DEMOS: readonly Demo[] = [
  foundation, sparseEvents, sparseBackprop, stdpWindow, songMillerAbbott, spnForecast, pdlfWorkingMemory, bioTransforms,
];
