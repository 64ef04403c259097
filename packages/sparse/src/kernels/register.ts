import { registerEventMatVecGradient } from '../gradient.js';
import { registerCpuKernels } from './cpu.js';
import { registerWasmKernels } from './wasm.js';
import { registerWebgpuKernels } from './webgpu.js';

let registered = false;

/** Registers every sparse kernel for cpu, wasm and webgpu, and the EVENT_MATVEC gradient (idempotent; connections call it). */
export function registerSparseKernels(): void {
  if (registered) return;
  registered = true;
  registerCpuKernels();
  registerWasmKernels();
  registerWebgpuKernels();
  registerEventMatVecGradient();
}
