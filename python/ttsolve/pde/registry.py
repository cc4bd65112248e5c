"""The registry of built-in PDE problems: a factory is registered once, with its name and a
one-line description, by the :func:`builtin_problem` decorator in the file that defines it
(python/ttsolve/pde/builtin/<problem>.py)."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from .problem import Problem

__all__ = ["BUILTIN_PROBLEMS", "builtin_problem", "get_problem", "list_problems"]

Factory = TypeVar("Factory", bound=Callable[..., Problem])

# name -> factory, in registration order; each factory carries its ``description``.
BUILTIN_PROBLEMS: dict[str, Callable[..., Problem]] = {}


def _key(name: str) -> str:
    return str(name).lower().replace("_", "-")


def builtin_problem(name: str, description: str) -> Callable[[Factory], Factory]:
    """Register a factory ``f(dim=..., T=..., ...) -> Problem`` as the built-in problem ``name``
    (shown by ``ttsolve problems`` with ``description``)."""
    key = _key(name)
    if not description or "\n" in description:
        raise ValueError(f"problem {name!r}: the description must be one non-empty line")

    def register(factory: Factory) -> Factory:
        if key in BUILTIN_PROBLEMS:
            raise ValueError(f"a built-in problem named {key!r} is already registered")
        factory.problem_name = key  # type: ignore[attr-defined]
        factory.description = description  # type: ignore[attr-defined]
        BUILTIN_PROBLEMS[key] = factory
        return factory

    return register


def get_problem(name: str, **kwargs: Any) -> Problem:
    """Build the built-in problem ``name`` (case-insensitive, '_' == '-') with factory kwargs."""
    key = _key(name)
    if key not in BUILTIN_PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; choose one of {sorted(BUILTIN_PROBLEMS)}")
    return BUILTIN_PROBLEMS[key](**kwargs)


def list_problems() -> list[tuple[str, str]]:
    """(name, one-line description) of every built-in problem."""
    return [(name, factory.description) for name, factory in BUILTIN_PROBLEMS.items()]  # type: ignore[attr-defined]
