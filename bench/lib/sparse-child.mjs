// One of our backends for `pnpm bench sparse`, in a Node process of its own (forked by sparse.mjs).
// A user's program runs one tfjs backend; timing cpu and wasm in one process would make tfjs's
// engine code see both backends' tensors and run slower on both (measured: ~4 µs a step on the
// wasm matvec). The parent sends { type, ... } messages and gets one reply to each:
//   setup { workload: { nPre, nPost, p, T }, backend } → { results } (for the correctness checks)
//   time { reps, level: 'api' | 'api-host' | 'api-tensor' | 'kernel' | 'module' } → { matvec, onpre, onpost } (median seconds a step)
// Levels: 'api' is the public per-step API as a simulation loop calls it, with nothing allocated per
// step: events as lists of active indices (EventList), the matvec written into one caller-owned
// Float32Array (propagateInto), traces as float32 tensors; 'api-host' the same with the traces in
// host Float32Arrays (onPre/onPost only); 'api-tensor' the tensor API (bool
// spike tensors, float32 trace tensors, propagate returns a fresh tensor); 'kernel' runKernel;
// 'module' the wasm module's exports with no tfjs call.
//   footprint → { tensorBytes, withCsc, hostBytes }
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { CSRConnection, EVENT_MATVEC, ON_ROWS, instantiateWasmKernels, registerSparseKernels } from '@plasticity/sparse';
import { createRequire } from 'node:module';
import path from 'node:path';
import { median } from './harness.mjs';
import { makeWorkload } from './workload.mjs';

const require = createRequire(import.meta.url);
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')) + path.sep + 'dist' + path.sep);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
registerSparseKernels();

const BOUNDS = { wMin: 0, wMax: 1 };
const KERNELS = ['matvec', 'onpre', 'onpost'];

/** Connection, structure tensors and per-step inputs on `backend`. */
async function setup(backend, wl) {
  await tf.setBackend(backend);
  await tf.ready();
  const { nPre, nPost, T } = wl;
  const conn = CSRConnection.fromCsr({ nPre, nPost, indptr: wl.indptr, indices: wl.indices, weights: wl.w0 });
  const slice = (a, t, n) => tf.tensor1d(Float32Array.from(a.subarray(t * n, (t + 1) * n)), 'float32');
  // Spikes as bool tensors: one byte per neuron, like the uint8 spike vectors the C and numpy peers scan.
  const spikes = (a, t, n) => tf.tensor1d(a.slice(t * n, (t + 1) * n), 'bool');
  // The per-step inputs of a host simulation loop: active indices (as its threshold test lists
  // them) and traces in host arrays, made beforehand as the tensors are.
  const list = (a, t, n) => {
    const idx = [];
    for (let i = 0; i < n; i++) if (a[t * n + i]) idx.push(i);
    return { indices: Int32Array.from(idx) };
  };
  const s = {
    conn, pre: [], post: [], preTr: [], postTr: [],
    host: { pre: [], post: [], preTr: [], postTr: [], out: new Float32Array(nPost) },
    k: {
      ptr: tf.tensor1d(wl.indptr, 'int32'), idx: tf.tensor1d(wl.indices, 'int32'),
      cptr: tf.tensor1d(wl.csc.indptr, 'int32'), cidx: tf.tensor1d(wl.csc.rows, 'int32'), cslot: tf.tensor1d(wl.csc.slot, 'int32'),
      w: null,
    },
  };
  for (let t = 0; t < T; t++) {
    s.pre.push(spikes(wl.preSpikes, t, nPre));
    s.post.push(spikes(wl.postSpikes, t, nPost));
    s.preTr.push(slice(wl.preTr, t, nPre));
    s.postTr.push(slice(wl.postTr, t, nPost));
    s.host.pre.push(list(wl.preSpikes, t, nPre));
    s.host.post.push(list(wl.postSpikes, t, nPost));
    s.host.preTr.push(wl.preTr.slice(t * nPre, (t + 1) * nPre));
    s.host.postTr.push(wl.postTr.slice(t * nPost, (t + 1) * nPost));
  }
  return s;
}

/**
 * One kernel over all T steps from the initial weights through the per-step API: event lists,
 * propagateInto one output array, traces as float32 tensors made beforehand (as at the tensor-API
 * level) or, with `hostTraces`, as host Float32Arrays (copied to the wasm heap and checked finite
 * every call); seconds a step (reset untimed).
 */
