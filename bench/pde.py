"""Benchmark of the BSDE/functional-TT PDE solver (issue 5).

    python bench/pde.py                 # every section (long)
    python bench/pde.py hjb             # HJB d=100, implicit + explicit, K=2000, seed 0
    python bench/pde.py hjb-seeds       # HJB d=100 implicit, K=2000, seeds 0..7 (error statistics)
    python bench/pde.py hjb-k           # HJB d=100 implicit, error vs K 1e3..1e5, time and peak memory
                                        # (each K in its own process: peak RSS by os.wait4)
    python bench/pde.py wells sin cir deep
    python bench/pde.py dwi             # DoubleWellInteracting: 10 seeds per N (TTSOLVE_BENCH_N, default
                                        # 30,60): errors, fixed-point stop reasons, wall and CPU time

Every run uses the problem's default solver settings (``problem.defaults``, shown in the
table) unless the section says otherwise.  One table row per run: problem, scheme, settings,
V(0,x0), reference, rel. error of V(0,x0), mean pointwise and L2 relative error along 200
independent test paths (when an exact solution exists), time.
"""

from __future__ import annotations

import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Report  # noqa: E402
from ttsolve.pde import SolverDivergedError, get_problem, solve  # noqa: E402

REPORT = Report("pde", statistic="one run each")  # every row of this run; printed as it goes


def _settings(sol) -> str:
    s = sol.settings
    out = f"deg {s['degree']} r {s['max_rank']}"
    if s.get("additive_powers", 1) > 1:
        out += f" g^1..{s['additive_powers']}"
    if s["inner_samples"]:
        out += f" M {s['inner_samples']}"
        if s["inner_samples_g"] != s["inner_samples"]:
            out += f"/{s['inner_samples_g']}"
    if s["scheme"] == "implicit":
        out += f" fp<={s['max_fixed_point']}"
    return out


def run(name, dim, scheme=None, K=None, paths=True, **kw):
    p = get_problem(name, dim=dim)
    t0 = time.perf_counter()
    sol = solve(p, scheme=scheme, n_samples=K, **kw)
    t = time.perf_counter() - t0
    err = sol.relative_error(n_paths=200) if paths else {}
    ref = p.reference_value
    if ref is not None:
        err["v0"] = abs(sol.v0 - ref) / abs(ref)
    print(f"| {name} | {dim} | {sol.settings['scheme']} | {_settings(sol)} | {sol.n_steps} | {sol.settings['n_samples']} | seed {kw.get('seed', 0)} | "
          f"{sol.v0:.6f} | {'-' if ref is None else f'{ref:.6f}'} | {err.get('v0', float('nan')):.2e} | "
          f"{err.get('path_mean', float('nan')):.2e} | {err.get('path_l2', float('nan')):.2e} | {t:.1f} |", flush=True)
    REPORT.add(problem=name, d=dim, scheme=sol.settings["scheme"], settings=_settings(sol), N=sol.n_steps,
               K=sol.settings["n_samples"], seed=kw.get("seed", 0), v0=sol.v0, reference=ref,
               rel_err_v0=err.get("v0"), path_mean=err.get("path_mean"), path_l2=err.get("path_l2"), time=t)
    return sol, t, err


_K_ROW = """
import json, os, sys, time
from ttsolve.pde import get_problem, solve
p = get_problem("hjb", dim=100)
t0 = time.perf_counter(); c0 = time.process_time()
sol = solve(p, n_samples={K}, seed={seed})
print(json.dumps(dict(v0=sol.v0, time=time.perf_counter() - t0, cpu=time.process_time() - c0,
                      estimate=sol.memory["total"], layout=sol.memory["layout"],
                      err=abs(sol.v0 - p.reference_value) / p.reference_value)))
"""


