// `@plasticity/core/fused`: what a fused rule kernel is written against (the contract, the standard
// propagation and walks, traces on a shifting scale). Engines and kernels import this subpath;
// models written with tfjs ops never need it.
export {
  defineFusedKernel, checkKernelConfig, propagate, forEachInRow, forEachInColumn,
  type SynapseTable, type StepIO, type FusedKernel, type FusedKernelState, type FusedContext, type FusedKernelConfig, type AnyFusedKernelConfig,
  type FusedTransform, type FusedTransformContext, type FusedTransformConfig,
} from './contract.js';
export { ScaledTrace, traceState, setTraceState, trueTraces } from './scaled-trace.js';
