"""Categorical models and the compiled pairwise engine: models against the numpy references,
long-run marginals against exact enumeration, records, determinism, Ctrl-C, bad input."""

import signal
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from reference import discrete_kernels as rk
from reference import discrete_models as rm
from ttsolve import _core
from ttsolve.config import get_num_threads, set_num_threads
from ttsolve.mcmc import Bernoulli, Categorical, IsingLattice, Potts, PottsLattice, ess, sample
from ttsolve.mcmc.kernels import samplers_for

SAMPLERS = [("gwg", {}), ("gwg", {"n_flips": 2}), ("gwg", {"n_flips": 3}), ("locally_balanced", {"weight": "sqrt"}), ("locally_balanced", {"weight": "barker"}),
            ("locally_balanced", {"weight": "max"}), ("locally_balanced", {"weight": "min"}),
            ("gibbs", {"scan": "systematic"}), ("gibbs", {"scan": "random"}), ("random_walk", {}),
            ("random_walk", {"scan": "systematic"}), ("hamming_ball", {"block_size": 2}),
            ("block_gibbs", {"scan": "systematic"}), ("block_gibbs", {"block_size": 3})]


def _random_potts(rng, D, K, scale):
    J = rng.normal(scale=scale, size=(D, D, K, K))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(D), np.arange(D)] = 0.0
    b = rng.normal(scale=scale, size=(D, K))
    return J, b


# ---- models ---------------------------------------------------------------------------

def test_models_match_the_references():
    rng = np.random.default_rng(0)
    J, b = _random_potts(rng, 4, 3, 1.0)
    L = rng.normal(size=(5, 4))
    l1 = rng.normal(size=6)
    bias = rng.normal(size=(6, 3))
    pairs = [(Potts(J, b), rm.potts(J, b)), (Categorical(L), rm.categorical(L)), (Bernoulli(l1), rm.bernoulli(l1)),
             (PottsLattice((2, 3), 3, 0.7, bias=bias), rm.potts_lattice((2, 3), 3, 0.7, bias)),
             (PottsLattice((3, 2), 3, -0.4, periodic=False), rm.potts_lattice((3, 2), 3, -0.4, periodic=False)),
             (PottsLattice((4, 3), 2, 1.1), rm.potts_lattice((4, 3), 2, 1.1))]
    for model, ref in pairs:
        X = rng.integers(0, model.n_states, size=(50, model.dim))
        np.testing.assert_allclose(model.log_prob(X), ref.log_prob(X), atol=1e-12)
        np.testing.assert_allclose(model.grad(X), ref.grad(X), atol=1e-12)
        # gradient differences are the exact single-site changes (f linear per one-hot site)
        np.testing.assert_allclose(rm.gradient_differences(ref, X), rm.exact_local_differences(ref, X), atol=1e-10)
        assert model.mcmc_backend().family == "pairwise" and model.mcmc_backend().n_states == model.n_states
        assert type(model).__name__ in repr(model)


def test_lattice_is_stored_sparsely_and_counts_each_pair_once():
    m = PottsLattice((50, 50), 4, 0.3)
    assert m.n_edges == 2 * 2500 and m.blocks.shape == (4 * 2500, 4, 4)
    two = PottsLattice((2, 2), 3, 1.0)  # periodic side of 2: each pair once
    assert two.n_edges == 4
    S = rm.all_states(4, 3)
    np.testing.assert_allclose(two.log_prob(S), rm.potts_lattice((2, 2), 3, 1.0).log_prob(S), atol=1e-12)
    x = np.zeros((1, 4), dtype=int)
    assert two.log_prob(x)[0] == 4.0


def test_dict_form_equals_dense():
    rng = np.random.default_rng(1)
    J, b = _random_potts(rng, 5, 3, 1.0)
    J[0, 2] = J[2, 0] = 0.0
    blocks = {(i, j): J[i, j] for i in range(5) for j in range(i + 1, 5) if np.any(J[i, j])}
    both = {**blocks, **{(j, i): J[j, i] for (i, j) in blocks}}
    X = rng.integers(0, 3, size=(40, 5))
    dense = Potts(J, b)
    for form in (blocks, both):
        sparse = Potts(form, b)
        np.testing.assert_allclose(sparse.log_prob(X), dense.log_prob(X), atol=1e-12)
        np.testing.assert_allclose(sparse.couplings(), J, atol=0)
    assert Potts({(0, 3): np.eye(2)}).dim == 4 and Potts({(0, 1): np.eye(2)}, dim=6).dim == 6


