"""Copies, pickling and ttsolve.save/load of TensorTrain (exact round trips)."""

import pickle

import numpy as np

import ttsolve
from ttsolve import TensorTrain


def assert_same(x, y):
    assert x.dims == y.dims and x.ranks == y.ranks
    for a, b in zip(x.cores, y.cores):
        np.testing.assert_array_equal(a, b)


def test_pickle_round_trip():
    x = TensorTrain.random([3, 4, 5], [1, 2, 3, 1], seed=4)
    assert_same(pickle.loads(pickle.dumps(x)), x)


def test_save_load_round_trip(tmp_path):
    for x in (TensorTrain.random([3, 4, 5], 3, seed=4), TensorTrain.ones([7])):
        path = tmp_path / "x.npz"
        ttsolve.save(path, x)
        y = ttsolve.load(path)
        assert isinstance(y, TensorTrain)
        assert_same(y, x)


def test_copy_is_independent():
    x = TensorTrain.random([3, 4], 2, seed=1)
    y = x.copy()
    z = y * 2.0
    assert_same(x, y)
    np.testing.assert_array_equal(z.full(), 2 * x.full())
