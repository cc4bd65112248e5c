"""Tensor-train microbenchmarks: rounding, round_sum, dot, evaluate (teneva when installed)."""

from __future__ import annotations

import numpy as np

from ..tt import TensorTrain, round_sum
from .harness import Report, measure

__all__ = ["run"]


def run(quick: bool = False, repeats: int = 5) -> Report:
    d, n, r = (30, 10, 15) if quick else (100, 10, 30)
    rep = Report("ttsolve bench tt", settings={"d": d, "n": n, "rank": r, "repeats": repeats},
                 ratios={"teneva/ttsolve": ("teneva", "ttsolve")})
    try:
        import teneva
    except ImportError:
        teneva = None
        rep.note("teneva not installed: no peer column (pip install teneva)")
    x = TensorTrain.random([n] * d, r, seed=1)
    y = TensorTrain.random([n] * d, r, seed=2)
    s = x + y
    xc, yc, sc = ([np.array(c) for c in t.cores] for t in (x, y, s))
    idx = np.random.default_rng(0).integers(0, n, (20_000 if quick else 100_000, d))
    cases = [
        (f"round x+y -> r{2 * r // 3}", lambda: s.round(1e-14, max_rank=2 * r // 3),
         teneva and (lambda: teneva.truncate(sc, 1e-14, 2 * r // 3))),
        (f"round_sum x+y -> r{2 * r // 3}", lambda: round_sum([x, y], 1e-14, 2 * r // 3),
         teneva and (lambda: teneva.truncate(teneva.add(xc, yc), 1e-14, 2 * r // 3))),
        (f"dot (rank {r})", lambda: x.dot(y), teneva and (lambda: teneva.mul_scalar(xc, yc))),
        (f"evaluate ({len(idx)} indices)", lambda: x.evaluate(idx), teneva and (lambda: teneva.get_many(xc, idx))),
    ]
    for name, ours, peer in cases:
        row = {"case": name, "ttsolve": measure(ours, repeats)}
        if peer:
            row["teneva"] = measure(peer, max(1, repeats // 2))
        rep.add(**row)
    return rep
