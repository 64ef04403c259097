export { TEST_BACKENDS, TOLERANCE, useBackend, type TestBackend } from './backends.js';
export { expectNoLeaks, expectClose, expectTensorClose, expectPlasticityError, type Tolerance } from './expect.js';
export * from './arbitraries.js';
