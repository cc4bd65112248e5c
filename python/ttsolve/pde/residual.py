"""The pointwise residual of a problem's PDE (for judging solutions without a closed form)."""

from __future__ import annotations

import numpy as np

from .._validation import as_points
from .paths import sigma_covariance_trace, sigma_transpose_times
from .problem import Problem

__all__ = ["pde_residual"]


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
    X : (K, d) array (or one (d,) point)

    Returns
    -------
    (K,) array of residuals (0 for an exact solution).
    """
    X = as_points(X, problem.dim, one_d="row")  # documented: a (d,) X is one point
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
