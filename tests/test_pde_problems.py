"""Built-in PDE problems: shapes, exact solutions satisfy the PDE, references agree with each other."""

import numpy as np
import pytest

from ttsolve.pde.paths import (
    sigma_covariance_trace,
    sigma_times,
    sigma_transpose_times,
    simulate_paths,
)
from ttsolve.pde.problems import (
    BUILTIN_PROBLEMS,
    HJB,
    CIRBond,
    DoubleWell,
    DoubleWellInteracting,
    UnboundedSin,
    cir_reference,
    get_problem,
    interaction_matrix,
    interacting_reference,
    list_problems,
    pde_residual,
)
from ttsolve.pde.references import feynman_kac_cole_hopf, hjb_exact, hjb_reference

SMALL = {
    "hjb": dict(dim=3),
    "doublewell": dict(dim=3),
    "doublewell-interacting": dict(dim=3),
    "cir": dict(dim=3),
    "cir-affine": dict(dim=3),
    "unboundedsin": dict(dim=3),
}


def fd_derivatives(f, t, X, eps_t=1e-5, eps_x=1e-4):
    """Central differences: dV/dt, gradient and Hessian diagonal of f(t, X) -> (K,)."""
    K, d = X.shape
    V = f(t, X)
    dVdt = (f(t + eps_t, X) - f(t - eps_t, X)) / (2 * eps_t)
    grad = np.empty((K, d))
    hdiag = np.empty((K, d))
    for i in range(d):
        E = np.zeros(d)
        E[i] = eps_x
        fp, fm = f(t, X + E), f(t, X - E)
        grad[:, i] = (fp - fm) / (2 * eps_x)
        hdiag[:, i] = (fp - 2 * V + fm) / eps_x**2
    return V, dVdt, grad, hdiag


@pytest.mark.parametrize("name", sorted(BUILTIN_PROBLEMS))
def test_callables_have_the_documented_shapes(name):
    p = get_problem(name, **SMALL[name])
    d, K = p.dim, 7
    X = p.x0 + 0.3 * np.random.default_rng(0).standard_normal((K, d))
    X = np.abs(X) if name in ("cir", "cir-affine") else X
    assert p.x0.shape == (d,)
    assert p.drift(0.1, X).shape == (K, d)
    assert p.g(X).shape == (K,)
    assert p.grad_g(X).shape == (K, d)
    assert p.h(0.1, X, np.ones(K), np.ones((K, d))).shape == (K,)
    assert sigma_times(p, 0.1, X, np.ones((K, d))).shape == (K, d)
    lo, hi = p.domain
    assert lo.shape == hi.shape == (d,) and np.all(lo < p.x0) and np.all(p.x0 < hi)
    # grad_g is the gradient of g.
    G = np.stack([(p.g(X + e) - p.g(X - e)) / 2e-6 for e in 1e-6 * np.eye(d)], axis=1)
    np.testing.assert_allclose(p.grad_g(X), G, atol=1e-6)
    if p.exact is not None:
        assert p.exact(0.1, X).shape == (K,)
        np.testing.assert_allclose(p.exact(p.T, X), p.g(X), atol=1e-9)


def test_list_problems_and_bad_names():
    names = [n for n, _ in list_problems()]
    assert names == list(BUILTIN_PROBLEMS)
    assert all(isinstance(desc, str) and desc for _, desc in list_problems())
    with pytest.raises(ValueError, match="unknown problem"):
        get_problem("nope")


@pytest.mark.parametrize("factory", [HJB, DoubleWell, DoubleWellInteracting, CIRBond, UnboundedSin])
def test_bad_arguments(factory):
    with pytest.raises(ValueError, match="dim"):
        factory(dim=0)
    with pytest.raises(TypeError, match="dim"):
        factory(dim=2.5)
    with pytest.raises(ValueError, match="T"):
        factory(dim=2, T=0.0)
    with pytest.raises(ValueError, match="T"):
        factory(dim=2, T=float("nan"))
    p = factory(dim=2)
    with pytest.raises(ValueError, match="shape"):
        p.drift(0.0, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="shape"):
        p.g(np.zeros((4, 3, 1)))
    with pytest.raises(ValueError, match="NaN"):
        p.g(np.full((4, 2), np.nan))


