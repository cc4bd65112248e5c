"""bench/discrete_models.py: ttsolve (and the torch peer) run EXACTLY DISCS's classical models.

Needs jax (+ flax, ml_collections) and a DISCS checkout ($DISCS_PATH, default
/work/peers/google-research+discs); skipped otherwise. For every model, log-probability
differences between random states (and states one site away) agree with DISCS's own
``forward`` evaluated in float64 to 1e-9; the neutral spec's numpy f agrees too, and a
deliberately wrong ttsolve model is caught (the check can fail).
"""

import os
import sys

import numpy as np
import pytest

pytest.importorskip("jax")
pytest.importorskip("flax")
pytest.importorskip("ml_collections")

DISCS = os.environ.get("DISCS_PATH", "/work/peers/google-research+discs")
if not os.path.isdir(os.path.join(DISCS, "discs")):
    pytest.skip("no DISCS checkout ($DISCS_PATH)", allow_module_level=True)

# appended, not prepended: bench/distributed.py must not shadow dask's `distributed` for later test modules
sys.path.append(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench"))

import discrete_models as dm  # noqa: E402

SMALL = ["bernoulli-2000", "categorical-2000x4", "ising-50x50", "potts-10x10x3", "potts-50x50x4", "rbm-784x500",
         "fhmm-200x50"]


@pytest.fixture(scope="module", params=SMALL)
def built(request):
    model, params = dm.discs_model(request.param, seed=0, discs_path=DISCS)
    return request.param, model, params, dm.spec_from_discs(request.param, params)


def _diffs(a):
    a = np.asarray(a, dtype=np.float64)
    return a - a[0]


def test_spec_log_prob_matches_discs_forward(built):
    name, model, params, spec = built
    X = dm.random_states(spec, 12, seed=5)
    ref = dm.discs_log_prob64(model, params, X, spec)
    assert np.ptp(ref) > 1.0  # the states differ in f: the comparison is not vacuous
    np.testing.assert_allclose(_diffs(dm.spec_log_prob(spec, X)), _diffs(ref), rtol=0, atol=1e-9)


def test_ttsolve_model_matches_discs_to_1e9(built):
    name, model, params, spec = built
    try:
        ours = dm.ttsolve_model(spec)
    except dm.NotAvailable as exc:
        pytest.skip(f"this ttsolve has no {exc}")
    for seed in (0, 1):
        assert dm.verify(spec, model, params, ours, n=16, seed=seed) <= 1e-9


def test_verify_catches_a_wrong_model():
    model, params = dm.discs_model("ising-50x50", seed=0, discs_path=DISCS)
    spec = dm.spec_from_discs("ising-50x50", params)
    wrong = dict(spec, lam=spec["lam"] * 2.0)  # ttsolve coupling lambda instead of lambda / 2
    assert dm.verify(spec, model, params, dm.ttsolve_model(wrong)) > 1.0
    periodic = dm._mcmc().IsingLattice(spec["shape"], spec["lam"] / 2, bias=-spec["b"].reshape(-1), periodic=True)
    assert dm.verify(spec, model, params, periodic) > 1e-3


def test_discs_ising_int_states_drop_the_coupling_and_the_shim_restores_it():
    """DISCS's Ising forward on int32 states truncates the neighbour messages to 0 (its own code);
    discs_runner's shim casts to float first, so every DISCS sampler sees the real model."""
    import jax.numpy as jnp

    model, params = dm.discs_model("ising-50x50", seed=0, discs_path=DISCS)
    spec = dm.spec_from_discs("ising-50x50", params)
    X = dm.random_states(spec, 4, seed=2).reshape(4, 50, 50).astype(np.int32)
    with pytest.warns(FutureWarning, match="cannot safely cast"):  # JAX itself flags the truncation
        raw = np.asarray(model.forward_int_truncating(params, jnp.asarray(X)), dtype=np.float64)
    fixed = np.asarray(model.forward(params, jnp.asarray(X)), dtype=np.float64)
    field_only = dm.spec_log_prob(dict(spec, lam=0.0), X.reshape(4, -1))
    full = dm.spec_log_prob(spec, X.reshape(4, -1))
    np.testing.assert_allclose(raw, field_only, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(fixed, full, rtol=1e-5, atol=1e-3)
    assert np.max(np.abs(full - field_only)) > 1.0


def test_torch_peer_model_and_local_differences(built):
    torch = pytest.importorskip("torch")
    name, model, params, spec = built
    tm = dm.torch_model(spec, "float64")
    X = dm.random_states(spec, 6, seed=3)
    x = torch.as_tensor(X, dtype=torch.long)
    np.testing.assert_allclose(_diffs(tm.log_prob(x).numpy()), _diffs(dm.discs_log_prob64(model, params, X, spec)),
                               rtol=0, atol=1e-9)
    ld = tm.local_diff(x).numpy()
    rng = np.random.default_rng(0)
    for i in rng.choice(spec["dim"], 4, replace=False):
        for k in range(spec["n_states"]):
            y = x.clone()
            y[:, i] = k
            np.testing.assert_allclose(ld[:, i, k], (tm.log_prob(y) - tm.log_prob(x)).numpy(), rtol=0, atol=1e-9)


def test_equilibrate_shapes_ranges_and_seed():
    model, params = dm.discs_model("potts-10x10x3", seed=0, discs_path=DISCS)
    spec = dm.spec_from_discs("potts-10x10x3", params)
    a = dm.equilibrate(spec, 5, seed=1, sweeps=3)
    assert a.shape == (5, 100) and a.dtype == np.uint8 and a.max() < 3
    np.testing.assert_array_equal(a, dm.equilibrate(spec, 5, seed=1, sweeps=3))
    # equilibrated states have higher f than uniform random ones (the sampler moves toward the mode)
    eq = dm.spec_log_prob(spec, dm.equilibrate(spec, 20, seed=2, sweeps=30)).mean()
    assert eq > dm.spec_log_prob(spec, dm.random_states(spec, 20, seed=2)).mean()


def test_equilibrate_independent_sites_are_exact_draws():
    model, params = dm.discs_model("categorical-2000x4", seed=0, discs_path=DISCS)
    spec = dm.spec_from_discs("categorical-2000x4", params)
    X = dm.equilibrate(spec, 400, seed=0)
    p = np.exp(spec["theta"] - spec["theta"].max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    freq = np.stack([(X == k).mean(0) for k in range(4)], 1)
    # mean over 2000 sites of the squared z-score of 400 draws: about 1 when exact
    z2 = ((freq - p) ** 2 / np.maximum(p * (1 - p) / 400, 1e-12))[p > 0.01]
    assert 0.8 < z2.mean() < 1.2
