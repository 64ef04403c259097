// The PDLF page's fitness functions, shared by the page's own thread (InProcessEvaluator) and its web
// workers (src/pdlf-worker.ts): a population of genomes evaluated on the copying task or the reach
// task by @plasticity/pdlf, one network member per (genome, sequence) or (genome, direction).
import { initBackend, type BackendName } from '@plasticity/core';
import { SpikingPolicy, evaluateCopy, evaluateReach, type CopyTaskOptions } from '@plasticity/pdlf';
import type { BatchFitnessContext } from '@plasticity/pdlf';
import { WASM_PATHS } from './backend.js';

/** What a search evaluates (JSON: it is copied to every worker). */
export interface PdlfJob {
  readonly task: 'copy' | 'reach';
  readonly hidden: number;
  readonly copy: CopyTaskOptions;
  readonly reachSteps: number;
  /** The tfjs backend a worker starts (the page's thread already has one). */
  readonly backend: BackendName;
  [key: string]: unknown;
}

/** The policy of a job: the copying task's shape (3 inputs, 1 readout, core/pdp) or the reach task's (4 → 2, core/scp). */
export function policyFor(job: Pick<PdlfJob, 'task' | 'hidden'>): SpikingPolicy {
  return job.task === 'copy'
    ? new SpikingPolicy({ nIn: 3, nOut: 1, hidden: [job.hidden], rule: 'core/pdp' })
    : new SpikingPolicy({ nIn: 4, nOut: 2, hidden: [job.hidden], rule: 'core/scp' });
}

const policies = new Map<string, SpikingPolicy>();

/** Fitness of each genome: copying task (accuracy + 0.05·margin, trials seeded by the generation) or mean return over the eight directions. */
export async function evaluateJob(job: PdlfJob, genomes: readonly Float32Array[], generation: number): Promise<Float64Array> {
  const key = `${job.task}/${job.hidden}`;
  let policy = policies.get(key);
  if (!policy) policies.set(key, (policy = policyFor(job)));
  if (job.task === 'copy') return (await evaluateCopy(policy, genomes, job.copy, { seed: generation })).fitness;
  return (await evaluateReach(policy, genomes, { steps: job.reachSteps })).fitness;
}

let started: Promise<unknown> | null = null;

/** The worker's entry point (batch fitness function): starts the job's backend once, then evaluates. */
export async function fitness(genomes: Float32Array[], context: BatchFitnessContext): Promise<Float64Array> {
  const job = context.data as unknown as PdlfJob;
  started ??= initBackend(job.backend, { strict: true, wasmPaths: WASM_PATHS, log: () => {} });
  await started;
  return evaluateJob(job, genomes, context.generation);
}
