"""Tensor-train arithmetic: ttsolve against teneva, tensorly and torchtt in one process.

Cases (issue 2): d = 100, n = 10
  round     round a sum of two rank-30 trains to rank 20 (eps = 1e-14)
  add+round five steps z <- round(z + t_i, rank 30), t_i of rank 10 (eps = 1e-14)
            (ttsolve's default rounding against teneva's SVD and Gram/eigh paths and
            torchtt; ttsolve forced to SVD on every bond; ttsolve's randomized rounding)
  round_sum the same two cases with ttsolve.round_sum (no block sum cores formed)
  dot       inner product of two rank-30 trains
  evaluate  100,000 random multi-indices of a rank-20 train
  tt-svd    TT-SVD (eps = 1e-10) of a 10^6-entry dense tensor (10 x ... x 10, d = 6)

Every library gets the same cores (converted once, outside the timings) and the median
of --repeats timed runs is reported; teneva (numpy) is timed with one and with all BLAS
threads and the faster counts (so is tensorly). Results are cross-checked (relative differences
printed below the table). Run:  python bench/tt_ops.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np

import ttsolve
from ttsolve import TensorTrain, _core, round_sum

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Report, add_arguments, measure  # noqa: E402

warnings.filterwarnings("ignore")  # torchtt warns about its missing C++ extension

try:
    import teneva
except ImportError:  # pragma: no cover
    teneva = None
try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None
try:
    import tensorly as tl
    from tensorly.decomposition import tensor_train as tl_tensor_train
except ImportError:  # pragma: no cover
    tl = None
try:
    import torch
    import torchtt
except ImportError:  # pragma: no cover
    torchtt = None


def median_time(fn, repeats):
    """Median of ``repeats`` timed runs after one warm-up (allocations, lazy imports)."""
    return measure(fn, repeats, warmup=1).median


def peer_time(fn, repeats):
    """median_time with the BLAS pool at one thread and at all threads; the faster counts.
    numpy-based peers (teneva, tensorly) get their best setting: on this shared 2-vCPU VM, two
    OpenBLAS threads are at times twice as slow as one."""
    if threadpool_limits is None:  # pragma: no cover
        return median_time(fn, repeats)
    times = []
    for nt in sorted({1, os.cpu_count() or 1}):
        with threadpool_limits(nt, user_api="blas"):
            times.append(median_time(fn, repeats))
    return min(times)


def np_cores(x: TensorTrain):
    return [np.array(c) for c in x.cores]


def to_torchtt(x: TensorTrain):
    return torchtt.TT([torch.from_numpy(np.array(c)) for c in x.cores])


def from_cores(cores) -> TensorTrain:
    return TensorTrain([np.asarray(c.numpy() if hasattr(c, "numpy") else c) for c in cores])


def rel_diff(a: TensorTrain, b: TensorTrain) -> float:
    return (a - b).norm() / b.norm()


PEERS = ["teneva", "tensorly", "torchtt"]


def report(rep, rows, checks, json_path=None):
    """Prints the table of times and ratios (peer time / ttsolve time), then the accuracy
    cross-checks; the same as JSON when asked."""
    peers = PEERS
    for name, t in rows:
        rep.add(case=name, **t)
    rep.note("\nCross-checks:")
    for name, val in checks:
        rep.note(f"  {name}: {val:.4e}")
    cols = ["case", "ttsolve"] + [c for p in peers for c in (p, f"{p}/ttsolve")]
    rep.finish(json_path, columns=cols)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p, repeats=5)
    p.add_argument("--round-only", action="store_true", help="only the rounding cases")
    args = p.parse_args(argv)
    R = args.repeats
    rep = Report("tt_ops", settings={"repeats": R, "d": 100, "n": 10},
                 ratios={f"{p}/ttsolve": (p, "ttsolve") for p in PEERS})  # load at start
    d, n = 100, 10
    dims = [n] * d
    rows, checks = [], []

    x = TensorTrain.random(dims, 30, seed=1)
    y = TensorTrain.random(dims, 30, seed=2)
    s = x + y

    # ---- round and add+round chains -------------------------------------------------
    # teneva.truncate uses Gram matrices + eigh by default (fast, but only ~1e-8 relative
    # accuracy); is_eigh=False gives its SVD-based truncation, the same algorithm as
    # ttsolve's method='svd'. ttsolve's method='randomized' is compared with both.
    terms = [TensorTrain.random(dims, 10, seed=10 + i) for i in range(5)]

    def ts_round(method):
        kw = {"method": "randomized", "seed": 0} if method == "randomized" else {}
        return lambda z, r: z.round(1e-14, max_rank=r, **kw)

    def tn_round(is_eigh):
        return lambda z, r: teneva.truncate(z, 1e-14, r, is_eigh=is_eigh)

    def chain(add, rnd):
        def run(z, ts):
            for ti in ts:
                z = rnd(add(z, ti), 30)
            return z
        return run

    # ttsolve's default round picks Gram+eig or SVD per bond (here: Gram, as max_rank cuts
    # off most of the tensor); it is compared with teneva's SVD path and with its fastest
    # (Gram) path. "SVD bonds" forces ttsolve's SVD on every bond (the previous default).
    def ts_svd_bonds(z, r):
        return TensorTrain._wrap(_core._testing.tt_round_paths(z._tt, 1e-14, r, "svd")[0])

    variants = [("default vs SVD", ts_round("svd"), tn_round(False) if teneva else None, True),
                ("default vs Gram", ts_round("svd"), tn_round(True) if teneva else None, False),
                ("SVD bonds vs SVD", ts_svd_bonds, tn_round(False) if teneva else None, False),
                ("rand. vs Gram", ts_round("randomized"), tn_round(True) if teneva else None, False)]
    for label, ts_fn, tn_fn, with_torch in variants:
        ref = ts_fn(s, 20)
        t = {"ttsolve": median_time(lambda: ts_fn(s, 20), R)}
        # SVD truncations are orthogonal projections: a larger ||r|| / ||s|| is a smaller error.
        checks.append((f"round {label}: ||r|| / ||s||, ttsolve", ref.norm() / s.norm()))
        if tn_fn:
            sc = np_cores(s)
            t["teneva"] = peer_time(lambda: tn_fn(sc, 20), R)
            checks.append((f"round {label}: ||r|| / ||s||, teneva", from_cores(tn_fn(sc, 20)).norm() / s.norm()))
        if torchtt and with_torch:
            st = to_torchtt(s)
            t["torchtt"] = median_time(lambda: st.round(1e-14, 20), R)
            checks.append((f"round {label}: ||r|| / ||s||, torchtt",
                           from_cores(st.round(1e-14, 20).cores).norm() / s.norm()))
        rows.append((f"round x+y -> r20, {label}", t))

        run = chain(lambda a, b: a + b, ts_fn)
        t = {"ttsolve": median_time(lambda: run(x, terms), R)}
        zref = run(x, terms)
        exact = x
        for ti in terms:
            exact = exact + ti
        # The truncations of random trains are far from unique: compare errors, not results.
        checks.append((f"add+round {label}: ||z - exact|| / ||exact||, ttsolve", rel_diff(zref, exact)))
        if tn_fn:
            xc, tc = np_cores(x), [np_cores(ti) for ti in terms]
            run_tn = chain(teneva.add, tn_fn)
            t["teneva"] = peer_time(lambda: run_tn(xc, tc), R)
            checks.append((f"add+round {label}: same, teneva", rel_diff(from_cores(run_tn(xc, tc)), exact)))
        if torchtt and with_torch:
            xt, tt_terms = to_torchtt(x), [to_torchtt(ti) for ti in terms]
            run_tt = chain(lambda a, b: a + b, lambda z, r: z.round(1e-14, r))
            t["torchtt"] = median_time(lambda: run_tt(xt, tt_terms), R)
            checks.append((f"add+round {label}: same, torchtt",
                           rel_diff(from_cores(run_tt(xt, tt_terms).cores), exact)))
        rows.append((f"add+round x5 -> r30, {label}", t))

    # round_sum rounds x + y without forming the sum's block cores; teneva gets the same
    # data as teneva.add + teneva.truncate (its default Gram path and its SVD path).
    for label, is_eigh in [("vs SVD", False), ("vs Gram", True)]:
        t = {"ttsolve": median_time(lambda: round_sum([x, y], 1e-14, 20), R)}
        checks.append((f"round_sum {label}: ||r|| / ||s||, ttsolve", round_sum([x, y], 1e-14, 20).norm() / s.norm()))
        if teneva:
            xc, yc = np_cores(x), np_cores(y)
            tn_fn = tn_round(is_eigh)
            t["teneva"] = peer_time(lambda: tn_fn(teneva.add(xc, yc), 20), R)
            checks.append((f"round_sum {label}: ||r|| / ||s||, teneva",
                           from_cores(tn_fn(teneva.add(xc, yc), 20)).norm() / s.norm()))
        rows.append((f"round_sum x+y -> r20, {label}", t))

        run = chain(lambda a, b: [a, b], lambda pair, r: round_sum(pair, 1e-14, r))
        t = {"ttsolve": median_time(lambda: run(x, terms), R)}
        checks.append((f"add+round_sum {label}: ||z - exact|| / ||exact||, ttsolve", rel_diff(run(x, terms), exact)))
        if teneva:
            xc, tc = np_cores(x), [np_cores(ti) for ti in terms]
            run_tn = chain(teneva.add, tn_round(is_eigh))
            t["teneva"] = peer_time(lambda: run_tn(xc, tc), R)
            checks.append((f"add+round_sum {label}: same, teneva", rel_diff(from_cores(run_tn(xc, tc)), exact)))
        rows.append((f"add+round_sum x5 -> r30, {label}", t))

    if args.round_only:
        report(rep, rows, checks, args.json)
        return

    # ---- dot ----------------------------------------------------------------------
    t = {"ttsolve": median_time(lambda: x.dot(y), R)}
    v = x.dot(y)
    if teneva:
        xc, yc = np_cores(x), np_cores(y)
        t["teneva"] = peer_time(lambda: teneva.mul_scalar(xc, yc), max(1, R // 2))
        checks.append(("dot: |teneva - ttsolve| / (|x||y|)", abs(teneva.mul_scalar(xc, yc) - v) / (x.norm() * y.norm())))
    if torchtt:
        xt, yt = to_torchtt(x), to_torchtt(y)
        t["torchtt"] = median_time(lambda: torchtt.dot(xt, yt), R)
        checks.append(("dot: |torchtt - ttsolve| / (|x||y|)", abs(float(torchtt.dot(xt, yt)) - v) / (x.norm() * y.norm())))
    rows.append(("dot (rank 30)", t))

    # ---- evaluate -------------------------------------------------------------------
    x20 = TensorTrain.random(dims, 20, seed=3)
    idx = np.random.default_rng(0).integers(0, n, (100_000, d))
    t = {"ttsolve": median_time(lambda: x20.evaluate(idx), R)}
    vals = x20.evaluate(idx)
    if teneva:
        c20 = np_cores(x20)
        t["teneva"] = peer_time(lambda: teneva.get_many(c20, idx), max(1, R // 2))
        checks.append(("evaluate: max |teneva - ttsolve| / max|v|",
                       np.abs(teneva.get_many(c20, idx) - vals).max() / np.abs(vals).max()))
    rows.append(("evaluate (100k indices, rank 20)", t))

    # ---- TT-SVD ---------------------------------------------------------------------
    g = np.arange(10.0)
    grids = np.meshgrid(*([g] * 6), indexing="ij")
    a = 1.0 / (1.0 + sum(grids))  # smooth, numerically low-rank, 10^6 entries
    t = {"ttsolve": median_time(lambda: TensorTrain.from_dense(a, eps=1e-10), R)}
    xa = TensorTrain.from_dense(a, eps=1e-10)
    checks.append((f"tt-svd: ranks {xa.ranks}, ||a - x|| / ||a||, ttsolve",
                   np.linalg.norm(xa.full() - a) / np.linalg.norm(a)))
    if teneva:
        t["teneva"] = peer_time(lambda: teneva.svd(a, 1e-10), R)
        ya = from_cores(teneva.svd(a, 1e-10))
        checks.append((f"tt-svd: ranks {ya.ranks}, teneva", np.linalg.norm(ya.full() - a) / np.linalg.norm(a)))
    if tl is not None:
        tl.set_backend("numpy")
        rk = list(xa.ranks)
        t["tensorly"] = peer_time(lambda: tl_tensor_train(a, rk), R)
        za = from_cores(list(tl_tensor_train(a, rk)))
        checks.append(("tt-svd: tensorly at ttsolve's ranks", np.linalg.norm(za.full() - a) / np.linalg.norm(a)))
    if torchtt:
        ta = torch.from_numpy(a)
        t["torchtt"] = median_time(lambda: torchtt.TT(ta, eps=1e-10), R)
        wa = from_cores(torchtt.TT(ta, eps=1e-10).cores)
        checks.append((f"tt-svd: ranks {wa.ranks}, torchtt", np.linalg.norm(wa.full() - a) / np.linalg.norm(a)))
    rows.append(("tt-svd (10^6 dense, eps 1e-10)", t))

    report(rep, rows, checks, args.json)


if __name__ == "__main__":
    main()
