"""Tests of the learning references themselves (tests/reference/learning.py)."""

import numpy as np
import pytest
from reference import learning as ref

from ttsolve.mcmc import RBM, BinaryQuadratic, IsingLattice


def _sym(rng, D, scale=0.5, zero_diag=True):
    A = scale * rng.standard_normal((D, D))
    A = A + A.T
    if zero_diag:
        np.fill_diagonal(A, 0.0)
    return A


def _potts_params(rng, D, K, scale=0.3):
    J = scale * rng.standard_normal((D, D, K, K))
    J = J + J.transpose(1, 0, 3, 2)
    J[np.arange(D), np.arange(D)] = 0.0
    return J, scale * rng.standard_normal((D, K))


def _exact_sample(logf, states, n, rng):
    p = np.exp(logf - logf.max())
    return states[rng.choice(len(states), size=n, p=p / p.sum())]


def test_state_spaces_enumerate_each_state_once():
    X = ref.binary_states(5)
    assert X.shape == (32, 5) and len({tuple(r) for r in X}) == 32
    C = ref.categorical_states(3, 4)
    assert C.shape == (64, 3) and len({tuple(r) for r in C}) == 64 and C.max() == 3
    with pytest.raises(ValueError):
        ref.binary_states(17)


@pytest.mark.parametrize("shape,periodic", [((4,), True), ((3, 4), True), ((2, 3), True), ((3, 3), False),
                                            ((2, 2, 2), True)])
def test_lattice_couplings_match_ising_lattice(shape, periodic):
    J = ref.ising_lattice_J(shape, 0.3, periodic)
    np.testing.assert_array_equal(J, IsingLattice(shape, 0.3, periodic=periodic).W.toarray())


def test_log_probs_match_ttsolve_models():
    rng = np.random.default_rng(0)
    D, H = 6, 3
    X = rng.integers(0, 2, (20, D))
    J, b = _sym(rng, D, zero_diag=False), rng.standard_normal(D)
    np.testing.assert_allclose(ref.binary_quadratic_log_prob(X, J, b), BinaryQuadratic(J, b).log_prob(X),
                               rtol=1e-12, atol=1e-12)
    h = rng.standard_normal(D)
    model = IsingLattice((2, 3), 0.4, bias=h)
    np.testing.assert_allclose(ref.ising_log_prob(X, model.W.toarray(), h), model.log_prob(X), atol=1e-12)
    W, c = rng.standard_normal((H, D)), rng.standard_normal(H)
    np.testing.assert_allclose(ref.rbm_log_prob(X, W, b, c), RBM(W, b, c).log_prob(X), atol=1e-12)


def test_rbm_marginal_sums_hidden_units_exactly():
    rng = np.random.default_rng(1)
    V, H = 4, 3
    W, b, c = rng.standard_normal((H, V)), rng.standard_normal(V), rng.standard_normal(H)
    vs, hs = ref.binary_states(V).astype(float), ref.binary_states(H).astype(float)
    joint = (vs @ b)[:, None] + (hs @ W @ vs.T + (hs @ c)[:, None]).T  # (2^V, 2^H) log joint
    brute = np.log(np.exp(joint).sum(1))
    np.testing.assert_allclose(ref.rbm_log_prob(vs, W, b, c), brute, rtol=1e-12)


def _ising_as_potts(J, h):
    sigma = np.array([-1.0, 1.0])
    return J[:, :, None, None] * np.outer(sigma, sigma), h[:, None] * sigma


def test_two_state_potts_is_the_ising_model():
    rng = np.random.default_rng(2)
    D = 5
    J, h = _sym(rng, D), rng.standard_normal(D)
    Jp, bp = _ising_as_potts(J, h)
    X = rng.integers(0, 2, (30, D))
    np.testing.assert_allclose(ref.potts_log_prob(X, Jp, bp), ref.ising_log_prob(X, J, h), atol=1e-12)
    assert ref.potts_log_likelihood(Jp, bp, X)[0] == pytest.approx(ref.ising_log_likelihood(J, h, X)[0], abs=1e-12)
    assert ref.potts_pseudo_log_likelihood(Jp, bp, X)[0] == pytest.approx(
        ref.ising_pseudo_log_likelihood(J, h, X)[0], abs=1e-12)


