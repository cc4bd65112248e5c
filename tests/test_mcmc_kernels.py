"""The sampler table, sampler/model resolution, engines and the recording writer."""

import numpy as np
import pytest

from ttsolve import _core
from ttsolve.mcmc import RBM, SAMPLERS, BinaryQuadratic, FactorialHMM, IsingLattice, UserModel, sample
from ttsolve.mcmc import kernels


def _rbm(D=10, H=4, seed=1):
    rng = np.random.default_rng(seed)
    return RBM(rng.normal(scale=0.5, size=(H, D)), rng.normal(scale=0.3, size=D), rng.normal(scale=0.3, size=H))


def test_table_is_the_compiled_one_and_consistent():
    rows = _core.mcmc.sampler_table()
    assert [r.kernel for r in kernels.TABLE] == [r["kernel"] for r in rows]
    assert len({r.kernel for r in kernels.TABLE}) == len(kernels.TABLE)
    assert SAMPLERS[:6] == ("gwg", "gibbs", "block_gibbs", "hamming_ball", "random_walk", "locally_balanced")
    assert {"dmala", "dula", "pas", "dlmc", "gwg_multi"} <= set(SAMPLERS)
    for name in SAMPLERS:
        for family in ("quadratic", "pairwise", "rbm", "user"):
            group = [r for r in kernels.TABLE if r.sampler == name and family in r.families]
            assert len({r.option for r in group}) <= 1  # one selecting option per sampler and family
            values = [v for r in group for v in r.values]
            assert len(values) == len(set(values))


@pytest.mark.parametrize("sampler,options,kernel", [
    ("gibbs", {}, "gibbs_random"), ("gibbs", {"scan": "systematic"}, "gibbs_systematic"),
    ("locally_balanced", {}, "locally_balanced_sqrt"), ("locally_balanced", {"weight": "ratio"},
                                                        "locally_balanced_barker"),
    ("locally_balanced", {"weight": "max"}, "locally_balanced_max"),
    ("locally_balanced", {"weight": "min"}, "locally_balanced_min"),
    ("hamming_ball", {}, "hamming_ball"), ("gwg", {}, "gwg"),
])
def test_resolve_options_and_defaults(sampler, options, kernel):
    k = kernels.resolve(sampler, "quadratic", 1, options)
    assert k.kind == kernel
    if sampler == "hamming_ball":
        assert k.params == {"block_size": 4}


def test_unknown_pairs_name_the_supported_samplers():
    assert set(kernels.samplers_for("rbm")) == set(SAMPLERS)  # every sampler runs on RBMs
    assert set(kernels.samplers_for("quadratic")) == set(SAMPLERS)  # and on binary quadratic models
    user = UserModel(4, lambda X: X.sum(1), lambda X: np.ones_like(X))
    with pytest.raises(ValueError, match="samplers for user models: gwg, gibbs, block_gibbs, hamming_ball, "
                                         "random_walk, locally_balanced, dmala, dula, pas, dlmc$"):
        sample(user, "gwg_multi", 2, 10)
    with pytest.raises(TypeError, match="block_size"):
        sample(IsingLattice((3, 3), 0.1), "gwg", 2, 10, block_size=2)
    with pytest.raises(ValueError, match="n_flips > 1 is only available for sampler='gwg'"):
        sample(IsingLattice((3, 3), 0.1), "gibbs", 2, 10, n_flips=2)


def test_models_declare_state_space_and_backend():
    fhmm, _ = FactorialHMM.synthetic(L=4, K=2, seed=0)
    user = UserModel(3, lambda X: X.sum(1))
    for model, family in ((IsingLattice((3, 3), 0.1), "quadratic"), (BinaryQuadratic(np.eye(3)), "quadratic"),
                          (fhmm, "quadratic"), (_rbm(), "rbm"), (user, "user")):
        assert model.n_states == 2
        assert model.mcmc_backend().family == family
        assert kernels.backend_of(model).n_states == 2


@pytest.mark.parametrize("sampler", ["gwg", "block_gibbs"])
def test_hamming_without_reference_counts_ones(sampler):
    # Issue 20 item 1: without `reference` the compiled engines read a 1-byte empty array
    # as the reference. The distance to the default all-zero reference is the number of ones.
    models = [_rbm()] if sampler == "block_gibbs" else [IsingLattice((10, 10), 0.2), _rbm()]
    for model in models:
        r = sample(model, sampler, 4, 200, record=["samples", "hamming"], seed=1)
        np.testing.assert_array_equal(r.statistic("hamming"), r.samples.sum(-1))


def test_ratio_alias_gives_the_barker_chain():
    model = IsingLattice((4, 4), 0.3)
    a = sample(model, "locally_balanced", 3, 100, seed=2, weight="ratio")
    b = sample(model, "locally_balanced", 3, 100, seed=2, weight="barker")
    np.testing.assert_array_equal(a.samples, b.samples)
