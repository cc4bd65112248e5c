"""PyTorch peer: the GWG paper's Ising-learning PCD loop (Grathwohl et al., ICML 2021, Sec. 5.2).

A reimplementation from reading the authors' release (pcd.py, samplers.py, utils.py, rbm.py of
wgrathwohl/GWG_release), so that ttsolve's learner can be compared with it on the same data and
the same number of updates. What it keeps from the release, on purpose:

* data: a 2-D periodic lattice Ising model J = sigma * A (A the lattice adjacency, zero bias), or
  an Erdos-Renyi model (each pair an edge with probability degree / D, weights N(0, 1/degree),
  symmetric; the release passes ``--sigma`` as the data model's bias, here ``er_bias``); the
  training set is ``n_samples`` chains of the systematic-scan per-site Gibbs sampler
  (``PerDimGibbsSampler``) from uniform bits, ``gt_steps`` single-site steps each;
* the learned model f(x) = s^T G s (s = 2x - 1, bias fixed at zero, as ``lattice_ising_2d`` /
  ``er_ising``), G dense, initialised N(0, 0.01^2), its diagonal zeroed after every step;
* one update = ``sampling_steps`` sampler steps on a persistent buffer, then Adam on
  -(mean f(batch) - mean f(buffer)) + l1 * |(G + G^T) / 2|_1, the batch drawn from a shuffled
  epoch loader without the last incomplete batch;
* GWG = ``DiffSampler(approx=True, temp=2, n_steps=1)``: the proposal softmax(d / 2) with
  d = -(2x - 1) * grad f(x) from autograd, reverse proposal at the proposed state, MH test;
  Gibbs = ``PerDimGibbsSampler(rand=False)`` (one site per step, scan position kept across
  updates), each step evaluating f twice from scratch;
* the metric: RMSE between the true J and (G + G^T) / 2 over all D^2 entries, logged as log-RMSE.

Settings: the release's argparse defaults are lr 0.01, l1 0, buffer 100, batch 100, 100
sampling steps; the paper's Ising runs use Adam with l1 regularisation; this module defaults to
lr 0.001 and l1 0.01 and every value is a flag. Acceptance of the GWG steps is recorded (the
release computes it only on its multi-hop path); it changes no arithmetic.

torch is optional for ttsolve: ``pip install torch==2.13.0``. Usage::

    python bench/peers/torch_pcd.py --data lattice --side 10 --sigma 0.25 --sampler gwg \
        --n-iters 200 --sampling-steps 50 --record-every 20 --threads 1

API: ``lattice_adjacency(side)``, ``erdos_renyi_J(D, degree, seed)``, ``generate_data(J, bias,
n_samples, gt_steps, seed)``, ``train_pcd(data, J_true, sampler, ...) -> dict``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

try:  # optional: the peer needs it, ttsolve does not
    import torch
    import torch.distributions as dists
except ImportError:  # pragma: no cover - exercised only without torch
    torch = None
    dists = None

__all__ = ["lattice_adjacency", "erdos_renyi_J", "generate_data", "train_pcd", "log_rmse", "main"]


def _require_torch() -> None:
    if torch is None:
        raise ImportError("the PyTorch PCD peer needs torch: pip install torch==2.13.0")


def lattice_adjacency(side: int) -> np.ndarray:
    """Adjacency of the side x side periodic square lattice (side >= 3: a simple graph)."""
    if side < 3:
        raise ValueError("side must be >= 3 (smaller periodic lattices have double edges)")
    D = side * side
    A = np.zeros((D, D))
    for r in range(side):
        for c in range(side):
            i = r * side + c
            for j in (((r + 1) % side) * side + c, r * side + (c + 1) % side):
                A[i, j] = A[j, i] = 1.0
    return A


def erdos_renyi_J(D: int, degree: float, seed: int) -> np.ndarray:
    """Erdos-Renyi couplings: edge probability degree / D, weights N(0, 1 / degree), symmetric."""
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((D, D)) < degree / D, 1)
    W = np.triu(rng.standard_normal((D, D)) * np.sqrt(1.0 / degree), 1) * upper
    return W + W.T


def _energy(x: "torch.Tensor", J: "torch.Tensor", bias: "torch.Tensor") -> "torch.Tensor":
    s = 2.0 * x - 1.0
    return ((s @ J) * s).sum(-1) + (s * bias).sum(-1)


class _GibbsSystematic:
    """One site per step in scan order, two full evaluations of f (the release's per-dim Gibbs)."""

    def __init__(self, dim: int) -> None:
        self.dim, self.i, self.acceptance = dim, 0, float("nan")

    def step(self, x, f):
        lp_keep = f(x)
        flipped = x.clone()
        flipped[:, self.i] = 1.0 - flipped[:, self.i]
        accept = dists.Bernoulli(logits=f(flipped) - lp_keep).sample()
        self.i = (self.i + 1) % self.dim
        return flipped * accept[:, None] + x * (1.0 - accept[:, None])


class _GWG:
    """Gibbs-With-Gradients, one flip per step, the release's temperature 2 and autograd estimate."""

    def __init__(self, temp: float = 2.0) -> None:
        self.temp, self._accepted, self._steps = temp, 0.0, 0

    def _logits(self, x, f):
        x = x.detach().requires_grad_()
        g = torch.autograd.grad(f(x).sum(), x)[0]
        return (-(2.0 * x - 1.0) * g).detach() / self.temp

    def step(self, x, f):
        forward = dists.OneHotCategorical(logits=self._logits(x, f), validate_args=False)
        change = forward.sample()
        proposal = (1.0 - x) * change + x * (1.0 - change)
        reverse = dists.OneHotCategorical(logits=self._logits(proposal, f), validate_args=False)
        log_ratio = f(proposal) - f(x) + reverse.log_prob(change) - forward.log_prob(change)
        accept = (log_ratio.exp() > torch.rand_like(log_ratio)).float()
        self._accepted += float(accept.mean())
        self._steps += 1
        return proposal * accept[:, None] + x * (1.0 - accept[:, None])

    @property
    def acceptance(self) -> float:
        return self._accepted / max(self._steps, 1)


def _make_sampler(name: str, dim: int):
    if name == "gwg":
        return _GWG()
    if name == "gibbs":
        return _GibbsSystematic(dim)
    raise ValueError(f"sampler must be 'gwg' or 'gibbs', got {name!r}")


def generate_data(J: np.ndarray, bias: Any = 0.0, n_samples: int = 2000, gt_steps: int = 100_000,
                  seed: int = 0) -> np.ndarray:
    """Training set: ``n_samples`` systematic per-site Gibbs chains of ``gt_steps`` steps from
    uniform bits (the release's data generation; it uses 10^6 steps)."""
    _require_torch()
    torch.manual_seed(seed)
    Jt = torch.tensor(J, dtype=torch.float32)
    bt = torch.broadcast_to(torch.as_tensor(bias, dtype=torch.float32), (J.shape[0],))
    f = lambda x: _energy(x, Jt, bt)  # noqa: E731
    x = dists.Bernoulli(logits=2.0 * bt).sample((n_samples,))
    sampler = _GibbsSystematic(J.shape[0])
    with torch.no_grad():
        for _ in range(gt_steps):
            x = sampler.step(x, f)
    return x.numpy().astype(np.uint8)


def log_rmse(J_true: np.ndarray, J: np.ndarray) -> float:
    return float(np.log(np.sqrt(np.mean((J_true - J) ** 2))))


def train_pcd(data: np.ndarray, J_true: np.ndarray, sampler: str = "gwg", n_iters: int = 1000,
              sampling_steps: int = 100, buffer_size: int = 100, batch_size: int = 100, lr: float = 1e-3,
              l1: float = 0.01, weight_decay: float = 0.0, seed: int = 0, record_every: int = 100,
              num_threads: int | None = None) -> dict[str, Any]:
    """Run the PCD loop for ``n_iters`` updates; returns the learned symmetric J and a history
    of (iteration, log-RMSE, wall and CPU seconds of training so far, GWG acceptance)."""
    _require_torch()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    torch.manual_seed(seed)
    X = torch.tensor(np.asarray(data), dtype=torch.float32)
    D = X.shape[1]
    if X.shape[0] < batch_size:
        raise ValueError("need at least batch_size training rows")
    G = torch.nn.Parameter(torch.randn(D, D) * 0.01)
    zero_bias = torch.zeros(D)
    f = lambda x: _energy(x, G, zero_bias)  # noqa: E731
    off_diagonal = 1.0 - torch.eye(D)
    optimiser = torch.optim.Adam([G], lr=lr, weight_decay=weight_decay)
    chain = _make_sampler(sampler, D)
    buffer = dists.Bernoulli(probs=torch.full((D,), 0.5)).sample((buffer_size,))
    history: dict[str, list] = {"iteration": [], "log_rmse": [], "seconds": [], "cpu_seconds": [], "acceptance": []}
    symmetric = lambda: ((G + G.t()) / 2.0).detach().numpy()  # noqa: E731
    seconds, cpu, itr = 0.0, 0.0, 0
    while itr < n_iters:
        order = torch.randperm(X.shape[0])
        for start in range(0, X.shape[0] - batch_size + 1, batch_size):
            if itr >= n_iters:
                break
            t0, c0 = time.perf_counter(), time.process_time()
            batch = X[order[start:start + batch_size]]
            for _ in range(sampling_steps):
                buffer = chain.step(buffer.detach(), f).detach()
            loss = -(f(batch).mean() - f(buffer).mean()) + l1 * ((G + G.t()) / 2.0).abs().sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            G.data *= off_diagonal
            seconds += time.perf_counter() - t0
            cpu += time.process_time() - c0
            itr += 1
            if itr % record_every == 0 or itr == n_iters:
                history["iteration"].append(itr)
                history["log_rmse"].append(log_rmse(J_true, symmetric()))
                history["seconds"].append(seconds)
                history["cpu_seconds"].append(cpu)
                history["acceptance"].append(chain.acceptance)
    return {"J": symmetric(), "history": history, "seconds_per_update": seconds / max(itr, 1),
            "cpu_seconds_per_update": cpu / max(itr, 1)}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", choices=["lattice", "er"], default="lattice")
    p.add_argument("--side", type=int, default=5, help="lattice side (D = side^2)")
    p.add_argument("--sigma", type=float, default=0.25, help="lattice coupling")
    p.add_argument("--nodes", type=int, default=100, help="Erdos-Renyi D")
    p.add_argument("--degree", type=float, default=2.0)
    p.add_argument("--er-bias", type=float, default=0.1)
    p.add_argument("--n-samples", type=int, default=2000)
    p.add_argument("--gt-steps", type=int, default=50_000)
    p.add_argument("--data-file", help="npz with 'data' and 'J' (e.g. written by ttsolve) instead of generating")
    p.add_argument("--sampler", choices=["gwg", "gibbs"], default="gwg")
    p.add_argument("--n-iters", type=int, default=200)
    p.add_argument("--sampling-steps", type=int, default=50)
    p.add_argument("--buffer-size", type=int, default=100)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--l1", type=float, default=0.01)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--record-every", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", help="write the result as JSON here")
    a = p.parse_args(argv)
    _require_torch()
    torch.set_num_threads(a.threads)
    if a.data_file:
        with np.load(a.data_file) as z:
            data, J_true = z["data"], z["J"]
    else:
        if a.data == "lattice":
            J_true, bias = a.sigma * lattice_adjacency(a.side), 0.0
        else:
            J_true, bias = erdos_renyi_J(a.nodes, a.degree, a.seed), a.er_bias
        t0 = time.perf_counter()
        data = generate_data(J_true, bias, a.n_samples, a.gt_steps, a.seed)
        print(f"data: {data.shape} in {time.perf_counter() - t0:.1f} s")
    out = train_pcd(data, J_true, a.sampler, a.n_iters, a.sampling_steps, a.buffer_size, a.batch_size, a.lr,
                    a.l1, seed=a.seed, record_every=a.record_every, num_threads=a.threads)
    h = out["history"]
    print(f"torch {torch.__version__}, {a.threads} thread(s), load {os.getloadavg()[0]:.2f}; "
          f"sampler {a.sampler}, D {data.shape[1]}, {a.sampling_steps} steps/update")
    print("| update | log-RMSE | seconds | acceptance |")
    for row in zip(h["iteration"], h["log_rmse"], h["seconds"], h["acceptance"]):
        print(f"| {row[0]:6d} | {row[1]:8.3f} | {row[2]:7.2f} | {row[3]:10.3f} |")
    print(f"seconds per update: {out['seconds_per_update'] * 1e3:.2f} ms")
    if a.out:
        with open(a.out, "w") as fh:
            json.dump({"args": vars(a), "history": h, "seconds_per_update": out["seconds_per_update"],
                       "load": os.getloadavg()}, fh, indent=1)
    return out


if __name__ == "__main__":
    main()
