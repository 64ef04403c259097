// Model setups shared by the pages (the same as the Node demos in apps/cli).
import { createRegistry, createRng, type Params, type Registry, type Rule } from '@plasticity/core';
import { registerBuiltins as registerRules, stdp } from '@plasticity/rules';
import { DenseConnection } from '@plasticity/sparse';
import { Network, conductanceLif, registerBuiltins as registerNeurons } from '@plasticity/snn';

/** A registry with every built-in neuron and rule (what a spec from any page needs). */
export function builtinRegistry(): Registry {
  const registry = createRegistry();
  registerNeurons(registry);
  registerRules(registry);
  return registry;
}

export interface SmaOptions {
  readonly nInputs: number;
  readonly rateHz: number;
  readonly gmax: number;
  /** A− / A+ (1.05 in the paper). */
  readonly ratio: number;
  readonly seed: number;
}

export const SMA_DEFAULTS: SmaOptions = { nInputs: 1000, rateHz: 15, gmax: 0.01, ratio: 1.05, seed: 1 };

/**
 * Song, Miller & Abbott (2000) as Brian2's STDP example: Poisson inputs onto one conductance LIF
 * through additive STDP (A+ = 0.01·gmax), weights uniform in [0, gmax], dt = 0.1 ms.
 * The network owns its connection (a connection spec), so `dispose()` releases everything.
 */
export function buildSma(options: SmaOptions, rule: Rule | string = stdp, registry: Registry = builtinRegistry()): Network {
  const { nInputs, rateHz, gmax, ratio, seed } = options;
  // 'silent': pages show the engine report themselves
  const net = new Network({ dtMs: 0.1, seed, registry, fallback: 'silent' });
  net.addPoisson('input', { n: nInputs, rateHz });
  net.addPopulation('out', { n: 1, neuron: conductanceLif, params: { vInitMv: 0 } });
  const weights = Array.from(createRng(seed).uniform(nInputs, 0, gmax));
  const index = Array.from({ length: nInputs }, (_, i) => i);
  net.connect('input', 'out', {
    connection: { format: 'dense', pre: index, post: index.map(() => 0), weights },
    rule: typeof rule === 'string' ? rule : rule.name,
    ruleParams: knownParams(typeof rule === 'string' ? registry.get(rule, 'rule') : rule, {
      aPlus: 0.01 * gmax, aMinus: 0.01 * ratio * gmax, wMin: 0, wMax: gmax, tauPlusMs: 20, tauMinusMs: 20,
    }),
    name: 'input->out',
  });
  return net;
}

/** The parameters the rule has (a user's rule may name fewer; the rest keep their defaults). */
function knownParams(rule: Rule, params: Record<string, number>): Params {
  return Object.fromEntries(Object.entries(params).filter(([k]) => k in rule.defaults));
}

/** Rate in Hz of the spikes whose time lies in [fromMs, toMs). */
export function rateIn(timesMs: ArrayLike<number>, fromMs: number, toMs: number): number {
  let count = 0;
  for (let k = 0; k < timesMs.length; k++) if (timesMs[k]! >= fromMs && timesMs[k]! < toMs) count++;
  return toMs > fromMs ? count / ((toMs - fromMs) / 1000) : 0;
}

/** DenseConnection re-exported for pages that build connections themselves. */
export { DenseConnection };
