"""block_gibbs(block_size, scan) on user models (CustomModel / UserModel, batched numpy engine):
the kernel's own block conditionals give the exact transition matrix (pi T = pi, detailed
balance and equality to the dense reference, 1e-12), one step follows it, long runs of a
CustomModel copy of a built-in Potts model match the compiled block_gibbs in distribution,
callback errors name the callback and the step, seeded runs repeat, bad block sizes are
refused before any callback call."""

import numpy as np
import pytest

from reference import discrete_kernels as dk
from reference import discrete_models as dm
from ttsolve.mcmc import BinaryQuadratic, CustomModel, Potts, UserModel, ess, sample
from ttsolve.mcmc import numpy_kernels as nk
from ttsolve.mcmc.diagnostics import exact_marginals


def _custom(ref):
    return CustomModel(ref.n_states, lambda X: ref.log_prob(X), dim=ref.n_sites)


MODELS = [dm.random_potts(np.random.default_rng(0), 4, 3, 0.8, 0.8),   # b = 3: a short last block
          dm.random_potts(np.random.default_rng(1), 5, 2, 1.5, 1.0),
          dm.random_potts(np.random.default_rng(2), 3, 3, 40.0, 1.0)]  # weights over many decades


def _blocks(D, b):
    return [list(range(s, min(s + b, D))) for s in range(0, D, b)]


def _kernel_matrix(ref, b, block):
    """T[x, y] of the step on block `block` from the kernel's own table (all states as chains)."""
    S = dm.all_states(ref.n_sites, ref.n_states)
    chains = nk.UserChains(_custom(ref), "block_gibbs_systematic", {"block_size": b}, S, 1)
    C, fc = chains.block_conditional(np.full(S.shape[0], block), 1)
    p = np.exp(fc - fc.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    T = np.zeros((S.shape[0], S.shape[0]))
    np.add.at(T, (np.repeat(np.arange(S.shape[0]), C.shape[1]), dm.state_index(C.reshape(-1, ref.n_sites),
                                                                                   ref.n_states)), p.ravel())
    return T


@pytest.mark.parametrize("b", [1, 2, 3])
@pytest.mark.parametrize("m", range(len(MODELS)))
def test_kernel_matrix_is_the_exact_block_conditional(m, b):
    ref = MODELS[m]
    b = min(b, ref.n_sites)
    pi = dm.exact_pi(ref)
    singles = []
    for n, blk in enumerate(_blocks(ref.n_sites, b)):
        T = _kernel_matrix(ref, b, n)
        singles.append(T)
        np.testing.assert_allclose(T, dk.block_gibbs(ref, blk), atol=1e-12, rtol=0)
    for T in (*singles, sum(singles) / len(singles)):  # each systematic block, and the random scan
        np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)
        F = pi[:, None] * T
        np.testing.assert_allclose(F, F.T, atol=1e-12, rtol=0)
    # the check can fail: the kernel of one model does not keep another's pi
    other = dm.exact_pi(MODELS[(m + 1) % 2]) if MODELS[(m + 1) % 2].n_sites == ref.n_sites else None
    if other is not None:
        assert np.abs(other @ singles[0] - other).max() > 1e-4


@pytest.mark.parametrize("kind", ["block_gibbs_systematic", "block_gibbs_random"])
def test_one_step_law_follows_the_kernel_matrix(kind):
    ref, b = MODELS[0], 3
    S = dm.all_states(ref.n_sites, ref.n_states)
    mats = [_kernel_matrix(ref, b, n) for n in range(2)]
    rng = np.random.default_rng(3)
    n = 40000
    for t, x in ((0, 5), (1, 40)):  # systematic: step t updates block t mod 2
        chains = nk.UserChains(_custom(ref), kind, {"block_size": b}, np.repeat(S[x][None], n, 0), 1)
        chains.step(t, rng)
        row = (mats[t] if kind.endswith("systematic") else 0.5 * (mats[0] + mats[1]))[x]
        freq = np.bincount(dm.state_index(chains.X, ref.n_states), minlength=S.shape[0]) / n
        assert (np.abs(freq - row) <= 5 * np.sqrt(row * (1 - row) / n) + 2e-4).all(), (kind, t)
        np.testing.assert_array_equal(chains.f, ref.log_prob(chains.X))  # f is log_prob's own value


def _potts5():
    rng = np.random.default_rng(12)
    J = rng.normal(scale=0.5, size=(5, 5, 3, 3))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(5), np.arange(5)] = 0.0
    return J, rng.normal(scale=0.5, size=(5, 3))


