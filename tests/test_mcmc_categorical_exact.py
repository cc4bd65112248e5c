"""Categorical (pairwise) kernels: the compiled kernel's own one-step transition matrix is
pi-invariant and equals the independent numpy reference (tests/reference/discrete_kernels.py)."""

import itertools

import numpy as np
import pytest

from reference import discrete_kernels as rk
from reference import discrete_models as rm
from ttsolve import _core
from ttsolve.mcmc import Bernoulli, Categorical, Potts, PottsLattice

BALANCE = {"locally_balanced_sqrt": "sqrt", "locally_balanced_barker": "barker", "locally_balanced_max": "max",
           "locally_balanced_min": "min"}
PROPOSAL_KINDS = ["gwg", *BALANCE]
ALL_KINDS = [*PROPOSAL_KINDS, "gibbs_random", "gibbs_systematic", "random_walk", "random_walk_systematic",
             "hamming_ball"]


def matrix(model, kind, block_size=1, site=0):
    """T[x, y] from the compiled kernel's own rows, states in the order of rm.all_states."""
    S = rm.all_states(model.dim, model.n_states).astype(np.uint8)
    arrays = model.mcmc_backend().arrays
    return np.array([_core._testing.mcmc_pair_transition_row(*arrays, kind, block_size, x, site) for x in S])


def reference_matrix(ref, kind, block_size=1, site=0):
    if kind == "gwg":
        return rk.gwg(ref, "sqrt")
    if kind in BALANCE:
        return rk.locally_balanced(ref, BALANCE[kind], mh=True)
    if kind == "gibbs_random":
        return rk.gibbs_random(ref)
    if kind == "gibbs_systematic":
        return rk.gibbs_site(ref, site)
    if kind == "random_walk":
        return rk.random_walk(ref)
    if kind == "random_walk_systematic":  # one site's kernel: the MH move of that site
        S, lp = rk._space(ref)
        D, K = ref.n_sites, ref.n_states
        diff = S[:, None, :] != S[None, :, :]
        only = diff[:, :, site] & (diff.sum(-1) == 1)
        with np.errstate(divide="ignore"):
            return rk.mh_matrix(lp, np.where(only, -np.log(K - 1), -np.inf))
    if kind == "hamming_ball":
        return rk.hamming_ball(ref, block_size)
    raise KeyError(kind)


def models(seed=0, scale=1.0):
    """(ttsolve model, reference model) pairs: dense Potts, lattice Potts, categorical, Bernoulli."""
    rng = np.random.default_rng(seed)
    yield _potts_pair(rng, 3, 3, scale)
    yield _potts_pair(rng, 4, 2, scale)
    b = rng.normal(scale=scale, size=(4, 3))
    yield PottsLattice((2, 2), 3, 0.8 * scale, bias=b, periodic=True), rm.potts_lattice((2, 2), 3, 0.8 * scale, b)
    yield PottsLattice((4,), 3, -0.6 * scale, periodic=False), rm.potts_lattice((4,), 3, -0.6 * scale,
                                                                                periodic=False)
    L = rng.normal(scale=scale, size=(3, 4))
    yield Categorical(L), rm.categorical(L)
    l1 = rng.normal(scale=scale, size=5)
    yield Bernoulli(l1), rm.bernoulli(l1)


def _potts_pair(rng, D, K, scale):
    J = rng.normal(scale=scale, size=(D, D, K, K))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(D), np.arange(D)] = 0.0
    b = rng.normal(scale=scale, size=(D, K))
    return Potts(J, b), rm.potts(J, b)


def _check(model, ref, kind, block_size=1, site=0):
    pi = rm.exact_pi(ref)
    T = matrix(model, kind, block_size, site)
    np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
    assert (T >= -1e-15).all()
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)
    np.testing.assert_allclose(T, reference_matrix(ref, kind, block_size, site), atol=1e-12, rtol=0)
    return T, pi


@pytest.mark.parametrize("kind", [k for k in ALL_KINDS if k not in ("hamming_ball", "gibbs_systematic",
                                                                        "random_walk_systematic")])
@pytest.mark.parametrize("scale", [0.3, 1.0, 4.0])
def test_transition_matrix_is_stationary_and_equals_the_reference(kind, scale):
    for model, ref in models(seed=int(10 * scale), scale=scale):
        T, pi = _check(model, ref, kind)
        F = pi[:, None] * T  # every one of these kernels is reversible
        np.testing.assert_allclose(F, F.T, atol=1e-12, rtol=0)


