#!/usr/bin/python3
"""Brian2 peer of the third case of `pnpm bench snn`: N current-based LIF neurons (delta synapses),
each driven one-to-one by its own 5 Hz Poisson input of 16 mV, recurrently connected with
probability p (N = 100,000, p = 0.001: ~10^7 synapses), 1 ms axonal delay and additive pair STDP,
dt = 0.1 ms, T = 1 s after a 1 ms warm-up run.

The model is the one bench/snn.mjs builds with @plasticity/snn (core/lif defaults, tauMMs = 20):
  dv/dt = (v_rest - v)/tau_m, integrated exactly (ours: v <- v_rest + (v - v_rest)·e^(-dt/tau_m);
  Brian2: method='exact'), v_rest = v_reset = v_init = -65 mV, threshold v > -50 mV, reset
  v = -65 mV, refractory period 2 ms = R = 20 steps.
  Refractoriness: ours clamps v in the R - 1 = 19 steps after a spike and takes input again in the
  19th, so that a delta input can fire the neuron R steps after a spike. Brian2's `refractory=2*ms`
  with `(unless refractory)` blocks synaptic writes to v up to and including step R - 1, so a delta
  input could fire it only R + 1 steps after a spike. Brian2's `refractory=(R-1)*dt` = 1.9 ms gives
  exactly our schedule: v clamped and input blocked in steps 1..18; in step 19 Brian2 integrates
  from v_reset = v_rest (a no-op for the exact update) where ours is still clamped, and both take
  that step's input; from step 20 on both integrate and may fire.
  Recurrent synapses: v_post += w on arrival (1 ms after the pre spike), then
  w = clip(w - aMinus·x_post, 0, wMax); on a post spike w = clip(w + aPlus·x_pre, 0, wMax);
  x_pre, x_post: all-to-all traces (jump 1, tau 20 ms); aPlus = 0.005 mV, aMinus = 0.00525 mV,
  wMax = 1 mV. The pre pathway (propagation, depression, x_pre jump) runs at arrival, before the
  post pathway of the same step — ours does the same (Brian2's order).

Connectivity: with --net DIR the exact synapses and initial weights of our network are loaded
(DIR/pre.i32, DIR/post.i32, DIR/w.f32, written by bench/snn.mjs from CSRConnection.random with the
same seed), so both simulate the identical network; without it Brian2 draws its own (connect(p=p),
w ~ U(0, 0.5) mV). Only the random spike trains (Poisson drive) differ.

Wall time: `run_wall_s` is the T-second run() alone; the 1 ms warm-up run before it does code
generation and Cython compilation (cached in ~/.cython after the first ever run).
Prints one JSON line.

Usage: /usr/bin/python3 recurrent_brian2.py [--net DIR] [--N 100000] [--p 0.001] [--T 1] [--seed 1] [--target cython] [--profile]
"""
import argparse, json, os, resource, time
import numpy as np
import brian2
from brian2 import (NeuronGroup, PoissonGroup, Synapses, SpikeMonitor, Network, defaultclock, prefs, seed,
                    ms, mV, Hz, second)


def rss_mib():
    with open('/proc/self/status') as fh:
        for line in fh:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


ap = argparse.ArgumentParser()
ap.add_argument('--target', default='cython')
ap.add_argument('--net', default=None, help='folder with pre.i32, post.i32, w.f32 (our synapses, storage order)')
ap.add_argument('--N', type=int, default=100_000)
ap.add_argument('--p', type=float, default=0.001)
ap.add_argument('--T', type=float, default=1.0, help='simulated seconds (timed)')
ap.add_argument('--warmup-ms', type=float, default=1.0)
ap.add_argument('--seed', type=int, default=1)
ap.add_argument('--profile', action='store_true', help='also report Brian2\'s time per code object (adds some overhead)')
a = ap.parse_args()

prefs.codegen.target = a.target
seed(a.seed)
np.random.seed(a.seed)
defaultclock.dt = 0.1 * ms

rss0 = rss_mib()
t_build0 = time.perf_counter()

# --- parameters (bench/snn.mjs: lif { tauMMs: 20 }, Poisson 5 Hz × 16 mV, STDP spec) ---
N = a.N
tau_m = 20 * ms
v_rest = -65 * mV
v_reset = -65 * mV
v_th = -50 * mV
w_drive = 16 * mV
rate = 5 * Hz
a_plus = 0.005 * mV
a_minus = 0.00525 * mV
tau_pre = 20 * ms
tau_post = 20 * ms
w_max = 1 * mV

refractory_steps = 20  # 2 ms at dt = 0.1 ms; (R - 1)·dt in Brian2's terms, see above
G = NeuronGroup(N, 'dv/dt = (v_rest - v) / tau_m : volt (unless refractory)',
                threshold='v > v_th', reset='v = v_reset', refractory=(refractory_steps - 1) * defaultclock.dt,
                method='exact', name='exc')
