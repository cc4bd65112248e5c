import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from numpy.polynomial import hermite_e, legendre
from numpy.polynomial import polynomial as P

from ttsolve.basis import H2Orthogonal, Hermite, Legendre, Monomial


def gauss_legendre(n, a, b):
    t, w = legendre.leggauss(n)
    return (a + b) / 2 + (b - a) / 2 * t, w / 2  # normalised measure dx/(b-a)


@pytest.mark.parametrize("degree", [0, 1, 4, 9])
@pytest.mark.parametrize("domain", [(-1.0, 1.0), (0.0, 3.0), (-5.0, -2.0)])
def test_legendre_orthonormal(degree, domain):
    x, w = gauss_legendre(degree + 2, *domain)
    V = Legendre(degree, domain).evaluate(x)[:, 0, :]
    np.testing.assert_allclose(V.T @ (w[:, None] * V), np.eye(degree + 1), atol=1e-11)
    np.testing.assert_allclose(V[:, 0], 1.0)


@pytest.mark.parametrize("degree", [0, 2, 6])
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (1.5, 0.3)])
def test_hermite_orthonormal(degree, mean, std):
    t, w = hermite_e.hermegauss(degree + 2)
    w = w / math.sqrt(2 * math.pi)
    V = Hermite(degree, mean, std).evaluate(mean + std * t)[:, 0, :]
    np.testing.assert_allclose(V.T @ (w[:, None] * V), np.eye(degree + 1), atol=1e-10)


@pytest.mark.parametrize("degree", [0, 1, 3, 7])
@pytest.mark.parametrize("domain", [(-1.0, 1.0), (-3.0, 2.0)])
def test_h2_orthonormal(degree, domain):
    B = H2Orthogonal(degree, domain)
    x, w = gauss_legendre(degree + 2, *domain)
    gram = sum(
        V.T @ (w[:, None] * V) for V in (B.evaluate(x, k)[:, 0, :] for k in range(3))
    )
    np.testing.assert_allclose(gram, np.eye(degree + 1), atol=1e-9)
    np.testing.assert_allclose(B.evaluate(x)[:, 0, 0], 1.0)


@pytest.mark.parametrize("make", [lambda: Legendre(5, (0, 2)), lambda: Hermite(5, 0.5, 2.0),
                                  lambda: H2Orthogonal(5, (-2, 1)), lambda: Monomial(5)])
def test_derivatives_match_numpy(make):
    B = make()
    rng = np.random.default_rng(1)
    X = rng.uniform(-2.5, 2.5, (40, 3))  # also outside the domain: polynomials extend
    V = [B.evaluate(X, k) for k in range(3)]
    # reconstruct each basis polynomial in x from its values and differentiate with numpy
    xs = np.linspace(-1, 1, B.size + 3)
    coeffs = [P.polyfit(xs, B.evaluate(xs)[:, 0, i], B.degree) for i in range(B.size)]
    for k in range(3):
        ref = np.stack([P.polyval(X, P.polyder(c, k) if k else c) for c in coeffs], axis=-1)
        np.testing.assert_allclose(V[k], ref, rtol=1e-7, atol=1e-7 * np.abs(ref).max())


def test_legendre_matches_numpy_values():
    x = np.linspace(-1, 1, 11)
    V = Legendre(4).evaluate(x)[:, 0, :]
    for i in range(5):
        e = np.zeros(i + 1)
        e[i] = 1
        np.testing.assert_allclose(V[:, i], legendre.legval(x, e) * math.sqrt(2 * i + 1), atol=1e-12)


def test_shapes_and_degree_zero():
    B = Legendre(0)
    assert (B.degree, B.size) == (0, 1)
    out = B.evaluate(np.zeros((7, 3)), 2)
    assert out.shape == (7, 3, 1) and np.all(out == 0)


@given(st.integers(0, 8), st.floats(-3, 3), st.floats(0.1, 4))
def test_monomial_property(degree, x, _):
    V = Monomial(degree).evaluate(np.array([[x]]), 1)[0, 0]
    np.testing.assert_allclose(V, [i * x ** (i - 1) if i else 0.0 for i in range(degree + 1)], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("bad,exc", [(-1, ValueError), (2.5, TypeError), (True, TypeError), (100, ValueError)])
def test_bad_degree(bad, exc):
    with pytest.raises(exc, match="degree"):
        Legendre(bad)


def test_bad_inputs():
    with pytest.raises(ValueError, match="domain"):
        Legendre(2, (1, 1))
    with pytest.raises(ValueError, match="domain"):
        H2Orthogonal(2, (0, math.inf))
    with pytest.raises(ValueError, match="std"):
        Hermite(2, std=0)
    B = Legendre(2)
    with pytest.raises(ValueError, match="NaN"):
        B.evaluate(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="derivative"):
        B.evaluate(np.zeros((2, 2)), 3)
    with pytest.raises(ValueError, match="shape"):
        B.evaluate(np.zeros((2, 2, 2)))
    with pytest.raises(TypeError):
        B.evaluate(np.array([["a"]]))
    assert B.evaluate(np.zeros((0, 3))).shape == (0, 3, 3)


@pytest.mark.parametrize("mixed", [False, True])
def test_coordinate_major_layout_same_values(mixed):
    # the fit's (d, K, .) layouts hold exactly the values of the (K, d, .) ones, also when
    # coordinates use different bases (evaluated group by group)
    from ttsolve.basis import evaluate_stacked, product_structure

    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, (37, 5))
    bases = [Legendre(3), Hermite(3, 0.2, 1.5), Legendre(3), Legendre(3, (-2.0, 1.0)), Hermite(3, 0.2, 1.5)]
    if not mixed:
        bases = [Legendre(3)] * 5
    for deriv in (0, 1, 2):
        np.testing.assert_array_equal(evaluate_stacked(bases, X, deriv, coordinate_major=True),
                                      evaluate_stacked(bases, X, deriv).transpose(1, 0, 2))
    Psi, C = product_structure(bases, X)
    PsiT, CT = product_structure(bases, X, coordinate_major=True)
    np.testing.assert_array_equal(PsiT, Psi.transpose(1, 0, 2))
    np.testing.assert_array_equal(CT, C)
