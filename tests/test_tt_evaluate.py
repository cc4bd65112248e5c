"""TensorTrain.evaluate against dense indexing, and thread-count independence."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import ttsolve
from ttsolve import TensorTrain
from tt_helpers import dense_from_cores, trains


@given(trains(), st.integers(0, 2**32), st.integers(0, 50))
def test_evaluate_matches_dense_indexing(x, seed, K):
    X = dense_from_cores(x.cores)
    rng = np.random.default_rng(seed)
    idx = np.stack([rng.integers(0, n, K) for n in x.dims], axis=1).reshape(K, x.ndim)
    vals = x.evaluate(idx)
    assert vals.shape == (K,)
    np.testing.assert_allclose(vals, X[tuple(idx.T)], rtol=1e-12, atol=1e-14 * np.abs(X).max())


def test_evaluate_single_index_and_index_dtypes():
    x = TensorTrain.random([3, 4, 5], 2, seed=3)
    X = x.full()
    assert x.evaluate([1, 2, 3]) == pytest.approx(X[1, 2, 3], rel=1e-14)
    idx = np.array([[0, 1, 2], [2, 3, 4]])
    for dt in (np.int8, np.uint16, np.int32, np.uint64):
        np.testing.assert_allclose(x.evaluate(idx.astype(dt)), X[tuple(idx.T)], rtol=1e-14)
    np.testing.assert_allclose(x.evaluate(np.asfortranarray(idx)), X[tuple(idx.T)], rtol=1e-14)


@pytest.fixture
def restore_threads():
    n = ttsolve.get_num_threads()
    yield
    ttsolve.set_num_threads(n)


def test_results_identical_for_one_and_two_threads(restore_threads):
    x = TensorTrain.random([6] * 12, 5, seed=11)
    y = TensorTrain.random([6] * 12, 4, seed=12)
    idx = np.random.default_rng(0).integers(0, 6, (5000, 12))

    def run():
        r = (x + y).round(1e-8, max_rank=6)
        rr = (x + y).round(1e-8, max_rank=6, method="randomized", seed=3)
        return (x.evaluate(idx), x.dot(y), x.norm(), x.sum(), [np.array(c) for c in r.cores],
                [np.array(c) for c in rr.cores],
                [np.array(c) for c in x.orthogonalize(4).cores],
                [np.array(c) for c in TensorTrain.random([3] * 5, 3, seed=5).cores])

    ttsolve.set_num_threads(1)
    one = run()
    ttsolve.set_num_threads(2)
    two = run()
    np.testing.assert_array_equal(one[0], two[0])
    assert one[1:4] == two[1:4]
    for a, b in zip(one[4:], two[4:]):
        for ca, cb in zip(a, b):
            np.testing.assert_array_equal(ca, cb)
