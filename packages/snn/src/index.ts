export * from './fused/spec.js';
