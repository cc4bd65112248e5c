"""Compact Deep BSDE baseline (Han, Jentzen & E, PNAS 2018) in PyTorch (CPU), wall-clock budgeted.

The BSDE of  V_t + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V) = 0  is

    Y_{n+1} = Y_n - h(t_n, X_n, Y_n, Z_n) dt + Z_n . xi_n sqrt(dt),   Y_N should equal g(X_N),

with Y_0 = V(0, x0) and Z_0 trainable parameters and Z_n = net(t_n, X_n) / d: by default ONE MLP
shared over time (input (t, standardised x)), which learned far faster here than the original's
one sub-network per step (``shared=False``, also available); inputs are standardised per step
with pilot-path statistics in place of batch normalisation; and
the loss E|Y_N - g(X_N)|^2 minimised by Adam on fresh Euler-Maruyama batches (learning rate
divided by 10 after half and by 100 after 80% of the wall-clock budget).

Usage:  python bench/deep_bsde.py --problem hjb --dim 100 --budget 60
Import: from deep_bsde import deep_bsde  (returns a dict with y0, time, iterations, loss)
torch is an optional dependency of the benchmarks only (pip install torch).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from ttsolve.pde.paths import simulate_paths
from ttsolve.pde.problems import get_problem

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Report  # noqa: E402


def _torch_h(name: str):
    """Torch version of the built-in problem's nonlinearity h(t, X, Y, Z) (Y: (K,), Z: (K, d))."""
    import torch

    if name in ("hjb", "doublewell", "doublewell-interacting"):
        return lambda t, X, Y, Z: -0.5 * (Z * Z).sum(dim=1)
    if name == "cir":
        return lambda t, X, Y, Z: -X.max(dim=1).values * Y
    raise ValueError(f"deep_bsde: no torch nonlinearity for problem {name!r}")


def _mlp(torch, n_in: int, width: int, n_out: int):
    return torch.nn.Sequential(
        torch.nn.Linear(n_in, width), torch.nn.ReLU(),
        torch.nn.Linear(width, width), torch.nn.ReLU(),
        torch.nn.Linear(width, n_out),
    ).double()


def deep_bsde(
    problem: str = "hjb",
    dim: int = 100,
    budget: float = 60.0,
    n_steps: int = 100,
    batch: int = 64,
    lr: float = 1e-2,
    max_iterations: int = 100_000,
    seed: int = 0,
    verbose: bool = False,
    threads: int = 1,
    shared: bool = True,
) -> dict:
    """Train a Deep BSDE solver for ``budget`` seconds (or ``max_iterations``) and return
    ``dict(y0=..., time=..., iterations=..., loss=..., history=[(time, y0), ...])``."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)  # tiny matrices: more threads only add contention
    p = get_problem(problem, dim=dim)
    d, dt = p.dim, p.T / n_steps
    h = _torch_h(problem)
    if p.sigma_kind == "full":
        raise ValueError("deep_bsde: full sigma is not supported by this compact baseline")

    # Y0 starts at the mean terminal value of a pilot batch (a cheap, neutral guess).
    pilot, _ = simulate_paths(p, n_steps, 256, seed=seed + 10**6)
    y0 = torch.nn.Parameter(torch.tensor(float(np.mean(p.g(pilot[-1]))), dtype=torch.float64))
    z0 = torch.nn.Parameter(torch.zeros(d, dtype=torch.float64))
    # Per-step input standardisation from the pilot paths (the role batch norm plays in the original).
    mean = torch.from_numpy(pilot.mean(axis=1))
    scale = torch.from_numpy(np.maximum(pilot.std(axis=1), 1e-3))
    width = d + 10
    if shared:
        net = _mlp(torch, d + 1, width, d)
        znet = lambda n, x: net(torch.cat([torch.full((x.shape[0], 1), (n + 1) * dt, dtype=x.dtype), x], 1))  # noqa: E731
        modules = [net]
    else:
        modules = [_mlp(torch, d, width, d) for _ in range(n_steps - 1)]
        znet = lambda n, x: modules[n](x)  # noqa: E731
    params = [y0, z0, *(q for m in modules for q in m.parameters())]
    opt = torch.optim.Adam(params, lr=lr)
    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    history, it, loss_value = [], 0, float("nan")
    while it < max_iterations and time.perf_counter() - start < budget:
        Xn, xin = simulate_paths(p, n_steps, batch, seed=rng)
        X = torch.from_numpy(Xn)
        xi = torch.from_numpy(xin)
        gT = torch.from_numpy(np.asarray(p.g(Xn[-1]), dtype=float))
        Y = y0.expand(batch)
        Z = z0.expand(batch, d)
        for n in range(n_steps):
            sig = torch.from_numpy(np.asarray(p.sigma(n * dt, Xn[n]), dtype=float))
            Y = Y - h(n * dt, X[n], Y, Z) * dt + (Z * xi[n]).sum(dim=1) * np.sqrt(dt)
            if n + 1 < n_steps:
                # Z = sigma^T grad V: the net outputs it directly.
                # Output scaled by 1/d (as in the original) so Z starts small.
                Z = znet(n, (X[n + 1] - mean[n + 1]) / scale[n + 1]) / d
        loss = ((Y - gT) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        # Step decay by elapsed budget (x0.1 after 50%, x0.01 after 80%): Y0 settles at the end.
        frac = (time.perf_counter() - start) / budget
        for group in opt.param_groups:
            group["lr"] = lr * (1.0 if frac < 0.5 else 0.1 if frac < 0.8 else 0.01)
        opt.step()
        it += 1
        loss_value = float(loss.detach())
        if it % 50 == 0:
            history.append((time.perf_counter() - start, float(y0.detach())))
            if verbose:
                print(f"it {it:6d}  t {history[-1][0]:7.1f}s  loss {loss_value:.4e}  y0 {float(y0.detach()):.6f}")
        del sig
    return dict(
        y0=float(y0.detach()), time=time.perf_counter() - start, iterations=it, loss=loss_value, history=history
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problem", default="hjb")
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--budget", type=float, default=60.0, help="wall-clock seconds")
    ap.add_argument("--n-steps", type=int, default=100)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", default=None, metavar="PATH", help="also write the result as JSON")
    args = ap.parse_args()
    report = Report("deep_bsde", statistic="wall-clock budget", settings=vars(args))
    out = deep_bsde(args.problem, args.dim, args.budget, args.n_steps, args.batch, seed=args.seed, verbose=True)
    p = get_problem(args.problem, dim=args.dim)
    ref = p.reference_value
    if ref is None and args.problem == "hjb":
        from ttsolve.pde.references import hjb_reference

        ref = float(hjb_reference(0.0, p.x0[None, :], n_mc=200_000)[0][0])
    err = "n/a" if ref is None else f"{abs(out['y0'] - ref) / abs(ref):.3e}"
    print(f"Deep BSDE {args.problem} d={args.dim}: Y0 = {out['y0']:.6f}, reference {ref}, "
          f"relative error {err}, {out['iterations']} iterations in {out['time']:.1f} s")
    report.add(problem=args.problem, d=args.dim, budget=args.budget, y0=out["y0"], reference=ref,
               rel_err=None if ref is None else abs(out["y0"] - ref) / abs(ref), iterations=out["iterations"],
               time=out["time"])
    print()
    report.finish(args.json)


if __name__ == "__main__":
    main()
