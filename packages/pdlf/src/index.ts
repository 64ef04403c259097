// @plasticity/pdlf: learning the plasticity. This entry is environment-neutral (Node and browsers);
// `@plasticity/pdlf/node` adds the worker-thread pool and checkpoint files.
export type { EvolutionStrategy, EsAlgorithm, EsState, TellReport, BestSolution } from './es/types.js';
export { PGPE, PGPE_DEFAULTS, validatePgpe, type PgpeOptions } from './es/pgpe.js';
export { OpenAIES, OPENAI_ES_DEFAULTS, validateOpenAiEs, type OpenAiEsOptions, type FitnessShaping } from './es/openai-es.js';
export type { OptimizerName } from './es/optimizer.js';
export { centredRanks, fitnessRanks, zScores, countNonFinite } from './es/shaping.js';
export { saveEsCheckpoint, loadEsCheckpoint, restoreStrategy } from './es/checkpoint.js';
export {
  search, saveSearchCheckpoint, loadSearchCheckpoint,
  type SearchOptions, type SearchResult, type SearchProgress, type SearchCheckpointOptions, type StopReason,
} from './es/search.js';
export type {
  Evaluator, EvaluateOptions, EvaluatorEvent, FitnessFunction, BatchFitnessFunction, FitnessContext, BatchFitnessContext, FitnessModuleSpec,
} from './eval/types.js';
export { InProcessEvaluator, type InProcessEvaluatorOptions } from './eval/in-process.js';
export {
  WorkerPool, validateFitnessSpec,
  type WorkerPoolOptions, type WorkerPoolStats, type WorkerFactory, type PoolWorkerHandle, type PoolWorkerEvents,
} from './eval/pool.js';
export { webWorkerFactory } from './eval/web.js';
export {
  SpikingPolicy, SPIKING_POLICY_DEFAULTS, validateSpikingPolicy, type SpikingPolicyOptions, type GenomeSlice,
} from './policy/spiking.js';
export {
  copyTrials, scoreCopy, recallItem, validateCopyTask, COPY_DEFAULTS, COPY_INPUTS, type CopyTaskOptions, type CopyTrials,
} from './tasks/copy.js';
export { evaluateCopy, type CopyEvaluation, type CopyEvalOptions } from './tasks/copy-eval.js';
export { lesion } from './policy/lesion.js';
export {
  evaluateReach, reachReference, validateReach, REACH_DEFAULTS, REACH_INPUTS, REACH_OUTPUTS, EIGHT_DIRECTIONS, HELD_OUT_DIRECTIONS,
  type ReachOptions, type ReachEvaluation, type Injury,
} from './tasks/reach.js';
export { scpWindow, meanScpWindow, type RuleCoefficients } from './policy/window.js';
export { GruBranch } from './policy/gru.js';