@pytest.mark.parametrize("make,exc,match", [
    (lambda: Categorical(np.zeros((3, 1))), ValueError, "n_states must be >= 2"),
    (lambda: Categorical(np.zeros(3)), ValueError, "logits must have shape"),
    (lambda: Categorical(np.full((2, 3), np.nan)), ValueError, "finite"),
    (lambda: Categorical(np.zeros((2, 3), complex)), TypeError, "real"),
    (lambda: Bernoulli(np.zeros((2, 2))), ValueError, "shape"),
    (lambda: Potts(np.zeros((3, 3, 2))), ValueError, r"shape \(D, D, K, K\)"),
    (lambda: Potts(np.zeros((3, 2, 2, 2))), ValueError, r"shape \(D, D, K, K\)"),
    (lambda: Potts(np.zeros((3, 3, 1, 1))), ValueError, "n_states must be >= 2"),
    (lambda: Potts(np.ones((2, 2, 2, 2)) - np.eye(2)[:, :, None, None]
                   + np.array([[0, 0], [1, 0]])[None, None] * (1 - np.eye(2))[:, :, None, None]),
     ValueError, "J\\[i, j, a, b\\] == J\\[j, i, b, a\\]"),
    (lambda: Potts(np.ones((2, 2, 2, 2))), ValueError, "J\\[i, i\\] blocks must be zero"),
    (lambda: Potts(np.full((2, 2, 2, 2), np.inf)), ValueError, "finite"),
    (lambda: Potts(np.zeros((2, 2, 2, 2)), b=np.zeros((3, 2))), ValueError, "b must broadcast"),
    (lambda: Potts({(0, 1): np.eye(2), (1, 0): np.ones((2, 2))}), ValueError, "J\\[0, 1\\] != J\\[1, 0\\]\\^T|J\\[1, 0\\] != J\\[0, 1\\]\\^T"),
    (lambda: Potts({(1, 1): np.eye(2)}), ValueError, "must be zero"),
    (lambda: Potts({(0, 1): np.eye(2), (1, 2): np.eye(3)}), ValueError, "one K for all"),
    (lambda: Potts({(0, 5): np.eye(2)}, b=np.zeros((3, 2))), IndexError, "site 5"),
    (lambda: Potts({}), ValueError, "needs b or dim"),
    (lambda: PottsLattice((3, 3), 1, 0.5), ValueError, "n_states must be >= 2"),
    (lambda: PottsLattice((3, 3), 300, 0.5), ValueError, "n_states must be <= 255"),
    (lambda: PottsLattice((3, 2.5), 3, 0.5), TypeError, "shape"),
    (lambda: PottsLattice((3, 3), 3, np.nan), ValueError, "coupling"),
    (lambda: PottsLattice((3, 3), 3, 0.5, bias=np.zeros((9, 2))), ValueError, "bias must broadcast"),
])
def test_bad_models(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_exact_enumeration_methods_and_the_binary_diagnostics_refuse_categorical_models():
    from ttsolve.mcmc import exact_marginals
    rng = np.random.default_rng(9)
    J, b = _random_potts(rng, 4, 3, 0.8)
    model, ref = Potts(J, b), rm.potts(J, b)
    np.testing.assert_allclose(model.exact_marginals(), _exact_marginals(ref), atol=1e-12)
    lp = ref.log_prob(rm.all_states(4, 3))
    np.testing.assert_allclose(model.log_partition(), np.log(np.exp(lp).sum()), atol=1e-12)
    L = rng.normal(size=(3, 4))
    np.testing.assert_allclose(Categorical(L).exact_marginals(), Categorical(L).marginals(), atol=1e-12)
    with pytest.raises(ValueError, match="n_states = 3"):
        exact_marginals(model)
    with pytest.raises(ValueError, match="too many"):
        PottsLattice((10, 10), 3, 0.1).exact_marginals()


def test_bad_states_for_log_prob():
    m = PottsLattice((2, 2), 3, 0.5)
    with pytest.raises(ValueError, match="states 0..2"):
        m.log_prob(np.full((1, 4), 3))
    with pytest.raises(ValueError, match="shape"):
        m.grad(np.zeros((2, 5), int))


# ---- sampling ---------------------------------------------------------------------------

def _exact_marginals(ref):
    S = rm.all_states(ref.n_sites, ref.n_states)
    pi = rm.exact_pi(ref)
    return np.stack([np.bincount(S[:, i], weights=pi, minlength=ref.n_states) for i in range(ref.n_sites)])


def _check_marginals(model, ref, sampler, opts, seed, n_chains=16, n_steps=3000, burn_in=300):
    r = sample(model, sampler, n_chains, n_steps, burn_in=burn_in, seed=seed,
               record=["samples", "counts", "energy"], **opts)
    truth = _exact_marginals(ref)
    # E[f] is sensitive to the couplings where single marginals of an ordered model are not
    S = rm.all_states(ref.n_sites, ref.n_states)
    pi, f = rm.exact_pi(ref), ref.log_prob(S)
    mean_f, sd_f = pi @ f, np.sqrt(max(pi @ f**2 - (pi @ f) ** 2, 0.0))
    energy = r.statistic("energy")
    assert abs(energy.mean() - mean_f) < 5 * sd_f / np.sqrt(max(ess(energy), 30.0)) + 1e-9, (sampler, opts)
    onehot = (r.samples[..., None] == np.arange(model.n_states)).astype(float)  # (chains, draws, D, K)
    est = onehot.mean((0, 1))
    np.testing.assert_allclose(r.marginals(), est, atol=1e-12)  # counts agree with the samples
    n_eff = np.maximum(ess(onehot), 30.0)
    sd = np.sqrt(truth * (1 - truth) / n_eff)
    assert (np.abs(est - truth) < 5 * sd + 2e-3).all(), (sampler, opts, np.abs(est - truth).max())
    return r


@pytest.mark.parametrize("sampler,opts", SAMPLERS)
@pytest.mark.parametrize("seed", [0, 1])
def test_marginals_match_enumeration_on_dense_potts(sampler, opts, seed):
    rng = np.random.default_rng(100 + seed)
    J, b = _random_potts(rng, 5, 3, 0.6)
    _check_marginals(Potts(J, b), rm.potts(J, b), sampler, opts, seed)


@pytest.mark.parametrize("sampler,opts", SAMPLERS)
def test_marginals_match_enumeration_on_a_strongly_coupled_lattice(sampler, opts):
    # coupling 1.5 on a 2 x 3 torus with 3 states: strongly ordered, with a field breaking the symmetry
    b = np.zeros((6, 3))
    b[:, 0] = 0.4
    b[0] = [0.0, 0.8, -0.5]
    model, ref = PottsLattice((2, 3), 3, 1.5, bias=b), rm.potts_lattice((2, 3), 3, 1.5, b)
    _check_marginals(model, ref, sampler, opts, seed=5, n_chains=32, n_steps=4000)


@pytest.mark.parametrize("sampler,opts", [("gwg", {}), ("gibbs", {}), ("random_walk", {}),
                                          ("hamming_ball", {"block_size": 3}), ("block_gibbs", {"scan": "systematic"})])
def test_marginals_on_categorical_and_bernoulli(sampler, opts):
    rng = np.random.default_rng(3)
    L = rng.normal(scale=1.5, size=(6, 4))
    _check_marginals(Categorical(L), rm.categorical(L), sampler, opts, seed=2)
    l1 = rng.normal(size=7)
    _check_marginals(Bernoulli(l1), rm.bernoulli(l1), sampler, opts, seed=3)


def test_records_are_consistent():
    rng = np.random.default_rng(4)
    J, b = _random_potts(rng, 6, 4, 0.5)
    model = Potts(J, b)
    w = rng.normal(size=(6, 4))
    init = rng.integers(0, 4, size=(3, 6))
    r = sample(model, "gwg", 3, 60, thin=3, init=init, seed=1, reference="start", statistic=w,
               record=["samples", "energy", "hamming", "counts"])
    X = r.samples.astype(int)
    assert X.shape == (3, 20, 6) and r.counts.shape == (3, 6, 4)
    np.testing.assert_allclose(r.statistic("energy"), model.log_prob(X.reshape(-1, 6)).reshape(3, 20), atol=1e-9)
    np.testing.assert_array_equal(r.statistic("hamming"), (X != init[:, None, :]).sum(-1))
    np.testing.assert_allclose(r.statistic("statistic"), w[np.arange(6), X].sum(-1), atol=1e-12)
    np.testing.assert_array_equal(r.counts, (X[..., None] == np.arange(4)).sum(1))
    assert np.isfinite(r.ess("hamming")) and "ESS" in r._repr_html_()
    fixed = sample(model, "gwg", 3, 60, thin=3, init=init, seed=1, reference=init[0], record=["samples", "hamming"])
    np.testing.assert_array_equal(fixed.statistic("hamming"), (X != init[0]).sum(-1))


def test_new_records_on_binary_engines():
    # counts, the linear statistic and reference="start" on the quadratic, RBM and numpy engines too
    from ttsolve.mcmc import RBM, UserModel
    rng = np.random.default_rng(2)
    rbm = RBM(rng.normal(scale=0.5, size=(3, 8)), rng.normal(size=8), rng.normal(size=3))
    user = UserModel(8, lambda X: X @ np.arange(8.0) * 0.1, lambda X: np.broadcast_to(np.arange(8.0) * 0.1, X.shape))
    w = rng.normal(size=(8, 2))
    for model, sampler in ((IsingLattice((2, 4), 0.3), "gibbs"), (rbm, "gwg"), (rbm, "block_gibbs"), (user, "gwg")):
        init = rng.integers(0, 2, size=(4, 8))
        r = sample(model, sampler, 4, 30, init=init, seed=3, reference="start", statistic=w,
                   record=["samples", "hamming", "counts"])
        X = r.samples.astype(int)
        np.testing.assert_array_equal(r.statistic("hamming"), (X != init[:, None, :]).sum(-1))
        np.testing.assert_allclose(r.statistic("statistic"), w[np.arange(8), X].sum(-1), atol=1e-12)
        np.testing.assert_array_equal(r.counts, (X[..., None] == np.arange(2)).sum(1))


@pytest.mark.parametrize("sampler,opts", [("gwg", {}), ("gwg", {"n_flips": 2}), ("locally_balanced", {"weight": "min"}),
                                          ("gibbs", {"scan": "random"}), ("hamming_ball", {"block_size": 3}),
                                          ("random_walk", {}), ("block_gibbs", {"scan": "random"}),
                                          ("block_gibbs", {"scan": "systematic", "block_size": 3})])
def test_same_seed_same_chain_any_thread_count(sampler, opts):
    model = PottsLattice((6, 6), 3, 0.4)
    old = get_num_threads()
    runs = []
    try:
        for n in (1, 2, 1):
            set_num_threads(n)
            runs.append(sample(model, sampler, 9, 400, seed=11, record=["samples", "energy", "counts"], **opts))
    finally:
        set_num_threads(old)
    for other in runs[1:]:
        np.testing.assert_array_equal(runs[0].samples, other.samples)
        np.testing.assert_array_equal(runs[0].statistic("energy"), other.statistic("energy"))
        np.testing.assert_array_equal(runs[0].counts, other.counts)
    assert runs[0].acceptance.min() > 0
    assert (sample(model, sampler, 9, 400, seed=12, **opts).samples != runs[0].samples).any()


def test_long_runs_keep_the_incremental_state_exact():
    # many accepted moves (and the periodic recomputation): recorded energy == log_prob
    model = PottsLattice((5, 5), 4, 0.8, bias=np.linspace(-1, 1, 100).reshape(25, 4))
    r = sample(model, "gwg", 2, 20000, thin=997, seed=0, record=["samples", "energy"])
    X = r.samples.reshape(-1, 25)
    np.testing.assert_allclose(r.statistic("energy").ravel(), model.log_prob(X), atol=1e-9)
    np.testing.assert_allclose(r.final_energy, model.log_prob(r.final_state), atol=1e-9)


def test_ctrl_c_returns_the_steps_sampled_so_far():
    model = PottsLattice((30, 30), 4, 0.3)
    timer = threading.Timer(0.5, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    try:
        r = sample(model, "gwg", 4, 10**9 // 4, record="energy", thin=1000)
    finally:
        timer.cancel()
    assert r.interrupted and 0 < r.info["steps_done"] < 10**9 // 4
    assert r.statistic("energy").shape[1] == r.info["steps_done"] // 1000
    assert np.isfinite(r.statistic("energy")).all()


@pytest.mark.parametrize("call,exc,match", [
    (lambda m: sample(m, "gwg", 2, 10, init=np.full((2, 4), 3)), ValueError, "states 0..2"),
    (lambda m: sample(m, "gwg", 2, 10, init=np.zeros((2, 5))), ValueError, "init must have shape"),
    (lambda m: sample(m, "gwg", 2, 10, init=np.full(4, -1)), ValueError, "states 0..2"),
    (lambda m: sample(m, "block_gibbs", 2, 10, block_size=5), ValueError, "block_size must be <= the model's dim"),
    (lambda m: sample(m, "block_gibbs", 2, 10, scan="rbm"), ValueError, "scan must be"),
    (lambda m: sample(m, "random_walk", 2, 10, n_flips=2), ValueError, "n_flips > 1 is only available for"),
    (lambda m: sample(m, "gwg", 2, 10, n_flips=5), ValueError, "n_flips must be <= the model's dim"),
    (lambda m: sample(m, "gwg", 2, 10, record="magnetization"), ValueError, "binary models"),
    (lambda m: sample(m, "gwg", 2, 10, record="statistic"), ValueError, "needs statistic="),
    (lambda m: sample(m, "gwg", 2, 10, statistic=np.zeros((4, 2))), ValueError, r"statistic must have shape \(4, 3\)"),
    (lambda m: sample(m, "gwg", 2, 10, record="hamming", reference="begin"), ValueError, "'start'"),
    (lambda m: sample(m, "gwg", 2, 10, record="hamming", reference=np.full(4, 3)), ValueError, "reference"),
    (lambda m: sample(m, "hamming_ball", 2, 10, block_size=0), ValueError, "block_size"),
])
def test_bad_sample_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call(PottsLattice((2, 2), 3, 0.5))


def test_the_binding_checks_its_arrays():
    m = PottsLattice((2, 2), 3, 0.5)
    indptr, indices, blocks, bias = m.mcmc_backend().arrays
    init = np.zeros((2, 4), np.uint8)
    with pytest.raises(ValueError, match="init states must be in 0..2"):
        _core.mcmc.pair_sample(indptr, indices, blocks, bias, "gwg", 1, 1, init + 3, 5, 0, 1, 0, [], None, None)
    bad = blocks.copy()
    bad[0, 0, 1] = 1.0
    with pytest.raises(ValueError, match="J\\[i, j, a, b\\] = J\\[j, i, b, a\\]"):
        _core.mcmc.pair_sample(indptr, indices, bad, bias, "gwg", 1, 1, init, 5, 0, 1, 0, [], None, None)
    with pytest.raises(ValueError, match="blocks must have shape"):
        _core.mcmc.pair_sample(indptr, indices, blocks[:, :2], bias, "gwg", 1, 1, init, 5, 0, 1, 0, [], None, None)


def test_pairwise_samplers_are_listed():
    single_site = ("gwg", "gibbs", "block_gibbs", "hamming_ball", "random_walk", "locally_balanced")
    assert samplers_for("pairwise")[:6] == single_site


# ---- hypothesis: random small models, every kind, exact rows ----------------------------

KINDS = ["gwg", "locally_balanced_barker", "locally_balanced_max", "locally_balanced_min", "gibbs_random",
         "random_walk", "hamming_ball", "block_gibbs_random"]


@settings(deadline=None, max_examples=40)
@given(D=st.integers(1, 3), K=st.integers(2, 4), scale=st.floats(0.01, 8.0), seed=st.integers(0, 2**31),
       kind=st.sampled_from(KINDS), block=st.integers(1, 3), sparsity=st.floats(0.0, 1.0))
def test_random_small_models_have_exact_rows(D, K, scale, seed, kind, block, sparsity):
    rng = np.random.default_rng(seed)
    J, b = _random_potts(rng, D, K, scale)
    drop = rng.random((D, D)) < sparsity
    drop = drop | drop.T
    J[drop] = 0.0
    model, ref = Potts(J, b), rm.potts(J, b)
    block = min(block, D)
    S = rm.all_states(D, K).astype(np.uint8)
    T = np.array([_core._testing.mcmc_pair_transition_row(*model.mcmc_backend().arrays, kind, block, x, 0) for x in S])
    pi = rm.exact_pi(ref)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)
    want = {"gwg": lambda: rk.gwg(ref), "gibbs_random": lambda: rk.gibbs_random(ref),
            "random_walk": lambda: rk.random_walk(ref), "hamming_ball": lambda: rk.hamming_ball(ref, block),
            "block_gibbs_random": lambda: sum(rk.block_gibbs(ref, range(s, min(s + block, D)))
                                              for s in range(0, D, block)) / -(-D // block)}
    expected = want[kind]() if kind in want else rk.locally_balanced(ref, kind.rsplit("_", 1)[1], mh=True)
    np.testing.assert_allclose(T, expected, atol=1e-12, rtol=0)


@pytest.mark.parametrize("sampler,opts", [("gwg", {})] + [("locally_balanced", {"weight": w})
                                                            for w in ("sqrt", "barker", "max", "min")])
def test_tree_rebuilds_keep_the_acceptance_exact(sampler, opts):
    # At the mode of a very strongly coupled Potts model every move costs ~1500 in f, so
    # leaving it has probability ~exp(-1500). The reverse weight of a trial move overflows
    # the sum tree, which is rebuilt with a new shift: the acceptance must compare the two
    # normalisers at their own shifts (comparing them across shifts accepts these moves).
    D, K = 6, 3
    J = np.zeros((D, D, K, K))
    J[~np.eye(D, dtype=bool)] = 300.0 * np.eye(K)
    model = Potts(J)
    r = sample(model, sampler, 4, 300, init=np.zeros((4, D), int), seed=1, record=["samples", "energy"], **opts)
    assert (r.acceptance == 0).all() and (r.samples == 0).all()
    np.testing.assert_allclose(r.statistic("energy"), 300.0 * D * (D - 1) / 2)
    row = _core._testing.mcmc_pair_transition_row(*model.mcmc_backend().arrays, "gwg", 1, np.zeros(D, np.uint8), 0)
    assert row[0] == 1.0


@pytest.mark.parametrize("kind,n_flips", [("gwg", 1), ("gwg", 2), ("locally_balanced_sqrt", 1),
                                          ("locally_balanced_barker", 1), ("locally_balanced_max", 1),
                                          ("locally_balanced_min", 1), ("gibbs_random", 1), ("random_walk", 1),
                                          ("hamming_ball", 1)])
def test_incremental_state_matches_recomputed(kind, n_flips):
    # gradient table, leaves (multiplicative for sqrt weights) and f after many accepted moves,
    # before the periodic recomputation (at 64 D steps)
    rng = np.random.default_rng(5)
    bias = rng.normal(scale=0.7, size=(64, 4))
    model = PottsLattice((8, 8), 4, 0.6, bias=bias)
    x = rng.integers(0, 4, 64).astype(np.uint8)
    out = _core._testing.mcmc_pair_incremental_check(*model.mcmc_backend().arrays, kind, x, 4000, 3, n_flips)
    assert out["accepted"] > 500
    assert out["field_gap"] < 1e-11 and out["weight_gap"] < 1e-11 and out["energy_gap"] < 1e-9


@pytest.mark.parametrize("sampler,opts,kind,n_flips", [
    ("gwg", {}, "gwg", 1), ("gwg", {"n_flips": 2}, "gwg", 2),
    ("locally_balanced", {"weight": "barker"}, "locally_balanced_barker", 1),
    ("locally_balanced", {"weight": "max"}, "locally_balanced_max", 1),
    ("locally_balanced", {"weight": "min"}, "locally_balanced_min", 1),
    ("gibbs", {"scan": "random"}, "gibbs_random", 1), ("gibbs", {"scan": "systematic"}, "gibbs_systematic", 1),
    ("random_walk", {}, "random_walk", 1), ("random_walk", {"scan": "systematic"}, "random_walk_systematic", 1),
    ("hamming_ball", {"block_size": 2}, "hamming_ball", 1)])
def test_one_step_empirical_matches_the_transition_row(sampler, opts, kind, n_flips):
    # the sampler's actual draws (tree search, conditional draws, Gumbel-max) follow the row
    # the hook builds from the same kernel's proposal and acceptance
    rng = np.random.default_rng(12)
    J, b = _random_potts(rng, 4, 3, 0.8)
    model = Potts(J, b)
    x = np.array([2, 0, 1, 1], dtype=np.uint8)
    row = _core._testing.mcmc_pair_transition_row(*model.mcmc_backend().arrays, kind,
                                                  opts.get("block_size", 1), x, 0, n_flips)
    n = 40000
    r = sample(model, sampler, n, 1, init=x, seed=9, **opts)
    freq = np.bincount(rm.state_index(r.samples[:, 0].astype(int), 3), minlength=row.size) / n
    assert (np.abs(freq - row) <= 5 * np.sqrt(row * (1 - row) / n) + 1e-12).all()
    assert np.count_nonzero(row) >= 3  # the row has mass to compare
