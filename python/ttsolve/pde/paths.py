"""Forward SDE paths dX = b(t, X) dt + sigma(t, X) dW by Euler-Maruyama, and sigma helpers.

The forward process of the BSDE formulation of a :class:`~ttsolve.pde.problem.Problem`:

    X_{n+1} = X_n + b(t_n, X_n) dt + sigma(t_n, X_n) xi_n sqrt(dt),   xi_n ~ N(0, I_d),

with t_n = n dt.  The standard normal increments ``xi`` are returned with the paths because the
implicit backward scheme needs them (Z . xi sqrt(dt) is the martingale increment).
"""

from __future__ import annotations

import os
from typing import Any, Callable, Iterator, Optional

import numpy as np

from .._validation import SeedLike, as_generator, as_seed as as_int_seed, check_int, check_real
from .problem import Problem

__all__ = [
    "DEFAULT_MAX_BYTES",
    "as_int_seed",
    "euler_maruyama",
    "simulate_paths",
    "sigma_times",
    "sigma_transpose_times",
    "sigma_covariance_trace",
]

def _half_physical_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (AttributeError, ValueError, OSError):
        return 2 * 1024**3


# Paths and increments together may not exceed this many bytes unless ``max_bytes`` is raised:
# half the machine's physical memory (2 GiB where it cannot be queried), so that an absurd
# n_samples gives a MemoryError instead of swapping the machine to a halt.
DEFAULT_MAX_BYTES = _half_physical_memory()

def _sigma_value(problem: Problem, t: float, X: np.ndarray) -> Any:
    """sigma(t, X) checked against ``problem.sigma_kind``."""
    K, d = X.shape
    s = problem.sigma(t, X)
    kind = problem.sigma_kind
    if kind == "scalar":
        s = np.asarray(s, dtype=float)
        if s.ndim != 0 and s.shape != (K,):
            raise ValueError(f"sigma (scalar kind) must return a float or shape ({K},), got {s.shape}")
        return s if s.ndim == 0 else s[:, None]
    s = np.asarray(s, dtype=float)
    want = (K, d) if kind == "diagonal" else (K, d, d)
    if kind not in ("diagonal", "full"):
        raise ValueError(f"sigma_kind must be 'scalar', 'diagonal' or 'full', got {kind!r}")
    if s.shape != want:
        # A constant matrix/vector is broadcast over the batch.
        try:
            s = np.broadcast_to(s, want)
        except ValueError:
            raise ValueError(f"sigma ({kind} kind) must return shape {want}, got {s.shape}") from None
    return s


def sigma_times(problem: Problem, t: float, X: np.ndarray, xi: np.ndarray) -> np.ndarray:
    """sigma(t, X) @ xi per sample: xi has shape (..., K, d) (leading axes: several increments
    per sample, sigma evaluated once), the result the same shape."""
    s = _sigma_value(problem, t, X)
    if problem.sigma_kind == "full":
        return np.einsum("kij,...kj->...ki", s, xi)
    return s * xi


