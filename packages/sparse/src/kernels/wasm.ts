// Kernels of names.ts for the 'wasm' backend (owned by the wasm kernel work).
export function registerWasmKernels(): void {}
