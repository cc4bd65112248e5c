"""Issue 14: ttsolve vs DISCS on DISCS's classical models, every sampler of DISCS's table, one run.

    export DISCS_PATH=/work/peers/google-research+discs
    python bench/discrete.py --seconds 2 --out bench/results/discrete        # everything
    python bench/discrete.py --models ising-50x50 rbm-784x500 --samplers gwg gibbs --seconds 1
    python bench/discrete.py --only potts-10x10x3:gwg ising-50x50:dmala --no-plot

Per model: DISCS's parameters (bench/peers/discs_runner.py, seed --seed) are read back as
float64 arrays and the same model is built for ttsolve and for the torch peer
(bench/discrete_models.py); log-probability differences between random states are checked
against DISCS's own ``forward`` (float64) to 1e-9 before anything is timed. 100 chains start
from the same near-equilibrium states (a numpy sampler of neither side). Then per sampler,
side by side (peer and ttsolve alternate who goes first; the 1-minute load is recorded before
and after each pair):

* peer: DISCS's sampler under JAX (one jitted step, as DISCS's Sampling_Experiment), or the
  torch locally-balanced peer (bench/peers/torch_samplers.py) where DISCS's does not run;
  ``--seconds`` of pure steps give chain-steps/s, then a trace of up to ``--seconds`` more.
* ttsolve: the matching sampler of ttsolve.mcmc (TTSOLVE_FOR) for ``--ttsolve-seconds``
  (default max(--seconds, 3): its long trace is the reliable ESS/step), recording the energy and
  the Hamming distance to the reference in the same run; adaptive samplers burn in for
  max(10%, 100) steps, and chain-steps/s is that of the kept steps (the engine times burn-in
  apart, ``info["burn_in_seconds"]``; the rate with burn-in is in the JSON too).

Statistics: per chain, ESS (ttsolve.mcmc.diagnostics.ess) of the Hamming distance to one fixed
random state x_ref shared by all chains (DISCS's x0_ess statistic sum |x - x_ref| for binary
models; its Hamming form for categorical ones) and of the energy f. "ESS/step" = mean over
chains of ESS / trace steps (DISCS's "ESS over MH steps"); "ESS/s" = ESS/step x chain-steps/s
(ESS summed over the chains per second of the timed run); a chain that never moved counts ESS 0.
Besides DISCS's nine samplers, "gwg1" is DISCS's gwg with adaptive=False and one flip (binary
models), the exact kernel of ttsolve's single-site gwg. A sampler ttsolve does not have (yet)
shows "-"; a pair that fails shows the error and the run goes on.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "peers"))

import discrete_models as dm  # noqa: E402
import discs_runner  # noqa: E402

DISCS_SAMPLERS = tuple(discs_runner.SAMPLERS)

# DISCS sampler -> (ttsolve candidates tried in order, same kernel?, how closely they match).
# A candidate is (sampler name, options); the first one ttsolve resolves for the model is run.
# "same kernel" means the two Markov kernels are identical, so ESS per step is the same quantity
# on both sides and a peer trace too short to estimate it may borrow ttsolve's (marked "~").
TTSOLVE_FOR = {
    "randomwalk": ([("random_walk", {"adaptive": True}), ("random_walk", {"scan": "random"})], False,
                   "DISCS: every site moves w.p. r/D, r adapted to acceptance 0.237; ttsolve: one uniform site"),
    "gibbs": ([("gibbs", {"scan": "systematic"})], True, "same: one site per step, systematic scan"),
    "blockgibbs": ([("block_gibbs", {"block_size": 2, "scan": "systematic"})], True,
                   "same: exact Gibbs on a block of 2 consecutive sites, blocks in turn (none on the RBM)"),
    "hammingball": ([("hamming_ball", {"block_size": 10})], False,
                    "block of 10, radius 1 (DISCS: systematic blocks and its radius logits; ttsolve: random "
                    "blocks, exact auxiliary-variable radius)"),
    "gwg": ([("gwg_multi", {"adaptive": True}), ("gwg", {"adaptive": True}), ("gwg", {})], None,
            "binary DISCS: number of flips adapted all run long (ttsolve gwg_multi adaptive: during burn-in, then "
            "frozen); categorical DISCS and ttsolve gwg: one move"),
    "gwg1": ([("gwg", {})], True, "same: one move from softmax(d / 2) with MH (DISCS gwg, adaptive=False)"),
    "locallybalanced": ([("locally_balanced", {"weight": "sqrt"})], True,
                        "same proposal (SQRT), MH-corrected on both sides (torch peer with --mh)"),
    "dmala": ([("dmala", {"adaptive": True}), ("dmala", {"step_size": 0.2})], False,
              "same proposal; step size adapted (DISCS: all run long; ttsolve: burn-in, then frozen)"),
    "path_auxiliary": ([("pas", {"adaptive": True}), ("pas", {})], False,
                       "same proposal; path length adapted (DISCS: all run long; ttsolve: burn-in, then frozen)"),
    "dlmc": ([("dlmc", {"adaptive": True, "solver": "interpolate"}), ("dlmc", {"adaptive": True}), ("dlmc", {})],
             False,
             "same proposal; step size adapted (DISCS: all run long; ttsolve: burn-in, then frozen)"),
}
MIN_ESS = 20.0  # per-chain ESS below this: the trace is too short for its ESS to mean much


def same_kernel(discs_sampler, n_states, choice):
    same = TTSOLVE_FOR[discs_sampler][1]
    if same is None:  # gwg: same when both make one move per step
        return n_states > 2 and choice is not None and not choice[1].get("adaptive")
    return bool(same)


def _load():
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return float("nan")


def per_chain_ess(trace):
    """ESS of each chain of a (chains, steps) trace (nan for fewer than 8 steps). A chain whose
    statistic never changed (a stuck chain: every proposal rejected) counts as ESS 0, not as
    the number of draws that ess() returns for constant input."""
    from ttsolve.mcmc.diagnostics import ess

    trace = np.asarray(trace, dtype=np.float64)
    if trace.shape[1] < 8:
        return np.full(trace.shape[0], np.nan)
    e = np.asarray(ess(trace.T[None, :, :]), dtype=np.float64).reshape(-1)
    return np.where(np.ptp(trace, axis=1) > 0, e, 0.0)


def ess_summary(trace, n_steps, chain_steps_per_s):
    """ESS/step and ESS/s of a (chains, kept) trace covering n_steps steps per chain."""
    e = per_chain_ess(trace)
    per_step = float(np.mean(e)) / n_steps
    return {"ess_mean": float(np.mean(e)), "ess_per_step": per_step, "ess_per_s": per_step * chain_steps_per_s}


# ----------------------------------------------------------------------------- ttsolve side


def resolve_ttsolve(discs_sampler, model):
    """(name, options) of the ttsolve sampler matching ``discs_sampler`` on ``model``, or None."""
    from ttsolve.mcmc import kernels

    family = kernels.backend_of(model).family
    for name, opts in TTSOLVE_FOR[discs_sampler][0]:
        if discs_sampler == "gwg" and "adaptive" in opts and model.n_states > 2:
            continue  # DISCS's categorical GWG is not adaptive
        try:
            kernels.resolve(name, family, 1, dict(opts))
        except (ValueError, TypeError):
            continue
        return name, dict(opts)
    return None


def run_ttsolve(model, name, opts, x_init, x_ref, n_chains, seconds, seed, max_kept=4000):
    from ttsolve.mcmc import sample

    # adaptive: the probe adapts too (100 burn-in steps, timed apart by the engine), since the
    # adapted kernel can be far slower than the starting one (binary gwg_multi / pas start at one
    # flip and adapt to ~60-140 on bernoulli-2000: a probe of the unadapted kernel sized a "2 s"
    # run at 190-520 s)
    probe_burn = 100 if opts.get("adaptive") else 0
    probe_steps, dt = 4, 0.0
    while True:  # steps/s from a probe whose kept steps run at least 0.2 s
        r = sample(model, name, n_chains, probe_steps, burn_in=probe_burn, seed=seed, init=x_init, record=[], **opts)
        dt = max(r.seconds - float(r.info.get("burn_in_seconds", 0.0)), 1e-9)
        if dt >= 0.2 or probe_steps >= 1 << 26:
            break
        probe_steps *= 16 if dt < 0.01 else 4 if dt < 0.05 else 2
    n_steps = max(16, int(seconds * probe_steps / dt))
    # adaptive: at least 100 burn-in steps (a 2-s run of a slow pair had 3, too few to adapt)
    burn_in = max(n_steps // 10, 100) if opts.get("adaptive") else 0
    thin = max(1, n_steps // max_kept)
    n_steps = (n_steps // thin) * thin
    r = sample(model, name, n_chains, n_steps, burn_in=burn_in, thin=thin, seed=seed + 1, init=x_init,
               record=["energy", "hamming"], reference=x_ref, **opts)
    # chain-steps/s of the kept (fixed-kernel) steps, burn-in timed apart by the engine: the
    # peer's rate is likewise its pure steps after its burn-in
    burn_s = float(r.info.get("burn_in_seconds", 0.0))
    kept_s = r.seconds - burn_s
    rate = n_steps * n_chains / kept_s if burn_in and kept_s > 0 else (n_steps + burn_in) * n_chains / r.seconds
    out = dict(backend="ttsolve", sampler=name, options=opts, chain_steps_per_s=rate, seconds=r.seconds,
               burn_in_s=burn_s, chain_steps_per_s_with_burn_in=(n_steps + burn_in) * n_chains / r.seconds,
               steps=n_steps, burn_in=burn_in, thin=thin, acceptance=float(np.mean(r.acceptance)))
    out["hamming"] = ess_summary(r.statistic("hamming"), n_steps, rate)
    out["energy"] = ess_summary(r.statistic("energy"), n_steps, rate)
    return out


# ----------------------------------------------------------------------------- peer side


def run_peer(model_name, discs_sampler, spec, x_init, x_ref, n_chains, seconds, seed, lb_mh=True, burn_in=0.0,
             burn_in_max=0.0):
    if discs_sampler == "locallybalanced":  # DISCS's fails on every classical model: torch peer
        import torch_samplers

        summary, traces = torch_samplers.run(model_name, "SQRT", lb_mh, n_chains, seconds, trace_steps=20000,
                                             seed=seed, model=dm.torch_model(spec), x0=x_init, x_ref=x_ref,
                                             trace_from_start=False, trace_seconds=seconds)
    else:
        summary, traces = discs_runner.run(model_name, discs_sampler, n_chains, seconds, trace_steps=20000,
                                           seed=seed, x0=x_init, x_ref=x_ref, trace_from_start=False,
                                           trace_seconds=seconds, burn_in_seconds=burn_in,
                                           burn_in_acceptance=0.1 if burn_in_max > burn_in else None,
                                           burn_in_max_seconds=burn_in_max)
    rate = summary["chain_steps_per_s"]
    n = int(summary["trace_steps"])
    out = dict(backend=summary["backend"], chain_steps_per_s=rate, seconds=summary["seconds"], steps=n,
               compile_s=summary.get("compile_s"), trace_s=summary.get("trace_s"),
               burn_in_steps=summary.get("burn_in_steps", 0), burn_in_s=summary.get("burn_in_s"),
               acceptance=float(np.nanmean(traces["acceptance"])) if len(traces["acceptance"]) else float("nan"))
    out["hamming"] = ess_summary(np.asarray(traces["hamming_to_ref"]).T, n, rate)
    out["energy"] = ess_summary(np.asarray(traces["log_prob"]).T, n, rate)
    return out


# ----------------------------------------------------------------------------- floors


def measure_floors(n_chains=100, repeats=5):
    """Machine floors for the cost model (bench/README.md), measured in this run:

    * ``gemm_gflops``: float64 GEMM (n_chains x 784) @ (784 x 500) through numpy (the
      scipy-openblas that ttsolve calls): an RBM step that needs one full (V x H) product per
      chain cannot beat gemm_gflops / (2 V H) chain-steps/s, on either side;
    * ``uniform_exp_ns``: ns per element of one uniform draw + one exp (numpy, float64): a
      multi-coordinate step (every one of the D K coordinates draws and weighs a move) cannot
      beat 1 / (uniform_exp_ns D K) chain-steps/s in code that does this per element.
    """
    rng = np.random.default_rng(0)
    a, b = rng.random((n_chains, 784)), rng.random((784, 500))
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(20):
            a @ b
        best = min(best, (time.perf_counter() - t0) / 20)
    n = 1 << 20
    best_u = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        np.exp(rng.random(n))
        best_u = min(best_u, (time.perf_counter() - t0) / n)
    return {"gemm_gflops": 2 * n_chains * 784 * 500 / best / 1e9, "uniform_exp_ns": best_u * 1e9, "load": _load()}


# ----------------------------------------------------------------------------- the run


def prepare_model(model_name, n_chains, seed, discs_path, sweeps):
    t0 = time.perf_counter()
    dmodel, params = dm.discs_model(model_name, seed, discs_path)
    spec = dm.spec_from_discs(model_name, params)
    info = dict(model=model_name, dim=spec["dim"], n_states=spec["n_states"])
    try:
        ours = dm.ttsolve_model(spec)
        info["verify_max_abs_diff"] = dm.verify(spec, dmodel, params, ours)
        info["ttsolve_model"] = type(ours).__name__
        if not info["verify_max_abs_diff"] <= 1e-9:
            raise RuntimeError(f"{model_name}: ttsolve and DISCS log_prob differences disagree by "
                               f"{info['verify_max_abs_diff']:.3g} > 1e-9")
    except dm.NotAvailable as exc:
        ours, info["ttsolve_model"] = None, f"not in this ttsolve ({exc})"
    x_init = dm.equilibrate(spec, n_chains, seed, sweeps)
    x_ref = dm.random_states(spec, 1, seed + 7)[0]
    info["prepare_s"] = round(time.perf_counter() - t0, 2)
    return spec, ours, x_init, x_ref, info


def run_pair(model_name, discs_sampler, spec, ours, x_init, x_ref, args, order):
    row = dict(model=model_name, sampler=discs_sampler, note=TTSOLVE_FOR[discs_sampler][2],
               load_before=_load(), time=time.strftime("%H:%M:%S"))
    t_pair = time.perf_counter()
    choice = resolve_ttsolve(discs_sampler, ours) if ours is not None else None
    row["ttsolve_sampler"] = None if choice is None else {"name": choice[0], "options": choice[1]}
    row["same_kernel"] = same_kernel(discs_sampler, spec["n_states"], choice)

    def peer():
        try:
            adaptive = discs_runner.SAMPLERS[discs_sampler][1].get("adaptive", False)
            burn = args.peer_burn_in if args.peer_burn_in is not None else args.seconds
            row["peer"] = run_peer(model_name, discs_sampler, spec, x_init, x_ref, args.chains, args.seconds,
                                   args.seed, lb_mh=not args.lb_no_mh, burn_in=burn if adaptive else 0.0,
                                   burn_in_max=args.peer_burn_in_max if adaptive else 0.0)
        except Exception as exc:  # noqa: BLE001 - one failing pair never stops the run
            row["peer_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            if args.verbose:
                traceback.print_exc()

    def mine():
        if choice is None:
            return
        try:
            row["ttsolve"] = run_ttsolve(ours, choice[0], choice[1], x_init, x_ref, args.chains,
                                         args.ttsolve_seconds or max(args.seconds, 3.0), args.seed)
        except Exception as exc:  # noqa: BLE001
            row["ttsolve_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}"
            if args.verbose:
                traceback.print_exc()

    for side in ((peer, mine) if order == 0 else (mine, peer)):
        side()
    row["load_after"] = _load()
    row["pair_s"] = round(time.perf_counter() - t_pair, 1)
    for side in ("peer", "ttsolve"):
        for stat in ("hamming", "energy"):
            if side in row:
                row[side][stat]["reliable"] = row[side][stat]["ess_mean"] >= MIN_ESS
    if "peer" in row and row["peer"]["acceptance"] < 0.02 and discs_runner.SAMPLERS[discs_sampler][1].get("adaptive"):
        row["peer_note"] = (f"DISCS acceptance {row['peer']['acceptance']:.3g}: its adaptation had not settled after "
                            f"{row['peer']['burn_in_steps']} burn-in steps ({row['peer'].get('burn_in_s')} s)")
    if "peer" in row and "ttsolve" in row:
        row["ratio_chain_steps"] = row["ttsolve"]["chain_steps_per_s"] / row["peer"]["chain_steps_per_s"]
        for stat in ("hamming", "energy"):
            p, o = row["peer"][stat], row["ttsolve"][stat]
            if not p["reliable"] and o["reliable"] and row["same_kernel"]:  # same kernel: same ESS per step
                p["ess_per_s_borrowed"] = o["ess_per_step"] * row["peer"]["chain_steps_per_s"]
            ref = p.get("ess_per_s_borrowed", p["ess_per_s"])
            row[f"ratio_ess_per_s_{stat}"] = o["ess_per_s"] / ref if ref > 0 else float("nan")
    return row


# ----------------------------------------------------------------------------- output


def _g(v, digits=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    return f"{v:.{digits}g}"


def _side(row, side, *keys):
    d = row.get(side)
    for k in keys:
        if not isinstance(d, dict):
            return None
        d = d.get(k)
    return d


def markdown(result):
    lines = [f"Run {result['start']} - {result['end']} UTC, {result['chains']} chains, --seconds "
             f"{result['seconds']}, load (1 min) {result['load_start']} at start, {result['load_end']} at end; "
             f"{result['versions']}, ttsolve threads {result.get('threads')}.", ""]
    for key in ("floors_start", "floors_end"):
        if key in result:
            f = result[key]
            lines.append(f"Floor probe ({key.split('_')[1]}, load {f['load']}): float64 GEMM 100x784 @ 784x500 "
                         f"{f['gemm_gflops']:.3g} GFLOP/s; numpy uniform + exp {f['uniform_exp_ns']:.3g} ns/element.")
    lines.append("")
    lines += ["Models (ttsolve model built from DISCS's parameters; max |difference of log_prob differences| "
              "vs DISCS's forward in float64):", ""]
    for m in result["models"]:
        lines.append(f"- {m['model']} (D = {m['dim']}, K = {m['n_states']}): {m.get('ttsolve_model')}"
                     + (f", {m['verify_max_abs_diff']:.1e}" if "verify_max_abs_diff" in m else "")
                     + (f"; {m['error']}" if "error" in m else ""))
    lines += ["", f"'*': per-chain ESS < {MIN_ESS:g} (trace too short to resolve the autocorrelation; "
              "the value is an overestimate). '~': the peer's trace was too short and the kernels are the same, "
              "so its ESS/s is ttsolve's ESS/step x the peer's chain-steps/s. ESS/s sums the chains.", ""]
    hdr = ("| sampler | ttsolve sampler | chain-steps/s DISCS | ttsolve | ratio | ESS/step (Hamming) DISCS / ttsolve "
           "| ESS/s (Hamming) DISCS / ttsolve | ESS/step (energy) DISCS / ttsolve | ESS/s (energy) DISCS / ttsolve "
           "| acceptance DISCS / ttsolve | peer trace steps | load before-after |")
    sep = "|" + "|".join(["---"] * (hdr.count("|") - 1)) + "|"
    for m in result["models"]:
        rows = [r for r in result["rows"] if r["model"] == m["model"]]
        if not rows:
            continue
        lines += [f"**{m['model']}**", "", hdr, sep]
        for r in rows:
            ts = r.get("ttsolve_sampler")
            tname = "-" if ts is None else ts["name"] + "".join(f" {k}={v}" for k, v in ts["options"].items())
            peer_label = "" if _side(r, "peer", "backend") in (None, "discs-jax") else " (torch)"
            err = "; ".join(f"{k.split('_')[0]}: {r[k]}" for k in ("peer_error", "ttsolve_error") if k in r)
            if "peer_note" in r:
                err = (err + "; " if err else "") + r["peer_note"]

            def pair(*keys):
                return f"{_g(_side(r, 'peer', *keys))} / {_g(_side(r, 'ttsolve', *keys))}"

            def ess(stat, key):
                cells = []
                for side in ("peer", "ttsolve"):
                    d = r.get(side, {}).get(stat)
                    if not d:
                        cells.append("-")
                    elif key == "ess_per_s" and "ess_per_s_borrowed" in d:
                        cells.append(f"~{_g(d['ess_per_s_borrowed'])}")
                    else:
                        cells.append(_g(d[key]) + ("" if d["reliable"] else "*"))
                return " / ".join(cells)
            lines.append(
                f"| {r['sampler']}{peer_label} | {tname} | {_g(_side(r, 'peer', 'chain_steps_per_s'))} | "
                f"{_g(_side(r, 'ttsolve', 'chain_steps_per_s'))} | {_g(r.get('ratio_chain_steps'))} | "
                f"{ess('hamming', 'ess_per_step')} | {ess('hamming', 'ess_per_s')} | "
                f"{ess('energy', 'ess_per_step')} | {ess('energy', 'ess_per_s')} | "
                f"{pair('acceptance')} | {_side(r, 'peer', 'steps') or '-'} | "
                f"{r['load_before']}-{r['load_after']}{' | ' + err if err else ''} |".replace(" | |", " |"))
        lines.append("")
    # ESS-per-step ordering per model (Hamming statistic), ttsolve's long traces and DISCS's
    lines += ["ESS per step ordering (Hamming statistic, best first; '*' = per-chain ESS below "
              f"{MIN_ESS:g}, unreliable):", ""]
    for m in result["models"]:
        rows = [r for r in result["rows"] if r["model"] == m["model"]]
        for side, label in (("ttsolve", "ttsolve"), ("peer", "DISCS")):
            ranked = sorted((r for r in rows if r.get(side)), key=lambda r: -r[side]["hamming"]["ess_per_step"])
            if ranked:
                lines.append(f"- {m['model']}, {label}: " + " > ".join(
                    r["sampler"] + ("" if r[side]["hamming"]["reliable"] else "*") for r in ranked))
    lines.append("")
    # compact matrix of chain-steps/s ratios
    samplers = [s for s in DISCS_SAMPLERS if any(r["sampler"] == s for r in result["rows"])]
    lines += ["ttsolve / DISCS chain-steps/s (same model, same chains; '-' = ttsolve has no such sampler yet or "
              "the pair failed):", "", "| model | " + " | ".join(samplers) + " |",
              "|" + "|".join(["---"] * (len(samplers) + 1)) + "|"]
    for m in result["models"]:
        cells = []
        for s in samplers:
            r = next((r for r in result["rows"] if r["model"] == m["model"] and r["sampler"] == s), None)
            cells.append(_g(r.get("ratio_chain_steps"), 2) if r else "")
        lines.append(f"| {m['model']} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


def plot(result, path):
    """ESS/s (Hamming statistic) per sampler per model, DISCS vs ttsolve, log scale."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker  # noqa: F401
    except ImportError as exc:
        raise ImportError("the plot needs matplotlib: pip install matplotlib (or pass --no-plot)") from exc
    models = [m["model"] for m in result["models"] if any(r["model"] == m["model"] for r in result["rows"])]
    if not models:
        return None
    ncol = min(4, len(models))
    nrow = (len(models) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(3.2 * ncol, 2.6 * nrow), squeeze=False)
    for ax, m in zip(axes.ravel(), models):
        rows = [r for r in result["rows"] if r["model"] == m]
        xs = np.arange(len(rows))
        for side, dx, color, label in (("peer", -0.2, "#999999", "DISCS (JAX) / torch"),
                                       ("ttsolve", 0.2, "#1f77b4", "ttsolve")):
            for x, r in zip(xs, rows):
                d = (r.get(side) or {}).get("hamming")
                if not d:
                    continue
                v = d.get("ess_per_s_borrowed", d["ess_per_s"])
                if not v or v <= 0:
                    continue
                weak = not d["reliable"] and "ess_per_s_borrowed" not in d
                ax.bar(x + dx, v, 0.4, color=color, hatch="///" if weak else None, edgecolor="white" if weak else
                       color, label=label if x == xs[0] or not ax.get_legend_handles_labels()[1].count(label) else None)
        ax.set_yscale("log")
        ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(m, fontsize=9)
        ax.set_xticks(xs)
        ax.set_xticklabels([r["sampler"].replace("path_auxiliary", "pas").replace("locallybalanced", "lb")
                            for r in rows], rotation=60, fontsize=7)
        ax.tick_params(axis="y", labelsize=7)
    for ax in axes.ravel()[len(models):]:
        ax.axis("off")
    axes[0, 0].set_ylabel("ESS/s (Hamming to x_ref)", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    fig.text(0.5, 0.005, "hatched: trace too short (per-chain ESS < 20, overestimate); missing bar: no such ttsolve "
             "sampler / failed pair", ha="center", fontsize=7)
    fig.suptitle(f"ESS per second, {result['chains']} chains, load {result['load_start']}-{result['load_end']}",
                 fontsize=9)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=72)
    plt.close(fig)
    return path


