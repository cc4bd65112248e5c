"""Bad input to TensorTrain: clear Python exceptions, never a crash or wrong numbers."""

import numpy as np
import pytest

from ttsolve import TensorTrain

GOOD = [np.ones((1, 2, 3)), np.ones((3, 4, 1))]


@pytest.mark.parametrize(
    "cores, exc, match",
    [
        ([], ValueError, "non-empty"),
        ([np.ones((1, 2))], ValueError, "3-D"),
        ([np.ones((1, 2, 3, 1))], ValueError, "3-D"),
        ([np.ones((1, 2, 3)), np.ones((2, 4, 1))], ValueError, "rank mismatch"),
        ([np.ones((2, 2, 1))], ValueError, "boundary ranks"),
        ([np.ones((1, 2, 2))], ValueError, "boundary ranks"),
        ([np.ones((1, 0, 1))], ValueError, "dims"),
        ([np.ones((1, 2, 0)), np.ones((0, 2, 1))], ValueError, "ranks"),
        ([np.array([[[np.nan]]])], ValueError, "NaN or inf"),
        ([np.ones((1, 2, 3)), np.full((3, 4, 1), np.inf)], ValueError, "NaN or inf"),
        ([np.ones((1, 2, 1), dtype=complex)], TypeError, "dtype"),
        ([np.array([[["a"]]])], TypeError, "dtype"),
        (np.ones((1, 2, 1)), TypeError, "list"),
        ("abc", TypeError, "list"),
    ],
)
def test_bad_cores(cores, exc, match):
    with pytest.raises(exc, match=match):
        TensorTrain(cores)


def test_incompatible_trains_name_the_dims():
    x = TensorTrain.random([2, 3], 2, seed=0)
    y = TensorTrain.random([2, 4], 2, seed=0)
    z = TensorTrain.random([2, 3, 1], 2, seed=0)
    for op in (lambda: x + y, lambda: x - y, lambda: x * y, lambda: x.dot(y), lambda: x + z):
        with pytest.raises(ValueError, match=r"\(2, 3\)"):
            op()
    with pytest.raises(TypeError):
        x + 1.0
    with pytest.raises(TypeError):
        x.dot(np.ones((2, 3)))
    with pytest.raises(TypeError):
        x * "a"


def test_bad_scalars():
    x = TensorTrain.random([2, 3], 2, seed=0)
    for bad in (np.nan, np.inf, -np.inf):
        with pytest.raises(ValueError, match="finite"):
            x * bad
        with pytest.raises(ValueError, match="finite"):
            x / bad
    with pytest.raises(TypeError):
        x * True


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="dims"):
        TensorTrain.random([], 2)
    with pytest.raises(ValueError, match="dims"):
        TensorTrain.random([2, 0], 2)
    with pytest.raises(ValueError, match="ranks"):
        TensorTrain.random([2, 3], 0)
    with pytest.raises(ValueError, match="ranks"):
        TensorTrain.random([2, 3], -1)
    with pytest.raises(ValueError, match="ranks"):
        TensorTrain.random([2, 3], [1, 2])
    with pytest.raises(ValueError, match="ranks"):
        TensorTrain.random([2, 3], [1, 0, 1])
    with pytest.raises(ValueError, match="boundary"):
        TensorTrain.random([2, 3], [2, 2, 1])
    with pytest.raises(TypeError):
        TensorTrain.random([2.5, 3], 2)
    with pytest.raises(TypeError):
        TensorTrain.random([2, 3], 2, seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        TensorTrain.random([2, 3], 2, seed=-1)
    # absurd sizes are refused, not allocated: MemoryError naming the shape and the size
    with pytest.raises(MemoryError, match=r"dims \(1000000, 1000000\) .* GB"):
        TensorTrain.random([10**6, 10**6], [1, 10**6, 1])
    with pytest.raises(TypeError):
        TensorTrain.zeros(3)


def test_bad_round_and_from_dense_arguments():
    x = TensorTrain.random([2, 3, 4], 2, seed=0)
    for eps in (-1e-3, np.nan, np.inf):
        with pytest.raises(ValueError, match="eps"):
            x.round(eps)
        with pytest.raises(ValueError, match="eps"):
            TensorTrain.from_dense(np.ones((2, 3)), eps=eps)
    for mr in (0, -2):
        with pytest.raises(ValueError, match="max_rank"):
            x.round(1e-3, max_rank=mr)
    with pytest.raises(TypeError, match="max_rank"):
        x.round(1e-3, max_rank=2.0)
    with pytest.raises(ValueError, match="NaN or inf"):
        TensorTrain.from_dense(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="empty"):
        TensorTrain.from_dense(np.ones((2, 0)))
    with pytest.raises(ValueError, match="dimension"):
        TensorTrain.from_dense(np.float64(3.0))
    with pytest.raises(TypeError, match="dtype"):
        TensorTrain.from_dense(np.ones((2, 2), dtype=complex))


def test_bad_orthogonalize_arguments():
    x = TensorTrain.random([2, 3, 4], 2, seed=0)
    with pytest.raises(ValueError, match="direction"):
        x.orthogonalize("up")
    with pytest.raises(IndexError):
        x.orthogonalize(3)
    with pytest.raises(IndexError):
        x.orthogonalize(-4)
    with pytest.raises(TypeError):
        x.orthogonalize(1.0)


def test_bad_evaluate_indices():
    x = TensorTrain.random([2, 3, 4], 2, seed=0)
    with pytest.raises(TypeError, match="integer"):
        x.evaluate(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="integer"):
        x.evaluate(np.zeros((2, 3), dtype=bool))
    with pytest.raises(IndexError, match=r"idx\[1, 2\] = 4"):
        x.evaluate([[0, 0, 0], [1, 2, 4]])
    with pytest.raises(IndexError, match="out of range"):
        x.evaluate([[-1, 0, 0]])
    with pytest.raises(IndexError):
        x.evaluate(np.array([[0, 0, 2**64 - 1]], dtype=np.uint64))
    with pytest.raises(ValueError, match="shape"):
        x.evaluate(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="shape"):
        x.evaluate(np.zeros((2, 3, 1), dtype=int))
    assert x.evaluate(np.zeros((0, 3), dtype=int)).shape == (0,)


def test_full_refuses_unreasonable_sizes():
    x = TensorTrain.random([10] * 12, 2, seed=0)
    with pytest.raises(MemoryError, match="max_entries"):
        x.full()
    small = TensorTrain.random([4, 4], 2, seed=0)
    with pytest.raises(MemoryError):
        small.full(max_entries=10)
    assert small.full(max_entries=16).shape == (4, 4)


def test_cores_are_read_only_views():
    x = TensorTrain.random([2, 3], 2, seed=0)
    c = x.cores[0]
    with pytest.raises(ValueError):
        c[0, 0, 0] = 1.0
    y = x.copy()
    assert y.cores[0] is not c and np.array_equal(y.cores[0], c)
