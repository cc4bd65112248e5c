"""Reduced inner sampling (one normal + one chi-square per antithetic pair instead of d normals):
the chi-square sampler's distribution, the conditional means against the full d-normal path and
against closed forms, exactness conditions, thread-count invariance, and the solve-level effect."""

import dataclasses
import math

import numpy as np
import pytest

from ttsolve import get_num_threads, set_num_threads
from ttsolve._extension import _core
from ttsolve.pde import get_problem, solve
from ttsolve.pde.inner_sampling import COMPILED_TERMINALS, reduced_draws_exact

stats = pytest.importorskip("scipy.stats")
integrate = pytest.importorskip("scipy.integrate")


@pytest.mark.parametrize("dof", [0.5, 1.0, 2.0, 3.0, 9.0, 99.0, 1000.0])
def test_chi_square_distribution(dof):
    n = 40_000
    x = _core._testing.pde_chi_square(11, 0, n, dof)
    # Kolmogorov-Smirnov against scipy's chi^2 (fixed seed: a wrong sampler fails, a right one passes)
    assert stats.kstest(x, stats.chi2(dof).cdf).pvalue > 1e-4
    # mean dof, variance 2 dof: within 5 standard errors (var of x^2-type estimates from the 4th moment)
    assert abs(x.mean() - dof) < 5 * math.sqrt(2 * dof / n)
    m4 = 12 * dof * (dof + 4)  # 4th central moment of chi^2(dof)
    assert abs(x.var() - 2 * dof) < 5 * math.sqrt((m4 - (2 * dof) ** 2) / n)
    assert np.all(x > 0)


def test_chi_square_streams_and_zero_dof():
    a = _core._testing.pde_chi_square(3, 0, 500, 7.0)
    np.testing.assert_array_equal(_core._testing.pde_chi_square(3, 200, 50, 7.0), a[200:250])  # keyed by index
    saved = get_num_threads()
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            np.testing.assert_array_equal(_core._testing.pde_chi_square(3, 0, 500, 7.0), a)
    finally:
        set_num_threads(saved)
    assert not np.array_equal(_core._testing.pde_chi_square(4, 0, 500, 7.0), a)
    np.testing.assert_array_equal(_core._testing.pde_chi_square(3, 0, 10, 0.0), np.zeros(10))
    with pytest.raises(ValueError):
        _core._testing.pde_chi_square(3, 0, 10, -1.0)


# ----------------------------------------------------------------------------- conditional means

def _params(name, d):
    if name == "log_half_one_plus_sq_norm":
        return np.zeros(0)
    if name == "scaled_sq_dist":
        return np.array([0.3, 1.0])
    return np.linspace(0.5, 2.0, d)


def _pair_means(name, d, a, c, poly, reduced, R=20_000, seed=5):
    """R independent estimates (one antithetic pair each) of E P(g(c + a xi)): the kernel on R
    copies of the same centre row, one Philox stream per copy."""
    centre = np.tile(np.asarray(c, dtype=float), (R, 1))
    scale = np.full(R, a) if np.ndim(a) == 0 else np.tile(a, (R, 1))
    out = _core.pde.antithetic_terminal(COMPILED_TERMINALS[name], _params(name, d), seed, 0, 1, centre,
                                        np.ascontiguousarray(scale), np.asarray(poly, dtype=float), reduced)
    return out / 2


def _exact_mean(name, d, a, c, poly):
    """E P(g(c + a xi)), xi ~ N(0, I_d), scalar a, by closed form or 1-D quadrature over the
    noncentral chi^2 law of |c - s + a xi|^2 / a^2."""
    w = _params(name, d)
    if name == "cos_dot":
        assert len(poly) == 1
        return poly[0] * math.cos(w @ c) * math.exp(-0.5 * a * a * (w @ w))
    shift = 1.0 if name == "scaled_sq_dist" else 0.0
    lam = float(np.sum((np.asarray(c) - shift) ** 2)) / (a * a)
    law = stats.ncx2(d, lam) if lam > 0 else stats.chi2(d)
    if name == "scaled_sq_dist":  # moments of a^2 W, W ~ ncx2(d, lam)
        m1 = d + lam
        m2 = 2 * (d + 2 * lam) + m1 * m1
        g1, g2 = 0.3 * a * a * m1, (0.3 * a * a) ** 2 * m2
        return poly[0] * g1 + (poly[1] * g2 if len(poly) > 1 else 0.0)

    def P(u):
        return sum(p * u ** (i + 1) for i, p in enumerate(poly))

    lo, hi = law.ppf(1e-13), law.ppf(1 - 1e-13)
    return integrate.quad(lambda x: P(math.log(0.5 + 0.5 * a * a * x)) * law.pdf(x), lo, hi,
                          limit=200, epsabs=1e-12, epsrel=1e-10)[0]


