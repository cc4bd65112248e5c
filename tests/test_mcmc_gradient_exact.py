"""Exactness of the multi-coordinate gradient kernels (dmala, dula, pas, dlmc, gwg_multi).

The compiled oracle builds the full one-step transition matrix T from the kernel's own
proposal tables and MH acceptance (csrc/testing/gradient_transitions.cpp); here
pi T = pi to 1e-12 for the exact kinds, T equals the independent numpy reference
(tests/reference/discrete_kernels.py), and DULA is biased where DMALA is not.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference import discrete_kernels as dk
from reference import discrete_models as dm
from gradient_helpers import pairwise_arrays, random_pairwise
from ttsolve import _core

EXACT = 1e-12
T_pair = _core._testing.mcmc_gradient_transitions_pairwise
T_onehot = _core._testing.mcmc_gradient_transitions_onehot

# (kind, options, n_flips, reference T(model)) -- every balancing function, both DLMC solvers,
# fixed and uniform PAS lengths
CASES = [
    ("dmala", {"step_size": 0.3}, 1, lambda m: dk.dmala(m, 0.3)),
    ("dmala", {"step_size": 2.0, "weight": "barker"}, 1, lambda m: dk.dmala(m, 2.0, "barker")),
    ("dmala", {"step_size": 1.0, "weight": "max"}, 1, lambda m: dk.dmala(m, 1.0, "max")),
    ("dmala", {"step_size": 1.0, "weight": "min"}, 1, lambda m: dk.dmala(m, 1.0, "min")),
    ("dula", {"step_size": 0.7}, 1, lambda m: dk.dula(m, 0.7)),
    ("pas", {"path_length": 1}, 1, lambda m: dk.pas(m, 1)),
    ("pas", {"path_length": 2}, 1, lambda m: dk.pas(m, 2)),
    ("pas", {"path_length": 3, "length": "uniform", "weight": "barker"}, 1,
     lambda m: dk.pas(m, balance="barker", length_probs=[1 / 3] * 3)),
    ("dlmc", {"t": 0.2}, 1, lambda m: dk.dlmc(m, 0.2)),
    ("dlmc", {"t": 1.5, "weight": "barker"}, 1, lambda m: dk.dlmc(m, 1.5, "barker")),
    ("dlmc", {"t": 0.5, "solver": "interpolate"}, 1, lambda m: dk.dlmc(m, 0.5, solver="interpolate")),
    ("dlmc", {"t": 0.9, "solver": "interpolate", "weight": "barker"}, 1,
     lambda m: dk.dlmc(m, 0.9, "barker", solver="interpolate")),
    ("dlmc", {"t": 2.0, "solver": "interpolate", "weight": "max"}, 1,
     lambda m: dk.dlmc(m, 2.0, "max", solver="interpolate")),
    ("dlmc", {"t": 0.1, "solver": "interpolate", "weight": "min"}, 1,
     lambda m: dk.dlmc(m, 0.1, "min", solver="interpolate")),
    ("gwg_multi", {}, 1, lambda m: dk.gwg(m)),
    ("gwg_multi", {"weight": "max"}, 2, None),
    ("gwg_multi", {}, 3, None),
]
SHAPES = [(4, 2), (3, 3), (2, 4)]  # (D, K)


def _check_stochastic(T):
    assert np.all(T >= -1e-13)  # the diagonal is 1 - (off-diagonal sum)
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-13)


@pytest.mark.parametrize("D,K", SHAPES)
@pytest.mark.parametrize("kind,options,n_flips,reference", CASES, ids=lambda c: str(c) if isinstance(c, str) else None)
def test_pairwise_kernels_are_exact_and_equal_the_reference(D, K, kind, options, n_flips, reference):
    if max(options.get("path_length", 1), n_flips) > D:
        pytest.skip("path longer than the model")
    rng = np.random.default_rng(D * 10 + K)
    for scale in (0.3, 1.5):
        J, b = random_pairwise(rng, D, K, coupling=scale, field=scale)
        model = dm.potts(J, b)
        pi = dm.exact_pi(model)
        T = T_pair(*pairwise_arrays(J, b), K, kind, n_flips, options)
        _check_stochastic(T)
        err = dk.stationarity_error(T, pi)
        if kind == "dula":
            assert err > 1e-4  # DULA is biased on these models
        else:
            assert err < EXACT
        if reference is not None:
            np.testing.assert_allclose(T, reference(model), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kind,options,n_flips,reference", CASES, ids=lambda c: str(c) if isinstance(c, str) else None)
def test_within_site_terms_gradient_only_first_order(kind, options, n_flips, reference):
    """quadratic_onehot with within-site blocks: d[i, k] is not the exact change of f, the MH
    correction (using the exact f) still makes the kernel exact."""
    rng = np.random.default_rng(5)
    D, K = 3, 3
    A = rng.normal(scale=0.8, size=(D * K, D * K))
    A = 0.5 * (A + A.T)
    bvec = rng.normal(size=D * K)
    model = dm.quadratic_onehot(A, bvec, K)
    S = dm.all_states(D, K)
    assert np.abs(dm.exact_local_differences(model, S) - dm.gradient_differences(model, S)).max() > 0.1
    T = T_onehot(A, bvec, K, kind, n_flips, options)
    _check_stochastic(T)
    err = dk.stationarity_error(T, dm.exact_pi(model))
    assert err > 1e-4 if kind == "dula" else err < EXACT
    if reference is not None:
        np.testing.assert_allclose(T, reference(model), rtol=0, atol=1e-12)


def test_dula_is_biased_where_dmala_is_not():
    rng = np.random.default_rng(1)
    J, b = random_pairwise(rng, 4, 2, coupling=1.0)
    model = dm.potts(J, b)
    pi = dm.exact_pi(model)
    arrays = pairwise_arrays(J, b)
    T_dula = T_pair(*arrays, 2, "dula", 1, {"step_size": 1.0})
    T_dmala = T_pair(*arrays, 2, "dmala", 1, {"step_size": 1.0})
    assert dk.stationarity_error(T_dmala, pi) < EXACT
    # DULA's own stationary distribution is measurably off pi
    w, V = np.linalg.eig(T_dula.T)
    pi_dula = np.real(V[:, np.argmin(np.abs(w - 1))])
    pi_dula /= pi_dula.sum()
    assert np.abs(pi_dula - pi).max() > 1e-2
    # ... and the bias shrinks with the step size (the unadjusted chain's O(alpha) error)
    T_small = T_pair(*arrays, 2, "dula", 1, {"step_size": 0.05})
    assert dk.stationarity_error(T_small, pi) < dk.stationarity_error(T_dula, pi)


def test_dlmc_binary_closed_form_equals_the_matrix_exponential():
    """K = 2: the closed form the kernel uses equals the reference's exp(t Q) and DISCS's
    interpolate form (both exact for two states)."""
    rng = np.random.default_rng(3)
    J, b = random_pairwise(rng, 4, 2, coupling=2.0, field=2.0)
    model = dm.potts(J, b)
    arrays = pairwise_arrays(J, b)
    for t in (0.01, 0.3, 5.0):
        for weight in ("sqrt", "barker", "max", "min"):
            T = T_pair(*arrays, 2, "dlmc", 1, {"t": t, "weight": weight})
            np.testing.assert_allclose(T, dk.dlmc(model, t, weight), atol=1e-12, rtol=0)
            np.testing.assert_allclose(T, dk.dlmc(model, t, weight, solver="interpolate"), atol=1e-12, rtol=0)


@settings(deadline=None, max_examples=25)
@given(seed=st.integers(0, 2**31), D=st.integers(1, 4), K=st.integers(2, 4),
       kind=st.sampled_from(["dmala", "pas", "dlmc", "gwg_multi"]),
       weight=st.sampled_from(["sqrt", "barker", "max", "min"]), scale=st.floats(0.05, 3.0),
       magnitude=st.floats(0.0, 3.0))
def test_random_models_stationary(seed, D, K, kind, weight, scale, magnitude):
    if K ** D > 256:
        K = 2
    rng = np.random.default_rng(seed)
    J, b = random_pairwise(rng, D, K, coupling=magnitude, field=magnitude, density=0.7)
    options = {"weight": weight}
    n_flips = 1
    if kind == "dmala":
        options["step_size"] = scale
    elif kind == "dlmc":
        options["t"] = scale
        options["solver"] = "interpolate" if rng.random() < 0.5 else "expm"
    elif kind == "pas":
        options["path_length"] = int(rng.integers(1, D + 1))
    else:
        n_flips = int(rng.integers(1, min(3, D) + 1))
    T = T_pair(*pairwise_arrays(J, b), K, kind, n_flips, options)
    _check_stochastic(T)
    assert dk.stationarity_error(T, dm.exact_pi(dm.potts(J, b))) < EXACT


@pytest.mark.parametrize("weight", ["sqrt", "barker", "max", "min"])
def test_dlmc_interpolate_with_extreme_differences(weight):
    # gradient differences of +-hundreds: the E_k = e^{d_k - m} form (K exps, no log) keeps
    # the reference's probabilities where exp(d) and the stay probability underflow
    rng = np.random.default_rng(11)
    for field in (30.0, 60.0, 300.0):
        J, b = random_pairwise(rng, 2, 3, coupling=1.0, field=field)
        T = T_pair(*pairwise_arrays(J, b), 3, "dlmc", 1, {"t": 0.7, "weight": weight, "solver": "interpolate"})
        assert np.isfinite(T).all()
        _check_stochastic(T)
        assert dk.stationarity_error(T, dm.exact_pi(dm.potts(J, b))) < EXACT
        if field < 100:  # the numpy reference's rate / nu itself overflows beyond
            np.testing.assert_allclose(T, dk.dlmc(dm.potts(J, b), 0.7, weight, solver="interpolate"), atol=1e-12,
                                       rtol=0)
