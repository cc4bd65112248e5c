"""Scale-out on Dask (``dask.distributed``, optional: ``pip install "ttsolve[distributed]"``).

``ttsolve.mcmc.sample(..., client=client)`` splits the chains into shards run by the compiled
engines on the cluster's workers; every chain draws from the same Philox stream as in a local
run, so the result is identical bit for bit to ``sample(...)`` without ``client``;
``ttsolve.pde.solve(..., client=client)`` keeps shards of the paths on the workers (shard hosts,
dask Actors) and matches the local V(0, x0) to rounding (docs/distributed.md).
"""

from ._dask import INSTALL_HINT, require_distributed
from .errors import DistributedRunError, LostShardState
from .mcmc import sample_sharded, shard_bounds

__all__ = ["INSTALL_HINT", "require_distributed", "DistributedRunError", "LostShardState", "sample_sharded",
           "shard_bounds"]
