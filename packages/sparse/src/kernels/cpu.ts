// Kernels of names.ts for the 'cpu' backend (owned by the cpu kernel work).
export function registerCpuKernels(): void {}
