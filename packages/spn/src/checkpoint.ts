import * as tf from '@tensorflow/tfjs-core';
import { PlasticityError, createRegistry, loadCheckpoint, saveCheckpoint, type CheckpointArray, type JsonValue, type PluginState, type Registry } from '@plasticity/core';
import { registerBuiltins as registerRules } from '@plasticity/rules';
import { resolveSpnConfig } from './config.js';
import type { MemoryState } from './layers/contextual-memory-layer.js';
import { PARAMETER_NAMES, SynapticPlasticityNetwork, type NetworkInit } from './network.js';

// A network checkpoint: one `@plasticity/core` checkpoint file holding the configuration, every parameter,
// Adam's step and moments, and all short-term state (activity, memory, previous attention output, rule
// state), so a loaded network continues exactly where the saved one stopped.

const FORMAT = 'plasticity-spn';
const VERSION = 1;

interface Manifest {
  format: typeof FORMAT;
  version: number;
  config: JsonValue;
  adam: { step: number; learningRate: number };
  memory: { kind: 'ema' | 'ring'; next: number; filled: number };
  ruleState: { batch: number; tensors: string[]; numbers: Record<string, number>; arrays: Record<string, 'float32' | 'int32' | 'uint8'> } | null;
}

/** Serialises the network (async: tensors are read back without blocking). */
export async function saveNetwork(net: SynapticPlasticityNetwork): Promise<Uint8Array> {
  const arrays: Record<string, tf.Tensor | Float32Array | Int32Array | Uint8Array | { data: Float32Array; shape: number[] }> = {};
  net.trainableVariables().forEach((v, i) => (arrays[`param/${PARAMETER_NAMES[i]}`] = v));
  // the moments as they are held (tensors, or host arrays after host-path steps): nothing is created
  const moments = net.optimizerMomentValues();
  const variables = net.trainableVariables();
  const moment = (t: tf.Tensor | Float32Array, i: number) => (t instanceof tf.Tensor ? t : { data: t, shape: variables[i]!.shape });
  moments.m.forEach((t, i) => (arrays[`adam/m/${PARAMETER_NAMES[i]}`] = moment(t, i)));
  moments.v.forEach((t, i) => (arrays[`adam/v/${PARAMETER_NAMES[i]}`] = moment(t, i)));
  const activity = net.synapticLayer.activity;
  if (activity !== null) arrays['state/activity'] = activity;
  const memory = net.contextualLayer.state;
  if (memory.memory !== null) arrays['state/memory'] = memory.memory;
  const previous = net.attentionLayer.previous;
  if (previous !== null) arrays['state/previous'] = previous;
  let ruleState: Manifest['ruleState'] = null;
  const rs = net.ruleState;
  if (rs !== null) {
    ruleState = { batch: net.cloneStateBatch(), tensors: [], numbers: {}, arrays: {} };
    for (const [key, value] of Object.entries(rs)) {
      if (value instanceof tf.Tensor) {
        ruleState.tensors.push(key);
        arrays[`rule/${key}`] = value;
      } else if (typeof value === 'number') {
        ruleState.numbers[key] = value;
      } else {
        ruleState.arrays[key] = value instanceof Float32Array ? 'float32' : value instanceof Int32Array ? 'int32' : 'uint8';
        arrays[`rule/${key}`] = value;
      }
    }
  }
  const manifest: Manifest = {
    format: FORMAT,
    version: VERSION,
    config: net.toConfig() as unknown as JsonValue,
    adam: { step: net.optimizerState.step, learningRate: net.optimizerState.learningRate },
    memory: memory.kind === 'ema' ? { kind: 'ema', next: 0, filled: 0 } : { kind: 'ring', next: memory.next, filled: memory.filled },
    ruleState,
  };
  return saveCheckpoint({ arrays, data: manifest as unknown as JsonValue });
}

function bad(message: string): PlasticityError {
  return new PlasticityError('E_CHECKPOINT', `SynapticPlasticityNetwork checkpoint: ${message}`);
}

/**
 * Rebuilds a network from `saveNetwork`'s bytes. Everything is validated (format, version, config,
 * every array's presence, dtype and shape) before a network is built; never evaluates code.
 */
