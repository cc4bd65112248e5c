"""Runs of the multi-coordinate gradient samplers through sample(): long-run marginals vs
exact enumeration, adaptation frozen after burn-in, binary quadratic models through the
exact K = 2 conversion, seeds, threads, Ctrl-C and bad input."""

from __future__ import annotations

import signal
import threading

import numpy as np
import pytest

import ttsolve as tts
from gradient_helpers import DensePairwise, random_pairwise
from reference import discrete_models as dm
from ttsolve.mcmc import BinaryQuadratic, FactorialHMM, IsingLattice, UserModel, ess, sample
from ttsolve.mcmc.diagnostics import exact_marginals

# PAS with a fixed even path length on binary states keeps the parity of the number of ones
# (pi-invariant but reducible), so the binary cases below use odd or uniform lengths.
KINDS = [("dmala", {"step_size": 0.6}), ("pas", {"path_length": 3}), ("dlmc", {"t": 0.3}),
         ("dlmc", {"t": 0.3, "solver": "interpolate"}), ("gwg_multi", {}), ("dmala", {"adaptive": True}),
         ("pas", {"path_length": 2, "adaptive": True, "length": "uniform"}), ("dlmc", {"adaptive": True})]


def _marginals_within_ess_bounds(res, pi_marg, K, z=5.0):
    X = res.samples  # (chains, kept, D)
    for k in range(K):
        ind = (X == k).astype(float)
        est = ind.mean(axis=(0, 1))
        for i in range(X.shape[2]):
            p = pi_marg[i, k]
            if p < 1e-3 or p > 1 - 1e-3:
                continue
            n_eff = max(float(ess(ind[:, :, i])), 10.0)
            assert abs(est[i] - p) < z * np.sqrt(p * (1 - p) / n_eff) + 1e-3, (i, k, est[i], p, n_eff)