@pytest.mark.parametrize("opts", [{"scan": "systematic", "block_size": 2}, {"scan": "random", "block_size": 3}])
def test_custom_copy_of_a_builtin_potts_matches_the_compiled_block_gibbs(opts):
    # the compiled pairwise engine draws from per-chain Philox streams, the numpy engine from
    # one generator: the same law (site marginals against enumeration within ESS bounds)
    J, b = _potts5()
    ref, builtin = dm.potts(J, b), Potts(J, b)
    S = dm.all_states(5, 3)
    pi = dm.exact_pi(ref)
    truth = np.stack([np.bincount(S[:, i], weights=pi, minlength=3) for i in range(5)])
    copy = CustomModel(3, builtin.log_prob, dim=5)
    for model in (builtin, copy):
        r = sample(model, "block_gibbs", 16, 2000, burn_in=100, seed=4, record=["samples", "energy"], **opts)
        X = r.samples
        for k in range(3):
            ind = (X == k).astype(float)
            sd = np.sqrt(truth[:, k] * (1 - truth[:, k]) / np.maximum(ess(ind), 50.0))
            assert (np.abs(ind.mean((0, 1)) - truth[:, k]) < 5 * sd + 2e-3).all(), type(model).__name__
        np.testing.assert_allclose(r.statistic("energy") - builtin.log_prob(X.reshape(-1, 5)).reshape(X.shape[:2]),
                                   0.0, atol=1e-9)


def test_binary_user_model_matches_enumeration():
    rng = np.random.default_rng(5)
    J = rng.normal(scale=0.4, size=(7, 7))
    J = 0.5 * (J + J.T)
    quad = BinaryQuadratic(J, rng.normal(size=7))
    user = UserModel(7, quad.log_prob)
    truth = exact_marginals(quad)
    X = sample(user, "block_gibbs", 16, 3000, burn_in=100, seed=2, block_size=3).samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(X), 30.0))
    assert (np.abs(X.mean((0, 1)) - truth) < 5 * sd + 2e-3).all()


def test_each_step_is_one_callback_call_of_n_chains_times_k_to_the_b():
    ref = MODELS[1]  # D = 5, K = 2
    shapes = []

    def lp(X):
        shapes.append(X.shape)
        return ref.log_prob(X)
    sample(CustomModel(2, lp, dim=5), "block_gibbs", 6, 4, seed=0, block_size=2, scan="systematic")
    # step 0: the initial states; blocks [0, 2), [2, 4), [4] in turn, the short one with 2^1 completions
    assert shapes == [(6, 5), (24, 5), (24, 5), (12, 5), (24, 5)]


def test_seeded_runs_repeat():
    model = _custom(MODELS[0])
    for scan in ("random", "systematic"):
        a, b, c = (sample(model, "block_gibbs", 8, 50, seed=s, block_size=2, scan=scan).samples for s in (7, 7, 8))
        np.testing.assert_array_equal(a, b)
        assert (a != c).any()


def _lp(X):
    return MODELS[0].log_prob(X)


def test_callback_errors_name_the_callback_and_the_step():
    def counted(bad):
        calls = [0]

        def f(X):
            calls[0] += 1
            return bad(_lp(X)) if calls[0] > 3 else _lp(X)
        return f

    def nan_row(a):
        a = np.array(a, dtype=float)
        a[1] = np.nan
        return a
    with pytest.raises(ValueError, match=r"log_prob returned NaN or inf at step 3 \(chain/row 1\)"):
        sample(CustomModel(3, counted(nan_row), dim=4), "block_gibbs", 4, 10, seed=1)
    # default block_size 2: 4 chains x 3^2 completions per call
    with pytest.raises(ValueError, match=r"log_prob returned shape \(35,\) at step 3; it must return shape \(36,\)"):
        sample(CustomModel(3, counted(lambda f: f[:-1]), dim=4), "block_gibbs", 4, 10, seed=1, scan="systematic")
    with pytest.raises(TypeError, match=r"log_prob returned list at step 3"):
        sample(CustomModel(3, counted(list), dim=4), "block_gibbs", 4, 10, seed=1)
    # a raising callback: tests/test_mcmc_custom.py test_a_raising_callback_propagates_with_its_traceback


def test_bad_block_size_is_refused_before_any_callback_call():
    def never(X):
        raise AssertionError("log_prob must not be called")
    model = CustomModel(3, never, dim=6)
    with pytest.raises(ValueError, match="block_size must be >= 1"):
        sample(model, "block_gibbs", 2, 5, block_size=0)
    with pytest.raises(TypeError, match="block_size must be an int"):
        sample(model, "block_gibbs", 2, 5, block_size=2.0)
    with pytest.raises(ValueError, match="block_size must be <= the model's dim = 6"):
        sample(model, "block_gibbs", 2, 5, block_size=7)
    with pytest.raises(ValueError, match="block_size = 11 with 3 states"):
        sample(CustomModel(3, never, dim=12), "block_gibbs", 2, 5, block_size=11)
    with pytest.raises(MemoryError, match=r"block_size = 16 .* 64 \* 2\^16"):
        sample(CustomModel(2, never, dim=40), "block_gibbs", 64, 5, block_size=16)
    with pytest.raises(ValueError, match="scan must be"):
        sample(model, "block_gibbs", 2, 5, scan="diagonal")
    with pytest.raises(TypeError, match="unexpected options"):  # another sampler's option
        sample(model, "block_gibbs", 2, 5, adaptive=True)
