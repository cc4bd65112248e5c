"""Exact stationarity of every kernel, incremental state, determinism, bad input."""

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from ttsolve.config import get_num_threads, set_num_threads
from ttsolve import _core
from ttsolve.mcmc import RBM, BinaryQuadratic, FactorialHMM, IsingLattice, sample
from ttsolve.mcmc.diagnostics import ess, exact_marginals

KERNELS = [("gwg", 1, 1), ("gwg", 2, 1), ("gwg", 3, 1), ("locally_balanced_sqrt", 1, 1),
           ("locally_balanced_barker", 1, 1), ("locally_balanced_max", 1, 1), ("locally_balanced_min", 1, 1),
           ("gibbs_random", 1, 1), ("random_walk", 1, 1), ("hamming_ball", 1, 2), ("hamming_ball", 1, 3)]
BALANCED = ["locally_balanced_sqrt", "locally_balanced_barker", "locally_balanced_max", "locally_balanced_min"]
REVERSIBLE = {"gwg", *BALANCED, "gibbs_random", "random_walk", "gibbs_systematic"}


def _states(D):
    return np.array(list(itertools.product((0, 1), repeat=D)), dtype=np.uint8)  # first bit most significant


def _tiny_models():
    rng = np.random.default_rng(3)
    J = rng.normal(scale=0.7, size=(6, 6))
    yield BinaryQuadratic((J + J.T) / 2, rng.normal(size=6))
    yield IsingLattice((2, 3), 0.4, bias=rng.normal(scale=0.5, size=6), periodic=False)
    Js = sp.random(7, 7, density=0.4, random_state=1)
    yield BinaryQuadratic(Js + Js.T, rng.normal(size=7))


def _pi(model):
    lp = model.log_prob(_states(model.dim))
    p = np.exp(lp - lp.max())
    return p / p.sum()


def _matrix(model, kernel, n_flips, block, site=0):
    S = _states(model.dim)
    return np.array([_core._testing.mcmc_quad_transition_row(*model.csr(), kernel, n_flips, block, x, site)
                     for x in S])


@pytest.mark.parametrize("kernel,n_flips,block", KERNELS)
def test_transition_matrix_is_stationary(kernel, n_flips, block):
    for model in _tiny_models():
        pi = _pi(model)
        T = _matrix(model, kernel, n_flips, block)
        np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
        assert (T >= 0).all()
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12)
        if kernel in REVERSIBLE:
            F = pi[:, None] * T
            np.testing.assert_allclose(F, F.T, atol=1e-12)


def test_systematic_gibbs_site_kernels_are_stationary():
    model = next(_tiny_models())
    pi = _pi(model)
    for site in range(model.dim):
        T = _matrix(model, "gibbs_systematic", 1, 1, site)
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12)


def test_systematic_random_walk_site_kernels_are_stationary_and_reversible():
    for model in _tiny_models():
        pi = _pi(model)
        for site in range(model.dim):
            T = _matrix(model, "random_walk_systematic", 1, 1, site)
            np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
            np.testing.assert_allclose(pi @ T, pi, atol=1e-12)
            F = pi[:, None] * T
            np.testing.assert_allclose(F, F.T, atol=1e-12)


def test_systematic_random_walk_steps_follow_the_site_kernels():
    # Step t of the chain uses site t mod D: two steps from x follow T_0 T_1.
    model = list(_tiny_models())[1]
    x = np.array([1, 0, 1, 1, 0, 0], dtype=np.uint8)
    T2 = _matrix(model, "random_walk_systematic", 1, 1, 0) @ _matrix(model, "random_walk_systematic", 1, 1, 1)
    row = T2[int(x @ (1 << np.arange(model.dim)[::-1]))]
    n = 20000
    r = sample(model, "random_walk", n, 2, init=x, seed=5, scan="systematic")
    idx = r.samples[:, 1] @ (1 << np.arange(model.dim)[::-1])
    freq = np.bincount(idx, minlength=row.size) / n
    assert (np.abs(freq - row) <= 5 * np.sqrt(row * (1 - row) / n) + 1e-12).all()


