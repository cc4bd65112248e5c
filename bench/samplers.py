"""Discrete samplers: ttsolve vs the dense PyTorch GWG baseline (bench/torch_gwg.py).

    python bench/samplers.py [--quick]

Per problem and sampler: chain-steps/s and ESS/s of the per-chain energy trace (sum over chains of
the single-chain ESS from ttsolve.mcmc.diagnostics.ess, Geyer / ArviZ "mean"). All chains start from the same
equilibrated states (a GWG burn-in), so every trace is stationary. The PyTorch baseline
runs few steps (it is slow); its ESS per step equals ttsolve GWG's (same algorithm), so
its ESS/s is reported both measured (when the run is long enough) and as
ESS-per-step(ttsolve gwg) x its steps/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch_gwg as tg  # noqa: E402
from harness import Report, machine_state  # noqa: E402

from ttsolve.mcmc import RBM, FactorialHMM, IsingLattice, sample  # noqa: E402
from ttsolve.mcmc.diagnostics import ess  # noqa: E402

ISING_SAMPLERS = [("gwg", {}), ("gwg", {"n_flips": 3}), ("locally_balanced", {"weight": "sqrt"}),
                  ("locally_balanced", {"weight": "barker"}), ("gibbs", {"scan": "random"}),
                  ("gibbs", {"scan": "systematic"}), ("random_walk", {}), ("hamming_ball", {"block_size": 4})]


def _label(name, opts):
    return name + "".join(f" {k}={v}" for k, v in opts.items())


def _row(label, chain_steps, seconds, trace):
    # Sum of single-chain ESS: measures each chain's own mixing (a multi-chain ESS would
    # credit the independent equilibrated starting states to every sampler).
    e = float(sum(ess(chain) for chain in trace)) if trace.shape[1] >= 4 else float("nan")
    return {"sampler": label, "steps_s": chain_steps / seconds, "ess": e, "ess_s": e / seconds,
            "ess_per_step": e / chain_steps * trace.shape[0] if trace is not None else float("nan")}


def _torch_run(run, model, n_chains, n_steps, init):
    best = None
    for nt in (1, 2):  # keep torch's faster thread count (2 threads can spin on a busy box)
        trace, sec = run(model, n_chains, n_steps, seed=0, init=init, record="energy", num_threads=nt)
        if best is None or sec < best[1]:
            best = (np.asarray(trace), sec)
    return best


def bench_ising(shape, coupling, n_chains, n_steps, torch_steps):
    model = IsingLattice(shape, coupling)
    init = sample(model, "gwg", n_chains, 0, burn_in=20 * model.dim, seed=1, record="energy").final_state
    rows = []
    for name, opts in ISING_SAMPLERS:
        r = sample(model, name, n_chains, n_steps, seed=2, init=init, record="energy", **opts)
        rows.append(_row(_label(name, opts), n_chains * n_steps, r.seconds, r.statistic("energy")))
    tmodel = tg.TorchIsing.lattice(shape, coupling)
    trace, sec = _torch_run(tg.run_gwg, tmodel, n_chains, torch_steps, init)
    row = _row("torch gwg (dense, autograd)", n_chains * torch_steps, sec, trace)
    row["ess_s_extrapolated"] = rows[0]["ess_per_step"] * torch_steps / sec
    rows.append(row)
    return rows


def bench_rbm(n_visible, n_hidden, n_chains, n_steps, torch_steps):
    rng = np.random.default_rng(0)
    W = rng.normal(scale=0.05, size=(n_hidden, n_visible))
    b, c = rng.normal(scale=0.1, size=n_visible), rng.normal(scale=0.1, size=n_hidden)
    model = RBM(W, b, c)
    init = sample(model, "block_gibbs", n_chains, 0, burn_in=200, seed=1, record="energy").final_state
    rows = []
    for name in ("gwg", "block_gibbs"):
        r = sample(model, name, n_chains, n_steps, seed=2, init=init, record="energy")
        rows.append(_row(name, n_chains * n_steps, r.seconds, r.statistic("energy")))
    tmodel = tg.TorchRBM(W, b, c)
    for label, run in (("torch gwg", tg.run_gwg), ("torch block gibbs", tg.run_gibbs)):
        trace, sec = _torch_run(run, tmodel, n_chains, torch_steps, init)
        rows.append(_row(label, n_chains * torch_steps, sec, trace))
    return rows


def bench_fhmm(L, K, n_chains, n_steps):
    model, _ = FactorialHMM.synthetic(L, K, seed=0)
    init = sample(model, "gwg", n_chains, 0, burn_in=20 * model.dim, seed=1, record="energy").final_state
    rows = []
    for name, opts in (("gwg", {}), ("gwg", {"n_flips": 3}), ("gibbs", {"scan": "random"}),
                       ("gibbs", {"scan": "systematic"}), ("hamming_ball", {"block_size": K})):
        r = sample(model, name, n_chains, n_steps, seed=2, init=init, record="energy", **opts)
        rows.append(_row(_label(name, opts), n_chains * n_steps, r.seconds, r.statistic("energy")))
    return rows


def _print(title, rows, json_path=None, start=None):
    rep = Report(f"samplers: {title}", statistic="one run each")
    if start is not None:
        rep.start = start
    for r in rows:
        extra = f" (extrapolated {r['ess_s_extrapolated']:.3g})" if "ess_s_extrapolated" in r else ""
        rep.add(sampler=r["sampler"], **{"chain-steps/s": r["steps_s"], "ESS (energy)": r["ess"],
                                         "ESS/s": f"{r['ess_s']:.3g}{extra}"})
    base = rows[-1] if "torch" in rows[-1]["sampler"] else None
    if base is not None and "torch gwg" in base["sampler"]:
        ours = rows[0]
        ref = base.get("ess_s_extrapolated", base["ess_s"])
        rep.note(f"\nttsolve gwg / torch gwg: chain-steps/s x{ours['steps_s'] / base['steps_s']:.1f}, "
                 f"ESS/s x{ours['ess_s'] / ref:.0f} (vs extrapolated torch ESS/s)")
    print()
    rep.finish(json_path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    ap.add_argument("--only", nargs="*", default=["ising10", "ising50", "rbm", "fhmm"],
                    help="problems to run (ising10 ising50 rbm fhmm)")
    ap.add_argument("--json", default=None, metavar="PREFIX", help="write PREFIX.<problem>.json per problem")
    args = ap.parse_args()
    q = 10 if args.quick else 1

    def out(problem):
        return f"{args.json}.{problem}.json" if args.json else None
    if "ising10" in args.only:
        start = machine_state()
        _print("Ising 10x10, coupling 0.1, 100 chains", bench_ising((10, 10), 0.1, 100, 20000 // q, 2000 // q),
               out("ising10"), start)
    if "ising50" in args.only:
        start = machine_state()
        _print("Ising 50x50, coupling 0.25, 100 chains", bench_ising((50, 50), 0.25, 100, 30000 // q, 100 // q),
               out("ising50"), start)
    if "rbm" in args.only:
        start = machine_state()
        rows = bench_rbm(784, 500, 100, 2000 // q, 200 // q)
        _print("RBM 784x500 (random weights), 100 chains", rows, out("rbm"), start)
        print(f"\nRBM: ttsolve gwg / torch gwg chain-steps/s x{rows[0]['steps_s'] / rows[2]['steps_s']:.1f}")
    if "fhmm" in args.only:
        start = machine_state()
        _print("FHMM posterior 1000x10, 100 chains", bench_fhmm(1000, 10, 100, 50000 // q), out("fhmm"), start)


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
