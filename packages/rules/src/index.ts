export {
  stdp, validateStdp, ltpFactor, ltdFactor, advanceTrace,
  STDP_NAME, STDP_DEFAULTS, STDP_PAIRINGS, STDP_WEIGHT_DEPENDENCES,
  type StdpParams, type StdpState, type StdpPairing, type StdpWeightDependence,
} from './stdp.js';
export { releaseState, disposeState, batchScale, BATCH_REDUCE, type BatchReduce } from './common.js';