export function loadNetwork(bytes: Uint8Array | ArrayBuffer, init: NetworkInit = {}): SynapticPlasticityNetwork {
  const registry: Registry = init.registry ?? (() => {
    const r = createRegistry();
    registerRules(r);
    return r;
  })();
  const ckpt = loadCheckpoint(bytes, registry);
  const m = ckpt.data as unknown as Manifest;
  if (m === null || typeof m !== 'object' || m.format !== FORMAT) throw bad(`not a network checkpoint (format ${JSON.stringify((m as { format?: unknown } | null)?.format)})`);
  if (m.version !== VERSION) throw bad(`version ${m.version} is not supported (this library reads ${VERSION})`);
  let config;
  try {
    config = resolveSpnConfig(m.config);
  } catch (error) {
    throw bad(`invalid config: ${(error as Error).message}`);
  }
  const a = ckpt.arrays;
  const need = (name: string, shape: (number | null)[]): CheckpointArray => {
    const arr = a[name];
    if (arr === undefined) throw bad(`array ${name} is missing`);
    if (arr.dtype !== 'float32' && !name.startsWith('rule/')) throw bad(`array ${name} must be float32, got ${arr.dtype}`);
    if (arr.shape.length !== shape.length || shape.some((d, i) => d !== null && d !== arr.shape[i])) {
      throw bad(`array ${name} must have shape [${shape.map((d) => d ?? '*').join(', ')}], got [${arr.shape.join(', ')}]`);
    }
    return arr;
  };
  const c = config;
  const shapes: number[][] = [[c.inputDim, c.hiddenDim], [c.hiddenDim], [2 * c.hiddenDim, c.hiddenDim], [c.hiddenDim], [c.hiddenDim, c.hiddenDim], [c.hiddenDim], [c.hiddenDim, c.outputDim], [c.outputDim]];
  const params = PARAMETER_NAMES.map((name, i) => need(`param/${name}`, shapes[i]!));
  const ms = PARAMETER_NAMES.map((name, i) => need(`adam/m/${name}`, shapes[i]!));
  const vs = PARAMETER_NAMES.map((name, i) => need(`adam/v/${name}`, shapes[i]!));
  if (!Number.isSafeInteger(m.adam?.step) || m.adam.step < 0 || !(m.adam.learningRate >= 0)) throw bad(`invalid adam state ${JSON.stringify(m.adam)}`);
  const activity = a['state/activity'] ? need('state/activity', [null, c.inputDim]) : null;
  const ring = c.memorySlots > 0;
  if ((m.memory?.kind === 'ring') !== ring) throw bad(`memory kind ${JSON.stringify(m.memory?.kind)} does not match memorySlots ${c.memorySlots}`);
  const memory = a['state/memory'] ? need('state/memory', ring ? [null, c.memorySlots, c.hiddenDim] : [null, c.hiddenDim]) : null;
  if (ring && !(Number.isSafeInteger(m.memory.next) && m.memory.next >= 0 && m.memory.next < c.memorySlots && Number.isSafeInteger(m.memory.filled) && m.memory.filled >= 0 && m.memory.filled <= c.memorySlots)) {
    throw bad(`invalid ring position ${JSON.stringify(m.memory)}`);
  }
  const previous = a['state/previous'] ? need('state/previous', [null, c.hiddenDim]) : null;
  if (m.ruleState !== null && c.mode !== 'plastic') throw bad('rule state in a faithful-mode checkpoint');
  const ruleArrays = m.ruleState === null ? [] : [...m.ruleState.tensors, ...Object.keys(m.ruleState.arrays)].map((k) => [k, a[`rule/${k}`]] as const);
  for (const [k, arr] of ruleArrays) if (arr === undefined) throw bad(`rule state array ${k} is missing`);

  const net = new SynapticPlasticityNetwork(config, { registry });
  try {
    net.setWeights(Object.fromEntries(PARAMETER_NAMES.map((name, i) => [name, params[i]!.data as Float32Array])));
    net.setOptimizerState({
      step: m.adam.step,
      learningRate: m.adam.learningRate,
      m: ms.map((arr) => tf.tensor(arr.data as Float32Array, [...arr.shape], 'float32')),
      v: vs.map((arr) => tf.tensor(arr.data as Float32Array, [...arr.shape], 'float32')),
    });
    const t = (arr: CheckpointArray | null) => (arr === null ? null : tf.tensor(arr.data as Float32Array, [...arr.shape], 'float32'));
    let rule: PluginState | null = null;
    if (m.ruleState !== null) {
      const entries: [string, unknown][] = [];
      for (const key of m.ruleState.tensors) {
        const arr = a[`rule/${key}`]!;
        entries.push([key, tf.tensor(arr.data as Float32Array | Int32Array, [...arr.shape], arr.dtype === 'int32' ? 'int32' : 'float32')]);
      }
      for (const key of Object.keys(m.ruleState.arrays)) entries.push([key, a[`rule/${key}`]!.data.slice()]);
      for (const [key, value] of Object.entries(m.ruleState.numbers)) entries.push([key, value]);
      rule = Object.fromEntries(entries) as PluginState;
    }
    const memoryState: MemoryState = ring
      ? { kind: 'ring', memory: t(memory) as tf.Tensor3D | null, next: m.memory.next, filled: m.memory.filled }
      : { kind: 'ema', memory: t(memory) as tf.Tensor2D | null };
    net.setState({ activity: t(activity) as tf.Tensor2D | null, memory: memoryState, previous: t(previous) as tf.Tensor2D | null, rule, ruleBatch: m.ruleState?.batch ?? 0 });
    return net;
  } catch (error) {
    net.dispose();
    throw error;
  }
}
