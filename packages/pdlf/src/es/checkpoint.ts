import { PlasticityError, createRegistry, describeValue, isJson, loadCheckpoint, saveCheckpoint, type JsonValue } from '@plasticity/core';
import { OpenAIES } from './openai-es.js';
import { PGPE } from './pgpe.js';
import type { EsState, EvolutionStrategy } from './types.js';

const PREFIX = 'es.';
const KIND = 'pdlf-es-state';

/** Rebuilds a strategy from its `state()`, whichever algorithm it is (validated; E_CHECKPOINT when it does not fit). */
export function restoreStrategy(state: EsState): EvolutionStrategy {
  const algorithm = (state as Partial<EsState> | null)?.algorithm;
  if (algorithm === 'pgpe') return PGPE.fromState(state);
  if (algorithm === 'openai-es') return OpenAIES.fromState(state);
  throw new PlasticityError('E_CHECKPOINT', `unknown evolution strategy ${describeValue(algorithm)} (known: 'pgpe', 'openai-es')`);
}

/**
 * Writes a strategy's whole state into a portable checkpoint (`@plasticity/core`'s format: JSON manifest,
 * little-endian float64 arrays, CRC-32), with optional JSON `data` of your own beside it.
 */
export async function saveEsCheckpoint(es: EvolutionStrategy | EsState, data: JsonValue = null): Promise<Uint8Array> {
  const state = 'state' in es && typeof es.state === 'function' ? es.state() : (es as EsState);
  if (!isJson(data)) throw new PlasticityError('E_CHECKPOINT', 'data must be JSON (no functions, NaN, undefined or class instances)');
  const arrays: Record<string, Float64Array | Float32Array> = {};
  for (const [name, array] of Object.entries(state.arrays)) arrays[PREFIX + name] = array;
  const { arrays: _arrays, ...rest } = state;
  return saveCheckpoint({ arrays, data: { kind: KIND, es: rest as unknown as JsonValue, data } });
}

/** Reads a checkpoint written by `saveEsCheckpoint`: the strategy state and your `data`. Never evaluates code. */
export function loadEsCheckpoint(bytes: Uint8Array | ArrayBuffer): { state: EsState; data: JsonValue } {
  const checkpoint = loadCheckpoint(bytes, createRegistry());
  const root = checkpoint.data as { kind?: unknown; es?: unknown; data?: JsonValue } | null;
  if (!root || typeof root !== 'object' || root.kind !== KIND || !root.es || typeof root.es !== 'object') {
    throw new PlasticityError('E_CHECKPOINT', 'not an evolution-strategy checkpoint (written by saveEsCheckpoint)');
  }
  const arrays: Record<string, Float64Array | Float32Array> = {};
  for (const [name, entry] of Object.entries(checkpoint.arrays)) {
    if (!name.startsWith(PREFIX)) continue;
    if (!(entry.data instanceof Float64Array) && !(entry.data instanceof Float32Array)) {
      throw new PlasticityError('E_CHECKPOINT', `array '${name}' must be float64 or float32, got ${entry.dtype}`);
    }
    arrays[name.slice(PREFIX.length)] = entry.data;
  }
  return { state: { ...(root.es as object), arrays } as EsState, data: root.data ?? null };
}
