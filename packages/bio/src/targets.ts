import { PlasticityError, describeValue, type SynapseStructure } from '@plasticity/core';
import * as tf from '@tensorflow/tfjs-core';

/** A @plasticity/sparse connection as the helper uses it (Dense, CSR or COO). */
export interface ConnectionLike {
  readonly format: string;
  readonly nPre: number;
  readonly nPost: number;
  readonly nnz: number;
  makeTrainable(options?: { name?: string }): tf.Variable;
  pairs(): { pre: Int32Array; post: Int32Array };
}

/** The part of a tfjs-layers LayersModel the helper uses (no import of tfjs-layers). */
export interface LayersModelLike {
  // read() is typed Tensor in tfjs-layers; what it returns at run time is the layer's tf.Variable (checked below)
  readonly trainableWeights: readonly { readonly name: string; readonly shape: readonly (number | null)[]; read(): tf.Tensor }[];
}

/** What the training-step helper trains: named variables or connections, a list of them, or a LayersModel. */
export type BioTarget =
  | Readonly<Record<string, tf.Variable | ConnectionLike>>
  | readonly (tf.Variable | ConnectionLike)[]
  | LayersModelLike;

/** One weight tensor of a target. Dense W[pre, post] of rank 2 and connections are transformed; other
 *  trainable variables (biases) only take the optimizer step. */
export interface WeightSlot {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly transformed: boolean;
  /** Connections: the (pre, post) pair of every stored synapse. */
  readonly structure?: SynapseStructure;
}

function isConnection(x: unknown): x is ConnectionLike {
  return !!x && typeof x === 'object' && typeof (x as ConnectionLike).makeTrainable === 'function' && typeof (x as ConnectionLike).pairs === 'function';
}

function isLayersModel(x: unknown): x is LayersModelLike {
  return !!x && typeof x === 'object' && Array.isArray((x as LayersModelLike).trainableWeights) && !(x instanceof tf.Variable);
}

function slotOf(name: string, x: unknown): WeightSlot {
  if (x instanceof tf.Variable) {
    if (!x.trainable) throw new PlasticityError('E_PARAM', `target ${JSON.stringify(name)}: the variable is not trainable`);
    if (x.dtype !== 'float32') throw new PlasticityError('E_SHAPE', `target ${JSON.stringify(name)}: the variable must be float32, got ${x.dtype}`);
    return { name, variable: x, transformed: x.rank === 2 };
  }
  if (isConnection(x)) {
    // a dense connection's variable is W[pre, post] itself: the dense form of every transform applies
    if (x.format === 'dense') return { name, variable: x.makeTrainable(), transformed: true };
    const { pre, post } = x.pairs();
    return { name, variable: x.makeTrainable(), transformed: true, structure: { nPre: x.nPre, nPost: x.nPost, nnz: x.nnz, pre, post } };
  }
  throw new PlasticityError('E_PARAM', `target ${JSON.stringify(name)} must be a tf.Variable or a @plasticity/sparse connection, got ${describeValue(x)}`);
}

/** The weight slots of a target, in order (names must be unique). */
export function resolveTarget(target: BioTarget): WeightSlot[] {
  let slots: WeightSlot[];
  if (Array.isArray(target)) slots = target.map((x, i) => slotOf(x instanceof tf.Variable ? x.name : `connection${i}`, x));
  else if (isLayersModel(target)) {
    slots = target.trainableWeights.map((lv) => {
      const v = lv.read();
      if (!(v instanceof tf.Variable)) throw new PlasticityError('E_PARAM', `target: the LayersModel weight ${JSON.stringify(lv.name)} is not a tf.Variable`);
      return { name: lv.name, variable: v, transformed: v.rank === 2 };
    });
  } else if (target && typeof target === 'object') slots = Object.entries(target).map(([name, x]) => slotOf(name, x));
  else throw new PlasticityError('E_PARAM', `target must be named variables/connections, a list of them or a LayersModel, got ${describeValue(target)}`);
  const seen = new Set<string>();
  for (const s of slots) {
    if (seen.has(s.variable.name)) throw new PlasticityError('E_PARAM', `target: the variable ${JSON.stringify(s.variable.name)} appears twice`);
    seen.add(s.variable.name);
  }
  if (!slots.some((s) => s.transformed)) throw new PlasticityError('E_PARAM', 'target has no weights to transform (rank-2 variables W[pre, post] or connections)');
  return slots;
}
