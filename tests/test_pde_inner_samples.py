"""Antithetic inner sampling of the conditional expectation, problem defaults, constant g."""

import dataclasses
import math

import numpy as np
import pytest

from ttsolve.pde import Problem, get_problem, solve
from ttsolve.pde.inner_sampling import antithetic_mean as _antithetic_mean


def _cos_problem(d=3, sigma=0.7):
    return Problem(dim=d, T=1.0, x0=np.zeros(d), drift=lambda t, X: 0.3 * np.ones_like(X),
                   sigma=lambda t, X: sigma, h=lambda t, X, Y, Z: np.zeros(X.shape[0]),
                   g=lambda X: np.cos(X.sum(axis=1)), grad_g=lambda X: -np.sin(X.sum(axis=1))[:, None] * np.ones_like(X),
                   domain=(-np.ones(d), np.ones(d)))


def _estimates(M, K=4000, dt=0.05, seed=0):
    p = _cos_problem()
    rng = np.random.default_rng(seed)
    Xn = rng.uniform(-1, 1, (K, p.dim))
    centre = Xn + 0.3 * dt
    Xn1 = centre + 0.7 * math.sqrt(dt) * rng.standard_normal(Xn.shape)

    def F(X):
        return np.cos(X.sum(axis=1))

    est = _antithetic_mean(p, 0.0, dt, Xn, Xn1, centre, F(Xn1), M, F, np.random.SeedSequence(seed))
    # E cos(a . (c + s dW)) = cos(a . c) exp(-s^2 |a|^2 dt / 2), a = (1, 1, 1)
    exact = np.cos(centre.sum(axis=1)) * math.exp(-0.5 * 0.49 * 3 * dt)
    return est - exact


def test_antithetic_mean_is_unbiased_and_reduces_variance():
    K = 4000
    e1, e8 = _estimates(1, K), _estimates(8, K)
    for e in (e1, e8):  # unbiased: the mean error is within 4 standard errors of 0
        assert abs(e.mean()) < 4 * e.std() / math.sqrt(K)
    # odd terms cancel in every pair; averaging 8 pairs divides the even part's variance by ~8
    assert e8.std() < e1.std() / 2


def test_antithetic_mean_is_exact_for_affine_functions():
    p = _cos_problem()
    rng = np.random.default_rng(1)
    Xn = rng.standard_normal((50, 3))
    centre = Xn + 0.1
    Xn1 = centre + rng.standard_normal(Xn.shape)
    a = np.array([1.0, -2.0, 0.5])
    est = _antithetic_mean(p, 0.0, 0.01, Xn, Xn1, centre, Xn1 @ a + 3, 5, lambda X: X @ a + 3,
                           np.random.SeedSequence(2))
    np.testing.assert_allclose(est, centre @ a + 3, rtol=1e-12, atol=1e-12)


def test_inner_samples_against_cole_hopf():
    p = get_problem("hjb", dim=2)
    K = 1000
    for M in (0, 4):
        sol = solve(p, degree=2, max_rank=2, n_samples=K, n_steps=10, inner_samples=M, max_sweeps=2,
                    max_fixed_point=4)
        # MC error ~ std(g)/sqrt(K) (std(g) < 1 here) plus the O(dt) bias of N = 10
        assert abs(sol.v0 - p.reference_value) < 4 / math.sqrt(K) + 0.05
        assert sol.settings["inner_samples"] == M


def test_inner_samples_reproducible_and_explicit_scheme():
    p = get_problem("hjb", dim=3)
    kw = dict(n_samples=300, n_steps=5, inner_samples=3, inner_samples_g=7, seed=5)
    for scheme in ("implicit", "explicit"):
        a, b = solve(p, scheme=scheme, **kw), solve(p, scheme=scheme, **kw)
        assert a.v0 == b.v0 and np.isfinite(a.v0)
    with pytest.raises(ValueError, match="inner_samples"):
        solve(p, inner_samples=-1)
    with pytest.raises(ValueError, match="inner_samples_g"):
        solve(p, inner_samples=2, inner_samples_g=0)


def test_problem_defaults_and_overrides():
    p = get_problem("doublewell-interacting", dim=3)
    # K = 100-200 diverged for some seeds at d = 3, N = 30; at the default N = 60 K = 500 diverges on
    # seeds 0 and 1 of 0-3 (max_sweeps=1), K = 1000 on none
    sol = solve(p, n_samples=1000, max_sweeps=1)
    assert sol.n_steps == p.defaults["n_steps"]
    assert sol.settings["n_samples"] == 1000 != p.defaults["n_samples"]  # the caller's value wins
    for key, value in p.defaults.items():
        assert key == "n_samples" or sol.settings[key] == value
    sol = solve(p, n_samples=100, n_steps=2, degree=1, max_rank=1, max_sweeps=1, max_fixed_point=1)
    assert sol.settings["degree"] == 1 and sol.settings["max_rank"] == 1 and sol.n_steps == 2


