/**
 * Kernel contract of @plasticity/sparse. Each name is registered for 'cpu', 'wasm' and 'webgpu'
 * (registerSparseKernels) and called through tf.engine().runKernel(name, inputs, attrs).
 *
 * Structure inputs of every CSR-shaped kernel:
 *   ptr    int32 [nRows + 1]  row pointers (rows = pre for CSR, post for the CSC view)
 *   idx    int32 [nnz]        column of each slot (post for CSR, pre for the CSC view)
 *   slot   int32 [nnz]        OPTIONAL: weight position of each slot. Absent → weights[k] for slot k
 *                             (plain CSR). Present → weights[slot[k]] (CSC view onto CSR weights,
 *                             or a CSR view onto COO-ordered weights).
 *   weights float32 [nnz]     (length 1 = homogeneous weight; allowed for propagation only)
 * An event/active element is active iff it is != 0. Binary mode adds the weight; float mode adds
 * weight × event value. Rows with no active event cost nothing beyond the scan of the event vector.
 *
 * In-place updates (OnRows, AddOuter): on cpu and wasm the kernel writes into the weights buffer and
 * returns it (same dataId, refcount incremented as tfjs's Identity kernel does); on webgpu it does the
 * same when no other tensor shares the buffer and writes a copy otherwise. Callers always replace
 * their weights tensor by the output and dispose the old handle. Bounds clip only the slots the kernel touched; attrs wMin/wMax are
 * -Infinity/+Infinity when absent.
 */

/** out[b, idx[k]] += e(events[b, r]) · w(k) for every slot k of every row r with events[b, r] != 0.
 *  inputs: ptr, idx, weights, events [batch, nRows]; optional slot. attrs: { nCols: number, mode: 'binary' | 'float' }.
 *  output: float32 [batch, nCols]. (spikes @ W for CSR; x @ W in float mode.) */
export const EVENT_MATVEC = 'PlasticitySparseEventMatVec';

/** out[b, r] = Σ_{k in row r} w(k) · v[b, idx[k]]  (W @ v for CSR; gradient of EventMatVec wrt events).
 *  inputs: ptr, idx, weights, v [batch, nCols]; optional slot. attrs: {}. output float32 [batch, nRows]. */
export const ROW_DOT = 'PlasticitySparseRowDot';

/** For every row r with active[r] != 0: w(k) = clip(w(k) + values[idx[k]]) on its slots.
 *  inputs: ptr, idx, weights, active [nRows], values [nCols]; optional slot. attrs: { wMin, wMax }.
 *  output: the updated weights (see in-place note). CSR onPre (no slot), CSR onPost (CSC view + slot),
 *  COO onPre/onPost (CSR/CSC views + slot). */
export const ON_ROWS = 'PlasticitySparseOnRows';

/**
 * Optional input of OnRows and AddOuter: `ex` float32 [lrLen + 2 · nBounds] = [lr, lo, hi] with attrs
 * { lrLen: 0 | nnz, nBounds: 0 | n, byIdx: 0 | 1, hasMin: 0 | 1, hasMax: 0 | 1 }. The update of the
 * synapse at weight position p is multiplied by lr[p] (when lrLen > 0), and with nBounds > 0 it is
 * clipped to [lo[b], hi[b]] (the sides with their flag set) instead of [wMin, wMax], b being the row r
 * (byIdx 0) or idx[k] (byIdx 1: the CSC view, whose rows are post, clipped by pre row). cpu and wasm
 * compute w(p) = f32(clip(f64(w(p)) + f64(lr[p]) · d)) in float64; webgpu in float32.
 */
export const UPDATE_EXTRAS = 'ex';

/** w(k) = clip(w(k) + scale · Σ_b a[b, r] · c[b, idx[k]]) for slots of rows r where some a[b, r] != 0.
 *  inputs: ptr, idx, weights, a [batch, nRows], c [batch, nCols]; optional slot. attrs: { scale, wMin, wMax }.
 *  output: the updated weights (in place on cpu/wasm). */
export const ADD_OUTER = 'PlasticitySparseAddOuter';

/** out[pos(k)] = Σ_b a[b, r] · c[b, idx[k]] for every slot k (row r); pos(k) = slot[k] or k.
 *  Sampled dense-dense product: gradient of EventMatVec (float mode) with respect to the weights.
 *  inputs: ptr, idx, a [batch, nRows], c [batch, nCols], weights (only for its length/shape); optional slot.
 *  attrs: {}. output: float32 [nnz] (a new tensor). */
export const SDDMM = 'PlasticitySparseSddmm';

export const SPARSE_KERNELS = [EVENT_MATVEC, ROW_DOT, ON_ROWS, ADD_OUTER, SDDMM] as const;
export type SparseKernelName = (typeof SPARSE_KERNELS)[number];
