"""ShardedSweeper: the fixed-rank ALS sweep over shards of the samples equals the local sweep.

Reference: ``_sweeper.Sweeper.als_sweep`` (one C++ call on all samples) from the same
right-orthogonal start; the sharded sweep sums the shards' normal equations in shard order and
solves them with the same ``spd_solve``. Cores, extra coefficient and residual agree to 1e-12."""

import numpy as np
import pytest

from ttsolve._extension import _core
from ttsolve.basis import H2Orthogonal, evaluate_stacked
from ttsolve._residual import relres
from ttsolve._sweeper import Sweeper, cold_start_cores, products, right_orthogonalize
from ttsolve.distributed.mcmc import shard_bounds
from ttsolve.distributed.hosts import Rounds
from ttsolve.distributed.sweeper import ShardedSweeper, SweepShard

pytestmark = pytest.mark.distributed


def _data(d=4, degree=3, K=300, seed=1, with_g=True, weighted=False):
    rng = np.random.default_rng(seed)
    bases = [H2Orthogonal(degree, domain=(-1.0, 1.0))] * d
    X = rng.uniform(-1, 1, (K, d))
    g = np.sum(X**2, axis=1) if with_g else None
    y = np.cos(X @ np.linspace(0.5, 1.5, d)) + 0.3 * (g if with_g else 0.0) + 0.01 * rng.standard_normal(K)
    w = rng.uniform(0.5, 1.5, K) if weighted else None
    cores = right_orthogonalize(cold_start_cores([1, 2, 3, 2, 1][: d + 1] if d == 4 else [1] + [2] * (d - 1) + [1],
                                                 bases[0].size, rng))
    return bases, X, y, g, w, cores


def _local(bases, X, y, g, w, cores, reg, sweeps):
    PhiT = evaluate_stacked(bases, X, 0, coordinate_major=True)
    s = Sweeper(PhiT, y, g, w, [c.copy() for c in cores], reg, 0.0, np.random.default_rng(0), products(bases, X))
    res = [relres(s.als_sweep(), y, w) for _ in range(sweeps)]
    return s.cores, s.c, res


def _sharded(bases, X, y, g, w, cores, reg, sweeps, n_shards, client=None):
    b = shard_bounds(X.shape[0], n_shards)
    rounds = Rounds(client, len(b) - 1)
    rows = [slice(b[i], b[i + 1]) for i in range(len(b) - 1)]
    args = [(X[sl], y[sl], None if g is None else g[sl], None if w is None else w[sl]) for sl in rows]
    shards = rounds.map(_sweep_shard, args, bases, store="fit")  # kept on the hosts
    before = rounds.count
    s = ShardedSweeper(rounds, shards, [c.copy() for c in cores], reg, 0.0, g is not None)
    res = [s.als_sweep() for _ in range(sweeps)]
    rounds.count -= before
    return s.cores, s.c, res, rounds


def _sweep_shard(rows, bases):
    return SweepShard(bases, *rows)


def _assert_same(data, local, sharded, n_shards):
    """One shard: bitwise (the same kernels on the same rows). More shards: the fitted function
    on the training points to 1e-12 relative (measured <= 2e-13); the cores themselves to 1e-10
    (measured <= 6e-12: the regrouped Gram sums are amplified by the local problems' condition)."""
    cores_l, c_l, res_l = local
    cores_s, c_s, res_s = sharded[:3]
    if n_shards == 1:
        assert all(np.array_equal(a, b) for a, b in zip(cores_l, cores_s)) and c_l == c_s and res_l == res_s
        return
    for a, b in zip(cores_l, cores_s):
        assert a.shape == b.shape
        assert np.max(np.abs(a - b)) <= 1e-10 * np.max(np.abs(a)), np.max(np.abs(a - b))
    bases, X, g = data[0], data[1], data[3]
    Phi = evaluate_stacked(bases, X, 0)
    f_l, f_s = (_core.regression.functional_eval(c, Phi, "value", None) for c in (cores_l, cores_s))
    if g is not None:
        f_l, f_s = f_l + c_l * g, f_s + c_s * g
    assert np.max(np.abs(f_l - f_s)) <= 1e-12 * np.max(np.abs(f_l)), np.max(np.abs(f_l - f_s))
    assert abs(c_l - c_s) <= 1e-12 * max(1.0, abs(c_l))
    np.testing.assert_allclose(res_s, res_l, rtol=1e-12)


