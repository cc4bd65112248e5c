"""Discrete-sampler microbenchmarks: chain-steps/s and ESS/s of the compiled samplers on an Ising
lattice, against the same model run through the Python user-model path."""

from __future__ import annotations

import numpy as np

from ..mcmc import IsingLattice, UserModel, ess, sample
from .harness import Report

__all__ = ["run"]


def run(quick: bool = False, repeats: int = 5) -> Report:
    shape, n_chains, n_steps = ((10, 10), 20, 2000) if quick else ((30, 30), 50, 10000)
    model = IsingLattice(shape, coupling=0.25)
    rep = Report("ttsolve bench mcmc", statistic="best of repeats",
                 settings={"model": f"Ising {shape}", "n_chains": n_chains, "n_steps": n_steps, "repeats": repeats},
                 ratios={"vs user-model path": ("chain-steps/s", "user-model chain-steps/s")})
    init = sample(model, "gwg", n_chains, 0, burn_in=20 * model.dim, seed=1, record="energy").final_state
    user = UserModel(model.dim, model.log_prob, grad=model.grad)  # same model, Python callbacks
    for name in ("gwg", "gibbs", "locally_balanced", "random_walk"):
        runs = [sample(model, name, n_chains, n_steps, seed=2, init=init, record="energy") for _ in range(repeats)]
        best = min(runs, key=lambda r: r.seconds)
        row = {"sampler": name, "chain-steps/s": n_chains * n_steps / best.seconds,
               "ESS/s (energy)": float(ess(best.statistic("energy"))) / best.seconds}
        if user is not None and name == "gwg":
            short = max(n_steps // 20, 10)
            r = sample(user, name, n_chains, short, seed=2, init=init, record="energy")
            row["user-model chain-steps/s"] = n_chains * short / r.seconds
        rep.add(**row)
    return rep
