// `@plasticity/rules/diagnostics`: switches for checking the kernels themselves, not for models.
export { setSimdEnabled } from './fused/simd.js';
