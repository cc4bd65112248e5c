"""PyTorch peers for DISCS pieces that do not run here, batched over chains like DISCS.

DISCS's ``locallybalanced`` sampler needs ``model.logratio_in_neighborhood``, which none of its
classical models except Bernoulli defines, and Bernoulli's returns 3 values where the sampler
unpacks 4, so it fails on every classical model (bench/peers/discs_runner.py reports the
error). This module implements that proposal faithfully: one (site, new state) move drawn from
softmax(g(delta)) over all D (K - 1) neighbours, delta the EXACT change of log-probability,
g in log scale as DISCS (SQRT d/2, RATIO log sigmoid d, MAX max(d, 0), MIN min(d, 0)), without
MH as in DISCS (``--mh`` adds the correction, making it exact). The models follow DISCS's
definitions (discs/models/*.py): Bernoulli / Categorical logits; Ising on spins 2x - 1,
non-periodic, f = lambda sum_<ij> s_i s_j - sum_i b_i s_i; Potts on one-hot, non-periodic,
f = lambda #agreeing pairs - sum_i b[i, x_i]; binary RBM f = sum softplus(v W + c) + v . b.
Exact local differences: closed forms per model (for the RBM a (chains, D, H) softplus).

    python bench/peers/torch_samplers.py --model potts-10x10x3 --balancing SQRT --chains 100
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["MODELS", "build_model", "Independent", "Ising", "Potts", "RBM", "FHMM", "LocallyBalanced", "run"]

MODELS = {
    "bernoulli-2000": dict(kind="bernoulli", D=2000, K=2),
    "categorical-2000x4": dict(kind="categorical", D=2000, K=4),
    "ising-50x50": dict(kind="ising", shape=(50, 50), K=2, lam=0.5),
    "potts-10x10x3": dict(kind="potts", shape=(10, 10), K=3, lam=1.0),
    "potts-50x50x4": dict(kind="potts", shape=(50, 50), K=4, lam=1.0),
    "rbm-784x500": dict(kind="rbm", D=784, K=2, H=500),
}


class _Model:
    """log_prob(x) and exact delta[n, i, k] = f(x with x_i = k) - f(x) for integer states (n, D)."""

    def __init__(self, D, K):
        self.D, self.K = D, K


class Independent(_Model):
    def __init__(self, logits):
        super().__init__(*logits.shape)
        self.logits = logits

    def log_prob(self, x):
        return self.logits.gather(1, x.T).T.sum(dim=1)

    def local_diff(self, x):
        return self.logits[None] - self.logits.gather(1, x.T).T[..., None]


def _neighbour_sum(grid):
    """Sum over the 4 non-periodic lattice neighbours of a (n, H, W, ...) tensor."""
    out = torch.zeros_like(grid)
    out[:, 1:] += grid[:, :-1]
    out[:, :-1] += grid[:, 1:]
    out[:, :, 1:] += grid[:, :, :-1]
    out[:, :, :-1] += grid[:, :, 1:]
    return out


class Potts(_Model):
    def __init__(self, shape, K, lam, bias):
        super().__init__(int(np.prod(shape)), K)
        self.shape, self.lam, self.bias = shape, lam, bias  # bias (D, K)

    def _onehot(self, x):
        return F.one_hot(x, self.K).to(self.bias.dtype)

    def log_prob(self, x):
        X = self._onehot(x)
        agree = (X.view(-1, *self.shape, self.K) * _neighbour_sum(X.view(-1, *self.shape, self.K))).sum((1, 2, 3))
        return self.lam * agree / 2 - (X * self.bias).sum((1, 2))

    def local_diff(self, x):
        X = self._onehot(x)
        g = self.lam * _neighbour_sum(X.view(-1, *self.shape, self.K)).reshape(X.shape) - self.bias
        return g - g.gather(2, x[..., None])


class Ising(_Model):
    def __init__(self, shape, lam, bias):
        super().__init__(int(np.prod(shape)), 2)
        self.shape, self.lam, self.bias = shape, lam, bias  # bias (D,)

    def log_prob(self, x):
        s = (2 * x - 1).to(self.bias.dtype)
        pair = (s.view(-1, *self.shape) * _neighbour_sum(s.view(-1, *self.shape))).sum((1, 2))
        return self.lam * pair / 2 - (s * self.bias).sum(1)

    def local_diff(self, x):
        s = (2 * x - 1).to(self.bias.dtype)
        flip = -2 * s * (self.lam * _neighbour_sum(s.view(-1, *self.shape)).reshape(s.shape) - self.bias)
        return torch.stack([flip * x, flip * (1 - x)], dim=-1)  # zero at the current state


class RBM(_Model):
    def __init__(self, W, c, b):
        super().__init__(W.shape[0], 2)
        self.W, self.c, self.b = W, c, b  # (D, H), (H,), (D,)

    def log_prob(self, x):
        v = x.to(self.W.dtype)
        return F.softplus(v @ self.W + self.c).sum(1) + v @ self.b

    def local_diff(self, x):
        v = x.to(self.W.dtype)
        a = v @ self.W + self.c
        s = 1 - 2 * v
        moved = F.softplus(a[:, None, :] + s[:, :, None] * self.W[None]).sum(-1)
        flip = moved - F.softplus(a).sum(1, keepdim=True) + s * self.b
        return torch.stack([flip * x, flip * (1 - x)], dim=-1)


class FHMM(_Model):
    """DISCS's binary FHMM posterior, x (n, L K) flattened t * K + k:
    f = -sum_t (y_t - w . x_t - b)^2 / (2 sigma^2) + sum_k log Bern(x_0k; alpha)
        + sum_{t,k} log Bern([x_tk != x_{t-1,k}]; 1 - beta)."""

    def __init__(self, y, w, b, sigma, alpha, beta):
        super().__init__(y.numel() * w.numel(), 2)
        self.y, self.w, self.b, self.s2 = y, w, float(b), float(sigma) ** 2
        self.L, self.Kc = y.numel(), w.numel()
        self.alpha, self.beta = float(alpha), float(beta)
        self.la = float(np.log(alpha / (1 - alpha)))
        self.lb = float(np.log((1 - beta) / beta))

    def log_prob(self, x):
        v = x.to(self.y.dtype).view(-1, self.L, self.Kc)
        r = self.y - v @ self.w - self.b
        x0, sw = v[:, 0], (v[:, 1:] - v[:, :-1]).abs()
        a, bt = self.alpha, self.beta
        return (-(r**2).sum(1) / (2 * self.s2) + (x0 * np.log(a) + (1 - x0) * np.log(1 - a)).sum(1)
                + (sw * np.log(1 - bt) + (1 - sw) * np.log(bt)).sum((1, 2)))

    def local_diff(self, x):
        v = x.to(self.y.dtype).view(-1, self.L, self.Kc)
        r = (self.y - v @ self.w - self.b)[:, :, None]
        delta = self.w * (1 - 2 * v)  # change of w . x_t when x_tk flips
        flip = (2 * r * delta - delta**2) / (2 * self.s2)
        sw = (v[:, 1:] - v[:, :-1]).abs()
        flip[:, 1:] += self.lb * (1 - 2 * sw)
        flip[:, :-1] += self.lb * (1 - 2 * sw)
        flip[:, 0] += self.la * (1 - 2 * v[:, 0])
        flip = flip.reshape(x.shape)
        return torch.stack([flip * x, flip * (1 - x)], dim=-1)


def build_model(name, seed=0):
    """Random parameters with DISCS's scales (init_sigma, mu ring for lattices)."""
    spec = MODELS[name]
    g = torch.Generator().manual_seed(seed)
    kind, K = spec["kind"], spec["K"]
    if kind == "bernoulli":
        return Independent(torch.stack([torch.zeros(spec["D"]), 0.5 * torch.randn(spec["D"], generator=g)], 1))
    if kind == "categorical":
        return Independent(1.5 * torch.randn(spec["D"], K, generator=g))
    if kind == "rbm":
        D, H = spec["D"], spec["H"]
        return RBM(0.05 * torch.randn(D, H, generator=g), torch.zeros(H), torch.zeros(D))
    shape = spec["shape"]
    r, c = np.indices(shape)
    ring = np.where((r / shape[0] - 0.5) ** 2 + (c / shape[1] - 0.5) ** 2 < 0.5 / np.pi, 0.5, -0.5)
    if kind == "ising":
        bias = (2 * torch.rand(*shape, generator=g) - 1) * 1.5 + torch.tensor(ring, dtype=torch.float32)
        return Ising(shape, spec["lam"], bias.reshape(-1))
    bias = (2 * torch.rand(*shape, K, generator=g) - 1) * 1.5 + torch.tensor(ring, dtype=torch.float32)[..., None]
    return Potts(shape, K, spec["lam"], bias.reshape(-1, K))