@pytest.mark.parametrize("kernel", BALANCED)
@pytest.mark.parametrize("scale", [0.05, 0.7, 3.0])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_balanced_transition_matrices_across_seeds_and_coupling_magnitudes(kernel, scale, seed):
    # Each balancing function, MH-corrected, keeps pi exactly and is reversible, from weak
    # to strong couplings (strong ones make the weights span many orders of magnitude).
    rng = np.random.default_rng(seed)
    J = rng.normal(scale=scale, size=(6, 6))
    model = BinaryQuadratic((J + J.T) / 2, rng.normal(scale=scale, size=6))
    pi = _pi(model)
    T = _matrix(model, kernel, 1, 1)
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    assert (T >= 0).all()
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12)
    F = pi[:, None] * T
    np.testing.assert_allclose(F, F.T, atol=1e-12)


def test_balancing_functions_give_different_kernels():
    # The weight option reaches the kernel: the four rows are four different proposals.
    model = next(_tiny_models())
    mats = [_matrix(model, kernel, 1, 1) for kernel in BALANCED]
    for a, b in itertools.combinations(mats, 2):
        assert np.abs(a - b).max() > 1e-3


@pytest.mark.parametrize("sampler,opts", [("gwg", {})] + [("locally_balanced", {"weight": w})
                                                            for w in ("sqrt", "barker", "max", "min")])
def test_proposal_weight_rescaling_keeps_the_acceptance_exact(sampler, opts):
    # At the mode of a strongly coupled model every flip costs ~4000 in f, so leaving it has
    # probability ~exp(-4000). The reverse weight after a trial flip overflows the sum tree,
    # which is then rebuilt with a new shift; the acceptance must account for that shift
    # (taking z / z_new across the two shifts accepted these moves).
    D = 6
    model = BinaryQuadratic(200.0 * (np.ones((D, D)) - np.eye(D)), np.zeros(D))
    init = np.ones((4, D), dtype=np.uint8)
    r = sample(model, sampler, 4, 200, init=init, seed=1, **opts)
    assert (r.acceptance == 0).all()
    assert (r.samples == 1).all()


def test_transition_matrix_detects_a_wrong_target():
    # The check can fail: a kernel for one model is not stationary for another.
    m1, m2 = list(_tiny_models())[:2]
    T = _matrix(m1, "gwg", 1, 1)
    assert np.abs(_pi(m2) @ T - _pi(m2)).max() > 1e-3


@pytest.mark.parametrize("kernel", ["gwg", *BALANCED, "gibbs_random", "random_walk", "hamming_ball"])
def test_one_step_empirical_matches_transition_row(kernel):
    # The sampler's actual moves follow the kernel's transition row.
    model = list(_tiny_models())[1]
    x = np.array([1, 0, 1, 1, 0, 0], dtype=np.uint8)
    row = _core._testing.mcmc_quad_transition_row(*model.csr(), kernel, 1, 2, x, 0)
    n = 20000
    opts = {"block_size": 2} if kernel == "hamming_ball" else {}
    name = {k: ("locally_balanced", {"weight": k.rsplit("_", 1)[1]}) for k in BALANCED}
    name = {**name, "gibbs_random": ("gibbs", {"scan": "random"})}.get(kernel, (kernel, opts))
    r = sample(model, name[0], n, 1, init=x, seed=5, **name[1])
    idx = r.samples[:, 0] @ (1 << np.arange(model.dim)[::-1])
    freq = np.bincount(idx, minlength=row.size) / n
    tol = 5 * np.sqrt(row * (1 - row) / n) + 1e-12
    assert (np.abs(freq - row) <= tol).all()


def test_gwg_gradient_estimate_equals_exact_deltas_on_quadratic_models():
    rng = np.random.default_rng(8)
    J = rng.normal(size=(6, 6))
    J = J + J.T
    np.fill_diagonal(J, 0.0)
    for model in (IsingLattice((2, 3), 0.4, bias=0.3), BinaryQuadratic(J, rng.normal(size=6))):
        X = _states(model.dim).astype(float)
        d = -(2 * X - 1) * model.grad(X)
        exact = np.stack([model.log_prob(np.where(np.arange(model.dim) == i, 1 - X, X)) - model.log_prob(X)
                          for i in range(model.dim)], axis=1)
        np.testing.assert_allclose(d, exact, atol=1e-12)


@pytest.mark.parametrize("kernel", ["gwg", "locally_balanced_barker", "locally_balanced_max", "locally_balanced_min",
                                    "random_walk", "gibbs_random"])
