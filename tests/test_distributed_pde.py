"""solve(client=, n_shards=): the sharded PDE solve gives the local V(0, x0) to rounding.

The local solve (all paths in one process) is the reference. A shard simulates its rows of the
same paths, draws its inner samples from the same (pair, path) streams, and the client reduces
per-shard R factors and sums in shard order; tolerance 1e-12 relative (measured ~3e-15)."""

import numpy as np
import pytest

from ttsolve import _core
from ttsolve.distributed.pde import shard_paths
from ttsolve.pde import get_problem, solve
from ttsolve.pde.path_store import PathStore

import ttsolve.distributed.pde as sharded_pde
from ttsolve.distributed.errors import LostShardState

from distributed_helpers import interrupted_then_resumed, kill_a_worker_after_steps

pytestmark = pytest.mark.distributed
distributed = pytest.importorskip("distributed")

SMALL = dict(n_steps=6, n_samples=240, seed=3)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def hjb():
    return get_problem("hjb", dim=8)


def _close(a, b, tol=1e-12):
    assert abs(a.v0 - b.v0) <= tol * abs(a.v0), (a.v0, b.v0)
    for x, y in zip(a.diagnostics, b.diagnostics):
        assert x.iterations == y.iterations and x.stop_reason == y.stop_reason
        assert x.residual == pytest.approx(y.residual, rel=1e-9)


@pytest.fixture(scope="module")
def local(hjb):
    return solve(hjb, **SMALL)


def test_cluster_v0_equals_local(client, hjb, local):
    _close(local, solve(hjb, client=client, **SMALL))
    other = solve(hjb, **{**SMALL, "seed": 4})
    assert abs(other.v0 - local.v0) > 1e-9 * abs(local.v0)  # the comparison can fail


def test_cluster_more_shards_than_workers(client, hjb, local):
    _close(local, solve(hjb, client=client, n_shards=5, **SMALL))


@pytest.mark.parametrize("scheme,n_shards", [("implicit", 1), ("implicit", 7), ("explicit", 3), ("trapezoidal", 2)])
def test_in_process_shards(hjb, scheme, n_shards):
    _close(solve(hjb, scheme=scheme, **SMALL), solve(hjb, scheme=scheme, n_shards=n_shards, **SMALL))


def test_in_process_shards_and_a_python_terminal():
    # CIR at degree 0: a drift, and a g without a compiled twin (inner sampling in Python)
    cir = get_problem("cir", dim=4)
    kw = dict(n_steps=5, n_samples=150, seed=0, degree=0, inner_samples=3)
    _close(solve(cir, **kw), solve(cir, n_shards=4, **kw))


def test_checkpoint_resume_distributed(client, hjb, local, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    _close(local, interrupted_then_resumed(lambda **kw: solve(hjb, client=client, checkpoint=a, **kw, **SMALL),
                                           lambda: solve(hjb, client=client, checkpoint=a, **SMALL)))
    # a checkpoint written locally resumes on the cluster (same key: same settings)
    _close(local, interrupted_then_resumed(lambda **kw: solve(hjb, checkpoint=b, **kw, **SMALL),
                                           lambda: solve(hjb, client=client, n_shards=3, checkpoint=b, **SMALL)))


def test_killed_worker_is_recovered_or_stops_clearly(hjb, local, monkeypatch):
    """SIGKILL of the worker hosting shard 0 between two time steps: its host (an Actor, state in
    that worker's memory) is rebuilt from the shard's streams on a live worker and the step redone;
    the answer is the local one. Without retries the solve stops naming the finished steps."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        sol = kill_a_worker_after_steps(client, lambda **kw: solve(hjb, client=client, **kw, **SMALL))
        assert sol.distributed_info["recoveries"] == 1
        _close(local, sol)
        monkeypatch.setattr(sharded_pde, "STEP_ATTEMPTS", 1)
        with pytest.raises(LostShardState, match=r"time step 3: .* the steps 4..5 are finished"):
            kill_a_worker_after_steps(client, lambda **kw: solve(hjb, client=client, **kw, **SMALL))


def test_shard_paths_are_rows_of_the_local_paths(hjb):
    store = PathStore(hjb, 5, 50, 9, lambda X, n: np.zeros(X.shape[0]))  # the local solve's paths
    Xs, xis = shard_paths(hjb, 5, 50, 13, 31, 9)
    for n in range(6):
        np.testing.assert_array_equal(store.X(n)[13:31], Xs[n])
    for n in range(5):
        np.testing.assert_array_equal(store.xi(n)[13:31], xis[n])


@pytest.mark.parametrize("reduced", [False, True])
def test_antithetic_terminal_shards_use_the_global_streams(reduced):
    rng = np.random.default_rng(0)
    centre, scale, poly = rng.normal(size=(20, 6)), rng.uniform(0.1, 1, 20), np.array([1.0, 0.3])
    full = _core.pde.antithetic_terminal(0, np.zeros(0), 11, 2, 5, centre, scale, poly, reduced)
    parts = [_core.pde.antithetic_terminal(0, np.zeros(0), 11, 2, 5, centre[a:b], scale[a:b], poly, reduced,
                                           first_path=a, n_paths_total=20) for a, b in [(0, 7), (7, 8), (8, 20)]]
    assert np.concatenate(parts).tobytes() == full.tobytes()
    with pytest.raises(ValueError, match="n_paths_total"):
        _core.pde.antithetic_terminal(0, np.zeros(0), 11, 2, 5, centre, scale, poly, first_path=1, n_paths_total=20)
