"""The affine CIR bond (independent factors, r = mean_i x_i) as its own built-in problem, with its
reference: the closed-form affine price :func:`~ttsolve.pde.builtin.cir.cir_affine_bond`."""

from __future__ import annotations

import dataclasses

from ..problem import Problem
from ..registry import builtin_problem
from .cir import CIRBond

__all__ = ["CIRAffineBond"]


@builtin_problem("cir-affine", "CIR bond price, independent factors, r = mean_i x_i; d=5, T=1; closed-form "
                 "affine price")
def CIRAffineBond(dim: int = 5, T: float = 1.0, seed: int = 42) -> Problem:
    """``CIRBond(dim, T, variant="affine", seed)``: dx_i = a_i (b_i - x_i) dt + s_i sqrt(|x_i|) dW_i
    with independent W_i, g = 1, h = -mean_i(x_i) y, x0 = 1; V is the product of 1-D affine bond
    prices (``exact``, ``exact_gradient``). The bond of issue 17: a first-order scheme's O(dt)
    bias is visible here (d = 5, N = 100: implicit 3.0e-3 relative, trapezoidal 4.0e-4 in about the
    same time, explicit 2.2e-3; bench/README.md "Error estimate"), hence its tested scheme."""
    problem = CIRBond(dim=dim, T=T, variant="affine", seed=seed)
    return dataclasses.replace(problem, defaults={**problem.defaults, "scheme": "trapezoidal"})
