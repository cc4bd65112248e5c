"""The persistent chains of :func:`ttsolve.mcmc.learn.fit_pcd`.

Two implementations with one interface (``update(t, steps) -> acceptance``, ``statistics()``,
``states()``, ``interrupted``):

* :class:`CompiledChains`: Ising and binary-quadratic families on the quadratic engine's
  kinds. One compiled run (``_core.learn.QuadPcdChains``) lives for the whole fit: each update
  writes the new couplings into its fixed CSR pattern (the family's structure), refreshes
  the chains' fields and proposal trees, advances every chain and returns; the chain moments
  are computed from the compiled states. No model object, CSR conversion, validation of the
  pattern or reseeding happens per update, and a systematic Gibbs scan resumes where the
  previous update stopped.
* :class:`SampledChains`: every other family or sampler (RBM, user models, samplers of other
  engines): ``sample()`` at the current parameters from the previous final states, with a
  per-update seed derived from ``seed``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _core
from .engines import ENGINES, engine_for
from .kernels import Backend, resolve
from .samplers import sample

__all__ = ["CompiledChains", "SampledChains", "make_chains", "update_seed"]


def update_seed(seed: int, t: int) -> int:
    """The sampler seed of update t (SampledChains)."""
    return int(np.random.SeedSequence([seed, t]).generate_state(1, np.uint64)[0] >> 1)


class CompiledChains:
    """Persistent compiled chains of a quadratic family (see the module docstring)."""

    interrupted = False

    def __init__(self, family: Any, kernel: Any, init: np.ndarray, seed: int) -> None:
        weights, bias = family.spin_form()
        block = min(int(kernel.params.get("block_size", 1)), family.dim)
        self.family = family
        self._chains = _core.learn.QuadPcdChains(family.indptr, family.indices, weights, bias, kernel.kind,
                                                 kernel.n_flips, block, init, seed)

    def update(self, t: int, steps: int) -> float:
        self._chains.set_parameters(*self.family.spin_form())
        try:
            return self._chains.advance(steps)
        except KeyboardInterrupt:  # the chains stay consistent: stop the fit, keep what is done
            self.interrupted = True
            return float("nan")

    def statistics(self) -> Any:
        return self._chains.moments(self.family.spins)

    def states(self) -> np.ndarray:
        return self._chains.states()


class SampledChains:
    """Persistent chains through ``sample()`` per update (see the module docstring)."""

    interrupted = False

    def __init__(self, family: Any, sampler: str, options: dict[str, Any], init: np.ndarray, seed: int) -> None:
        self.family, self.sampler, self.options, self.seed, self._x = family, sampler, options, seed, init

    def update(self, t: int, steps: int) -> float:
        res = sample(self.family.model(), self.sampler, len(self._x), steps, seed=update_seed(self.seed, t),
                     init=self._x, record=[], **self.options)
        self._x, self.interrupted = res.final_state, res.interrupted
        return float(res.acceptance.mean())

    def statistics(self) -> Any:
        return self.family.statistics(self._x)

    def states(self) -> np.ndarray:
        return self._x


def make_chains(family: Any, sampler: str, options: dict[str, Any], init: np.ndarray, seed: int,
                persistent: bool = True):
    """Compiled persistent chains where the family and sampler allow it, else SampledChains.
    Options are validated here once (unknown options, bad values: the errors of ``sample``)."""
    if persistent and hasattr(family, "spin_form"):
        opts = dict(options)
        n_flips = opts.pop("n_flips", 1)
        kernel = resolve(sampler, "quadratic", n_flips, opts)
        if kernel.n_flips > family.dim:
            raise ValueError(f"n_flips must be <= the model's dim = {family.dim}, got {kernel.n_flips}")
        if engine_for(Backend("quadratic"), kernel) is ENGINES.get("quadratic"):
            return CompiledChains(family, kernel, init, seed)
    return SampledChains(family, sampler, options, init, seed)
