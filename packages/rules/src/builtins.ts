import type { Registry } from '@plasticity/core';
import { bcm, hebbian, oja } from './hebbian.js';
import { mstdp, mstdpet } from './mstdp.js';
import { pdp, scp } from './pdlf.js';
import { stdp } from './stdp.js';
import { tripletStdp } from './triplet.js';

/** Every rule of this package, in registration order. */
export const BUILTIN_RULES = [stdp, tripletStdp, hebbian, oja, bcm, mstdp, mstdpet, scp, pdp] as const;

/** Their fused kernels (each rule carries its own; registering the rule registers it). */
export const BUILTIN_KERNELS = BUILTIN_RULES.map((rule) => rule.fused!);

/**
 * Registers core/stdp, core/triplet-stdp, core/hebbian, core/oja, core/bcm, core/mstdp,
 * core/mstdpet, core/scp and core/pdp in `registry`, each with its fused kernel. Nothing is registered at import; calling
 * it twice is a no-op.
 */
export function registerBuiltins(registry: Registry): void {
  for (const rule of BUILTIN_RULES) registry.register(rule);
}
