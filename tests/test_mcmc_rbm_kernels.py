"""Compiled single-site RBM kernels (csrc/mcmc/rbm_site_run.cpp): each kernel's own transition
rows against the exact numpy references, pi T = pi, long-run marginals, seeds, threads, Ctrl-C."""

import signal
import threading

import numpy as np
import pytest

from reference import discrete_kernels as dk
from reference import discrete_models as dm
from ttsolve import _core
from ttsolve.config import get_num_threads, set_num_threads
from ttsolve.mcmc import RBM, sample
from ttsolve.mcmc.diagnostics import ess, exact_marginals

SITE_KINDS = ["gibbs_random", "random_walk", "hamming_ball", "locally_balanced_sqrt",
              "locally_balanced_barker", "locally_balanced_max", "locally_balanced_min"]
SAMPLERS = [("gibbs", {"scan": "random"}), ("gibbs", {"scan": "systematic"}), ("random_walk", {}),
            ("random_walk", {"scan": "systematic"}), ("hamming_ball", {"block_size": 3}),
            ("block_gibbs", {"block_size": 2, "scan": "random"}),
            ("block_gibbs", {"block_size": 3, "scan": "systematic"})] + \
           [("locally_balanced", {"weight": w}) for w in ("sqrt", "barker", "max", "min")]


def _rbm(D=6, H=3, scale=0.8, seed=0):
    rng = np.random.default_rng(seed)
    return RBM(rng.normal(scale=scale, size=(H, D)), rng.normal(scale=scale / 2, size=D),
               rng.normal(scale=scale / 2, size=H))


def _reference(model):
    """The RBM as a reference DiscreteModel: x_i = X[:, i, 1] in the one-hot relaxation."""
    W, b, c = model.W, model.b, model.c

    def f(X):
        v = X[..., 1]
        return v @ b + np.logaddexp(0.0, v @ W.T + c).sum(1)

    def g(X):
        v = X[..., 1]
        out = np.zeros(X.shape)
        out[..., 1] = b + (1.0 / (1.0 + np.exp(-(v @ W.T + c)))) @ W
        return out

    return dm.DiscreteModel(model.dim, 2, f, g, "rbm")


def _matrix(model, kind, block=1, site=0):
    S = dm.all_states(model.dim, 2).astype(np.uint8)
    return np.array([_core._testing.mcmc_rbm_transition_row(model.W, model.b, model.c, kind, block, x, site)
                     for x in S])


def _expected(ref, kind, block=1, site=0):
    if kind.startswith("locally_balanced_"):
        return dk.locally_balanced(ref, kind.rsplit("_", 1)[1])
    return {"gibbs_random": lambda: dk.gibbs_random(ref), "gibbs_systematic": lambda: dk.gibbs_site(ref, site),
            "random_walk": lambda: dk.random_walk(ref), "hamming_ball": lambda: dk.hamming_ball(ref, block),
            "random_walk_systematic": lambda: dk.mh_matrix(ref.log_prob(dm.all_states(ref.n_sites, 2)),
                                                           _one_site_log_q(ref.n_sites, site))}[kind]()


def _one_site_log_q(D, site):
    S = dm.all_states(D, 2)
    flip = S.copy()
    flip[:, site] ^= 1
    log_q = np.full((S.shape[0],) * 2, -np.inf)
    log_q[np.arange(S.shape[0]), dm.state_index(flip, 2)] = 0.0
    return log_q


@pytest.mark.parametrize("kind", SITE_KINDS)
@pytest.mark.parametrize("scale,seed", [(0.3, 0), (1.0, 1), (3.0, 2)])
def test_transition_rows_equal_the_references_and_keep_pi(kind, scale, seed):
    model = _rbm(scale=scale, seed=seed)
    ref = _reference(model)
    pi = dm.exact_pi(ref)
    block = 2 if kind == "hamming_ball" else 1
    T = _matrix(model, kind, block)
    assert (T >= 0).all()
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12)
    np.testing.assert_allclose(T, _expected(ref, kind, block), atol=1e-12)


