"""Functional-TT regression microbenchmarks: ALS and SALSA fits per sweep."""

from __future__ import annotations

import numpy as np

from ..basis import Legendre
from ..regression import fit
from .harness import Report, measure

__all__ = ["run"]


def _target(X: np.ndarray) -> np.ndarray:
    return np.sum((X**2 - 1) ** 2, 1) / X.shape[1] + 0.5 * np.prod(1 + 0.1 * X, 1)


def run(quick: bool = False, repeats: int = 5) -> Report:
    d, degree, rank, K = (10, 5, 4, 1000) if quick else (20, 7, 6, 2000)
    rep = Report("ttsolve bench regression", settings={"d": d, "degree": degree, "rank": rank, "K": K,
                                                       "repeats": repeats})
    rng = np.random.default_rng(0)
    X, Xv = rng.uniform(-1, 1, (K, d)), rng.uniform(-1, 1, (K // 4, d))
    y, yv = _target(X), _target(Xv)
    basis = Legendre(degree)
    for method, kwargs in (("als", {"ranks": rank}), ("salsa", {"max_rank": rank, "validation": (Xv, yv)})):
        out = {}

        def one_fit():
            out["fit"] = fit(X, y, basis, method=method, max_sweeps=4, tol=0.0, **kwargs)

        t = measure(one_fit, repeats)
        _, report = out["fit"]
        rep.add(case=f"{method}, 4 sweeps", ttsolve=t, **{"s/sweep": t.median / max(report.sweeps, 1),
                                                          "residual": report.residuals[-1]})
    return rep