function timeApi(s, wl, kernel, hostTraces = false) {
  const { conn, host } = s;
  const T = wl.T;
  const preTr = hostTraces ? host.preTr : s.preTr;
  const postTr = hostTraces ? host.postTr : s.postTr;
  if (kernel !== 'matvec') conn.setWeights(wl.w0);
  const t0 = performance.now();
  if (kernel === 'matvec') {
    for (let t = 0; t < T; t++) conn.propagateInto(host.pre[t], host.out);
  } else if (kernel === 'onpre') {
    for (let t = 0; t < T; t++) conn.onPre(host.pre[t], postTr[t], BOUNDS);
  } else {
    for (let t = 0; t < T; t++) conn.onPost(preTr[t], host.post[t], BOUNDS);
  }
  return (performance.now() - t0) / 1000 / T;
}

/** The same through the tensor API (bool spikes, float32 traces, a fresh output tensor a step). */
function timeApiTensor(s, wl, kernel) {
  const { conn } = s;
  const T = wl.T;
  if (kernel !== 'matvec') conn.setWeights(wl.w0);
  const t0 = performance.now();
  if (kernel === 'matvec') {
    for (let t = 0; t < T; t++) conn.propagate(s.pre[t]).dispose();
  } else if (kernel === 'onpre') {
    for (let t = 0; t < T; t++) conn.onPre(s.pre[t], s.postTr[t], BOUNDS);
  } else {
    for (let t = 0; t < T; t++) conn.onPost(s.preTr[t], s.post[t], BOUNDS);
  }
  return (performance.now() - t0) / 1000 / T;
}

/** The same through tf.engine().runKernel with the kernels of names.ts (no API layer). */
function timeKernel(s, wl, kernel) {
  const k = s.k;
  const T = wl.T;
  const run = tf.engine().runKernel.bind(tf.engine());
  if (kernel !== 'matvec' || !k.w) {
    if (k.w) k.w.dispose();
    k.w = tf.tensor1d(wl.w0.slice(), 'float32'); // a copy: on cpu the tensor keeps the array and is updated in place
  }
  const t0 = performance.now();
  if (kernel === 'matvec') {
    for (let t = 0; t < T; t++) run(EVENT_MATVEC, { ptr: k.ptr, idx: k.idx, weights: k.w, events: s.pre[t] }, { nCols: wl.nPost, mode: 'binary' }).dispose();
  } else if (kernel === 'onpre') {
    for (let t = 0; t < T; t++) {
      const next = run(ON_ROWS, { ptr: k.ptr, idx: k.idx, weights: k.w, active: s.pre[t], values: s.postTr[t] }, BOUNDS);
      k.w.dispose();
      k.w = next;
    }
  } else {
    for (let t = 0; t < T; t++) {
      const next = run(ON_ROWS, { ptr: k.cptr, idx: k.cidx, slot: k.cslot, weights: k.w, active: s.post[t], values: s.preTr[t] }, BOUNDS);
      k.w.dispose();
      k.w = next;
    }
  }
  return (performance.now() - t0) / 1000 / T;
}

/**
 * The same work as the C kernels' functions, on wasm only: our SIMD module's exports called on the
 * tensors' bytes in tfjs's heap with pointers taken beforehand, no tfjs call. Per step, as event_c:
 * matvec zeroes the output, lists the active rows and accumulates; the updates list and update.
 */
function moduleLevel(s, wl) {
  const be = tf.backend();
  const k = instantiateWasmKernels(be.wasm.asm?.memory ?? be.wasm.wasmMemory);
  if (!k) throw new Error('the wasm kernel module cannot run here (no WebAssembly SIMD)');
  const off = (t) => be.dataIdMap.get(t.dataId).memoryOffset;
  const n = Math.max(wl.nPre, wl.nPost);
  const list = be.wasm._malloc(4 * (n + 1));
  const out = be.wasm._malloc(4 * wl.nPost);
  const w = be.wasm._malloc(4 * wl.nnz);
  const p = { ptr: off(s.k.ptr), idx: off(s.k.idx), cptr: off(s.k.cptr), cidx: off(s.k.cidx), cslot: off(s.k.cslot) };
  const pre = s.pre.map(off), post = s.post.map(off), preTr = s.preTr.map(off), postTr = s.postTr.map(off);
  const reset = (weights) => new Float32Array(be.wasm.HEAPU8.buffer, w, wl.nnz).set(weights);
  reset(wl.w0);
  return {
    time(kernel) {
      const T = wl.T;
      if (kernel !== 'matvec') reset(wl.w0);
      const t0 = performance.now();
      if (kernel === 'matvec') {
        for (let t = 0; t < T; t++) {
          be.wasm.HEAPU8.fill(0, out, out + 4 * wl.nPost);
          k.matvecBinary(p.ptr, p.idx, w, list, k.activeList(pre[t], wl.nPre, 2, list), out);
        }
      } else if (kernel === 'onpre') {
        for (let t = 0; t < T; t++) k.onRows(p.ptr, p.idx, 0, w, list, k.activeList(pre[t], wl.nPre, 2, list), postTr[t], BOUNDS.wMin, BOUNDS.wMax);
      } else {
        for (let t = 0; t < T; t++) k.onRows(p.cptr, p.cidx, p.cslot, w, list, k.activeList(post[t], wl.nPost, 2, list), preTr[t], BOUNDS.wMin, BOUNDS.wMax);
      }
      return (performance.now() - t0) / 1000 / T;
    },
    matvec: () => Float32Array.from(new Float32Array(be.wasm.HEAPU8.buffer, out, wl.nPost)),
    weights: () => Float32Array.from(new Float32Array(be.wasm.HEAPU8.buffer, w, wl.nnz)),
  };
}

