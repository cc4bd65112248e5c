import numpy as np
import pytest

import ttsolve
from ttsolve import io
from ttsolve._extension import _core
from ttsolve.basis import H2Orthogonal, Hermite, Legendre
from ttsolve.functional import AdditiveTerm, FunctionalTT
from ttsolve.tt import TensorTrain


def random_ftt(d, p, r, basis, seed=0):
    rng = np.random.default_rng(seed)
    ranks = [1] + [r] * (d - 1) + [1]
    return FunctionalTT(TensorTrain([rng.standard_normal((ranks[k], p, ranks[k + 1])) for k in range(d)]), basis)


def dense(f):
    full = f.tt.cores[0]
    for c in f.tt.cores[1:]:
        full = np.tensordot(full, c, axes=([-1], [0]))
    return full[0, ..., 0]


def dense_eval(f, X, derivs):
    """sum_i C[i] prod_j phi^(derivs[j])_{i_j}(x_j) by brute force."""
    C = dense(f)
    out = np.empty(len(X))
    for n, x in enumerate(X):
        T = C
        for j in range(len(x)):
            v = f._bases[j].evaluate(x[j : j + 1][None, :], derivs[j])[0, 0]
            T = np.tensordot(v, T, axes=([0], [0]))
        out[n] = T
    return out


@pytest.mark.parametrize("basis", [Legendre(2), H2Orthogonal(3, (-2, 2)), Hermite(1)])
def test_value_grad_laplacian_dense(basis):
    d = 4
    f = random_ftt(d, basis.size, 3, basis)
    X = np.random.default_rng(2).uniform(-1, 1, (6, d))
    np.testing.assert_allclose(f(X), dense_eval(f, X, [0] * d), rtol=1e-12, atol=1e-12)
    G = f.grad(X)
    lap = np.zeros(len(X))
    for j in range(d):
        e = [0] * d
        e[j] = 1
        np.testing.assert_allclose(G[:, j], dense_eval(f, X, e), rtol=1e-11, atol=1e-11)
        e[j] = 2
        lap += dense_eval(f, X, e)
    np.testing.assert_allclose(f.laplacian(X), lap, rtol=1e-11, atol=1e-11)


def test_finite_differences():
    d, h = 5, 1e-4
    f = random_ftt(d, 4, 2, Legendre(3))
    X = np.random.default_rng(3).uniform(-1, 1, (8, d))
    G, lap = f.grad(X), f.laplacian(X)
    fd_lap = np.zeros(len(X))
    for j in range(d):
        E = np.zeros(d)
        E[j] = h
        np.testing.assert_allclose(G[:, j], (f(X + E) - f(X - E)) / (2 * h), rtol=1e-6, atol=1e-6)
        fd_lap += (f(X + E) - 2 * f(X) + f(X - E)) / h**2
    np.testing.assert_allclose(lap, fd_lap, rtol=1e-4, atol=1e-4)


def test_extra_term():
    d = 3
    f0 = random_ftt(d, 3, 2, Legendre(2))
    term = AdditiveTerm(lambda X: np.sum(X**2, 1), lambda X: 2 * X, lambda X: np.full(len(X), 2.0 * X.shape[1]))
    f = FunctionalTT(f0.tt, f0.basis, 0.5, term)
    X = np.random.default_rng(4).uniform(-1, 1, (5, d))
    np.testing.assert_allclose(f(X), f0(X) + 0.5 * np.sum(X**2, 1))
    np.testing.assert_allclose(f.grad(X), f0.grad(X) + X)
    np.testing.assert_allclose(f.laplacian(X), f0.laplacian(X) + d)
    np.testing.assert_allclose(f(X, g=np.ones(5)), f0(X) + 0.5)
    bare = FunctionalTT(f0.tt, f0.basis, 0.5)
    with pytest.raises(ValueError, match="additive term"):
        bare(X)
    with pytest.raises(ValueError, match="shape"):
        bare(X, g=np.ones(4))
    with pytest.raises(ValueError, match="grad"):
        FunctionalTT(f0.tt, f0.basis, 0.5, AdditiveTerm(lambda X: X[:, 0])).grad(X)


def test_degree_zero_rank_one():
    f = FunctionalTT(TensorTrain([np.full((1, 1, 1), 2.0)] * 100), Legendre(0))
    X = np.zeros((3, 100))
    np.testing.assert_allclose(f(X), 2.0**100)
    assert np.all(f.grad(X) == 0) and np.all(f.laplacian(X) == 0)


def test_save_load_roundtrip(tmp_path):
    f = random_ftt(3, 4, 2, [Legendre(3, (0, 1)), Hermite(3, 1.0, 2.0), H2Orthogonal(3, (-1, 2))])
    f.extra_coef = 0.25
    io.save(tmp_path / "f.npz", f)
    g = io.load(tmp_path / "f.npz")
    assert g.extra_coef == 0.25 and g.extra is None and g._bases == f._bases
    X = np.random.default_rng(5).uniform(0, 1, (10, 3))
    np.testing.assert_array_equal(g(X, g=np.ones(10)), f(X, g=np.ones(10)))
    h = random_ftt(2, 3, 2, Legendre(2, (0, 5)))
    io.save(tmp_path / "h.npz", h)
    assert io.load(tmp_path / "h.npz").basis == Legendre(2, (0, 5))


