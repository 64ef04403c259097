#!/usr/bin/python3
"""Training-step timing of the PyTorch SPN peer (spn_torch.py, the blog's model with the minimal fixes):
forward (training=True, so the plastic update runs) + MSE + backward + Adam, on fixed random data.
Prints one JSON line: {"step_ms_median", "step_ms_min", "samples_ms", "peak_rss_MB", "torch", "threads"}.
Usage: /usr/bin/python3 spn_step.py BATCH INPUT HIDDEN STEPS [THREADS]
"""
import json, os, resource, sys, time
import torch
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spn_torch  # noqa: E402

batch, input_dim, hidden, steps = (int(v) for v in sys.argv[1:5])
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 2
torch.set_num_threads(threads)
torch.manual_seed(0)
model = spn_torch.SynapticPlasticityNetwork(input_dim, 1, hidden_dim=hidden, plasticity_rate=0.01)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
criterion = torch.nn.MSELoss()
x = torch.randn(batch, input_dim)
y = torch.randn(batch, 1)


def step():
    out = model(x, training=True)
    loss = criterion(out, y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


for _ in range(3):
    step()
samples = []
for _ in range(steps):
    t0 = time.perf_counter()
    step()
    samples.append(1e3 * (time.perf_counter() - t0))
samples_sorted = sorted(samples)
median = samples_sorted[len(samples) // 2] if len(samples) % 2 else 0.5 * (samples_sorted[len(samples) // 2 - 1] + samples_sorted[len(samples) // 2])
print(json.dumps({'step_ms_median': median, 'step_ms_min': min(samples), 'samples_ms': samples,
                  'peak_rss_MB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 'torch': torch.__version__,
                  'threads': torch.get_num_threads()}))
