// Built as a separate, self-contained chunk (see tsup.config.ts): tfjs-core's ESM gradient files use
// extensionless imports that plain Node ESM cannot load, and its Node entry registers no gradients.
// Bundled, they register into tfjs's global gradient registry and run through the shared engine.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
