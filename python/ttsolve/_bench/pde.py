"""PDE microbenchmark: HJB (exact reference) with the problem's default solver settings."""

from __future__ import annotations

from ..pde import get_problem, solve
from .harness import Report, measure

__all__ = ["run"]


def run(quick: bool = False, repeats: int = 5) -> Report:
    dim, n_samples, n_steps = (10, 500, 20) if quick else (100, 2000, None)
    problem = get_problem("hjb", dim=dim)
    rep = Report("ttsolve bench pde", settings={"problem": "hjb", "dim": dim, "n_samples": n_samples,
                                                "repeats": max(1, repeats // 2)})
    for scheme in ("implicit", "explicit"):
        out = {}

        def one_solve():
            out["sol"] = solve(problem, scheme=scheme, n_samples=n_samples, n_steps=n_steps, seed=0)

        t = measure(one_solve, max(1, repeats // 2), warmup=0)
        sol = out["sol"]
        rep.add(case=f"hjb d={dim} {scheme} N={sol.n_steps}", ttsolve=t, **{"V(0,x0)": sol.v0,
                "rel.err V0": abs(sol.v0 - problem.reference_value) / abs(problem.reference_value)})
    return rep