/** Results of one full run of each kernel through the API and through runKernel. */
async function results(s, wl) {
  const out = {};
  s.conn.setWeights(wl.w0);
  timeApi(s, wl, 'matvec');
  out.matvec = s.host.out.slice(); // the last step's
  timeApi(s, wl, 'onpre');
  out.onPre = await s.conn.getWeights();
  timeApi(s, wl, 'onpost');
  out.onPost = await s.conn.getWeights();
  timeApi(s, wl, 'onpre', true);
  out.hOnPre = await s.conn.getWeights();
  timeApi(s, wl, 'onpost', true);
  out.hOnPost = await s.conn.getWeights();
  s.conn.setWeights(wl.w0);
  const y = s.conn.propagate(s.pre[wl.T - 1]);
  out.tMatvec = Float32Array.from(await y.data());
  y.dispose();
  timeApiTensor(s, wl, 'onpre');
  out.tOnPre = await s.conn.getWeights();
  timeApiTensor(s, wl, 'onpost');
  out.tOnPost = await s.conn.getWeights();
  timeKernel(s, wl, 'onpre');
  out.kOnPre = Float32Array.from(await s.k.w.data());
  timeKernel(s, wl, 'onpost');
  out.kOnPost = Float32Array.from(await s.k.w.data());
  if (s.module) {
    // the last step's matvec, then the weights after all onPre and after all onPost steps
    s.module.time('matvec');
    out.mMatvec = s.module.matvec();
    s.module.time('onpre');
    out.mOnPre = s.module.weights();
    s.module.time('onpost');
    out.mOnPost = s.module.weights();
  }
  return out;
}

/**
 * Bytes per synapse of a CSR connection without its CSC view: tfjs tensor bytes (ptr, idx and
 * weights after one propagate) and the structure arrays it keeps on the JS heap (hostBytes).
 */
function footprint(wl) {
  const before = tf.memory().numBytes;
  const conn = CSRConnection.fromCsr({ nPre: wl.nPre, nPost: wl.nPost, indptr: wl.indptr, indices: wl.indices, weights: wl.w0 });
  const spikes = tf.tensor1d(Float32Array.from(wl.preSpikes.subarray(0, wl.nPre)));
  conn.propagate(spikes).dispose();
  spikes.dispose();
  const tensorBytes = tf.memory().numBytes - before;
  const hostBytes = conn.hostBytes;
  const zeros = [tf.zeros([wl.nPre]), tf.zeros([wl.nPost])];
  conn.onPost(zeros[0], zeros[1], BOUNDS);
  const withCsc = tf.memory().numBytes - before;
  conn.dispose();
  tf.dispose(zeros);
  return { tensorBytes, withCsc, hostBytes };
}

let wl = null;
let state = null;
process.on('message', async (msg) => {
  try {
    if (msg.type === 'setup') {
      wl = makeWorkload({ ...msg.workload, seed: 0 });
      state = await setup(msg.backend, wl);
      if (msg.backend === 'wasm') state.module = moduleLevel(state, wl);
      process.send({ results: await results(state, wl) });
    } else if (msg.type === 'time') {
      const fn = {
        module: (_s, _w, k) => state.module.time(k), kernel: timeKernel, api: timeApi, 'api-tensor': timeApiTensor,
        'api-host': (st, w, k) => timeApi(st, w, k, true),
      }[msg.level];
      const kernels = msg.level === 'api-host' ? KERNELS.filter((k) => k !== 'matvec') : KERNELS; // its matvec is the API's
      // One untimed pass first: the levels take turns after the peers' processes, and the first to
      // run would otherwise pay for caches the others left cold (event_c verifies before it times).
      process.send(Object.fromEntries(kernels.map((k) => {
        fn(state, wl, k);
        return [k, median(Array.from({ length: msg.reps }, () => fn(state, wl, k)))];
      })));
    } else if (msg.type === 'footprint') {
      process.send(footprint(wl));
    }
  } catch (e) {
    process.send({ error: e instanceof Error ? e.stack : String(e) });
  }
});
process.on('disconnect', () => process.exit(0)); // the parent ended or failed
