// The BrainEvent-style CSR workload of bench/peers/event_ref.py, generated in JS with core's seeded
// RNG and dumped in the binary layout bench/peers/event_c.c reads.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRng } from '@plasticity/core';

/**
 * { nPre, nPost, nnz, T, indptr, indices, w0, csc: { indptr, rows, slot }, preSpikes, postSpikes
 * (Uint8Array [T, n]), preTr, postTr (Float32Array [T, n]), evPre, evPost (synaptic events per run) }.
 * Structure: each pair present with probability p (geometric gaps); weights U(0, 0.5) in float32;
 * a fresh Bernoulli(rate) set of pre and of post neurons active per step; traces
 * x = x·e^{-1/20} + spike, handed to the kernels as +0.005·y (post) and −0.005·x (pre).
 */
export function makeWorkload({ nPre, nPost, p, rate = 0.05, T = 200, seed = 0 }) {
  const rng = createRng(seed);
  const indptr = new Int32Array(nPre + 1);
  let cap = Math.max(16, Math.ceil(nPre * nPost * p * 1.01 + 64));
  let indices = new Int32Array(cap);
  let nnz = 0;
  const logq = Math.log1p(-p);
  for (let i = 0; i < nPre; i++) {
    if (p > 0) {
      for (let j = -1; ;) {
        j += p >= 1 ? 1 : 1 + Math.floor(Math.log(1 - rng.random()) / logq);
        if (j >= nPost) break;
        if (nnz === cap) {
          cap *= 2;
          const grown = new Int32Array(cap);
          grown.set(indices);
          indices = grown;
        }
        indices[nnz++] = j;
      }
    }
    indptr[i + 1] = nnz;
  }
  indices = indices.slice(0, nnz);
  const w0 = rng.uniform(nnz, 0, 0.5);
  // CSC view: counting sort by column, stable in row order; slot = CSC position -> CSR position.
  const cptr = new Int32Array(nPost + 1);
  for (let k = 0; k < nnz; k++) cptr[indices[k] + 1]++;
  for (let j = 0; j < nPost; j++) cptr[j + 1] += cptr[j];
  const fill = cptr.slice(0, nPost);
  const rows = new Int32Array(nnz);
  const slot = new Int32Array(nnz);
  for (let i = 0; i < nPre; i++) {
    for (let k = indptr[i]; k < indptr[i + 1]; k++) {
      const q = fill[indices[k]]++;
      rows[q] = i;
      slot[q] = k;
    }
  }
  const preSpikes = rng.bernoulli(T * nPre, rate);
  const postSpikes = rng.bernoulli(T * nPost, rate);
  const decay = Math.fround(Math.exp(-1 / 20));
  const preTr = new Float32Array(T * nPre);
  const postTr = new Float32Array(T * nPost);
  const x = new Float32Array(nPre);
  const y = new Float32Array(nPost);
  let evPre = 0;
  let evPost = 0;
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < nPre; i++) {
      x[i] = x[i] * decay + preSpikes[t * nPre + i];
      preTr[t * nPre + i] = -0.005 * x[i];
      if (preSpikes[t * nPre + i]) evPre += indptr[i + 1] - indptr[i];
    }
    for (let j = 0; j < nPost; j++) {
      y[j] = y[j] * decay + postSpikes[t * nPost + j];
      postTr[t * nPost + j] = 0.005 * y[j];
      if (postSpikes[t * nPost + j]) evPost += cptr[j + 1] - cptr[j];
    }
  }
  return { nPre, nPost, p, rate, nnz, T, indptr, indices, w0, csc: { indptr: cptr, rows, slot }, preSpikes, postSpikes, preTr, postTr, evPre, evPost };
}

/** Writes the workload and the expected results in event_c.c's layout (hdr.bin, indptr.bin, …). */
export function dumpWorkload(dir, wl, expected) {
  mkdirSync(dir, { recursive: true });
  const put = (name, a) => writeFileSync(path.join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  put('hdr.bin', BigInt64Array.from([wl.nPre, wl.nPost, wl.nnz, wl.T].map(BigInt)));
  put('indptr.bin', wl.indptr);
  put('indices.bin', wl.indices);
  put('w0.bin', wl.w0);
  put('csc_indptr.bin', wl.csc.indptr);
  put('csc_rows.bin', wl.csc.rows);
  put('weight_indices.bin', wl.csc.slot);
  put('pre_spikes.bin', wl.preSpikes);
  put('post_spikes.bin', wl.postSpikes);
  put('pre_tr.bin', wl.preTr);
  put('post_tr.bin', wl.postTr);
  put('exp_matvec.bin', expected.matvec);
  put('exp_onpre.bin', expected.onPre);
  put('exp_onpost.bin', expected.onPost);
}