def test_probabilities_sum_to_one():
    rng = np.random.default_rng(3)
    J, h = _sym(rng, 6), rng.standard_normal(6)
    X = ref.binary_states(6)
    logZ = ref.ising_moments(J, h)[2]
    assert np.exp(ref.ising_log_prob(X, J, h) - logZ).sum() == pytest.approx(1.0, rel=1e-12)
    Jp, bp = _potts_params(rng, 3, 3)
    C = ref.categorical_states(3, 3)
    assert np.exp(ref.potts_log_prob(C, Jp, bp) - ref.potts_moments(Jp, bp)[2]).sum() == pytest.approx(1.0)


def _family_case(family, rng):
    """(params, data, symmetric random direction) for a tiny model of ``family``."""
    if family in ("binary_quadratic", "ising"):
        D = 5
        params = [_sym(rng, D, zero_diag=family == "ising"), rng.standard_normal(D)]
        direction = [_sym(rng, D, 1.0, zero_diag=family == "ising"), rng.standard_normal(D)]
        data = rng.integers(0, 2, (40, D))
    elif family == "rbm":
        V, H = 5, 3
        params = [rng.standard_normal((H, V)), rng.standard_normal(V), rng.standard_normal(H)]
        direction = [rng.standard_normal(p.shape) for p in params]
        data = rng.integers(0, 2, (40, V))
    else:
        D, K = 3, 3
        params = list(_potts_params(rng, D, K))
        direction = list(_potts_params(rng, D, K, 1.0))
        data = rng.integers(0, K, (40, D))
    return params, data, direction


def _directional_check(fun, params, direction, eps=1e-5):
    value, *grads = fun(params)
    plus = fun([p + eps * d for p, d in zip(params, direction)])[0]
    minus = fun([p - eps * d for p, d in zip(params, direction)])[0]
    fd = (plus - minus) / (2 * eps)
    analytic = sum(float((g * d).sum()) for g, d in zip(grads, direction))
    assert analytic == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("family", ["binary_quadratic", "ising", "rbm", "potts"])
@pytest.mark.parametrize("seed", [0, 1])
def test_log_likelihood_gradient_matches_finite_differences(family, seed):
    rng = np.random.default_rng(seed)
    params, data, direction = _family_case(family, rng)
    loglik = ref._LOG_LIKELIHOODS[family]
    _directional_check(lambda p: loglik(*p, data), params, direction)


