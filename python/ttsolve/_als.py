"""Fixed-rank ALS loops of regression.fit (private): the sweep loop with validation-based
early stopping, and the rank-revealing cold start.

Rank-revealing start: ALS started directly at ranks above what the target needs can sit in
a "swamp" for many sweeps (the surplus directions carry mutually cancelling parts; seen at
rank 2 on a target that is rank 1 up to 1e-10: stalled at 1e-3 after 40 sweeps). A cold start
therefore begins at rank 1 and grows every bond by one at a time up to the requested ranks:
once ALS at the current ranks has converged (or stalled), a rank-1 ALS fit of the training residual is added
to the train (ranks + 1) and the sum rounded to the requested caps. Directions the target does
not need come in with (near) zero singular values, which the local problems, solved exactly
(no regularisation), leave alone.
"""

from __future__ import annotations

import math

import numpy as np

from ._sweeper import Sweeper, right_orthogonalize, round_to_ranks

__all__ = ["Progress", "run_als", "grow_ranks", "add_residual_direction"]

# early stopping: a validation residual that improves by less than this (relatively) over
# `patience` sweeps has stopped improving (a regularised fit creeps down forever otherwise)
MIN_VALIDATION_GAIN = 1e-4
STAGE_SWEEPS = 20  # rank-revealing start: at most this many sweeps per intermediate rank
STAGE_STALL = 0.99  # ... and fewer once a sweep gains less than 1%: ALS from a rank step can
# creep for a few sweeps before it converges, and a rank step taken before it has converged
# leads straight into the over-parametrised swamp
CORRECTION_SWEEPS = 2  # rank-1 ALS sweeps fitting the residual before a rank step


class Progress:
    """Per-sweep bookkeeping shared by the ALS and SALSA loops: the report's lists, the
    validation residual, the best model by validation, and the patience counter."""

    def __init__(self, s: Sweeper, report, Phiv, gv, yv, verbose: bool, patience: int):
        self.s, self.report = s, report
        self.Phiv, self.gv, self.yv = Phiv, gv, yv
        self.verbose, self.patience = verbose, patience
        self.best = None  # (cores, c, sweep, validation, extra state)
        self.best_val = math.inf
        self.progress_val, self.progress_sweep = math.inf, 0

    @property
    def has_validation(self) -> bool:
        return self.yv is not None

    def record(self, res: float, ranks, note: str = "", state=None):
        """Record one sweep whose model may be returned; returns the validation residual (or
        None). ``state`` is kept with the best model."""
        rep = self.report
        rep.residuals.append(res)
        rep.ranks.append(tuple(ranks))
        rep.sweeps += 1
        msg = f"sweep {rep.sweeps}: residual {res:.3e}, ranks {tuple(ranks)}{note}"
        val = None
        if self.has_validation:
            val = self.s.validation_residual(self.Phiv, self.gv, self.yv)
            rep.validation.append(val)
            msg += f", validation {val:.3e}"
            if val < self.best_val:
                self.best_val = val
                self.best = self.s.snapshot() + (rep.sweeps, state)
            if val < self.progress_val * (1 - MIN_VALIDATION_GAIN):
                self.progress_val, self.progress_sweep = val, rep.sweeps
        if self.verbose:
            print(msg)
        return val

    def record_start(self, res: float, ranks):
        """A sweep of the rank-revealing start (below the final ranks): counted in
        ``report.start_sweeps`` only, never returned."""
        self.report.start_sweeps += 1
        if self.verbose:
            print(f"start sweep {self.report.start_sweeps}: residual {res:.3e}, ranks {tuple(ranks)}")

    def reset_patience(self):
        self.progress_val, self.progress_sweep = math.inf, self.report.sweeps

    def stalled(self) -> bool:
        """The validation residual has not improved for `patience` sweeps."""
        return self.has_validation and self.report.sweeps - self.progress_sweep >= self.patience


def run_als(s: Sweeper, progress: Progress, max_sweeps: int, tol: float, w) -> str:
    """Fixed-rank ALS sweeps; returns the stop reason ("tol", "validation", "max_sweeps")."""
    prev = math.inf
    for _ in range(max_sweeps):
        res = s.sweep_residual(w)
        progress.record(res, s.ranks())
        if progress.stalled():
            return "validation"
        if res <= tol or (math.isfinite(prev) and prev - res <= tol * prev):
            return "tol"
        prev = res
    return "max_sweeps"


def _tt_sum(a: list, b: list) -> list:
    """Cores of the train a + b (block-diagonal cores, ranks added)."""
    d = len(a)
    out = []
    for k in range(d):
        x, y = a[k], b[k]
        r = (x.shape[0] + y.shape[0]) if k > 0 else 1
        r2 = (x.shape[2] + y.shape[2]) if k < d - 1 else 1
        c = np.zeros((r, x.shape[1], r2))
        if d == 1:
            c[:] = x + y
        elif k == 0:
            c[:, :, : x.shape[2]], c[:, :, x.shape[2] :] = x, y
        elif k == d - 1:
            c[: x.shape[0]], c[x.shape[0] :] = x, y
        else:
            c[: x.shape[0], :, : x.shape[2]] = x
            c[x.shape[0] :, :, x.shape[2] :] = y
        out.append(c)
    return out


def _add_residual_fit(s: Sweeper, residual, caps) -> None:
    """Reset the sweeper to its train plus a rank-1 ALS fit of ``residual`` (None: the residual of
    its last sweep, ``s.residual_correction``), rounded to ``caps``."""
    s.reset(round_to_ranks(_tt_sum(s.cores, s.residual_correction(residual, CORRECTION_SWEEPS)), caps))


def add_residual_direction(s: Sweeper, cores, c, max_rank: int) -> None:
    """Reset the sweeper to ``cores`` (constant ``c``) plus a rank-1 ALS fit of their training
    residual, ranks capped at ``max_rank``: a direction the regularised sweeps did not find
    (their new directions are random, and in high dimension a weak one can stay unaligned)."""
    s.reset(right_orthogonalize(cores))
    s.c = c
    caps = [1] + [min(r + 1, max_rank) for r in s.ranks()[1:-1]] + [1]
    s.train_residual(None)  # the residual direction of the model just set
    _add_residual_fit(s, None, caps)


def grow_ranks(s: Sweeper, progress: Progress, target, tol: float, w) -> None:
    """Rank-revealing cold start: from the sweeper's rank-1 cores up to ``target`` ranks
    (d + 1 entries), one rank per bond at a time (see the module docstring)."""
    if s.d == 1:
        return
    while True:
        ranks = list(s.ranks())
        if ranks == list(target):
            return
        prev = math.inf
        for _ in range(STAGE_SWEEPS):
            res = s.sweep_residual(w)
            progress.record_start(res, ranks)
            if res <= tol or res > STAGE_STALL * prev:
                break
            prev = res
        _add_residual_fit(s, None, [min(r + 1, t) for r, t in zip(ranks, target)])
