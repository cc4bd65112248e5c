"""Benchmark of the BSDE/functional-TT PDE solver (issue 5).

    python bench/pde.py                 # every section (long)
    python bench/pde.py hjb             # HJB d=100, implicit + explicit, K=2000
    python bench/pde.py hjb-k           # HJB d=100 implicit, error vs K
    python bench/pde.py wells sin cir deep

Prints one table row per run: problem, scheme, N, K, V(0,x0), reference, rel. error of V(0,x0),
mean rel. error along 200 independent test paths (when an exact solution exists), time.
"""

from __future__ import annotations

import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

from ttsolve.pde import get_problem, solve  # noqa: E402


def run(name, dim, scheme, K, n_steps=None, paths=True, **kw):
    p = get_problem(name, dim=dim)
    t0 = time.perf_counter()
    sol = solve(p, scheme=scheme, n_samples=K, n_steps=n_steps, **kw)
    t = time.perf_counter() - t0
    err = sol.relative_error(n_paths=200) if paths else {}
    ref = p.reference_value
    if ref is not None:
        err["v0"] = abs(sol.v0 - ref) / abs(ref)
    print(f"| {name} | {dim} | {scheme} | {sol.n_steps} | {K} | {sol.v0:.6f} | "
          f"{'-' if ref is None else f'{ref:.6f}'} | {err.get('v0', float('nan')):.2e} | "
          f"{err.get('path_mean', float('nan')):.2e} | {t:.1f} |", flush=True)
    return sol, t


def main(sections):
    print("| problem | d | scheme | N | K | V(0,x0) | reference | rel.err V0 | mean rel.err paths | time [s] |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    budget = None
    if "hjb" in sections:
        _, budget = run("hjb", 100, "implicit", 2000)
        run("hjb", 100, "explicit", 2000)
    if "hjb-k" in sections:
        for K in (500, 1000, 2000, 5000, 10000, 20000):
            run("hjb", 100, "implicit", K, paths=False)
    if "wells" in sections:
        run("doublewell", 50, "implicit", 2000, degree=3, max_rank=2, paths=False)
        run("doublewell-interacting", 20, "implicit", 2000, degree=3, max_rank=3, paths=False)
    if "sin" in sections:
        run("unboundedsin", 10, "implicit", 2000, degree=3, max_rank=3)
    if "cir" in sections:
        for scheme in ("explicit", "implicit"):
            sol, _ = run("cir", 100, scheme, 2000, degree=2, max_rank=2, paths=False)
            print(f"  CIR {scheme} PDE residual: {sol.pde_residual(n_paths=20, n_times=3)['mean_abs']:.3e}")
    if "deep" in sections:
        from deep_bsde import deep_bsde

        out = deep_bsde("hjb", dim=100, budget=budget or 35.0)
        ref = get_problem("hjb", dim=100).reference_value
        print(f"Deep BSDE HJB d=100, budget {budget or 35.0:.0f} s: y0 {out['y0']:.6f}, "
              f"rel.err {abs(out['y0'] - ref) / ref:.2e}, iterations {out['iterations']}")


if __name__ == "__main__":
    main(sys.argv[1:] or ["hjb", "hjb-k", "wells", "sin", "cir", "deep"])