@pytest.mark.parametrize("family", ["binary_quadratic", "ising", "potts"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_pseudo_log_likelihood_gradient_matches_finite_differences(family, l2):
    rng = np.random.default_rng(4)
    params, data, direction = _family_case(family, rng)
    pseudo = ref._PSEUDO[family]
    _directional_check(lambda p: pseudo(*p, data, l2, 0.2), params, direction)


@pytest.mark.parametrize("family", ["binary_quadratic", "ising", "potts"])
def test_pseudo_log_likelihood_equals_sum_of_exact_conditionals(family):
    rng = np.random.default_rng(5)
    params, data, _ = _family_case(family, rng)
    log_prob = {"binary_quadratic": ref.binary_quadratic_log_prob, "ising": ref.ising_log_prob,
                "potts": ref.potts_log_prob}[family]
    K = 3 if family == "potts" else 2
    total = 0.0
    for i in range(data.shape[1]):
        alts = []
        for a in range(K):
            Y = data.copy()
            Y[:, i] = a
            alts.append(log_prob(Y, *params))
        alts = np.array(alts)
        total += (log_prob(data, *params) - np.logaddexp.reduce(alts, axis=0)).mean()
    assert ref._PSEUDO[family](*params, data)[0] == pytest.approx(total, rel=1e-12)


def test_exact_ml_fit_matches_moments_and_recovers_parameters_within_fisher_bounds():
    rng = np.random.default_rng(6)
    D, N = 4, 20000
    J0, b0 = _sym(rng, D, 0.4), 0.5 * rng.standard_normal(D)
    states = ref.binary_states(D)
    data = _exact_sample(ref.binary_quadratic_log_prob(states, J0, b0), states, N, rng)
    (J, b), info = ref.exact_ml_fit("binary_quadratic", data)
    assert info["grad_norm"] < 1e-7
    m1, m2, _ = ref.binary_quadratic_moments(J, b)
    X = data.astype(float)
    np.testing.assert_allclose(m1, X.mean(0), atol=1e-7)
    np.testing.assert_allclose(m2, X.T @ X / N, atol=1e-7)
    # Asymptotic sd of the ML estimate: inverse Fisher information Cov_model(features)^-1 / N.
    iu, ju = np.triu_indices(D, 1)
    S = states.astype(float)
    feats = np.hstack([2 * S[:, iu] * S[:, ju], S])  # d f / d (pair w, b)
    p = np.exp(ref.binary_quadratic_log_prob(states, J0, b0) - ref.binary_quadratic_moments(J0, b0)[2])
    centred = feats - p @ feats
    sd = np.sqrt(np.diag(np.linalg.inv(centred.T @ (p[:, None] * centred))) / N)
    err = np.concatenate([J[iu, ju] - J0[iu, ju], b - b0])
    assert np.all(np.abs(err) < 5 * sd), (err / sd)


@pytest.mark.parametrize("family,kw", [("ising", {}), ("potts", {"n_states": 3}), ("rbm", {"n_hidden": 2})])
def test_exact_ml_fit_reaches_a_stationary_point_of_the_penalised_likelihood(family, kw):
    rng = np.random.default_rng(7)
    _, data, _ = _family_case(family, rng)
    params, info = ref.exact_ml_fit(family, data, l2=0.05, l2_bias=0.01, **kw)
    assert info["success"] and info["grad_norm"] < 1e-6
    ll, *grads = ref._LOG_LIKELIHOODS[family](*params, data)
    np.testing.assert_allclose(grads[0], 2 * 0.05 * params[0], atol=1e-6)
    np.testing.assert_allclose(grads[1], 2 * 0.01 * params[1], atol=1e-6)


def test_masked_ising_fit_keeps_couplings_off_the_lattice_at_zero():
    rng = np.random.default_rng(8)
    mask = ref.lattice_adjacency((2, 3), periodic=False) > 0
    data = rng.integers(0, 2, (200, 6))
    (J, h), info = ref.exact_ml_fit("ising", data, mask=mask)
    assert np.all(J[~mask] == 0.0) and np.allclose(J, J.T)
    S = 2.0 * data - 1.0
    m1, m2, _ = ref.ising_moments(J, h)
    np.testing.assert_allclose(m2[mask], (S.T @ S / len(S))[mask], atol=1e-7)


@pytest.mark.parametrize("family,kw", [("binary_quadratic", {}), ("ising", {}), ("potts", {"n_states": 3})])
def test_pseudo_likelihood_fit_is_a_stationary_point(family, kw):
    rng = np.random.default_rng(9)
    _, data, _ = _family_case(family, rng)
    params, info = ref.pseudo_likelihood_fit(family, data, l2=0.02, l2_bias=0.01, **kw)
    assert info["success"] and info["grad_norm"] < 1e-6
    value, dJ, db = ref._PSEUDO[family](*params, data, 0.02, 0.01)
    off = dJ.copy()
    off[np.arange(len(db)), np.arange(len(db))] = 0.0  # the diagonal is held at zero in the fit
    assert np.abs(off).max() < 1e-6 and np.abs(db).max() < 1e-6
