"""High-dimensional parabolic PDEs: problem description, built-in problems, BSDE solver."""

from .problem import Problem
from .problems import BUILTIN_PROBLEMS, get_problem, list_problems, pde_residual
from .paths import simulate_paths
from .solver import Solution, SolverDivergedError, StepDiagnostics, solve

__all__ = ["Problem", "BUILTIN_PROBLEMS", "get_problem", "list_problems", "pde_residual", "simulate_paths",
           "solve", "Solution", "SolverDivergedError", "StepDiagnostics"]