def write(result, prefix):
    """PREFIX.json (everything measured) and PREFIX.md (the tables)."""
    os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
    result = dict(result, end=result.get("end", "(running)"), load_end=result.get("load_end", _load()))
    with open(prefix + ".json", "w") as fh:
        json.dump(result, fh, indent=1, default=float)
    with open(prefix + ".md", "w") as fh:
        fh.write(markdown(result))


def combine(results):
    """One result from several runs (a long table measured in chunks, e.g. one model per run):
    models and rows in run order, a later run's (model, sampler) row replacing an earlier one."""
    if not results:
        raise ValueError("combine: no results")
    # the table's start / end are the earliest and latest runs' (the runs may be listed in any
    # order, e.g. models in the table's order but measured in another)
    by_time = sorted(results, key=lambda r: r["start"])
    first, last = by_time[0], max(by_time, key=lambda r: r.get("end") or "~")
    out = dict(first, end=last.get("end", "(running)"), load_end=last.get("load_end"),
               command=" ; ".join(r["command"] for r in results), models=[], rows=[])
    if "floors_end" in last:
        out["floors_end"] = last["floors_end"]
    for r in results:
        if (r["chains"], r["seconds"]) != (first["chains"], first["seconds"]):
            raise ValueError(f"combine: runs differ in --chains / --seconds ({r['command']})")
        for m in r["models"]:
            out["models"] = [x for x in out["models"] if x["model"] != m["model"]] + [m]
        for row in r["rows"]:
            out["rows"] = [x for x in out["rows"] if (x["model"], x["sampler"]) != (row["model"], row["sampler"])]
            out["rows"].append(row)
    out["runs"] = [dict(command=r["command"], start=r["start"], end=r.get("end"), load_start=r["load_start"],
                        load_end=r.get("load_end")) for r in results]
    return out


