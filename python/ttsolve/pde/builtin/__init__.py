"""The built-in PDE problems: one module per problem, each defining its factory (registered with
:func:`ttsolve.pde.registry.builtin_problem`) and its reference solution.  Every public module of
this package is imported here, so adding a problem is adding one file (docs/pde_problems.md)."""

from __future__ import annotations

import importlib
import pkgutil

from ..registry import BUILTIN_PROBLEMS, builtin_problem, get_problem, list_problems

__all__ = ["BUILTIN_PROBLEMS", "builtin_problem", "get_problem", "list_problems"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
