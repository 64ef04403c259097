#!/usr/bin/python3
"""Expected PGPE updates, computed from evojax's formulas (algo/pgpe.py) in float64 numpy.

Writes pgpe-evojax.json next to this file. Run: /usr/bin/python3 pgpe-evojax.py

The standard-normal draws Z are ours, not jax's: they are the first two draws of
createRng(7).stream('pgpe').normal(9) from @plasticity/core (the test checks that they still are), so
the fixture pins the update arithmetic, not the random stream. evojax's steps, restated:
  scores   = ranks / max(ranks) - 0.5 with ranks[argsort(fitness)] = arange(n)  (solution_ranking=True)
  pairs    = scores.reshape(-1, 2)            # members (+noise_k, -noise_k) are adjacent
  baseline = mean(scores)
  grad_c   = mean_k noise_k * (s+ - s-) * 0.5
  grad_s   = mean_k ((s+ + s-)/2 - baseline) * (noise_k^2 - std^2) / std
  centre   = adam(i = t // decay_steps, -grad_c) or sgd: centre - lr * (-grad_c)
  std      = clip(std + std_lr * grad_s, std - |std|*max_change, std + |std|*max_change)
"""
import json
import os

import numpy as np

Z = np.array([
    [0.06472786515951157, -1.0381290912628174, 0.7643892168998718, 0.19589386880397797, 2.008305072784424,
     -0.47271299362182617, -1.5362656116485596, -1.170295000076294, 1.7767572402954102],
    [-1.0037600994110107, 1.2138503789901733, -2.318275213241577, 0.08965285867452621, 1.47407066822052,
     0.06094507500529289, -1.9481946229934692, -0.29817208647727966, 1.5813665390014648],
], dtype=np.float64)
DIM, POP = 3, 6
FITNESS = [
    [0.3, -1.2, 2.5, 0.3, -0.7, 1.1],   # a tie (members 0 and 3): stable argsort keeps index order
    [1.0, 2.0, 3.0, -1.0, 0.5, 0.5],
]


def process_scores(x, use_ranking):
    x = np.asarray(x, dtype=np.float64)
    if not use_ranking:
        return x
    ranks = np.zeros(x.size, dtype=np.int64)
    ranks[np.argsort(x, kind='stable')] = np.arange(x.size)
    return ranks / ranks.max() - 0.5


def run(case):
    centre = np.array(case['initCentre'], dtype=np.float64)
    std = np.array(case['initStd'], dtype=np.float64)
    m = np.zeros(DIM)
    v = np.zeros(DIM)
    b1, b2, eps = 0.9, 0.999, 1e-8
    out = []
    for t in range(2):
        noise = Z[t].reshape(POP // 2, DIM) * std
        solutions = np.hstack([centre + noise, centre - noise]).reshape(-1, DIM)
        scores = process_scores(FITNESS[t], case['rankFitness']).reshape(-1, 2)
        baseline = np.mean(scores)
        all_scores = scores[:, 0] - scores[:, 1]
        all_avg = scores.sum(axis=-1) / 2
        grad_c = (noise * all_scores[:, None] * 0.5).mean(axis=0)
        grad_s = ((all_avg[:, None] - baseline) * (noise ** 2 - std[None, :] ** 2) / std).mean(axis=0)
        i = t // 1000
        lr = case['centreLr'] * 1.0 ** i
        g = -grad_c
        if case['optimizer'] == 'adam':
            m = (1 - b1) * g + b1 * m
            v = (1 - b2) * g ** 2 + b2 * v
            mhat = m / (1 - b1 ** (i + 1))
            vhat = v / (1 - b2 ** (i + 1))
            centre = centre - lr * mhat / (np.sqrt(vhat) + eps)
        else:
            centre = centre - lr * g
        allowed = np.abs(std) * 0.2
        std = np.clip(std + case['stdLr'] * grad_s, std - allowed, std + allowed)
        out.append({'solutions': solutions.tolist(), 'gradCentre': grad_c.tolist(), 'gradStd': grad_s.tolist(),
                    'centre': centre.tolist(), 'std': std.tolist()})
    return out


CASES = [
    {'name': 'adam, ranked (the PDLF settings)', 'optimizer': 'adam', 'rankFitness': True, 'centreLr': 0.01, 'stdLr': 0.07,
     'initCentre': [0.5, -0.25, 1.0], 'initStd': [0.04, 0.1, 0.2]},
    {'name': 'sgd, raw fitness (evojax optimizer=None, solution_ranking=False)', 'optimizer': 'sgd', 'rankFitness': False,
     'centreLr': 0.15, 'stdLr': 0.1, 'initCentre': [0.0, 0.0, 0.0], 'initStd': [0.1, 0.1, 0.1]},
]

fixture = {'source': 'pgpe-evojax.py (numpy ' + np.__version__ + ')', 'seed': 7, 'dim': DIM, 'popSize': POP,
           'z': Z.tolist(), 'fitness': FITNESS,
           'cases': [dict(case, generations=run(case)) for case in CASES]}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'pgpe-evojax.json'), 'w') as f:
    json.dump(fixture, f, indent=1)
    f.write('\n')
