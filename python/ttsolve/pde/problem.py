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

import hashlib
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

    def fingerprint(self) -> str:
        """SHA-256 of what the solve depends on: the constants (dim, T, x0, domain, sigma_kind,
        name) and the values of drift, sigma, h, g and grad_g at a fixed probe set (9 points
        spread over the domain and x0, at t = 0, T/3, T). Two problems that differ in any
        function or constant get different fingerprints, so a checkpoint of one is never
        reused for the other. A callable that raises on the probes contributes its exception
        type (the solve itself will then raise)."""
        digest = hashlib.sha256()

        def add(value: Any) -> None:
            a = np.asarray(value)
            if a.dtype.kind in "fiub":
                a = np.ascontiguousarray(a, dtype=np.float64)
                digest.update(repr(a.shape).encode())
                digest.update(a.tobytes())
            else:
                digest.update(repr(value).encode())

        def probe(fn: Callable, *args: Any) -> None:
            try:
                add(fn(*args))
            except Exception as exc:  # noqa: BLE001  (the solve reports it properly)
                digest.update(type(exc).__name__.encode())

        add([self.dim, self.T])
        add(self.x0)
        add(self.domain[0])
        add(self.domain[1])
        digest.update(f"{self.sigma_kind}|{self.name}".encode())
        lo = np.broadcast_to(np.asarray(self.domain[0], dtype=np.float64), (self.dim,))
        hi = np.broadcast_to(np.asarray(self.domain[1], dtype=np.float64), (self.dim,))
        u = np.random.default_rng(20210718).random((8, self.dim))
        X = np.vstack([np.asarray(self.x0, dtype=np.float64).reshape(1, -1), lo + u * (hi - lo)])
        Y = np.linspace(-1.0, 1.0, X.shape[0])
        Z = np.random.default_rng(1).standard_normal(X.shape)
        for t in (0.0, self.T / 3, float(self.T)):
            probe(self.drift, t, X)
            probe(self.sigma, t, X)
            probe(self.h, t, X, Y, Z)
        probe(self.g, X)
        probe(self.grad_g, X)
        return digest.hexdigest()
