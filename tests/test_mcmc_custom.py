"""CustomModel (categorical user models) and the batched numpy kernels of ttsolve.mcmc.numpy_kernels:
proposals against tests/reference, one-step laws against the reference transition rows, long-run
marginals against enumeration, the binary UserModel as its K = 2 case, and bad callbacks."""

import traceback

import numpy as np
import pytest

from reference import discrete_kernels as dk
from reference import discrete_models as dm
from ttsolve.mcmc import RBM, CustomModel, UserModel, sample
from ttsolve.mcmc import numpy_kernels as nk
from ttsolve.mcmc.diagnostics import ess, exact_marginals


def _custom(ref):
    """A CustomModel with the reference model's f and one-hot gradient."""
    return CustomModel(ref.n_states, lambda X: ref.log_prob(X), lambda X: ref.grad(X), dim=ref.n_sites)


def _potts(D=3, K=3, scale=0.6, seed=0):
    return dm.random_potts(np.random.default_rng(seed), D, K, scale, scale)


MODELS = [_potts(3, 3, 0.6, 0), _potts(3, 2, 1.0, 1), dm.quadratic_onehot(
    (lambda A: A + A.T)(np.random.default_rng(2).normal(scale=0.5, size=(6, 6))),
    np.random.default_rng(3).normal(size=6), 3)]
IDS = ["potts-D3K3", "potts-D3K2", "quadratic-onehot-D2K3"]

# (kind, params, reference transition matrix builder)
KINDS = [
    ("gwg", {}, lambda m: dk.gwg(m)),
    *[(f"locally_balanced_{w}", {}, lambda m, w=w: dk.locally_balanced(m, w)) for w in dk.BALANCING],
    ("gibbs_random", {}, dk.gibbs_random),
    ("random_walk", {}, lambda m: dk.random_walk(m)),
    ("hamming_ball", {"block_size": 2}, lambda m: dk.hamming_ball(m, 2)),
    ("dmala", {"step_size": 0.7}, lambda m: dk.dmala(m, 0.7)),
    ("dmala", {"step_size": 2.0, "weight": "barker"}, lambda m: dk.dmala(m, 2.0, "barker")),
    ("dula", {"step_size": 0.7}, lambda m: dk.dula(m, 0.7)),
    ("dlmc", {"t": 0.8}, lambda m: dk.dlmc(m, 0.8)),
    ("dlmc", {"t": 0.8, "solver": "interpolate"}, lambda m: dk.dlmc(m, 0.8, solver="interpolate")),
    ("pas", {"path_length": 2}, lambda m: dk.pas(m, 2)),
    ("pas", {"path_length": 2, "length": "uniform"}, lambda m: dk.pas(m, length_probs=[0.5, 0.5])),
]


@pytest.mark.parametrize("model", MODELS, ids=IDS)
def test_proposal_tables_equal_the_references(model):
    S = dm.all_states(model.n_sites, model.n_states)
    g = model.grad(S)
    for step_size, weight in ((0.5, "sqrt"), (2.0, "barker"), (1.0, "max")):
        np.testing.assert_allclose(np.exp(nk.dmala_log_table(S, g, step_size, weight)),
                                   dk.dmala_proposal(model, S, step_size, weight), atol=1e-12)
    for solver in ("expm", "interpolate"):
        np.testing.assert_allclose(np.exp(nk.dlmc_log_table(S, g, 0.7, "sqrt", solver)),
                                   dk.dlmc_proposal(model, S, 0.7, "sqrt", solver), atol=1e-10)
    # single-pair proposals: MH on them is the reference kernel
    log_pi = model.log_prob(S)
    N, K = S.shape[0], model.n_states

    def as_matrix(lq):
        log_q = np.full((N, N), -np.inf)
        for x in range(N):
            for i in range(model.n_sites):
                for k in range(K):
                    if k != S[x, i]:
                        y = S[x].copy()
                        y[i] = k
                        log_q[x, dm.state_index(y, K)] = lq[x, i, k]
        return log_q

    np.testing.assert_allclose(dk.mh_matrix(log_pi, as_matrix(nk.gwg_log_proposal(S, g))), dk.gwg(model),
                               atol=1e-12)
    delta = dm.exact_local_differences(model, S)
    for w in dk.BALANCING:
        np.testing.assert_allclose(dk.mh_matrix(log_pi, as_matrix(nk.balanced_log_proposal(S, delta, w))),
                                   dk.locally_balanced(model, w), atol=1e-12)