def test_unboundedsin_exact_solution_satisfies_the_pde():
    p = UnboundedSin(dim=4)
    X = p.x0 + 0.4 * np.random.default_rng(1).standard_normal((20, 4))
    for t in (0.2, 0.7):
        V, dVdt, grad, hdiag = fd_derivatives(p.exact, t, X)
        np.testing.assert_allclose(grad, p.exact_gradient(t, X), rtol=1e-6, atol=1e-6)
        res = pde_residual(p, V, dVdt, grad, hdiag, t, X)
        assert np.max(np.abs(res)) < 1e-3
        # The residual must be able to fail: a wrong value is detected.
        assert np.max(np.abs(pde_residual(p, V + 0.1, dVdt, grad, hdiag, t, X))) > 1e-2


def test_cir_affine_closed_form_satisfies_the_pde_and_matches_monte_carlo():
    p = CIRBond(dim=3, variant="affine")
    X = np.random.default_rng(2).uniform(0.3, 1.5, size=(15, 3))
    V, dVdt, grad, hdiag = fd_derivatives(p.exact, 0.4, X)
    np.testing.assert_allclose(grad, p.exact_gradient(0.4, X), rtol=1e-6)
    assert np.max(np.abs(pde_residual(p, V, dVdt, grad, hdiag, 0.4, X))) < 1e-6
    assert np.max(np.abs(pde_residual(p, 1.01 * V, dVdt, grad, hdiag, 0.4, X))) > 1e-4
    n_mc = 4000
    mc, se = cir_reference(p, n_mc=n_mc, n_steps=100, seed=3)
    assert abs(mc - p.reference_value) < 4 * se + 2e-3  # 2e-3: generous Euler bias allowance


def test_cir_paper_variant_uses_one_brownian_motion():
    p = CIRBond(dim=4)
    X = np.random.default_rng(4).uniform(0.2, 2.0, size=(5, 4))
    S = p.sigma(0.0, X)
    assert S.shape == (5, 4, 4) and np.all(S[:, :, 1:] == 0)
    H = np.random.default_rng(5).standard_normal((5, 4, 4))
    want = np.einsum("kij,kjl,kli->k", S, np.transpose(S, (0, 2, 1)), H)
    np.testing.assert_allclose(sigma_covariance_trace(p, 0.0, X, H), want, rtol=1e-12)
    G = np.random.default_rng(6).standard_normal((5, 4))
    np.testing.assert_allclose(sigma_transpose_times(p, 0.0, X, G), np.einsum("kji,kj->ki", S, G))
    assert np.all(p.h(0.0, X, np.ones(5), None) == -X.max(axis=1))
    with pytest.raises(ValueError, match="Hessian"):
        sigma_covariance_trace(p, 0.0, X, H[:, 0, :])


def _hjb_quadrature(t, x, T=1.0, n=200):
    """1-D Cole-Hopf value by Gauss-Hermite quadrature (independent of Monte Carlo)."""
    z, w = np.polynomial.hermite_e.hermegauss(n)
    Y = x[:, None] + np.sqrt(2 * (T - t)) * z[None, :]
    return -np.log((w * 2.0 / (1.0 + Y**2)).sum(axis=1) / w.sum())


def test_hjb_cole_hopf_in_1d_matches_quadrature_and_solves_the_pde():
    p = HJB(dim=1)
    x = np.linspace(-2, 2, 9)
    n_mc = 40_000
    V, se = hjb_reference(0.3, x[:, None], n_mc=n_mc, seed=1)
    Q = _hjb_quadrature(0.3, x)
    assert np.all(np.abs(V - Q) < 4 * se)
    # The quadrature value solves the PDE: checks the sign conventions of the Cole-Hopf formula.
    f = lambda t, X: _hjb_quadrature(t, X[:, 0])  # noqa: E731
    Vq, dVdt, grad, hdiag = fd_derivatives(f, 0.3, x[:, None], eps_x=1e-3)
    assert np.max(np.abs(pde_residual(p, Vq, dVdt, grad, hdiag, 0.3, x[:, None]))) < 1e-5
    # MC gradient agrees with the quadrature gradient.
    _, _, G = hjb_reference(0.3, x[:, None], n_mc=n_mc, seed=1, gradient=True)
    assert np.max(np.abs(G - grad)) < 0.02


