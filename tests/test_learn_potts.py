"""Potts learning: compiled statistics and pseudo-likelihood, PCD on the categorical engine,
against the exact references of tests/reference/learning.py."""

import numpy as np
import pytest
from reference import learning as ref

from ttsolve import _core
from ttsolve.mcmc import Potts
from ttsolve.mcmc.learn import fit_pcd, fit_pseudolikelihood, pseudo_log_likelihood


def _potts_params(rng, D, K, scale):
    J = scale * rng.standard_normal((D, D, K, K))
    J = J + J.transpose(1, 0, 3, 2)
    J[np.arange(D), np.arange(D)] = 0.0
    return J, scale * rng.standard_normal((D, K))


def _exact_data(J, b, n, rng):
    D, K = b.shape
    states = ref.categorical_states(D, K)
    logf = ref.potts_log_prob(states, J, b)
    p = np.exp(logf - logf.max())
    return states[rng.choice(len(states), size=n, p=p / p.sum())]


@pytest.fixture
def threads():
    default = _core.get_num_threads()
    yield _core.set_num_threads
    _core.set_num_threads(default)


def test_potts_moments_are_the_one_hot_frequencies():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (203, 5)).astype(np.uint8)
    O = (X[..., None] == np.arange(4)).astype(float)
    mean, pair = _core.learn.potts_moments(X, 4)
    np.testing.assert_allclose(mean, O.mean(0), rtol=1e-15)
    np.testing.assert_allclose(pair, np.einsum("nia,njc->ijac", O, O) / len(X), rtol=1e-15)


def test_compiled_potts_pseudo_likelihood_matches_reference_and_finite_differences():
    rng = np.random.default_rng(1)
    D, K = 5, 3
    X = rng.integers(0, K, (70, D))
    J, b = _potts_params(rng, D, K, 0.3)
    value, grads = pseudo_log_likelihood("potts", X, {"J": J, "b": b}, l2=0.1, l2_bias=0.05, n_states=K)
    rv, rJ, rb = ref.potts_pseudo_log_likelihood(J, b, X, 0.1, 0.05)
    assert value == pytest.approx(rv, rel=1e-13)
    np.testing.assert_allclose(grads["J"], rJ, atol=1e-13)
    np.testing.assert_allclose(grads["b"], rb, atol=1e-13)
    U, u = _potts_params(rng, D, K, 1.0)
    eps = 1e-6
    f = lambda t: pseudo_log_likelihood("potts", X, {"J": J + t * U, "b": b + t * u}, 0.1, 0.05, n_states=K)[0]  # noqa: E731
    fd = (f(eps) - f(-eps)) / (2 * eps)
    assert (grads["J"] * U).sum() + (grads["b"] * u).sum() == pytest.approx(fd, rel=1e-6)


def test_potts_pseudo_likelihood_fit_matches_scipy_on_the_reference_objective():
    rng = np.random.default_rng(2)
    D, K = 4, 3
    J0, b0 = _potts_params(np.random.default_rng(3), D, K, 0.25)
    X = _exact_data(J0, b0, 500, rng)
    model, info = fit_pseudolikelihood("potts", X, l2=0.01, l2_bias=0.01, n_states=K)
    (J, b), rinfo = ref.pseudo_likelihood_fit("potts", X, l2=0.01, l2_bias=0.01, n_states=K)
    assert info["grad_norm"] < 1e-6 and rinfo["grad_norm"] < 1e-6  # both at the (unique, penalised) optimum
    np.testing.assert_allclose(info["params"]["J"], J, atol=1e-5)
    np.testing.assert_allclose(info["params"]["b"], b, atol=1e-5)
    assert isinstance(model, Potts) and model.n_states == K
    np.testing.assert_allclose(model.log_prob(X), ref.potts_log_prob(X, J, b), atol=1e-4)


