"""User models on categorical states: :class:`CustomModel` (Python callables, batched numpy engine).

States are integer arrays x in {0..K-1}^D. The callables are vectorised over a batch:

- ``log_prob(X)``: X an (n, D) int64 array of states -> (n,) real array, f(x) up to a constant;
- ``grad(X)`` (optional): X (n, D) -> (n, D, K) real array, the gradient of the one-hot
  relaxation of f at the one-hot encoding of each state (so ``grad[i, k] - grad[i, x_i]`` is
  the first-order estimate of the change of f when site i moves to k).

Each sampler step makes one call of each callable it needs, on the whole batch, with the
GIL held (:mod:`ttsolve.mcmc.numpy_kernels` documents the batch each sampler asks for).
Outputs are checked on every call: a result that is not a numpy array is a TypeError, a
wrong shape, a non-real dtype or NaN/inf a ValueError, both naming the callback and the
step (step 0: the initial states). An exception raised inside a callback propagates
unchanged, with its traceback, and a note naming the callback and the step.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._validation import check_int
from .kernels import Backend

__all__ = ["CustomModel", "checked_call", "callback_output"]


def callback_output(value: Any, callback: str, shape: tuple[int, ...], step: int | None = None) -> np.ndarray:
    """A model callback's output as a float64 array of ``shape``: ValueError naming the
    callback (and the step, when sampling) for a wrong shape, a non-real dtype or NaN/inf.
    One vectorised pass, cheap beside the callback itself."""
    where = "" if step is None else f" at step {step}" + (" (the initial states)" if step == 0 else "")
    a = np.asarray(value)
    if a.dtype.kind not in "fiu":
        raise ValueError(f"{callback} returned dtype {a.dtype}{where}; it must return a real array")
    if a.shape != tuple(shape):
        raise ValueError(f"{callback} returned shape {a.shape}{where}; it must return shape {tuple(shape)}")
    a = a.astype(np.float64, copy=False)
    if not np.isfinite(a).all():
        bad = int(np.flatnonzero((~np.isfinite(a)).reshape(a.shape[0], -1).any(1))[0])
        raise ValueError(f"{callback} returned NaN or inf{where} (chain/row {bad}); check it for overflow")
    return a


def checked_call(fn: Callable[[np.ndarray], Any], X: np.ndarray, name: str, shape: tuple[int, ...],
                 step: int | None, require_array: bool = True) -> np.ndarray:
    """``fn(X)`` checked: TypeError if it is not a numpy array (``require_array``), else as
    :func:`callback_output`; exceptions from ``fn`` get a note naming it."""
    where = "" if step is None else f" at step {step}" + (" (the initial states)" if step == 0 else "")
    try:
        out = fn(X)
    except Exception as exc:
        if hasattr(exc, "add_note"):
            exc.add_note(f"raised by the {name} callback{where}")
        raise
    if require_array and not isinstance(out, np.ndarray):
        raise TypeError(f"{name} returned {type(out).__name__}{where}; it must return a numpy array "
                        f"of shape {tuple(shape)}")
    return callback_output(out, name, shape, step)


class CustomModel:
    """A categorical model x in {0..K-1}^D given by vectorised Python callables.

    Parameters
    ----------
    n_states : int, 2 <= n_states <= 255
        K, the number of states per site.
    log_prob : callable, (n, D) int64 array -> (n,) array
        f, the unnormalised log-probability.
    grad : callable, (n, D) int64 array -> (n, D, K) array, optional
        Gradient of the one-hot relaxation of f (needed by gwg, dmala, dula, pas, dlmc).
    dim : int >= 1
        D, the number of sites (keyword).

    Notes
    -----
    Samplers (``ttsolve.mcmc.kernels.samplers_for("user")``): locally_balanced, gibbs,
    block_gibbs (``block_size``, ``scan``), random_walk and hamming_ball need only ``log_prob``; gwg, dmala, dula, pas and dlmc need
    ``grad`` too. Each step calls each callable once on one batch (docs/mcmc.md lists the
    batch of every sampler).

    Examples
    --------
    Independent sites with K = 4 (DISCS's categorical model):

    >>> import numpy as np
    >>> from ttsolve.mcmc import CustomModel, sample
    >>> logits = np.random.default_rng(0).normal(size=(20, 4))
    >>> def log_prob(X):
    ...     return np.take_along_axis(logits[None], X[..., None], 2)[..., 0].sum(1)
    >>> def grad(X):
    ...     return np.broadcast_to(logits, X.shape + (4,)).copy()
    >>> model = CustomModel(4, log_prob, grad, dim=20)
    >>> res = sample(model, "gwg", n_chains=16, n_steps=1000, seed=0)
    >>> res.samples.shape
    (16, 1000, 20)
    """

    def __init__(self, n_states: int, log_prob: Callable[[np.ndarray], np.ndarray],
                 grad: Callable[[np.ndarray], np.ndarray] | None = None, *, dim: int) -> None:
        self.n_states = check_int(n_states, "n_states", 2, 255)
        self.dim = check_int(dim, "dim", 1)
        if not callable(log_prob):
            raise TypeError(f"log_prob must be callable, got {type(log_prob).__name__}")
        if grad is not None and not callable(grad):
            raise TypeError(f"grad must be callable or None, got {type(grad).__name__}")
        self._log_prob, self._grad = log_prob, grad

    @property
    def has_grad(self) -> bool:
        return self._grad is not None

    def mcmc_backend(self) -> Backend:
        """The batched numpy engine (Python callables)."""
        return Backend("user", (), self.n_states)

    def _states(self, X: Any) -> np.ndarray:
        X = np.asarray(X)
        if X.ndim == 1:
            X = X[None, :]
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"X must have shape (n, {self.dim}), got {X.shape}")
        if X.dtype.kind not in "iub" or X.size and (X.min() < 0 or X.max() >= self.n_states):
            raise ValueError(f"X must contain only integer states 0..{self.n_states - 1}")
        return X.astype(np.int64, copy=False)

    def log_prob(self, X: Any) -> np.ndarray:
        """f for an (n, D) batch of states, checked."""
        return self.evaluate_log_prob(self._states(X), None)

    def grad(self, X: Any) -> np.ndarray:
        """The one-hot gradient (n, D, K) for an (n, D) batch, checked."""
        return self.evaluate_grad(self._states(X), None)

    # The engine's entry points: X is an (n, D) int64 batch, step the MCMC step for errors.
    def evaluate_log_prob(self, X: np.ndarray, step: int | None) -> np.ndarray:
        return checked_call(self._log_prob, X, "log_prob", X.shape[:1], step)

    def evaluate_grad(self, X: np.ndarray, step: int | None) -> np.ndarray:
        if self._grad is None:
            raise ValueError("this model has no grad callable (needed by the gradient samplers "
                             "gwg, dmala, dula, pas, dlmc)")
        return checked_call(self._grad, X, "grad", (*X.shape, self.n_states), step)
