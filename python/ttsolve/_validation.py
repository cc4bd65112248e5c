"""Argument checks shared by every public module (private).

One rule for point batches (:func:`as_points`): a function that expects a batch X of shape (K, d)
rejects a 1-D array with a ValueError naming the argument and saying how to reshape it (as
scikit-learn does).  A function may document another reading of 1-D input and ask for it
explicitly with ``one_d="row"`` (one point (d,) -> (1, d)) or ``one_d="column"`` (K values of a
single coordinate -> (K, 1)); nothing else decides how a 1-D array is read.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Optional, Union

import numpy as np

__all__ = ["SeedLike", "is_int", "is_real", "check_int", "check_real", "as_real_array", "as_seed", "as_generator",
           "as_points"]

SeedLike = Union[int, np.integer, np.random.Generator]


def is_int(value: Any) -> bool:
    """True for Python/numpy integers, False for bools (which Python counts as integers)."""
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """True for Python/numpy real numbers (integers included), False for bools."""
    return isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, name: str, minimum: Optional[int] = None, maximum: Optional[int] = None) -> int:
    """``value`` as an int in [minimum, maximum]; TypeError for non-integers (bools included)."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return int(value)


def check_real(value: Any, name: str, minimum: Optional[float] = None, *, positive: bool = False,
               finite: bool = True) -> float:
    """``value`` as a float; TypeError for non-numbers (bools included), ValueError when it is
    not finite (unless ``finite=False``), below ``minimum`` or, with ``positive``, not > 0."""
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v) or (finite and not math.isfinite(v)):
        raise ValueError(f"{name} must be a finite number, got {v}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be > 0, got {v}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {v}")
    return v


def as_real_array(x: Any, name: str, *, finite: bool = True) -> np.ndarray:
    """``x`` as a float64 array; TypeError for complex, object, bool and other non-numeric
    dtypes (never numpy's ComplexWarning and a dropped imaginary part), ValueError for NaN/inf
    unless ``finite=False``."""
    a = np.asarray(x)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real array, got dtype {a.dtype}")
    a = a.astype(np.float64, copy=False)
    if finite and not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite (it contains NaN or inf)")
    return a


def as_seed(seed: SeedLike) -> int:
    """An integer seed in [0, 2**64) from an int or a numpy Generator (advanced by one draw)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if not is_int(seed):
        raise TypeError(f"seed must be an int or a numpy Generator, got {type(seed).__name__}")
    if seed < 0 or seed >= 2**64:
        raise ValueError(f"seed must be >= 0 and < 2**64, got {seed}")
    return int(seed)


def as_generator(seed: SeedLike) -> np.random.Generator:
    """A PCG64 Generator seeded by :func:`as_seed` (the numpy-side streams of references and paths)."""
    return np.random.Generator(np.random.PCG64(as_seed(seed)))


def _all_finite(X: np.ndarray) -> bool:
    """All entries finite: a finite sum proves it (NaN and inf propagate through a sum) in one
    pass without a boolean temporary; only a non-finite sum (NaN/inf present, or an overflow of
    huge finite values) needs the elementwise test."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(X.sum()):
            return True
    return bool(np.all(np.isfinite(X)))


def as_points(X: Any, dim: Optional[int] = None, name: str = "X", *, one_d: str = "error") -> np.ndarray:
    """``X`` as a C-contiguous float64 (K, dim) array of finite values.

    ``dim=None`` accepts any number of columns.  A 1-D ``X`` is an error (reshape it with
    ``X.reshape(-1, 1)`` for one coordinate or ``X.reshape(1, -1)`` for one point) unless the
    caller documents another reading: ``one_d="row"`` takes it as one point, ``one_d="column"``
    as K values of a single coordinate.
    """
    if one_d not in ("error", "row", "column"):
        raise ValueError(f"one_d must be 'error', 'row' or 'column', got {one_d!r}")
    X = np.ascontiguousarray(as_real_array(X, name, finite=False))
    if X.ndim == 1:
        if one_d == "row":
            X = X[None, :]
        elif one_d == "column":
            X = X[:, None]
        else:
            raise ValueError(f"{name} must be a 2-D array of shape (K, {'d' if dim is None else dim}), got a 1-D "
                             f"array of shape {X.shape}; reshape it with {name}.reshape(1, -1) for one point "
                             f"or {name}.reshape(-1, 1) for one coordinate")
    if X.ndim != 2 or (dim is not None and X.shape[1] != dim):
        raise ValueError(f"{name} must have shape (K, {'d' if dim is None else dim}), got {X.shape}")
    if not _all_finite(X):
        raise ValueError(f"{name} contains NaN or inf")
    return X