@pytest.mark.parametrize("kind,options", KINDS, ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_long_run_marginals_match_enumeration_categorical(kind, options):
    rng = np.random.default_rng(11)
    D, K = 4, 3
    J, b = random_pairwise(rng, D, K, coupling=0.7)
    model = DensePairwise(J, b)
    pi = dm.exact_pi(dm.potts(J, b))
    S = dm.all_states(D, K)
    marg = np.stack([np.array([pi[S[:, i] == k].sum() for k in range(K)]) for i in range(D)])
    res = sample(model, kind, n_chains=8, n_steps=3000, burn_in=500, seed=3, **options)
    _marginals_within_ess_bounds(res, marg, K)


@pytest.mark.parametrize("kind,options", KINDS, ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_long_run_marginals_match_enumeration_binary_quadratic(kind, options):
    rng = np.random.default_rng(2)
    J = rng.normal(scale=0.5, size=(5, 5))
    J = J + J.T
    model = BinaryQuadratic(J, rng.normal(size=5))
    res = sample(model, kind, n_chains=8, n_steps=3000, burn_in=500, seed=4, **options)
    p1 = exact_marginals(model)
    _marginals_within_ess_bounds(res, np.stack([1 - p1, p1], axis=1), 2)


@pytest.mark.parametrize("model", [IsingLattice((3, 3), 0.3, bias=0.1), FactorialHMM.synthetic(L=4, K=2, seed=1)[0],
                                   BinaryQuadratic(np.array([[0.5, 1.0, 0.0], [1.0, 0.0, -2.0], [0.0, -2.0, 0.3]]),
                                                   np.array([0.1, -0.2, 0.3]))],
                         ids=["ising", "fhmm", "bqm"])
def test_binary_quadratic_conversion_keeps_f_up_to_a_constant(model):
    res = sample(model, "dmala", n_chains=3, n_steps=200, seed=0, record=["samples", "energy"])
    X = res.samples.reshape(-1, model.dim)
    gap = res.statistic("energy").ravel() - model.log_prob(X)
    assert np.ptp(gap) < 1e-9
    if isinstance(model, IsingLattice):
        assert abs(gap[0]) < 1e-9  # the spin form itself: no constant
    np.testing.assert_allclose(res.final_energy - model.log_prob(res.final_state), gap[0], atol=1e-9)


def test_hamming_and_magnetization_records_are_consistent():
    model = IsingLattice((4, 4), 0.2)
    ref = np.zeros(16, np.uint8)
    ref[::3] = 1
    res = sample(model, "pas", n_chains=2, n_steps=100, seed=1, record=["samples", "hamming", "magnetization"],
                 reference=ref, path_length=3)
    X = res.samples
    np.testing.assert_array_equal(res.statistic("hamming"), (X != ref).sum(-1))
    np.testing.assert_allclose(res.statistic("magnetization"), (2.0 * X - 1).mean(-1))


@pytest.mark.parametrize("kind,option", [("dmala", "step_size"), ("dula", "step_size"), ("dlmc", "t"),
                                         ("pas", "path_length"), ("gwg_multi", "n_flips")])
def test_adaptation_reaches_the_target_and_freezes_after_burn_in(kind, option):
    model = IsingLattice((12, 12), 0.2, bias=0.05)
    kw = dict(n_chains=6, burn_in=1500, seed=5, adaptive=True, record=["samples"])
    short = sample(model, kind, n_steps=10, **kw)
    long = sample(model, kind, n_steps=1500, **kw)
    adapted = long.info["adapted"][option]
    # frozen: the value after burn-in does not depend on how long the kept run is
    np.testing.assert_array_equal(short.info["adapted"][option], adapted)
    np.testing.assert_array_equal(long.samples[:, :10], short.samples)
    start = sample(model, kind, n_steps=0, n_chains=6, burn_in=0, seed=5, record=["samples"])
    default = start.info["adapted"][option]
    assert np.all(adapted != default) or kind in ("pas", "gwg_multi")
    if kind in ("dmala", "dlmc"):
        # kept steps: the fraction that moved is the MH acceptance (proposals hardly ever stay put)
        moved = (np.diff(long.samples.astype(int), axis=1) != 0).any(-1).mean()
        assert abs(moved - 0.574) < 0.1, moved


def test_adapted_kernel_equals_the_fixed_kernel_with_that_scale():
    """After burn-in the adaptive chain is the fixed-step kernel: continuing from its final
    state with the frozen step size, fixed, gives the same acceptance statistics."""
    model = IsingLattice((10, 10), 0.25)
    res = sample(model, "dmala", n_chains=1, n_steps=4000, burn_in=2000, seed=7, adaptive=True, record=["energy"])
    alpha = float(res.info["adapted"]["step_size"][0])
    fixed = sample(model, "dmala", n_chains=1, n_steps=4000, seed=8, init=res.final_state, step_size=alpha)
    assert abs(fixed.acceptance[0] - 0.574) < 0.1


def test_seeded_reproducibility_and_thread_count_invariance():
    rng = np.random.default_rng(0)
    J, b = random_pairwise(rng, 30, 4, coupling=0.3, density=0.2)
    model = DensePairwise(J, b)
    before = tts.get_num_threads()
    try:
        outs = []
        for threads in (1, 2, 3):
            tts.set_num_threads(threads)
            for kind, opts in KINDS:
                outs.append((threads, kind, sample(model, kind, n_chains=5, n_steps=50, burn_in=20, seed=9,
                                                   record=["samples", "energy"], **opts)))
    finally:
        tts.set_num_threads(before)
    n = len(KINDS)
    for j in range(n):
        ref = outs[j][2]
        for k in (j + n, j + 2 * n):
            np.testing.assert_array_equal(outs[k][2].samples, ref.samples)
            np.testing.assert_array_equal(outs[k][2].statistic("energy"), ref.statistic("energy"))
    other = sample(model, "dmala", n_chains=5, n_steps=50, burn_in=20, seed=10)
    assert not np.array_equal(other.samples, outs[0][2].samples)


def test_ctrl_c_returns_the_partial_run():
    model = IsingLattice((20, 20), 0.2)
    timer = threading.Timer(0.3, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    try:
        res = sample(model, "dmala", n_chains=4, n_steps=10**9, thin=10**5, seed=0, record=["energy"])
    finally:
        timer.cancel()
    assert res.interrupted and 0 < res.info["steps_done"] < 10**9
    assert res.statistic("energy").shape[1] == res.info["steps_done"] // 10**5


@pytest.mark.parametrize("kind,options,error,match", [
    ("dmala", {"step_size": 0.0}, ValueError, "step_size"),
    ("dmala", {"step_size": -1.0}, ValueError, "step_size"),
    ("dula", {"step_size": float("nan")}, ValueError, "step_size"),
    ("dlmc", {"t": 0}, ValueError, r"\bt\b"),
    ("dlmc", {"t": float("inf")}, ValueError, r"\bt\b"),
    ("dlmc", {"solver": "euler"}, ValueError, "solver.*'expm', 'interpolate'"),
    ("pas", {"path_length": 0}, ValueError, "path_length"),
    ("pas", {"path_length": 17}, ValueError, "path_length"),
    ("pas", {"length": "poisson"}, ValueError, "length"),
    ("pas", {"path_length": 2.5}, TypeError, "path_length"),
    ("dmala", {"target_acceptance": 1.5}, ValueError, "target_acceptance"),
    ("dmala", {"weight": "cubic"}, ValueError, "weight.*'sqrt'"),
    ("dmala", {"adaptive": "yes"}, TypeError, "adaptive"),
    ("dmala", {"stepsize": 0.1}, TypeError, "valid options: adaptive, step_size, target_acceptance, weight"),
    ("dmala", {"n_flips": 2}, ValueError, "n_flips"),
    ("gwg_multi", {"n_flips": 17}, ValueError, "n_flips"),
])
def test_bad_options_name_the_argument(kind, options, error, match):
    with pytest.raises(error, match=match):
        sample(IsingLattice((4, 4), 0.2), kind, n_chains=2, n_steps=3, **options)


def test_bad_models_and_states():
    # (RBMs run the gradient kinds too: rbm-custom, csrc/mcmc/rbm_gradient*)
    with pytest.raises(ValueError, match="does not run on user models"):
        sample(UserModel(3, lambda X: X.sum(1), lambda X: np.ones_like(X)), "gwg_multi", n_chains=2, n_steps=3)
    J, b = random_pairwise(np.random.default_rng(0), 3, 3)
    with pytest.raises(ValueError, match="init"):
        sample(DensePairwise(J, b), "dmala", n_chains=2, n_steps=3, init=np.full((2, 3), 3))
    J_bad = J.copy()
    J_bad[0, 1, 0, 1] += 1.0
    with pytest.raises(ValueError, match="symmetric|J\\[i, j, a, b\\]"):
        sample(DensePairwise(J_bad, b), "pas", n_chains=2, n_steps=3)
    b_nan = b.copy()
    b_nan[1, 2] = np.nan
    with pytest.raises(ValueError, match="finite"):
        sample(DensePairwise(J, b_nan), "dlmc", n_chains=2, n_steps=3)


@pytest.mark.parametrize("kind,options", KINDS, ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_categorical_models_of_the_pairwise_family(kind, options):
    """The built-in categorical models (ttsolve.mcmc.categorical) run on the gradient engine:
    independent sites against their exact marginals, a small lattice Potts against enumeration."""
    from ttsolve.mcmc import Categorical, PottsLattice

    rng = np.random.default_rng(8)
    model = Categorical(rng.normal(size=(6, 4)))
    res = sample(model, kind, n_chains=6, n_steps=2000, burn_in=300, seed=2, **options)
    _marginals_within_ess_bounds(res, model.marginals(), 4)
    lattice = PottsLattice((2, 3), 3, coupling=0.4, periodic=False)
    pi = dm.exact_pi(dm.potts_lattice((2, 3), 3, 0.4, periodic=False))
    S = dm.all_states(6, 3)
    np.testing.assert_allclose(lattice.log_prob(S) - lattice.log_prob(S)[0],
                               dm.potts_lattice((2, 3), 3, 0.4, periodic=False).log_prob(S)
                               - dm.potts_lattice((2, 3), 3, 0.4, periodic=False).log_prob(S[:1])[0], atol=1e-12)
    marg = np.stack([np.array([pi[S[:, i] == k].sum() for k in range(3)]) for i in range(6)])
    res = sample(lattice, kind, n_chains=6, n_steps=2000, burn_in=300, seed=2, **options)
    _marginals_within_ess_bounds(res, marg, 3)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("kind,options,n_flips", [("dmala", {"step_size": 0.8}, 1), ("dula", {"step_size": 0.8}, 1),
                                                  ("pas", {"path_length": 2}, 1), ("dlmc", {"t": 0.4}, 1),
                                                  ("gwg_multi", {}, 2)])
def test_one_step_moves_follow_the_oracle_rows(K, kind, options, n_flips):
    """From every state, many chains take one step: the empirical moves match the rows of the
    transition matrix the exactness tests check (the sampler draws what the oracle claims)."""
    from gradient_helpers import pairwise_arrays

    D, n = 3, 20000
    J, b = random_pairwise(np.random.default_rng(K), D, K, coupling=0.8)
    model = DensePairwise(J, b)
    T = np.clip(tts._core._testing.mcmc_gradient_transitions_pairwise(*pairwise_arrays(J, b), K, kind, n_flips,
                                                                      options), 0.0, 1.0)
    S = dm.all_states(D, K)
    res = sample(model, kind, n_chains=len(S) * n, n_steps=1, init=np.repeat(S, n, axis=0), seed=1, record=[],
                 n_flips=n_flips, **options)
    idx = dm.state_index(res.final_state.astype(int), K).reshape(len(S), n)
    for x in range(len(S)):
        freq = np.bincount(idx[x], minlength=len(S)) / n
        assert np.all(np.abs(freq - T[x]) < 5 * np.sqrt(T[x] * (1 - T[x]) / n) + 2e-4), x


@pytest.mark.parametrize("kind,options", KINDS, ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_incremental_state_equals_recomputed(kind, options):
    """Pairwise models take the incremental paths (only touched sites updated, refreshed every
    256 steps): the recorded f equals f of the recorded state at every kept step."""
    from ttsolve.mcmc import PottsLattice

    model = PottsLattice((6, 6), 3, coupling=0.6, bias=np.random.default_rng(0).normal(size=(36, 3)))
    res = sample(model, kind, n_chains=3, n_steps=700, burn_in=50, seed=6, record=["samples", "energy"], **options)
    X = res.samples.reshape(-1, 36)
    np.testing.assert_allclose(res.statistic("energy").ravel(), model.log_prob(X), atol=1e-9, rtol=0)
    assert np.all(res.acceptance > 0.0)


@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("kind,options", KINDS, ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_generic_model_path_matches_enumeration(K, kind, options):
    """The template path other models take (RBM, user models: no incremental updates), run on a
    pairwise model seen only through log_prob / grad: long-run marginals vs enumeration, and
    the recorded f equals f of the recorded states."""
    from gradient_helpers import pairwise_arrays
    from ttsolve.mcmc.kernels import resolve

    D = 4
    J, b = random_pairwise(np.random.default_rng(20 + K), D, K, coupling=0.7)
    pi = dm.exact_pi(dm.potts(J, b))
    S = dm.all_states(D, K)
    marg = np.stack([np.array([pi[S[:, i] == k].sum() for k in range(K)]) for i in range(D)])
    kernel = resolve(kind, "pairwise", 1, dict(options))
    init = np.random.default_rng(0).integers(0, K, (8, D), dtype=np.uint8)
    out = tts._core._testing.mcmc_gradient_sample_generic("pairwise", pairwise_arrays(J, b), K, kind, 1,
                                                          dict(kernel.params), init, 3000, 500, 1, 3,
                                                          ["samples", "energy"], None, None)
    samples = np.asarray(out["samples"])
    model = DensePairwise(J, b)
    np.testing.assert_allclose(np.asarray(out["energy"]).ravel(), model.log_prob(samples.reshape(-1, D)), atol=1e-9)

    class _Res:
        pass

    res = _Res()
    res.samples = samples
    _marginals_within_ess_bounds(res, marg, K)



@pytest.mark.parametrize("K", [2, 4, 9])
@pytest.mark.parametrize("kind,options", [("dmala", {"step_size": 0.4}), ("dula", {"step_size": 0.3}),
                                          ("dmala", {"adaptive": True, "weight": "barker"}),
                                          ("dmala", {"step_size": 3.0, "weight": "max"})],
                         ids=lambda v: v if isinstance(v, str) else "-".join(map(str, v.values())))
def test_independent_site_path_gives_the_incremental_chain(K, kind, options):
    """Models without couplings (Categorical, Bernoulli) run the tabulated independent-site step
    (csrc/mcmc/gradient_independent.hpp, K <= 8) once the scale is fixed; the same model with one
    stored coupling too small to change any double (1e-300) runs the incremental step. The two
    give the same chain bit for bit (same words, same factors), adaptive runs included
    (incremental during burn-in, then tabulated). The coupled twin's MH product has two extra
    equal factors (its neighbour sites), so this holds where log acceptance is not a rounding
    residue of 0 (not DLMC, whose ratio is exactly 1 on independent sites: next test)."""
    from ttsolve.mcmc import Bernoulli, Categorical, Potts

    rng = np.random.default_rng(K)
    D = 40
    logits = 1.5 * rng.normal(size=(D, K))
    if K == 2:
        logits[:, 0] = 0.0
    indep = Bernoulli(logits[:, 1]) if K == 2 else Categorical(logits)
    J = np.zeros((D, D, K, K))
    J[0, 1, 1, 1] = J[1, 0, 1, 1] = 1e-300  # where the fields are nonzero (b[:, 0] = 0 for K = 2)
    coupled = Potts(J, logits)
    assert indep.indices.size == 0 and coupled.indices.size == 2
    a, b = (sample(m, kind, n_chains=3, n_steps=400, burn_in=60, thin=2, seed=9, reference="start",
                   record=["samples", "energy", "hamming"], **options) for m in (indep, coupled))
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.statistic("energy"), b.statistic("energy"))
    np.testing.assert_array_equal(a.statistic("hamming"), b.statistic("hamming"))
    np.testing.assert_array_equal(a.acceptance, b.acceptance)
    assert 0.0 < a.acceptance.min()
    X = a.samples.reshape(-1, D)
    np.testing.assert_allclose(a.statistic("energy").ravel(), indep.log_prob(X), atol=1e-9, rtol=0)


@pytest.mark.parametrize("K", [2, 3, 8])
@pytest.mark.parametrize("options", [{"t": 0.4}, {"t": 20.0, "solver": "interpolate"},
                                     {"adaptive": True, "weight": "barker"}], ids=lambda v: "-".join(map(str, v.values())))
def test_independent_site_dlmc_marginals(K, options):
    """DLMC on the tabulated independent-site path: kept marginals agree with the exact
    softmax(logits) within ESS bounds, recorded f and Hamming distance agree with the states."""
    from ttsolve.mcmc import Bernoulli, Categorical

    rng = np.random.default_rng(10 + K)
    logits = rng.normal(size=(12, K))
    if K == 2:
        logits[:, 0] = 0.0
    model = Bernoulli(logits[:, 1]) if K == 2 else Categorical(logits)
    ref = rng.integers(0, K, size=12).astype(np.uint8)
    res = sample(model, "dlmc", n_chains=4, n_steps=3000, burn_in=100, seed=3, reference=ref,
                 record=["samples", "energy", "hamming"], **options)
    _marginals_within_ess_bounds(res, model.marginals(), K)
    X = res.samples.reshape(-1, 12)
    np.testing.assert_allclose(res.statistic("energy").ravel(), model.log_prob(X), atol=1e-9, rtol=0)
    np.testing.assert_array_equal(res.statistic("hamming").ravel(), (X != ref).sum(1))


def test_burn_in_is_timed_apart():
    """Compiled engines time burn-in on its own (drive ends a chunk at burn-in): 0 <
    info["burn_in_seconds"] < seconds with burn-in, 0 without."""
    from ttsolve.mcmc import Bernoulli

    model = Bernoulli(np.random.default_rng(0).normal(size=50))
    a = sample(model, "dmala", n_chains=2, n_steps=300, burn_in=200, seed=4, adaptive=True, record=["samples"])
    assert 0.0 < a.info["burn_in_seconds"] < a.seconds
    b = sample(model, "dmala", n_chains=2, n_steps=300, seed=4, record=[])
    assert b.info["burn_in_seconds"] == 0.0 and b.seconds > 0.0
