"""The persistent compiled PCD chains (_core.learn.QuadPcdChains, ttsolve.mcmc.learn_chains)."""

import numpy as np
import pytest
import scipy.sparse as sp
from reference import learning as ref

from ttsolve import _core
from ttsolve.mcmc.learn import fit_pcd


def _pattern(mask):
    P = sp.csr_matrix(mask.astype(float))
    P.sort_indices()
    return P.indptr.astype(np.int64), P.indices.astype(np.int64)


def _sym(rng, D, scale):
    A = scale * rng.standard_normal((D, D))
    A = A + A.T
    np.fill_diagonal(A, 0.0)
    return A


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize("kind", ["gwg", "gibbs_systematic", "locally_balanced_barker"])
def test_chains_follow_new_parameters_to_the_exact_moments(dense, kind):
    """Start at J0, set J1 in place, advance: the chain moments are those of J1 (enumeration).
    Dense patterns refresh the fields by GEMM, sparse ones through the CSR rows."""
    rng = np.random.default_rng(0)
    D, n = 6, 3000
    mask = ~np.eye(D, dtype=bool) if dense else (ref.lattice_adjacency((2, 3)) != 0)
    indptr, indices = _pattern(mask)
    J0, J1 = _sym(rng, D, 0.3) * mask, _sym(rng, D, 0.12) * mask
    h0, h1 = rng.standard_normal(D), 0.5 * rng.standard_normal(D)
    init = rng.integers(0, 2, (n, D), dtype=np.uint8)
    chains = _core.learn.QuadPcdChains(indptr, indices, J0[mask], h0, kind, 1, 1, init, 7)
    chains.advance(20)
    chains.set_parameters(J1[mask], h1)
    chains.advance(300)
    m1, m2 = chains.moments(True)
    e1, e2, _ = ref.ising_moments(J1, h1)
    np.testing.assert_array_less(np.abs(m1 - e1), 5.0 / np.sqrt(n))
    np.testing.assert_array_less(np.abs(m2 - e2), 5.0 / np.sqrt(n))
    assert np.abs(m1 - ref.ising_moments(J0, h0)[0]).max() > 5.0 / np.sqrt(n)  # J0's moments differ


def test_systematic_scan_resumes_across_updates():
    """Three steps per update on six sites: a scan restarted per update would never visit 3..5."""
    D, n = 6, 2000
    indptr, indices = _pattern(~np.eye(D, dtype=bool))
    init = np.zeros((n, D), dtype=np.uint8)
    chains = _core.learn.QuadPcdChains(indptr, indices, np.zeros(D * (D - 1)), np.zeros(D), "gibbs_systematic",
                                       1, 1, init, 0)
    chains.advance(3)
    chains.set_parameters(np.zeros(D * (D - 1)), np.zeros(D))
    chains.advance(3)
    changed = chains.states().mean(0)  # at J = 0, h = 0 a visited site is 1 with probability 1/2
    np.testing.assert_array_less(np.abs(changed - 0.5), 5.0 * 0.5 / np.sqrt(n))


def test_chains_refuse_bad_parameters_and_keep_their_state():
    D = 4
    indptr, indices = _pattern(~np.eye(D, dtype=bool))
    chains = _core.learn.QuadPcdChains(indptr, indices, np.zeros(12), np.zeros(D), "gwg", 1, 1,
                                       np.zeros((5, D), dtype=np.uint8), 0)
    with pytest.raises(ValueError, match="finite"):
        chains.set_parameters(np.full(12, np.nan), np.zeros(D))
    with pytest.raises(ValueError, match="weights"):
        chains.set_parameters(np.zeros(11), np.zeros(D))
    with pytest.raises(ValueError, match="init"):
        _core.learn.QuadPcdChains(indptr, indices, np.zeros(12), np.zeros(D), "gwg", 1, 1,
                                  np.full((5, D), 2, dtype=np.uint8), 0)
    with pytest.raises(ValueError):
        _core.learn.QuadPcdChains(indptr, indices, np.zeros(12), np.zeros(D), "block_gibbs", 1, 1,
                                  np.zeros((5, D), dtype=np.uint8), 0)
    assert chains.advance(10) >= 0.0 and chains.states().shape == (5, D)


@pytest.mark.parametrize("family", ["ising", "binary_quadratic"])
def test_persistent_and_per_update_sampling_estimate_the_same_gradient(family):
    """One SGD step at unit rate from the same start is the PCD gradient: both chain paths
    agree with each other within the chain-count bound (both unbiased, independent streams)."""
    rng = np.random.default_rng(3)
    D, n = 5, 3000
    data = rng.integers(0, 2, (80, D))
    steps = []
    for persistent in (True, False):
        _, h = fit_pcd(family, data, sampler="gwg", n_chains=n, steps_per_update=300, n_updates=1,
                       learning_rate=1.0, optimizer="sgd", seed=1, pl_every=1, persistent_chains=persistent)
        steps.append(h.params["J"])
    # Each entry is a difference of two independent means of n values in [-1, 1].
    np.testing.assert_array_less(np.abs(steps[0] - steps[1]), 5.0 * np.sqrt(2.0 / n))
