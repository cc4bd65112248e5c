"""ttsolve.mcmc.diagnostics against ArviZ, analytic AR(1) / product-distribution values and
brute-force enumeration."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.signal import lfilter

from ttsolve.mcmc import diagnostics as dg


# --------------------------------------------------------------------------- helpers


def _arviz():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ArviZ announces its refactor on import
        return pytest.importorskip("arviz")


def _az_call(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. "more chains than draws"
        return float(func(*args, **kwargs))


def ar1_chains(phi: float, n_chains: int, n_draws: int, seed: int) -> np.ndarray:
    """Stationary AR(1) chains x_t = phi x_{t-1} + e_t with unit innovations."""
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n_chains, n_draws))
    noise[:, 0] /= math.sqrt(1.0 - phi**2)  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], noise, axis=1)


def ar1_ess(phi: float, n_total: int) -> float:
    """Asymptotic ESS of the mean of an AR(1) chain: N (1 - phi) / (1 + phi)."""
    return n_total * (1.0 - phi) / (1.0 + phi)


def ess_relative_sd(tau: float, n_total: int) -> float:
    """Sokal's standard error of an integrated autocorrelation time estimated with a
    window of M lags: sd(tau_hat)/tau ~ sqrt(2 (2M + 1) / N). Geyer's truncation lag is
    about 2 tau for AR(1) chains this long; M = 5 max(tau, 1) is generous."""
    window = 5.0 * max(tau, 1.0)
    return math.sqrt(2.0 * (2.0 * window + 1.0) / n_total)


class IndependentBits:
    """p(x) proportional to exp(b . x): P(x_i = 1) = sigmoid(b_i), log Z = sum softplus(b)."""

    def __init__(self, bias, offset=0.0):
        self.bias = np.asarray(bias, dtype=float)
        self.dim = self.bias.size
        self.offset = offset

    def log_prob(self, x):
        return x @ self.bias + self.offset


class DenseIsing:
    """f(x) = s^T J s + b . s with s = 2x - 1 (as the GWG reference code)."""

    def __init__(self, J, b):
        self.J, self.b, self.dim = np.asarray(J), np.asarray(b), len(b)

    def log_prob(self, x):
        s = 2.0 * x - 1.0
        return np.einsum("ki,ij,kj->k", s, self.J, s) + s @ self.b


def _sigmoid(b):
    return 1.0 / (1.0 + np.exp(-b))


# --------------------------------------------------------------------------- ESS vs ArviZ


@pytest.mark.parametrize("method", ["mean", "bulk", "identity"])
@pytest.mark.parametrize("phi", [-0.6, 0.0, 0.5, 0.95])
@pytest.mark.parametrize("shape", [(1, 101), (4, 500), (3, 7)])
def test_ess_matches_arviz_on_ar1(method, phi, shape):
    az = _arviz()
    x = ar1_chains(phi, *shape, seed=1)
    expected = _az_call(az.ess, x, method=method)
    assert dg.ess(x, method=method) == pytest.approx(expected, rel=1e-10)
    expected_rel = _az_call(az.ess, x, method=method, relative=True)
    assert dg.ess(x, method=method, relative=True) == pytest.approx(expected_rel, rel=1e-10)


@pytest.mark.parametrize("method", ["rank", "split", "identity"])
@pytest.mark.parametrize("shift", [0.0, 0.3, 3.0])
def test_rhat_matches_arviz(method, shift):
    az = _arviz()
    x = ar1_chains(0.7, 4, 301, seed=2) + shift * np.arange(4)[:, None]
    assert dg.rhat(x, method=method) == pytest.approx(_az_call(az.rhat, x, method=method), rel=1e-10)


@given(
    data=hnp.arrays(
        np.int8,
        st.tuples(st.integers(1, 4), st.integers(4, 60)),
        elements=st.integers(0, 1),
    ),
    method=st.sampled_from(["mean", "bulk", "identity"]),
)
def test_ess_and_rhat_match_arviz_on_binary_traces(data, method):
    """Binary traces: many ties (rank normalisation) and many constant half-chains."""
    az = _arviz()
    expected = _az_call(az.ess, data.astype(float), method=method)
    if not np.isnan(expected):
        assert dg.ess(data, method=method) == pytest.approx(expected, rel=1e-9)
    if data.shape[0] >= 2:
        for rmethod in ("rank", "split"):
            expected = _az_call(az.rhat, data.astype(float), method=rmethod)
            if np.isfinite(expected):
                assert dg.rhat(data, method=rmethod) == pytest.approx(expected, rel=1e-9)


@given(
    x=hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(4, 80)),
        elements=st.floats(-1e3, 1e3, allow_nan=False, width=64),
    )
)
def test_ess_matches_arviz_on_arbitrary_floats(x):
    az = _arviz()
    for method in ("mean", "bulk"):
        expected = _az_call(az.ess, x, method=method)
        assert dg.ess(x, method=method) == pytest.approx(expected, rel=1e-8)


# --------------------------------------------------------------------------- ESS: analytic values


@pytest.mark.parametrize("phi", [-0.3, 0.0, 0.5, 0.9])
def test_ess_of_ar1_matches_analytic_value(phi):
    n_chains, n_draws = 4, 50_000
    x = ar1_chains(phi, n_chains, n_draws, seed=3)
    n_total = n_chains * n_draws
    tau = (1.0 + phi) / (1.0 - phi)
    tol = 4.0 * ess_relative_sd(tau, n_total)
    for method in ("mean", "bulk", "identity"):
        assert dg.ess(x, method=method) == pytest.approx(ar1_ess(phi, n_total), rel=tol)


def test_ess_of_iid_chains_is_close_to_the_number_of_draws():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 5000))
    tol = 5.0 * ess_relative_sd(1.0, x.size)
    assert dg.ess(x) == pytest.approx(x.size, rel=tol)
    assert dg.ess(x, relative=True) == pytest.approx(1.0, rel=tol)


def test_ess_predicts_the_spread_of_the_mean_over_replicate_runs():
    """Var(mean of a run) ~ var(x) / ESS: checked over 400 independent replicates."""
    phi, n_rep, n_chains, n_draws = 0.8, 400, 2, 2000
    x = ar1_chains(phi, n_rep * n_chains, n_draws, seed=5).reshape(n_rep, n_chains, n_draws)
    run_means = x.mean(axis=(1, 2))
    stationary_var = 1.0 / (1.0 - phi**2)
    ess_from_spread = stationary_var / run_means.var(ddof=1)
    mean_ess = np.mean([dg.ess(run) for run in x[:50]])
    # The sample variance of 400 normal means has relative sd sqrt(2 / 399) ~ 7%.
    assert mean_ess == pytest.approx(ess_from_spread, rel=5.0 * math.sqrt(2.0 / (n_rep - 1)))


def test_ess_is_affine_and_permutation_invariant():
    x = ar1_chains(0.6, 3, 400, seed=6)
    base = dg.ess(x)
    assert dg.ess(-2.5 * x + 7.0) == pytest.approx(base, rel=1e-10)
    assert dg.ess(x[::-1]) == pytest.approx(base, rel=1e-10)


def test_ess_vectorises_over_trailing_axes():
    x = np.stack([ar1_chains(phi, 3, 200, seed=7) for phi in (0.0, 0.5, 0.9, -0.4)], axis=-1)
    x = x.reshape(3, 200, 2, 2)
    for method in ("mean", "bulk", "identity"):
        values = dg.ess(x, method=method)
        assert values.shape == (2, 2)
        for i, j in itertools.product(range(2), range(2)):
            assert values[i, j] == pytest.approx(dg.ess(x[:, :, i, j], method=method), rel=1e-12)
    r = dg.rhat(x)
    assert r.shape == (2, 2)
    assert r[1, 0] == pytest.approx(dg.rhat(x[:, :, 1, 0]), rel=1e-12)


def test_one_dimensional_input_is_one_chain():
    x = ar1_chains(0.5, 1, 300, seed=8)
    assert dg.ess(x[0]) == dg.ess(x)
    assert dg.rhat(x[0], method="split") == dg.rhat(x, method="split")


def test_constant_input():
    x = np.ones((3, 50))
    assert dg.ess(x) == x.size  # ArviZ's convention
    assert np.isnan(dg.rhat(x))
    stuck = np.repeat(np.array([[0.0], [1.0]]), 50, axis=1)  # chains stuck in different states
    assert dg.rhat(stuck, method="split") == np.inf
    assert dg.rhat(stuck) == np.inf


# --------------------------------------------------------------------------- R-hat behaviour


def test_rhat_near_one_for_well_mixed_chains():
    x = ar1_chains(0.3, 4, 4000, seed=9)
    for method in ("rank", "split", "identity"):
        # R-hat - 1 is O(1 / n_draws) for converged chains.
        assert abs(dg.rhat(x, method=method) - 1.0) < 0.01


def test_rhat_flags_shifted_chains():
    x = ar1_chains(0.3, 4, 1000, seed=10)
    x[0] += 2.0  # one chain in a different place
    for method in ("rank", "split", "identity"):
        assert dg.rhat(x, method=method) > 1.1


def test_split_rhat_flags_a_trending_chain():
    x = ar1_chains(0.3, 1, 2000, seed=11)[0] + np.linspace(0.0, 5.0, 2000)
    assert dg.rhat(x, method="split") > 1.1
    assert dg.rhat(x) > 1.1


def test_ess_per_second():
    x = ar1_chains(0.5, 2, 300, seed=12)
    assert dg.ess_per_second(x, 2.0) == pytest.approx(dg.ess(x) / 2.0)
    assert dg.ess_per_second(x, 0.5, method="bulk") == pytest.approx(dg.ess(x, method="bulk") * 2)


# --------------------------------------------------------------------------- log-RMSE


def test_log_rmse():
    est, true = np.array([0.1, 0.5, 0.9]), np.array([0.2, 0.5, 0.6])
    assert dg.log_rmse(est, true) == pytest.approx(np.log(np.sqrt((0.01 + 0.0 + 0.09) / 3)))
    assert dg.log_rmse(true, true) == -np.inf


# --------------------------------------------------------------------------- MMD


def _mmd_brute_force(a, b, unbiased):
    def gram(u, v):
        return np.exp(-(u[:, None, :] != v[None, :, :]).mean(axis=-1))

    kaa, kbb, kab = gram(a, a), gram(b, b), gram(a, b)
    n, m = len(a), len(b)
    if unbiased:
        return (
            (kaa.sum() - np.trace(kaa)) / (n * (n - 1))
            + (kbb.sum() - np.trace(kbb)) / (m * (m - 1))
            - 2 * kab.mean()
        )
    return kaa.mean() + kbb.mean() - 2 * kab.mean()


@pytest.mark.parametrize("unbiased", [False, True])
@pytest.mark.parametrize("block_size", [1, 7, 1024])
def test_mmd_matches_brute_force(unbiased, block_size):
    rng = np.random.default_rng(13)
    a = (rng.random((60, 17)) < 0.4).astype(np.int8)
    b = (rng.random((45, 17)) < 0.6).astype(bool)
    expected = _mmd_brute_force(a, b, unbiased)
    assert dg.mmd_hamming(a, b, unbiased=unbiased, block_size=block_size) == pytest.approx(
        expected, rel=1e-12, abs=1e-15
    )


def test_mmd_of_identical_sets_is_zero():
    rng = np.random.default_rng(14)
    a = (rng.random((300, 25)) < 0.5).astype(float)
    assert abs(dg.mmd_hamming(a, a)) < 1e-12
    assert dg.mmd_hamming(a, a.copy(), block_size=64) == pytest.approx(0.0, abs=1e-12)


def _product_mmd2(p, r, dim):
    """Population MMD^2 of two product Bernoulli(p)^D and Bernoulli(r)^D distributions:
    E exp(-H/D) = prod_i (1 - q_i (1 - e^{-1/D})) with q_i = P(x_i != y_i)."""
    c = 1.0 - math.exp(-1.0 / dim)

    def mean_kernel(u, v):
        return (1.0 - (u * (1 - v) + v * (1 - u)) * c) ** dim

    return mean_kernel(p, p) + mean_kernel(r, r) - 2.0 * mean_kernel(p, r)


@pytest.mark.parametrize("p, r", [(0.1, 0.9), (0.3, 0.3)])
def test_unbiased_mmd_estimates_population_value(p, r):
    dim, n = 10, 2000
    rng = np.random.default_rng(15)
    a = (rng.random((n, dim)) < p).astype(np.uint8)
    b = (rng.random((n, dim)) < r).astype(np.uint8)
    # Gretton et al. (2012, Thm. 10): |MMD_u^2 - MMD^2| <= sqrt(8 log(2/delta) / floor(n/2))
    # with probability 1 - delta for a kernel bounded by 1; delta = 1e-6.
    tol = math.sqrt(8.0 * math.log(2e6) / (n // 2))
    assert dg.mmd_hamming(a, b, unbiased=True) == pytest.approx(_product_mmd2(p, r, dim), abs=tol)
    if p != r:
        assert dg.mmd_hamming(a, b) > 0.5 * _product_mmd2(p, r, dim) > tol


# --------------------------------------------------------------------------- enumeration


def test_enumeration_of_independent_bits():
    bias = np.linspace(-3.0, 2.0, 11)
    model = IndependentBits(bias)
    m = _sigmoid(bias)
    np.testing.assert_allclose(dg.exact_marginals(model), m, rtol=1e-13, atol=1e-15)
    assert dg.log_partition(model) == pytest.approx(np.logaddexp(0.0, bias).sum(), rel=1e-13)
    pairwise = np.outer(m, m)
    np.fill_diagonal(pairwise, m)
    np.testing.assert_allclose(dg.exact_pairwise(model), pairwise, rtol=1e-12, atol=1e-15)


def test_enumerate_model_order_and_normalisation():
    model = DenseIsing(np.array([[0.0, 0.3, 0.0], [0.3, 0.0, -0.2], [0.0, -0.2, 0.0]]), [0.1, 0, -0.4])
    states, log_probs = dg.enumerate_model(model, block_size=3)
    expected_states = np.array(list(itertools.product([0, 1], repeat=3)), dtype=float)
    np.testing.assert_array_equal(states, expected_states)
    unnorm = model.log_prob(expected_states)
    np.testing.assert_allclose(log_probs, unnorm - np.log(np.exp(unnorm).sum()), rtol=0, atol=1e-14)


def test_enumeration_of_a_coupled_model_against_itertools():
    rng = np.random.default_rng(16)
    dim = 9
    J = rng.normal(scale=0.4, size=(dim, dim))
    J = (J + J.T) / 2
    model = DenseIsing(J, rng.normal(size=dim))
    states = np.array(list(itertools.product([0.0, 1.0], repeat=dim)))
    unnorm = model.log_prob(states)
    p = np.exp(unnorm - unnorm.max())
    p /= p.sum()
    assert dg.log_partition(model, block_size=50) == pytest.approx(
        unnorm.max() + np.log(np.exp(unnorm - unnorm.max()).sum()), rel=1e-13
    )
    np.testing.assert_allclose(dg.exact_marginals(model, block_size=33), p @ states, atol=1e-14)
    np.testing.assert_allclose(
        dg.exact_pairwise(model, block_size=64), states.T @ (states * p[:, None]), atol=1e-14
    )


@given(offset=st.floats(-1e4, 1e4), block_exp=st.integers(0, 8))
def test_enumeration_is_stable_and_block_size_invariant(offset, block_exp):
    bias = np.array([1.5, -0.5, 0.0, 2.0, -3.0, 0.7])
    model = IndependentBits(bias, offset=offset)
    block = 1 << block_exp
    np.testing.assert_allclose(dg.exact_marginals(model, block_size=block), _sigmoid(bias), atol=1e-13)
    assert dg.log_partition(model, block_size=block) == pytest.approx(
        offset + np.logaddexp(0.0, bias).sum(), rel=1e-12, abs=1e-12
    )


def test_enumeration_allows_impossible_states():
    class Parity:
        dim = 4

        def log_prob(self, x):  # only even-parity states have mass
            return np.where(x.sum(axis=1) % 2 == 0, 0.0, -np.inf)

    assert dg.log_partition(Parity()) == pytest.approx(np.log(8.0))
    np.testing.assert_allclose(dg.exact_marginals(Parity(), block_size=3), 0.5)


def test_enumeration_accepts_the_largest_dimension_lazily():
    model = IndependentBits(np.zeros(dg.MAX_ENUMERATION_DIM))
    assert dg.log_partition(model, block_size=1 << 18) == pytest.approx(
        dg.MAX_ENUMERATION_DIM * np.log(2.0)
    )


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "x, error",
    [
        (np.zeros((2, 3)), ValueError),  # < 4 draws
        (np.zeros(3), ValueError),
        (np.zeros((0, 10)), ValueError),
        (np.zeros((2, 0)), ValueError),
        (np.float64(1.0), ValueError),
        (np.array([[0.0, 1.0, np.nan, 2.0, 1.0]]), ValueError),
        (np.array([[0.0, 1.0, np.inf, 2.0, 1.0]]), ValueError),
        (np.array([[1j, 1, 2, 3]]), TypeError),
        (np.array([["a", "b", "c", "d"]]), TypeError),
        (np.array([[None, 1, 2, 3]], dtype=object), TypeError),
    ],
)
def test_ess_and_rhat_reject_bad_draws(x, error):
    with pytest.raises(error, match="x"):
        dg.ess(x)
    with pytest.raises(error, match="x"):
        dg.rhat(x)


def test_bad_method_and_seconds():
    x = np.random.default_rng(0).standard_normal((2, 20))
    with pytest.raises(ValueError, match="method"):
        dg.ess(x, method="tail")
    with pytest.raises(ValueError, match="method"):
        dg.rhat(x, method="folded")
    with pytest.raises(ValueError, match="2 chains"):
        dg.rhat(x[:1], method="identity")
    for seconds in (0.0, -1.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="seconds"):
            dg.ess_per_second(x, seconds)
    with pytest.raises(TypeError, match="seconds"):
        dg.ess_per_second(x, "1")


def test_log_rmse_bad_input():
    with pytest.raises(ValueError, match="shape"):
        dg.log_rmse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="NaN"):
        dg.log_rmse(np.array([np.nan]), np.zeros(1))
    with pytest.raises(ValueError, match="empty"):
        dg.log_rmse([], [])


def test_mmd_bad_input():
    a = np.zeros((5, 4))
    with pytest.raises(ValueError, match="D="):
        dg.mmd_hamming(a, np.zeros((5, 3)))
    with pytest.raises(ValueError, match="samples_b"):
        dg.mmd_hamming(a, np.full((5, 4), 0.5))
    with pytest.raises(ValueError, match="samples_a"):
        dg.mmd_hamming(np.zeros(4), a)
    with pytest.raises(ValueError, match="NaN"):
        dg.mmd_hamming(a, np.full((5, 4), np.nan))
    with pytest.raises(ValueError, match="empty"):
        dg.mmd_hamming(np.zeros((0, 4)), a)
    with pytest.raises(ValueError, match="2 samples"):
        dg.mmd_hamming(a[:1], a, unbiased=True)
    with pytest.raises(ValueError, match="block_size"):
        dg.mmd_hamming(a, a, block_size=0)
    with pytest.raises(TypeError, match="block_size"):
        dg.mmd_hamming(a, a, block_size=2.0)


def test_enumeration_bad_input():
    with pytest.raises(ValueError, match="too large"):
        dg.exact_marginals(IndependentBits(np.zeros(21)))
    with pytest.raises(ValueError, match="dim"):
        dg.log_partition(IndependentBits(np.zeros(0)))
    with pytest.raises(TypeError, match="log_prob"):
        dg.log_partition(object())

    class WrongShape:
        dim = 3

        def log_prob(self, x):
            return np.zeros(len(x) + 1)

    class NaNModel:
        dim = 3

        def log_prob(self, x):
            return np.full(len(x), np.nan)

    class Empty:
        dim = 3

        def log_prob(self, x):
            return np.full(len(x), -np.inf)

    class FloatDim:
        dim = 3.0

        def log_prob(self, x):
            return np.zeros(len(x))

    for func in (dg.enumerate_model, dg.exact_marginals, dg.exact_pairwise, dg.log_partition):
        with pytest.raises(ValueError, match="shape"):
            func(WrongShape())
        with pytest.raises(ValueError, match="NaN"):
            func(NaNModel())
        with pytest.raises(ValueError, match="zero total mass"):
            func(Empty())
        with pytest.raises(TypeError, match="dim"):
            func(FloatDim())
        with pytest.raises(ValueError, match="block_size"):
            func(IndependentBits(np.zeros(3)), block_size=0)


def test_column_blocking_gives_identical_results(monkeypatch):
    x = (ar1_chains(0.5, 3 * 7, 120, seed=17).reshape(3, 7, 120).transpose(0, 2, 1) > 0).astype(np.uint8)
    expected = {m: dg.ess(x, method=m) for m in ("mean", "bulk")}
    expected_rhat = dg.rhat(x)
    monkeypatch.setattr(dg, "_BLOCK_BYTES", 1)  # one column per block
    for method, values in expected.items():
        # Batched FFTs may round differently from single-column ones.
        np.testing.assert_allclose(dg.ess(x, method=method), values, rtol=1e-12)
    np.testing.assert_allclose(dg.rhat(x), expected_rhat, rtol=1e-12)
    bad = x.astype(float)
    bad[1, 50, 6] = np.nan  # only the last block sees it
    with pytest.raises(ValueError, match="NaN"):
        dg.ess(bad)
