"""The error a distributed run raises when a shard cannot be finished."""

from __future__ import annotations

from typing import Any

__all__ = ["DistributedRunError", "LostShardState"]


class DistributedRunError(RuntimeError):
    """A shard failed on the cluster (e.g. its workers kept dying beyond dask's
    ``distributed.scheduler.allowed-failures``). ``finished`` maps shard index -> the shard's
    result for the shards that did finish, ``bounds`` the shards' chain boundaries; nothing
    is recombined into a (silently different) partial answer."""

    def __init__(self, message: str, finished: dict[int, Any], bounds: list[int]) -> None:
        super().__init__(message)
        self.finished = finished
        self.bounds = bounds


class LostShardState(RuntimeError):
    """A shard's objects kept on a worker (its paths, step data or sweep stacks) are gone: its
    worker was lost. The sharded PDE solve rebuilds the shard from its streams and redoes the
    time step; when that keeps failing it stops with this error, naming the finished steps."""
