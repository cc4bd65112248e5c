"""Tensor-train arithmetic: ttsolve against teneva, tensorly and torchtt in one process.

Cases (issue 2): d = 100, n = 10
  round     round a sum of two rank-30 trains to rank 20 (eps = 1e-14)
  dot       inner product of two rank-30 trains
  add+round five steps z <- round(z + t_i, rank 30), t_i of rank 10 (eps = 1e-14)
  evaluate  100,000 random multi-indices of a rank-20 train
  tt-svd    TT-SVD (eps = 1e-10) of a 10^6-entry dense tensor (10 x ... x 10, d = 6)

Every library gets the same cores (converted once, outside the timings) and the median
of --repeats timed runs is reported. Results are cross-checked (relative differences
printed below the table). Run:  python bench/tt_ops.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

import ttsolve
from ttsolve import TensorTrain

warnings.filterwarnings("ignore")  # torchtt warns about its missing C++ extension

try:
    import teneva
except ImportError:  # pragma: no cover
    teneva = None
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
    fn()  # warm-up (allocations, lazy imports)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def np_cores(x: TensorTrain):
    return [np.array(c) for c in x.cores]


def to_torchtt(x: TensorTrain):
    return torchtt.TT([torch.from_numpy(np.array(c)) for c in x.cores])


def from_cores(cores) -> TensorTrain:
    return TensorTrain([np.asarray(c.numpy() if hasattr(c, "numpy") else c) for c in cores])


def rel_diff(a: TensorTrain, b: TensorTrain) -> float:
    return (a - b).norm() / b.norm()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args(argv)
    R = args.repeats
    d, n = 100, 10
    dims = [n] * d
    rows, checks = [], []

    x = TensorTrain.random(dims, 30, seed=1)
    y = TensorTrain.random(dims, 30, seed=2)
    s = x + y

    # ---- round --------------------------------------------------------------------
    t = {"ttsolve": median_time(lambda: s.round(1e-14, max_rank=20), R)}
    ref = s.round(1e-14, max_rank=20)
    checks.append(("round: ||s - round(s)|| / ||s||, ttsolve", rel_diff(ref, s)))
    if teneva:
        sc = np_cores(s)
        t["teneva"] = median_time(lambda: teneva.truncate(sc, 1e-14, 20), R)
        checks.append(("round: same, teneva", rel_diff(from_cores(teneva.truncate(sc, 1e-14, 20)), s)))
    if torchtt:
        st = to_torchtt(s)
        t["torchtt"] = median_time(lambda: st.round(1e-14, 20), R)
        checks.append(("round: same, torchtt", rel_diff(from_cores(st.round(1e-14, 20).cores), s)))
    rows.append(("round (x+y -> rank 20)", t))

    # ---- dot ----------------------------------------------------------------------
    t = {"ttsolve": median_time(lambda: x.dot(y), R)}
    v = x.dot(y)
    if teneva:
        xc, yc = np_cores(x), np_cores(y)
        t["teneva"] = median_time(lambda: teneva.mul_scalar(xc, yc), max(1, R // 2))
        checks.append(("dot: |teneva - ttsolve| / (|x||y|)", abs(teneva.mul_scalar(xc, yc) - v) / (x.norm() * y.norm())))
    if torchtt:
        xt, yt = to_torchtt(x), to_torchtt(y)
        t["torchtt"] = median_time(lambda: torchtt.dot(xt, yt), R)
        checks.append(("dot: |torchtt - ttsolve| / (|x||y|)", abs(float(torchtt.dot(xt, yt)) - v) / (x.norm() * y.norm())))
    rows.append(("dot (rank 30)", t))

    # ---- add+round chain -----------------------------------------------------------
    terms = [TensorTrain.random(dims, 10, seed=10 + i) for i in range(5)]

    def chain_ttsolve():
        z = x
        for ti in terms:
            z = (z + ti).round(1e-14, max_rank=30)
        return z

    t = {"ttsolve": median_time(chain_ttsolve, R)}
    zref = chain_ttsolve()
    exact = x
    for ti in terms:
        exact = exact + ti
    checks.append(("add+round: ||z - exact|| / ||exact||, ttsolve", rel_diff(zref, exact)))
    if teneva:
        xc, tc = np_cores(x), [np_cores(ti) for ti in terms]

        def chain_teneva():
            z = xc
            for ti in tc:
                z = teneva.truncate(teneva.add(z, ti), 1e-14, 30)
            return z

        t["teneva"] = median_time(chain_teneva, R)
        checks.append(("add+round: same, teneva", rel_diff(from_cores(chain_teneva()), exact)))
    if torchtt:
        xt, tt_terms = to_torchtt(x), [to_torchtt(ti) for ti in terms]

        def chain_torchtt():
            z = xt
            for ti in tt_terms:
                z = (z + ti).round(1e-14, 30)
            return z

        t["torchtt"] = median_time(chain_torchtt, R)
        checks.append(("add+round: same, torchtt", rel_diff(from_cores(chain_torchtt().cores), exact)))
    rows.append(("add+round chain (5 steps, rank 30)", t))

    # ---- evaluate -------------------------------------------------------------------
    x20 = TensorTrain.random(dims, 20, seed=3)
    idx = np.random.default_rng(0).integers(0, n, (100_000, d))
    t = {"ttsolve": median_time(lambda: x20.evaluate(idx), R)}
    vals = x20.evaluate(idx)
    if teneva:
        c20 = np_cores(x20)
        t["teneva"] = median_time(lambda: teneva.get_many(c20, idx), max(1, R // 2))
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
        t["teneva"] = median_time(lambda: teneva.svd(a, 1e-10), R)
        ya = from_cores(teneva.svd(a, 1e-10))
        checks.append((f"tt-svd: ranks {ya.ranks}, teneva", np.linalg.norm(ya.full() - a) / np.linalg.norm(a)))
    if tl is not None:
        tl.set_backend("numpy")
        rk = list(xa.ranks)
        t["tensorly"] = median_time(lambda: tl_tensor_train(a, rk), R)
        za = from_cores(list(tl_tensor_train(a, rk)))
        checks.append(("tt-svd: tensorly at ttsolve's ranks", np.linalg.norm(za.full() - a) / np.linalg.norm(a)))
    if torchtt:
        ta = torch.from_numpy(a)
        t["torchtt"] = median_time(lambda: torchtt.TT(ta, eps=1e-10), R)
        wa = from_cores(torchtt.TT(ta, eps=1e-10).cores)
        checks.append((f"tt-svd: ranks {wa.ranks}, torchtt", np.linalg.norm(wa.full() - a) / np.linalg.norm(a)))
    rows.append(("tt-svd (10^6 dense, eps 1e-10)", t))

    # ---- report -----------------------------------------------------------------------
    peers = ["teneva", "tensorly", "torchtt"]
    print(f"ttsolve {ttsolve.__version__}, {ttsolve.get_num_threads()} threads; median of {R} runs; "
          "ratio = peer time / ttsolve time")
    header = f"| {'case':36s} | {'ttsolve':>9s} |" + "".join(f" {p:>9s} | {'ratio':>6s} |" for p in peers)
    print(header)
    print("|" + "-" * 38 + "|" + "-" * 11 + "|" + ("-" * 11 + "|" + "-" * 8 + "|") * len(peers))
    for name, t in rows:
        line = f"| {name:36s} | {t['ttsolve'] * 1e3:7.2f}ms |"
        for peer in peers:
            if peer in t:
                line += f" {t[peer] * 1e3:7.1f}ms | {t[peer] / t['ttsolve']:5.1f}x |"
            else:
                line += f" {'-':>9s} | {'-':>6s} |"
        print(line)
    print("\nCross-checks:")
    for name, val in checks:
        print(f"  {name}: {val:.3e}")


if __name__ == "__main__":
    main()
