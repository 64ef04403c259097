export { registerBuiltins, bioTransforms } from './builtins.js';
export { ParamProblems, type BioInput, type SizedSynapses } from './checks.js';
export { unit, uniformArray, normalArray, rawUint32, jumpAhead, normalAt, normalDraws, unitOf, rngFields, rngFrom, type RngFields } from './draws.js';
export {
  fuzzyLr, initialFactors, layerNu, validateFuzzyLr, FUZZY_DISTRIBUTIONS, FUZZY_LR_DEFAULTS,
  type FuzzyDistribution, type FuzzyLrParams, type FuzzyLrState,
} from './fuzzy-lr.js';
export { volumeLr, volumeMeanFactor, validateVolumeLr, VOLUME_LR_DEFAULTS, type VolumeLrParams, type VolumeLrState } from './volume-lr.js';
export { crystallize, validateCrystallize, CRYSTALLIZE_DEFAULTS, type CrystallizeParams, type CrystallizeState } from './crystallize.js';
export {
  rejuvenate, rejuvenateInPlace, rejuvenateFused, rejuvenateHost, lognormalMoments, validateRejuvenate, REJUVENATE_DEFAULTS,
  type RejuvenateParams, type RejuvenateState,
} from './rejuvenate.js';
export { dale, daleSigns, synapseSigns, validateDale, DALE_DEFAULTS, DALE_SIGN, type DaleParams, type DaleState } from './dale.js';
export {
  synapticScaling, validateSynapticScaling, SYNAPTIC_SCALING_DEFAULTS, type SynapticScalingParams, type SynapticScalingState,
} from './synaptic-scaling.js';
export { weightSplitting, splitOutputs, checkSplit, validateWeightSplitting, WEIGHT_SPLITTING_DEFAULTS, type WeightSplittingParams } from './weight-splitting.js';
export { rewire, rewireSynapses, type RewireOptions, type RewiredSynapses, type RewirableConnection } from './structural.js';
export { BioTrainer, GRADIENT_ORDER, WEIGHT_ORDER_FIRST, WEIGHT_ORDER_LAST, type BioTrainerOptions, type StepOptions, type TransformSpec } from './trainer.js';
export { resolveTarget, type BioTarget, type ConnectionLike, type LayersModelLike, type WeightSlot } from './targets.js';
export { setHostKernels, useHost as hostKernelsActive, type HostKernelsMode } from './host.js';
