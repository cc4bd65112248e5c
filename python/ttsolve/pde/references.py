"""Reference solutions, gathered: the generic Cole-Hopf Monte Carlo estimators
(:mod:`ttsolve.pde.cole_hopf`) and the references of the built-in problems (each defined in its
problem's file under :mod:`ttsolve.pde.builtin`)."""

from __future__ import annotations

import numpy as np

from .._validation import as_points
from .builtin.cir import cir_affine_bond, cir_reference
from .builtin.doublewell_interacting import interacting_reference
from .builtin.hjb import hjb_exact, hjb_reference
from .cole_hopf import brownian_cole_hopf, feynman_kac_cole_hopf

__all__ = ["hjb_exact", "hjb_reference", "brownian_cole_hopf", "feynman_kac_cole_hopf", "check_points",
           "interacting_reference", "cir_reference", "cir_affine_bond"]


def check_points(X: np.ndarray, dim: int, name: str = "X") -> np.ndarray:
    """X as a float (K, dim) array, or a clear ValueError; a (dim,) X is one point (kept for
    compatibility: :func:`ttsolve._validation.as_points` with ``one_d="row"``)."""
    return as_points(X, dim, name, one_d="row")
