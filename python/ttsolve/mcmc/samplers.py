"""Multi-chain sampling: ``sample(model, sampler, n_chains, n_steps, ...)``.

The sampler and its options are resolved against the compiled sampler table
(:mod:`ttsolve.mcmc.kernels`), the model names its family and arrays through
``mcmc_backend()``, and the family's engine (:mod:`ttsolve.mcmc.engines`) runs the chains:
compiled engines use OpenMP over chains with one Philox stream per chain (identical output
for any thread count); user models and RBM block Gibbs run a batched numpy path.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._progress import TextProgress
from .._validation import as_real_array, as_seed, check_int
from .engines import RunRequest, engine_for
from .kernels import SAMPLERS, backend_of, check_block_size, resolve
from .result import SampleResult

__all__ = ["SAMPLERS", "SampleResult", "sample"]

STATISTICS = ("samples", "energy", "magnetization", "hamming", "counts", "statistic")


def _check_init(init: Any, n_chains: int, dim: int, seed: int, n_states: int) -> np.ndarray:
    if init is None:
        rng = np.random.default_rng([seed, 0x1A17])
        return rng.integers(0, n_states, size=(n_chains, dim), dtype=np.uint8)
    arr = np.asarray(init)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (n_chains, arr.shape[0]))
    if arr.shape != (n_chains, dim):
        raise ValueError(f"init must have shape ({n_chains}, {dim}) or ({dim},), got {arr.shape}")
    if not np.isin(arr, np.arange(n_states)).all():
        raise ValueError(f"init must contain only states 0..{n_states - 1}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _record_list(record: Any) -> list[str]:
    names = [record] if isinstance(record, str) else list(record)
    for name in names:
        if name not in STATISTICS:
            raise ValueError(f"unknown record {name!r}; valid: {', '.join(STATISTICS)}")
    return names


def _check_reference(reference: Any, init: np.ndarray, n_states: int) -> np.ndarray | None:
    if reference is None:
        return None
    if isinstance(reference, str):
        if reference != "start":
            raise ValueError(f"reference must be 'start', None or an array of states, got {reference!r}")
        return init.copy()  # each chain's own initial state
    ref = np.asarray(reference)
    dim = init.shape[1]
    if ref.shape != (dim,) or ref.dtype.kind not in "iuf" or not np.isin(ref, np.arange(n_states)).all():
        raise ValueError(f"reference must be 'start' or an array of states 0..{n_states - 1} of shape ({dim},)")
    return ref.astype(np.uint8)


def _check_statistic(statistic: Any, names: list[str], dim: int, n_states: int) -> np.ndarray | None:
    if statistic is None:
        if "statistic" in names:
            raise ValueError("record 'statistic' needs statistic= (a (dim, n_states) weight array)")
        return None
    w = as_real_array(statistic, "statistic")
    if w.shape != (dim, n_states):
        raise ValueError(f"statistic must have shape ({dim}, {n_states}) (weights w[i, k]), got {w.shape}")
    if "statistic" not in names:
        names.append("statistic")
    return np.ascontiguousarray(w)


def sample(model: Any, sampler: str, n_chains: int, n_steps: int, burn_in: int = 0, thin: int = 1,
           seed: Any = 0, init: Any = None, record: Any = "samples", reference: Any = None,
           n_flips: int = 1, callback: Callable[[int, int], None] | None = None,
           progress: bool = False, statistic: Any = None, client: Any = None, n_shards: int | None = None,
           **sampler_options: Any) -> SampleResult:
    """Run ``n_chains`` independent chains of ``sampler`` on ``model``.

    Parameters
    ----------
    model : IsingLattice, BinaryQuadratic, FactorialHMM, RBM, CustomModel, UserModel, or a categorical
        Potts, PottsLattice, Categorical or Bernoulli
        RBMs run every sampler compiled except the block_gibbs sweep (scan="sweep", numpy): gwg,
        gibbs, random_walk, hamming_ball, locally_balanced, block_gibbs with scan="random" /
        "systematic" (visible blocks, exact flip differences from the hidden pre-activations),
        dmala / dula / dlmc (chains batched into GEMMs), pas, gwg_multi.
        :class:`~ttsolve.mcmc.CustomModel` (categorical, Python callables ``log_prob(X)`` ->
        (n,) and ``grad(X)`` -> (n, D, K) on (n, D) integer batches, one call per step for the
        whole batch) runs gwg, locally_balanced, gibbs, block_gibbs, random_walk, hamming_ball, dmala, dula,
        pas and dlmc on the batched numpy engine (docs/mcmc.md "User models" lists the batch
        each sampler evaluates); callback errors name the callback and the step.
    sampler : one of ``SAMPLERS``
        ("gwg", "gibbs", "block_gibbs", "hamming_ball", "random_walk", "locally_balanced",
        and the multi-coordinate "dmala", "dula", "pas", "dlmc", "gwg_multi";
        which run on which model: :func:`ttsolve.mcmc.kernels.samplers_for`). One step = one
        proposal (single-site kernels: one site; block_gibbs: one block of ``block_size``
        sites, on the RBM one alternating sweep).
    n_chains : int >= 1
    n_steps : int >= 0
        Steps kept after ``burn_in`` extra discarded steps; every ``thin``-th is recorded
        (n_kept = n_steps // thin).
    seed : int or numpy Generator
    init : (n_chains, D) or (D,) array of states 0..K-1, optional (default uniform random states)
    record : str or list of str
        Any of "samples", "energy" (f), "magnetization" (mean of 2x - 1, binary models only),
        "hamming" (distance to ``reference``), "counts" (per-site state counts over the kept
        steps, ``result.counts`` of shape (n_chains, D, K)), "statistic" (the linear
        statistic sum_i w[i, x_i] of the ``statistic`` weights).
    reference : "start", array (D,) or None
        Reference of the "hamming" record: "start" is each chain's own initial state (the
        statistic DISCS and the GWG paper report ESS on), an array one state for all chains,
        None all zeros.
    n_flips : int
        GWG: indices drawn per proposal (the paper's multi-flip variant when > 1); 1 <= n_flips <= model.dim.
    callback : callable(steps_done, steps_total), optional
        Called between chunks of steps (about 0.1 s each).
    progress : bool
        Show a text progress bar on stderr.
    statistic : array (D, K), optional
        Weights w of the linear statistic sum_i w[i, x_i], recorded per kept step as
        "statistic" (added to ``record`` when given).
    client : dask.distributed.Client, optional
        Run the chains in shards on the cluster's workers (``pip install "ttsolve[distributed]"``;
        docs/distributed.md). The result is identical bit for bit to the local run with the same
        seed, for any number of workers and shards. Compiled engines only (ValueError for user
        models and Python-stepped kinds, whose chains share one generator).
    n_shards : int, optional
        Shards of consecutive chains (default: the cluster's thread count). Without ``client``
        the shards run one after the other in this process (same answer).
    **sampler_options
        gibbs: ``scan`` ("systematic" or "random"); locally_balanced: ``weight`` ("sqrt",
        "barker"/"ratio", "max", "min"); hamming_ball: ``block_size``; block_gibbs (binary and
        categorical models other than the RBM): ``block_size`` (2; the block's K^block_size
        joint states are enumerated, at most 2^16) and ``scan`` ("random" or "systematic",
        DISCS's blockgibbs: consecutive blocks in turn). dmala / dula:
        ``step_size``; pas: ``path_length``, ``length`` ("fixed", "uniform"); dlmc: ``t``,
        ``solver`` ("expm", "interpolate"); all five multi-coordinate samplers: ``weight``
        (balancing function), ``adaptive`` (adapt the scale during burn-in, then freeze it;
        the values are in ``result.info["adapted"]``) and ``target_acceptance`` (0.574);
        see docs/mcmc.md.

    Returns
    -------
    SampleResult
        Ctrl-C stops the run and returns what was sampled so far (``interrupted=True``).
    """
    if not hasattr(model, "dim") or not hasattr(model, "log_prob"):
        raise TypeError("model must have .dim and .log_prob (see ttsolve.mcmc.models)")
    backend = backend_of(model)
    n_chains = check_int(n_chains, "n_chains", 1)
    n_steps = check_int(n_steps, "n_steps", 0)
    burn_in = check_int(burn_in, "burn_in", 0)
    thin = check_int(thin, "thin", 1)
    kernel = resolve(sampler, backend.family, n_flips, sampler_options)
    check_block_size(kernel, model.dim, backend.n_states)
    if kernel.n_flips > max(model.dim, 1):  # more flips than sites: unbounded work (issue 20 item 2)
        raise ValueError(f"n_flips must be <= the model's dim = {model.dim}, got {kernel.n_flips}")
    if n_chains * max(model.dim, 1) > 1 << 31:
        raise MemoryError("n_chains * dim is too large")
    seed_int = as_seed(seed)
    init = _check_init(init, n_chains, model.dim, seed_int, backend.n_states)
    names = _record_list(record)
    if "samples" in names and n_chains * (n_steps // thin) * model.dim > 1 << 32:
        raise MemoryError("recording all samples needs too much memory; record statistics instead")
    if "magnetization" in names and backend.n_states != 2:
        raise ValueError(f"record 'magnetization' is for binary models; this model has {backend.n_states} states "
                         "(record 'counts' or a linear 'statistic' instead)")
    if "counts" in names and n_chains * model.dim * backend.n_states > 1 << 31:
        raise MemoryError("recording counts needs too much memory")
    ref = _check_reference(reference, init, backend.n_states)
    weights = _check_statistic(statistic, names, model.dim, backend.n_states)
    run = RunRequest(n_chains, n_steps, burn_in, thin, seed_int, init, names, ref,
                     _progress_callback(callback, progress), weights)
    if client is not None or n_shards is not None:
        from ..distributed.mcmc import sample_sharded

        return sample_sharded(client, n_shards, model, backend, kernel, run)
    return engine_for(backend, kernel)(model, backend, kernel, run)


def _progress_callback(callback: Any, progress: bool) -> Any:
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable")
    if not progress:
        return callback
    bars: list[TextProgress] = []  # made at the first report, when the total is known

    def show(done: int, total: int) -> None:
        if not bars:
            bars.append(TextProgress(total, "sampling"))
        bars[0].set(done)
        if done >= total:
            bars[0].close()
        if callback is not None:
            callback(done, total)

    return show
