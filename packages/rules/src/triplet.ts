import * as tf from '@tensorflow/tfjs-core';
import { defineRule, type Bounds, type Rule, type RuleStepIO } from '@plasticity/core';
import type { FusedTripletStdp } from './fused/spec.js';
import { specKernel } from './fused/spec-kernel.js';
import {
  BATCH_REDUCE,
  Problems,
  asSpikes,
  assertValid,
  batchScale,
  checkDims,
  checkStateTensor,
  checkStepIO,
  decayFactor,
  stateShape,
  type BatchReduce,
  type StepShape,
} from './common.js';
import { STDP_PAIRINGS, advanceTrace, type StdpPairing } from './stdp.js';

export const TRIPLET_MODELS = ['full', 'minimal'] as const;
export type TripletModel = (typeof TRIPLET_MODELS)[number];

/** Parameters of `core/triplet-stdp` (Pfister & Gerstner 2006; times in ms, amplitudes in weight units). */
export type TripletParams = {
  /** τ+ (ms): fast presynaptic detector r1 (pair LTP window). */
  readonly tauPlusMs: number;
  /** τ− (ms): fast postsynaptic detector o1 (pair LTD window). */
  readonly tauMinusMs: number;
  /** τx (ms): slow presynaptic detector r2 (triplet LTD). */
  readonly tauXMs: number;
  /** τy (ms): slow postsynaptic detector o2 (triplet LTP). */
  readonly tauYMs: number;
  /** A2+ >= 0: pair potentiation amplitude. */
  readonly a2Plus: number;
  /** A3+ >= 0: triplet potentiation amplitude (post-pre-post). */
  readonly a3Plus: number;
  /** A2− >= 0: pair depression amplitude (a magnitude). */
  readonly a2Minus: number;
  /** A3− >= 0: triplet depression amplitude (pre-post-pre); ignored by the 'minimal' model. */
  readonly a3Minus: number;
  /** 'full': all four terms; 'minimal': A3− = 0 (Pfister & Gerstner's minimal model). */
  readonly model: TripletModel;
  /** 'all-to-all' (detectors accumulate, r += s) or 'nearest' (detectors saturate, r = 1 on a spike). */
  readonly pairing: StdpPairing;
  readonly wMin: number;
  readonly wMax: number;
  readonly batchReduce: BatchReduce;
};

export type TripletState = {
  /** Pre detectors r1 (τ+) and r2 (τx), [batch, nPre]. */
  readonly r1: tf.Tensor2D;
  readonly r2: tf.Tensor2D;
  /** Post detectors o1 (τ−) and o2 (τy), [batch, nPost]. */
  readonly o1: tf.Tensor2D;
  readonly o2: tf.Tensor2D;
};

export const TRIPLET_NAME = 'core/triplet-stdp';

/** Pfister & Gerstner (2006) Table 4, visual cortex, all-to-all full model (NEST stdp_triplet_synapse defaults). */
export const TRIPLET_DEFAULTS: TripletParams = {
  tauPlusMs: 16.8,
  tauMinusMs: 33.7,
  tauXMs: 101,
  tauYMs: 125,
  a2Plus: 5e-10,
  a3Plus: 6.2e-3,
  a2Minus: 7e-3,
  a3Minus: 2.3e-4,
  model: 'full',
  pairing: 'all-to-all',
  wMin: 0,
  wMax: 1,
  batchReduce: 'sum',
};

export function validateTriplet(p: TripletParams): string[] {
  const v = new Problems();
  for (const k of ['tauPlusMs', 'tauMinusMs', 'tauXMs', 'tauYMs'] as const) v.positive(k, p[k]);
  for (const k of ['a2Plus', 'a3Plus', 'a2Minus', 'a3Minus'] as const) v.nonNegative(k, p[k]);
  v.oneOf('model', p.model, TRIPLET_MODELS);
  v.oneOf('pairing', p.pairing, STDP_PAIRINGS);
  v.bounds(p.wMin, p.wMax);
  v.oneOf('batchReduce', p.batchReduce, BATCH_REDUCE);
  return v.list;
}

function tripletDims(state: TripletState): StepShape {
  const [batch, nPre] = stateShape(TRIPLET_NAME, 'r1', state?.r1, 2) as [number, number];
  const nPost = stateShape(TRIPLET_NAME, 'o1', state.o1, 2)[1]!;
  checkStateTensor(TRIPLET_NAME, 'r2', state.r2, [batch, nPre]);
  checkStateTensor(TRIPLET_NAME, 'o1', state.o1, [batch, nPost]);
  checkStateTensor(TRIPLET_NAME, 'o2', state.o2, [batch, nPost]);
  return { batch, nPre, nPost };
}

