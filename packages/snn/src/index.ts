export * from './neurons/types.js';
export * from './neurons/models.js';
export * from './sources/sources.js';
export * from './monitors.js';
export * from './network.js';
export { registerBuiltins } from './registry.js';
export { ExternalSource } from './sources/external.js';
export { buildNetwork } from './build.js';
export {
  validateSpec, type NetworkSpec, type PopulationSpec, type ProjectionSpec, type ConnectionSpec, type ConnectionFormat, type MonitorSpec, type PluginRef,
} from './spec.js';
