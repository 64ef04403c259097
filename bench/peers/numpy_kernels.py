#!/usr/bin/python3
"""Times the numpy kernels of event_ref.py on a workload dumped by bench/sparse.mjs (event_c.c layout).

Usage: /usr/bin/python3 numpy_kernels.py DIR [reps] [kernels]
  kernels: comma list of matvec,onpre,onpost (default all).
Checks the numpy results against the dumped expected results first (on_pre/on_post bit-exact,
matvec within float32 rounding: numpy's bincount sums in float64), then prints one JSON line:
{"numpy": version, "verify": {...}, "per_step_s": {kernel: [rep seconds per step, ...]}}.
"""
import json, os, sys, time
import numpy as np
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from event_ref import matvec_np, on_pre_np, on_post_np  # noqa: E402

d = sys.argv[1]
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 1
kernels = sys.argv[3].split(',') if len(sys.argv) > 3 else ['matvec', 'onpre', 'onpost']
ld = lambda name, dt: np.fromfile(os.path.join(d, name), dtype=dt)
n_pre, n_post, nse, T = (int(x) for x in ld('hdr.bin', np.int64))
indptr, indices, w0 = ld('indptr.bin', np.int32), ld('indices.bin', np.int32), ld('w0.bin', np.float32)
csc_indptr, csc_rows, widx = ld('csc_indptr.bin', np.int32), ld('csc_rows.bin', np.int32), ld('weight_indices.bin', np.int32)
pre_sp = ld('pre_spikes.bin', np.uint8).reshape(T, n_pre).astype(bool)
post_sp = ld('post_spikes.bin', np.uint8).reshape(T, n_post).astype(bool)
pre_tr = ld('pre_tr.bin', np.float32).reshape(T, n_pre)
post_tr = ld('post_tr.bin', np.float32).reshape(T, n_post)
wmin, wmax = np.float32(0.0), np.float32(1.0)

verify = {}
if 'matvec' in kernels:
    mv = matvec_np(w0, indices, indptr, pre_sp[T - 1], n_post)
    e = ld('exp_matvec.bin', np.float32)
    verify['matvec_max_abs_diff'] = float(np.max(np.abs(mv - e))) if n_post else 0.0
if 'onpre' in kernels:
    w = w0.copy()
    for t in range(T): on_pre_np(w, indices, indptr, pre_sp[t], post_tr[t], wmin, wmax)
    verify['onpre_mismatches'] = int(np.sum(w != ld('exp_onpre.bin', np.float32)))
if 'onpost' in kernels:
    w = w0.copy()
    for t in range(T): on_post_np(w, csc_rows, csc_indptr, widx, post_sp[t], pre_tr[t], wmin, wmax)
    verify['onpost_mismatches'] = int(np.sum(w != ld('exp_onpost.bin', np.float32)))

fns = {
    'matvec': lambda w, t: matvec_np(w, indices, indptr, pre_sp[t], n_post),
    'onpre': lambda w, t: on_pre_np(w, indices, indptr, pre_sp[t], post_tr[t], wmin, wmax),
    'onpost': lambda w, t: on_post_np(w, csc_rows, csc_indptr, widx, post_sp[t], pre_tr[t], wmin, wmax),
}
per = {k: [] for k in kernels}
for r in range(reps):
    for k in kernels:
        w = w0.copy()
        t0 = time.perf_counter()
        for t in range(T): fns[k](w, t)
        per[k].append((time.perf_counter() - t0) / T)
print(json.dumps({'numpy': np.__version__, 'verify': verify, 'per_step_s': per}))
