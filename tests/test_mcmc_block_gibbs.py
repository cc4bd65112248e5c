"""block_gibbs(block_size, scan) on binary and categorical models: the kernel's own one-step
transition matrix (its enumerated block conditionals) equals the exact block conditional of
pi computed by dense enumeration, keeps pi to 1e-12, the chain follows it step by step, long
runs match exact marginals within ESS bounds, and bad input names the argument."""

import numpy as np
import pytest
import scipy.sparse as sp

from reference import discrete_kernels as rk
from reference import discrete_models as rm
from test_mcmc_categorical_exact import matrix as pair_matrix, models as pair_models
from ttsolve import _core
from ttsolve.mcmc import BinaryQuadratic, Categorical, IsingLattice, Potts, PottsLattice, UserModel, ess, sample
from ttsolve.mcmc.diagnostics import exact_marginals


def _blocks(D, b):
    return [list(range(s, min(s + b, D))) for s in range(0, D, b)]


def _quad_models():
    rng = np.random.default_rng(8)
    J = rng.normal(scale=0.8, size=(5, 5))
    yield BinaryQuadratic((J + J.T) / 2, rng.normal(size=5))
    yield IsingLattice((2, 3), 0.5, bias=rng.normal(scale=0.5, size=6), periodic=False)
    yield IsingLattice((2, 2), -0.7, periodic=True)  # rows listing a neighbour twice
    Js = sp.random(7, 7, density=0.5, random_state=2)
    yield BinaryQuadratic(Js + Js.T, rng.normal(size=7))


def _quad_matrix(model, kind, b, site=0):
    S = rm.all_states(model.dim, 2).astype(np.uint8)
    return np.array([_core._testing.mcmc_quad_transition_row(*model.csr(), kind, 1, b, x, site) for x in S])


def _check(T, reference, pi):
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    assert (T >= 0).all()
    np.testing.assert_allclose(T, reference, atol=1e-12, rtol=0)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)
    F = pi[:, None] * T  # a block conditional is reversible
    np.testing.assert_allclose(F, F.T, atol=1e-12, rtol=0)


@pytest.mark.parametrize("b", [1, 2, 3])
def test_categorical_block_kernels_are_the_exact_block_conditionals(b):
    for model, ref in pair_models(seed=21):
        b_ = min(b, model.dim)
        pi = rm.exact_pi(ref)
        blocks = _blocks(model.dim, b_)
        singles = [rk.block_gibbs(ref, blk) for blk in blocks]
        for n, blk in enumerate(blocks):
            _check(pair_matrix(model, "block_gibbs_systematic", b_, n), singles[n], pi)
        _check(pair_matrix(model, "block_gibbs_random", b_), sum(singles) / len(singles), pi)


@pytest.mark.parametrize("b", [1, 2, 3, 4])
def test_binary_block_kernels_are_the_exact_block_conditionals(b):
    for model in _quad_models():
        S = rm.all_states(model.dim, 2)
        lp = model.log_prob(S)  # the numpy model (not the compiled kernel)
        pi = np.exp(lp - lp.max())
        pi /= pi.sum()
        singles = [rk._block_conditional(S, lp, 2, blk) for blk in _blocks(model.dim, b)]
        for n, ref in enumerate(singles):
            _check(_quad_matrix(model, "block_gibbs_systematic", b, n), ref, pi)
        _check(_quad_matrix(model, "block_gibbs_random", b), sum(singles) / len(singles), pi)


def test_strong_couplings_and_the_check_can_fail():
    # weights spanning hundreds of orders of magnitude stay exact; a kernel of one model
    # does not keep another model's pi
    rng = np.random.default_rng(2)
    J = rng.normal(scale=60.0, size=(3, 3, 3, 3))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(3), np.arange(3)] = 0.0
    b = rng.normal(size=(3, 3))
    T = pair_matrix(Potts(J, b), "block_gibbs_random", 2)
    pi = rm.exact_pi(rm.potts(J, b))
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)
    other = rm.exact_pi(rm.potts(0.01 * J, b))
    assert np.abs(other @ T - other).max() > 1e-3


