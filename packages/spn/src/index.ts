export { SynapticPlasticityNetwork, PARAMETER_NAMES, type ParameterName, type NetworkInit, type NetworkState, type StepOptions, type TrainStepOptions, type TrainStepResult } from './network.js';
export { SynapticPlasticityNeuron } from './layers/synaptic-plasticity-neuron.js';
export { ContextualMemoryLayer, type MemoryState } from './layers/contextual-memory-layer.js';
export { DynamicAttentionLayer } from './layers/dynamic-attention-layer.js';
export { resolveSpnConfig, SPN_DEFAULTS, SPN_MODES, DEFAULT_RULE, type SpnConfig, type SpnOptions, type SpnMode, type RuleSpec } from './config.js';
export { ADAM_DEFAULTS, type AdamOptions } from './adam.js';
export { detach } from './detach.js';
export { fitRows } from './batch-rows.js';
export type { ArrayInput } from './inputs.js';