@pytest.mark.parametrize("kind", ["gibbs_systematic", "random_walk_systematic"])
def test_systematic_site_kernels_equal_the_references(kind):
    model = _rbm(D=5, H=4, seed=3)
    ref = _reference(model)
    pi = dm.exact_pi(ref)
    for site in range(model.dim):
        T = _matrix(model, kind, 1, site)
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12)
        np.testing.assert_allclose(T, _expected(ref, kind, 1, site), atol=1e-12)


def test_hamming_ball_blocks_and_a_wrong_target_is_detected():
    model = _rbm(D=7, H=3, seed=4)
    ref = _reference(model)
    for block in (1, 3, 7):
        np.testing.assert_allclose(_matrix(model, "hamming_ball", block), dk.hamming_ball(ref, block), atol=1e-12)
    # The check can fail: the kernel of a different RBM does not keep this pi.
    other = _rbm(D=7, H=3, seed=5)
    assert dk.stationarity_error(_matrix(other, "locally_balanced_sqrt"), dm.exact_pi(ref)) > 1e-4


def test_flip_differences_stay_exact_for_large_weights():
    # |W| up to ~30: the product of e^W terms is logged in short chunks, so no overflow.
    rng = np.random.default_rng(9)
    model = RBM(rng.normal(scale=12.0, size=(40, 5)), rng.normal(size=5), rng.normal(size=40))
    ref = _reference(model)
    T = _matrix(model, "locally_balanced_barker")
    np.testing.assert_allclose(T, dk.locally_balanced(ref, "barker"), atol=1e-10)
    np.testing.assert_allclose(dm.exact_pi(ref) @ T, dm.exact_pi(ref), atol=1e-10)


@pytest.mark.parametrize("sampler,opts", SAMPLERS)
def test_marginals_match_enumeration(sampler, opts):
    model = _rbm(D=10, H=4, scale=0.6, seed=1)
    truth = exact_marginals(model)
    r = sample(model, sampler, 16, 3000, burn_in=200, seed=2, record=["samples", "energy"], **opts)
    x = r.samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
    assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()
    # the energy record is f of the recorded state (incremental A and f stay exact)
    np.testing.assert_allclose(r.statistic("energy").ravel(), model.log_prob(r.samples.reshape(-1, 10)), atol=1e-9)
    assert 0.0 < r.acceptance.mean() <= 1.0


@pytest.mark.parametrize("scale,seed", [(0.3, 0), (1.0, 1), (3.0, 2)])
@pytest.mark.parametrize("block", [1, 2, 3, 7])
def test_block_gibbs_rows_equal_the_exact_block_conditional(block, scale, seed):
    # RBM block Gibbs (DISCS's blockgibbs on the RBM): the kernel's own conditional of the block's
    # 2^b visible configurations (hidden units summed out) against dense enumeration
    model = _rbm(D=7, H=3, scale=scale, seed=seed)
    ref = _reference(model)
    pi = dm.exact_pi(ref)
    n_blocks = -(-model.dim // block)
    singles = [dk.block_gibbs(ref, range(k * block, min(model.dim, (k + 1) * block))) for k in range(n_blocks)]
    for n in range(n_blocks):
        T = _matrix(model, "block_gibbs_systematic", block, n)
        np.testing.assert_allclose(T, singles[n], atol=1e-12)
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12)
    T = _matrix(model, "block_gibbs_random", block)
    np.testing.assert_allclose(T, sum(singles) / n_blocks, atol=1e-12)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12)


