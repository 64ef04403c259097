export { PlasticityError, isPlasticityError, describeValue, ERROR_CODES, type ErrorCode } from './errors.js';
export * as check from './validate.js';
export { Problems } from './validate.js';
export * from './plugin.js';
export { createRegistry, isJson, type Registry, type RegisterOptions, type PluginOfKind } from './registry.js';
export { TRACE_MODES, traceDecay, traceJump, checkTrace, updateTrace, updateTraceTensor, traceAfter, type TraceMode } from './trace.js';
export { toConfig, fromConfig, resolveParams, type PluginConfig, type ResolvedConfig } from './config.js';
export { createRng, toRng, Rng, logGamma, type RngState, type Size } from './rng.js';
export { randomTensor, type Distribution } from './random-tensor.js';
export { hostValues, type HostValues } from './host-memory.js';
export { initBackend, requireBackend, ensureGradients, isNode, BACKENDS, type BackendName, type InitBackendOptions } from './backend.js';
export {
  saveCheckpoint, loadCheckpoint, crc32, CHECKPOINT_VERSION,
  type Checkpoint, type CheckpointArray, type CheckpointInput, type ArrayDtype, type TypedArray,
} from './checkpoint.js';
