"""Ising learning by PCD (the GWG paper's Sec. 5.2 experiment), ttsolve vs the PyTorch peer.

Data: a periodic 2-D lattice Ising model (J = sigma A, zero bias) or an Erdos-Renyi model (each
pair an edge with probability degree / D, weights N(0, 1 / degree)), sampled by ttsolve's
``sample_training_set`` (long Gibbs chains; ESS and R-hat printed). A dense J with zero bias is
learned by PCD (Adam, l1 on J, batches of 100) with each sampler at the same number of sampler
steps per update; the log-RMSE between learned and true J (all D^2 entries) is recorded against
updates and training time. The PyTorch peer (bench/peers/torch_pcd.py, the paper's loop) gets
the same rows, chains, steps and updates. Times: wall and CPU seconds of the update loop (the
CPU figure is steadier on a shared machine); the 1-minute load is printed beside them.

    python bench/learn_ising.py --data lattice --side 10 --sigma 0.2 --n-updates 300 --torch
    python bench/learn_ising.py --data er --nodes 100 --degree 2 --n-updates 300 --torch
    python bench/learn_ising.py --sweep --sides 5,10 --sigmas 0.1,0.2,0.3,0.4,0.5 --n-updates 300

Figures (matplotlib, optional: ``pip install matplotlib``) go to ``--out`` (a .png path);
``--json`` writes every curve.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import numpy as np

import ttsolve
from ttsolve.mcmc import IsingLattice
from ttsolve.mcmc.learn import Ising, fit_pcd, sample_training_set

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "peers"))
import torch_pcd  # noqa: E402  (imports without torch; only train_pcd needs it)

SAMPLER_OPTIONS = {"gibbs": {"scan": "systematic"}}  # the peer's per-dimension Gibbs scans in order


def log_rmse(J_true: np.ndarray, J: np.ndarray) -> float:
    return float(np.log(np.sqrt(np.mean((J - J_true) ** 2))))


def make_data(kind: str, side: int, sigma: float, nodes: int, degree: float, n_samples: int, seed: int,
              burn_sweeps: int = 1000, thin_sweeps: int = 5) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    if kind == "lattice":
        truth = IsingLattice((side, side), sigma)
        J_true = truth.W.toarray()
    else:
        J_true = torch_pcd.erdos_renyi_J(nodes, degree, seed)
        truth = Ising(J_true, 0.0)
    D = J_true.shape[0]
    data, info = sample_training_set(truth, n_samples, burn_in=burn_sweeps * D, thin=thin_sweeps * D, seed=seed)
    return data, J_true, info


def run_ttsolve(data: np.ndarray, J_true: np.ndarray, sampler: str, a: argparse.Namespace) -> dict[str, Any]:
    curve: dict[str, list] = {"update": [], "log_rmse": [], "seconds": []}

    def record(t: int, params: dict, row: dict) -> None:
        if t % a.record_every == 0 or t == a.n_updates:
            curve["update"].append(t)
            curve["log_rmse"].append(log_rmse(J_true, params["J"]))
            curve["seconds"].append(row["seconds"])

    c0 = time.process_time()
    _, h = fit_pcd("ising", data, sampler=sampler, n_chains=a.chains, steps_per_update=a.steps,
                   n_updates=a.n_updates, learning_rate=a.lr, optimizer="adam", l1=a.l1, learn_bias=False,
                   batch_size=100, seed=a.seed, pl_every=a.n_updates, callback=record,
                   **SAMPLER_OPTIONS.get(sampler, {}))
    cpu = time.process_time() - c0
    return {"curve": curve, "ms_per_update": 1e3 * h.seconds[-1] / len(h.seconds),
            "cpu_ms_per_update": 1e3 * cpu / len(h.seconds), "acceptance": float(np.mean(h.acceptance)),
            "final_log_rmse": curve["log_rmse"][-1]}


def run_torch(data: np.ndarray, J_true: np.ndarray, sampler: str, a: argparse.Namespace) -> dict[str, Any]:
    n = a.torch_updates or a.n_updates
    out = torch_pcd.train_pcd(data, J_true, sampler, n, a.steps, a.chains, 100, a.lr, a.l1, seed=a.seed,
                              record_every=a.record_every, num_threads=a.threads)
    h = out["history"]
    return {"curve": {"update": h["iteration"], "log_rmse": h["log_rmse"], "seconds": h["seconds"]},
            "ms_per_update": 1e3 * out["seconds_per_update"], "cpu_ms_per_update": 1e3 * out["cpu_seconds_per_update"],
            "acceptance": h["acceptance"][-1], "final_log_rmse": h["log_rmse"][-1]}


def _pyplot():
    try:
        import matplotlib
    except ImportError as err:  # optional dependency
        raise ImportError("figures need matplotlib: pip install matplotlib (or run without --out)") from err
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_curves(results: dict[str, dict], title: str, path: str) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for label, r in results.items():
        style = "--" if label.startswith("torch") else "-"
        c = r["curve"]
        axes[0].plot(c["update"], c["log_rmse"], style, label=label)
        axes[1].plot(c["seconds"], c["log_rmse"], style, label=label)
    axes[0].set_xlabel("update")
    axes[1].set_xlabel("training seconds (wall)")
    axes[1].set_xscale("log")
    for ax in axes:
        ax.set_ylabel("log RMSE(J)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def plot_sweep(rows: list[dict], path: str) -> None:
    plt = _pyplot()
    sides = sorted({r["side"] for r in rows})
    fig, axes = plt.subplots(1, len(sides), figsize=(4.2 * len(sides), 3.2), squeeze=False)
    for ax, side in zip(axes[0], sides):
        for sampler in dict.fromkeys(r["sampler"] for r in rows):
            pts = [(r["sigma"], r["final_log_rmse"]) for r in rows if r["side"] == side and r["sampler"] == sampler]
            ax.plot(*zip(*pts), "o-", label=sampler)
        ax.set_title(f"lattice {side}x{side} (D = {side * side})", fontsize=9)
        ax.set_xlabel("sigma")
        ax.set_ylabel("final log RMSE(J)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def _table_row(learner: str, sampler: str, r: dict) -> str:
    return (f"| {learner:7s} | {sampler:16s} | {r['ms_per_update']:8.2f} | {r['cpu_ms_per_update']:8.2f} | "
            f"{r['final_log_rmse']:7.3f} | {r['acceptance']:5.2f} |")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", choices=["lattice", "er"], default="lattice")
    p.add_argument("--side", type=int, default=10)
    p.add_argument("--sigma", type=float, default=0.2)
    p.add_argument("--nodes", type=int, default=100, help="Erdos-Renyi D")
    p.add_argument("--degree", type=float, default=2.0)
    p.add_argument("--n-samples", type=int, default=2000)
    p.add_argument("--burn-sweeps", type=int, default=1000, help="data chains: burn-in sweeps of D Gibbs steps")
    p.add_argument("--thin-sweeps", type=int, default=5, help="data chains: sweeps between kept rows")
    p.add_argument("--n-updates", type=int, default=300)
    p.add_argument("--torch-updates", type=int, default=0, help="updates of the peer (default --n-updates)")
    p.add_argument("--steps", type=int, default=50, help="sampler steps per update (every sampler)")
    p.add_argument("--chains", type=int, default=100)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--l1", type=float, default=0.01)
    p.add_argument("--samplers", default="gwg,gibbs")
    p.add_argument("--record-every", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--torch", action="store_true", help="run the PyTorch peer too (gwg, gibbs)")
    p.add_argument("--sweep", action="store_true", help="lattice sides x sigmas, ttsolve only")
    p.add_argument("--sides", default="5,10")
    p.add_argument("--sigmas", default="0.1,0.2,0.3,0.4,0.5")
    p.add_argument("--out", help="figure path (.png)")
    p.add_argument("--json", help="write all results here")
    a = p.parse_args(argv)
    ttsolve.set_num_threads(a.threads)
    samplers = a.samplers.split(",")
    head = "| learner | sampler          | ms/upd   | cpu ms   | log-RMSE | acc   |"
    if a.sweep:
        rows = []
        print(f"sweep: {a.chains} chains, {a.steps} steps/update, {a.n_updates} updates, Adam lr {a.lr}, l1 {a.l1}")
        for side in (int(s) for s in a.sides.split(",")):
            for sigma in (float(s) for s in a.sigmas.split(",")):
                data, J_true, info = make_data("lattice", side, sigma, 0, 0, a.n_samples, a.seed, a.burn_sweeps,
                                                  a.thin_sweeps)
                for sampler in samplers:
                    r = run_ttsolve(data, J_true, sampler, a)
                    rows.append({"side": side, "sigma": sigma, "sampler": sampler, "data_rhat": info["rhat"],
                                 **{k: r[k] for k in ("ms_per_update", "cpu_ms_per_update", "final_log_rmse")}})
                    print(f"| {side * side:4d} | {sigma:.2f} | {sampler:16s} | {r['ms_per_update']:7.2f} ms | "
                          f"{r['final_log_rmse']:7.3f} | data R-hat {info['rhat']:.3f} | load "
                          f"{os.getloadavg()[0]:.1f} |", flush=True)
        if a.out:
            plot_sweep(rows, a.out)
        result = {"args": vars(a), "rows": rows}
    else:
        data, J_true, info = make_data(a.data, a.side, a.sigma, a.nodes, a.degree, a.n_samples, a.seed,
                                        a.burn_sweeps, a.thin_sweeps)
        what = (f"lattice {a.side}x{a.side} sigma {a.sigma}" if a.data == "lattice"
                else f"Erdos-Renyi D {a.nodes} degree {a.degree}")
        print(f"data {what}: {data.shape}, ESS(energy) {info['ess']:.0f}, R-hat {info['rhat']:.3f}")
        print(f"{a.threads} thread(s), {a.chains} chains, {a.steps} steps/update, {a.n_updates} updates "
              f"(torch {a.torch_updates or a.n_updates}), Adam lr {a.lr}, l1 {a.l1}; load {os.getloadavg()[0]:.1f}")
        print(head)
        results: dict[str, dict] = {}
        for sampler in samplers:
            r = run_ttsolve(data, J_true, sampler, a)
            results[f"ttsolve {sampler}"] = r
            print(_table_row("ttsolve", sampler, r), flush=True)
            if a.torch and sampler in ("gwg", "gibbs"):
                r = run_torch(data, J_true, sampler, a)
                results[f"torch {sampler}"] = r
                print(_table_row("torch", sampler, r), flush=True)
                tt = results[f"ttsolve {sampler}"]
                print(f"  ratio torch/ttsolve per update: wall {r['ms_per_update'] / tt['ms_per_update']:.1f}x, "
                      f"cpu {r['cpu_ms_per_update'] / tt['cpu_ms_per_update']:.1f}x; load {os.getloadavg()[0]:.1f}")
        if a.out:
            plot_curves(results, f"PCD on {what}: {a.chains} chains, {a.steps} steps/update", a.out)
        result = {"args": vars(a), "data_info": info, "results": results}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=1, default=float)
    return result


if __name__ == "__main__":
    main()