def test_hjb_d100_reference_value():
    V, se = hjb_reference(0.0, np.zeros((1, 100)), n_mc=20_000, seed=11)
    assert abs(V[0] - 4.589992) < 3 * se[0]
    assert abs(V[0] - HJB().reference_value) < 3 * se[0]


def test_hjb_exact_quadrature_matches_independent_quadratures():
    # x = 0, d = 100: |sqrt(2) W_1|^2 = 2 chi^2_100, integrated by adaptive quadrature.
    from scipy import integrate, stats

    v, _ = integrate.quad(lambda q: 2 / (1 + 2 * q) * stats.chi2.pdf(q, 100), 0, np.inf, epsrel=1e-12, limit=500)
    np.testing.assert_allclose(HJB().reference_value, -np.log(v), rtol=1e-10)
    # d = 1 against Gauss-Hermite, and the gradient against finite differences.
    x = np.linspace(-2, 2, 9)[:, None]
    np.testing.assert_allclose(hjb_exact(0.3, x), _hjb_quadrature(0.3, x[:, 0]), atol=1e-8)
    X = np.random.default_rng(3).standard_normal((4, 5))
    _, G = hjb_exact(0.4, X, gradient=True)
    _, _, Gfd, _ = fd_derivatives(lambda t, Y: hjb_exact(t, Y), 0.4, X, eps_x=1e-5)
    np.testing.assert_allclose(G, Gfd, atol=1e-8)
    np.testing.assert_allclose(hjb_exact(1.0, X), HJB(dim=5).g(X))


def test_hjb_reference_independent_of_batching():
    X = np.random.default_rng(0).standard_normal((5, 4))
    a = hjb_reference(0.5, X, n_mc=3000, seed=2, batch=3000)
    b = hjb_reference(0.5, X, n_mc=3000, seed=2, batch=3000)
    np.testing.assert_array_equal(a[0], b[0])
    c = hjb_reference(0.5, X, n_mc=3000, seed=2, batch=1000)
    np.testing.assert_allclose(a[0], c[0], rtol=1e-12)


def test_double_well_fd_reference_matches_monte_carlo():
    p = DoubleWell(dim=2)
    for x in (p.x0, np.array([0.3, -0.5])):
        mc, se = feynman_kac_cole_hopf(p, x, 0.1, n_mc=20_000, n_steps=400, seed=5)
        ref = p.exact(0.1, x[None, :])[0]
        assert abs(mc - ref) < 4 * se + 1e-3  # 1e-3: Euler bias bound for dt = 1e-3


def test_double_well_fd_reference_solves_the_pde():
    p = DoubleWell(dim=2)
    X = np.random.default_rng(3).uniform(-1.5, 1.5, size=(10, 2))
    t = 0.2 + 0.25 * p.T / 1000  # mid-cell of the reference's time grid
    V, dVdt, grad, hdiag = fd_derivatives(p.exact, t, X, eps_t=1e-5, eps_x=1e-3)
    np.testing.assert_allclose(grad, p.exact_gradient(t, X), atol=1e-4)
    res = pde_residual(p, V, dVdt, grad, hdiag, t, X)
    assert np.max(np.abs(res)) < 5e-3


def test_interacting_problem_definition():
    C = interaction_matrix(3)
    G = np.random.RandomState(42).standard_normal((3, 3))
    np.testing.assert_array_equal(C, np.eye(3) + 0.1 * G)
    p = DoubleWellInteracting(dim=3)
    X = np.random.default_rng(7).standard_normal((4, 3))
    psi = lambda Y: np.einsum("ki,ij,kj->k", Y**2 - 1, C, Y**2 - 1)  # noqa: E731
    grad = np.stack([(psi(X + e) - psi(X - e)) / 2e-6 for e in 1e-6 * np.eye(3)], axis=1)
    np.testing.assert_allclose(p.drift(0.0, X), -grad, rtol=1e-6, atol=1e-6)


def test_interacting_reference_importance_sampling_is_unbiased():
    # Same Euler scheme, with and without the importance-sampling control: equal expectations.
    a, sa = interacting_reference(dim=3, n_mc=4000, n_steps=60, mc_seed=1, importance=True)
    b, sb = interacting_reference(dim=3, n_mc=20000, n_steps=60, mc_seed=2, importance=False)
    assert abs(a - b) < 4 * np.hypot(sa, sb)
    assert 0 < sa < sb and np.isfinite(a)