def _balance(name, d):
    if name == "SQRT":
        return d / 2
    if name == "RATIO":
        return F.logsigmoid(d)
    if name == "MAX":
        return d.clamp(min=0.0)
    if name == "MIN":
        return d.clamp(max=0.0)
    raise ValueError(f"balancing must be SQRT, RATIO, MAX or MIN, got {name!r}")


class LocallyBalanced:
    """DISCS's locally balanced proposal (exact local differences, one move), optional MH."""

    def __init__(self, model, balancing="SQRT", mh=False):
        self.model, self.balancing, self.mh = model, balancing, mh

    def _log_q(self, x):
        logits = _balance(self.balancing, self.model.local_diff(x))
        logits = logits.masked_fill(F.one_hot(x, self.model.K).bool(), -float("inf"))
        return torch.log_softmax(logits.reshape(x.shape[0], -1), dim=1)

    def step(self, x):
        log_q = self._log_q(x)
        idx = torch.multinomial(log_q.exp(), 1)[:, 0]
        site, new = idx // self.model.K, idx % self.model.K
        rows = torch.arange(x.shape[0])
        y = x.clone()
        y[rows, site] = new
        if not self.mh:
            return y, torch.ones(x.shape[0])
        back = site * self.model.K + x[rows, site]
        log_acc = (self.model.log_prob(y) - self.model.log_prob(x) + self._log_q(y)[rows, back] - log_q[rows, idx])
        accept = torch.rand(x.shape[0]).log() < log_acc
        return torch.where(accept[:, None], y, x), log_acc.clamp(max=0).exp()


