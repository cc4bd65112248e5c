"""The diagonal double well (TT-PDE paper, Sec. 5.2) with its reference: a sum of 1-D Cole-Hopf
solutions by Crank-Nicolson finite differences (:class:`~ttsolve.pde.fd1d.ColeHopf1D`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..fd1d import ColeHopf1D
from ..problem import Problem
from ..registry import builtin_problem
from ._common import check_T, check_dim, half_sq_norm_h, make_problem, quadratic_terminal

__all__ = ["DoubleWell", "DOUBLE_WELL_KAPPA", "DOUBLE_WELL_ETA"]

DOUBLE_WELL_KAPPA = 0.1  # paper, d = 50 diagonal experiment
DOUBLE_WELL_ETA = 0.05
_FD_CACHE: dict[tuple, Any] = {}


def _double_well_fd(kappa: float, eta: float, T: float):
    """The 1-D Cole-Hopf reference, solved once per (kappa, eta, T) and cached."""
    key = (kappa, eta, T)
    if key not in _FD_CACHE:
        _FD_CACHE[key] = ColeHopf1D(
            drift=lambda x: -4.0 * kappa * x * (x * x - 1.0),
            terminal=lambda x: eta * (x - 1.0) ** 2,
            T=T,
        )
    return _FD_CACHE[key]


@builtin_problem("doublewell", "diagonal double well, kappa=0.1, eta=0.05; d=50, T=0.5; "
                 "1-D finite-difference reference")
def DoubleWell(dim: int = 50, T: float = 0.5, kappa: float = DOUBLE_WELL_KAPPA, eta: float = DOUBLE_WELL_ETA) -> Problem:
    """Diagonal double well: b = -grad Psi, Psi(x) = sum_i kappa (x_i^2 - 1)^2, sigma = I,
    h = -|z|^2/2, g(x) = sum_i eta (x_i - 1)^2, x0 = (-1, ..., -1).

    The problem separates: V(t, x) = sum_i v(t, x_i) where v = -log psi and psi solves the 1-D
    linear backward equation psi_t + psi_xx/2 - 4 kappa x (x^2 - 1) psi_x = 0, psi(T) = exp(-eta (x-1)^2),
    solved by Crank-Nicolson on [-4.5, 4.5] (1801 points, 1000 steps); ``exact`` and
    ``exact_gradient`` interpolate that solution.
    """
    dim, T = check_dim(dim), check_T(T)
    kappa, eta = float(kappa), float(eta)
    if kappa < 0 or eta < 0:
        raise ValueError(f"kappa and eta must be >= 0, got kappa={kappa}, eta={eta}")
    fd = _double_well_fd(kappa, eta, T)

    def drift(t, X):
        return -4.0 * kappa * X * (X * X - 1.0)

    g, grad_g = quadratic_terminal(eta)

    def exact(t, X):
        return fd.value_and_derivative(t, X)[0].sum(axis=1)

    def exact_gradient(t, X):
        return fd.value_and_derivative(t, X)[1]

    return make_problem(
        dim=dim, T=T, x0=-np.ones(dim), drift=drift, sigma=lambda t, X: 1.0, h=half_sq_norm_h,
        g=g, grad_g=grad_g, name="doublewell", n_steps=50,
        solver=dict(degree=3, max_rank=2), exact=exact, exact_gradient=exact_gradient,
        compiled_g=("scaled_sq_dist", (eta, 1.0)),
        note="separable: sum of 1-D Cole-Hopf solutions by Crank-Nicolson finite differences",
    )