G.v = v_rest
drive = PoissonGroup(N, rates=rate, name='drive')
D = Synapses(drive, G, on_pre='v_post += w_drive', name='drive_exc')
D.connect(j='i')
S = Synapses(G, G,
             '''w : volt
                dxpre/dt = -xpre / tau_pre : 1 (event-driven)
                dxpost/dt = -xpost / tau_post : 1 (event-driven)''',
             on_pre='''v_post += w
                       xpre += 1
                       w = clip(w - a_minus * xpost, 0*mV, w_max)''',
             on_post='''xpost += 1
                        w = clip(w + a_plus * xpre, 0*mV, w_max)''',
             delay=1 * ms, name='exc_exc')

t_load = 0.0
if a.net:
    t0 = time.perf_counter()
    pre = np.fromfile(os.path.join(a.net, 'pre.i32'), dtype=np.int32)
    post = np.fromfile(os.path.join(a.net, 'post.i32'), dtype=np.int32)
    t_load = time.perf_counter() - t0
    if pre.shape != post.shape or (pre.size and (pre.max() >= N or post.max() >= N)):
        raise SystemExit(f'bad dump in {a.net}: {pre.size} pre, {post.size} post, N = {N}')
    S.connect(i=pre, j=post)
    # Brian2 keeps the order given; check it, so that w.f32 (storage order) lands on the right synapses
    if not (np.array_equal(np.asarray(S.i[:]), pre) and np.array_equal(np.asarray(S.j[:]), post)):
        raise SystemExit('Brian2 reordered the synapses; cannot assign the initial weights')
    del pre, post
    w0 = np.fromfile(os.path.join(a.net, 'w.f32'), dtype=np.float32)
    S.w[:] = w0.astype(np.float64) * mV
    w0_mean = float(w0.mean(dtype=np.float64))
    del w0
    source = 'dump'
else:
    S.connect(p=a.p)
    S.w = 'rand() * 0.5 * mV'
    w0_keep = np.asarray(S.w[:] / mV).astype(np.float32)
    w0_mean = float(w0_keep.mean(dtype=np.float64))
    source = 'brian2 connect(p)'
nsyn = len(S)
mon = SpikeMonitor(G, record=False)
net = Network(G, drive, D, S, mon)
t_build = time.perf_counter() - t_build0

t0 = time.perf_counter()
net.run(a.warmup_ms * ms)  # code generation + Cython compilation, spike queue set-up
t_warm = time.perf_counter() - t0
n0 = int(mon.num_spikes)
t0 = time.perf_counter()
net.run(a.T * second, profile=a.profile)
t_run = time.perf_counter() - t0
spikes = int(mon.num_spikes) - n0
rss_after = rss_mib()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

# weight change over the whole simulation (warm-up + T), per synapse, in mV
w1 = np.asarray(S.w[:] / mV)
w0 = np.fromfile(os.path.join(a.net, 'w.f32'), dtype=np.float32).astype(np.float64) if a.net else w0_keep.astype(np.float64)
dw = w1 - w0
rate_hz = spikes / N / a.T
res = dict(
    brian2=brian2.__version__, target=a.target, N=N, p=a.p, nsyn=nsyn, synapses_total=nsyn + N, connectivity=source,
    T_sim_s=a.T, warmup_sim_ms=a.warmup_ms, dt_ms=float(defaultclock.dt / ms),
    load_wall_s=round(t_load, 3), build_wall_s=round(t_build, 3), warmup_wall_s=round(t_warm, 3), run_wall_s=round(t_run, 3),
    realtime_factor=round(a.T / t_run, 4),
    spikes=spikes, rate_hz=round(rate_hz, 4),
    # same formula as ours: spikes × mean fan-out, pre arrivals + post updates
    synaptic_events_per_s=round(spikes * nsyn / N * 2 / t_run),
    rss_before_mib=round(rss0, 1), rss_after_run_mib=round(rss_after, 1), rss_delta_mib=round(rss_after - rss0, 1),
    peak_rss_mib=round(peak, 1),
    w0_mean_mv=round(w0_mean, 6), w_mean_mv=round(float(w1.mean()), 6),
    dw_mean_mv=float(f'{dw.mean():.6e}'), dw_std_mv=float(f'{dw.std():.6e}'),
    # signs beyond ±1e-6 mV, as bench/snn.mjs counts ours (float32 weights ignore smaller updates)
    frac_dw_pos=round(float(np.mean(dw > 1e-6)), 5), frac_dw_neg=round(float(np.mean(dw < -1e-6)), 5),
    frac_w_at_0=round(float(np.mean(w1 <= 0)), 6), frac_w_at_max=round(float(np.mean(w1 >= 1)), 6),
)
if a.profile:
    prof = sorted(net.profiling_info, key=lambda x: -float(x[1]))
    res['profile_s'] = {name: round(float(t), 3) for name, t in prof[:12]}
print(json.dumps(res))