def run(model_name, balancing="SQRT", mh=False, n_chains=100, seconds=3.0, trace_steps=300, seed=0,
        model=None, x0=None, x_ref=None, trace_from_start=True, trace_seconds=None):
    """Time the sampler and record traces; returns (summary dict, traces dict).

    ``model`` replaces the random model of ``build_model(model_name, seed)`` (e.g. one built
    from DISCS's parameters by bench/discrete_models.py); ``x0`` (n_chains, D) starts the
    chains, ``x_ref`` (D,) is the reference of the ``hamming_to_ref`` trace; with
    ``trace_from_start=False`` the trace continues from the timed steps' end; with
    ``trace_seconds`` the trace is as long as the timed rate allows (10 .. trace_steps steps).
    """
    torch.manual_seed(seed)
    model = build_model(model_name, seed) if model is None else model
    sampler = LocallyBalanced(model, balancing, mh)
    if x0 is None:
        x0 = torch.randint(0, model.K, (n_chains, model.D))
    else:
        x0 = torch.as_tensor(np.asarray(x0), dtype=torch.long)
    x_ref = torch.randint(0, model.K, (model.D,)) if x_ref is None else torch.as_tensor(np.asarray(x_ref),
                                                                                     dtype=torch.long)
    x = x0
    with torch.no_grad():
        t0 = time.perf_counter()
        n = 0
        while n < 3 or time.perf_counter() - t0 < 0.3:
            x, _ = sampler.step(x)
            n += 1
        n_timed = max(5, int(seconds * n / (time.perf_counter() - t0)))
        load = os.getloadavg()
        t0 = time.perf_counter()
        for _ in range(n_timed):
            x, _ = sampler.step(x)
        elapsed = time.perf_counter() - t0
        if trace_seconds is not None:
            trace_steps = int(min(trace_steps, max(10, trace_seconds * n_timed / elapsed)))
        if trace_from_start:
            x = x0
        start = x
        logp, ham, ham_ref, acc = [], [], [], []
        t1 = time.perf_counter()
        for _ in range(trace_steps):
            x, a = sampler.step(x)
            logp.append(model.log_prob(x))
            ham.append((x != start).sum(1))
            ham_ref.append((x != x_ref).sum(1))
            acc.append(float(a.mean()))
        trace_s = time.perf_counter() - t1

    def stack(rows):
        return torch.stack(rows).numpy() if rows else np.zeros((0, x0.shape[0]))

    traces = dict(log_prob=stack(logp), hamming_to_start=stack(ham), hamming_to_ref=stack(ham_ref),
                  acceptance=np.asarray(acc))
    summary = dict(model=model_name, sampler="locallybalanced" + ("-mh" if mh else ""), balancing=balancing,
                   chains=int(x0.shape[0]), backend="torch", torch=torch.__version__, threads=torch.get_num_threads(),
                   timed_steps=n_timed, seconds=round(elapsed, 4), chain_steps_per_s=n_timed * x0.shape[0] / elapsed,
                   load_before=load, load_after=os.getloadavg(), trace_steps=trace_steps, trace_s=round(trace_s, 4))
    return summary, traces


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=sorted(MODELS), action="append")
    ap.add_argument("--balancing", choices=["SQRT", "RATIO", "MAX", "MIN"], default="SQRT")
    ap.add_argument("--mh", action="store_true")
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--trace-steps", type=int, default=300)
    ap.add_argument("--out-dir", default=None)
    args = ap.parse_args(argv)
    print(f"{'model':20s} {'sampler':20s} {'chain-steps/s':>14s}  load (1 min)")
    for m in args.model or sorted(MODELS):
        summary, traces = run(m, args.balancing, args.mh, args.chains, args.seconds, args.trace_steps)
        print(f"{m:20s} {summary['sampler']:20s} {summary['chain_steps_per_s']:14.4g}  {summary['load_before'][0]:.2f}",
              flush=True)
        if args.out_dir:
            os.makedirs(args.out_dir, exist_ok=True)
            stem = os.path.join(args.out_dir, f"{m}__{summary['sampler']}__{args.balancing}__torch")
            np.savez_compressed(stem + ".npz", **traces)
            with open(stem + ".json", "w") as fh:
                json.dump(summary, fh, indent=1)


if __name__ == "__main__":
    main()
