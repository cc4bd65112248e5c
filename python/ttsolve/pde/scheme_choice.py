"""Which backward scheme a solve uses when the caller names none, and why (shown by
:meth:`Solution.report`).

A built-in problem carries a tested scheme in ``problem.defaults["scheme"]`` (its file under
:mod:`ttsolve.pde.builtin`).  A :class:`~ttsolve.pde.problem.Problem` without one gets
:data:`USER_DEFAULT_SCHEME`, chosen by measured accuracy per second on the built-ins
(``python bench/pde_error.py schemes``, table in bench/README.md "Error estimate"): the scheme with the
smallest geometric mean over the problems of (abs(V(0, x0) error) x time) relative to the best
scheme on each problem.
"""

from __future__ import annotations

from typing import Optional

from .problem import Problem

__all__ = ["SCHEMES", "USER_DEFAULT_SCHEME", "USER_DEFAULT_REASON", "choose_scheme"]

SCHEMES = ("implicit", "explicit", "trapezoidal")

USER_DEFAULT_SCHEME = "trapezoidal"
USER_DEFAULT_REASON = ("the default for problems without a tested scheme: best accuracy per second on the built-ins "
                       "(bench/README.md, 'Error estimate')")


def choose_scheme(problem: Problem, scheme: Optional[str]) -> tuple[str, str]:
    """(scheme, reason): the given one, else the problem's tested default, else the rule."""
    if scheme is not None:
        reason = "given by the caller"
    elif "scheme" in problem.defaults:
        scheme = problem.defaults["scheme"]
        reason = f"the tested default of the problem {problem.name!r} (problem.defaults)"
    else:
        scheme, reason = USER_DEFAULT_SCHEME, USER_DEFAULT_REASON
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be 'implicit', 'explicit' or 'trapezoidal', got {scheme!r}")
    return scheme, reason