@pytest.mark.parametrize("kind", ["gibbs_systematic", "random_walk_systematic"])
def test_systematic_site_kernels(kind):
    for model, ref in models(seed=3):
        for site in range(model.dim):
            _check(model, ref, kind, site=site)


@pytest.mark.parametrize("block_size", [1, 2, 3])
def test_hamming_ball_transition_matrix(block_size):
    for model, ref in models(seed=4):
        _check(model, ref, "hamming_ball", min(block_size, model.dim))


def test_strong_couplings_keep_the_acceptance_exact():
    # weights spanning hundreds of orders of magnitude: the kernel's rows stay exact (the
    # normalisers are compared at their shifts when a trial move forces a tree rebuild)
    rng = np.random.default_rng(7)
    for kind in PROPOSAL_KINDS:
        model, ref = _potts_pair(rng, 3, 3, 60.0)
        pi = rm.exact_pi(ref)
        T = matrix(model, kind)
        np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)


def test_the_check_can_fail():
    (m1, r1), (_, r2) = next(models(seed=1)), next(models(seed=2))
    T = matrix(m1, "gwg")
    pi2 = rm.exact_pi(r2)
    assert np.abs(pi2 @ T - pi2).max() > 1e-3
    assert np.abs(T - reference_matrix(r1, "locally_balanced_max")).max() > 1e-3


def test_bad_hook_input():
    m = Categorical(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="x states"):
        _core._testing.mcmc_pair_transition_row(*m.mcmc_backend().arrays, "gwg", 1, np.array([0, 2, 0], np.uint8), 0)
    for kind in ("block_gibbs", "dmala"):
        with pytest.raises(ValueError, match="does not run on the pairwise single-site engine"):
            _core._testing.mcmc_pair_transition_row(*m.mcmc_backend().arrays, kind, 1, np.zeros(3, np.uint8), 0)


def multi_move_gwg_reference(ref, n_flips):
    """Categorical GWG with n i.i.d. draws of (site, state) from softmax(d / 2) at x: a site drawn
    with two different states is a stay; otherwise the drawn sites move once, and MH uses the
    reverse draws (the same sites back to x's states) under the proposal at y."""
    D, K = ref.n_sites, ref.n_states
    S = rm.all_states(D, K)
    lp = ref.log_prob(S)
    logits = np.where(np.arange(K) == S[:, :, None], -np.inf, rm.gradient_differences(ref, S) / 2).reshape(len(S), -1)
    log_q = logits - np.logaddexp.reduce(logits, axis=1, keepdims=True)
    T = np.zeros((len(S), len(S)))
    for x in range(len(S)):
        for seq in itertools.product(range(D * K), repeat=n_flips):
            fwd = sum(log_q[x, a] for a in seq)
            if fwd == -np.inf:
                continue
            moves = {}
            if any(moves.setdefault(a // K, a % K) != a % K for a in seq):
                T[x, x] += np.exp(fwd)
                continue
            y_state = S[x].copy()
            for site, k in moves.items():
                y_state[site] = k
            y = int(rm.state_index(y_state, K))
            rev = sum(log_q[y, (a // K) * K + S[x, a // K]] for a in seq)
            acc = np.exp(min(0.0, lp[y] - lp[x] + rev - fwd))
            T[x, y] += np.exp(fwd) * acc
            T[x, x] += np.exp(fwd) * (1 - acc)
    return T


@pytest.mark.parametrize("n_flips", [2, 3])
def test_multi_move_gwg_is_exact(n_flips):
    rng = np.random.default_rng(n_flips)
    cases = [_potts_pair(rng, 3, 2, 1.0), _potts_pair(rng, 2, 3, 2.0),
             (PottsLattice((3,), 3, 0.9, periodic=False), rm.potts_lattice((3,), 3, 0.9, periodic=False))]
    for model, ref in cases:
        S = rm.all_states(model.dim, model.n_states).astype(np.uint8)
        T = np.array([_core._testing.mcmc_pair_transition_row(*model.mcmc_backend().arrays, "gwg", 1, x, 0, n_flips)
                      for x in S])
        pi = rm.exact_pi(ref)
        np.testing.assert_allclose(T.sum(1), 1.0, atol=1e-12)
        np.testing.assert_allclose(pi @ T, pi, atol=1e-12, rtol=0)
        np.testing.assert_allclose(T, multi_move_gwg_reference(ref, n_flips), atol=1e-12, rtol=0)
        F = pi[:, None] * T
        np.testing.assert_allclose(F, F.T, atol=1e-12, rtol=0)