/** The fused-engine description of the same rule (additive, hard bounds, Brian2 pathway order). */
export function tripletToFused(p: TripletParams): FusedTripletStdp {
  return {
    kind: 'triplet',
    a2Plus: p.a2Plus,
    a3Plus: p.a3Plus,
    a2Minus: p.a2Minus,
    a3Minus: p.model === 'minimal' ? 0 : p.a3Minus,
    tauPlusMs: p.tauPlusMs,
    tauMinusMs: p.tauMinusMs,
    tauXMs: p.tauXMs,
    tauYMs: p.tauYMs,
    traceMode: p.pairing,
    wMin: p.wMin,
    wMax: p.wMax,
  };
}

/** The fused kernel of core/triplet-stdp. */
export const tripletKernel = specKernel<TripletParams>(TRIPLET_NAME, tripletToFused, () => 'no fused form for these parameters');

/**
 * `core/triplet-stdp` — Pfister & Gerstner (2006) triplet STDP on any SynapseOps connection.
 *
 * Per step (Brian2 pathway order, as core/stdp): decay r1, r2, o1, o2; pre pathway, for active pre i:
 * W[i,j] −= o1[j]·(A2− + A3−·r2[i]) (r2 read before its own spike: t − ε), clip, then r1, r2 take
 * the pre spikes; post pathway, for active post j: W[i,j] += r1[i]·(A2+ + A3+·o2[j]) (o2 at t − ε),
 * clip, then o1, o2 take the post spikes. Both passes go through `conn.addOuter` (the weight change
 * factorises into a pre vector times a post vector): the depression pass touches only rows of
 * active pre neurons; the potentiation pass touches rows whose r1 is non-zero. Batch: per-sample
 * detectors, outer products summed ('sum') or averaged ('mean') over the batch.
 */
export const tripletStdp: Rule<TripletParams, TripletState> = defineRule<TripletParams, TripletState>({
  name: TRIPLET_NAME,
  description: 'triplet STDP (Pfister & Gerstner 2006), full or minimal model, all-to-all or nearest-spike detectors',
  defaults: TRIPLET_DEFAULTS,
  validate: validateTriplet,
  fused: tripletKernel,
  init(dims, params) {
    assertValid(TRIPLET_NAME, validateTriplet, params);
    const d = checkDims(TRIPLET_NAME, dims);
    return {
      r1: tf.zeros([d.batch, d.nPre]),
      r2: tf.zeros([d.batch, d.nPre]),
      o1: tf.zeros([d.batch, d.nPost]),
      o2: tf.zeros([d.batch, d.nPost]),
    };
  },
  step(io: RuleStepIO, state: TripletState, p: TripletParams): TripletState {
    assertValid(TRIPLET_NAME, validateTriplet, p);
    const dims = tripletDims(state);
    checkStepIO(TRIPLET_NAME, io, dims);
    const { batch } = dims;
    const scale = batchScale(p.batchReduce, batch);
    const a3Minus = p.model === 'minimal' ? 0 : p.a3Minus;
    const bounds: Bounds = { wMin: p.wMin, wMax: p.wMax };
    const dt = io.dtMs;
    const [sPre, sPost, r1D, r2D, o1D, o2D] = tf.tidy(() => [
      asSpikes(io.pre, batch),
      asSpikes(io.post, batch),
      tf.mul(state.r1, decayFactor(dt, p.tauPlusMs)) as tf.Tensor2D,
      tf.mul(state.r2, decayFactor(dt, p.tauXMs)) as tf.Tensor2D,
      tf.mul(state.o1, decayFactor(dt, p.tauMinusMs)) as tf.Tensor2D,
      tf.mul(state.o2, decayFactor(dt, p.tauYMs)) as tf.Tensor2D,
    ]);
    const made: tf.Tensor[] = [];
    try {
      // Pre pathway: depression, then the pre detectors take this step's spikes.
      const ltdPre = tf.tidy(() => tf.mul(sPre!, tf.add(p.a2Minus, tf.mul(r2D!, a3Minus))));
      made.push(ltdPre);
      io.conn.addOuter(ltdPre, o1D!, -scale, bounds);
      const r1 = advanceTrace(r1D!, sPre!, p.pairing);
      const r2 = advanceTrace(r2D!, sPre!, p.pairing);
      made.push(r1, r2);
      // Post pathway: potentiation, then the post detectors take this step's spikes.
      const ltpPost = tf.tidy(() => tf.mul(sPost!, tf.add(p.a2Plus, tf.mul(o2D!, p.a3Plus))));
      made.push(ltpPost);
      io.conn.addOuter(r1, ltpPost, scale, bounds);
      const o1 = advanceTrace(o1D!, sPost!, p.pairing);
      const o2 = advanceTrace(o2D!, sPost!, p.pairing);
      made.length = 0;
      tf.dispose([ltdPre, ltpPost]);
      return { r1, r2, o1, o2 };
    } finally {
      tf.dispose(made);
      tf.dispose([sPre!, sPost!, r1D!, r2D!, o1D!, o2D!]);
    }
  },
});
