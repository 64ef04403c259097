import { PlasticityError, type Registry } from '@plasticity/core';
import { Network } from './network.js';
import { NEURONS } from './neurons/models.js';
import { missingPlugins, validateSpec, type NetworkSpec } from './spec.js';

/**
 * Builds the network a spec describes (populations, connections, rules, transforms, modulators,
 * monitors) with plugins from `registry`. Every plugin name is looked up and the spec's shape checked
 * before anything is built; the network owns the connections it builds (dispose() releases them).
 * A checkpoint of the original network then restores its running state (`loadCheckpoint`).
 */
export function buildNetwork(spec: NetworkSpec, registry: Registry): Network {
  validateSpec(spec);
  // a Network adds the built-in neurons to its registry itself
  const missing = missingPlugins(spec, registry).filter((name) => !NEURONS.some((n) => n.name === name));
  if (missing.length > 0) {
    throw new PlasticityError('E_REGISTRY', `the spec needs plugins this registry lacks: ${missing.join(', ')} (register them first, e.g. registerBuiltins from @plasticity/rules)`);
  }
  const net = new Network({ dtMs: spec.dtMs, seed: spec.seed, lazyPotentiation: spec.lazyPotentiation, members: spec.members ?? 1, registry });
  try {
    for (const p of spec.populations) {
      if (p.kind === 'neurons') net.addPopulation(p.name, { n: p.n, neuron: p.neuron, params: p.params });
      else if (p.kind === 'poisson') {
        net.addPoisson(p.name, { n: p.n, rateHz: p.rateHz, ...(p.schedule ? { schedule: p.schedule } : {}), ...(p.seed !== undefined ? { seed: p.seed } : {}) });
      } else if (p.kind === 'spike-train') net.addSpikeTrain(p.name, { n: p.n, timesMs: p.timesMs, indices: p.indices });
      else net.addExternal(p.name, { n: p.n, ...(p.values ? { values: true } : {}) });
    }
    for (const p of spec.projections) {
      net.connect(p.pre, p.post, {
        connection: p.connection, name: p.name,
        ...(p.channel !== undefined ? { channel: p.channel } : {}),
        ...(p.delaySteps !== undefined ? { delaySteps: p.delaySteps } : {}),
        ...(p.rule ? { rule: p.rule.name, ruleParams: p.rule.params ?? {} } : {}),
        ...(p.transforms ? { transforms: p.transforms.map((t) => ({ transform: t.name, params: t.params ?? {} })) } : {}),
        ...(p.modulator !== undefined ? { modulator: p.modulator } : {}),
      });
    }
    for (const [k, v] of Object.entries(spec.modulators)) net.setModulator(k, v);
    for (const m of spec.monitors) {
      if (m.kind === 'spikes') net.monitorSpikes(m.population);
      else if (m.kind === 'state') net.monitorState(m.population, m.variable, { every: m.every, ...(m.indices ? { indices: m.indices } : {}) });
      else net.monitorWeights(m.projection, { every: m.every });
    }
  } catch (error) {
    net.dispose();
    throw error;
  }
  return net;
}