@pytest.mark.parametrize("kind,params,reference", KINDS, ids=[f"{k}-{sorted(p.items())}" for k, p, _ in KINDS])
def test_one_step_law_equals_the_reference_row(kind, params, reference):
    # 40000 chains from the same state, one step each: the empirical law of the next state
    # against the reference transition row (5 binomial standard errors).
    model = MODELS[0]
    T = reference(model)
    S = dm.all_states(model.n_sites, model.n_states)
    rng = np.random.default_rng(5)
    for x in (4, 17):
        n = 40000
        chains = nk.UserChains(_custom(model), kind, params, np.repeat(S[x][None], n, 0), 1)
        chains.step(0, rng)
        freq = np.bincount(dm.state_index(chains.X, model.n_states), minlength=S.shape[0]) / n
        row = T[x]
        assert (np.abs(freq - row) <= 5 * np.sqrt(row * (1 - row) / n) + 2e-4).all(), (kind, x)
        np.testing.assert_allclose(chains.f, model.log_prob(chains.X), atol=1e-12)


def test_dula_is_biased_where_dmala_is_not():
    model = MODELS[0]
    pi = dm.exact_pi(model)
    assert dk.stationarity_error(dk.dmala(model, 0.7), pi) < 1e-12
    assert dk.stationarity_error(dk.dula(model, 0.7), pi) > 1e-3


def _site_marginals(model):
    S = dm.all_states(model.n_sites, model.n_states)
    pi = dm.exact_pi(model)
    return np.stack([np.bincount(S[:, i], weights=pi, minlength=model.n_states) for i in range(model.n_sites)])


LONG = [("gwg", {}), ("locally_balanced", {"weight": "barker"}), ("locally_balanced", {"weight": "min"}),
        ("gibbs", {"scan": "systematic"}), ("gibbs", {"scan": "random"}), ("random_walk", {}),
        ("hamming_ball", {"block_size": 2})]


@pytest.mark.parametrize("sampler,opts", LONG)
def test_long_run_marginals_match_enumeration(sampler, opts):
    model = _potts(D=5, K=3, scale=0.5, seed=7)
    truth = _site_marginals(model)
    r = sample(_custom(model), sampler, 16, 2500, burn_in=200, seed=1, record=["samples", "energy"], **opts)
    X = r.samples
    for k in range(model.n_states):
        ind = (X == k).astype(float)
        sd = np.sqrt(truth[:, k] * (1 - truth[:, k]) / np.maximum(ess(ind), 50.0))
        assert (np.abs(ind.mean((0, 1)) - truth[:, k]) < 5 * sd + 2e-3).all()
    np.testing.assert_allclose(r.statistic("energy").ravel(), model.log_prob(X.reshape(-1, 5)), atol=1e-12)
    np.testing.assert_allclose(r.final_energy, model.log_prob(r.final_state), atol=1e-12)


@pytest.mark.parametrize("kind,params", [("dmala", {"step_size": 0.6}), ("dlmc", {"t": 0.5}),
                                         ("pas", {"path_length": 2})])
def test_gradient_kinds_long_run_marginals(kind, params):
    model = _potts(D=5, K=3, scale=0.5, seed=8)
    truth = _site_marginals(model)
    S = dm.all_states(5, 3)
    rng = np.random.default_rng(3)
    chains = nk.UserChains(_custom(model), kind, params, S[rng.integers(0, len(S), 64)], 1)
    draws = []
    for t in range(1500):
        chains.step(t, rng)
        if t >= 100:
            draws.append(chains.X.copy())
    X = np.stack(draws, axis=1)
    for k in range(3):
        ind = (X == k).astype(float)
        sd = np.sqrt(truth[:, k] * (1 - truth[:, k]) / np.maximum(ess(ind), 50.0))
        assert (np.abs(ind.mean((0, 1)) - truth[:, k]) < 5 * sd + 2e-3).all()


@pytest.mark.parametrize("sampler,opts", [("dmala", {"step_size": 0.6}), ("dula", {"step_size": 0.6}),
                                          ("dlmc", {"t": 0.5, "solver": "interpolate"}),
                                          ("pas", {"path_length": 2, "length": "uniform"})])
def test_gradient_samplers_through_sample(sampler, opts):
    model = _potts(D=5, K=3, scale=0.5, seed=8)
    r = sample(_custom(model), sampler, 8, 50, seed=3, record=["samples", "energy"], **opts)
    np.testing.assert_allclose(r.statistic("energy").ravel(), model.log_prob(r.samples.reshape(-1, 5)), atol=1e-12)
    assert r.acceptance.mean() > 0
    again = sample(_custom(model), sampler, 8, 50, seed=3, record=["samples"], **opts)
    np.testing.assert_array_equal(r.samples, again.samples)
    with pytest.raises(ValueError, match="adaptive=True is not available on user models"):
        sample(_custom(model), sampler, 2, 5, adaptive=True)


