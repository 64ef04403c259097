// Kernels of names.ts for the 'webgpu' backend (owned by the webgpu kernel work).
export function registerWebgpuKernels(): void {}
