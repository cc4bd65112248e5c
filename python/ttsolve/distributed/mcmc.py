"""Sharded multi-chain sampling: ``ttsolve.mcmc.sample(..., client=, n_shards=)``.

A run of n chains is cut into shards of consecutive chains [b_j, b_{j+1}). Each shard is a pure
function of (model, kernel, schedule, seed, its init rows, b_j): the compiled engine starts
chain c of the shard on Philox(seed, b_j + c), exactly the stream chain b_j + c has in the
whole run, and engines that batch chains (RBM) lay their blocks out on the whole run's
chains, with shard boundaries snapped to those blocks. So every shard is bitwise the slice
of the local run, and dask may recompute a shard lost with its worker without changing the
answer. Only the shard's records (statistics, samples if asked for), acceptance and final
states travel back; they are concatenated in chain order.
"""

from __future__ import annotations

import dataclasses
import pickle
import time
from typing import Any

import numpy as np

from .._validation import check_int
from ..mcmc.engines import CHAIN_BLOCKS, RunRequest, engine_for, is_shardable
from ..mcmc.kernels import Backend, Kernel, backend_of
from ..mcmc.result import SampleResult
from ._dask import check_client, require_distributed
from .errors import DistributedRunError

__all__ = ["sample_sharded", "shard_bounds", "run_shard"]

# Errors of the arguments (raised identically by every shard): re-raised as they are.
_USER_ERRORS = (ValueError, TypeError, IndexError, MemoryError)


def shard_bounds(n_chains: int, n_shards: int, blocks: list[int] | None = None) -> list[int]:
    """Boundaries 0 = b_0 < ... < b_S = n_chains of at most ``n_shards`` shards of nearly
    equal size, each b_j snapped to the nearest of ``blocks`` (the engine's chain-block
    boundaries; default every chain)."""
    n_chains = check_int(n_chains, "n_chains", 1)
    n_shards = check_int(n_shards, "n_shards", 1)
    grid = np.arange(n_chains + 1) if blocks is None else np.asarray(blocks, dtype=np.int64)
    if grid[0] != 0 or grid[-1] != n_chains or np.any(np.diff(grid) <= 0):
        raise ValueError(f"blocks must rise strictly from 0 to n_chains = {n_chains}")
    want = np.arange(n_shards + 1) * n_chains // n_shards
    snapped = grid[np.abs(grid[None, :] - want[:, None]).argmin(1)]
    return [int(b) for b in np.unique(np.concatenate([[0], snapped, [n_chains]]))]


def run_shard(model: Any, kernel: Kernel, run: RunRequest) -> SampleResult:
    """One shard on whichever process holds it (a dask worker, or this one)."""
    backend = backend_of(model)
    return engine_for(backend, kernel)(model, backend, kernel, run)


def _identity(x: Any) -> Any:
    return x


def _shard_requests(run: RunRequest, bounds: list[int]) -> list[RunRequest]:
    per_chain_ref = run.reference is not None and run.reference.ndim == 2  # e.g. reference="start"
    return [dataclasses.replace(run, init=np.ascontiguousarray(run.init[a:b]), first_chain=a,
                                n_chains=b - a, n_chains_total=run.n_chains, callback=None,
                                reference=np.ascontiguousarray(run.reference[a:b]) if per_chain_ref
                                else run.reference)
            for a, b in zip(bounds[:-1], bounds[1:])]


def _nbytes(result: SampleResult) -> int:
    arrays = [result.acceptance, result.final_energy, result.final_state, *result.statistics.values()]
    if result.samples is not None:
        arrays.append(result.samples)
    return int(sum(np.asarray(a).nbytes for a in arrays))


