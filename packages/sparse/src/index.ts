export type { Connection, ConnectionArrays, ConnectionFormat, EventMode, PropagateIntoOptions, PropagateOptions, StepInput } from './connection.js';
export type { EventList } from './event-list.js';
export type { TrainableOptions } from './variable.js';
export type { RowBounds, UpdateOptions } from './update-options.js';
export { CSRConnection, type CsrInput, type CooOptions } from './csr.js';
export { COOConnection } from './coo.js';
export { DenseConnection } from './dense.js';
export { SparseConnection } from './sparse-connection.js';
export type { DenseInput } from './dense-input.js';
export { toCsr, toCoo, toDense, fromArrays, connectionCheckpoint, connectionFromCheckpoint } from './convert.js';
export { denseFormat, csrFormat, cooFormat, registerBuiltins, type FormatParams } from './formats.js';
export {
  initWeights, randomStructure, fixedFanOutStructure, fixedFanInStructure,
  type WeightInit, type RandomOptions, type FixedFanOutOptions, type FixedFanInOptions, type GeneratedStructure,
} from './generate.js';
export {
  validateCsr, validateCoo, dedupeCoo, compressedView, csrToCsc, expandRows, bucketSort,
  type CompressedView, type CsrArrays, type CooTriples, type DuplicatePolicy,
} from './structure.js';
export { synapsePermutation, permuteSynapses, type SynapsePairs } from './permutation.js';
export { registerSparseKernels } from './kernels/register.js';
export { registerCpuKernels } from './kernels/cpu.js';
export { registerEventMatVecGradient } from './gradient.js';
export * from './kernels/names.js';
export * as referenceKernels from './kernels/reference.js';
export { instantiate as instantiateWasmKernels, type KernelExports as WasmKernelExports } from './kernels/wasm-module.js';