CASES = [  # (terminal, d, a, centre generator, poly)
    ("log_half_one_plus_sq_norm", 1, 0.3, "random", [1.0]),
    ("log_half_one_plus_sq_norm", 2, 0.14, "zero", [1.0]),
    ("log_half_one_plus_sq_norm", 5, 0.6, "random", [0.7, -0.05]),
    ("log_half_one_plus_sq_norm", 100, 0.1414, "random", [0.7, -0.05]),
    ("log_half_one_plus_sq_norm", 100, 0.1414, "zero", [1.0]),
    ("log_half_one_plus_sq_norm", 100, 1.0, "random", [1.0]),
    ("scaled_sq_dist", 3, 0.2, "random", [1.0, 0.5]),
    ("scaled_sq_dist", 50, 0.1, "ones", [1.0]),
    ("scaled_sq_dist", 50, 0.5, "random", [0.2, 1.0]),
    ("cos_dot", 1, 0.5, "random", [1.0]),
    ("cos_dot", 10, 1 / math.sqrt(10) * math.sqrt(0.01), "random", [1.0]),
    ("cos_dot", 10, 0.3, "random", [1.0]),
]


@pytest.mark.parametrize("name,d,a,where,poly", CASES)
def test_reduced_means_match_full_path_and_closed_form(name, d, a, where, poly):
    rng = np.random.default_rng(d)
    c = {"random": rng.standard_normal(d) * 0.8, "zero": np.zeros(d), "ones": np.ones(d)}[where]
    R = 20_000
    red = _pair_means(name, d, a, c, poly, True, R)
    full = _pair_means(name, d, a, c, poly, False, R)
    # difference of two independent means of R pair-means each: within 5 standard errors
    se = math.sqrt(red.var(ddof=1) / R + full.var(ddof=1) / R)
    assert abs(red.mean() - full.mean()) <= 5 * se + 1e-13
    # same pair-mean variance (the same distribution), within sampling error of a variance
    if full.var() > 1e-20:
        ratio = red.var() / full.var()
        assert abs(math.log(ratio)) < 10 * math.sqrt(2 / R) + 0.05
    # both against the exact conditional mean
    exact = _exact_mean(name, d, a, c, poly)
    assert abs(red.mean() - exact) <= 5 * math.sqrt(red.var(ddof=1) / R) + 1e-12
    assert abs(full.mean() - exact) <= 5 * math.sqrt(full.var(ddof=1) / R) + 1e-12


def test_reduced_cos_with_diagonal_sigma():
    d, R = 6, 20_000
    rng = np.random.default_rng(3)
    c, a = rng.standard_normal(d), rng.uniform(0.05, 0.4, d)
    red = _pair_means("cos_dot", d, a, c, [1.0], True, R)
    full = _pair_means("cos_dot", d, a, c, [1.0], False, R)
    w = _params("cos_dot", d)
    exact = math.cos(w @ c) * math.exp(-0.5 * np.sum((w * a) ** 2))
    for est in (red, full):
        assert abs(est.mean() - exact) <= 5 * math.sqrt(est.var(ddof=1) / R)


def test_reduced_exactness_conditions():
    assert reduced_draws_exact("log_half_one_plus_sq_norm", False)
    assert reduced_draws_exact("scaled_sq_dist", False)
    assert not reduced_draws_exact("log_half_one_plus_sq_norm", True)
    assert not reduced_draws_exact("scaled_sq_dist", True)
    assert reduced_draws_exact("cos_dot", False) and reduced_draws_exact("cos_dot", True)
    centre, scale = np.zeros((4, 3)), np.full((4, 3), 0.1)
    with pytest.raises(ValueError, match="reduced"):
        _core.pde.antithetic_terminal(0, np.zeros(0), 1, 0, 2, centre, scale, np.ones(1), True)
    # not reduced: the radial g with a diagonal scale is fine (d normals per pair)
    assert _core.pde.antithetic_terminal(0, np.zeros(0), 1, 0, 2, centre, scale, np.ones(1), False).shape == (4,)