@pytest.mark.parametrize("scan,block", [("systematic", 3), ("random", 2)])
def test_block_gibbs_one_step_law_equals_the_exact_row(scan, block):
    # the draw and the walk to the drawn configuration (the rows above check the walk's weights)
    model = _rbm(D=7, H=3, scale=1.0, seed=7)
    x = np.array([1, 0, 0, 1, 1, 0, 1], np.uint8)
    n = 40000
    r = sample(model, "block_gibbs", n, 1, init=np.tile(x, (n, 1)), seed=9, block_size=block, scan=scan)
    got = np.bincount(dm.state_index(r.samples[:, 0].astype(int), 2), minlength=2 ** model.dim) / n
    row = _core._testing.mcmc_rbm_transition_row(model.W, model.b, model.c, f"block_gibbs_{scan}", block, x, 0)
    assert (np.abs(got - row) <= 5 * np.sqrt(row * (1 - row) / n) + 1.0 / n).all()
    # the chain's recorded energy is f of its state after the walks
    r2 = sample(model, "block_gibbs", 64, 300, seed=3, block_size=block, scan=scan, record=["samples", "energy"])
    np.testing.assert_allclose(r2.statistic("energy").ravel(), model.log_prob(r2.samples.reshape(-1, 7)), atol=1e-9)


def test_rbm_block_gibbs_scans_and_bad_block_sizes():
    from ttsolve.mcmc import kernels

    model = _rbm(D=20, H=4, seed=8)
    # the RBM's default block_gibbs stays the alternating hidden / visible sweep
    assert kernels.resolve("block_gibbs", "rbm", 1, {}).row.kernel == "block_gibbs"
    assert kernels.resolve("block_gibbs", "rbm", 1, {"scan": "sweep"}).row.kernel == "block_gibbs"
    assert kernels.resolve("block_gibbs", "rbm", 1, {"scan": "random"}).row.kernel == "block_gibbs_random"
    with pytest.raises(ValueError, match="scan must be"):
        kernels.resolve("block_gibbs", "pairwise", 1, {"scan": "sweep"})  # the sweep is the RBM's only
    with pytest.raises(ValueError, match="block_size must be <= the model's dim"):
        sample(model, "block_gibbs", 2, 3, block_size=21, scan="random")
    with pytest.raises(ValueError, match="block_size"):
        sample(model, "block_gibbs", 2, 3, block_size=17, scan="systematic")
    with pytest.raises(TypeError, match="unexpected options"):
        sample(model, "block_gibbs", 2, 3, block_size=2)  # scan="sweep" (the default on RBMs) takes none
    with pytest.raises(ValueError, match="scan must be"):
        sample(model, "block_gibbs", 2, 3, scan="diagonal")


@pytest.mark.parametrize("sampler,opts", [("locally_balanced", {"weight": "sqrt"}), ("gibbs", {}),
                                          ("hamming_ball", {"block_size": 4}), ("random_walk", {}),
                                          ("block_gibbs", {"block_size": 3, "scan": "random"})])
def test_same_seed_same_output_any_thread_count(sampler, opts):
    model = _rbm(D=30, H=12, scale=0.4, seed=6)
    runs = []
    old = get_num_threads()
    try:
        for n in (1, 2, 1):
            set_num_threads(n)
            runs.append(sample(model, sampler, 23, 200, seed=11, record=["samples", "energy", "hamming"], **opts))
    finally:
        set_num_threads(old)
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].samples, other.samples)
        np.testing.assert_array_equal(runs[0].statistic("energy"), other.statistic("energy"))
    np.testing.assert_array_equal(runs[0].statistic("hamming"), runs[0].samples.sum(-1))
    assert runs[0].acceptance.min() > 0
    changed = sample(model, sampler, 23, 200, seed=12, **opts)
    assert (changed.samples != runs[0].samples).any()


