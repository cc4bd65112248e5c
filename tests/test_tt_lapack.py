"""The row-major BLAS/LAPACK wrappers (csrc/common/lapack.cpp), checked through TT
operations on two-core trains, i.e. plain matrices, against numpy."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ttsolve import TensorTrain, _core

sizes = st.integers(1, 9)


def matrix_train(a):
    """Two-core train with cores (1, m, k) and (k, n, 1) from a factorisation a = b @ c."""
    b, c = a
    return TensorTrain([b[None, :, :], c[:, :, None]])


@given(sizes, sizes, sizes, st.integers(0, 2**32))
def test_gemm_through_full(m, k, n, seed):
    rng = np.random.default_rng(seed)
    b, c = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    np.testing.assert_allclose(matrix_train((b, c)).full(), b @ c, rtol=1e-13, atol=1e-13)


@given(sizes, sizes, st.integers(0, 2**32), st.integers(1, 9))
def test_svd_through_tt_svd_is_eckart_young(m, n, seed, k):
    a = np.random.default_rng(seed).standard_normal((m, n))
    s = np.linalg.svd(a, compute_uv=False)
    x = TensorTrain.from_dense(a, eps=0.0, max_rank=k)
    kk = min(k, m, n)
    assert x.ranks == (1, kk, 1)
    # Best rank-k error, exactly as numpy's singular values predict.
    np.testing.assert_allclose(np.linalg.norm(x.full() - a), np.sqrt(np.sum(s[kk:] ** 2)), atol=1e-12)
    u = np.array(x.cores[0][0])
    np.testing.assert_allclose(u.T @ u, np.eye(kk), atol=1e-12)


@given(sizes, sizes, sizes, st.integers(0, 2**32))
def test_qr_through_orthogonalize(m, k, n, seed):
    rng = np.random.default_rng(seed)
    b, c = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    x = matrix_train((b, c))
    for direction in ("left", "right"):
        y = x.orthogonalize(direction)
        np.testing.assert_allclose(y.full(), b @ c, rtol=1e-12, atol=1e-12)
        assert y.ranks[1] == (min(m, k) if direction == "left" else min(k, n))
    q = np.array(x.orthogonalize("left").cores[0][0])  # (m, min(m, k)): orthonormal columns
    np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-12)
    w = np.array(x.orthogonalize("right").cores[1][:, :, 0])  # (min(k, n), n): orthonormal rows
    np.testing.assert_allclose(w @ w.T, np.eye(w.shape[0]), atol=1e-12)


@given(sizes, sizes, st.integers(0, 2**32))
def test_gemv_through_sum(m, n, seed):
    rng = np.random.default_rng(seed)
    b, c = rng.standard_normal((m, 3)), rng.standard_normal((3, n))
    np.testing.assert_allclose(matrix_train((b, c)).sum(), (b @ c).sum(), rtol=1e-12,
                               atol=1e-12 * np.abs(b @ c).sum())


def random_symmetric(n, rank, seed):
    """Symmetric n x n; positive semi-definite of the given rank if rank < n, else indefinite."""
    rng = np.random.default_rng(seed)
    if rank < n:
        x = rng.standard_normal((rank, n))
        return x.T @ x
    a = rng.standard_normal((n, n))
    return a + a.T


def check_eigenpairs(a, w, v, w_ref, vector_values=None):
    """w must match numpy's eigenvalues; rows of v orthonormal with a v_j = c_j v_j, c the
    eigenvalues the rows belong to (vector_values, default w)."""
    c = w if vector_values is None else vector_values
    scale = max(np.abs(w_ref).max(initial=0.0), 1.0)
    np.testing.assert_allclose(w, w_ref, atol=1e-12 * scale * len(a))
    np.testing.assert_allclose(v @ v.T, np.eye(len(c)), atol=1e-12 * len(a))
    np.testing.assert_allclose(a @ v.T, v.T * c, atol=1e-11 * scale * len(a))


@given(st.integers(1, 40), st.integers(0, 40), st.integers(0, 2**32))
def test_symmetric_eig_against_numpy(n, rank, seed):
    a = random_symmetric(n, min(rank, n), seed)
    w, v = _core._testing.la_symmetric_eig(a)
    assert w.shape == (n,) and v.shape == (n, n)
    assert np.all(np.diff(w) >= 0)
    check_eigenpairs(a, w, v, np.linalg.eigvalsh(a))


def clustered_symmetric(n, seed):
    """Q diag(w) Q^T with heavily repeated eigenvalues (inverse iteration must re-orthogonalise)."""
    rng = np.random.default_rng(seed)
    q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    w = rng.choice([0.0, 1.0, 1.0 + 1e-13, 3.0], size=n)
    return (q * w) @ q.T


@given(st.integers(1, 40), st.integers(0, 40), st.integers(0, 40), st.integers(0, 2**32), st.booleans())
def test_symmetric_eig_top_against_numpy(n, rank, k, seed, clustered):
    a = clustered_symmetric(n, seed) if clustered else random_symmetric(n, min(rank, n), seed)
    k = min(k, n)
    w, v = _core._testing.la_symmetric_eig_top(a, k)
    assert w.shape == (n,) and v.shape == (k, n)
    # row j of v belongs to the j-th largest eigenvalue
    check_eigenpairs(a, w, v, np.linalg.eigvalsh(a), vector_values=w[::-1][:k])


def test_symmetric_eig_top_identity_and_bad_input():
    w, v = _core._testing.la_symmetric_eig_top(np.eye(30), 12)  # one 30-fold eigenvalue
    np.testing.assert_allclose(w, np.ones(30), atol=1e-14)
    np.testing.assert_allclose(v @ v.T, np.eye(12), atol=1e-13)
    w, v = _core._testing.la_symmetric_eig_top(np.zeros((4, 4)), 2)  # inverse iteration breaks down: fallback
    np.testing.assert_array_equal(w, np.zeros(4))
    np.testing.assert_allclose(v @ v.T, np.eye(2), atol=1e-14)
    with pytest.raises(ValueError, match="k must"):
        _core._testing.la_symmetric_eig_top(np.eye(3), 4)
    with pytest.raises(ValueError, match="square"):
        _core._testing.la_symmetric_eig_top(np.ones((2, 3)), 1)


@given(sizes, sizes, st.booleans(), st.booleans(), st.integers(0, 2**32))
def test_trmm_lower_against_numpy(m, n, left, transpose, seed):
    rng = np.random.default_rng(seed)
    b = rng.standard_normal((m, n))
    full = rng.standard_normal((m, m) if left else (n, n))  # only the lower triangle may be read
    low = np.tril(full)
    op = low.T if transpose else low
    expected = op @ b if left else b @ op
    out = _core._testing.la_trmm_lower(b, full, left, transpose)
    np.testing.assert_allclose(out, expected, rtol=1e-13, atol=1e-13 * np.abs(op).sum() * np.abs(b).max())
    with pytest.raises(ValueError, match="L must match"):
        _core._testing.la_trmm_lower(b, np.eye(len(low) + 1), left, transpose)


@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32))
def test_lq_inplace_against_numpy(m, n, seed):
    a = np.random.default_rng(seed).standard_normal((m, n))
    low, q = _core._testing.la_lq_inplace(a)
    k = min(m, n)
    assert low.shape == (m, k) and q.shape == (k, n)
    np.testing.assert_allclose(low @ q, a, atol=1e-13 * max(1.0, np.abs(a).max()) * n)
    np.testing.assert_allclose(q @ q.T, np.eye(k), atol=1e-14 * n)
    np.testing.assert_array_equal(low, np.tril(low))
    # unique up to signs: |L| matches numpy's QR of a^T
    r = np.linalg.qr(a.T, mode="r")
    np.testing.assert_allclose(np.abs(low), np.abs(r.T[:, :k]), atol=1e-12 * max(1.0, np.abs(a).max()) * n)


def test_symmetric_eig_rejects_bad_input():
    with pytest.raises(ValueError, match="square"):
        _core._testing.la_symmetric_eig(np.ones((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        _core._testing.la_symmetric_eig(np.full((2, 2), np.nan))
