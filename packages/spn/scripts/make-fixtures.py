#!/usr/bin/python3
"""Golden fixtures for @plasticity/spn's faithful mode, computed by the PyTorch peer (bench/peers/spn_torch.py:
the blog's model with only the fixes needed to run).

Writes fixtures/torch-steps.json and fixtures/torch-seed-example.json. Weights are stored in this library's
convention W[pre, post] (= torch's Linear.weight transposed); biases as they are.

Run: /usr/bin/python3 packages/spn/scripts/make-fixtures.py   (needs Debian's python3-torch; exits 0 with a
reason when torch is missing, so a machine without it skips the regeneration and keeps the committed files).
"""
import json, os, sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
OUT = os.path.join(HERE, '..', 'fixtures')

try:
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as error:  # no torch here: keep the committed fixtures
    print(f'skipped: {error} (install python3-torch and run with /usr/bin/python3)')
    sys.exit(0)

sys.path.insert(0, os.path.join(ROOT, 'bench', 'peers'))
import spn_torch  # noqa: E402

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)


def params_of(model):
    """Every trainable array in W[pre, post] order, keyed by this library's names."""
    m = model
    return {
        'sp.kernel': m.synaptic_layer.fc.weight.detach().t().contiguous().numpy().tolist(),
        'sp.bias': m.synaptic_layer.fc.bias.detach().numpy().tolist(),
        'cm.kernel': m.contextual_layer.fc.weight.detach().t().contiguous().numpy().tolist(),
        'cm.bias': m.contextual_layer.fc.bias.detach().numpy().tolist(),
        'da.kernel': m.dynamic_attention_layer.fc.weight.detach().t().contiguous().numpy().tolist(),
        'da.bias': m.dynamic_attention_layer.fc.bias.detach().numpy().tolist(),
        'out.kernel': m.fc_output.weight.detach().t().contiguous().numpy().tolist(),
        'out.bias': m.fc_output.bias.detach().numpy().tolist(),
    }


def state_of(model):
    mem = model.contextual_layer.memory.detach()
    act = model.synaptic_layer.activity
    prev = model.prev_activations
    return {
        'activity': None if act is None else act.detach().numpy().tolist(),
        # all slots are equal (checked below): the memory is one EMA per row
        'memory': mem[:, 0, :].numpy().tolist(),
        'prev': None if prev is None else prev.detach().numpy().tolist(),
    }


def check_slots_equal(model):
    mem = model.contextual_layer.memory.detach()
    assert torch.equal(mem, mem[:, :1, :].expand_as(mem)), 'memory slots differ'


def steps_fixture():
    torch.manual_seed(1234)
    rng = np.random.default_rng(1234)
    input_dim, hidden, output_dim, eta, lr = 3, 8, 2, 0.05, 0.01
    model = spn_torch.SynapticPlasticityNetwork(input_dim, output_dim, hidden_dim=hidden, plasticity_rate=eta)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    # the memory Parameter is in model.parameters() at construction; the optimizer keeps that first object
    # (the blog's defect: it is replaced every forward and never trained), which is harmless
    initial = params_of(model)
    # (batch, action): batch-size changes 4 -> 2 (keep first rows) -> 5 (zeros) -> 1 -> 3 (memory of batch 1
    # is expanded), one batch with plasticity off, a reset_memory() between, training and forward-only steps
    plan = [
        (4, 'train'), (4, 'train'), (2, 'train'), (5, 'train'), (5, 'forward-plastic'), (1, 'train'),
        (3, 'train'), (3, 'forward'), ('reset', None), (3, 'train'), (6, 'train'), (2, 'forward'), (2, 'train'),
    ]
    steps = []
    criterion = nn.MSELoss()
    for batch, action in plan:
        if batch == 'reset':
            model.reset_memory()
            steps.append({'action': 'resetMemory'})
            continue
        x = torch.tensor(rng.uniform(-1.0, 1.5, size=(batch, input_dim)), dtype=torch.float32)
        y = torch.tensor(rng.normal(0.0, 1.0, size=(batch, output_dim)), dtype=torch.float32)
        if action == 'train':
            out = model(x, training=True)
            loss = criterion(out, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            entry = {'loss': float(loss.item())}
        else:
            with torch.no_grad():
                out = model(x, training=(action == 'forward-plastic'))
            entry = {}
        check_slots_equal(model)
        entry.update({'action': action, 'x': x.numpy().tolist(), 'y': y.numpy().tolist(),
                      'output': out.detach().numpy().tolist(), 'params': params_of(model), 'state': state_of(model)})
        steps.append(entry)
    return {
        'generator': 'packages/spn/scripts/make-fixtures.py', 'peer': 'bench/peers/spn_torch.py',
        'torch': torch.__version__,
        'config': {'inputDim': input_dim, 'hiddenDim': hidden, 'outputDim': output_dim, 'plasticityRate': eta,
                   'learningRate': lr, 'adam': {'beta1': 0.9, 'beta2': 0.999, 'epsilon': 1e-8}},
        'initial': initial, 'steps': steps,
    }


def seed_example_fixture(epochs=3):
    """The blog's example (999 samples, batch 32 so the last batch is 7, reset_memory each epoch), shortened."""
    np.random.seed(0); torch.manual_seed(0)
    series = spn_torch.generate_time_series(1000, 500)
    x = torch.FloatTensor(series[:-1]).unsqueeze(1)
    y = torch.FloatTensor(series[1:]).unsqueeze(1)
    model = spn_torch.SynapticPlasticityNetwork(input_dim=1, output_dim=1, hidden_dim=32, plasticity_rate=0.01)
    initial = params_of(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    criterion = nn.MSELoss()
    losses = []
    for _ in range(epochs):
        model.reset_memory()
        for start in range(0, len(x), 32):
            out = model(x[start:start + 32], training=True)
            loss = criterion(out, y[start:start + 32])
            optimizer.zero_grad(); loss.backward(); optimizer.step()
            losses.append(float(loss.item()))
    model.eval()
    with torch.no_grad():
        model.reset_memory()
        predictions = torch.cat([model(x[s:s + 32], training=False) for s in range(0, len(x), 32)]).numpy().ravel()
    return {
        'generator': 'packages/spn/scripts/make-fixtures.py', 'peer': 'bench/peers/spn_torch.py', 'torch': torch.__version__,
        'config': {'inputDim': 1, 'hiddenDim': 32, 'outputDim': 1, 'plasticityRate': 0.01, 'learningRate': 0.001,
                   'batchSize': 32, 'epochs': epochs},
        'series': x.numpy().ravel().tolist() + [float(y[-1, 0])],
        'initial': initial, 'losses': losses, 'final': params_of(model), 'predictions': predictions.tolist(),
        'finalState': state_of(model),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in [('torch-steps.json', steps_fixture()), ('torch-seed-example.json', seed_example_fixture())]:
        path = os.path.join(OUT, name)
        with open(path, 'w') as f:
            json.dump(data, f, separators=(',', ':'))
            f.write('\n')
        print(f'wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)')


if __name__ == '__main__':
    main()
