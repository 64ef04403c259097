// `@plasticity/pdlf/task-fitness`: the tasks as batch fitness functions that a worker pool loads
// (`{ module: import.meta.resolve('@plasticity/pdlf/task-fitness'), exportName: 'copy', batch: true,
// data }`). Each worker starts a tfjs backend once, here at the top level; every chunk of genomes it
// gets runs as one population network, so a generation is spread over the cores and each core runs
// the engine's population axis. The trials of a generation come from its number (`seed` + generation),
// the same in every worker: a genome scores the same whichever worker and chunk it lands in.
import { initBackend, type JsonValue } from '@plasticity/core';
import type { BatchFitnessContext, BatchFitnessFunction } from './eval/types.js';
import { SpikingPolicy, type SpikingPolicyOptions } from './policy/spiking.js';
import { evaluateCopy } from './tasks/copy-eval.js';
import type { CopyTaskOptions } from './tasks/copy.js';
import { evaluateReach, type ReachOptions } from './tasks/reach.js';

await initBackend('auto');

/** What `context.data` holds: the policy's options, the task's, and a seed offset. */
export interface TaskFitnessData {
  readonly policy: Partial<SpikingPolicyOptions>;
  readonly task?: Partial<CopyTaskOptions> | Partial<ReachOptions>;
  readonly seed?: number;
  /** The copying task's fast weights: 'per-sequence' (default) or 'batch-shared'. */
  readonly fastWeights?: 'per-sequence' | 'batch-shared';
}

const policies = new Map<string, SpikingPolicy>();
function setup(data: JsonValue): { policy: SpikingPolicy; d: TaskFitnessData } {
  const d = data as unknown as TaskFitnessData;
  const key = JSON.stringify(d?.policy ?? {});
  let policy = policies.get(key);
  if (!policy) policies.set(key, (policy = new SpikingPolicy(d?.policy ?? {})));
  return { policy, d };
}

/** The copying task (`evaluateCopy`): fitness = accuracy + 0.05·margin. */
export const copy: BatchFitnessFunction = async (solutions: Float32Array[], ctx: BatchFitnessContext) => {
  const { policy, d } = setup(ctx.data);
  return (await evaluateCopy(policy, solutions, (d.task ?? {}) as Partial<CopyTaskOptions>, { seed: (d.seed ?? 0) + ctx.generation, ...(d.fastWeights ? { fastWeights: d.fastWeights } : {}) })).fitness;
};

/** The reach task (`evaluateReach`): fitness = mean return over the directions. */
export const reach: BatchFitnessFunction = async (solutions: Float32Array[], ctx: BatchFitnessContext) => {
  const { policy, d } = setup(ctx.data);
  return (await evaluateReach(policy, solutions, (d.task ?? {}) as Partial<ReachOptions>, { seed: (d.seed ?? 0) + ctx.generation })).fitness;
};
