"""Error estimates of the PDE solver (issue 17 B): scheme orders, accuracy per second, coverage.

    python bench/pde_error.py order          # error vs N per scheme on small built-ins (orders, err x time)
    python bench/pde_error.py schemes        # accuracy per second of each scheme at the problems' default N
    python bench/pde_error.py coverage       # sol.error_estimate() brackets |V(0,x0) - ref|? over seeds
    python bench/pde_error.py coverage --quick   # small problems, 3 seeds (what tests/test_pde_error_estimate.py checks)

Each section prints a markdown table (with the 1-minute load average at start and end) and, with
``--json PATH``, writes its rows.  Sizes are reduced where the problems' defaults would take
minutes per solve on the 2-core test machine (stated in the "problem" column).
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

from ttsolve.pde import get_problem, solve

# (label, problem name, factory kwargs, solve kwargs): small versions of the built-ins with references
ORDER_CASES = [
    ("hjb d=10", "hjb", dict(dim=10), {}),
    ("hjb d=5 K=1000", "hjb", dict(dim=5), dict(n_samples=1000)),
    ("cir-affine d=5", "cir-affine", dict(dim=5), {}),
    ("doublewell d=5", "doublewell", dict(dim=5), {}),
    ("doublewell-interacting d=20", "doublewell-interacting", dict(dim=20), {}),
    ("unboundedsin d=5 K=2000 Mg=32", "unboundedsin", dict(dim=5), dict(n_samples=2000, inner_samples_g=32)),
]

COVERAGE_CASES = [
    ("hjb d=100", "hjb", dict(dim=100), {}),
    ("hjb small d=10", "hjb", dict(dim=10), {}),
    ("doublewell d=5", "doublewell", dict(dim=5), {}),
    ("doublewell-interacting d=20", "doublewell-interacting", dict(dim=20), {}),  # N = 60, coarse partner 30
    # the old default N = 30: its coarse partner N = 15 is at the fixed point's stability limit
    ("doublewell-interacting N=30 d=20", "doublewell-interacting", dict(dim=20), dict(n_steps=30)),
    ("unboundedsin d=5 K=2000 Mg=32", "unboundedsin", dict(dim=5), dict(n_samples=2000, inner_samples_g=32)),
    ("unboundedsin default d=10", "unboundedsin", dict(dim=10), {}),  # ~80 s per solve on a quiet machine
    ("cir-affine d=5", "cir-affine", dict(dim=5), {}),
]

QUICK_COVERAGE_CASES = [
    ("hjb d=5 N=20 K=500", "hjb", dict(dim=5), dict(n_steps=20, n_samples=500)),
    ("cir-affine d=3 N=20 K=500", "cir-affine", dict(dim=3), dict(n_steps=20, n_samples=500)),
    ("unboundedsin d=3 N=20 K=500 Mg=16", "unboundedsin", dict(dim=3), dict(n_steps=20, n_samples=500,
                                                                           inner_samples_g=16)),
]


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def order(seeds=range(3), levels=(25, 50, 100), schemes=("explicit", "implicit", "trapezoidal"), cases=None):
    """Mean signed error of V(0, x0) over seeds per (problem, scheme, N), observed order
    log2(|e_N| / |e_2N|), and error x time (lower is better)."""
    rows = []
    print(f"load at start {_load()}")
    print("| problem | scheme | N | mean rel. err (signed) | sd over seeds | observed order | time [s] | |err| x time |")
    print("|---|---|---|---|---|---|---|---|")
    for label, name, pk, kw in ORDER_CASES if cases is None else cases:
        p = get_problem(name, **pk)
        ref = p.reference_value
        for scheme in schemes:
            prev = None
            for N in levels:
                errs, times = [], []
                for s in seeds:
                    t0 = time.perf_counter()
                    try:
                        v0 = solve(p, scheme=scheme, n_steps=N, seed=s, **kw).v0
                    except Exception as exc:  # noqa: BLE001  (diverged: recorded, not fatal)
                        print(f"  {label} {scheme} N={N} seed {s}: {type(exc).__name__}: {str(exc)[:80]}")
                        v0 = math.nan
                    times.append(time.perf_counter() - t0)
                    errs.append((v0 - ref) / abs(ref))
                e, sd, t = float(np.mean(errs)), float(np.std(errs, ddof=1)), float(np.mean(times))
                obs = math.log2(abs(prev) / abs(e)) if prev is not None and e != 0 else math.nan
                prev = e
                rows.append(dict(problem=label, scheme=scheme, N=N, err=e, sd=sd, order=obs, time=t))
                print(f"| {label} | {scheme} | {N} | {e:+.2e} | {sd:.1e} | {obs:.2f} | {t:.1f} | {abs(e) * t:.2e} |",
                      flush=True)
    print(f"load at end {_load()}")
    return rows


def schemes(seeds=range(2), schemes=("explicit", "implicit", "trapezoidal")):
    """Accuracy per second: every scheme on every ORDER_CASES problem at the problem's default
    N and settings (only the scheme changed); mean |rel. err| and time over ``seeds``."""
    rows = []
    print(f"load at start {_load()}")
    print("| problem | N | scheme | mean abs. rel. err | time [s] | err x time | err x time / best |")
    print("|---|---|---|---|---|---|---|")
    for label, name, pk, kw in ORDER_CASES:
        p = get_problem(name, **pk)
        ref = p.reference_value
        mine = []
        for scheme in schemes:
            errs, times = [], []
            for s in seeds:
                t0 = time.perf_counter()
                try:
                    v0 = solve(p, scheme=scheme, seed=s, **kw).v0
                except Exception as exc:  # noqa: BLE001  (diverged: recorded as an infinite error)
                    print(f"  {label} {scheme} seed {s}: {type(exc).__name__}: {str(exc)[:80]}")
                    v0 = math.inf
                times.append(time.perf_counter() - t0)
                errs.append(abs(v0 - ref) / abs(ref))
            mine.append(dict(problem=label, N=p.defaults.get("n_steps"), scheme=scheme, err=float(np.mean(errs)),
                             time=float(np.mean(times))))
        best = min(r["err"] * r["time"] for r in mine)
        for r in mine:
            r["score"] = r["err"] * r["time"] / best
            print(f"| {label} | {r['N']} | {r['scheme']} | {r['err']:.2e} | {r['time']:.1f} | {r['err'] * r['time']:.2e} | "
                  f"{r['score']:.1f} |", flush=True)
        rows += mine
    for scheme in schemes:
        g = np.exp(np.mean([math.log(r["score"]) for r in rows if r["scheme"] == scheme]))
        print(f"  {scheme}: geometric mean of (err x time / best) over the problems {g:.2f}")
    print(f"load at end {_load()}")
    return rows


def coverage(cases=COVERAGE_CASES, seeds=range(5), replicas=2, coarse_factor=2):
    """For each case and seed: solve, error_estimate, and whether |v0 - ref| <= total bound."""
    rows = []
    print(f"load at start {_load()}; error_estimate(replicas={replicas}, coarse_factor={coarse_factor})")
    print("| problem | scheme | seed | rel. err | est. time part | est. stat part | est. bound | bracketed | "
          "Richardson rel. err | cost [s] |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, name, pk, kw in cases:
        p = get_problem(name, **pk)
        ref = p.reference_value
        for s in seeds:
            t0 = time.perf_counter()
            sol = solve(p, seed=s, **kw)
            try:
                est = sol.error_estimate(replicas=replicas, coarse_factor=coarse_factor)
            except Exception as exc:  # noqa: BLE001  (recorded, the run goes on)
                print(f"| {label} | {sol.settings['scheme']} | {s} | {abs(sol.v0 - ref) / abs(ref):.2e} | "
                      f"error_estimate failed: {type(exc).__name__}: {str(exc)[:80]} |", flush=True)
                continue
            cost = time.perf_counter() - t0
            err = abs(sol.v0 - ref)
            ok = err <= est.bound
            rich = abs(est.richardson - ref) if est.richardson is not None else math.nan
            a = abs(ref)
            rows.append(dict(problem=label, scheme=sol.settings["scheme"], seed=s, err=err / a,
                             time_part=est.time_discretisation / a, stat_part=est.statistical / a,
                             bound=est.bound / a, bracketed=bool(ok), richardson_err=rich / a, cost=cost,
                             reference=ref, n_steps=est.n_steps, coarse_n_steps=est.coarse_n_steps,
                             fine=list(est.replica_values), coarse=list(est.coarse_values)))
            print(f"| {label} | {sol.settings['scheme']} | {s} | {err / a:.2e} | {est.time_discretisation / a:.2e} | "
                  f"{est.statistical / a:.2e} | {est.bound / a:.2e} | {'yes' if ok else 'NO'} | {rich / a:.2e} | "
                  f"{cost:.0f} |", flush=True)
            print(f"  values: fine {list(est.replica_values)} coarse {list(est.coarse_values)}"
                  + (f"; diverged and redrawn: {[f[:4] for f in est.failed_solves]}" if est.failed_solves else ""),
                  flush=True)
            rows[-1]["failed_solves"] = [list(f[:4]) for f in est.failed_solves]
        mine = [r for r in rows if r["problem"] == label]
        ef = np.mean([np.mean(r["fine"]) for r in mine]) - ref
        ec = np.mean([np.mean(r["coarse"]) for r in mine]) - ref
        print(f"  {label}: bracketed {sum(r['bracketed'] for r in mine)}/{len(mine)}; mean signed error over all "
              f"fine solves {ef / abs(ref):+.2e}, coarse {ec / abs(ref):+.2e}: observed order "
              f"{math.log2(abs(ec / ef)):.2f}; median bound/error {np.median([r['bound'] / r['err'] for r in mine]):.1f}",
              flush=True)
    print(f"load at end {_load()}")
    return rows


if __name__ == "__main__":
    argv = sys.argv[1:]
    json_path = None
    if "--json" in argv:
        i = argv.index("--json")
        json_path = argv[i + 1]
        del argv[i:i + 2]
    quick = "--quick" in argv
    argv = [a for a in argv if a != "--quick"]
    seeds = None
    if "--seeds" in argv:  # --seeds 3,4: the coverage seeds (default 0..4; --quick 0..2)
        i = argv.index("--seeds")
        seeds = [int(x) for x in argv[i + 1].split(",")]
        del argv[i:i + 2]
    scheme_list = None
    if "--schemes" in argv:  # --schemes implicit,trapezoidal (order section)
        i = argv.index("--schemes")
        scheme_list = argv[i + 1].split(",")
        del argv[i:i + 2]
    only = None
    if "--only" in argv:  # --only SUBSTRING: the coverage cases whose label contains it (repeatable)
        only = []
        while "--only" in argv:
            i = argv.index("--only")
            only.append(argv[i + 1])
            del argv[i:i + 2]
    out = {}
    for section in argv or ["order", "coverage"]:
        if section == "order":
            picked = None if not only else [c for c in ORDER_CASES if any(o in c[0] for o in only)]
            out["order"] = order(cases=picked, schemes=tuple(scheme_list) if scheme_list else
                                 ("explicit", "implicit", "trapezoidal"))
        elif section == "schemes":
            out["schemes"] = schemes()
        elif section == "coverage":
            cases = QUICK_COVERAGE_CASES if quick else COVERAGE_CASES
            if only:
                cases = [c for c in cases if any(o in c[0] for o in only)]
            out["coverage"] = coverage(cases, seeds=seeds or (range(3) if quick else range(5)))
        else:
            raise SystemExit(f"unknown section {section!r}; choose order, schemes, coverage")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(out, f, indent=1)
