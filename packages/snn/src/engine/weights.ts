import * as tf from '@tensorflow/tfjs-core';
import type { Projection } from './model.js';

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

export async function acquireOne(p: Projection): Promise<void> {
  if (cpuBackend()) {
    const backend = tf.backend() as unknown as { data: { get(id: object): { values: unknown } }; refCount(id: object): number };
    let t = p.conn.weightTensor;
    if (backend.refCount(t.dataId) > 1 || !(backend.data.get(t.dataId).values instanceof Float32Array)) {
      p.conn.setWeights(await p.conn.getWeights()); // an exclusive buffer: no other tensor sees our writes
      t = p.conn.weightTensor;
    }
    p.w = backend.data.get(t.dataId).values as Float32Array;
    p.copied = false;
  } else {
    // the host copy of the last run is current unless someone replaced the tensor since it was published
    const host = p.host !== null && p.conn.weightTensor === p.published ? p.host : await p.conn.getWeights();
    p.w = host;
    p.host = host;
    p.copied = true;
  }
  p.kernel.attach?.(p.w, p.conn.weightTensor !== p.published);
}

/** Makes every connection's weight tensor show the current weights (mid-run or at its end). */
export function sync(projections: readonly Projection[]): void {
  for (const p of projections) {
    if (!p.w) continue;
    p.kernel.publish?.(p.w);
    if (p.copied) p.conn.setWeights(p.w);
    p.published = p.conn.weightTensor;
  }
}

export function release(projections: readonly Projection[]): void {
  sync(projections);
  for (const p of projections) {
    p.published = p.conn.weightTensor;
    p.w = null;
    p.copied = false;
  }
}
