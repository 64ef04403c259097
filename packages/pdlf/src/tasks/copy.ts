import { PlasticityError, Problems, type Rng } from '@plasticity/core';

/**
 * The working-memory copying task: a sequence of `length` binary stimuli, each shown for
 * `stimulusSteps` steps (the paper's 200 ms per stimulus), then `latency` silent steps, then a recall
 * phase of the same length in which a cue asks the network to reproduce the sequence, item by item.
 * Chance is 0.5. The official task source is not published, so the encoding is ours: three input
 * channels — "bit is 1", "bit is 0", "recall cue" — each 0 or 1; the readout's sign over an item's
 * recall steps is the answer.
 */
export interface CopyTaskOptions {
  /** Stimuli per sequence (the paper's Len). */
  readonly length: number;
  /** Silent steps between the sample and the recall phase (the paper's Lat). */
  readonly latency: number;
  /** Steps each stimulus lasts. */
  readonly stimulusSteps: number;
  /** Sequences per evaluation (each with its own fast weights). */
  readonly sequences: number;
}

export const COPY_DEFAULTS: CopyTaskOptions = { length: 8, latency: 0, stimulusSteps: 2, sequences: 8 };
/** Input channels: bit 1, bit 0, recall cue. */
export const COPY_INPUTS = 3;

export function validateCopyTask(o: CopyTaskOptions): string[] {
  const v = new Problems();
  const int = (name: keyof CopyTaskOptions, min: number) =>
    v.add(Number.isSafeInteger(o[name]) && o[name] >= min, `${name} must be an integer >= ${min}, got ${String(o[name])}`);
  int('length', 1);
  int('latency', 0);
  int('stimulusSteps', 1);
  int('sequences', 1);
  return v.list;
}

export interface CopyTrials {
  readonly options: CopyTaskOptions;
  /** Steps of one trial: sample, delay, recall. */
  readonly steps: number;
  /** First step of the recall phase. */
  readonly recallStart: number;
  /** Input of sequence s at step t: inputs[(t·sequences + s)·3 + channel]. */
  readonly inputs: Float32Array;
  /** The bits: bits[s·length + item]. */
  readonly bits: Uint8Array;
}

/** Draws `sequences` random bit sequences and lays out their inputs step by step. */
export function copyTrials(options: Partial<CopyTaskOptions>, rng: Rng): CopyTrials {
  const o = { ...COPY_DEFAULTS, ...options };
  const problems = validateCopyTask(o);
  if (problems.length) throw new PlasticityError('E_PARAM', `copy task: ${problems.join('; ')}`);
  const { length, latency, stimulusSteps, sequences } = o;
  const phase = length * stimulusSteps;
  const steps = 2 * phase + latency, recallStart = phase + latency;
  const bits = Uint8Array.from(rng.uniform(sequences * length), (u) => (u < 0.5 ? 1 : 0));
  const inputs = new Float32Array(steps * sequences * COPY_INPUTS);
  for (let s = 0; s < sequences; s++) {
    for (let item = 0; item < length; item++) {
      for (let k = 0; k < stimulusSteps; k++) {
        const sample = item * stimulusSteps + k, recall = recallStart + sample;
        inputs[(sample * sequences + s) * COPY_INPUTS + (bits[s * length + item] ? 0 : 1)] = 1;
        inputs[(recall * sequences + s) * COPY_INPUTS + 2] = 1;
      }
    }
  }
  return { options: o, steps, recallStart, inputs, bits };
}

/** The recall item a step belongs to (−1 outside the recall phase). */
export function recallItem(trials: CopyTrials, t: number): number {
  return t < trials.recallStart ? -1 : Math.floor((t - trials.recallStart) / trials.options.stimulusSteps);
}

/**
 * Accuracy of summed readouts (readout[s·length + item], summed over the item's recall steps: > 0
 * answers 1, anything else 0, so a silent readout scores chance) and a graded margin in (−1, 1) that
 * ranks near misses above confident errors.
 */
export function scoreCopy(trials: CopyTrials, readout: Float32Array | Float64Array): { accuracy: number; margin: number } {
  let correct = 0, margin = 0;
  for (let k = 0; k < trials.bits.length; k++) {
    const sign = trials.bits[k] ? 1 : -1;
    if ((readout[k]! > 0 ? 1 : 0) === trials.bits[k]) correct++;
    margin += Math.tanh(readout[k]! * sign);
  }
  return { accuracy: correct / trials.bits.length, margin: margin / trials.bits.length };
}
