// The rules' WebAssembly SIMD modules (assembly/*.ts, compiled into wasm-binary.ts): each compiled
// synchronously once, on first use; null where WebAssembly or SIMD is missing (the JS loops run then).

const modules = new Map<string, WebAssembly.Module | null>();
let enabled = true;

/** Tests turn the SIMD modules off to exercise the plain JS loops. */
export function setSimdEnabled(on: boolean): void {
  enabled = on;
}

export function simdModule(base64: string): WebAssembly.Module | null {
  if (!enabled || typeof WebAssembly === 'undefined') return null;
  let m = modules.get(base64);
  if (m === undefined) {
    try {
      const text = atob(base64);
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
      m = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null; // null: no SIMD here
    } catch {
      m = null;
    }
    modules.set(base64, m);
  }
  return m;
}

/**
 * A memory of its own holding arrays of the given byte sizes, each 16-byte aligned, and an instance of
 * `module` bound to it; null when the memory cannot be had (the JS loop runs instead).
 */
export function simdInstance(module: WebAssembly.Module, sizes: readonly number[]): { exports: WebAssembly.Exports; buffer: ArrayBuffer; offsets: number[] } | null {
  try {
    const offsets: number[] = [];
    let at = 0;
    for (const bytes of sizes) { offsets.push(at); at += Math.ceil(bytes / 16) * 16; }
    const memory = new WebAssembly.Memory({ initial: Math.ceil(at / 65536) + 1 });
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    return { exports: instance.exports, buffer: memory.buffer, offsets };
  } catch {
    return null;
  }
}