def test_ctrl_c_returns_the_partial_run():
    model = _rbm(D=50, H=20, seed=2)
    timer = threading.Timer(0.5, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    try:
        r = sample(model, "locally_balanced", 4, 10**9, thin=10**5, record="energy", seed=0)
    finally:
        timer.cancel()
    assert r.interrupted and 0 < r.info["steps_done"] < 10**9
    assert np.isfinite(r.statistic("energy")).all()  # only the kept steps done are returned


def test_rbm_sampler_list_and_bad_options():
    from ttsolve.mcmc.kernels import samplers_for

    assert {"gwg", "block_gibbs", "gibbs", "random_walk", "hamming_ball", "locally_balanced"} <= \
        set(samplers_for("rbm"))
    model = _rbm()
    with pytest.raises(ValueError, match="weight must be"):
        sample(model, "locally_balanced", 2, 10, weight="cube")
    with pytest.raises(ValueError, match="n_flips > 1"):
        sample(model, "gibbs", 2, 10, n_flips=2)
    with pytest.raises(ValueError, match="block_size"):
        _core._testing.mcmc_rbm_transition_row(model.W, model.b, model.c, "hamming_ball", 0,
                                               np.zeros(6, np.uint8))
    with pytest.raises(ValueError, match="no RBM transition row"):
        _core._testing.mcmc_rbm_transition_row(model.W, model.b, model.c, "dmala", 1, np.zeros(6, np.uint8))


# ---- multi-coordinate gradient kinds on RBMs (rbm_gradient_run.cpp: chains batched) ----
GRADIENT = [("dmala", {"step_size": 0.7}, lambda m: dk.dmala(m, 0.7)),
            ("dmala", {"step_size": 2.0, "weight": "barker"}, lambda m: dk.dmala(m, 2.0, "barker")),
            ("dula", {"step_size": 0.7}, lambda m: dk.dula(m, 0.7)),
            ("dlmc", {"t": 0.8}, lambda m: dk.dlmc(m, 0.8)),
            ("pas", {"path_length": 2}, lambda m: dk.pas(m, 2))]


@pytest.mark.parametrize("sampler,opts,reference", GRADIENT, ids=[f"{s}-{sorted(o.items())}" for s, o, _ in GRADIENT])
def test_gradient_kinds_one_step_law_equals_the_reference_row(sampler, opts, reference):
    # 40000 chains from one state, one step: the next state's law against the reference row.
    model = _rbm(D=4, H=3, scale=0.8, seed=2)
    T = reference(_reference(model))
    S = dm.all_states(4, 2).astype(np.uint8)
    n = 40000
    for x in (5, 12):
        r = sample(model, sampler, n, 1, init=S[x], seed=x, **opts)
        freq = np.bincount(dm.state_index(r.samples[:, 0].astype(int), 2), minlength=16) / n
        assert (np.abs(freq - T[x]) <= 5 * np.sqrt(T[x] * (1 - T[x]) / n) + 2e-4).all(), (sampler, x)


EXACT = [("dmala", 1, {"step_size": 0.7}), ("dmala", 1, {"step_size": 2.0, "weight": "barker"}),
         ("dlmc", 1, {"t": 0.8}), ("pas", 1, {"path_length": 3}), ("gwg_multi", 1, {}), ("gwg_multi", 3, {}),
         ("gwg_multi", 2, {"weight": "max"})]


@pytest.mark.parametrize("sampler,n_flips,opts", EXACT, ids=[f"{s}-{n}-{sorted(o.items())}" for s, n, o in EXACT])
def test_gradient_kinds_exact_transition_matrix_on_a_tiny_rbm(sampler, n_flips, opts):
    # T from the kernel's own tables on the RBM's gradient (float32 product, as the engine):
    # pi T = pi to 1e-12 whatever the gradient's rounding, since MH uses the same tables both ways.
    model = _rbm(D=4, H=3, scale=0.8, seed=3)
    T = _core._testing.mcmc_gradient_transitions_rbm(model.W, model.b, model.c, sampler, n_flips, opts)
    S = dm.all_states(4, 2).astype(np.uint8)
    log_pi = model.log_prob(S)
    pi = np.exp(log_pi - log_pi.max())
    pi /= pi.sum()
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    assert (T >= -1e-15).all()
    assert dk.stationarity_error(T, pi) < 1e-12
    assert dk.detailed_balance_error(T, pi) < 1e-12
    if sampler in ("dmala", "dlmc"):  # and it is the reference kernel up to the float32 gradient
        ref = dk.dmala(_reference(model), opts["step_size"], opts.get("weight", "sqrt")) if sampler == "dmala" \
            else dk.dlmc(_reference(model), opts["t"])
        np.testing.assert_allclose(T, ref, atol=1e-5)


def test_dula_is_biased_on_a_tiny_rbm():
    model = _rbm(D=4, H=3, scale=0.8, seed=3)
    T = _core._testing.mcmc_gradient_transitions_rbm(model.W, model.b, model.c, "dula", 1, {"step_size": 0.7})
    log_pi = model.log_prob(dm.all_states(4, 2).astype(np.uint8))
    pi = np.exp(log_pi - log_pi.max())
    assert dk.stationarity_error(T, pi / pi.sum()) > 1e-4


@pytest.mark.parametrize("n_flips", [1, 3])
def test_gwg_multi_one_step_law_equals_the_exact_row(n_flips):
    # the batched engine's draws (path_draw.hpp, rbm_gradient_run.cpp) against the oracle's row
    model = _rbm(D=4, H=3, scale=0.8, seed=2)
    T = _core._testing.mcmc_gradient_transitions_rbm(model.W, model.b, model.c, "gwg_multi", n_flips, {})
    S = dm.all_states(4, 2).astype(np.uint8)
    n = 40000
    for x in (5, 12):
        r = sample(model, "gwg_multi", n, 1, init=S[x], seed=x, n_flips=n_flips)
        freq = np.bincount(dm.state_index(r.samples[:, 0].astype(int), 2), minlength=16) / n
        assert (np.abs(freq - T[x]) <= 5 * np.sqrt(T[x] * (1 - T[x]) / n) + 2e-4).all(), (n_flips, x)


@pytest.mark.parametrize("sampler,opts", [("dmala", {"step_size": 0.5}), ("dlmc", {"t": 0.5}),
                                          ("pas", {"path_length": 2}), ("gwg_multi", {"n_flips": 2}),
                                          ("dmala", {"adaptive": True}), ("gwg_multi", {"adaptive": True})])
def test_gradient_kinds_marginals_match_enumeration(sampler, opts):
    model = _rbm(D=10, H=4, scale=0.6, seed=1)
    truth = exact_marginals(model)
    r = sample(model, sampler, 16, 3000, burn_in=300, seed=2, record=["samples", "energy"], **opts)
    x = r.samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
    assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()
    np.testing.assert_allclose(r.statistic("energy").ravel(), model.log_prob(r.samples.reshape(-1, 10)), atol=1e-9)
    if opts.get("adaptive"):
        name, start = ("step_size", 0.5) if sampler == "dmala" else ("n_flips", 1)
        scale = r.info["adapted"][name]
        assert scale.shape == (16,) and (scale != start).any()


@pytest.mark.parametrize("sampler,opts", [("dmala", {"step_size": 0.3}), ("pas", {"path_length": 3}),
                                          ("dlmc", {"t": 0.3}), ("gwg_multi", {"n_flips": 3}),
                                          ("gwg_multi", {"adaptive": True})])
def test_gradient_kinds_thread_count_invariant(sampler, opts):
    model = _rbm(D=60, H=30, scale=0.2, seed=6)
    runs = []
    old = get_num_threads()
    try:
        for n in (1, 2, 1):
            set_num_threads(n)
            runs.append(sample(model, sampler, 53, 150, burn_in=30 if opts.get("adaptive") else 0, seed=11,
                               record=["samples", "energy"], **opts))
    finally:
        set_num_threads(old)
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].samples, other.samples)
        np.testing.assert_array_equal(runs[0].statistic("energy"), other.statistic("energy"))
    assert runs[0].acceptance.min() > 0


