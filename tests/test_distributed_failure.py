"""A worker killed mid-run (SIGKILL of its process): dask recomputes its shards from their
streams and the answer is the local one; with retries disabled the run stops with
DistributedRunError keeping the finished shards, each equal to its slice of the local run."""

import numpy as np
import pytest

from ttsolve.distributed import DistributedRunError
from ttsolve.mcmc import IsingLattice, sample

from distributed_helpers import kill_a_busy_worker_during

pytestmark = pytest.mark.distributed
distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

MODEL = IsingLattice((20, 20), coupling=0.3)
# ~1 s per shard on one core (6e6 chain steps/s measured), so the kill lands while shards run
KW = dict(n_chains=8, n_steps=3_000_000, thin=30_000, record=["energy", "magnetization"], seed=4)


@pytest.fixture(scope="module")
def local():
    return sample(MODEL, "gwg", **KW)


def _equal(a, b):
    for name in a.statistics:
        assert a.statistics[name].tobytes() == b.statistics[name].tobytes(), name
    assert a.acceptance.tobytes() == b.acceptance.tobytes()
    np.testing.assert_array_equal(a.final_state, b.final_state)


def test_killed_worker_is_recovered(local):
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        box = kill_a_busy_worker_during(client, lambda: sample(MODEL, "gwg", client=client, n_shards=4, **KW), "run_shard")
    assert "error" not in box, box.get("error")
    _equal(local, box["result"])


def test_no_retries_stops_with_the_finished_shards(local):
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
            box = kill_a_busy_worker_during(client, lambda: sample(MODEL, "gwg", client=client, n_shards=4, **KW), "run_shard")
    err = box.get("error")
    assert isinstance(err, DistributedRunError), box
    assert "failed on the cluster" in str(err) and len(err.finished) < 4
    for i, part in err.finished.items():
        a, b = err.bounds[i], err.bounds[i + 1]
        assert part.statistics["energy"].tobytes() == local.statistics["energy"][a:b].tobytes()
        assert part.final_state.tobytes() == local.final_state[a:b].tobytes()
