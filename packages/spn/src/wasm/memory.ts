import { getKernels, type Kernels } from './module.js';

// The module's memory: a control block for the worker threads, then a heap of resident arrays —
// Float32Array views that live across calls (a network's weights and Adam moments, a step's intermediate
// results), which the kernels read and write in place — and above the heap the scratch of one kernel call,
// where operands that are not resident are copied. Resident arrays exist only on a shared memory: its
// views stay valid when it grows (a plain memory's are detached); elsewhere they are plain arrays.

/** Bytes kept for the control block at the start of the memory (see workers.ts). */
export const CONTROL_BYTES = 256;

let heapTop = CONTROL_BYTES;
/** Free blocks of the heap, by address. */
const free: { at: number; bytes: number }[] = [];
/** Bytes of each resident array's block, by address. */
const blocks = new Map<number, number>();
/** The buffers of the shared memory handed out so far (a grown memory gives a new buffer object). */
const buffers = new WeakSet<ArrayBufferLike>();

function roundUp(bytes: number): number {
  return Math.max(16, Math.ceil(bytes / 16) * 16);
}

/** The memory grown to at least `bytes`; its current buffer. */
function ensure(k: Kernels, bytes: number): ArrayBufferLike {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  const buffer = k.memory.buffer;
  buffers.add(buffer);
  return buffer;
}

/** A zeroed Float32Array of n values in the heap (a plain array where the memory is not shared). */
export function residentArray(n: number): Float32Array {
  const view = residentBlock(n);
  view.fill(0);
  return view;
}

/** n values in the heap, not zeroed (a zeroed plain array where the memory is not shared). */
function residentBlock(n: number): Float32Array {
  const k = getKernels();
  if (k === null || !k.shared) return new Float32Array(n);
  const bytes = roundUp(n * 4);
  let at = -1;
  const fit = free.findIndex((b) => b.bytes >= bytes);
  if (fit >= 0) {
    const block = free[fit]!;
    at = block.at;
    if (block.bytes === bytes) free.splice(fit, 1);
    else free[fit] = { at: at + bytes, bytes: block.bytes - bytes };
  } else {
    at = heapTop;
    heapTop += bytes;
  }
  blocks.set(at, bytes);
  return new Float32Array(ensure(k, heapTop), at, n);
}

/** Bytes of the heap held by resident arrays now (tests check that networks give theirs back). */
export function residentBytes(): number {
  let bytes = 0;
  for (const b of blocks.values()) bytes += b;
  return bytes;
}

/** A resident copy of `values`. */
export function residentCopy(values: Float32Array): Float32Array {
  const out = residentArray(values.length);
  out.set(values);
  return out;
}

/** Whether `x` is a resident array (or a view into one). */
export function isResident(x: Float32Array): boolean {
  return buffers.has(x.buffer);
}

/** Returns a resident array's block to the heap; anything else is left alone. */
export function releaseResident(x: Float32Array | null | undefined): void {
  if (!x || !isResident(x)) return;
  const bytes = blocks.get(x.byteOffset);
  if (bytes === undefined) return;
  blocks.delete(x.byteOffset);
  free.push({ at: x.byteOffset, bytes });
  free.sort((a, b) => a.at - b.at);
  // merge neighbours; a free block at the top lowers the heap
  for (let i = free.length - 2; i >= 0; i--) {
    const [a, b] = [free[i]!, free[i + 1]!];
    if (a.at + a.bytes === b.at) free.splice(i, 2, { at: a.at, bytes: a.bytes + b.bytes });
  }
  const last = free.at(-1);
  if (last && last.at + last.bytes === heapTop) {
    heapTop = last.at;
    free.pop();
  }
}

/** An operand of a kernel call: its values (null: scratch only), how many floats, and whether they are read. */
export interface Operand {
  readonly array: Float32Array | null;
  readonly floats: number;
  readonly read: boolean;
}

/**
 * The addresses of a call's operands: a resident array's own, else a place in the scratch above the heap
 * (the memory grown to hold them), where the operands that are read are copied. Also the memory's
 * Float32Array view, valid until the next allocation, for copying results back.
 */
export function stage(k: Kernels, operands: readonly Operand[]): { at: number[]; f32: Float32Array } {
  const at: number[] = [];
  let top = heapTop;
  for (const o of operands) {
    if (o.array !== null && isResident(o.array)) at.push(o.array.byteOffset);
    else {
      at.push(top);
      top += roundUp(o.floats * 4);
    }
  }
  const f32 = new Float32Array(ensure(k, top));
  operands.forEach((o, i) => {
    if (o.read && o.array !== null && !isResident(o.array)) f32.set(o.array.subarray(0, o.floats), at[i]! / 4);
  });
  return { at, f32 };
}

/** Copies a result from the scratch back into a non-resident array (a resident one was written in place). */
export function unstage(f32: Float32Array, at: number, array: Float32Array, floats: number): void {
  if (!isResident(array)) array.set(f32.subarray(at / 4, at / 4 + floats));
}

/** The resident arrays of the step in progress (stepArray), returned to the heap by releaseStepArrays. */
const stepArrays: Float32Array[] = [];

/**
 * An array for the step in progress, resident until releaseStepArrays (a plain array elsewhere). Not
 * zeroed: the step writes every value before reading it (the kernels write whole outputs).
 */
export function stepArray(n: number): Float32Array {
  const x = residentBlock(n);
  if (isResident(x)) stepArrays.push(x);
  return x;
}

/** Ends a step: its arrays go back to the heap (nothing may use them afterwards). */
export function releaseStepArrays(): void {
  for (const x of stepArrays.splice(0)) releaseResident(x);
}
