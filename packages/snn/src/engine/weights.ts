import * as tf from '@tensorflow/tfjs-core';
import { sameWeights, weightStamp, type Projection } from './model.js';

// The bridge between the connections' weight tensors and the host arrays the fused kernels write:
// on cpu the kernels work in the tensor's own buffer; elsewhere on a host copy that is uploaded at
// the end of every run call and read back only when the tensor was replaced (setWeights, a checkpoint,
// a reset), so step() after step() costs no readback.

function cpuBackend(): boolean {
  const b = tf.backend() as unknown as { data?: { get?: unknown } };
  return tf.getBackend() === 'cpu' && typeof b.data?.get === 'function';
}

/** Host weights of every projection for this run: the cpu buffer itself, or a copy elsewhere. */
export async function acquire(projections: readonly Projection[]): Promise<void> {
  for (const p of projections) await acquireOne(p);
}

/** The host array the kernels can write for `p` without a readback, or null when one is needed. */
function hostWeights(p: Projection): Float32Array | null {
  if (cpuBackend()) {
    const backend = tf.backend() as unknown as { data: { get(id: object): { values: unknown } }; refCount(id: object): number };
    const t = p.conn.weightTensor;
    const values = backend.data.get(t.dataId).values;
    // an exclusive float32 buffer: no other tensor sees our writes
    return backend.refCount(t.dataId) === 1 && values instanceof Float32Array ? values : null;
  }
  // the host copy of the last run is current unless someone replaced the tensor since it was published
  return p.host !== null && sameWeights(p.conn, p.published) ? p.host : null;
}

function attach(p: Projection, w: Float32Array): void {
  p.w = w;
  p.copied = !cpuBackend();
  p.host = p.copied ? w : null;
  p.kernel.attach?.(w, !sameWeights(p.conn, p.published));
}

/** A population network's weights live on the host, one slice per member, from the connection's. */
async function acquireMembers(p: Projection): Promise<void> {
  const mm = p.members!;
  if (!mm.w) fillMembers(p, await p.w0);
  p.w = mm.w;
}

/** Every member starts from the same weights (`w`, length nnz). */
export function fillMembers(p: Projection, w: Float32Array): void {
  const mm = p.members!, nnz = w.length, P = mm.kernels.length;
  const all = new Float32Array(nnz * P);
  for (let m = 0; m < P; m++) all.set(w, m * nnz);
  mm.w = all;
  mm.wViews = Array.from({ length: P }, (_, m) => all.subarray(m * nnz, (m + 1) * nnz));
  mm.kernels.forEach((k, m) => k.attach?.(mm.wViews[m]!, true));
}

export async function acquireOne(p: Projection): Promise<void> {
  if (p.members) return acquireMembers(p);
  let w = hostWeights(p);
  if (!w) {
    const values = await p.conn.getWeights();
    if (cpuBackend()) {
      p.conn.setWeights(values); // a fresh, exclusive buffer
      w = hostWeights(p)!;
    } else w = values;
  }
  attach(p, w);
}

/** acquire without awaiting: false (and nothing attached) when some projection needs a readback. */
export function acquireSync(projections: readonly Projection[]): boolean {
  const ws = projections.map((p) => (p.members ? p.members.w : hostWeights(p)));
  if (ws.some((w) => w === null)) return false;
  projections.forEach((p, k) => { if (p.members) p.w = ws[k]!; else attach(p, ws[k]!); });
  return true;
}

/** Makes every connection's weight tensor show the current weights (mid-run or at its end). */
export function sync(projections: readonly Projection[]): void {
  for (const p of projections) {
    if (!p.w) continue;
    if (p.members) {
      p.members.kernels.forEach((k, m) => k.publish?.(p.members!.wViews[m]!));
      continue;
    }
    p.kernel.publish?.(p.w);
    if (p.copied) p.conn.setWeights(p.w);
    p.published = weightStamp(p.conn);
  }
}

export function release(projections: readonly Projection[]): void {
  sync(projections);
  for (const p of projections) {
    if (p.members) { p.w = null; continue; }
    p.published = weightStamp(p.conn);
    p.w = null;
    p.copied = false;
  }
}
