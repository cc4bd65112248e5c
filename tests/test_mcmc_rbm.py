"""Compiled RBM GWG: same target and proposal as the batched numpy path, thread invariance."""

import numpy as np
import pytest

from ttsolve.config import get_num_threads, set_num_threads
from ttsolve.mcmc import RBM, sample
from ttsolve.mcmc.diagnostics import ess, exact_marginals
from ttsolve.mcmc.numpy_path import sample_numpy


def _model(D=10, H=4, seed=1):
    rng = np.random.default_rng(seed)
    return RBM(rng.normal(scale=0.5, size=(H, D)), rng.normal(scale=0.3, size=D),
               rng.normal(scale=0.3, size=H))


def _numpy_run(model, n_chains, n_steps, burn_in, n_flips, seed):
    init = np.random.default_rng(seed).integers(0, 2, size=(n_chains, model.dim)).astype(np.uint8)
    return sample_numpy(model, "gwg", n_chains, n_steps, burn_in, 1, seed, init, ["samples"], None,
                        n_flips, None)


@pytest.mark.parametrize("n_flips", [1, 2])
def test_compiled_matches_numpy_path(n_flips):
    model = _model()
    truth = exact_marginals(model)
    runs = [sample(model, "gwg", 32, 1500, burn_in=100, seed=4, n_flips=n_flips),
            _numpy_run(model, 32, 1500, 100, n_flips, seed=4)]
    means, sds = [], []
    for r in runs:
        x = r.samples.astype(float)
        sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
        assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()
        means.append(x.mean((0, 1)))
        sds.append(sd)
    # Both paths against each other, and the same proposal: acceptance rates agree
    # (binomial error of 32 x 1600 MH tests, with a margin for chain correlation).
    assert (np.abs(means[0] - means[1]) < 5 * np.hypot(*sds) + 1e-3).all()
    acc = [r.acceptance.mean() for r in runs]
    n = 32 * 1600
    assert abs(acc[0] - acc[1]) < 10 * np.sqrt(acc[1] * (1 - acc[1]) / n) + 1e-3


def test_thread_count_invariant_and_energy_exact():
    model = _model(D=30, H=12, seed=5)
    old = get_num_threads()
    out = []
    try:
        for threads in (1, 2):
            set_num_threads(threads)
            out.append(sample(model, "gwg", 13, 150, seed=7, record=["samples", "energy", "magnetization"]))
    finally:
        set_num_threads(old)
    np.testing.assert_array_equal(out[0].samples, out[1].samples)
    np.testing.assert_array_equal(out[0].statistic("energy"), out[1].statistic("energy"))
    X = out[0].samples.reshape(-1, 30)
    np.testing.assert_allclose(out[0].statistic("energy").ravel(), model.log_prob(X), atol=1e-9)
    np.testing.assert_allclose(out[0].statistic("magnetization").ravel(), (2.0 * X - 1).mean(1))
    assert 0.0 < out[0].acceptance.mean() <= 1.0


def test_bad_input():
    model = _model()
    with pytest.raises(ValueError):
        sample(model, "gwg", 2, 10, init=np.full((2, 9), 1))
    with pytest.raises(ValueError):
        sample(model, "gwg", 2, 10, init=np.full((2, 10), 3))
    r = sample(model, "gwg", 2, 0)
    assert r.samples.shape == (2, 0, 10)


def _gwg_matrix(model):
    from reference import discrete_models as dm
    from ttsolve import _core

    S = dm.all_states(model.dim, 2).astype(np.uint8)
    return S, np.array([_core._testing.mcmc_rbm_transition_row(model.W, model.b, model.c, "gwg", 1, x, 0) for x in S])


@pytest.mark.parametrize("scale,seed", [(0.3, 0), (1.0, 1), (4.0, 2)])
def test_gwg_exact_transition_matrix_keeps_pi(scale, seed):
    # T from the compiled gwg's own gradient, proposal table and MH terms (rbm_run.cpp):
    # pi T = pi and detailed balance to 1e-12, whatever the float32 gradient's rounding; and
    # the reference GWG kernel (float64 gradient) up to that rounding.
    from reference import discrete_kernels as dk
    from test_mcmc_rbm_kernels import _reference

    rng = np.random.default_rng(seed)
    model = RBM(rng.normal(scale=scale, size=(3, 5)), rng.normal(scale=scale / 2, size=5),
                rng.normal(scale=scale / 2, size=3))
    S, T = _gwg_matrix(model)
    log_pi = model.log_prob(S)
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    assert (T >= 0).all()
    assert dk.stationarity_error(T, pi) < 1e-12
    assert dk.detailed_balance_error(T, pi) < 1e-12
    np.testing.assert_allclose(T, dk.gwg(_reference(model)), atol=1e-5)
    other = np.exp(-log_pi)
    other /= other.sum()
    assert dk.stationarity_error(T, other) > 1e-3  # the check can fail


def test_gwg_one_step_law_follows_the_exact_row():
    from reference import discrete_models as dm

    rng = np.random.default_rng(9)
    model = RBM(rng.normal(scale=1.0, size=(3, 5)), rng.normal(scale=0.5, size=5), rng.normal(scale=0.5, size=3))
    S, T = _gwg_matrix(model)
    n = 40000
    for x in (3, 22):
        r = sample(model, "gwg", n, 1, init=S[x], seed=x, record="samples")
        freq = np.bincount(dm.state_index(r.samples[:, 0].astype(int), 2), minlength=S.shape[0]) / n
        row = T[x]
        assert (np.abs(freq - row) <= 5 * np.sqrt(row * (1 - row) / n) + 2e-4).all()