def test_incremental_state_matches_recomputed(kernel):
    model = BinaryQuadratic(sp.random(60, 60, density=0.1, random_state=2) * 0.5
                            + (sp.random(60, 60, density=0.1, random_state=2) * 0.5).T,
                            np.linspace(-1, 1, 60))
    x = np.random.default_rng(0).integers(0, 2, 60).astype(np.uint8)
    out = _core._testing.mcmc_quad_incremental_check(*model.csr(), kernel, x, 20000, 7)
    assert out["accepted"] > 300
    assert out["field_gap"] < 1e-10 and out["energy_gap"] < 1e-8 and out["weight_gap"] < 1e-10


@pytest.mark.parametrize("sampler,opts", [("gwg", {}), ("locally_balanced", {"weight": "max"}),
                                          ("locally_balanced", {"weight": "min"}), ("block_gibbs", {"scan": "random"}),
                                          ("block_gibbs", {"scan": "systematic", "block_size": 3})])
def test_same_seed_same_output_any_thread_count(sampler, opts):
    model = IsingLattice((6, 6), 0.3)
    runs = []
    old = get_num_threads()
    try:
        for n in (1, 2, 1):
            set_num_threads(n)
            runs.append(sample(model, sampler, 8, 300, seed=11, record=["samples", "energy"], **opts))
    finally:
        set_num_threads(old)
    for other in runs[1:]:  # any thread count, and a rerun with the same seed
        np.testing.assert_array_equal(runs[0].samples, other.samples)
        np.testing.assert_array_equal(runs[0].statistic("energy"), other.statistic("energy"))
    assert runs[0].acceptance.min() > 0  # the chains moved, so the comparison can fail
    changed = sample(model, sampler, 8, 300, seed=12, **opts)
    assert (changed.samples != runs[0].samples).any()


@pytest.mark.parametrize("sampler,opts", [("gwg", {}), ("gwg", {"n_flips": 2}), ("gibbs", {"scan": "systematic"}),
                                          ("hamming_ball", {"block_size": 3}),
                                          ("locally_balanced", {"weight": "ratio"}),
                                          ("locally_balanced", {"weight": "max"}),
                                          ("locally_balanced", {"weight": "min"}), ("random_walk", {})])
def test_marginals_match_enumeration(sampler, opts):
    rng = np.random.default_rng(4)
    J = rng.normal(scale=0.15, size=(12, 12))
    model = BinaryQuadratic((J + J.T) / 2, rng.normal(scale=0.5, size=12))
    r = sample(model, sampler, 16, 4000, burn_in=200, seed=3, **opts)
    truth = exact_marginals(model)
    x = r.samples.astype(float)
    est = x.mean((0, 1))
    n_eff = np.maximum(ess(x), 50.0)
    sd = np.sqrt(truth * (1 - truth) / n_eff)
    assert (np.abs(est - truth) < 5 * sd + 1e-3).all()


def test_rbm_gwg_and_block_gibbs_marginals():
    rng = np.random.default_rng(1)
    model = RBM(rng.normal(scale=0.5, size=(4, 10)), rng.normal(scale=0.3, size=10),
                rng.normal(scale=0.3, size=4))
    truth = exact_marginals(model)
    for sampler in ("gwg", "block_gibbs"):
        x = sample(model, sampler, 32, 1500, burn_in=100, seed=2).samples.astype(float)
        sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
        assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()


def test_statistics_records():
    model = IsingLattice((4, 4), 0.2)
    ref = np.zeros(16, dtype=np.uint8)
    r = sample(model, "gwg", 3, 50, thin=5, record=["samples", "energy", "magnetization", "hamming"],
               reference=ref, seed=1)
    X = r.samples
    assert X.shape == (3, 10, 16)
    np.testing.assert_allclose(r.statistic("energy"), model.log_prob(X.reshape(-1, 16)).reshape(3, 10),
                               atol=1e-9)
    np.testing.assert_allclose(r.statistic("magnetization"), (2.0 * X - 1).mean(2))
    np.testing.assert_allclose(r.statistic("hamming"), X.sum(2))


