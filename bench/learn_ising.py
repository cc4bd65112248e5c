"""Ising learning by PCD, ttsolve vs the PyTorch peer (bench/peers/torch_pcd.py), same data.

The GWG paper's experiment (Sec. 5.2): data from a periodic lattice Ising model (J = sigma A,
zero bias), a dense J learned by PCD (Adam, l1 on J), log-RMSE of J against updates. Data come
from ttsolve's sample_training_set; both learners get the same rows, chains, steps and updates.

    python bench/learn_ising.py --side 10 --sigma 0.25 --n-updates 30 --steps 50 --threads 1
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

import ttsolve
from ttsolve.mcmc import IsingLattice
from ttsolve.mcmc.learn import fit_pcd, sample_training_set

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "peers"))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--side", type=int, default=10)
    p.add_argument("--sigma", type=float, default=0.25)
    p.add_argument("--n-samples", type=int, default=2000)
    p.add_argument("--n-updates", type=int, default=30)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--chains", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--l1", type=float, default=0.01)
    p.add_argument("--samplers", default="gwg,gibbs")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-torch", action="store_true")
    a = p.parse_args()
    ttsolve.set_num_threads(a.threads)
    truth = IsingLattice((a.side, a.side), a.sigma)
    J_true = truth.W.toarray()
    data, info = sample_training_set(truth, a.n_samples, seed=0)
    print(f"data {data.shape}: ESS(energy) {info['ess']:.0f}, R-hat {info['rhat']:.3f}, {info['seconds']:.2f} s")
    print(f"load {os.getloadavg()[0]:.2f}, {a.threads} thread(s), D {truth.dim}, {a.chains} chains, "
          f"{a.steps} steps/update, {a.n_updates} updates, Adam lr {a.lr}, l1 {a.l1}")
    print("| learner | sampler | ms / update | final log-RMSE |")
    for sampler in a.samplers.split(","):
        t0 = time.perf_counter()
        _, h = fit_pcd("ising", data, sampler=sampler, n_chains=a.chains, steps_per_update=a.steps,
                       n_updates=a.n_updates, learning_rate=a.lr, optimizer="adam", l1=a.l1, learn_bias=False,
                       batch_size=100, seed=0, pl_every=a.n_updates,
                       **({"scan": "systematic"} if sampler == "gibbs" else {}))
        ms = 1e3 * (time.perf_counter() - t0) / a.n_updates
        rmse = np.log(np.sqrt(np.mean((h.params["J"] - J_true) ** 2)))
        print(f"| ttsolve | {sampler} | {ms:.2f} | {rmse:.3f} |")
        if a.no_torch:
            continue
        import torch_pcd

        out = torch_pcd.train_pcd(data, J_true, sampler, a.n_updates, a.steps, a.chains, 100, a.lr, a.l1,
                                  seed=0, record_every=a.n_updates, num_threads=a.threads)
        print(f"| torch   | {sampler} | {1e3 * out['seconds_per_update']:.2f} | {out['history']['log_rmse'][-1]:.3f} |")


if __name__ == "__main__":
    main()