def k_row(K, repeats=1, seed=0):
    """HJB d = 100, K paths (+ K/4 validation), in a fresh process per run: wall time, CPU time,
    peak resident memory of that process (os.wait4's ru_maxrss) and the solver's own estimate.
    Medians over ``repeats`` runs (seed fixed: the runs differ only in time)."""
    import json
    import subprocess
    runs = []
    for _ in range(repeats):
        load = os.getloadavg()[0]
        proc = subprocess.Popen([sys.executable, "-c", _K_ROW.format(K=K, seed=seed)], stdout=subprocess.PIPE, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            print(f"| hjb | K={K} | failed (status {status}) |", flush=True)
            return
        row = json.loads(out.strip().splitlines()[-1])
        row.update(peak_rss=usage.ru_maxrss * 1024, load=load)
        runs.append(row)
    med = {k: float(np.median([r[k] for r in runs])) for k in ("time", "cpu", "peak_rss", "load")}
    r0 = runs[0]
    print(f"| hjb | 100 | implicit | defaults | 100 | {K} | seed {seed} | {r0['v0']:.6f} | {r0['err']:.2e} | "
          f"{med['time']:.1f} | {med['cpu']:.1f} | {med['peak_rss'] / 2**30:.2f} | {r0['estimate'] / 2**30:.2f} "
          f"({r0['layout']}) | {repeats} | {med['load']:.1f} |", flush=True)
    REPORT.add(problem="hjb", d=100, scheme="implicit", N=100, K=K, seed=seed, v0=r0["v0"], rel_err_v0=r0["err"],
               time=med["time"], cpu=med["cpu"], peak_rss=med["peak_rss"], estimate=r0["estimate"],
               layout=r0["layout"], repeats=repeats, load=med["load"])


def dwi_row(N, seed, **kw):
    """One DoubleWellInteracting solve at N steps: signed rel. error, how the fixed point stopped."""
    p = get_problem("doublewell-interacting")
    t0, c0 = time.perf_counter(), time.process_time()
    ref = p.reference_value
    try:
        sol = solve(p, n_steps=N, seed=seed, **kw)
    except SolverDivergedError as exc:
        print(f"| {N} | {kw.get('n_samples', '-')} | - | {seed} | diverged: {str(exc)[:90]} | | | "
              f"{time.perf_counter() - t0:.1f} | {time.process_time() - c0:.1f} | {os.getloadavg()[0]:.1f} |", flush=True)
        return math.nan, time.perf_counter() - t0
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    err = (sol.v0 - ref) / abs(ref)
    stops = [d.stop_reason for d in sol.diagnostics if d.step > 0]
    counts = {k: stops.count(k) for k in ("change", "max_fixed_point", "not contracting")}
    its = sum(d.iterations for d in sol.diagnostics if d.step > 0)
    print(f"| {N} | {sol.settings['n_samples']} | {sol.settings['max_fixed_point']} | {seed} | {sol.v0:.6f} | {err:+.2e} | {counts['change']} / "
          f"{counts['max_fixed_point']} / {counts['not contracting']} | {its} | {wall:.1f} | {cpu:.1f} | "
          f"{os.getloadavg()[0]:.1f} |", flush=True)
    REPORT.add(problem="doublewell-interacting", d=p.dim, scheme=sol.settings["scheme"], N=N, K=sol.settings["n_samples"],
               seed=seed, v0=sol.v0, reference=ref, rel_err_v0=err, stops=counts, iterations=its, time=wall, cpu=cpu,
               max_fixed_point=sol.settings["max_fixed_point"])
    return err, wall


def dwi(Ns, seeds, **kw):
    print("| N | K | max fp | seed | V(0,x0) | rel.err (signed) | steps stopped by change / cap / not contracting | "
          "fp iterations | wall [s] | CPU [s] | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for N in Ns:
        rows = [dwi_row(N, s, **kw) for s in seeds]
        e = np.array([r[0] for r in rows if not math.isnan(r[0])])
        print(f"  N={N}: {len(rows) - len(e)} of {len(rows)} diverged; the others: mean |rel.err| {np.mean(np.abs(e)):.2e}, signed mean {np.mean(e):+.2e}, sd {np.std(e, ddof=1):.2e}, "
              f"max |rel.err| {np.max(np.abs(e)):.2e}, mean wall {np.mean([r[1] for r in rows]):.1f} s", flush=True)


def main(sections):
    print("| problem | d | scheme | settings | N | K | seed | V(0,x0) | reference | rel.err V0 | "
          "mean rel.err paths | L2 rel.err paths | time [s] |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    budget = None
    if "hjb-k" in sections:
        print("| problem | d | scheme | settings | N | K | seed | V(0,0) | rel.err V0 | wall [s] | CPU [s] | "
              "peak RSS [GiB] | estimate [GiB] | runs | load |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    if "hjb" in sections:
        _, budget, _ = run("hjb", 100)
        run("hjb", 100, "explicit")
        run("hjb", 100, "trapezoidal")
        run("hjb", 100, additive_powers=1)  # the paper's ansatz a + c g
        run("hjb", 100, additive_powers=1, inner_samples=0)  # ... and scheme: own increment + martingale term
    if "hjb-seeds" in sections:
        for scheme in ("implicit", "trapezoidal"):
            errs = [run("hjb", 100, scheme, seed=s)[2] for s in range(8)]
            for key in ("v0", "path_mean"):
                e = [x[key] for x in errs]
                print(f"HJB {scheme} K=2000 over 8 seeds: {key} rel.err mean {np.mean(e):.2e}, rms "
                      f"{np.sqrt(np.mean(np.square(e))):.2e}, max {np.max(e):.2e}")
    if "hjb-k" in sections:
        repeats = int(os.environ.get("TTSOLVE_BENCH_REPEATS", "1"))
        ks = os.environ.get("TTSOLVE_BENCH_K", "1000,3000,10000,30000,100000")
        for K in (int(k) for k in ks.split(",")):
            k_row(K, repeats if K <= 10000 else 1)
    if "wells" in sections:
        for s in range(3):
            run("doublewell", 50, paths=False, seed=s)
        for s in range(3):
            run("doublewell-interacting", 20, paths=False, seed=s)
    if "dwi" in sections:
        Ns = [int(x) for x in os.environ.get("TTSOLVE_BENCH_N", "30,60").split(",")]
        seeds = [int(x) for x in os.environ.get("TTSOLVE_BENCH_SEEDS", "0,1,2,3,4,5,6,7,8,9").split(",")]
        over = dict(max_fixed_point=os.environ.get("TTSOLVE_BENCH_FP"), n_samples=os.environ.get("TTSOLVE_BENCH_K"))
        dwi(Ns, seeds, **{k: int(v) for k, v in over.items() if v is not None})  # overrides of the defaults
    if "sin" in sections:  # TTSOLVE_BENCH_SEEDS=1: one seed per run (each takes minutes), no implicit row
        seeds = os.environ.get("TTSOLVE_BENCH_SEEDS")
        for s in range(3) if seeds is None else [int(x) for x in seeds.split(",")]:
            run("unboundedsin", 10, seed=s)  # defaults: trapezoidal, K = 8000, M 8/128
        if seeds is None:  # first order: the coefficient of g drifts to ~1.1 whatever K (docs/pde.md)
            run("unboundedsin", 10, "implicit", K=2000)
    if "cir" in sections:
        for scheme in ("explicit", "implicit"):
            sol, _, _ = run("cir", 100, scheme, K=1000, paths=False, degree=2, max_rank=1)
            r = sol.pde_residual(n_paths=50, n_times=10)
            print(f"  CIR {scheme} PDE residual along 50 test paths at 10 times: mean |r| {r['mean_abs']:.3e}, "
                  f"rms {r['rms']:.3e}")
    if "deep" in sections:
        from deep_bsde import deep_bsde

        ref = get_problem("hjb", dim=100).reference_value
        for b in (budget or 10.0, 60.0):
            out = deep_bsde("hjb", dim=100, budget=b)
            print(f"Deep BSDE HJB d=100, budget {b:.0f} s: y0 {out['y0']:.6f}, "
                  f"rel.err {abs(out['y0'] - ref) / ref:.2e}, iterations {out['iterations']}", flush=True)


if __name__ == "__main__":
    argv = sys.argv[1:]
    json_path = None
    if "--json" in argv:  # --json PATH: the rows (and load, threads) as JSON after the run
        i = argv.index("--json")
        json_path = argv[i + 1]
        del argv[i:i + 2]
    main(argv or ["hjb", "hjb-seeds", "hjb-k", "wells", "sin", "cir", "deep"])
    print()
    REPORT.settings = {"sections": argv}
    REPORT.finish(json_path, columns=["problem", "d", "scheme", "N", "K", "seed", "rel_err_v0", "time"])