def sigma_transpose_times(problem: Problem, t: float, X: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """Z = sigma(t, X)^T grad per sample, shape (K, d)."""
    s = _sigma_value(problem, t, X)
    if problem.sigma_kind == "full":
        return np.einsum("kji,kj->ki", s, grad)
    return s * grad


def sigma_covariance_trace(problem: Problem, t: float, X: np.ndarray, hess: np.ndarray) -> np.ndarray:
    """Tr(sigma sigma^T Hess) per sample, shape (K,).

    ``hess`` is the (K, d, d) Hessian, or its (K, d) diagonal when sigma is scalar or diagonal.
    """
    K, d = X.shape
    s = _sigma_value(problem, t, X)
    hess = np.asarray(hess, dtype=float)
    if hess.shape == (K, d):
        if problem.sigma_kind == "full":
            raise ValueError("hess: a full sigma needs the (K, d, d) Hessian, not its diagonal")
        return np.sum(np.broadcast_to(s**2, (K, d)) * hess, axis=1)
    if hess.shape != (K, d, d):
        raise ValueError(f"hess must have shape ({K}, {d}) or ({K}, {d}, {d}), got {hess.shape}")
    if problem.sigma_kind == "full":
        # Tr(S S^T H) = sum_ij (S^T H)_ji S_ij, without forming S S^T.
        return np.einsum("kij,kil,klj->k", s, hess, s)
    diag_hess = np.einsum("kii->ki", hess)
    return np.sum(np.broadcast_to(s**2, (K, d)) * diag_hess, axis=1)


def simulate_paths(
    problem: Problem,
    n_steps: int,
    n_samples: int,
    seed: SeedLike = 0,
    dt: float | None = None,
    x0: np.ndarray | None = None,
    t0: float = 0.0,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> tuple[np.ndarray, np.ndarray]:
    """Euler-Maruyama paths of the problem's forward SDE.

    Parameters
    ----------
    problem : Problem
        The PDE; its ``drift`` and ``sigma`` define the SDE.
    n_steps : int
        Number of time steps N >= 1.
    n_samples : int
        Number of paths K >= 1.
    seed : int or numpy.random.Generator
        Seed of a PCG64 generator (a Generator is used to derive an int seed).
    dt : float, optional
        Step size; default ``(T - t0) / n_steps``.
    x0 : array (d,) or (K, d), optional
        Start point(s); default ``problem.x0``.
    t0 : float
        Start time.
    max_bytes : int
        Refuse (MemoryError) if the paths plus increments would need more memory than this.

    Returns
    -------
    X : ndarray (n_steps + 1, K, d)
        The paths, ``X[0] = x0``.
    xi : ndarray (n_steps, K, d)
        The standard normal increments: ``X[n+1] = X[n] + b dt + sigma xi[n] sqrt(dt)``.
    """
    d = problem.dim
    n_steps = check_int(n_steps, "n_steps", 1)
    n_samples = check_int(n_samples, "n_samples", 1)
    dt = check_real((problem.T - t0) / n_steps if dt is None else dt, "dt", positive=True)
    need = 8 * d * n_samples * (2 * n_steps + 1)
    if need > max_bytes:
        raise MemoryError(
            f"simulate_paths: n_steps={n_steps}, n_samples={n_samples}, dim={d} need "
            f"{need / 2**30:.2f} GiB > max_bytes={max_bytes / 2**30:.2f} GiB; "
            "reduce n_samples/n_steps or raise max_bytes"
        )
    start = problem.x0 if x0 is None else x0
    start = np.asarray(start, dtype=float)
    if start.shape not in ((d,), (n_samples, d)):
        raise ValueError(f"x0 must have shape ({d},) or ({n_samples}, {d}), got {start.shape}")
    rng = as_generator(seed)
    X = np.empty((n_steps + 1, n_samples, d))
    xi = rng.standard_normal((n_steps, n_samples, d))
    X[0] = start
    for n, _, _, X_next in euler_maruyama(problem, X[0], t0, dt, n_steps, lambda n: xi[n]):
        X[n + 1] = X_next
    return X, xi


def euler_maruyama(
    problem: Problem,
    X: np.ndarray,
    t0: float,
    dt: float,
    n_steps: int,
    normals: Callable[[int], np.ndarray],
    control: Optional[Callable[[float, np.ndarray], np.ndarray]] = None,
    first_step: int = 0,
) -> Iterator[tuple[int, np.ndarray, Optional[np.ndarray], np.ndarray]]:
    """The one Euler-Maruyama loop of ttsolve (paths, references, pilot simulations).

    Starting from the (K, d) batch ``X`` at ``t0``, yields ``(n, xi_n, u_n, X_{n+1})`` for
    n = 0 .. n_steps - 1 with

        X_{n+1} = X_n + b(t_n, X_n) dt + sigma(t_n, X_n) (u_n dt + xi_n sqrt(dt)),

    ``xi_n = normals(n)`` a (K, d) standard normal draw and ``u_n = control(t_n, X_n)`` (the
    importance-sampling drift; ``None`` and no u term without a control).  The caller reads
    X_n before advancing the iterator (it is the previous X_{n+1}).  With ``first_step`` = m the
    times are t0 + (m + n) dt (a segment of a longer run, bitwise the same times as that run).
    """
    K, d = X.shape
    sq = np.sqrt(dt)
    for n in range(n_steps):
        t = t0 + (first_step + n) * dt
        xi = normals(n)
        b = np.asarray(problem.drift(t, X), dtype=float)
        if b.shape != (K, d):
            raise ValueError(f"drift must return shape ({K}, {d}), got {b.shape} at step {n}")
        X_next = X + b * dt + sigma_times(problem, t, X, xi) * sq
        u = None
        if control is not None:
            u = control(t, X)
            X_next += sigma_times(problem, t, X, u) * dt
        yield n, xi, u, X_next
        X = X_next