@pytest.mark.parametrize("sampler,opts", [("dmala", {"step_size": 0.3}), ("dlmc", {"t": 0.3}), ("pas", {"path_length": 2}),
                                          ("gwg_multi", {"n_flips": 2}), ("locally_balanced", {"weight": "max"}), ("gibbs", {}),
                                          ("hamming_ball", {"block_size": 3})])
def test_in_process_shards_equal_the_whole_run(sampler, opts):
    # shards snap to the RBM engines' chain blocks (rbm_block_bounds): bitwise the local run
    model = _rbm(D=30, H=12, scale=0.4, seed=6)
    kw = dict(n_chains=130, n_steps=40, seed=5, record=["samples", "energy"], **opts)
    whole, sharded = sample(model, sampler, **kw), sample(model, sampler, n_shards=3, **kw)
    assert sharded.info["n_shards"] >= 2
    np.testing.assert_array_equal(whole.samples, sharded.samples)
    np.testing.assert_array_equal(whole.statistic("energy"), sharded.statistic("energy"))
    np.testing.assert_array_equal(whole.acceptance, sharded.acceptance)


@pytest.mark.parametrize("sampler,opts", [("gibbs", {}), ("random_walk", {}), ("hamming_ball", {"block_size": 5}),
                                          ("locally_balanced", {"weight": "barker"})])