def test_constant_terminal_value_drops_extra_term():
    # V_t + Lap V / 2 - V = 0, V(T) = 1  ->  V(t, x) = exp(-(T - t)); g = 1 duplicates the constant
    d = 4
    p = Problem(dim=d, T=1.0, x0=np.zeros(d), drift=lambda t, X: np.zeros_like(X), sigma=lambda t, X: 1.0,
                h=lambda t, X, Y, Z: -Y, g=lambda X: np.ones(X.shape[0]), grad_g=lambda X: np.zeros_like(X),
                domain=(-3 * np.ones(d), 3 * np.ones(d)))
    N = 20
    sol = solve(p, scheme="implicit", n_samples=300, n_steps=N, degree=2, max_rank=1, max_fixed_point=20,
                fixed_point_tol=1e-12)
    assert sol.settings["extra_term"] is False
    assert all(m.extra_coef == 0.0 for m in sol.models)
    # the implicit scheme's exact discrete value: V_0 = (1 + dt)^(-N)
    assert sol.v0 == pytest.approx((1 + 1.0 / N) ** (-N), rel=1e-8)
    # the default for a problem without a tested scheme (trapezoidal): V_0 = ((1 - dt/2) / (1 + dt/2))^N
    sol = solve(p, n_samples=300, n_steps=N, degree=2, max_rank=1, max_fixed_point=20, fixed_point_tol=1e-12)
    assert sol.settings["scheme"] == "trapezoidal"
    assert sol.v0 == pytest.approx(((1 - 0.5 / N) / (1 + 0.5 / N)) ** N, rel=1e-8)


def test_relative_error_reports_l2():
    p = get_problem("hjb", dim=2)
    err = solve(p, n_samples=200, n_steps=4, max_sweeps=1).relative_error(n_paths=20)
    assert 0 <= err["path_l2"] <= err["path_max"]


def test_gaussian_rows_streams():
    from ttsolve import get_num_threads, set_num_threads
    from ttsolve._extension import _core

    a = _core.pde.gaussian_rows(7, 0, 4000, 25)
    # one stream per row: any batch of rows reproduces the same values
    np.testing.assert_array_equal(_core.pde.gaussian_rows(7, 1234, 10, 25), a[1234:1244])
    assert not np.array_equal(_core.pde.gaussian_rows(8, 0, 10, 25), a[:10])
    before = get_num_threads()
    for threads in (1, 2):
        set_num_threads(threads)
        try:
            np.testing.assert_array_equal(_core.pde.gaussian_rows(7, 0, 4000, 25), a)
        finally:
            set_num_threads(before)
    # moments within 5 standard errors of N(0, 1)
    n = a.size
    assert abs(a.mean()) < 5 / math.sqrt(n)
    assert abs(a.var() - 1) < 5 * math.sqrt(2 / n)
    assert abs(np.mean(a**4) - 3) < 5 * math.sqrt(96 / n)
    assert _core.pde.gaussian_rows(1, 0, 0, 5).shape == (0, 5)
    with pytest.raises(ValueError):
        _core.pde.gaussian_rows(1, 0, -1, 5)
    with pytest.raises(ValueError):
        _core.pde.gaussian_rows(1, 0, 2**62, 2**4)


def _decay_problem(d=3):
    # V_t + Lap V / 2 - V = 0, V(T) = 1  ->  V(t, x) = exp(-(T - t))
    return Problem(dim=d, T=1.0, x0=np.zeros(d), drift=lambda t, X: np.zeros_like(X), sigma=lambda t, X: 1.0,
                   h=lambda t, X, Y, Z: -Y, g=lambda X: np.ones(X.shape[0]), grad_g=lambda X: np.zeros_like(X),
                   domain=(-3 * np.ones(d), 3 * np.ones(d)))


def test_trapezoidal_scheme_is_second_order():
    p = _decay_problem()
    kw = dict(n_samples=200, degree=1, max_rank=1, max_fixed_point=30, fixed_point_tol=1e-14)
    errors = {}
    for N in (5, 10):
        sol = solve(p, scheme="trapezoidal", n_steps=N, **kw)
        dt = 1.0 / N
        # the theta = 1/2 recursion Y_n = Y_{n+1} (1 - dt/2) / (1 + dt/2), exactly
        assert sol.v0 == pytest.approx(((1 - dt / 2) / (1 + dt / 2)) ** N, rel=1e-9)
        errors[N] = abs(sol.v0 - math.exp(-1.0))
        implicit = solve(p, scheme="implicit", n_steps=N, **kw)
        assert errors[N] < abs(implicit.v0 - math.exp(-1.0)) / 10
    assert errors[5] / errors[10] > 3.5  # ~4 for a second-order scheme


