import warnings

import numpy as np
import pytest

from ttsolve._extension import _core
from ttsolve.basis import H2Orthogonal, Legendre
from ttsolve.functional import FunctionalTT
from ttsolve.regression import FitReport, fit


def sum_of_products(rank, d, degree, seed):
    """f(x) = sum_m prod_j q_mj(x_j) with random polynomials q_mj of the given degree."""
    coef = np.random.default_rng(seed).standard_normal((rank, d, degree + 1))

    def f(X):
        powers = X[..., None] ** np.arange(degree + 1)  # (K, d, p)
        return np.einsum("kdp,mdp->kmd", powers, coef).prod(axis=2).sum(axis=1)

    return f


def data(f, d, K, seed, lo=-1.0, hi=1.0):
    X = np.random.default_rng(seed).uniform(lo, hi, (K, d))
    return X, f(X)


def relerr(f, X, y, g=None):
    return np.linalg.norm(f(X, g=g) - y) / np.linalg.norm(y)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_als_exact_recovery(rank):
    d, deg = 5, 2
    target = sum_of_products(rank, d, deg, seed=rank)
    X, y = data(target, d, 800, 0)
    Xv, yv = data(target, d, 300, 1)
    f, rep = fit(X, y, Legendre(deg), ranks=rank, reg=0.0, max_sweeps=30, tol=1e-14, validation=(Xv, yv))
    assert isinstance(rep, FitReport) and rep.sweeps >= 1 and len(rep.residuals) == rep.sweeps
    assert relerr(f, Xv, yv) < 1e-10
    assert f.ranks == tuple([1] + [rank] * (d - 1) + [1])


def test_exact_recovery_with_extra_term():
    d = 4
    target = sum_of_products(2, d, 2, seed=7)
    gfun = lambda X: np.exp(X.sum(1))  # not representable by degree-2 polynomials
    X, y0 = data(target, d, 800, 2)
    Xv, yv0 = data(target, d, 300, 3)
    y, yv = y0 + 1.7 * gfun(X), yv0 + 1.7 * gfun(Xv)
    f, rep = fit(X, y, H2Orthogonal(2), ranks=2, reg=0.0, max_sweeps=30, tol=1e-14,
                 validation=(Xv, yv), extra=(gfun(X), gfun(Xv)))
    assert abs(f.extra_coef - 1.7) < 1e-9
    assert relerr(f, Xv, yv, g=gfun(Xv)) < 1e-10


def test_salsa_finds_rank_3():
    d = 5
    target = sum_of_products(3, d, 2, seed=11)
    X, y = data(target, d, 1500, 4)
    Xv, yv = data(target, d, 400, 5)
    f, rep = fit(X, y, Legendre(2), method="salsa", max_rank=6, max_sweeps=60, tol=1e-13, validation=(Xv, yv))
    assert rep.ranks[0][1] <= 2  # started from rank 1
    assert f.ranks == (1, 3, 3, 3, 3, 1)
    assert relerr(f, Xv, yv) < 1e-7


def test_salsa_does_not_inflate_rank_one():
    d = 6
    c = np.random.default_rng(12).uniform(-0.4, 0.4, (d, 3))
    target = lambda X: np.prod(1 + c[:, 0] * X + c[:, 1] * X**2 + c[:, 2] * X**3, axis=1)
    X, y = data(target, d, 1000, 6)
    f, rep = fit(X, y, Legendre(3), method="salsa", max_rank=5, max_sweeps=15)
    assert f.ranks == tuple([1] * (d + 1))
    assert relerr(f, *data(target, d, 300, 7)) < 1e-8


def noisy_rank2_problem(d=4, s=0.1, K=2000):
    """Training and validation data of a rank-2 target with Gaussian noise of level s."""
    target = sum_of_products(2, d, 2, seed=13)
    X, y = data(target, d, K, 8)
    Xv, yv = data(target, d, K, 9)
    rng = np.random.default_rng(10)
    return X, y + s * rng.standard_normal(K), Xv, yv + s * rng.standard_normal(K)