def test_thread_count_invariance():
    f = random_ftt(6, 4, 3, Legendre(3))
    X = np.random.default_rng(6).uniform(-1, 1, (9001, 6))
    old = _core.get_num_threads()
    try:
        _core.set_num_threads(1)
        a = (f(X), f.grad(X), f.laplacian(X))
        _core.set_num_threads(2)
        b = (f(X), f.grad(X), f.laplacian(X))
    finally:
        _core.set_num_threads(old)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_bad_inputs():
    f = random_ftt(3, 3, 2, Legendre(2))
    with pytest.raises(ValueError, match="shape"):
        f(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="NaN"):
        f(np.array([[0.0, np.inf, 0.0]]))
    with pytest.raises(ValueError, match="basis size"):
        FunctionalTT(f.tt, Legendre(3))
    with pytest.raises(TypeError):
        FunctionalTT([np.zeros((1, 3, 1))], Legendre(2))
    with pytest.raises(TypeError):
        FunctionalTT(f.tt, [Legendre(2)] * 2)
    with pytest.raises(ValueError, match="finite"):
        FunctionalTT(f.tt, Legendre(2), extra_coef=np.nan)
    assert f(np.zeros((0, 3))).shape == (0,)


def test_round_keeps_function():
    f = random_ftt(4, 3, 2, Legendre(2))
    # double the ranks by stacking f with itself: round must bring them back
    cores = f.tt.cores
    big = [np.concatenate([cores[0], cores[0]], axis=2)]
    for c in cores[1:-1]:
        z = np.zeros_like(c)
        big.append(np.concatenate([np.concatenate([c, z], 2), np.concatenate([z, c], 2)], 0))
    big.append(np.concatenate([cores[-1], cores[-1]], axis=0))
    g = FunctionalTT(TensorTrain(big), f.basis)
    X = np.random.default_rng(7).uniform(-1, 1, (20, 4))
    np.testing.assert_allclose(g(X), 2 * f(X), rtol=1e-12)
    h = g.round(1e-12)
    assert max(h.ranks) <= 2
    np.testing.assert_allclose(h(X), 2 * f(X), rtol=1e-9, atol=1e-9)


def test_additive_powers_of_g():
    """f = TT + c1 g + c2 g^2 + c3 g^3: values, gradients and Laplacians by the chain rule."""
    d = 3
    f0 = random_ftt(d, 3, 2, Legendre(2))
    c = np.array([0.5, -0.2, 0.1])
    term = AdditiveTerm(lambda X: np.sum(X**2, 1), lambda X: 2 * X, lambda X: np.full(len(X), 2.0 * X.shape[1]))
    f = FunctionalTT(f0.tt, f0.basis, c, term)
    assert f.extra_powers == 3 and np.array_equal(f.extra_coef, c)
    X = np.random.default_rng(7).uniform(-1, 1, (6, d))
    g = np.sum(X**2, 1)
    np.testing.assert_allclose(f(X), f0(X) + c[0] * g + c[1] * g**2 + c[2] * g**3, rtol=1e-13)
    slope = c[0] + 2 * c[1] * g + 3 * c[2] * g**2
    np.testing.assert_allclose(f.grad(X), f0.grad(X) + slope[:, None] * 2 * X, rtol=1e-13)
    curv = 2 * c[1] + 6 * c[2] * g
    np.testing.assert_allclose(f.laplacian(X), f0.laplacian(X) + slope * 2 * d + curv * np.sum(4 * X**2, 1),
                               rtol=1e-12)
    # the same with g, grad g, Laplacian of g passed explicitly, and against finite differences
    bare = FunctionalTT(f0.tt, f0.basis, c)
    np.testing.assert_allclose(bare.grad(X, grad_g=2 * X, g=g), f.grad(X), rtol=1e-14)
    h = 1e-5
    for j in range(d):
        E = np.zeros(d)
        E[j] = h
        np.testing.assert_allclose(f.grad(X)[:, j], (f(X + E) - f(X - E)) / (2 * h), rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="value of the additive term"):
        bare.grad(X, grad_g=2 * X)  # powers of g need g itself for the chain rule
    np.testing.assert_allclose(f.additive(g), f(X) - f0(X), rtol=1e-13)


def test_additive_powers_save_load_and_bad_coefficients(tmp_path):
    f = random_ftt(2, 3, 2, Legendre(2))
    f.extra_coef = [0.25, -1.5]
    io.save(tmp_path / "f.npz", f)
    back = io.load(tmp_path / "f.npz")
    assert np.array_equal(back.extra_coef, [0.25, -1.5]) and back.extra_powers == 2
    X = np.random.default_rng(8).uniform(-1, 1, (4, 2))
    np.testing.assert_array_equal(back(X, g=np.arange(4.0)), f(X, g=np.arange(4.0)))
    for bad in ([1.0, np.nan], [[1.0, 2.0]], []):
        with pytest.raises(ValueError, match="extra_coef"):
            FunctionalTT(f.tt, f.basis, bad)


def test_degree0_constant_matches_pointwise_evaluation():
    """Degree-0 bases: many points take the closed-form constant, one point goes through the
    basis evaluation kernel; the two must agree (ranks > 1, a shifted domain)."""
    import ttsolve as tts
    from ttsolve.basis import H2Orthogonal
    from ttsolve.functional import FunctionalTT

    tt = tts.TensorTrain.random([1] * 9, ranks=3, seed=2)
    f = FunctionalTT(tt, H2Orthogonal(0, domain=(-3.0, 5.0)), 0.0)
    X = np.random.default_rng(1).standard_normal((4, 9))
    many, one = f(X), f(X[:1])
    np.testing.assert_allclose(many, np.full(4, one[0]), rtol=1e-13, atol=1e-300)
