"""The implicit schemes' fixed-point loop V^{k+1} = fit(target(V^k)) and its stopping rules.

One place for the loop that the local solver (:func:`ttsolve.pde.solver._backward_step`) and the
sharded solves (``ttsolve.distributed``) run, each with its own way of computing an iterate:

- stop with reason "change" when the relative change of V on the training points is at most
  ``tol``;
- stop with reason "not contracting", keeping V^{k-1}, when iterate k changed V by no less than
  iterate k - 1 did (the noise floor of the fit is reached, or the map is expansive); if V^{k-1}
  itself moved V by more than :func:`kept_change_limit` (min(1, 10 / N)) the time step is too coarse for this h and
  SolverDivergedError is raised (a finite but meaningless V would follow);
- else stop after ``max_iterations`` with reason "max_fixed_point".
"""

from __future__ import annotations

import math
from typing import Any, Callable

__all__ = ["MAX_KEPT_CHANGE", "KEPT_CHANGE_PER_STEP", "kept_change_limit", "not_contracting", "fixed_point"]

# A loop that stops contracting after an iterate changed V by more than this (relatively) is
# diverging, not at its noise floor ...
MAX_KEPT_CHANGE = 1.0
# ... and, since one iterate moves V by O(dt h), by more than this many dt / T = 1 / N.  Healthy
# solves of every built-in keep changes <= 1.5e-3 at N = 20-60, i.e. <= 0.03 / N (bench/README.md,
# session 10); with the bound 1.0 alone a DoubleWellInteracting solve (N = 30, K = 4000) kept a
# 47% change at step 1 and returned V(0, x0) = 14.2 for 34.4 without an error.
KEPT_CHANGE_PER_STEP = 10.0


def kept_change_limit(n_steps: int) -> float:
    """The largest relative change of a kept iterate that is not a divergence, for N = n_steps."""
    return min(MAX_KEPT_CHANGE, KEPT_CHANGE_PER_STEP / n_steps)


def not_contracting(k: int, change: float, new_change: float, diverged: Callable[[str], Exception],
                    limit: float = MAX_KEPT_CHANGE) -> bool:
    """True when iterate k (relative change ``new_change``) did not improve on iterate k - 1
    (``change``); raises ``diverged(message)`` when V^{k-1} itself moved V by more than ``limit``
    (:func:`kept_change_limit` of the time grid)."""
    if not (k > 1 and new_change >= change):
        return False
    if change > limit:
        raise diverged(f"fixed-point iteration not contracting (relative changes {change:.3g}, {new_change:.3g}); "
                       "use more time steps")
    return True


def fixed_point(iterate: Callable[[int, Any], tuple], init: Any, max_iterations: int, tol: float,
                diverged: Callable[[str], Exception], limit: float = MAX_KEPT_CHANGE) -> tuple:
    """Run the loop from V^0 = ``init``.

    ``iterate(k, current)`` returns ``(model, change, info)``: V^k fitted from the target of
    ``current`` = V^{k-1}, its relative change against V^{k-1} on the training points, and
    anything to keep with it (e.g. the fit's residuals). ``diverged(message)`` builds the
    exception to raise; ``limit`` is passed to :func:`not_contracting`. Returns ``(model, info, change, k, stop_reason)`` of the kept iterate
    (``info`` None and change inf if none was kept; k the last iteration run)."""
    current, info, change, stop, k = init, None, math.inf, "max_fixed_point", 0
    for k in range(1, max_iterations + 1):
        model, new_change, new_info = iterate(k, current)
        if not_contracting(k, change, new_change, diverged, limit):
            stop = "not contracting"
            break
        current, info, change = model, new_info, new_change
        if change <= tol:
            stop = "change"
            break
    return current, info, change, k, stop
