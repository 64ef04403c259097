export {
  stdp, stdpKernel, validateStdp, ltpFactor, ltdFactor, advanceTrace,
  STDP_NAME, STDP_DEFAULTS, STDP_PAIRINGS, STDP_WEIGHT_DEPENDENCES, STDP_SAME_STEP,
  type StdpParams, type StdpState, type StdpPairing, type StdpWeightDependence, type StdpSameStep,
} from './stdp.js';
export {
  tripletStdp, tripletKernel, validateTriplet, TRIPLET_NAME, TRIPLET_DEFAULTS, TRIPLET_MODELS,
  type TripletParams, type TripletState, type TripletModel,
} from './triplet.js';
export { releaseState, disposeState, batchScale, BATCH_REDUCE, type BatchReduce } from './common.js';
export {
  hebbian, oja, bcm, validateHebbian, validateOja, validateBcm,
  HEBBIAN_NAME, HEBBIAN_DEFAULTS, OJA_NAME, OJA_DEFAULTS, BCM_NAME, BCM_DEFAULTS,
  type HebbianParams, type OjaParams, type BcmParams, type BcmState, type RateState,
} from './hebbian.js';
export {
  mstdp, mstdpet, mstdpKernel, mstdpetKernel, validateMstdp, validateMstdpet,
  MSTDP_NAME, MSTDPET_NAME, MSTDP_DEFAULTS, MSTDPET_DEFAULTS,
  type MstdpParams, type MstdpetParams, type MstdpState, type MstdpetState,
} from './mstdp.js';
export {
  scp, pdp, pdlfKernel, validatePdlf, SCP_NAME, PDP_NAME, PDLF_FORMS, PDLF_COEFFICIENTS, PDLF_NORMALIZE,
  type PdlfParams, type PdlfState, type PdlfForm,
} from './pdlf.js';
export { registerBuiltins, BUILTIN_RULES, BUILTIN_KERNELS } from './builtins.js';
export { LazyPotentiation, type LazyPotentiationOptions } from './fused/lazy-potentiation.js';
