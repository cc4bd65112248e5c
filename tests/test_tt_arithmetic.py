"""TensorTrain arithmetic and contractions against dense numpy references."""

import math
import numpy as np
import pytest
from hypothesis import given, strategies as st

from ttsolve import TensorTrain
from tt_helpers import dense_from_cores, train_pairs, trains

scalars = st.one_of(st.just(0.0), st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3))


def close(a, b, scale=1.0):
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12 * max(scale, 1e-300))


@given(trains())
def test_full_matches_independent_contraction(x):
    ref = dense_from_cores(x.cores)
    assert x.full().shape == x.dims
    close(x.full(), ref, np.abs(ref).max())


@given(train_pairs())
def test_sum_and_difference(pair):
    x, y = pair
    X, Y = dense_from_cores(x.cores), dense_from_cores(y.cores)
    s = np.abs(X).max() + np.abs(Y).max()
    close((x + y).full(), X + Y, s)
    close((x - y).full(), X - Y, s)
    if x.ndim > 1:
        assert (x + y).ranks[1:-1] == tuple(a + b for a, b in zip(x.ranks[1:-1], y.ranks[1:-1]))


@given(trains(), scalars)
def test_scaling_negation_division(x, a):
    X = dense_from_cores(x.cores)
    s = np.abs(X).max() * max(abs(a), 1)
    close((a * x).full(), a * X, s)
    close((x * a).full(), a * X, s)
    close((-x).full(), -X, s)
    close((+x).full(), X, s)
    if a != 0:
        close((x / a).full(), X / a, np.abs(X).max() / abs(a))


@given(train_pairs())
def test_hadamard(pair):
    x, y = pair
    X, Y = dense_from_cores(x.cores), dense_from_cores(y.cores)
    close((x * y).full(), X * Y, np.abs(X).max() * np.abs(Y).max())
    close(x.hadamard(y).full(), X * Y, np.abs(X).max() * np.abs(Y).max())
    assert (x * y).ranks == tuple(a * b for a, b in zip(x.ranks, y.ranks))


@given(train_pairs())
def test_dot_norm_sum(pair):
    x, y = pair
    X, Y = dense_from_cores(x.cores), dense_from_cores(y.cores)
    scale = np.linalg.norm(X) * np.linalg.norm(Y)
    np.testing.assert_allclose(x.dot(y), np.sum(X * Y), rtol=1e-11, atol=1e-12 * scale)
    np.testing.assert_allclose(x.norm(), np.linalg.norm(X), rtol=1e-12)
    np.testing.assert_allclose(x.log_norm(), np.log(np.linalg.norm(X)), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.sum(), X.sum(), rtol=1e-11, atol=1e-12 * np.abs(X).sum())
    sign, log_abs = x.log_dot(y)
    np.testing.assert_allclose(sign * np.exp(log_abs), np.sum(X * Y), rtol=1e-11, atol=1e-12 * scale)


def test_zeros_and_ones():
    dims = [2, 3, 4]
    np.testing.assert_array_equal(TensorTrain.zeros(dims).full(), np.zeros(dims))
    np.testing.assert_array_equal(TensorTrain.ones(dims).full(), np.ones(dims))
    z = TensorTrain.zeros(dims)
    assert z.norm() == 0.0 and z.log_norm() == -np.inf and z.sum() == 0.0
    assert TensorTrain.ones(dims).sum() == pytest.approx(24.0, rel=1e-15)


def test_single_core_train():
    v = np.arange(5.0) - 2
    x = TensorTrain([v.reshape(1, 5, 1)])
    y = TensorTrain.ones([5])
    np.testing.assert_array_equal((x + y).full(), v + 1)
    np.testing.assert_array_equal((x * x).full(), v * v)
    assert x.dot(y) == pytest.approx(v.sum(), abs=1e-15)
    assert x.norm() == pytest.approx(np.linalg.norm(v), rel=1e-15)
    np.testing.assert_array_equal(x.evaluate(np.arange(5)[:, None]), v)


def test_rank_one_outer_product():
    vs = [np.array([1.0, 2.0]), np.array([3.0, -1.0, 0.5]), np.array([2.0])]
    x = TensorTrain([v.reshape(1, -1, 1) for v in vs])
    ref = np.einsum("i,j,k->ijk", *vs)
    np.testing.assert_allclose(x.full(), ref, rtol=1e-15)
    assert x.norm() == pytest.approx(np.prod([np.linalg.norm(v) for v in vs]), rel=1e-14)
    assert x.sum() == pytest.approx(ref.sum(), rel=1e-14)


def test_random_is_reproducible_and_normalised_in_expectation():
    a = TensorTrain.random([3, 4, 5], 3, seed=7)
    b = TensorTrain.random([3, 4, 5], 3, seed=7)
    c = TensorTrain.random([3, 4, 5], 3, seed=8)
    for ca, cb in zip(a.cores, b.cores):
        np.testing.assert_array_equal(ca, cb)
    assert not np.array_equal(a.cores[1], c.cores[1])
    assert TensorTrain.random([3, 4], 3, seed=np.random.default_rng(1)).ranks == (1, 3, 1)
    # An int rank is capped at the largest useful rank of each bond.
    assert TensorTrain.random([2, 3, 4], 100).ranks == (1, 2, 4, 1)
    # E||x||^2 = 1: the mean over many seeds is within a few standard errors of 1.
    sq = np.array([TensorTrain.random([4, 4, 4], 2, seed=s).norm() ** 2 for s in range(400)])
    assert abs(sq.mean() - 1.0) < 5 * sq.std(ddof=1) / np.sqrt(len(sq))


def test_scaling_beyond_float64_range_is_exact_in_both_directions():
    """Issue 20 item 3: (x / 1e308) / 1e308 used to become exactly zero while the overflow
    direction raised. Now both directions spread the power of two over the cores (exact),
    and both raise OverflowError only where even that cannot hold the result (one core)."""
    x = TensorTrain.random([3, 4, 5, 2], 3, seed=0)
    ln = math.log(1e308)
    for y, shift, undo in (((x / 1e308) / 1e308, -2 * ln, [1e308, 1e308]),
                           ((x * 1e308) * 1e308, 2 * ln, [1e-308, 1e-308]),
                           (x * 1e300 * 1e300 * 1e300, 3 * math.log(1e300), [1e-300] * 3)):
        assert y.log_norm() == pytest.approx(x.log_norm() + shift, rel=1e-13)
        with pytest.raises(OverflowError, match="log_norm"):
            y.norm()
        back = y
        for a in undo:
            back = back * a
        np.testing.assert_allclose(back.full(), x.full(), rtol=1e-12, atol=1e-14)
    one = TensorTrain.random([3], 1, seed=0)
    with pytest.raises(OverflowError):
        (one * 1e300) * 1e300
    with pytest.raises(OverflowError):
        (one / 1e300) / 1e300
    with pytest.raises(ZeroDivisionError):
        x / 0
