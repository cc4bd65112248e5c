"""An RBM fitted by PCD to binarised digits (scikit-learn's 8x8 digits), MMD to held-out data.

Data: ``sklearn.datasets.load_digits`` (1797 images of 8 x 8 pixels with values 0..16), not
upsampled, binarised as pixel > ``--threshold`` (default 8, half the range): D = 64. A seeded
split keeps ``--held-out`` rows (default 500) for evaluation, the rest train.

Model: ``fit_pcd("rbm", n_hidden=H)`` (64 x H, default H = 50), persistent chains advanced by each
sampler (``--samplers``, default every RBM sampler of ttsolve: gwg, block_gibbs), ``--steps``
sampler steps per update per sampler (gwg: one flip per step, default 64 = one per pixel;
block_gibbs: one sweep h | v, v | h per step, default 1), Adam, batches of 100, data term
E[h | v] from the compiled kernel.

Metric: squared MMD (biased V-statistic, kernel k(x, y) = exp(-mean(x != y)), the GWG paper's
mmd.py kernel; ``ttsolve.mcmc.mmd_hamming``) between the held-out rows and ``--eval-chains``
samples of the learned model, drawn by ``--eval-sweeps`` block-Gibbs sweeps from uniform bits
(the same long evaluation sampler for every trained model, so the numbers compare models, not
evaluation samplers); also the MMD of the persistent chains themselves, of the training rows
(the floor set by the split) and of independent pixels at the data means (a baseline).

    python bench/learn_rbm.py --n-hidden 50 --n-updates 2000 --out bench/results/learn_rbm_digits.png

Needs scikit-learn (for the data) and, for the figure, matplotlib.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

import numpy as np

import ttsolve
from ttsolve.mcmc import mmd_hamming, sample
from ttsolve.mcmc.kernels import samplers_for
from ttsolve.mcmc.learn import fit_pcd


def load_digits_binary(threshold: float, held_out: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError as err:
        raise ImportError("the digits data come with scikit-learn: pip install scikit-learn") from err
    X = (load_digits().data > threshold).astype(np.uint8)
    order = np.random.default_rng(seed).permutation(len(X))
    return X[order[held_out:]], X[order[:held_out]]


def model_samples(model: Any, n: int, sweeps: int, seed: int) -> np.ndarray:
    res = sample(model, "block_gibbs", n, sweeps, seed=seed, record=[])
    return res.final_state


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threshold", type=float, default=8.0)
    p.add_argument("--held-out", type=int, default=500)
    p.add_argument("--n-hidden", type=int, default=50)
    p.add_argument("--n-updates", type=int, default=2000)
    p.add_argument("--chains", type=int, default=100)
    p.add_argument("--samplers", default=",".join(s for s in samplers_for("rbm")))
    p.add_argument("--steps", default="gwg=64,block_gibbs=1", help="sampler=steps per update (others: 64)")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--eval-chains", type=int, default=500)
    p.add_argument("--eval-sweeps", type=int, default=1000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="figure path (.png): model samples per sampler")
    p.add_argument("--json", help="write the results here")
    a = p.parse_args(argv)
    ttsolve.set_num_threads(a.threads)
    train, test = load_digits_binary(a.threshold, a.held_out, a.seed)
    steps = {k: int(v) for k, v in (item.split("=") for item in a.steps.split(",") if item)}
    rng = np.random.default_rng([a.seed, 1])
    independent = (rng.random((a.eval_chains, train.shape[1])) < train.mean(0)).astype(np.uint8)
    floor = mmd_hamming(test, train)
    base = mmd_hamming(test, independent)
    print(f"digits > {a.threshold}: train {train.shape}, held-out {test.shape}; RBM 64 x {a.n_hidden}, "
          f"{a.chains} chains, {a.n_updates} updates, Adam lr {a.lr}, batch {a.batch_size}; load "
          f"{os.getloadavg()[0]:.1f}, {a.threads} thread(s)")
    print(f"MMD^2(held-out, training rows) = {floor:.2e} (floor); independent pixels: {base:.2e}")
    print("| sampler | steps/update | ms/update | MMD^2 model samples | MMD^2 persistent chains | acceptance |")
    results: dict[str, Any] = {"floor": floor, "independent": base, "samplers": {}}
    images = {}
    for sampler in a.samplers.split(","):
        k = steps.get(sampler, 64)
        t0 = time.perf_counter()
        model, h = fit_pcd("rbm", train, sampler=sampler, n_hidden=a.n_hidden, n_chains=a.chains,
                           steps_per_update=k, n_updates=a.n_updates, learning_rate=a.lr,
                           batch_size=a.batch_size, seed=a.seed, pl_every=a.n_updates)
        fit_s = time.perf_counter() - t0
        samples = model_samples(model, a.eval_chains, a.eval_sweeps, a.seed + 1)
        r = {"steps": k, "ms_per_update": 1e3 * h.seconds[-1] / len(h.seconds), "fit_seconds": fit_s,
             "mmd_model": mmd_hamming(test, samples), "mmd_chains": mmd_hamming(test, h.final_state),
             "acceptance": float(np.mean(h.acceptance)), "pl_train": float(h.pl_train[-1])}
        results["samplers"][sampler] = r
        images[sampler] = samples[:32]
        print(f"| {sampler} | {k} | {r['ms_per_update']:.2f} | {r['mmd_model']:.2e} | {r['mmd_chains']:.2e} | "
              f"{r['acceptance']:.2f} |", flush=True)
    if a.out:
        try:
            import matplotlib
        except ImportError as err:
            raise ImportError("the figure needs matplotlib: pip install matplotlib") from err
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = {"held-out": test[:32], **images}
        fig, axes = plt.subplots(len(rows), 1, figsize=(8, 1.2 * len(rows)))
        for ax, (name, X) in zip(np.atleast_1d(axes), rows.items()):
            strip = np.concatenate([np.pad(x.reshape(8, 8), 1) for x in X], axis=1)
            ax.imshow(strip, cmap="gray_r", interpolation="nearest")
            ax.set_title(name, fontsize=8)
            ax.axis("off")
        fig.tight_layout()
        fig.savefig(a.out, dpi=80)
        plt.close(fig)
    if a.json:
        with open(a.json, "w") as fh:
            json.dump({"args": vars(a), **results}, fh, indent=1)
    return results


if __name__ == "__main__":
    main()