@pytest.mark.parametrize("n_shards", [1, 2, 3])
@pytest.mark.parametrize("with_g,weighted", [(True, False), (False, True)])
def test_sharded_sweep_equals_local(n_shards, with_g, weighted):
    data = _data(with_g=with_g, weighted=weighted)
    local = _local(*data, reg=1e-8, sweeps=3)
    sharded = _sharded(*data, reg=1e-8, sweeps=3, n_shards=n_shards)
    _assert_same(data, local, sharded, n_shards)
    # the fit did something: the residual fell from the first sweep on
    assert local[2][-1] < local[2][0]
    # one round per core update, plus the reset and the residual of each sweep
    d = len(data[5])
    assert sharded[3].count == 1 + 3 * (2 * (d - 1) + 1)


def test_sharded_sweep_degree_1_basis_no_products():
    """p = 2: the plain Gram kernel (no compressed product-basis Gram)."""
    data = _data(d=3, degree=1, K=120, seed=4)
    _assert_same(data, _local(*data, reg=1e-10, sweeps=2), _sharded(*data, reg=1e-10, sweeps=2, n_shards=2), 2)


def test_sharded_sweep_on_cluster():
    distributed = pytest.importorskip("distributed")
    data = _data()
    local = _local(*data, reg=1e-8, sweeps=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        sharded = _sharded(*data, reg=1e-8, sweeps=2, n_shards=3, client=client)
    _assert_same(data, local, sharded, 3)
    assert sharded[3].bytes_in > 0


@pytest.mark.parametrize("method", ["als", "salsa"])
@pytest.mark.parametrize("n_shards", [1, 3])
def test_rank_adaptive_fit_on_shards_equals_local(n_shards, method):
    """regression.fit's driver (regression._sweep_fit) on ShardedSweeper from a cold start at
    max_rank 3: ALS's rank-revealing start (rank 1, then one rank per bond with a rank-1 ALS fit
    of the residual each time: _als.grow_ranks), SALSA's penalised sweeps with rank moves and
    polish. The same ranks, the fitted values to 1e-12 (one shard: bitwise)."""
    from ttsolve.distributed.pde_fit import _sharded_fit
    from ttsolve.regression import fit

    bases, X, y, g, w, _ = _data(K=400)
    settings = dict(max_rank=3, reg=1e-10, max_sweeps=6 if method == "als" else 12, tol=1e-12, method=method)
    local, rep = fit(X, y, bases, ranks=3 if method == "als" else None, extra=(g,), seed=5, **settings)
    b = shard_bounds(X.shape[0], n_shards)
    rounds = Rounds(None, n_shards)
    rows = [(X[b[i]:b[i + 1]], y[b[i]:b[i + 1]], g[b[i]:b[i + 1]], None) for i in range(n_shards)]
    shards = rounds.map(_sweep_shard, rows, bases, store="fit")
    sharded, srep = _sharded_fit(rounds, shards, bases, settings, None, True, False, 5)
    assert srep.start_sweeps == rep.start_sweeps and srep.polish_sweeps == rep.polish_sweeps
    assert (rep.start_sweeps > 0) == (method == "als") and max(local.ranks) >= 2  # ranks were grown
    assert sharded.ranks == local.ranks and srep.ranks == rep.ranks
    a, c = local(X, g=g), sharded(X, g=g)
    if n_shards == 1:
        assert a.tobytes() == c.tobytes()
    assert np.max(np.abs(a - c)) <= 1e-12 * np.max(np.abs(a)), np.max(np.abs(a - c))