# ---- the binary UserModel is the K = 2 case ---------------------------------------------
def _binary_pair(D=8, seed=6):
    rng = np.random.default_rng(seed)
    J = rng.normal(scale=0.3, size=(D, D))
    J = (J + J.T) / 2
    np.fill_diagonal(J, 0)
    b = rng.normal(scale=0.3, size=D)
    user = UserModel(D, lambda X: ((X @ J) * X).sum(1) + X @ b, lambda X: 2 * X @ J + b)

    def grad(X):
        out = np.zeros(X.shape + (2,))
        out[..., 1] = 2 * X @ J + b
        return out

    custom = CustomModel(2, lambda X: ((X @ J) * X).sum(1) + X @ b, grad, dim=D)
    return user, custom


@pytest.mark.parametrize("sampler,opts", [("gwg", {}), ("gwg", {"n_flips": 2}), ("gibbs", {}),
                                          ("locally_balanced", {"weight": "sqrt"}), ("random_walk", {}),
                                          ("hamming_ball", {"block_size": 3})])
def test_custom_copy_of_a_user_model_gives_the_same_chain(sampler, opts):
    user, custom = _binary_pair()
    a = sample(user, sampler, 6, 300, seed=4, record=["samples", "energy", "hamming"], **opts)
    b = sample(custom, sampler, 6, 300, seed=4, record=["samples", "energy", "hamming"], **opts)
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_allclose(a.statistic("energy"), b.statistic("energy"), atol=1e-12)
    assert a.acceptance.min() > 0
    c = sample(custom, sampler, 6, 300, seed=5, **opts)
    assert (c.samples != b.samples).any()


def test_custom_copy_of_an_rbm_matches_the_compiled_rbm_in_distribution():
    rng = np.random.default_rng(1)
    rbm = RBM(rng.normal(scale=0.5, size=(4, 10)), rng.normal(scale=0.3, size=10), rng.normal(scale=0.3, size=4))

    def grad(X):
        out = np.zeros(X.shape + (2,))
        out[..., 1] = rbm.grad(X)
        return out

    custom = CustomModel(2, rbm.log_prob, grad, dim=10)
    truth = exact_marginals(rbm)
    for model in (rbm, custom):
        for sampler in ("gwg", "locally_balanced"):
            x = sample(model, sampler, 16, 1500, burn_in=100, seed=2).samples.astype(float)
            sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
            assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all(), (type(model).__name__, sampler)


def test_user_model_kernels_and_seeds():
    user, _ = _binary_pair()
    truth = exact_marginals(user)
    x = sample(user, "gibbs", 16, 2000, burn_in=100, seed=1).samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
    assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()
    a, b = (sample(user, "random_walk", 4, 100, seed=9) for _ in range(2))
    np.testing.assert_array_equal(a.samples, b.samples)


# ---- bad callbacks -----------------------------------------------------------------------
D, K = 4, 3
_ref = _potts(D, K, 0.5, 11)


def _lp(X):
    return _ref.log_prob(X)


def _gr(X):
    return _ref.grad(X)


def _bad_after(n_good, good, bad):
    calls = [0]

    def f(X):
        calls[0] += 1
        return bad(good(X)) if calls[0] > n_good else good(X)
    return f


def _nan_row(a):
    a = np.array(a, dtype=float)
    a[1] = np.nan
    return a


@pytest.mark.parametrize("which,bad,error,message", [
    ("log_prob", _nan_row, ValueError, r"log_prob returned NaN or inf at step 5 \(chain/row 1\)"),
    ("grad", lambda g: g * np.inf, ValueError, r"grad returned NaN or inf at step 5"),
    ("log_prob", lambda f: f[:-1], ValueError, r"log_prob returned shape \(3,\) at step 5; it must return shape \(4,\)"),
    ("grad", lambda g: g[..., :2], ValueError, r"grad returned shape \(4, 4, 2\) at step 5; .*\(4, 4, 3\)"),
    ("log_prob", lambda f: f.astype(complex), ValueError, r"log_prob returned dtype complex128 at step 5"),
    ("grad", lambda g: g.astype(object), ValueError, r"grad returned dtype object at step 5"),
    ("log_prob", lambda f: list(f), TypeError, r"log_prob returned list at step 5; it must return a numpy array"),
    ("grad", lambda g: g.tolist(), TypeError, r"grad returned list at step 5"),
])
def test_bad_callback_output_names_the_callback_and_the_step(which, bad, error, message):
    # gwg calls each callback once per step on the proposals (step 0: the initial states),
    # so the 6th call is step 5.
    lp = _bad_after(5, _lp, bad) if which == "log_prob" else _lp
    gr = _bad_after(5, _gr, bad) if which == "grad" else _gr
    with pytest.raises(error, match=message):
        sample(CustomModel(K, lp, gr, dim=D), "gwg", 4, 50, seed=1)


