"""PDLF working-memory policy population step in PyTorch (the batched peer of `pnpm bench pdlf`).

P members of input -> hidden (ternary LIF) -> readout (ternary LIF), both layers plastic with
per-synapse coefficients lr, A, B, C, D (the official BatchedGruMetaStdpMLPPolicy's rule, without
the GRU branch and with one plastic matrix per member):
  mem = inp + (mem - inp)/e;  s = [mem > 0.1] - [mem < -0.1];  mem = 0 where s != 0
  hidden trace h <- h/e + s*(1 - 1/e)   (the input and the readout enter the rule raw)
  w <- w + lr*(A*x*y + B*x + C*y + D);  w <- w / max|w| per member and layer (skipped when 0)
Prints one JSON line: member-steps per second, seconds per step, peak resident memory.
"""
import argparse
import json
import math
import resource
import time

import torch

ap = argparse.ArgumentParser()
ap.add_argument('--members', type=int, default=256)
ap.add_argument('--n-in', type=int, default=16)
ap.add_argument('--hidden', type=int, default=128)
ap.add_argument('--n-out', type=int, default=2)
ap.add_argument('--steps', type=int, default=200)
ap.add_argument('--rate', type=float, default=0.1)
ap.add_argument('--threads', type=int, default=2)
ap.add_argument('--seed', type=int, default=0)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.set_grad_enabled(False)
g = torch.Generator().manual_seed(a.seed)
P, E = a.members, math.e


def coefficients(shape):
    return [torch.randn(shape, generator=g) * (0.3 if k == 0 else 1.0) for k in range(5)]


def lif(mem, inp):
    mem = inp + (mem - inp) / E
    s = (mem > 0.1).float() - (mem < -0.1).float()
    return torch.where(s != 0, torch.zeros_like(mem), mem), s


def plastic(w, x, y, c):
    lr, A, B, C, D = c
    upd = A * (x[:, :, None] * y[:, None, :]) + B * x[:, :, None] + C * y[:, None, :] + D
    w = w + lr * upd
    m = w.abs().amax(dim=(1, 2), keepdim=True)
    return torch.where(m > 0, w / torch.where(m > 0, m, torch.ones_like(m)), w)


w1, w2 = torch.zeros(P, a.n_in, a.hidden), torch.zeros(P, a.hidden, a.n_out)
c1, c2 = coefficients((P, a.n_in, a.hidden)), coefficients((P, a.hidden, a.n_out))
mem1, mem2, h = torch.zeros(P, a.hidden), torch.zeros(P, a.n_out), torch.zeros(P, a.hidden)
inputs = (torch.rand(a.steps + 20, P, a.n_in, generator=g) < a.rate).float()


def step(x):
    global w1, w2, mem1, mem2, h
    mem1, s1 = lif(mem1, torch.bmm(x[:, None, :], w1)[:, 0])
    h = h / E + s1 * (1 - 1 / E)
    mem2, s2 = lif(mem2, torch.bmm(h[:, None, :], w2)[:, 0])
    w1 = plastic(w1, x, h, c1)
    w2 = plastic(w2, h, s2, c2)


for t in range(20):  # warm-up
    step(inputs[t])
t0 = time.perf_counter()
for t in range(a.steps):
    step(inputs[20 + t])
wall = time.perf_counter() - t0
print(json.dumps({
    'member_steps_per_s': P * a.steps / wall, 'seconds_per_step': wall / a.steps,
    'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'torch': torch.__version__, 'threads': a.threads,
}))
