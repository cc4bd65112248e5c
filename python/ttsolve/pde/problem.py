"""The PDE problem description shared by the solver and the built-in problems.

    dV/dt + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V) = 0,
    V(T, .) = g,   on [0, T] x R^d.

All callables are vectorised over a (K, d) batch of points ``X``:

- ``drift(t, X) -> (K, d)``
- ``sigma(t, X)`` -> a float (scalar times identity), a (K, d) array (diagonal) or a
  (K, d, d) array (full matrix), according to ``sigma_kind``
- ``h(t, X, Y, Z) -> (K,)`` with ``Y`` (K,) values and ``Z = sigma^T grad V`` (K, d)
- ``g(X) -> (K,)`` and ``grad_g(X) -> (K, d)``
- optional ``exact(t, X) -> (K,)`` (and ``exact_gradient(t, X) -> (K, d)``)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

__all__ = ["Problem"]

Array = np.ndarray


@dataclass
class Problem:
    """A parabolic PDE in the BSDE form solved by :func:`ttsolve.pde.solve`."""

    dim: int
    T: float
    x0: Array
    drift: Callable[[float, Array], Array]
    sigma: Callable[[float, Array], Any]
    h: Callable[[float, Array, Array, Array], Array]
    g: Callable[[Array], Array]
    grad_g: Callable[[Array], Array]
    domain: tuple[Array, Array]
    sigma_kind: str = "scalar"  # "scalar" | "diagonal" | "full"
    name: str = "problem"
    exact: Optional[Callable[[float, Array], Array]] = None
    exact_gradient: Optional[Callable[[float, Array], Array]] = None
    reference_value: Optional[float] = None  # V(0, x0)
    reference_stderr: Optional[float] = None  # Monte Carlo standard error of reference_value
    reference_note: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)  # suggested solver settings