def _combine(parts: list[SampleResult], seconds: float, info: dict[str, Any]) -> SampleResult:
    samples = None if parts[0].samples is None else np.concatenate([p.samples for p in parts])
    stats = {name: np.concatenate([p.statistics[name] for p in parts]) for name in parts[0].statistics}
    info = {"steps_done": min(p.info.get("steps_done", 0) for p in parts), **info,
            "shard_seconds": [p.seconds for p in parts]}
    if "adapted" in parts[0].info:  # gradient kinds: the adapted parameter per chain
        info["adapted"] = {name: np.concatenate([p.info["adapted"][name] for p in parts])
                           for name in parts[0].info["adapted"]}
    counts = None if parts[0].counts is None else np.concatenate([p.counts for p in parts])
    return SampleResult(samples, stats, np.concatenate([p.acceptance for p in parts]),
                        np.concatenate([p.final_energy for p in parts]),
                        np.concatenate([p.final_state for p in parts]), seconds,
                        any(p.interrupted for p in parts), info, counts)


def _report(callback: Any, run: RunRequest, chains_done: int) -> None:
    if callback is not None:
        total = run.burn_in + run.n_steps
        callback(total * chains_done // run.n_chains, total)


def sample_sharded(client: Any, n_shards: int | None, model: Any, backend: Backend, kernel: Kernel,
                   run: RunRequest) -> SampleResult:
    """The validated run ``run`` in shards: on ``client``'s workers, or (``client=None``) one
    after the other in this process (same answer; a check of shard invariance without a
    cluster). ``n_shards`` defaults to the cluster's thread count."""
    if client is not None:
        check_client(client)
    if not is_shardable(backend, kernel):
        raise ValueError(
            f"client=/n_shards= need a compiled engine; sampler {kernel.row.sampler!r} on this "
            f"{backend.family} model runs on the numpy engine, which draws all chains from one "
            "generator, so a sharded run would not reproduce the local one: run it without client=")
    if n_shards is None:
        n_shards = sum(client.nthreads().values()) if client is not None else 1
    n_shards = check_int(n_shards, "n_shards", 1)
    blocks = CHAIN_BLOCKS.get(backend.family)
    bounds = shard_bounds(run.n_chains, min(n_shards, run.n_chains),
                          None if blocks is None else list(blocks(run.n_chains)))
    requests = _shard_requests(run, bounds)
    start = time.perf_counter()
    info: dict[str, Any] = {"n_shards": len(requests), "shard_bounds": bounds,
                            "bytes_to_workers": int(sum(r.init.nbytes for r in requests))}
    if client is None:
        parts = []
        for r in requests:
            parts.append(run_shard(model, kernel, r))
            _report(run.callback, run, r.first_chain + r.n_chains)
    else:
        parts = _gather(client, model, kernel, requests, run, bounds, info)
    info["bytes_from_workers"] = sum(_nbytes(p) for p in parts)
    return _combine(parts, time.perf_counter() - start, info)


def _gather(client: Any, model: Any, kernel: Kernel, requests: list[RunRequest], run: RunRequest,
            bounds: list[int], info: dict[str, Any]) -> list[SampleResult]:
    distributed = require_distributed()
    info["bytes_to_workers"] += len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    # A task holding the model, not client.scatter: scattered data lost with its worker cannot
    # be recomputed, a task can (the model travels once to the scheduler, then to each worker).
    model_future = client.submit(_identity, model, pure=True)
    futures = [client.submit(run_shard, model_future, kernel, r, pure=True) for r in requests]
    index = {f.key: i for i, f in enumerate(futures)}
    finished: dict[int, SampleResult] = {}
    try:
        for future in distributed.as_completed(futures):
            i = index[future.key]
            try:
                finished[i] = future.result()
            except _USER_ERRORS:
                raise
            except Exception as e:  # KilledWorker, a worker out of memory, ...
                raise DistributedRunError(
                    f"shard {i} (chains {bounds[i]}..{bounds[i + 1] - 1}) failed on the cluster: "
                    f"{type(e).__name__}: {e}; {len(finished)} of {len(futures)} shards finished "
                    "(in .finished); rerun to recompute the rest (same seed, same answer)",
                    dict(finished), bounds) from e
            _report(run.callback, run, sum(b - a for j, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))
                                           if j in finished))
    finally:
        unfinished = [f for i, f in enumerate(futures) if i not in finished]
        if unfinished:
            client.cancel(unfinished)
    return [finished[i] for i in range(len(futures))]
