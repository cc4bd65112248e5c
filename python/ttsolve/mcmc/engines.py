"""Engines: who runs a resolved kernel on a model family. One line registers each.

A compiled engine hands the model's backend arrays to its binding in ``_core.mcmc`` (a
``Run`` in csrc/mcmc driven chunk by chunk in C++); kinds whose step is written in Python
(the table's ``python`` column) and families without a compiled engine run on the batched
numpy engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import _core
from .kernels import Backend, Kernel
from .numpy_path import sample_numpy
from .result import SampleResult

__all__ = ["RunRequest", "Engine", "ENGINES", "CHAIN_BLOCKS", "GRADIENT_KINDS", "register_engine", "engine_for",
           "is_shardable"]


@dataclass(frozen=True)
class RunRequest:
    """Validated run arguments shared by every engine."""

    n_chains: int
    n_steps: int
    burn_in: int
    thin: int
    seed: int
    init: np.ndarray              # (n_chains, D) uint8 in 0..n_states-1
    record: list[str]
    reference: np.ndarray | None  # (D,) or (n_chains, D) uint8, or None (all zeros)
    callback: Callable[[int, int], None] | None
    statistic: np.ndarray | None = None  # (D, n_states) weights of the "statistic" record
    # A shard of a larger run (ttsolve.distributed): these chains are chains
    # [first_chain, first_chain + n_chains) of a run of n_chains_total (0: the whole run).
    first_chain: int = 0
    n_chains_total: int = 0


Engine = Callable[[Any, Backend, Kernel, RunRequest], SampleResult]
ENGINES: dict[str, Engine] = {}
# Chain-block boundaries of a whole run, for engines that batch chains (a shard must start and
# end on them to be bitwise a slice of the whole run); engines without an entry: every chain.
CHAIN_BLOCKS: dict[str, Callable[[int], list[int]]] = {}


def register_engine(family: str, engine: Engine, chain_blocks: Callable[[int], list[int]] | None = None) -> None:
    """Run the compiled kinds of model family ``family`` with ``engine``. An engine is
    shardable (``sample(client=...)``) when it passes ``**_shard(run)`` to its binding;
    ``chain_blocks(n_chains)`` gives its chain-block boundaries if it batches chains."""
    ENGINES[family] = engine
    if chain_blocks is not None:
        CHAIN_BLOCKS[family] = chain_blocks


def _schedule(run: RunRequest) -> tuple[Any, ...]:
    return (run.init, run.n_steps, run.burn_in, run.thin, run.seed, run.record, run.reference, run.callback)


def _shard(run: RunRequest) -> dict[str, int]:
    """The shard keywords every compiled binding takes (chain c uses Philox(seed, first_chain + c))."""
    return {"first_chain": run.first_chain, "n_chains_total": run.n_chains_total}


def _quadratic(model: Any, backend: Backend, kernel: Kernel, run: RunRequest) -> SampleResult:
    block = min(int(kernel.params.get("block_size", 1)), model.dim)
    out = _core.mcmc.quad_sample(*backend.arrays, kernel.kind, kernel.n_flips, block, *_schedule(run),
                                 statistic=run.statistic, **_shard(run))
    return SampleResult.from_compiled(out, run.record)


def _pairwise(model: Any, backend: Backend, kernel: Kernel, run: RunRequest) -> SampleResult:
    block = min(int(kernel.params.get("block_size", 1)), model.dim)
    out = _core.mcmc.pair_sample(*backend.arrays, kernel.kind, kernel.n_flips, block, *_schedule(run),
                                 statistic=run.statistic, **_shard(run))
    return SampleResult.from_compiled(out, run.record)


def _rbm(model: Any, backend: Backend, kernel: Kernel, run: RunRequest) -> SampleResult:
    out = _core.mcmc.rbm_sample(*backend.arrays, kernel.kind, kernel.n_flips, dict(kernel.params), *_schedule(run),
                                statistic=run.statistic, **_shard(run))
    return SampleResult.from_compiled(out, run.record)


def _numpy(model: Any, backend: Backend, kernel: Kernel, run: RunRequest) -> SampleResult:
    if run.first_chain or run.n_chains_total:  # one generator for all chains: not shardable
        raise ValueError("the numpy engine (user models, Python-stepped kinds) cannot run a shard of chains")
    return sample_numpy(model, kernel.kind, run.n_chains, run.n_steps, run.burn_in, run.thin, run.seed,
                        run.init, run.record, run.reference, kernel.n_flips, run.callback, run.statistic,
                        dict(kernel.params))


# The multi-coordinate gradient kinds (dmala, dula, pas, dlmc, gwg_multi) run on one compiled
# engine for every family it takes (csrc/mcmc/gradient_run.hpp); binary quadratic models are
# converted there exactly to K = 2 pairwise models.
GRADIENT_KINDS: frozenset[str] = frozenset(_core.mcmc.gradient_kinds())
GRADIENT_FAMILIES = ("quadratic", "pairwise", "rbm")  # rbm: csrc/mcmc/rbm_gradient.hpp
_ADAPTED_NAME = {"dmala": "step_size", "dula": "step_size", "dlmc": "t", "pas": "path_length", "gwg_multi": "n_flips"}


def _gradient(model: Any, backend: Backend, kernel: Kernel, run: RunRequest) -> SampleResult:
    out = _core.mcmc.gradient_sample(backend.family, tuple(backend.arrays), backend.n_states, kernel.kind,
                                     kernel.n_flips, dict(kernel.params), *_schedule(run),
                                     statistic=run.statistic, **_shard(run))
    res = SampleResult.from_compiled(out, run.record)
    res.info["adapted"] = {_ADAPTED_NAME[kernel.kind]: np.asarray(out["adapted"])}
    return res


register_engine("quadratic", _quadratic)  # compiled: csrc/mcmc/quadratic_run.cpp
register_engine("rbm", _rbm, _core.mcmc.rbm_block_bounds)  # compiled: csrc/mcmc/rbm_*.cpp (gwg: GEMM blocks)
register_engine("user", _numpy)           # Python callables, batched numpy (numpy_kernels.py)
register_engine("pairwise", _pairwise)    # compiled: csrc/mcmc/pairwise_run.cpp (categorical single-site kinds)


def engine_for(backend: Backend, kernel: Kernel) -> Engine:
    """The engine that runs ``kernel`` on a model with ``backend``."""
    if kernel.kind in GRADIENT_KINDS and backend.family in GRADIENT_FAMILIES:
        return _gradient
    if kernel.row.python or backend.family not in ENGINES:
        return _numpy
    return ENGINES[backend.family]


def is_shardable(backend: Backend, kernel: Kernel) -> bool:
    """Whether ``kernel`` on ``backend`` runs on a compiled engine keyed by global chain index
    (the numpy engine draws every chain from one generator: a shard would differ)."""
    return engine_for(backend, kernel) is not _numpy
