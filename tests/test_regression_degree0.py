"""Degree-0 bases: fit() solves the model C + c g in closed form, FunctionalTT evaluates it once."""

import numpy as np
import pytest

from ttsolve import TensorTrain
from ttsolve.basis import Hermite, Legendre
from ttsolve.functional import FunctionalTT
from ttsolve.regression import fit


def _data(K=300, d=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (K, d))
    g = np.log(0.5 + 0.5 * np.sum(X**2, axis=1))
    y = 0.7 - 1.3 * g + 0.01 * rng.standard_normal(K)
    return X, g, y


@pytest.mark.parametrize("basis", [Legendre(0, domain=(-2.0, 3.0)), Hermite(0, std=2.0)])
def test_closed_form_equals_least_squares(basis):
    X, g, y = _data()
    f, rep = fit(X, y, basis, extra=(g,), reg=0.0)
    A = np.column_stack([np.ones_like(g), g])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(f(X, g=g), A @ coef, rtol=1e-12, atol=1e-12)
    assert f.extra_coef == pytest.approx(coef[1], rel=1e-12)
    assert rep.stop_reason == "closed form" and rep.sweeps == 1
    assert rep.residuals[0] == pytest.approx(np.linalg.norm(A @ coef - y) / np.linalg.norm(y), rel=1e-10)


def test_weights_ridge_and_validation():
    X, g, y = _data(seed=1)
    w = np.random.default_rng(2).uniform(0.1, 2.0, y.size)
    reg = 1e-2
    basis = Legendre(0)
    f, rep = fit(X, y, basis, extra=(g, g[:50]), reg=reg, weights=w, validation=(X[:50], y[:50]))
    # minimise sum w (C phi + c g - y)^2 / sum w + reg C^2 (the TT coefficient C is penalised, c not)
    phi = float(np.prod(basis.evaluate(np.zeros((1, 1)))[0, 0]) ** X.shape[1])
    A = np.column_stack([np.full_like(g, phi), g])
    G = A.T @ (w[:, None] * A) / w.sum() + np.diag([reg, 0.0])
    C, c = np.linalg.solve(G, A.T @ (w * y) / w.sum())
    assert f.extra_coef == pytest.approx(c, rel=1e-10)
    np.testing.assert_allclose(f(X, g=g), phi * C + c * g, rtol=1e-10)
    assert len(rep.validation) == 1 and np.isfinite(rep.validation[0])


def test_without_extra_term_fits_the_mean():
    X, _, y = _data(seed=3)
    f, _ = fit(X, y, Legendre(0), reg=0.0)
    np.testing.assert_allclose(f(X), np.full(y.size, y.mean()), rtol=1e-12)


def test_degree0_evaluation_matches_dense_formula():
    d = 6
    rng = np.random.default_rng(4)
    tt = TensorTrain.random([1] * d, [1, 2, 3, 3, 2, 1, 1], seed=5)
    basis = [Legendre(0, domain=(-1.0 - k, 1.0 + k)) for k in range(d)]
    f = FunctionalTT(tt, basis)
    X = rng.uniform(-1, 1, (9, d))
    const = float(tt.full().reshape(())) * np.prod([b.evaluate(np.zeros((1, 1)))[0, 0, 0] for b in basis])
    np.testing.assert_allclose(f(X), np.full(9, const), rtol=1e-13)
    assert np.array_equal(f.grad(X), np.zeros((9, d)))
    assert np.array_equal(f.laplacian(X), np.zeros(9))
    assert f(X[:1])[0] == pytest.approx(const, rel=1e-13)  # single point: the general kernel


def test_degree0_bad_input_still_refused():
    X, g, y = _data(seed=5)
    with pytest.raises(ValueError, match="NaN"):
        fit(X, np.where(np.arange(y.size) == 3, np.nan, y), Legendre(0))
    with pytest.raises(ValueError):
        fit(X, y[:-1], Legendre(0))
    with pytest.raises(ValueError):
        fit(X, y, Legendre(0), extra=(g[:-1],))


def test_extra_powers_closed_form():
    """y = C + c1 g + c2 g^2 is recovered exactly (degree 0, two powers of g)."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (200, 6))
    g = np.log(0.5 + 0.5 * np.sum(X**2, axis=1))
    gv = g[:40]
    y = 0.7 - 1.3 * g + 0.4 * g**2
    f, rep = fit(X, y, Legendre(0), extra=(g, gv), extra_powers=2, reg=0.0, validation=(X[:40], y[:40]))
    np.testing.assert_allclose(f.extra_coef, [-1.3, 0.4], rtol=1e-10)
    np.testing.assert_allclose(f(X, g=g), y, rtol=1e-10, atol=1e-12)
    assert rep.residuals[0] < 1e-12 and rep.validation[0] < 1e-12
    # with noise: the same as a dense least-squares fit on the columns 1, g, g^2, g^3
    y3 = y + 0.2 * g**3 + 0.01 * rng.standard_normal(g.size)
    f3, _ = fit(X, y3, Legendre(0), extra=(g,), extra_powers=3, reg=0.0)
    A = np.column_stack([np.ones_like(g), g, g**2, g**3])
    coef = np.linalg.lstsq(A, y3, rcond=None)[0]
    np.testing.assert_allclose(f3.extra_coef, coef[1:], rtol=1e-9)


def test_extra_powers_refused_where_unsupported():
    X, g, y = _data(K=50, d=3)
    with pytest.raises(NotImplementedError, match="degree-0"):
        fit(X, y, Legendre(2), extra=(g,), extra_powers=2)
    with pytest.raises(ValueError, match="extra_powers"):
        fit(X, y, Legendre(0), extra=(g,), extra_powers=0)
    with pytest.raises(TypeError, match="extra_powers"):
        fit(X, y, Legendre(0), extra=(g,), extra_powers=1.5)
