"""Large-d norms, inner products and rounding: no overflow or underflow."""

import math

import numpy as np
import pytest

from ttsolve import TensorTrain


def scaled_rank_one(d, norms, n=3):
    """Rank-1 train whose core k is a vector of norm norms[k]: ||x|| = prod(norms)."""
    cores = []
    for k in range(d):
        v = np.arange(1.0, n + 1) * (1 + 0.01 * k)
        cores.append((v / np.linalg.norm(v) * norms[k]).reshape(1, n, 1))
    return TensorTrain(cores)


@pytest.mark.parametrize("d, c", [(200, 100.0), (1000, 10.0)])
def test_log_norm_of_huge_and_tiny_trains(d, c):
    big = scaled_rank_one(d, [c] * d)  # norm c^d = 1e400 or 1e1000
    assert big.log_norm() == pytest.approx(d * math.log(c), rel=1e-13)
    with pytest.raises(OverflowError, match="log_norm"):
        big.norm()
    tiny = scaled_rank_one(d, [1 / c] * d)
    assert tiny.log_norm() == pytest.approx(-d * math.log(c), rel=1e-13)
    with pytest.raises(OverflowError, match="log_norm"):
        tiny.norm()
    # Alternating c and 1/c: every partial product is moderate, the norm is 1.
    alt = scaled_rank_one(d, [c, 1 / c] * (d // 2))
    assert alt.norm() == pytest.approx(1.0, rel=1e-12)
    # Large factors first, small ones last: intermediates leave float64 range, the norm is 1.
    ramp = scaled_rank_one(d, [c] * (d // 2) + [1 / c] * (d // 2))
    assert ramp.norm() == pytest.approx(1.0, rel=1e-12)


def test_dot_of_long_random_trains_matches_rank_one_identity():
    d = 1000
    x = scaled_rank_one(d, [10.0] * d)
    sign, log_abs = x.log_dot(x)
    assert sign == 1.0 and log_abs == pytest.approx(2 * d * math.log(10.0), rel=1e-13)
    sign, log_abs = x.log_dot(-x)
    assert sign == -1.0
    y = TensorTrain.random([3] * d, 4, seed=1) * 1.0
    # <y, y> = ||y||^2 and the Cauchy-Schwarz identity for y and 2y hold in log space.
    assert y.log_dot(2 * y)[1] == pytest.approx(math.log(2) + 2 * y.log_norm(), rel=1e-10)


def test_round_and_orthogonalize_long_train_with_huge_norm():
    d = 300
    x = TensorTrain.random([4] * d, 3, seed=2)
    # Scale every core by 10: norm multiplied by 10^300 (still finite) then by more.
    big = TensorTrain([np.array(c) * 10.0 for c in x.cores])
    r = (big + big).round(1e-10)
    assert r.log_norm() == pytest.approx(math.log(2) + big.log_norm(), rel=1e-10)
    assert max(r.ranks) <= max(x.ranks)
    huge = TensorTrain([np.array(c) * 100.0 for c in x.cores])  # norm ~ 1e600
    rh = huge.round(1e-10)
    assert rh.log_norm() == pytest.approx(huge.log_norm(), rel=1e-10)
    with pytest.raises(OverflowError):
        huge.orthogonalize("left")  # the last core would have to hold 1e600


def test_sum_of_long_train():
    d = 1000
    ones = TensorTrain.ones([3] * d)
    sign, log_abs = ones.log_sum()
    assert sign == 1.0 and log_abs == pytest.approx(d * math.log(3), rel=1e-14)
    with pytest.raises(OverflowError, match="log_sum"):
        ones.sum()


def test_norm_of_small_difference_is_accurate():
    # sqrt(<d, d>) loses half the digits here (cancellation in the Gram contractions);
    # the QR-based norm keeps a relative accuracy far below the perturbation size.
    x = TensorTrain.random([4] * 20, 5, seed=1)
    z = TensorTrain.random([4] * 20, 3, seed=2)
    h = 1e-9 * x.norm() / z.norm()
    diff = (x + h * z) - x
    assert diff.norm() == pytest.approx(h * z.norm(), rel=1e-5)
    assert (x - x).norm() >= 0.0