@pytest.mark.parametrize("name", ["log_half_one_plus_sq_norm", "scaled_sq_dist", "cos_dot"])
def test_reduced_kernel_thread_count_invariant_and_keyed_by_pair(name):
    d, K = 7, 301
    rng = np.random.default_rng(0)
    centre, scale = rng.standard_normal((K, d)), rng.uniform(0.1, 0.5, K)
    args = (COMPILED_TERMINALS[name], _params(name, d))
    poly = np.array([1.0, 0.1])
    saved = get_num_threads()
    try:
        outs = []
        for threads in (1, 2):
            set_num_threads(threads)
            outs.append(_core.pde.antithetic_terminal(*args, 9, 0, 6, centre, scale, poly, True))
    finally:
        set_num_threads(saved)
    assert np.array_equal(outs[0], outs[1])
    # pair j of path k is stream (seed, j K + k): pairs 0..2 plus pairs 3..5 are pairs 0..5
    split = (_core.pde.antithetic_terminal(*args, 9, 0, 3, centre, scale, poly, True)
             + _core.pde.antithetic_terminal(*args, 9, 3, 3, centre, scale, poly, True))
    np.testing.assert_allclose(split, outs[0], rtol=1e-13, atol=1e-13)
    assert not np.array_equal(_core.pde.antithetic_terminal(*args, 10, 0, 6, centre, scale, poly, True), outs[0])


# ----------------------------------------------------------------------------- solve level

def _v0s(problem, seeds, **kw):
    return np.array([solve(problem, seed=s, **kw).v0 for s in seeds])


def test_hjb_v0_reduced_vs_full_within_statistical_error(monkeypatch):
    """The reduced draws change the random numbers, not the estimator's law: V0 over seeds with
    and without them agree within the seed-to-seed standard error (and are seeded)."""
    from ttsolve.pde import inner_sampling

    p = get_problem("hjb", dim=10)
    kw = dict(n_steps=10, n_samples=300, n_validation=0)
    seeds = range(6)
    red = _v0s(p, seeds, **kw)
    assert np.array_equal(red, _v0s(p, seeds, **kw))
    original = inner_sampling.antithetic_mean_terminal
    monkeypatch.setattr("ttsolve.pde.solver.antithetic_mean_terminal",
                        lambda *a, **k: original(*a, **{**k, "reduced": False}))
    full = _v0s(p, seeds, **kw)
    assert not np.array_equal(red, full)
    se = math.sqrt(red.var(ddof=1) / len(red) + full.var(ddof=1) / len(full))
    assert abs(red.mean() - full.mean()) < 5 * se
    # near the exact value up to the O(dt) bias of N = 10 (measured 0.012, i.e. 0.55%)
    assert abs(red.mean() - p.reference_value) < 0.02 * p.reference_value


def test_solve_thread_count_invariant_with_reduced_draws():
    p = get_problem("hjb", dim=20)
    saved = get_num_threads()
    try:
        v = []
        for threads in (1, 2):
            set_num_threads(threads)
            v.append(solve(p, n_steps=4, n_samples=200, seed=3).v0)
    finally:
        set_num_threads(saved)
    assert v[0] == v[1]


@pytest.mark.parametrize("name,kind,expect", [("hjb", "scalar", True), ("unboundedsin", "scalar", True),
                                               ("doublewell", "scalar", True), ("hjb", "diagonal", False),
                                               ("unboundedsin", "diagonal", True)])
def test_solver_picks_reduced_draws_where_exact(monkeypatch, name, kind, expect):
    p = get_problem(name, dim=3)
    if kind == "diagonal":
        sig = p.sigma(0.0, p.x0[None, :])
        p = dataclasses.replace(p, sigma=lambda t, X: np.full(X.shape, float(sig)), sigma_kind="diagonal")
    seen = []
    kernel = _core.pde.antithetic_terminal

    def spy(*args, **shard):  # args[-1]: the reduced flag; shard: first_path / n_paths_total
        seen.append(args[-1])
        return kernel(*args, **shard)

    monkeypatch.setattr(_core.pde, "antithetic_terminal", spy)
    solve(p, n_steps=2, n_samples=50, degree=0, inner_samples=2, inner_samples_g=4, n_validation=0,
          max_sweeps=1, max_fixed_point=2)
    assert seen and all(r is expect for r in seen)
