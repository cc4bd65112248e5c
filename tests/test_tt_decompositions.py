"""Orthogonalisation, rounding and TT-SVD against dense numpy references.

These also exercise the row-major BLAS/LAPACK wrappers (la::gemm in full/dot,
la::qr in orthogonalize, la::svd in round/from_dense) on many shapes, including
wide, tall and 1 x 1 unfoldings.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ttsolve import TensorTrain
from tt_helpers import dense_from_cores, shapes, train_pairs, trains, tt_svd_error_bound


def left_unfolding(c):
    return np.asarray(c).reshape(-1, c.shape[2])


def right_unfolding(c):
    return np.asarray(c).reshape(c.shape[0], -1)


def assert_orthonormal_columns(m):
    np.testing.assert_allclose(m.T @ m, np.eye(m.shape[1]), atol=1e-12)


@given(trains(), st.data())
def test_orthogonalize_positions(x, data):
    X = dense_from_cores(x.cores)
    d = x.ndim
    mu = data.draw(st.integers(-d, d - 1))
    for direction, pos in (("left", d - 1), ("right", 0), (mu, mu % d)):
        y = x.orthogonalize(direction)
        np.testing.assert_allclose(y.full(), X, atol=1e-12 * np.abs(X).max(), rtol=1e-11)
        for k, c in enumerate(y.cores):
            if k < pos:
                assert_orthonormal_columns(left_unfolding(c))
            elif k > pos:
                assert_orthonormal_columns(right_unfolding(c).T)
        # QR never increases ranks; it drops them to the unfolding size where smaller.
        assert all(a <= b for a, b in zip(y.ranks, x.ranks))


@given(train_pairs(max_r=3), st.sampled_from([0.0, 1e-10, 1e-3, 0.1, 0.5]))
def test_round_error_bound(pair, eps):
    x, y = pair
    s = x + y  # rank-redundant sum: rounding must find lower ranks
    S = dense_from_cores(s.cores)
    r = s.round(eps)
    err = np.linalg.norm(r.full() - S)
    assert err <= eps * np.linalg.norm(S) + 1e-12 * np.linalg.norm(S)
    assert all(a <= b for a, b in zip(r.ranks, s.ranks))


@given(train_pairs(max_r=3), st.integers(1, 3))
def test_round_max_rank_is_quasi_optimal(pair, max_rank):
    x, y = pair
    s = x + y
    S = dense_from_cores(s.cores)
    r = s.round(0.0, max_rank=max_rank)
    assert max(r.ranks) <= max_rank
    # TT-SVD quasi-optimality: error <= sqrt(d-1) * best error at each bond, and each
    # bond's best rank-r error is bounded by the tail of that unfolding's singular values.
    bound = tt_svd_error_bound(S, max_rank)
    assert np.linalg.norm(r.full() - S) <= bound * (1 + 1e-8) + 1e-12 * np.linalg.norm(S)


@given(trains())
def test_round_exact_ranks(x):
    # A sum x + x has the ranks of x after exact rounding, and represents 2x.
    X = dense_from_cores(x.cores)
    r = (x + x).round(1e-12)
    np.testing.assert_allclose(r.full(), 2 * X, atol=1e-11 * np.abs(X).max())
    assert all(a <= b for a, b in zip(r.ranks, x.ranks))


@given(shapes(max_n=4), st.integers(0, 2**32), st.sampled_from([1e-14, 1e-6, 0.2]))
def test_tt_svd_round_trip(shape, seed, eps):
    dims, _ = shape
    a = np.random.default_rng(seed).standard_normal(dims)
    x = TensorTrain.from_dense(a, eps=eps)
    err = np.linalg.norm(x.full() - a)
    assert err <= eps * np.linalg.norm(a) * (1 + 1e-10) + 1e-13 * np.linalg.norm(a)
    if eps == 1e-14:
        np.testing.assert_allclose(x.full(), a, atol=1e-12)


@given(shapes(min_d=2, max_n=4), st.integers(0, 2**32), st.integers(1, 3))
def test_tt_svd_recovers_low_rank(shape, seed, max_rank):
    dims, ranks = shape
    x = TensorTrain.random(dims, ranks, seed=seed)
    X = x.full()
    y = TensorTrain.from_dense(X, eps=1e-12)
    np.testing.assert_allclose(y.full(), X, atol=1e-11 * max(np.abs(X).max(), 1e-300))
    assert all(a <= b for a, b in zip(y.ranks, x.ranks))
    z = TensorTrain.from_dense(X, eps=0.0, max_rank=max_rank)
    assert max(z.ranks) <= max_rank


def test_tt_svd_of_separable_function_has_rank_two():
    g = [np.linspace(0, 1, n) for n in (5, 6, 7, 8)]
    a = np.sin(g[0][:, None, None, None] + g[1][None, :, None, None] + g[2][None, None, :, None]
               + g[3][None, None, None, :])
    x = TensorTrain.from_dense(a, eps=1e-12)
    assert x.ranks == (1, 2, 2, 2, 1)
    np.testing.assert_allclose(x.full(), a, atol=1e-12)


def test_round_zero_tensor_gives_rank_one_zero():
    x = TensorTrain.random([3, 4, 5], 2, seed=1)
    z = (0.0 * x).round(1e-10)
    assert z.ranks == (1, 1, 1, 1) and z.norm() == 0.0
    # x - x is zero only up to rounding errors, relative to which eps is measured.
    assert (x - x).round(1e-10).norm() < 1e-14


def test_float32_and_fortran_inputs_are_converted():
    a = np.asfortranarray(np.random.default_rng(0).standard_normal((3, 4, 5)))
    x = TensorTrain.from_dense(a.astype(np.float32), eps=0.0)
    np.testing.assert_allclose(x.full(), a.astype(np.float32), rtol=1e-6)
    cores = [np.asfortranarray(c).astype(np.float32) for c in TensorTrain.random([3, 4], 2, seed=1).cores]
    y = TensorTrain(cores)
    np.testing.assert_array_equal(y.cores[0], cores[0].astype(np.float64))
    strided = np.zeros((1, 6, 2))[:, ::2, :]
    assert TensorTrain([strided, np.ones((2, 3, 1))]).dims == (3, 3)


@given(shapes(min_d=2, max_n=4, max_r=3), st.integers(0, 2**32), st.integers(1, 3))
def test_randomized_round_recovers_exact_low_rank(shape, seed, extra):
    # A train of ranks <= r is reproduced exactly by a sketch of rank >= r (with
    # probability one), then truncated like round(): compare with the dense tensor.
    dims, ranks = shape
    x = TensorTrain.random(dims, ranks, seed=seed)
    X = x.full()
    r = x.round(1e-12, max_rank=max(ranks), method="randomized", oversample=extra, seed=seed)
    np.testing.assert_allclose(r.full(), X, atol=1e-10 * max(np.abs(X).max(), 1e-300))
    assert max(r.ranks) <= max(ranks)


def test_randomized_round_near_svd_round_on_noisy_low_rank():
    base = TensorTrain.random([5] * 10, 4, seed=1)
    noise = TensorTrain.random([5] * 10, 6, seed=2)
    z = base + (1e-4 * base.norm() / noise.norm()) * noise
    e_svd = (z - z.round(0.0, max_rank=4)).norm()
    e_rnd = [(z - z.round(0.0, max_rank=4, method="randomized", seed=s)).norm() for s in range(3)]
    # Both errors are at the noise level (1e-4 ||z||); the sketch loses at most a small factor.
    assert e_svd < 2e-4 * z.norm()
    assert max(e_rnd) < 3 * e_svd
    a = z.round(0.0, max_rank=4, method="randomized", seed=5)
    b = z.round(0.0, max_rank=4, method="randomized", seed=5)
    for ca, cb in zip(a.cores, b.cores):
        np.testing.assert_array_equal(ca, cb)


def test_randomized_round_bad_arguments():
    x = TensorTrain.random([3, 3, 3], 2, seed=0)
    with pytest.raises(ValueError, match="max_rank"):
        x.round(1e-3, method="randomized")
    with pytest.raises(ValueError, match="method"):
        x.round(1e-3, max_rank=2, method="qr")
    with pytest.raises(ValueError, match="oversample"):
        x.round(1e-3, max_rank=2, method="randomized", oversample=-1)
    with pytest.raises(TypeError, match="oversample"):
        x.round(1e-3, max_rank=2, method="randomized", oversample=1.5)


def test_randomized_round_falls_back_to_svd_when_sketch_is_not_smaller():
    x = TensorTrain.random([3] * 6, 4, seed=0) + TensorTrain.random([3] * 6, 2, seed=1)
    a = x.round(1e-10, max_rank=3, method="randomized", oversample=3)
    b = x.round(1e-10, max_rank=3)
    for ca, cb in zip(a.cores, b.cores):
        np.testing.assert_array_equal(ca, cb)


def test_randomized_round_on_long_train_does_not_miss_the_range():
    # A plain Gaussian sketch train of 50 cores is numerically rank-deficient and once
    # lost the whole signal here (error 1.0 at seed 2); orthonormal sketch cores keep the
    # error at the noise level.
    base = TensorTrain.random([10] * 50, 10, seed=1)
    noise = TensorTrain.random([10] * 50, 20, seed=2)
    z = base + (1e-8 * base.norm() / noise.norm()) * noise
    e_svd = (z - z.round(0.0, max_rank=10)).norm()
    for seed in range(6):
        e = (z - z.round(0.0, max_rank=10, method="randomized", seed=seed)).norm()
        assert e < 5 * e_svd
