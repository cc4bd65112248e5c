"""Pieces shared by the built-in problem files: validated callables, pilot-path domains, the
control-cost nonlinearity and the quadratic terminal cost of the double wells."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from ..._validation import as_points, check_int, check_real
from ..paths import simulate_paths
from ..problem import Problem

__all__ = ["check_dim", "check_T", "checked", "checked_x", "domain_from_paths", "make_problem",
           "half_sq_norm_h", "zero_drift", "quadratic_terminal"]


def check_dim(dim: Any) -> int:
    return check_int(dim, "dim", 1)


def check_T(T: Any) -> float:
    return check_real(T, "T", positive=True)


# The built-in callables read a 1-D X as ONE point (d,) -> (1, d): documented exception to the
# batch rule of ttsolve._validation.as_points, kept because users call p.g(x0) on one point.
def checked(f: Callable, dim: int, name: str) -> Callable:
    """Wrap f(t, X, ...) so that X is validated as a (K, dim) finite array (1-D: one point)."""

    def wrapped(t, X, *args):
        return f(t, as_points(X, dim, f"{name}: X", one_d="row"), *args)

    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped


def checked_x(f: Callable, dim: int, name: str, compiled=None) -> Callable:
    """Like :func:`checked` for callables of X only (g, grad_g); ``compiled`` is kept as the
    wrapper's ``compiled`` attribute."""

    def wrapped(X):
        return f(as_points(X, dim, f"{name}: X", one_d="row"))

    if compiled is not None:
        wrapped.compiled = (compiled[0], np.ascontiguousarray(compiled[1], dtype=np.float64))
    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped


def domain_from_paths(
    problem: Problem, n_steps: int = 50, n_samples: int = 1000, seed: int = 12345, margin: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """A box covering forward paths: per-coordinate min/max over a pilot simulation, widened by
    ``margin`` times its width on each side (deterministic for the fixed ``seed``)."""
    X, _ = simulate_paths(problem, n_steps, n_samples, seed=seed)
    lo = X.min(axis=(0, 1))
    hi = X.max(axis=(0, 1))
    width = np.maximum(hi - lo, 1e-12)
    return lo - margin * width, hi + margin * width


def make_problem(
    *, dim, T, x0, drift, sigma, h, g, grad_g, name, note, n_steps, sigma_kind="scalar",
    exact=None, exact_gradient=None, reference=None, domain=None, solver=None, compiled_g=None,
) -> Problem:
    """Assemble a built-in Problem: validated callables, V(0, x0) from ``exact`` unless a
    ``reference`` (value, stderr) is given, and a domain box from pilot paths unless given.
    The tested scheme is "implicit" unless ``solver`` names another (user problems without a
    scheme default get :data:`ttsolve.pde.scheme_choice.USER_DEFAULT_SCHEME`).

    ``compiled_g = (name, params)`` names the compiled twin of ``g``
    (:data:`ttsolve.pde.inner_sampling.COMPILED_TERMINALS`); it is attached to the g callable
    itself, so a problem whose g is replaced (``dataclasses.replace``) loses it."""
    if exact is not None:
        exact = checked(exact, dim, "exact")
        exact_gradient = checked(exact_gradient, dim, "exact_gradient")
        if reference is None:
            reference = (float(exact(0.0, x0[None, :])[0]), 0.0)
    problem = Problem(
        dim=dim, T=T, x0=x0,
        drift=checked(drift, dim, "drift"),
        sigma=sigma,
        h=h,
        g=checked_x(g, dim, "g", compiled_g),
        grad_g=checked_x(grad_g, dim, "grad_g"),
        domain=(x0 - 1.0, x0 + 1.0) if domain is None else domain,
        sigma_kind=sigma_kind,
        name=name,
        exact=exact,
        exact_gradient=exact_gradient,
        reference_value=None if reference is None else reference[0],
        reference_stderr=None if reference is None else reference[1],
        reference_note=note,
        defaults={"scheme": "implicit", "n_steps": n_steps, **(solver or {})},  # tested; a solver entry overrides
    )
    if domain is not None:
        return problem
    return dataclasses.replace(problem, domain=domain_from_paths(problem))


def half_sq_norm_h(t, X, Y, Z):
    """h = -|z|^2 / 2 (the control-cost nonlinearity of the HJB and double-well problems)."""
    return -0.5 * np.sum(np.asarray(Z) ** 2, axis=1)


def zero_drift(t, X):
    return np.zeros_like(X)


def quadratic_terminal(eta: float):
    """(g, grad_g) of the double wells' terminal cost g(x) = sum_i eta (x_i - 1)^2."""

    def g(X):
        return eta * np.sum((X - 1.0) ** 2, axis=-1)

    def grad_g(X):
        return 2.0 * eta * (X - 1.0)

    return g, grad_g
