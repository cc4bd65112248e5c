"""Sharded runs (n_shards without a cluster: shards one after the other in this process) of the
categorical and gradient engines equal the local run bit for bit, per-chain references included."""

import numpy as np
import pytest

from ttsolve.mcmc import Bernoulli, IsingLattice, PottsLattice, sample

CASES = [
    (PottsLattice((4, 5), 3, 0.4), "gwg", {}),
    (PottsLattice((4, 5), 3, 0.4), "gibbs", {"scan": "random"}),
    (PottsLattice((3, 3), 4, 0.7), "dmala", {}),
    (IsingLattice((4, 4), 0.3), "dlmc", {}),
    (Bernoulli(np.linspace(-1, 1, 12)), "pas", {}),
]


@pytest.mark.parametrize("model, sampler, options", CASES)
@pytest.mark.parametrize("n_shards", [2, 5])
def test_shards_equal_local(model, sampler, options, n_shards):
    kw = dict(n_chains=7, n_steps=40, burn_in=10, seed=11, record=["samples", "energy", "hamming", "counts"],
              reference="start", **options)
    local = sample(model, sampler, **kw)
    sharded = sample(model, sampler, n_shards=n_shards, **kw)
    assert np.array_equal(local.samples, sharded.samples)
    assert np.array_equal(local.counts, sharded.counts)
    for name in ("energy", "hamming"):
        assert np.array_equal(local.statistic(name), sharded.statistic(name))
    assert np.array_equal(local.final_state, sharded.final_state)
    assert np.array_equal(local.acceptance, sharded.acceptance)
    if "adapted" in local.info:
        for name, value in local.info["adapted"].items():
            assert np.array_equal(value, sharded.info["adapted"][name])