def test_potts_pcd_converges_to_the_exact_ml_moments(threads):
    """At the ML point the exact model moments equal the data moments (the Potts parameters
    themselves are fixed only up to gauge, so the gauge-free moments are compared)."""
    threads(1)
    rng = np.random.default_rng(5)
    D, K, n_chains, n_updates, a, t0 = 3, 3, 500, 250, 0.5, 15.0
    J_true, b_true = _potts_params(rng, D, K, 0.3)
    data = _exact_data(J_true, b_true, 500, rng)
    _, history = fit_pcd("potts", data, n_states=K, sampler="gwg", n_chains=n_chains, steps_per_update=20,
                         n_updates=n_updates, learning_rate=lambda t: a / (1.0 + t / t0), optimizer="sgd",
                         seed=0, pl_every=n_updates)
    O = (data[..., None] == np.arange(K)).astype(float)
    d1, d2 = O.mean(0), np.einsum("nia,njc->ijac", O, O) / len(O)
    m1, m2, _ = ref.potts_moments(history.params["J"], history.params["b"])
    lr_final = a / (1.0 + (n_updates - 1) / t0)
    tol = 6.0 * np.sqrt(lr_final / (2.0 * n_chains))  # SGD noise with unit-bounded Fisher information
    off = ~np.eye(D, dtype=bool)
    gap = max(np.abs(m1 - d1).max(), np.abs((m2 - d2)[off]).max())
    assert gap < tol, (gap, tol)
    u1, u2, _ = ref.potts_moments(np.zeros_like(J_true), np.zeros_like(b_true))
    assert max(np.abs(u1 - d1).max(), np.abs((u2 - d2)[off]).max()) > 5 * tol  # the test can fail


@pytest.mark.parametrize("sampler", ["gwg", "gibbs"])
def test_potts_fit_is_seeded_and_thread_count_invariant(threads, sampler):
    rng = np.random.default_rng(6)
    data = rng.integers(0, 3, (120, 6))
    kw = dict(n_states=3, sampler=sampler, n_chains=30, steps_per_update=5, n_updates=8, learning_rate=0.05,
              l1=0.01, l2=0.01, validation=data[:40], batch_size=50)
    runs = []
    for n in (1, 2, 1):
        threads(n)
        runs.append(fit_pcd("potts", data, seed=3, **kw)[1])
    other = fit_pcd("potts", data, seed=4, **kw)[1]
    for h in runs[1:]:
        np.testing.assert_array_equal(h.params["J"], runs[0].params["J"])
        np.testing.assert_array_equal(h.final_state, runs[0].final_state)
        np.testing.assert_array_equal(h.pl_valid, runs[0].pl_valid)
    assert not np.array_equal(other.params["J"], runs[0].params["J"])
    J = runs[0].params["J"]
    np.testing.assert_array_equal(J, J.transpose(1, 0, 3, 2))  # the symmetry is kept
    assert np.all(J[np.arange(6), np.arange(6)] == 0.0) and runs[0].final_state.max() <= 2


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(data=np.full((5, 4), 3)), ValueError, "states 0..2"),
    (dict(data=np.zeros((0, 4))), ValueError, "row"),
    (dict(data=np.zeros(4)), ValueError, "2-D"),
    (dict(data=np.array([["a"] * 4])), TypeError, "numeric"),
    (dict(validation=np.zeros((3, 5))), ValueError, "validation"),
    (dict(validation=np.full((3, 4), 5)), ValueError, "validation"),
    (dict(init_chains=np.full((4, 4), 3)), ValueError, "init_chains"),
    (dict(learning_rate=float("nan")), ValueError, "learning_rate"),
    (dict(learning_rate=lambda t: float("inf")), ValueError, "learning_rate"),
    (dict(n_states=None), ValueError, "n_states"),
    (dict(n_states=1), ValueError, "n_states"),
    (dict(n_states=2.5), TypeError, "n_states"),
    (dict(model_family="ising", n_states=3), ValueError, "n_states"),
])
def test_potts_bad_input_gives_clear_errors(kwargs, error, match):
    args = dict(model_family="potts", data=np.zeros((10, 4), dtype=int), n_states=3, n_chains=4, n_updates=2,
                steps_per_update=1)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        fit_pcd(**args)


def test_potts_pseudo_likelihood_rejects_bad_params():
    X = np.zeros((5, 3), dtype=int)
    with pytest.raises(ValueError, match="J"):
        pseudo_log_likelihood("potts", X, {"J": np.zeros((3, 3, 2, 2)), "b": np.zeros((3, 3))}, n_states=3)
    with pytest.raises(ValueError, match="missing"):
        pseudo_log_likelihood("potts", X, {"J": np.zeros((3, 3, 3, 3))}, n_states=3)
    with pytest.raises(ValueError, match="states"):
        fit_pseudolikelihood("potts", np.full((5, 3), 4), n_states=3)
