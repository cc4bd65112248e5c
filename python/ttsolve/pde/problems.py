"""Built-in test problems (as in Richter, Sallandt & Nuesken, ICML 2021) and their registry.

Each problem lives in its own file under :mod:`ttsolve.pde.builtin` together with its reference
solution; this module gathers their public names in one place.  Every factory returns a
:class:`~ttsolve.pde.problem.Problem` for

    dV/dt + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V) = 0,  V(T) = g.

See docs/pde_problems.md for the constants, how each reference solution is obtained, and how to
add a problem.
"""

from __future__ import annotations

from .builtin import BUILTIN_PROBLEMS, builtin_problem, get_problem, list_problems
from .builtin._common import domain_from_paths
from .builtin.cir import CIR_REFERENCE, CIRBond, cir_affine_bond, cir_reference
from .builtin.cir_affine import CIRAffineBond
from .builtin.doublewell import DOUBLE_WELL_ETA, DOUBLE_WELL_KAPPA, DoubleWell
from .builtin.doublewell_interacting import (
    INTERACTING_REFERENCE,
    DoubleWellInteracting,
    decoupled_control,
    interacting_reference,
    interaction_matrix,
)
from .builtin.hjb import HJB, HJB_PAPER_VALUE_D100
from .builtin.unbounded_sin import UnboundedSin
from .residual import pde_residual

__all__ = [
    "HJB",
    "DoubleWell",
    "DoubleWellInteracting",
    "CIRBond",
    "CIRAffineBond",
    "UnboundedSin",
    "BUILTIN_PROBLEMS",
    "builtin_problem",
    "get_problem",
    "list_problems",
    "pde_residual",
    "domain_from_paths",
    "HJB_PAPER_VALUE_D100",
    "DOUBLE_WELL_KAPPA",
    "DOUBLE_WELL_ETA",
    "INTERACTING_REFERENCE",
    "CIR_REFERENCE",
    "interaction_matrix",
    "decoupled_control",
    "interacting_reference",
    "cir_affine_bond",
    "cir_reference",
]
