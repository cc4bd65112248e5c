"""Chain-steps/s of every compiled RBM sampler on the DISCS-sized RBM (784 x 500, 100 chains).

    python bench/rbm_samplers.py [--steps N] [--chains C] [--only gibbs locally_balanced ...]

Weights N(0, 0.05^2) (a trained MNIST RBM's scale), biases N(0, 0.1^2); the 1-minute load
average is printed beside the figures, which are unreliable on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from ttsolve.mcmc import RBM, sample

RUNS = {
    "gwg": {}, "gibbs": {"scan": "random"}, "gibbs_systematic": {"scan": "systematic"},
    "random_walk": {}, "hamming_ball": {"block_size": 4},
    **{f"locally_balanced_{w}": {"weight": w} for w in ("sqrt", "barker", "max", "min")},
    "dmala": {"step_size": 0.2}, "dula": {"step_size": 0.2}, "pas": {"path_length": 4}, "dlmc": {"t": 0.2},
}


def sampler_of(name: str) -> str:
    if name.startswith("locally_balanced"):
        return "locally_balanced"
    return "gibbs" if name.startswith("gibbs") else name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--visible", type=int, default=784)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--only", nargs="*", default=list(RUNS))
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    model = RBM(rng.normal(scale=0.05, size=(args.hidden, args.visible)), rng.normal(scale=0.1, size=args.visible),
                rng.normal(scale=0.1, size=args.hidden))
    print(f"RBM {args.visible}x{args.hidden}, {args.chains} chains, load {os.getloadavg()[0]:.1f}")
    for name in args.only:
        opts = RUNS[name]
        steps = args.steps if not name.startswith("locally") else max(args.steps // 10, 10)
        if name in ("gibbs", "gibbs_systematic", "random_walk", "hamming_ball"):
            steps = args.steps * 20
        t0 = time.perf_counter()
        r = sample(model, sampler_of(name), args.chains, steps, record="energy", seed=0, **opts)
        wall = time.perf_counter() - t0
        rate = args.chains * steps / r.seconds
        print(f"  {name:26s} {rate:10.3g} chain-steps/s  ({steps} steps, sampling {r.seconds:.2f} s, "
              f"wall {wall:.2f} s, acceptance {r.acceptance.mean():.3f}, load {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
