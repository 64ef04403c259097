export * from './neurons/types.js';
export * from './neurons/models.js';
export * from './sources/sources.js';
export * from './monitors.js';
export * from './network.js';
export { registerBuiltins } from './registry.js';
