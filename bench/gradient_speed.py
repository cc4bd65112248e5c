"""Chain-steps per second of the multi-coordinate gradient samplers (dmala, dula, pas, dlmc,
gwg_multi) on the DISCS classical models, 100 chains: wall-clock rate and rate per CPU-second
of this process (the latter is less sensitive to other load on a shared machine).

    python bench/gradient_speed.py [--threads T] [--steps N] [--models a,b] [--samplers a,b] [--tuned]

--tuned first adapts the scale toward acceptance 0.574 (300 burn-in steps, adaptive=True) and
times the fixed kernel at the median adapted value (dmala/dula step_size, dlmc t).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ttsolve as tts
from ttsolve.mcmc import Bernoulli, Categorical, IsingLattice, PottsLattice, sample

MODELS = {
    "ising-50x50": lambda: IsingLattice((50, 50), coupling=0.25),
    "potts-10x10x3": lambda: PottsLattice((10, 10), 3, coupling=0.5),
    "potts-50x50x4": lambda: PottsLattice((50, 50), 4, coupling=0.5),
    "categorical-2000x4": lambda: Categorical(np.random.default_rng(0).normal(size=(2000, 4))),
    "bernoulli-2000": lambda: Bernoulli(np.random.default_rng(0).normal(size=2000)),
}
OPTIONS = {"dmala": {"step_size": 0.3}, "dula": {"step_size": 0.3}, "pas": {"path_length": 10},
           "dlmc": {"t": 0.1}, "gwg_multi": {}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--samplers", default=",".join(OPTIONS))
    ap.add_argument("--tuned", action="store_true")
    args = ap.parse_args()
    tts.set_num_threads(args.threads)
    print(f"threads {args.threads}, 1-minute load {os.getloadavg()[0]:.1f}")
    print(f"{'model':20s} {'sampler':10s} {'chain-steps/s':>14s} {'per CPU-s':>10s} {'acceptance':>10s}")
    for name in args.models.split(","):
        model = MODELS[name]()
        for s in args.samplers.split(","):
            opts = dict(OPTIONS[s])
            if s == "dlmc" and model.n_states > 2:
                opts["solver"] = "interpolate"  # DISCS's categorical DLMC solver
            scale = {"dmala": "step_size", "dula": "step_size", "dlmc": "t"}.get(s)
            if args.tuned and scale:
                pre = sample(model, s, n_chains=100, n_steps=0, burn_in=300, record=[], seed=1, adaptive=True,
                             **opts)
                opts[scale] = float(np.median(pre.info["adapted"][scale]))
            cpu = time.process_time()
            res = sample(model, s, n_chains=100, n_steps=args.steps, record=["energy"], seed=0, **opts)
            cpu = time.process_time() - cpu
            steps = 100 * args.steps
            tuned = f"  ({scale}={opts[scale]:.3g})" if args.tuned and scale else ""
            print(f"{name:20s} {s:10s} {steps / res.seconds:14.3g} {steps / cpu:10.3g} {res.acceptance.mean():10.2f}"
                  + tuned, flush=True)


if __name__ == "__main__":
    main()
