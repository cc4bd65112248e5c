"""ttsolve.mcmc.learn against the exact references of tests/reference/learning.py."""

import numpy as np
import pytest
from reference import learning as ref

from ttsolve import _core
from ttsolve.mcmc import RBM, BinaryQuadratic, IsingLattice
from ttsolve.mcmc.learn import (Ising, fit_pcd, fit_pseudolikelihood, pseudo_log_likelihood,
                                sample_training_set)


def _sym(rng, D, scale, zero_diag=True):
    A = scale * rng.standard_normal((D, D))
    A = A + A.T
    if zero_diag:
        np.fill_diagonal(A, 0.0)
    return A


def _exact_data(log_prob, D, n, rng):
    states = ref.binary_states(D)
    logf = log_prob(states)
    p = np.exp(logf - logf.max())
    return states[rng.choice(len(states), size=n, p=p / p.sum())]


@pytest.fixture
def threads():
    default = _core.get_num_threads()
    yield _core.set_num_threads
    _core.set_num_threads(default)


def test_moment_kernels_match_numpy():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, (301, 7)).astype(np.uint8)
    S = 2.0 * X - 1.0
    m, s = _core.learn.binary_moments(X, False)
    np.testing.assert_allclose(m, X.mean(0), rtol=1e-15)
    np.testing.assert_allclose(s, X.T.astype(float) @ X / len(X), rtol=1e-15)
    m, s = _core.learn.binary_moments(X, True)
    np.testing.assert_allclose(s, S.T @ S / len(X), rtol=1e-14, atol=1e-15)
    W, c = rng.standard_normal((3, 7)), rng.standard_normal(3)
    ev, eh, ehv = _core.learn.rbm_moments(X, W, c)
    dv, dh, dhv = ref._rbm_stats(X.astype(float), W, c, np.full(len(X), 1.0 / len(X)))
    np.testing.assert_allclose(ev, dv, rtol=1e-13)
    np.testing.assert_allclose(eh, dh, rtol=1e-13)
    np.testing.assert_allclose(ehv, dhv, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("family", ["ising", "binary_quadratic"])
def test_compiled_pseudo_likelihood_matches_reference_and_finite_differences(family):
    rng = np.random.default_rng(1)
    D = 6
    X = rng.integers(0, 2, (80, D))
    J = _sym(rng, D, 0.4)
    bias = rng.standard_normal(D)
    name = "h" if family == "ising" else "b"
    value, grads = pseudo_log_likelihood(family, X, {"J": J, name: bias}, l2=0.1, l2_bias=0.05)
    reference = ref.ising_pseudo_log_likelihood if family == "ising" else ref.binary_quadratic_pseudo_log_likelihood
    rv, rJ, rb = reference(J, bias, X, 0.1, 0.05)
    assert value == pytest.approx(rv, rel=1e-13)
    np.testing.assert_allclose(grads["J"], rJ, atol=1e-13)
    np.testing.assert_allclose(grads[name], rb, atol=1e-13)
    U, u, eps = _sym(rng, D, 1.0), rng.standard_normal(D), 1e-6
    f = lambda t: pseudo_log_likelihood(family, X, {"J": J + t * U, name: bias + t * u}, 0.1, 0.05)[0]  # noqa: E731
    fd = (f(eps) - f(-eps)) / (2 * eps)
    assert (grads["J"] * U).sum() + grads[name] @ u == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("family", ["ising", "binary_quadratic"])
def test_pseudo_likelihood_fit_matches_scipy_on_the_reference_objective(family):
    rng = np.random.default_rng(2)
    D = 5
    X = _exact_data(lambda s: ref.ising_log_prob(s, _sym(np.random.default_rng(3), D, 0.3), np.zeros(D)), D, 400, rng)
    model, info = fit_pseudolikelihood(family, X, l2=0.01, l2_bias=0.001)
    (J, bias), rinfo = ref.pseudo_likelihood_fit(family, X, l2=0.01, l2_bias=0.001)
    assert info["grad_norm"] < 1e-6 and rinfo["grad_norm"] < 1e-6  # both at the optimum
    np.testing.assert_allclose(info["params"]["J"], J, atol=1e-5)
    np.testing.assert_allclose(info["params"]["h" if family == "ising" else "b"], bias, atol=1e-5)
    assert isinstance(model, Ising if family == "ising" else BinaryQuadratic)


def _one_sgd_step_gradient(start, data, n_chains, seed):
    """The PCD gradient of one update (SGD, unit rate: the step is the gradient)."""
    _, history = fit_pcd(start, data, sampler="gwg", n_chains=n_chains, steps_per_update=400, n_updates=1,
                         learning_rate=1.0, optimizer="sgd", seed=seed, pl_every=1)
    return history.params


@pytest.mark.parametrize("family", ["ising", "binary_quadratic", "rbm"])
def test_pcd_gradient_agrees_with_the_exact_gradient_within_chain_count_bounds(family):
    rng = np.random.default_rng(4)
    D, n_chains = 5, 2000
    data = rng.integers(0, 2, (60, D))
    if family == "ising":
        J0, h0 = _sym(rng, D, 0.15), 0.3 * rng.standard_normal(D)
        params = _one_sgd_step_gradient(Ising(J0, h0), data, n_chains, 0)
        _, dJ, dh = ref.ising_log_likelihood(J0, h0, data)
        m1, m2, _ = ref.ising_moments(J0, h0)
        pairs = [(params["J"] - J0, dJ, 1.0 - m2**2), (params["h"] - h0, dh, 1.0 - m1**2)]
    elif family == "binary_quadratic":
        J0, b0 = _sym(rng, D, 0.3), 0.3 * rng.standard_normal(D)
        params = _one_sgd_step_gradient(BinaryQuadratic(J0, b0), data, n_chains, 1)
        _, dJ, db = ref.binary_quadratic_log_likelihood(J0, b0, data)
        m1, m2, _ = ref.binary_quadratic_moments(J0, b0)
        off = ~np.eye(D, dtype=bool)
        pairs = [((params["J"] - J0)[off], dJ[off], (m2 * (1 - m2))[off]), (params["b"] - b0, db, m1 * (1 - m1))]
    else:
        W0, b0, c0 = 0.5 * rng.standard_normal((3, D)), 0.3 * rng.standard_normal(D), 0.3 * rng.standard_normal(3)
        params = _one_sgd_step_gradient(RBM(W0, b0, c0), data, n_chains, 2)
        _, dW, db, dc = ref.rbm_log_likelihood(W0, b0, c0, data)
        ev = ref.rbm_moments(W0, b0, c0)[0]
        # sigma(.) v and sigma(.) lie in [0, 1]: variance <= 1/4.
        pairs = [(params["W"] - W0, dW, np.full(dW.shape, 0.25)), (params["b"] - b0, db, ev * (1 - ev)),
                 (params["c"] - c0, dc, np.full(dc.shape, 0.25))]
    for pcd, exact, variance in pairs:
        # Independent, well-mixed chains: each model moment is a mean of n_chains draws.
        bound = 5.0 * np.sqrt(np.maximum(variance, 1e-3) / n_chains)
        assert np.all(np.abs(pcd - exact) < bound), np.abs(pcd - exact) / bound


def test_pcd_with_a_decreasing_step_converges_to_the_exact_ml_parameters(threads):
    threads(1)  # fits are thread-count invariant (tested below); one thread is faster on tiny chains
    rng = np.random.default_rng(5)
    D, n_chains, n_updates, a, t0 = 4, 500, 250, 0.5, 15.0
    J_true, h_true = _sym(rng, D, 0.25), 0.2 * rng.standard_normal(D)
    data = _exact_data(lambda s: ref.ising_log_prob(s, J_true, h_true), D, 500, rng)
    (J_ml, h_ml), _ = ref.exact_ml_fit("ising", data)
    _, history = fit_pcd("ising", data, sampler="gwg", n_chains=n_chains, steps_per_update=20,
                         n_updates=n_updates, learning_rate=lambda t: a / (1.0 + t / t0), optimizer="sgd",
                         seed=0, pl_every=n_updates)
    # Near the optimum SGD with step a_t and gradient noise of covariance F / n_chains (F the
    # Fisher information) fluctuates with sd about sqrt(a_t / (2 n_chains)) per coordinate.
    lr_final = a / (1.0 + (n_updates - 1) / t0)
    tol = 6.0 * np.sqrt(lr_final / (2.0 * n_chains))
    iu = np.triu_indices(D, 1)
    err = np.concatenate([history.params["J"][iu] - J_ml[iu], history.params["h"] - h_ml])
    assert np.abs(err).max() < tol, (np.abs(err).max(), tol)
    assert np.abs(J_ml[iu] - 0).max() > 5 * tol  # the test can fail: zero is far from the optimum


def test_fit_is_seeded_and_thread_count_invariant(threads):
    rng = np.random.default_rng(6)
    data = rng.integers(0, 2, (200, 9))
    kw = dict(sampler="gwg", n_chains=40, steps_per_update=5, n_updates=15, learning_rate=0.05, l1=0.01,
              l2=0.01, validation=data[:50], batch_size=64)
    runs = []
    for n in (1, 2, 1):
        threads(n)
        runs.append(fit_pcd("ising_lattice", data, structure=(3, 3), seed=11, **kw)[1])
    other = fit_pcd("ising_lattice", data, structure=(3, 3), seed=12, **kw)[1]
    for h in runs[1:]:
        np.testing.assert_array_equal(h.params["J"], runs[0].params["J"])
        np.testing.assert_array_equal(h.final_state, runs[0].final_state)
        np.testing.assert_array_equal(h.pl_valid, runs[0].pl_valid)
    assert not np.array_equal(other.params["J"], runs[0].params["J"])
    mask = IsingLattice((3, 3), 1.0).W.toarray() != 0
    assert np.all(runs[0].params["J"][~mask] == 0.0) and np.any(runs[0].params["J"][mask] != 0.0)
    h = runs[0]
    assert len(h.update) == 15 and np.isfinite(h.pl_train[-1]) and np.isfinite(h.pl_valid[-1])
    assert np.all(h.param_change > 0) and np.all(np.diff(h.seconds) >= 0)


def test_rbm_fit_runs_and_the_callback_can_stop_it():
    rng = np.random.default_rng(7)
    data = rng.integers(0, 2, (100, 6))
    model, history = fit_pcd("rbm", data, n_hidden=3, n_chains=20, steps_per_update=3, n_updates=10,
                             callback=lambda t, params, row: t == 4, seed=0)
    assert isinstance(model, RBM) and model.W.shape == (3, 6)
    assert history.interrupted and len(history.update) == 4


def test_training_set_helper_reports_mixing_and_matches_the_model():
    model = IsingLattice((3, 3), 0.1)
    data, info = sample_training_set(model, 3000, seed=0)
    assert data.shape == (3000, 9) and set(np.unique(data)) <= {0, 1}
    assert 0.1 * 3000 < info["ess"] <= 1.5 * 3000 and info["rhat"] < 1.1
    S = 2.0 * data - 1.0
    exact = ref.ising_moments(model.W.toarray(), np.zeros(9))[1]
    # Each pair moment (values in [-1, 1]) has sd <= 1 / sqrt(effective sample size).
    assert np.abs(S.T @ S / len(S) - exact).max() < 5.0 / np.sqrt(info["ess"])


@pytest.mark.parametrize("kwargs,error", [
    (dict(data=np.full((5, 4), 2)), ValueError),
    (dict(data=np.zeros((0, 4))), ValueError),
    (dict(data=np.zeros(4)), ValueError),
    (dict(validation=np.zeros((3, 5))), ValueError),
    (dict(learning_rate=float("nan")), ValueError),
    (dict(learning_rate=float("inf")), ValueError),
    (dict(learning_rate=-1.0), ValueError),
    (dict(learning_rate=lambda t: float("nan")), ValueError),
    (dict(l1=-0.1), ValueError),
    (dict(l2=float("nan")), ValueError),
    (dict(optimizer="rmsprop"), ValueError),
    (dict(model_family="potts"), ValueError),
    (dict(model_family="rbm"), ValueError),
    (dict(model_family="ising_lattice"), ValueError),
    (dict(model_family="ising_lattice", structure=(3, 3)), ValueError),
    (dict(n_chains=0), ValueError),
    (dict(n_chains=2.5), TypeError),
    (dict(init_chains=np.zeros((3, 4))), ValueError),
    (dict(data=np.array([["a"] * 4])), TypeError),
])
def test_bad_input_gives_clear_errors(kwargs, error):
    args = dict(model_family="ising", data=np.zeros((10, 4)), n_chains=4, n_updates=2, steps_per_update=1)
    args.update(kwargs)
    with pytest.raises(error):
        fit_pcd(**args)


def test_pseudo_likelihood_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="data"):
        fit_pseudolikelihood("ising", np.full((3, 3), 0.5))
    with pytest.raises(ValueError, match="(?i)rbm"):
        fit_pseudolikelihood("rbm", np.zeros((3, 3)))
    with pytest.raises(ValueError, match="l2"):
        fit_pseudolikelihood("ising", np.zeros((3, 3)), l2=-1.0)


