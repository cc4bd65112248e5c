"""Bond truncation paths of TT rounding: Gram matrix + eig vs SVD (bond_truncation.cpp).

round() picks the Gram path per bond only where its rounding noise (~ machine eps times
||B||^2 in squared norms) is negligible next to what is discarded, and even a forced Gram
path keeps ||x - round(x)|| <= eps ||x|| through a rigorous margin. These tests check the
bound against dense numpy in both regimes, around the switch, and with the path forced.
"""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ttsolve import TensorTrain, _core
from tt_helpers import dense_from_cores, train_pairs


def round_paths(x, eps, max_rank=0, path="auto"):
    y, gram, svd = _core._testing.tt_round_paths(x._tt, eps, max_rank, path)
    return TensorTrain._wrap(y), gram, svd


def orthogonal_factor_train(sigma, n, d, seed):
    """sum_j sigma_j a_j(1) x ... x a_j(d) with orthonormal a_j(k): every unfolding has
    exactly the singular values sigma (a TT of rank len(sigma) with diagonal cores)."""
    rng = np.random.default_rng(seed)
    m = len(sigma)
    factors = [np.linalg.qr(rng.standard_normal((n, m)))[0] for _ in range(d)]
    cores = [np.zeros((1 if k == 0 else m, n, 1 if k == d - 1 else m)) for k in range(d)]
    for j in range(m):
        for k in range(d):
            a = factors[k][:, j] * (sigma[j] if k == 0 else 1.0)
            cores[k][0 if k == 0 else j, :, 0 if k == d - 1 else j] = a
    return TensorTrain(cores)


def assert_bound(s, r, eps):
    S = dense_from_cores(s.cores)
    err = np.linalg.norm(r.full() - S)
    assert err <= eps * np.linalg.norm(S) + 1e-12 * np.linalg.norm(S)


@given(train_pairs(max_r=3), st.sampled_from([0.0, 1e-12, 1e-8, 1e-5, 1e-3, 0.1, 0.5]))
def test_forced_gram_path_keeps_the_error_bound(pair, eps):
    x, y = pair
    s = x + y
    r, gram, svd = round_paths(s, eps, path="gram")
    assert_bound(s, r, eps)
    assert all(a <= b for a, b in zip(r.ranks, s.ranks))


@given(train_pairs(max_r=3), st.sampled_from([1e-12, 1e-3, 0.1, 0.5]))
def test_auto_path_equals_public_round_and_keeps_the_bound(pair, eps):
    x, y = pair
    s = x + y
    r, _, _ = round_paths(s, eps)
    np.testing.assert_array_equal(r.full(), s.round(eps).full())  # round() uses 'auto'
    assert_bound(s, r, eps)


def test_both_regimes_are_used_and_keep_the_bound():
    sigma = np.logspace(0, -12, 8)
    x = orthogonal_factor_train(sigma, n=8, d=5, seed=3)
    s = x + 0.5 * x  # rank 16 representing 1.5 x: half of each Gram spectrum is zero
    big, gram_big, _ = round_paths(s, 0.1)
    assert gram_big > 0
    assert_bound(s, big, 0.1)
    small, gram_small, svd_small = round_paths(s, 1e-11)
    assert gram_small == 0 and svd_small > 0
    assert_bound(s, small, 1e-11)
    # Both find the singular values' cut: the same ranks as the SVD path.
    for eps, r in ((0.1, big), (1e-11, small)):
        ref, _, _ = round_paths(s, eps, path="svd")
        assert r.ranks == ref.ranks


@pytest.mark.parametrize("seed", [0, 1])
def test_error_bound_around_the_switch(seed):
    # Singular values clustered around the eps where the paths switch (~1e-6 .. 1e-4 here),
    # so the truncation rank and the path change across the sweep of eps.
    sigma = np.concatenate([[1.0, 0.3], np.logspace(-4, -7, 10)])
    x = orthogonal_factor_train(sigma, n=12, d=4, seed=seed)
    s = x + 1e-3 * x
    paths = set()
    for eps in np.logspace(-8, -3, 26):
        r, gram, svd = round_paths(s, eps)
        paths.update(p for p, c in (("gram", gram), ("svd", svd)) if c)
        assert_bound(s, r, eps)
        forced, _, _ = round_paths(s, eps, path="gram")
        assert_bound(s, forced, eps)
    assert paths == {"gram", "svd"}


def test_max_rank_truncation_takes_gram_path_and_matches_svd():
    x = TensorTrain.random([6] * 8, [1] + [12] * 7 + [1], seed=5)
    y = TensorTrain.random([6] * 8, [1] + [12] * 7 + [1], seed=6)
    s = x + y
    r, gram, _ = round_paths(s, 1e-14, max_rank=5)
    ref, _, svd = round_paths(s, 1e-14, max_rank=5, path="svd")
    assert gram > 0 and svd > 0
    assert r.ranks == ref.ranks
    # Same truncation up to rounding noise (the kept spectra are well separated here).
    assert abs((s - r).norm() - (s - ref).norm()) <= 1e-8 * s.norm()


def test_bad_path_name():
    x = TensorTrain.random([2, 2], [1, 2, 1], seed=0)
    with pytest.raises(ValueError, match="path"):
        _core._testing.tt_round_paths(x._tt, 0.1, 0, "qr")
