// Vitest setup shared by all packages: gradients registered, cpu and wasm available, cpu active.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { useBackend } from './backends.js';

await useBackend('cpu');
