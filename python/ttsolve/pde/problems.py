"""Built-in test problems (as in Richter, Sallandt & Nuesken, ICML 2021) and their registry.

Every factory returns a :class:`~ttsolve.pde.problem.Problem` for

    dV/dt + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V) = 0,  V(T) = g.

See docs/pde_problems.md for the constants and how each reference solution is obtained.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from .paths import simulate_paths
from .problem import Problem
from .references import brownian_cole_hopf, check_points

__all__ = [
    "HJB",
    "DoubleWell",
    "DoubleWellInteracting",
    "CIRBond",
    "UnboundedSin",
    "BUILTIN_PROBLEMS",
    "get_problem",
    "list_problems",
    "pde_residual",
    "domain_from_paths",
]


# ----------------------------------------------------------------------------- validation

def _check_dim(dim: Any) -> int:
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    return int(dim)


def _check_T(T: Any) -> float:
    T = float(T)
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be a positive finite number, got {T}")
    return T


def _checked(f: Callable, dim: int, name: str) -> Callable:
    """Wrap f(t, X, ...) so that X is validated as a (K, dim) finite array."""

    def wrapped(t, X, *args):
        return f(t, check_points(X, dim, f"{name}: X"), *args)

    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped


def _checked_x(f: Callable, dim: int, name: str) -> Callable:
    """Like :func:`_checked` for callables of X only (g, grad_g)."""

    def wrapped(X):
        return f(check_points(X, dim, f"{name}: X"))

    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped


def domain_from_paths(
    problem: Problem, n_steps: int = 50, n_samples: int = 1000, seed: int = 12345, margin: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """A box covering forward paths: per-coordinate min/max over a pilot simulation, widened by
    ``margin`` times its width on each side (deterministic for the fixed ``seed``)."""
    X, _ = simulate_paths(problem, n_steps, n_samples, seed=seed)
    lo = X.min(axis=(0, 1))
    hi = X.max(axis=(0, 1))
    width = np.maximum(hi - lo, 1e-12)
    return lo - margin * width, hi + margin * width


def _with_domain(problem: Problem, **pilot: Any) -> Problem:
    return dataclasses.replace(problem, domain=domain_from_paths(problem, **pilot))


def _half_sq_norm_h(t, X, Y, Z):
    """h = -|z|^2 / 2 (the control-cost nonlinearity of the HJB and double-well problems)."""
    return -0.5 * np.sum(np.asarray(Z) ** 2, axis=1)


def _zero_drift(t, X):
    return np.zeros_like(X)


# ----------------------------------------------------------------------------- HJB

def _hjb_g(X):
    return np.log(0.5 + 0.5 * np.sum(X * X, axis=-1))


def _hjb_grad_g(X):
    return 2.0 * X / (1.0 + np.sum(X * X, axis=-1, keepdims=True))


HJB_REFERENCE_D100 = 4.589992  # V(0, 0) for d = 100, T = 1 (paper; checked by tests/test_pde_problems.py)


def HJB(dim: int = 100, T: float = 1.0) -> Problem:
    """Hamilton-Jacobi-Bellman equation  V_t + Lap V - |grad V|^2 = 0,  V(T) = log(1/2 + |x|^2/2).

    b = 0, sigma = sqrt(2) I (scalar), h = -|z|^2/2 with z = sqrt(2) grad V, x0 = 0.  Reference
    by Cole-Hopf: V(t, x) = -log E[exp(-g(x + sqrt(2) W_{T-t}))]  (:func:`hjb_reference`).
    ``exact`` evaluates this by Monte Carlo (n_mc = 20000, seed 0, common random numbers) and
    ``exact_gradient`` likewise; pass larger n_mc to :func:`~ttsolve.pde.references.hjb_reference`
    for tighter references.
    """
    dim, T = _check_dim(dim), _check_T(T)
    s = np.sqrt(2.0)

    def exact(t, X):
        return brownian_cole_hopf(_hjb_g, _hjb_grad_g, t, X, T, s, n_mc=20_000)[0]

    def exact_gradient(t, X):
        return brownian_cole_hopf(_hjb_g, _hjb_grad_g, t, X, T, s, n_mc=20_000, gradient=True)[2]

    ref = stderr = None
    note = "Cole-Hopf Monte Carlo: V(t,x) = -log E exp(-g(x + sqrt(2) W_{T-t}))"
    if dim == 100 and T == 1.0:
        ref, note = HJB_REFERENCE_D100, note + "; V(0,0) = 4.589992 (paper, d=100)"
    half = 4.5 * np.sqrt(2.0 * T)  # X_t = sqrt(2) W_t: 4.5 standard deviations at t = T
    return Problem(
        dim=dim,
        T=T,
        x0=np.zeros(dim),
        drift=_checked(_zero_drift, dim, "drift"),
        sigma=lambda t, X: s,
        h=_half_sq_norm_h,
        g=_checked_x(_hjb_g, dim, "g"),
        grad_g=_checked_x(_hjb_grad_g, dim, "grad_g"),
        domain=(np.full(dim, -half), np.full(dim, half)),
        sigma_kind="scalar",
        name="hjb",
        exact=_checked(exact, dim, "exact"),
        exact_gradient=_checked(exact_gradient, dim, "exact_gradient"),
        reference_value=ref,
        reference_stderr=stderr,
        reference_note=note,
        defaults=dict(n_steps=100),
    )


# ----------------------------------------------------------------------------- residual

def pde_residual(problem: Problem, V, dVdt, grad, hess_trace, t: float, X) -> np.ndarray:
    """Pointwise PDE residual  V_t + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V).

    Parameters
    ----------
    V, dVdt : (K,) arrays
        Value and time derivative at (t, X).
    grad : (K, d) array
        Spatial gradient.
    hess_trace : (K,), (K, d) or (K, d, d) array
        Either the already-contracted Tr(sigma sigma^T Hess V) (K,), or the Hessian diagonal
        (K, d) (scalar/diagonal sigma only), or the full Hessian (K, d, d).
    t : float
    X : (K, d) array

    Returns
    -------
    (K,) array of residuals (0 for an exact solution).
    """
    from .paths import sigma_covariance_trace, sigma_transpose_times

    X = check_points(X, problem.dim)
    K, d = X.shape
    V = np.asarray(V, dtype=float).reshape(-1)
    dVdt = np.asarray(dVdt, dtype=float).reshape(-1)
    grad = np.asarray(grad, dtype=float)
    hess_trace = np.asarray(hess_trace, dtype=float)
    for name, arr, shape in (("V", V, (K,)), ("dVdt", dVdt, (K,)), ("grad", grad, (K, d))):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if hess_trace.shape == (K,):
        trace = hess_trace
    else:
        trace = sigma_covariance_trace(problem, t, X, hess_trace)
    Z = sigma_transpose_times(problem, t, X, grad)
    b = np.asarray(problem.drift(t, X), dtype=float)
    h = np.asarray(problem.h(t, X, V, Z), dtype=float).reshape(-1)
    return dVdt + 0.5 * trace + np.sum(b * grad, axis=1) + h