def test_trapezoidal_against_cole_hopf():
    p = get_problem("hjb", dim=2)
    K = 1000
    sol = solve(p, scheme="trapezoidal", degree=2, max_rank=2, n_samples=K, n_steps=10, max_sweeps=2)
    assert abs(sol.v0 - p.reference_value) < 4 / math.sqrt(K) + 0.02


@pytest.mark.parametrize("kind", ["scalar", "diagonal", "full"])
def test_sigma_times_with_batched_increments(kind):
    from ttsolve.pde.paths import sigma_times

    d, K, B = 3, 7, 4
    rng = np.random.default_rng(11)
    mats = {"scalar": lambda t, X: 0.5, "diagonal": lambda t, X: 1 + X**2,
            "full": lambda t, X: np.einsum("k,ij->kij", 1 + X[:, 0] ** 2, np.arange(9.0).reshape(3, 3))}
    p = dataclasses.replace(_cos_problem(d), sigma=mats[kind], sigma_kind=kind)
    X, xi = rng.standard_normal((K, d)), rng.standard_normal((B, K, d))
    batched = sigma_times(p, 0.0, X, xi)
    assert batched.shape == (B, K, d)
    for b in range(B):
        np.testing.assert_allclose(batched[b], sigma_times(p, 0.0, X, xi[b]), rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("scheme", ["explicit", "trapezoidal", "implicit"])
def test_split_conditional_mean_is_unbiased(scheme):
    """b = 0, h = 0, g = cos(sum x): V_n = exp(-|sigma|^2 d (T - t_n) / 2) g exactly, so the fitted
    coefficient of g at the first regression step estimates exp(-sigma^2 d dt / 2) from the
    additive part's inner pairs alone; it must be within 5 standard errors of that."""
    d, sigma, N, K, Mg = 3, 0.7, 2, 600, 32
    p = dataclasses.replace(_cos_problem(d, sigma), drift=lambda t, X: np.zeros_like(X))
    sol = solve(p, scheme=scheme, n_steps=N, n_samples=K, degree=1, max_rank=1, inner_samples=2,
                inner_samples_g=Mg, max_sweeps=2, seed=11)
    dt = p.T / N
    s2 = sigma**2 * d * dt  # variance of sum_i of one increment
    exact = math.exp(-0.5 * s2)
    # one antithetic pair of g has variance cos^2(phi) var(cos delta); least squares on g
    var_cos = 0.5 * (1 + math.exp(-2 * s2)) - math.exp(-s2)
    X, _ = __import__("ttsolve.pde.paths", fromlist=["simulate_paths"]).simulate_paths(p, N, K, seed=0)
    gg = np.cos(X[1].sum(axis=1))
    se = math.sqrt(var_cos * np.sum(gg**4) / Mg) / np.sum(gg**2)
    assert abs(sol.models[1].extra_coef - exact) < 5 * se + 1e-12


@pytest.mark.parametrize("name", ["hjb", "doublewell", "unboundedsin"])
def test_fused_terminal_pairs_match_the_python_path(name):
    """The compiled inner sampling of a built-in g draws the same Philox normals as the Python
    path, so the two agree to rounding, for any thread count; and the compiled g is the g."""
    from ttsolve import get_num_threads, set_num_threads
    from ttsolve._extension import _core
    from ttsolve.pde.inner_sampling import COMPILED_TERMINALS, antithetic_mean, antithetic_mean_terminal

    p = get_problem(name, dim=5)
    kind, params = p.g.compiled
    rng = np.random.default_rng(1)
    K, d, M, dt = 37, p.dim, 6, 0.02
    Xn = p.x0 + 0.5 * rng.standard_normal((K, d))
    Xn1 = Xn + 0.1 * rng.standard_normal((K, d))
    assert np.allclose(_core._testing.pde_terminal_values(COMPILED_TERMINALS[kind], params, Xn), p.g(Xn), rtol=1e-13)
    coefs = np.array([0.7, -0.05])

    def F(X):
        gX = p.g(X)
        return (coefs[1] * gX + coefs[0]) * gX

    own = F(Xn1)
    ref = antithetic_mean(p, 0.0, dt, Xn, Xn1, Xn, own, M, F, np.random.SeedSequence(4))
    saved = get_num_threads()
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            got = antithetic_mean_terminal(p, 0.0, dt, Xn, Xn1, Xn, own, M, coefs, F, np.random.SeedSequence(4),
                                           reduced=False)
            np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
            if threads == 1:
                first = got
            else:
                assert np.array_equal(got, first)
    finally:
        set_num_threads(saved)
