import type { Registry } from '@plasticity/core';
import { NEURONS } from './neurons/models.js';

/** Registers the neuron models of @plasticity/snn ('core/lif', 'core/conductance-lif', 'core/adaptive-lif', 'core/ternary-lif'). */
export function registerBuiltins(registry: Registry): void {
  for (const neuron of NEURONS) registry.register(neuron);
}