@pytest.mark.parametrize("call,exc", [
    (lambda m: sample(m, "nope", 2, 10), ValueError),
    (lambda m: sample(m, "gwg", 0, 10), ValueError),
    (lambda m: sample(m, "gwg", 2, -1), ValueError),
    (lambda m: sample(m, "gwg", 2, 10, init=np.full((2, 9), 2)), ValueError),
    (lambda m: sample(m, "gwg", 2, 10, init=np.zeros((3, 9))), ValueError),
    (lambda m: sample(m, "gwg", 2, 10, record="foo"), ValueError),
    (lambda m: sample(m, "block_gibbs", 2, 10, block_size=0), ValueError),
    (lambda m: sample(m, "block_gibbs", 2, 10, block_size=10), ValueError),
    (lambda m: sample(m, "gwg", 2, 10, thin=0), ValueError),
    (lambda m: sample(m, "gwg", 2.5, 10), TypeError),
    (lambda m: sample(m, "gibbs", 2, 10, scan="diagonal"), ValueError),
    (lambda m: sample(m, "locally_balanced", 2, 10, weight="median"), ValueError),
    (lambda m: sample(m, "locally_balanced", 2, 10, weight=None), ValueError),
    (lambda m: sample(m, "gwg", 10**9, 10), MemoryError),
    (lambda m: sample(m, "gwg", 100, 10**9), MemoryError),
    (lambda m: sample(m, "gwg", 2, 10, reference=np.ones(4)), ValueError),
    (lambda m: sample(m, "random_walk", 2, 10, n_flips=2), ValueError),
    (lambda m: sample(m, "gwg", 2, 10, bogus=1), TypeError),
    (lambda m: sample(m, "gwg", 2, 10, init=np.full((2, 9), np.nan)), ValueError),
])
def test_bad_sample_arguments(call, exc):
    with pytest.raises(exc):
        call(IsingLattice((3, 3), 0.1))


def test_bad_weight_names_the_balancing_functions():
    with pytest.raises(ValueError, match="weight must be 'sqrt', 'barker'/'ratio', 'max', 'min', got 'median'"):
        sample(IsingLattice((3, 3), 0.1), "locally_balanced", 2, 10, weight="median")
    with pytest.raises(ValueError, match="weight must be"):
        sample(IsingLattice((3, 3), 0.1), "locally_balanced", 2, 10, weight="MAX")  # names are exact


def test_bad_models():
    with pytest.raises(ValueError, match="symmetric"):
        BinaryQuadratic(np.array([[0.0, 1.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="finite"):
        BinaryQuadratic(np.array([[0.0, np.nan], [np.nan, 0.0]]))
    with pytest.raises(ValueError):
        BinaryQuadratic(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="finite"):
        RBM(np.full((2, 3), np.inf), np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError):
        RBM(np.zeros((2, 3)), np.zeros(2), np.zeros(2))
    with pytest.raises(ValueError):
        IsingLattice((1, 3), 0.1)


def test_fhmm_log_posterior_matches_direct_formula():
    model, x_true = FactorialHMM.synthetic(L=7, K=3, seed=4, sigma=1.5, p_switch=0.2)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2, size=(20, 21))

    def direct(x):
        x = x.reshape(7, 3)
        resid = model.y - model.b0 - x @ model.w
        switches = np.abs(np.diff(x, axis=0)).sum()
        return -(resid**2).sum() / (2 * 1.5**2) + switches * np.log(0.2 / 0.8)

    ref = np.array([direct(x) for x in X])
    got = model.log_prob(X)
    np.testing.assert_allclose(got - got[0], ref - ref[0], atol=1e-10)
    assert x_true.shape == (7, 3)


def test_fhmm_gwg_marginals_match_enumeration():
    model, _ = FactorialHMM.synthetic(L=5, K=3, seed=1, sigma=1.0, p_switch=0.2)
    truth = exact_marginals(model)
    x = sample(model, "gwg", 16, 4000, burn_in=200, seed=3).samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
    assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()


def test_callback_reports_progress_and_can_abort():
    model = IsingLattice((5, 5), 0.2)
    calls = []
    r = sample(model, "gwg", 2, 5000, record="energy", callback=lambda d, t: calls.append((d, t)))
    assert calls and calls[-1] == (5000, 5000) and not r.interrupted

    def boom(done, total):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        sample(model, "gwg", 2, 5000, record="energy", callback=boom)


def test_user_model_gwg_matches_enumeration():
    from ttsolve.mcmc import UserModel

    rng = np.random.default_rng(6)
    J = rng.normal(scale=0.3, size=(8, 8))
    J = (J + J.T) / 2
    np.fill_diagonal(J, 0)
    model = UserModel(8, lambda X: ((X @ J) * X).sum(1), lambda X: 2 * X @ J)
    truth = exact_marginals(model)
    x = sample(model, "gwg", 16, 2000, burn_in=100, seed=1).samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
    assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()
