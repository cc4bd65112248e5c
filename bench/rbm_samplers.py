"""Chain-steps/s of every compiled RBM sampler on the DISCS-sized RBM (784 x 500, 100 chains).

    python bench/rbm_samplers.py [--steps N] [--chains C] [--threads T] [--only gibbs dmala ...]

Weights N(0, 0.05^2) (a trained MNIST RBM's scale), biases N(0, 0.1^2); the 1-minute load
average is printed beside the figures, which are unreliable on a loaded machine; "per CPU-s" divides
by the process CPU time of the sampling call (all threads), which a shared machine disturbs less.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import ttsolve
from ttsolve.mcmc import RBM, sample

RUNS = {
    "gwg": {}, "gibbs": {"scan": "random"}, "gibbs_systematic": {"scan": "systematic"},
    "random_walk": {}, "hamming_ball": {"block_size": 4},
    **{f"locally_balanced_{w}": {"weight": w} for w in ("sqrt", "barker", "max", "min")},
    "dmala": {"step_size": 0.2}, "dula": {"step_size": 0.2}, "pas": {"path_length": 4}, "dlmc": {"t": 0.2},
    "dmala_adaptive": {"adaptive": True}, "dlmc_adaptive": {"adaptive": True},
    "gwg_multi_adaptive": {"adaptive": True}, "gwg_multi": {"n_flips": 8},
}


def sampler_of(name: str) -> str:
    if name.startswith("locally_balanced"):
        return "locally_balanced"
    if name.endswith("_adaptive"):
        return name[: -len("_adaptive")]
    return "gibbs" if name.startswith("gibbs") else name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--visible", type=int, default=784)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--threads", type=int, default=None, help="ttsolve threads (default: its default)")
    ap.add_argument("--only", nargs="*", default=list(RUNS))
    args = ap.parse_args()
    if args.threads:
        ttsolve.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    model = RBM(rng.normal(scale=0.05, size=(args.hidden, args.visible)), rng.normal(scale=0.1, size=args.visible),
                rng.normal(scale=0.1, size=args.hidden))
    print(f"RBM {args.visible}x{args.hidden}, {args.chains} chains, load {os.getloadavg()[0]:.1f}")
    for name in args.only:
        opts = RUNS[name]
        steps = args.steps if not name.startswith("locally") else max(args.steps // 10, 10)
        if name in ("gibbs", "gibbs_systematic", "random_walk", "hamming_ball"):
            steps = args.steps * 20
        burn_in = steps // 10 if opts.get("adaptive") else 0  # as bench/discrete.py
        t0, c0 = time.perf_counter(), time.process_time()
        r = sample(model, sampler_of(name), args.chains, steps, burn_in=burn_in, record="energy", seed=0, **opts)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        total = args.chains * (steps + burn_in)
        adapted = "".join(f", {k} {np.mean(v):.3g}" for k, v in r.info.get("adapted", {}).items())
        rate = total / r.seconds
        print(f"  {name:26s} {rate:10.3g} chain-steps/s  {total / cpu:10.3g} per CPU-s  ({steps}+{burn_in} steps, "
              f"sampling {r.seconds:.2f} s, wall {wall:.2f} s, acceptance {r.acceptance.mean():.3f}, "
              f"load {os.getloadavg()[0]:.1f}{adapted})")


if __name__ == "__main__":
    main()