def test_noise_level_and_early_stopping():
    d, s, K = 4, 0.1, 2000
    X, yn, Xv, yvn = noisy_rank2_problem(d, s, K)
    # over-parametrised model: the validation residual stops improving and fitting stops early
    f, rep = fit(X, yn, Legendre(5), ranks=4, reg=1e-12, max_sweeps=40, tol=0.0, validation=(Xv, yvn), patience=2)
    assert rep.stop_reason == "validation"
    assert rep.best_sweep == int(np.argmin(rep.validation)) + 1
    rmse = np.sqrt(np.mean((f(Xv) - yvn) ** 2))
    # noise s plus an estimation error of order s * sqrt(unknowns / K) (unknowns <= 4*6*4 per core)
    assert s * (1 - 4 / np.sqrt(K)) < rmse < s * (1 + 3 * np.sqrt(600 / K))


def test_weights_and_warm_start():
    d = 4
    target = sum_of_products(2, d, 2, seed=14)
    X, y = data(target, d, 600, 11)
    w = np.random.default_rng(12).uniform(0.5, 2.0, 600)
    f, rep = fit(X, y, Legendre(2), ranks=2, weights=w, reg=0.0, max_sweeps=30, tol=1e-14)
    assert relerr(f, *data(target, d, 200, 13)) < 1e-10
    g, rep2 = fit(X, y, Legendre(2), init=f, reg=0.0, max_sweeps=5, tol=1e-14)
    assert rep2.residuals[0] < 1e-10 and g.ranks == f.ranks
    # zero weight on corrupted samples ignores them
    y_bad = y.copy()
    y_bad[:50] += 100.0
    w0 = np.ones(600)
    w0[:50] = 0.0
    h, _ = fit(X, y_bad, Legendre(2), ranks=2, weights=w0, reg=0.0, max_sweeps=30, tol=1e-14)
    assert relerr(h, *data(target, d, 200, 13)) < 1e-10


def test_degree_zero_and_d_one():
    X = np.random.default_rng(14).uniform(-1, 1, (50, 100))
    f, _ = fit(X, np.full(50, 3.0), Legendre(0), ranks=1, max_sweeps=2)
    np.testing.assert_allclose(f(X[:5]), 3.0, rtol=1e-9)
    X1 = X[:, :1]
    f1, _ = fit(X1, 1 + X1[:, 0] ** 2, Legendre(2), max_sweeps=2)
    np.testing.assert_allclose(f1(X1), 1 + X1[:, 0] ** 2, atol=1e-9)


@pytest.mark.parametrize("method", ["salsa", "als"])
def test_thread_count_invariance(method):
    # large enough for the threaded Gram (ALS: inside the C++ sweep)
    d = 5
    target = sum_of_products(3, d, 3, seed=15)
    X, y = data(target, d, 6000, 16)
    y = y + 0.01 * np.random.default_rng(17).standard_normal(6000)
    old = _core.get_num_threads()
    out = []
    try:
        for n in (1, 2):
            _core.set_num_threads(n)
            f, rep = fit(X, y, Legendre(3), method=method, max_rank=4, max_sweeps=3, tol=0.0, seed=3)
            out.append((f.tt.cores, rep.residuals))
    finally:
        _core.set_num_threads(old)
    assert out[0][1] == out[1][1]
    for a, b in zip(out[0][0], out[1][0]):
        np.testing.assert_array_equal(a, b)


