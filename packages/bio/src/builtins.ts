import type { Registry } from '@plasticity/core';
import { crystallize } from './crystallize.js';
import { dale } from './dale.js';
import { fuzzyLr } from './fuzzy-lr.js';
import { rejuvenate } from './rejuvenate.js';
import { synapticScaling } from './synaptic-scaling.js';
import { volumeLr } from './volume-lr.js';
import { weightSplitting } from './weight-splitting.js';

/** Every transform of this package. */
export const bioTransforms = [fuzzyLr, volumeLr, crystallize, rejuvenate, dale, synapticScaling, weightSplitting] as const;

/** Registers every bio/* transform (same objects again: no-op). */
export function registerBuiltins(registry: Registry): void {
  for (const t of bioTransforms) registry.register(t);
}