def test_simulate_paths_shapes_seeding_and_increments():
    p = CIRBond(dim=3, variant="affine")
    X, xi = simulate_paths(p, 10, 50, seed=3)
    assert X.shape == (11, 50, 3) and xi.shape == (10, 50, 3)
    X2, xi2 = simulate_paths(p, 10, 50, seed=3)
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, simulate_paths(p, 10, 50, seed=4)[0])
    dt = p.T / 10
    n = 4
    step = X[n] + p.drift(n * dt, X[n]) * dt + p.sigma(n * dt, X[n]) * xi[n] * np.sqrt(dt)
    np.testing.assert_allclose(X[n + 1], step)
    X3, _ = simulate_paths(p, 10, 50, seed=np.random.default_rng(0))
    assert X3.shape == X.shape


def test_simulate_paths_statistics_for_brownian_motion():
    p = HJB(dim=2)
    K = 4000
    X, _ = simulate_paths(p, 20, K, seed=8)
    var = X[-1].var(axis=0, ddof=1)
    # Var(sqrt(2) W_1) = 2; the sample variance has standard error ~ 2 sqrt(2 / K).
    assert np.all(np.abs(var - 2.0) < 4 * 2.0 * np.sqrt(2.0 / K))


def test_simulate_paths_bad_input():
    p = HJB(dim=2)
    with pytest.raises(ValueError, match="n_steps"):
        simulate_paths(p, 0, 10)
    with pytest.raises(TypeError, match="n_samples"):
        simulate_paths(p, 5, 10.0)
    with pytest.raises(ValueError, match="dt"):
        simulate_paths(p, 5, 10, dt=-1.0)
    with pytest.raises(ValueError, match="x0"):
        simulate_paths(p, 5, 10, x0=np.zeros(3))
    with pytest.raises(MemoryError, match="max_bytes"):
        simulate_paths(p, 10**6, 10**6)
    with pytest.raises(TypeError, match="seed"):
        simulate_paths(p, 5, 10, seed="x")


def test_pde_residual_bad_shapes():
    p = HJB(dim=2)
    X = np.zeros((3, 2))
    with pytest.raises(ValueError, match="grad"):
        pde_residual(p, np.zeros(3), np.zeros(3), np.zeros((3, 3)), np.zeros(3), 0.0, X)
    with pytest.raises(ValueError, match="hess"):
        pde_residual(p, np.zeros(3), np.zeros(3), np.zeros((3, 2)), np.zeros((3, 5)), 0.0, X)
    with pytest.raises(ValueError, match="X"):
        pde_residual(p, np.zeros(3), np.zeros(3), np.zeros((3, 2)), np.zeros(3), 0.0, np.zeros((3, 4)))


def test_reference_helpers_bad_input():
    with pytest.raises(ValueError, match="n_quad"):
        hjb_exact(0.0, np.zeros((1, 3)), n_quad=500)
    with pytest.raises(ValueError, match="t must"):
        hjb_exact(2.0, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="t must"):
        hjb_reference(-0.1, np.zeros((1, 3)), n_mc=10)
    with pytest.raises(ValueError, match="x"):
        feynman_kac_cole_hopf(DoubleWell(dim=2), np.zeros(3), n_mc=10, n_steps=2)
    with pytest.raises(ValueError, match="variant"):
        CIRBond(dim=2, variant="nope")


def test_builtin_problem_decorator_registers_once():
    from ttsolve.pde.registry import builtin_problem

    @builtin_problem("toy_heat", "toy problem for the registry test")
    def Toy(dim=2):
        return HJB(dim=dim)

    try:
        assert get_problem("Toy-Heat", dim=2).dim == 2
        assert ("toy-heat", "toy problem for the registry test") in list_problems()
        with pytest.raises(ValueError, match="already registered"):
            builtin_problem("toy-heat", "again")(Toy)
    finally:
        BUILTIN_PROBLEMS.pop("toy-heat")
    with pytest.raises(ValueError, match="one non-empty line"):
        builtin_problem("x", "")