def test_systematic_steps_follow_the_blocks_in_turn():
    # step t updates block t mod n_blocks: two steps from x follow T_0 T_1 (empirically)
    model = PottsLattice((5,), 3, 0.9, bias=np.random.default_rng(1).normal(size=(5, 3)), periodic=False)
    x = np.array([2, 0, 1, 1, 0], dtype=np.uint8)
    T2 = pair_matrix(model, "block_gibbs_systematic", 2, 0) @ pair_matrix(model, "block_gibbs_systematic", 2, 1)
    row = T2[rm.state_index(x, 3)]
    n = 20000
    r = sample(model, "block_gibbs", n, 2, init=x, seed=4, scan="systematic")
    freq = np.bincount(rm.state_index(r.samples[:, 1].astype(int), 3), minlength=row.size) / n
    assert (np.abs(freq - row) <= 5 * np.sqrt(row * (1 - row) / n) + 1e-12).all()
    assert np.abs(freq - row).max() < 0.02 and row.max() < 1.0


@pytest.mark.parametrize("opts", [{"scan": "systematic"}, {"scan": "random", "block_size": 3}])
def test_binary_long_run_marginals_match_enumeration(opts):
    rng = np.random.default_rng(5)
    for model in (IsingLattice((3, 3), 0.45, bias=rng.normal(scale=0.3, size=9)),
                  BinaryQuadratic(0.5 * (lambda J: J + J.T)(rng.normal(scale=0.4, size=(8, 8))), rng.normal(size=8))):
        truth = exact_marginals(model)
        r = sample(model, "block_gibbs", 16, 4000, burn_in=200, seed=3, record=["samples", "energy"], **opts)
        X = r.samples.astype(float)
        est = X.mean((0, 1))
        n_eff = np.maximum(ess(X), 30.0)
        sd = np.sqrt(truth * (1 - truth) / n_eff)
        assert (np.abs(est - truth) < 5 * sd + 2e-3).all(), (opts, np.abs(est - truth).max())
        # the running f moves with the model's f (the spin form differs by a constant)
        gap = r.statistic("energy") - model.log_prob(r.samples.reshape(-1, model.dim).astype(int)).reshape(
            r.samples.shape[:2])
        assert np.ptp(gap) < 1e-9


def test_resolution_defaults_and_rbm_sweep_unchanged():
    from ttsolve.mcmc import kernels
    k = kernels.resolve("block_gibbs", "quadratic", 1, {})
    assert k.kind == "block_gibbs_random" and k.params == {"block_size": 2}
    assert kernels.resolve("block_gibbs", "pairwise", 1, {"scan": "systematic"}).kind == "block_gibbs_systematic"
    assert kernels.resolve("block_gibbs", "rbm", 1, {}).kind == "block_gibbs"  # the alternating sweep
    with pytest.raises(TypeError, match="block_size"):
        kernels.resolve("block_gibbs", "rbm", 1, {"block_size": 2})


def test_bad_input_names_the_argument():
    model = Categorical(np.zeros((6, 4)))
    with pytest.raises(ValueError, match="block_size must be >= 1"):
        sample(model, "block_gibbs", 2, 5, block_size=0)
    with pytest.raises(TypeError, match="block_size must be an int"):
        sample(model, "block_gibbs", 2, 5, block_size=1.5)
    with pytest.raises(ValueError, match="block_size must be <= the model's dim = 6"):
        sample(model, "block_gibbs", 2, 5, block_size=7)
    with pytest.raises(ValueError, match="block_size = 9 with 4 states"):
        sample(Categorical(np.zeros((12, 4))), "block_gibbs", 2, 5, block_size=9)
    with pytest.raises(ValueError, match="block_size = 17 with 2 states"):
        sample(IsingLattice((5, 5), 0.1), "block_gibbs", 2, 5, block_size=17)
    sample(IsingLattice((5, 5), 0.1), "block_gibbs", 2, 5, block_size=16)  # 2^16: the largest allowed
    with pytest.raises(ValueError, match="scan must be"):
        sample(model, "block_gibbs", 2, 5, scan="diagonal")
    with pytest.raises(TypeError, match="unexpected options"):
        sample(model, "block_gibbs", 2, 5, step_size=0.1)
    user = UserModel(4, lambda X: X.sum(1), lambda X: np.ones_like(X))
    with pytest.raises(ValueError, match="block_size must be <= the model's dim = 4"):
        sample(user, "block_gibbs", 2, 5, block_size=5)  # user models: tests/test_mcmc_custom_block_gibbs.py
    # the compiled layer refuses the same (the binding is reachable without sample())
    arrays = model.mcmc_backend().arrays
    with pytest.raises(ValueError, match="block_size"):
        _core._testing.mcmc_pair_transition_row(*arrays, "block_gibbs_random", 7, np.zeros(6, np.uint8), 0)
    with pytest.raises(ValueError, match="block"):
        _core._testing.mcmc_pair_transition_row(*arrays, "block_gibbs_systematic", 2, np.zeros(6, np.uint8), 3)