def test_incremental_energy_stays_exact_over_long_runs(sampler, opts):
    # f is moved by each flip's difference and A by +-W[:, i]; both are recomputed from
    # scratch now and then, so the recorded energy stays f of the recorded state.
    model = _rbm(D=40, H=20, scale=1.0, seed=8)
    n = 300 if sampler == "locally_balanced" else 20000
    r = sample(model, sampler, 3, n, thin=n // 50, seed=1, record=["samples", "energy"], **opts)
    np.testing.assert_allclose(r.statistic("energy").ravel(), model.log_prob(r.samples.reshape(-1, 40)),
                               atol=1e-9, rtol=0)
    assert r.acceptance.mean() > 0.05


@pytest.mark.parametrize("scale", [1.0, 200.0])
def test_gibbs_flip_updates_of_the_hidden_probabilities_stay_exact(scale):
    # a flip updates sigmoid(A) by one division per unit (rbm_model.hpp flip_hidden_probs);
    # with |A| >= 600 (scale 200: |A| reaches ~800) it recomputes them from A instead: both keep the exact
    # differences, so the recorded energy is f of the recorded state and the marginals match.
    model = _rbm(D=8, H=5, scale=scale, seed=4)
    r = sample(model, "gibbs", 8, 4000, thin=40, seed=3, record=["samples", "energy"])
    f = model.log_prob(r.samples.reshape(-1, 8))
    np.testing.assert_allclose(r.statistic("energy").ravel(), f, atol=1e-9 * max(1.0, np.abs(f).max()), rtol=0)
    truth = exact_marginals(model)
    x = r.samples.astype(float)
    sd = np.sqrt(truth * (1 - truth) / np.maximum(ess(x), 50.0))
    assert (np.abs(x.mean((0, 1)) - truth) < 5 * sd + 1e-3).all()


def test_vectorised_exp_is_accurate_on_nonpositive_arguments():
    # rbm_kernels.hpp exp_nonpositive (softplus / sigmoid of A, the gwg proposal weights)
    rng = np.random.default_rng(0)
    x = np.concatenate([-rng.uniform(0, 708, 200001), -rng.uniform(0, 1, 1001), [0.0, -0.0, -1e-300, -708.0]])
    out = _core._testing.mcmc_rbm_exp(x)
    assert np.max(np.abs(out / np.exp(x) - 1)) <= 1e-15
    edge = _core._testing.mcmc_rbm_exp(np.array([-709.0, -1e4, -np.inf, np.nan, -1.0, -2.0, -3.0]))
    assert (edge[:3] == 0).all() and np.isnan(edge[3])
    np.testing.assert_allclose(edge[4:], np.exp([-1.0, -2.0, -3.0]), rtol=1e-15)
    if _core._testing.gram_simd():  # the AVX2 and portable builds agree bitwise
        try:
            _core._testing.gram_simd(False)
            np.testing.assert_array_equal(_core._testing.mcmc_rbm_exp(x), out)
        finally:
            _core._testing.gram_simd(True)