def test_progress_bars_of_sample_and_fit_pcd_reach_the_end(capsys):
    """sample(progress=True) and fit_pcd(progress=True) draw the shared text bar to done/total."""
    from ttsolve.mcmc import IsingLattice, sample
    from ttsolve.mcmc.learn import fit_pcd

    sample(IsingLattice((3, 3), 0.2), "gwg", 2, 50, seed=0, record=[], progress=True)
    err = capsys.readouterr().err
    assert err.startswith("\rsampling") and "50/50" in err and err.endswith("\n")
    data = np.random.default_rng(0).integers(0, 2, (20, 4))
    fit_pcd("binary_quadratic", data, n_chains=4, steps_per_update=2, n_updates=3, seed=0, progress=True)
    err = capsys.readouterr().err
    assert err.startswith("\rfit_pcd") and "3/3" in err and err.endswith("\n")


@pytest.mark.parametrize("sampler,steps", [("gwg", 400), ("block_gibbs", 30)])
def test_rbm_pcd_gradient_per_sampler_agrees_with_the_exact_gradient(sampler, steps):
    """One SGD step at unit rate is the PCD gradient: data term E[h | v] from the compiled
    kernel, model term from persistent chains of either RBM sampler; exact by enumeration."""
    rng = np.random.default_rng(8)
    D, H, n_chains = 6, 4, 2000
    data = rng.integers(0, 2, (50, D))
    W0, b0, c0 = 0.6 * rng.standard_normal((H, D)), 0.3 * rng.standard_normal(D), 0.3 * rng.standard_normal(H)
    _, history = fit_pcd(RBM(W0, b0, c0), data, sampler=sampler, n_chains=n_chains, steps_per_update=steps,
                         n_updates=1, learning_rate=1.0, optimizer="sgd", seed=3, pl_every=1)
    p = history.params
    _, dW, db, dc = ref.rbm_log_likelihood(W0, b0, c0, data)
    ev = ref.rbm_moments(W0, b0, c0)[0]
    for step, exact, variance in [(p["W"] - W0, dW, 0.25), (p["b"] - b0, db, ev * (1 - ev)), (p["c"] - c0, dc, 0.25)]:
        bound = 5.0 * np.sqrt(np.maximum(variance, 1e-3) / n_chains)
        assert np.all(np.abs(step - exact) < bound), np.abs(step - exact) / bound
