"""The Hure-Pham-Warin unbounded sine problem, whose reference is its closed-form solution."""

from __future__ import annotations

import numpy as np

from ..problem import Problem
from ..registry import builtin_problem
from ._common import check_T, check_dim, checked, make_problem, zero_drift

__all__ = ["UnboundedSin"]


@builtin_problem("unboundedsin", "Hure-Pham-Warin unbounded sine problem; d=10, T=1; exact solution")
def UnboundedSin(dim: int = 10, T: float = 1.0) -> Problem:
    """Huré-Pham-Warin test with an unbounded, non-smooth-looking exact solution:

        V(t, x) = (T - t)/d sum_i psi(x_i) + cos(sum_i i x_i),   psi(u) = sin u (u < 0), u (u >= 0),

    b = 0, sigma = I / sqrt(d) (scalar), x0 = (1/2, ..., 1/2), g(x) = cos(sum_i i x_i), and
    h(t, x, y, z) = -V_t - Lap V/(2d) - 1/2 (V DV/d + V^2) + 1/2 (y^2 + y sum_i z_i / sqrt(d)),
    where V, DV = sum_i dV/dx_i, V_t and Lap V are those of the exact solution, so that the exact
    solution satisfies the PDE with (y, z) = (V, grad V / sqrt(d)).
    """
    dim, T = check_dim(dim), check_T(T)
    k = np.arange(1.0, dim + 1.0)
    s = 1.0 / np.sqrt(dim)
    r = 0.5

    def parts(t, X):
        neg = X < 0
        psi = np.where(neg, np.sin(X), X)
        dpsi = np.where(neg, np.cos(X), 1.0)
        ddpsi = np.where(neg, -np.sin(X), 0.0)
        phase = X @ k
        V = (T - t) * psi.mean(axis=1) + np.cos(phase)
        grad = (T - t) / dim * dpsi - np.sin(phase)[:, None] * k[None, :]
        lap = (T - t) * ddpsi.mean(axis=1) - np.cos(phase) * np.sum(k * k)
        Vt = -psi.mean(axis=1)
        return V, grad, lap, Vt

    def exact(t, X):
        return parts(t, X)[0]

    def exact_gradient(t, X):
        return parts(t, X)[1]

    def h(t, X, Y, Z):
        V, grad, lap, Vt = parts(t, X)
        DV = grad.sum(axis=1)
        Y = np.asarray(Y).reshape(-1)
        forcing = -Vt - 0.5 * s * s * lap - r * (V * DV / dim + V * V)
        return forcing + r * (Y * Y + Y * np.sum(Z, axis=1) / np.sqrt(dim))

    def g(X):
        return np.cos(X @ k)

    def grad_g(X):
        return -np.sin(X @ k)[:, None] * k[None, :]

    return make_problem(
        dim=dim, T=T, x0=np.full(dim, 0.5), drift=zero_drift, sigma=lambda t, X: s,
        h=checked(h, dim, "h"), g=g, grad_g=grad_g, name="unboundedsin", n_steps=100,
        solver=dict(scheme="trapezoidal", n_samples=8000, degree=3, max_rank=2, inner_samples=8,
                    inner_samples_g=128),
        exact=exact, exact_gradient=exact_gradient, note="closed-form exact solution",
        compiled_g=("cos_dot", k),
    )