def _versions():
    import ttsolve

    out = [f"ttsolve {ttsolve.__version__}"]
    for mod in ("jax", "torch"):
        try:
            out.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            pass
    return ", ".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=list(dm.MODEL_NAMES), choices=dm.MODEL_NAMES)
    ap.add_argument("--samplers", nargs="*", default=list(DISCS_SAMPLERS), choices=DISCS_SAMPLERS)
    ap.add_argument("--only", nargs="*", default=None, metavar="MODEL:SAMPLER",
                    help="run just these pairs (overrides --models/--samplers)")
    ap.add_argument("--seconds", type=float, default=2.0, help="timed budget per side per pair (and peer trace)")
    ap.add_argument("--ttsolve-seconds", type=float, default=None,
                    help="budget of the ttsolve run (default max(--seconds, 3): its long trace gives the ESS/step)")
    ap.add_argument("--chains", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweeps", type=int, default=None,
                    help="equilibration sweeps of the start states (default per kind, discrete_models.DEFAULT_SWEEPS)")
    ap.add_argument("--discs-path", default=None, help="DISCS checkout (default $DISCS_PATH)")
    ap.add_argument("--peer-burn-in", type=float, default=None, metavar="SECONDS",
                    help="untimed steps before timing DISCS's adaptive samplers (default --seconds)")
    ap.add_argument("--peer-burn-in-max", type=float, default=30.0, metavar="SECONDS",
                    help="DISCS's adaptive samplers: continue the burn-in until the acceptance of the last 16 "
                         "steps is >= 0.1, for at most this long (DISCS's DMALA/DLMC adapt slowly from equilibrium)")
    ap.add_argument("--lb-no-mh", action="store_true", help="torch locally-balanced peer without MH, as DISCS")
    ap.add_argument("--out", default=None, metavar="PREFIX", help="write PREFIX.json and PREFIX.md")
    ap.add_argument("--plot", default=None, metavar="PNG", help="default PREFIX.png when --out is given")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--threads", type=int, default=None, help="ttsolve threads (default: its default)")
    ap.add_argument("--verbose", action="store_true", help="print tracebacks of failing pairs")
    ap.add_argument("--combine", nargs="+", default=None, metavar="JSON",
                    help="measure nothing: merge the PREFIX.json of earlier runs (in order) into --out's tables "
                         "and plot")
    args = ap.parse_args(argv)
    if args.combine:
        if not args.out:
            ap.error("--combine needs --out PREFIX")
        runs = []
        for path in args.combine:
            with open(path) as fh:
                runs.append(json.load(fh))
        result = combine(runs)
        write(result, args.out)
        print(markdown(result))
        if not args.no_plot:
            print("plot:", plot(result, args.plot or args.out + ".png"))
        return result
    pairs = [tuple(p.split(":", 1)) for p in args.only] if args.only else None
    if pairs:
        bad = [p for p in pairs if len(p) != 2 or p[0] not in dm.MODEL_NAMES or p[1] not in DISCS_SAMPLERS]
        if bad:
            ap.error(f"--only takes MODEL:SAMPLER with MODEL in {dm.MODEL_NAMES} and SAMPLER in {DISCS_SAMPLERS}")
        models = list(dict.fromkeys(m for m, _ in pairs))
    else:
        models = args.models
    discs_runner.import_discs(args.discs_path)
    import ttsolve

    if args.threads:
        ttsolve.set_num_threads(args.threads)
    result = dict(start=time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), load_start=_load(), chains=args.chains,
                  seconds=args.seconds, seed=args.seed, versions=_versions(), threads=ttsolve.config()["threads"],
                  command=" ".join(["python", "bench/discrete.py"] + (argv if argv is not None else sys.argv[1:])),
                  models=[], rows=[])
    result["floors_start"] = measure_floors(args.chains)
    print("floors:", result["floors_start"], flush=True)
    order = 0
    print(f"{'model':20s} {'sampler':16s} {'ttsolve':22s} {'DISCS c-s/s':>11s} {'ttsolve':>9s} {'ratio':>7s} "
          f"{'ESS/s H peer':>12s} {'ours':>9s}  load", flush=True)
    for model_name in models:
        samplers = [s for m, s in pairs if m == model_name] if pairs else args.samplers
        try:
            spec, ours, x_init, x_ref, info = prepare_model(model_name, args.chains, args.seed, args.discs_path,
                                                            args.sweeps)
        except Exception as exc:  # noqa: BLE001
            result["models"].append(dict(model=model_name, dim=0, n_states=0, error=f"{type(exc).__name__}: {exc}"))
            print(f"{model_name:20s} PREPARE FAILED: {type(exc).__name__}: {exc}", flush=True)
            continue
        result["models"].append(info)
        for s in samplers:
            if s == "gwg1" and spec["n_states"] > 2:
                continue  # DISCS's categorical gwg is already the one-move kernel
            row = run_pair(model_name, s, spec, ours, x_init, x_ref, args, order)
            order ^= 1
            result["rows"].append(row)
            if args.out:  # after every pair, so an interrupted run keeps what it measured
                write(result, args.out)
            ts = row.get("ttsolve_sampler")
            print(f"{model_name:20s} {s:16s} {('-' if ts is None else ts['name']):22s} "
                  f"{_g(_side(row, 'peer', 'chain_steps_per_s')):>11s} "
                  f"{_g(_side(row, 'ttsolve', 'chain_steps_per_s')):>9s} {_g(row.get('ratio_chain_steps')):>7s} "
                  f"{_g(_side(row, 'peer', 'hamming', 'ess_per_s')):>12s} "
                  f"{_g(_side(row, 'ttsolve', 'hamming', 'ess_per_s')):>9s}  "
                  f"{row['load_before']}-{row['load_after']} "
                  f"{row.get('peer_error', '')} {row.get('ttsolve_error', '')}", flush=True)
    result["floors_end"] = measure_floors(args.chains)
    result["end"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    result["load_end"] = _load()
    print("\n" + markdown(result))
    if args.out:
        write(result, args.out)
    png = args.plot or (args.out + ".png" if args.out else None)
    if png and not args.no_plot:
        try:
            print("plot:", plot(result, png))
        except ImportError as exc:
            print(f"no plot: {exc}")
    return result


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    main()
