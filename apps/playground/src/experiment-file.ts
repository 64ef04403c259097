// An experiment as one file: the network's JSON spec (what to build) and a checkpoint (where it was),
// as JSON with the checkpoint's bytes in base64. Reading one builds and restores, never evaluates code.
import { buildNetwork, type Network, type NetworkSpec } from '@plasticity/snn';
import type { Registry } from '@plasticity/core';

export const EXPERIMENT_FORMAT = 'plasticity-experiment';

export interface ExperimentFile {
  readonly format: typeof EXPERIMENT_FORMAT;
  readonly version: 1;
  readonly savedAt: string;
  /** Free notes of the page that saved it (e.g. the run length asked for). */
  readonly meta: Record<string, number | string>;
  readonly spec: NetworkSpec;
  /** The checkpoint (Network.saveCheckpoint), base64. */
  readonly checkpoint: string;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; k++) out[k] = s.charCodeAt(k);
  return out;
}

/** Spec + checkpoint of an idle network, as the text of a file. */
export async function saveExperiment(net: Network, meta: Record<string, number | string>): Promise<string> {
  const file: ExperimentFile = {
    format: EXPERIMENT_FORMAT, version: 1, savedAt: new Date().toISOString(), meta,
    spec: await net.toSpec(), checkpoint: toBase64(await net.saveCheckpoint()),
  };
  return JSON.stringify(file);
}

/** Rebuilds the network a file describes and restores its state; throws saying what is wrong. */
export async function loadExperiment(text: string, registry: Registry): Promise<{ net: Network; file: ExperimentFile }> {
  let file: ExperimentFile;
  try {
    file = JSON.parse(text) as ExperimentFile;
  } catch {
    throw new Error('this file is not JSON: not a plasticity experiment');
  }
  if (file?.format !== EXPERIMENT_FORMAT || file.version !== 1) throw new Error(`not a plasticity experiment file (format ${JSON.stringify(file?.format)}, version ${JSON.stringify(file?.version)})`);
  if (typeof file.checkpoint !== 'string') throw new Error('the file has no checkpoint');
  const net = buildNetwork(file.spec, registry);
  try {
    await net.loadCheckpoint(fromBase64(file.checkpoint));
  } catch (error) {
    net.dispose();
    throw error;
  }
  return { net, file };
}

/** Offers `text` as a download named `name`. */
export function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