def test_bad_inputs():
    X = np.random.default_rng(18).uniform(-1, 1, (100, 3))
    y = X.sum(1)
    B = Legendre(2)
    with pytest.raises(ValueError, match="NaN"):
        fit(np.where(X > 0.99, np.nan, X), y, B)
    with pytest.raises(ValueError, match="y contains NaN"):
        fit(X, np.where(y > 0, np.inf, y), B)
    with pytest.raises(ValueError, match="y must have shape"):
        fit(X, y[:-1], B)
    with pytest.raises(ValueError, match="max_rank"):
        fit(X, y, B, max_rank=0)
    with pytest.raises(ValueError, match="method"):
        fit(X, y, B, method="dmrg")
    with pytest.raises(ValueError, match="reg"):
        fit(X, y, B, reg=-1.0)
    with pytest.raises(ValueError, match="weights"):
        fit(X, y, B, weights=-np.ones(100))
    with pytest.raises(ValueError, match="gXv"):
        fit(X, y, B, validation=(X, y), extra=(y,))
    with pytest.raises(ValueError, match="validation X"):
        fit(X, y, B, validation=(X[:, :2], y))
    with pytest.raises(ValueError, match="too few samples"):
        fit(X[:10], y[:10], B, ranks=3, reg=0.0)
    with pytest.warns(RuntimeWarning, match="unknowns"):
        f, _ = fit(X[:10], y[:10], B, ranks=3, reg=1e-6, max_sweeps=2)
    assert np.all(np.isfinite(f(X)))
    with pytest.raises(ValueError, match="at least one"):
        fit(X[:0], y[:0], B)
    with pytest.raises(ValueError, match="init"):
        fit(X, y, B, init=FunctionalTT(fit(X[:, :2], y, B, max_sweeps=1)[0].tt, B))
    # outside the basis interval: allowed (polynomials extend), exact for polynomial targets
    f, _ = fit(3 * X, 3 * y, B, ranks=2, reg=0.0, max_sweeps=30, tol=1e-14)
    np.testing.assert_allclose(f(3 * X), 3 * y, atol=1e-8)


def test_salsa_warm_start_keeps_accuracy():
    d = 4
    target = sum_of_products(2, d, 2, seed=21)
    X, y = data(target, d, 800, 22)
    f, _ = fit(X, y, Legendre(2), ranks=2, reg=0.0, max_sweeps=30, tol=1e-14)
    g, rep = fit(X, y, Legendre(2), method="salsa", init=f, max_rank=4, max_sweeps=2)
    assert rep.residuals[0] < 1e-6
    assert relerr(g, *data(target, d, 200, 23)) < 1e-6


def test_absurd_ranks_refused():
    X = np.random.default_rng(30).uniform(-1, 1, (50, 40))
    with pytest.raises(MemoryError, match="ranks"):
        fit(X, X[:, 0], Legendre(3), ranks=10**6)
    with pytest.raises(MemoryError, match="max_rank"):
        fit(X, X[:, 0], Legendre(3), method="salsa", max_rank=10**4)


@pytest.mark.parametrize("r, p, r2, extra, weighted", [(1, 3, 2, False, False), (3, 4, 2, True, True),
                                                      (2, 1, 3, True, False), (4, 3, 1, False, True)])
def test_normal_equations_match_dense_design(r, p, r2, extra, weighted, gram_path):
    # the structured (pair-product) Gram assembly against the explicit design matrix
    rng = np.random.default_rng(r * 100 + p * 10 + r2)
    K, d, k = 700, 3, 1
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    Phi = rng.standard_normal((K, d, p))
    y = rng.standard_normal(K)
    g = rng.standard_normal(K) if extra else None
    w = rng.uniform(0.1, 2.0, K) if weighted else None
    G, b = _core.regression.als_normal_equations(L, Phi, R, k, g, w, y)
    A = np.einsum("ka,kj,kb->kajb", L, Phi[:, k], R).reshape(K, -1)
    if extra:
        A = np.column_stack([A, g])
    wv = np.ones(K) if w is None else w
    np.testing.assert_allclose(G, A.T @ (wv[:, None] * A), rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(b, A.T @ (wv * y), rtol=1e-12, atol=1e-10)