def test_bad_output_at_the_initial_states():
    with pytest.raises(ValueError, match=r"^log_prob returned NaN or inf at step 0 \(the initial states\)"):
        sample(CustomModel(K, lambda X: np.full(X.shape[0], np.inf), _gr, dim=D), "gibbs", 4, 5)
    with pytest.raises(ValueError, match=r"^log_prob returned shape \(\) at step 0"):
        sample(CustomModel(K, lambda X: np.array(1.0), _gr, dim=D), "gwg", 4, 5)


@pytest.mark.parametrize("sampler", ["random_walk", "block_gibbs"])
def test_a_raising_callback_propagates_with_its_traceback(sampler):
    def lp(X):
        if lp.calls == 3:
            raise ZeroDivisionError("inside the user's log_prob")
        lp.calls += 1
        return _lp(X)
    lp.calls = 0
    with pytest.raises(ZeroDivisionError, match="inside the user's log_prob") as info:
        sample(CustomModel(K, lp, _gr, dim=D), sampler, 4, 20, seed=0)
    frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
    assert frames[-1] == "lp"  # the traceback reaches into the callback
    assert any("log_prob callback at step 3" in note for note in getattr(info.value, "__notes__", [])) or \
        not hasattr(info.value, "add_note")


def test_constructor_and_sampler_checks():
    with pytest.raises(TypeError, match="log_prob must be callable"):
        CustomModel(3, "not a function", dim=4)
    with pytest.raises(TypeError, match="grad must be callable"):
        CustomModel(3, _lp, grad=np.zeros(3), dim=4)
    for bad, error in ((1, ValueError), (256, ValueError), (2.5, TypeError)):
        with pytest.raises(error, match="n_states"):
            CustomModel(bad, _lp, dim=4)
    with pytest.raises(ValueError, match="dim"):
        CustomModel(3, _lp, dim=0)
    no_grad = CustomModel(K, _lp, dim=D)
    with pytest.raises(ValueError, match="gwg needs the model's grad callable"):
        sample(no_grad, "gwg", 2, 5)
    r = sample(no_grad, "gibbs", 2, 5, record=["samples", "hamming"], reference=np.full(D, 2))
    assert r.samples.max() <= K - 1
    np.testing.assert_array_equal(r.statistic("hamming"), (r.samples != 2).sum(-1))
    with pytest.raises(ValueError, match="init must contain only states 0..2"):
        sample(no_grad, "gibbs", 2, 5, init=np.full((2, D), 3))
    with pytest.raises(ValueError, match="n_flips > 1 needs a binary model"):
        sample(CustomModel(K, _lp, _gr, dim=D), "gwg", 2, 5, n_flips=2)
    with pytest.raises(ValueError, match="integer states"):
        no_grad.log_prob(np.full((1, D), 0.5))
    np.testing.assert_allclose(no_grad.log_prob(np.zeros((2, D), int)), _lp(np.zeros((2, D), int)))


@pytest.mark.parametrize("sampler,opts", [("gwg", {}), ("gibbs", {"scan": "random"}), ("dmala", {"step_size": 0.6})])
def test_custom_copy_of_a_builtin_potts_matches_it_in_distribution(sampler, opts):
    # The compiled pairwise engine and the numpy engine draw differently: the same law
    # (per-site state marginals against enumeration, within ESS bounds), not the same chain.
    from ttsolve.mcmc import Potts

    rng = np.random.default_rng(12)
    J = rng.normal(scale=0.5, size=(5, 5, 3, 3))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(5), np.arange(5)] = 0.0
    b = rng.normal(scale=0.5, size=(5, 3))
    ref, builtin = dm.potts(J, b), Potts(J, b)
    truth = _site_marginals(ref)
    S = dm.all_states(5, 3)
    np.testing.assert_allclose(builtin.log_prob(S), ref.log_prob(S), atol=1e-10)
    copy = CustomModel(3, builtin.log_prob, builtin.grad, dim=5)
    for model in (builtin, copy):
        X = sample(model, sampler, 16, 2000, burn_in=200, seed=4, **opts).samples
        for k in range(3):
            ind = (X == k).astype(float)
            sd = np.sqrt(truth[:, k] * (1 - truth[:, k]) / np.maximum(ess(ind), 50.0))
            assert (np.abs(ind.mean((0, 1)) - truth[:, k]) < 5 * sd + 2e-3).all(), type(model).__name__


def test_keyboard_interrupt_in_a_callback_returns_the_partial_run():
    def lp(X):
        lp.calls += 1
        if lp.calls == 30:
            raise KeyboardInterrupt  # as Ctrl-C inside the callback
        return _lp(X)
    lp.calls = 0
    r = sample(CustomModel(K, lp, _gr, dim=D), "gwg", 4, 100, seed=0, record=["samples", "energy"])
    assert r.interrupted and r.info["steps_done"] == 28 and r.samples.shape == (4, 28, D)
    np.testing.assert_allclose(r.statistic("energy"), _lp(r.samples.reshape(-1, D)).reshape(4, 28), atol=1e-12)
