export const SOURCE: string;
export const OUTPUT: string;
export const MAX_BYTES: number;
export function compileKernels(shared?: boolean): Promise<Uint8Array>;
export function checkBinary(bytes: Uint8Array): string[];
export function renderModule(bytes: Uint8Array, sharedBytes: Uint8Array): string;
export function buildModuleSource(): Promise<string>;
