"""Path storage (full / checkpoints regenerated from counter-based streams), the up-front memory
estimate of a solve against the measured peak, and the refusal of solves that cannot fit."""

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

import ttsolve.pde.path_store as path_store
from ttsolve import get_num_threads, set_num_threads
from ttsolve.pde import Problem, get_problem, solve
from ttsolve.pde.memory import check_solve_memory, solve_memory
from ttsolve.pde.path_store import PathStore, path_bytes, path_normals, storage_plan


def _time_dependent_problem(d=3):
    """Drift and diagonal sigma depending on t and x: a regenerated segment must reproduce the
    times of the original run exactly."""
    return Problem(dim=d, T=0.7, x0=np.linspace(-0.5, 0.5, d),
                   drift=lambda t, X: np.sin(3.1 * t) - 0.4 * X ** 3,
                   sigma=lambda t, X: 0.3 + 0.1 * np.cos(t + X) ** 2, sigma_kind="diagonal",
                   h=lambda t, X, Y, Z: -0.1 * Y, g=lambda X: np.sum(X ** 2, axis=1),
                   grad_g=lambda X: 2 * X, domain=(-2 * np.ones(d), 2 * np.ones(d)))


def _g(p):
    return lambda X, n: p.g(X)


@pytest.mark.parametrize("N,B", [(1, 1), (7, 2), (23, 5), (30, 30), (40, 6)])
def test_checkpoints_reproduce_full_storage_bitwise(N, B):
    p = _time_dependent_problem()
    K = 37
    full = PathStore(p, N, K, 99, _g(p), interval=1)
    ck = PathStore(p, N, K, 99, _g(p), interval=B)
    np.testing.assert_array_equal(full.g, ck.g)
    for n in range(N - 1, -1, -1):  # the backward sweep's access order
        a1, a0 = ck.X(n + 1), ck.X(n)
        np.testing.assert_array_equal(a1, full.X(n + 1))
        np.testing.assert_array_equal(a0, full.X(n))
        np.testing.assert_array_equal(ck.xi(n), full.xi(n))
        # X_{n+1} = X_n + b dt + sigma xi sqrt(dt), with the increments handed out
        dt = p.T / N
        expect = a0 + p.drift(n * dt, a0) * dt + p.sigma(n * dt, a0) * ck.xi(n) * np.sqrt(dt)
        np.testing.assert_array_equal(a1, expect)
    # random access works too (a segment is regenerated as needed)
    for n in (0, N, N // 2, 1, N - 1):
        np.testing.assert_array_equal(ck.X(n), full.X(n))
    assert full.nbytes == path_bytes(N, K, p.dim, 1)
    assert ck.nbytes == path_bytes(N, K, p.dim, B if B > 1 else 1)
    with pytest.raises(IndexError):
        ck.X(N + 1)
    with pytest.raises(IndexError):
        ck.xi(N)
    with pytest.raises(ValueError):
        ck.X(0)[0, 0] = 1.0  # read-only


def test_paths_keyed_by_path_index_and_thread_count_invariant():
    p = _time_dependent_problem()
    small = PathStore(p, 5, 20, 3, _g(p))
    saved = get_num_threads()
    try:
        stores = []
        for threads in (1, 2):
            set_num_threads(threads)
            stores.append(PathStore(p, 5, 50, 3, _g(p), interval=2))
    finally:
        set_num_threads(saved)
    for n in range(6):
        np.testing.assert_array_equal(stores[0].X(n), stores[1].X(n))
        np.testing.assert_array_equal(stores[0].X(n)[:20], small.X(n))  # path k's stream is (seed, n 2^40 + k)
    np.testing.assert_array_equal(path_normals(3, 2, 50, 3)[7:9], path_normals(3, 2, 9, 3)[7:])
    assert not np.array_equal(PathStore(p, 5, 20, 4, _g(p)).X(5), small.X(5))


def test_paths_with_nan_are_refused():
    p = _time_dependent_problem()
    bad = Problem(**{**p.__dict__, "drift": lambda t, X: np.where(X > 10, np.nan, 1e3 * X ** 3)})
    with pytest.raises(ValueError, match="NaN or inf"):
        PathStore(bad, 20, 5, 0, _g(p))


def test_storage_plan():
    N, K, d = 100, 1000, 100
    full = storage_plan(N, K, d, max_full_bytes=10**12)
    assert full == dict(layout="full", interval=1, bytes=8 * (N + 1) * K * (d + 1))
    ck = storage_plan(N, K, d, max_full_bytes=0)
    assert ck["layout"] == "checkpoints" and ck["interval"] == 10
    # 10 checkpoints + 10 segment rows instead of 101 rows of X
    assert ck["bytes"] == 8 * 20 * K * d + 8 * (N + 1) * K
    assert storage_plan(5, K, d, max_full_bytes=0)["layout"] == "checkpoints"  # B = 2: 3 + 2 rows < 6
    for N in (1, 2, 3):  # B = 1, or no fewer rows than full storage
        assert storage_plan(N, K, d, max_full_bytes=0)["layout"] == "full"


@pytest.mark.parametrize("M", [0, 3])
def test_solve_identical_with_checkpointed_paths(monkeypatch, M):
    p = get_problem("hjb", dim=6)
    kw = dict(n_steps=12, n_samples=150, seed=4, inner_samples=M, degree=1, max_rank=1, max_sweeps=2)
    a = solve(p, **kw)
    monkeypatch.setattr(path_store, "FULL_STORAGE_MAX_BYTES", 0)
    b = solve(p, **kw)
    assert a.memory["layout"] == "full" and b.memory["layout"] == "checkpoints"
    assert b.memory["paths"] < a.memory["paths"]
    assert a.v0 == b.v0
    for ma, mb in zip(a.models, b.models):
        assert np.array_equal(ma.extra_coef, mb.extra_coef)
        assert all(np.array_equal(x, y) for x, y in zip(ma.tt.cores, mb.tt.cores))


# ----------------------------------------------------------------------------- estimate vs peak

MEMORY_CASES = [
    ("hjb", 100, dict(n_steps=6, n_samples=2000)),
    ("hjb", 20, dict(n_steps=6, n_samples=1500, inner_samples=0)),
    ("hjb", 30, dict(n_steps=6, n_samples=1500, scheme="trapezoidal")),
    ("doublewell", 20, dict(n_steps=4, n_samples=1500, degree=3, max_rank=2)),
    ("unboundedsin", 8, dict(n_steps=5, n_samples=2500, degree=2, max_rank=2, inner_samples=3,
                             inner_samples_g=8)),
]


@pytest.mark.parametrize("checkpoints", [False, True])
@pytest.mark.parametrize("name,d,kw", MEMORY_CASES)
def test_memory_estimate_bounds_measured_peak(monkeypatch, name, d, kw, checkpoints):
    """tracemalloc sees numpy's allocations (all arrays of the size of the paths); the estimate
    must not be below the measured peak, and not wastefully above it."""
    if checkpoints:
        monkeypatch.setattr(path_store, "FULL_STORAGE_MAX_BYTES", 0)
    p = get_problem(name, dim=d)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        sol = solve(p, seed=0, **kw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    est = sol.memory["total"]
    assert sol.memory["layout"] == ("checkpoints" if checkpoints else "full")
    assert peak <= est <= 2 * peak + 8 * 2**20, (peak, sol.memory)


def test_memory_in_report_and_estimate_parts():
    p = get_problem("hjb", dim=10)
    sol = solve(p, n_steps=3, n_samples=100)
    m = sol.memory
    assert m["total"] == m["paths"] + m["validation_paths"] + m["working"]
    assert m == solve_memory(10, 3, 100, 100, inner_samples=4)  # K_v = max(100, K / 4)
    assert "memory (estimated up front)" in sol.report() and "held in full" in sol.report()


def test_memory_refused_up_front_naming_n_samples():
    p = get_problem("hjb", dim=100)
    with pytest.raises(MemoryError, match="n_samples=1000000000"):
        solve(p, n_samples=10**9)  # refused before anything is allocated
    est = solve_memory(100, 100, 10**5, 25_000, inner_samples=4)
    with pytest.raises(MemoryError, match="n_samples=100000 .*reduce n_samples"):
        check_solve_memory(est, 10**5, 25_000, 100, 100, budget=est["total"] - 1)
    check_solve_memory(est, 10**5, 25_000, 100, 100, budget=est["total"])


def test_k_1e5_hjb_d100_fits_this_machine_as_checkpoints():
    est = solve_memory(100, 100, 10**5, 25_000, inner_samples=4)
    assert est["layout"] == "checkpoints" and est["interval"] == 10
    assert est["total"] < 4 * 2**30  # ~2.7 GiB: paths 2.0 GiB + working set 0.7 GiB


def test_cli_states_memory_and_refuses_cleanly():
    out = subprocess.run([sys.executable, "-m", "ttsolve", "solve", "hjb", "--dim", "5", "--n-steps", "3",
                          "--n-samples", "100"], capture_output=True, text=True, check=True).stdout
    assert "memory" in out and "estimated before the solve" in out
    bad = subprocess.run([sys.executable, "-m", "ttsolve", "solve", "hjb", "--dim", "100", "--n-samples",
                          "1000000000"], capture_output=True, text=True)
    assert bad.returncode == 1 and "n_samples=1000000000" in bad.stderr and "Traceback" not in bad.stderr
