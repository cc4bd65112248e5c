"""High-dimensional parabolic PDEs: problem description, built-in problems, BSDE solver."""

from .problem import Problem
from .registry import BUILTIN_PROBLEMS, builtin_problem, get_problem, list_problems
from . import builtin  # noqa: F401  (registers the built-in problems)
from .residual import pde_residual
from .paths import simulate_paths
from .solution import Solution, SolverDivergedError, StepDiagnostics
from .error_estimate import ErrorEstimate
from .solver import solve

__all__ = ["Problem", "BUILTIN_PROBLEMS", "builtin_problem", "get_problem", "list_problems", "pde_residual",
           "simulate_paths", "solve", "Solution", "SolverDivergedError", "StepDiagnostics",
           "ErrorEstimate"]
