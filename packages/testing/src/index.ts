export { TEST_BACKENDS, TOLERANCE, useBackend, type TestBackend } from './backends.js';
export { expectNoLeaks, expectClose, expectTensorClose, type Tolerance } from './expect.js';
export * from './arbitraries.js';
