"""Multi-chain sampling: ``sample(model, sampler, n_chains, n_steps, ...)``.

Quadratic models run in the compiled driver (OpenMP over chains, one Philox stream per
chain: identical output for any thread count). RBM GWG is compiled too (chains batched
into matrix products); user models and RBM block Gibbs run a batched numpy path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .. import _core
from .._validation import as_seed, check_int
from .models import RBM, UserModel, _SpinQuadratic

__all__ = ["SAMPLERS", "SampleResult", "sample"]

SAMPLERS = ("gwg", "gibbs", "block_gibbs", "hamming_ball", "random_walk", "locally_balanced")
STATISTICS = ("samples", "energy", "magnetization", "hamming")


@dataclass
class SampleResult:
    """Output of :func:`sample`.

    Attributes
    ----------
    samples : (n_chains, n_kept, D) uint8 or None
    statistics : dict name -> (n_chains, n_kept) float arrays
    acceptance : (n_chains,) fraction of steps that moved the chain
    final_energy : (n_chains,) f of the final states; final_state : (n_chains, D) uint8
    seconds : sampling wall time; interrupted : True if stopped by Ctrl-C (partial output)
    """

    samples: np.ndarray | None
    statistics: dict[str, np.ndarray]
    acceptance: np.ndarray
    final_energy: np.ndarray
    final_state: np.ndarray
    seconds: float
    interrupted: bool = False
    info: dict[str, Any] = field(default_factory=dict)

    def statistic(self, name: str) -> np.ndarray:
        """Recorded per-step statistic ``name`` (energy, magnetization or hamming)."""
        if name not in self.statistics:
            raise KeyError(f"statistic {name!r} was not recorded; have {sorted(self.statistics)}")
        return self.statistics[name]


def _check_init(init: Any, n_chains: int, dim: int, seed: int) -> np.ndarray:
    if init is None:
        rng = np.random.default_rng([seed, 0x1A17])
        return rng.integers(0, 2, size=(n_chains, dim), dtype=np.uint8)
    arr = np.asarray(init)
    if arr.ndim == 1:
        arr = np.broadcast_to(arr, (n_chains, arr.shape[0]))
    if arr.shape != (n_chains, dim):
        raise ValueError(f"init must have shape ({n_chains}, {dim}) or ({dim},), got {arr.shape}")
    if not np.isin(arr, (0, 1)).all():
        raise ValueError("init must contain only 0/1 values")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _record_list(record: Any) -> list[str]:
    names = [record] if isinstance(record, str) else list(record)
    for name in names:
        if name not in STATISTICS:
            raise ValueError(f"unknown record {name!r}; valid: {', '.join(STATISTICS)}")
    return names


def _kernel_name(sampler: str, options: dict[str, Any]) -> str:
    if sampler == "gwg":
        return "gwg"
    if sampler == "gibbs":
        scan = options.pop("scan", "random")
        if scan not in ("systematic", "random"):
            raise ValueError(f"scan must be 'systematic' or 'random', got {scan!r}")
        return f"gibbs_{scan}"
    if sampler == "locally_balanced":
        weight = options.pop("weight", "sqrt")
        weight = {"ratio": "barker"}.get(weight, weight)
        if weight not in ("sqrt", "barker"):
            raise ValueError(f"weight must be 'sqrt' or 'barker'/'ratio', got {weight!r}")
        return f"locally_balanced_{weight}"
    return sampler


def sample(model: Any, sampler: str, n_chains: int, n_steps: int, burn_in: int = 0, thin: int = 1,
           seed: Any = 0, init: Any = None, record: Any = "samples", reference: Any = None,
           n_flips: int = 1, callback: Callable[[int, int], None] | None = None,
           progress: bool = False, **sampler_options: Any) -> SampleResult:
    """Run ``n_chains`` independent chains of ``sampler`` on ``model``.

    Parameters
    ----------
    model : IsingLattice, BinaryQuadratic, RBM or UserModel
    sampler : {"gwg", "gibbs", "block_gibbs", "hamming_ball", "random_walk", "locally_balanced"}
        One step = one proposal (single-site kernels: one site; block_gibbs: one sweep).
    n_chains : int >= 1
    n_steps : int >= 0
        Steps kept after ``burn_in`` extra discarded steps; every ``thin``-th is recorded
        (n_kept = n_steps // thin).
    seed : int or numpy Generator
    init : (n_chains, D) or (D,) 0/1 array, optional (default uniform random bits)
    record : str or list of str
        Any of "samples", "energy" (f), "magnetization" (mean of 2x - 1), "hamming"
        (distance to ``reference``, default all zeros).
    n_flips : int
        GWG: indices drawn per proposal (the paper's multi-flip variant when > 1).
    callback : callable(steps_done, steps_total), optional
        Called between chunks of steps (about 0.1 s each).
    progress : bool
        Show a text progress bar on stderr.
    **sampler_options
        gibbs: ``scan`` ("systematic" or "random"); locally_balanced: ``weight`` ("sqrt",
        "barker"/"ratio"); hamming_ball: ``block_size``.

    Returns
    -------
    SampleResult
        Ctrl-C stops the run and returns what was sampled so far (``interrupted=True``).
    """
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; valid names: {', '.join(SAMPLERS)}")
    if not hasattr(model, "dim") or not hasattr(model, "log_prob"):
        raise TypeError("model must have .dim and .log_prob (see ttsolve.mcmc.models)")
    n_chains = check_int(n_chains, "n_chains", 1)
    n_steps = check_int(n_steps, "n_steps", 0)
    burn_in = check_int(burn_in, "burn_in", 0)
    thin = check_int(thin, "thin", 1)
    n_flips = check_int(n_flips, "n_flips", 1)
    if n_flips > 1 and sampler != "gwg":
        raise ValueError("n_flips > 1 is only available for sampler='gwg'")
    if n_chains * max(model.dim, 1) > 1 << 31:
        raise MemoryError("n_chains * dim is too large")
    seed_int = as_seed(seed)
    init = _check_init(init, n_chains, model.dim, seed_int)
    names = _record_list(record)
    if "samples" in names and n_chains * (n_steps // thin) * model.dim > 1 << 32:
        raise MemoryError("recording all samples needs too much memory; record statistics instead")
    ref = None
    if reference is not None:
        ref = np.asarray(reference)
        if ref.shape != (model.dim,) or not np.isin(ref, (0, 1)).all():
            raise ValueError(f"reference must be a 0/1 array of shape ({model.dim},)")
        ref = ref.astype(np.uint8)
    options = dict(sampler_options)
    kernel = _kernel_name(sampler, options)
    block_size = check_int(options.pop("block_size", 1 if sampler != "hamming_ball" else 4),
                            "block_size", 1)
    if options:
        raise TypeError(f"unexpected options for {sampler!r}: {sorted(options)}")
    cb = _progress_callback(callback, progress)
    if isinstance(model, _SpinQuadratic):
        if sampler == "block_gibbs":
            raise ValueError("block_gibbs is only available for RBM models")
        out = _core.mcmc.quad_sample(*model.csr(), kernel, n_flips, min(block_size, model.dim),
                                      init, n_steps, burn_in, thin, seed_int, names, ref, cb)
        return _result_from_dict(out, names)
    if isinstance(model, RBM) and kernel == "gwg":  # compiled, chains batched into GEMMs
        out = _core.mcmc.rbm_gwg_sample(model.W, model.b, model.c, n_flips, init, n_steps,
                                         burn_in, thin, seed_int, names, ref, cb)
        return _result_from_dict(out, names)
    from .numpy_path import sample_numpy  # batched numpy samplers (block Gibbs, user models)

    return sample_numpy(model, kernel, n_chains, n_steps, burn_in, thin, seed_int, init, names,
                        ref, n_flips, cb)


def _progress_callback(callback: Any, progress: bool) -> Any:
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable")
    if not progress:
        return callback
    import sys

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\rsampling {done}/{total} steps ({100.0 * done / max(total, 1):.0f}%)")
        if done >= total:
            sys.stderr.write("\n")
        if callback is not None:
            callback(done, total)

    return show


def _result_from_dict(out: dict[str, Any], names: list[str]) -> SampleResult:
    kept = int(out["n_kept_done"])
    stats = {n: np.asarray(out[n])[:, :kept] for n in names if n != "samples"}
    samples = np.asarray(out["samples"])[:, :kept] if "samples" in names else None
    return SampleResult(samples, stats, np.asarray(out["acceptance"]), np.asarray(out["final_energy"]),
                        np.asarray(out["final_state"]), float(out["seconds"]), bool(out["interrupted"]),
                        {"steps_done": int(out["steps_done"])})
