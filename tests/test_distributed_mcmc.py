"""sample(client=, n_shards=): sharded runs equal the local run bit for bit.

The local run (one compiled Run over all chains) is the reference; a sharded run starts each
shard's chains on their global Philox streams. One LocalCluster (2 processes x 1 thread, as
the issue asks) is shared by the module."""

import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ttsolve.distributed import INSTALL_HINT, shard_bounds
from ttsolve.mcmc import RBM, BinaryQuadratic, IsingLattice, PottsLattice, UserModel, sample

pytestmark = pytest.mark.distributed
distributed = pytest.importorskip("distributed")

RECORD = ["samples", "energy", "magnetization", "hamming"]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def _rbm():
    rng = np.random.default_rng(7)
    return RBM(rng.normal(0, 0.3, (12, 20)), rng.normal(0, 0.2, 20), rng.normal(0, 0.2, 12))


def _quadratic():
    rng = np.random.default_rng(3)
    J = np.triu(rng.normal(0, 0.3, (16, 16)), 1)
    return BinaryQuadratic(J + J.T, rng.normal(0, 0.2, 16))


CASES = {
    "ising-gwg": (lambda: IsingLattice((6, 6), coupling=0.3), "gwg", {}),
    "ising-gwg-multiflip": (lambda: IsingLattice((6, 6), coupling=0.3), "gwg", {"n_flips": 3}),
    "quadratic-gibbs": (_quadratic, "gibbs", {"scan": "random"}),
    "quadratic-hamming-ball": (_quadratic, "hamming_ball", {"block_size": 3}),
    "quadratic-lb": (_quadratic, "locally_balanced", {"weight": "barker"}),
    "rbm-gwg": (_rbm, "gwg", {}),
    "rbm-gibbs": (_rbm, "gibbs", {}),
    "rbm-dmala": (_rbm, "dmala", {}),
    "potts-gwg": (lambda: PottsLattice((4, 4), 3, 0.4), "gwg", {}),
    "potts-pas": (lambda: PottsLattice((4, 4), 3, 0.4), "pas", {"path_length": 2}),
    "quadratic-dmala-adaptive": (_quadratic, "dmala", {"adaptive": True}),
    "quadratic-dlmc": (_quadratic, "dlmc", {}),
}


def assert_same(a, b):
    assert (a.samples is None) == (b.samples is None)
    if a.samples is not None:
        np.testing.assert_array_equal(a.samples, b.samples)
    assert sorted(a.statistics) == sorted(b.statistics)
    for name in a.statistics:  # bitwise (NaN-free: every kept step is recorded)
        assert a.statistics[name].tobytes() == b.statistics[name].tobytes(), name
    assert a.acceptance.tobytes() == b.acceptance.tobytes()
    assert a.final_energy.tobytes() == b.final_energy.tobytes()
    np.testing.assert_array_equal(a.final_state, b.final_state)


def _run(case, n_chains, seed, **kw):
    make, sampler, opts = CASES[case]
    model = make()
    record = RECORD if getattr(model, "n_states", 2) == 2 else ["samples", "energy", "hamming"]
    return sample(model, sampler, n_chains=n_chains, n_steps=60, burn_in=7, thin=2, seed=seed,
                  record=record, reference=np.ones(model.dim, dtype=np.uint8), **opts, **kw)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("n_shards", [None, 3, 7])
def test_cluster_equals_local(client, case, n_shards):
    n_chains = 130 if case.startswith("rbm") else 23  # RBM: 3 chain blocks of ~43
    local = _run(case, n_chains, seed=11)
    dist = _run(case, n_chains, seed=11, client=client, n_shards=n_shards)
    assert dist.info["n_shards"] == len(dist.info["shard_bounds"]) - 1 >= 2
    assert_same(local, dist)


@pytest.mark.parametrize("seed", [0, 5, 2**40 + 3])
def test_cluster_equals_local_seeds(client, seed):
    local = _run("ising-gwg", 9, seed)
    assert_same(local, _run("ising-gwg", 9, seed, client=client))
    other = _run("ising-gwg", 9, seed + 1)
    assert not np.array_equal(local.samples, other.samples)  # the comparison can fail


@given(n_chains=st.integers(1, 30), n_shards=st.integers(1, 40), seed=st.integers(0, 2**63))
def test_in_process_shards_equal_local(n_chains, n_shards, seed):
    model = IsingLattice((4, 4), coupling=0.4)
    kw = dict(n_chains=n_chains, n_steps=12, burn_in=3, seed=seed, record=RECORD)
    assert_same(sample(model, "gwg", **kw), sample(model, "gwg", n_shards=n_shards, **kw))


@pytest.mark.parametrize("n_shards", [2, 4, 9])
def test_rbm_shards_snap_to_chain_blocks(n_shards):
    from ttsolve import _core

    bounds = sample(_rbm(), "gwg", n_chains=230, n_steps=5, seed=0, n_shards=n_shards).info["shard_bounds"]
    assert set(bounds) <= set(_core.mcmc.rbm_block_bounds(230))
    assert bounds[0] == 0 and bounds[-1] == 230


def test_shard_bounds():
    assert shard_bounds(10, 3) == [0, 3, 6, 10]
    assert shard_bounds(3, 8) == [0, 1, 2, 3]
    assert shard_bounds(100, 2, [0, 30, 70, 100]) == [0, 30, 100]
    assert shard_bounds(5, 1) == [0, 5]
    with pytest.raises(ValueError, match="blocks"):
        shard_bounds(5, 2, [0, 3])
    with pytest.raises(ValueError, match="n_shards"):
        shard_bounds(5, 0)


def test_progress_callback_reaches_total(client):
    seen = []
    _run("ising-gwg", 8, 0, client=client, n_shards=4, callback=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (67, 67) and len(seen) == 4
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_numpy_engine_is_refused(client):
    user = UserModel(5, lambda X: -X.sum(1), lambda X: -np.ones_like(X))
    with pytest.raises(ValueError, match="numpy engine"):
        sample(user, "gwg", n_chains=4, n_steps=3, client=client)
    with pytest.raises(ValueError, match="numpy engine"):
        sample(_rbm(), "block_gibbs", n_chains=4, n_steps=3, n_shards=2)


def test_bad_client_and_shards(client):
    with pytest.raises(TypeError, match="client"):
        sample(IsingLattice((3, 3), 0.2), "gwg", n_chains=2, n_steps=2, client="tcp://localhost:8786")
    with pytest.raises(ValueError, match="n_shards"):
        sample(IsingLattice((3, 3), 0.2), "gwg", n_chains=2, n_steps=2, client=client, n_shards=0)


def test_missing_dask_gives_the_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` -> ImportError
    with pytest.raises(ImportError, match=r"ttsolve\[distributed\]") as info:
        sample(IsingLattice((3, 3), 0.2), "gwg", n_chains=2, n_steps=2, client=object())
    assert str(info.value) == INSTALL_HINT


def test_shard_binding_checks_its_range():
    from ttsolve import _core

    model = IsingLattice((3, 3), 0.2)
    args = (*model.mcmc_backend().arrays, "gwg", 1, 1, np.zeros((4, 9), np.uint8), 2, 0, 1, 0, ["energy"], None, None)
    with pytest.raises(ValueError, match="n_chains_total"):
        _core.mcmc.quad_sample(*args, first_chain=2, n_chains_total=5)
    with pytest.raises(ValueError, match="first_chain"):
        _core.mcmc.quad_sample(*args, first_chain=-1)
