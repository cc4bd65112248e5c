"""The time step of the sharded PDE solve for bases of size p > 1 (ALS sweeps on the shards).

Reproduces ``pde.solver._backward_step`` (fixed-point loop, stop reasons, divergence checks) with
the regression ``fit`` of each iteration run by :class:`ttsolve.distributed.sweeper.ShardedSweeper`
through the local sweep loop itself (``_als.run_als`` and ``_als.Progress``: stopping rules,
validation early stopping and the best-by-validation model are the local code). Per fit: one
round for the targets, one for the stacks, one per core update and one per sweep (training and
validation residuals), one for the fixed-point change. The fit is
``regression._sweep_fit``, the driver of the local fit, on a ShardedSweeper: ALS at any
``max_rank`` (the rank-revealing cold start, ``_als.grow_ranks``, with its rank-1 residual fits
on the shards) and SALSA (its penalised local solves, rank moves, residual restarts and polish).
"""

from __future__ import annotations

import math

import numpy as np

from .._als import Progress
from .._sweeper import cold_start_cores, right_orthogonalize
from ..functional import FunctionalTT
from ..pde.solution import StepDiagnostics
from ..regression import FitReport, _initial_ranks, _sweep_fit
from ..tt import TensorTrain
from .sweeper import ShardedSweeper, SweepShard, _ratio, _sum_in_order

__all__ = ["fit_step_sweeps", "run_fixed_point"]

_PATIENCE = 3  # regression.fit's default, which the local solve uses


class _FitShard(SweepShard):
    """A shard's samples of one fit, plus V^k on its training points (for the fixed-point change)."""

    def __init__(self, step, problem, scheme, n, dt, current, bases, extra):
        from .pde import _targets

        y, yv, _ = _targets(problem, scheme, n, dt, current, step)
        Xn, _, gXn, _, _ = step.sets[0]
        valid = None
        if step.sets[1] is not None:
            Xv, _, gv, _, _ = step.sets[1]
            valid = (Xv, yv, gv if extra else None)
        super().__init__(bases, Xn, y, gXn if extra else None, None, valid)
        self.X, self.gX = Xn, gXn
        self.Yk = current(Xn, g=gXn) if current is not None else gXn
        self.big = float(np.max(np.abs(y))) if y.size else 0.0


def _fit_shard(step, problem, scheme, n, dt, current, bases, extra):
    shard = _FitShard(step, problem, scheme, n, dt, current, bases, extra)
    return shard, shard.big


def _change_sums(shard, model):
    Ynew = model(shard.X, g=shard.gX)
    return np.array([float(np.sum((Ynew - shard.Yk) ** 2)), float(np.sum(shard.Yk**2))])


def _sharded_fit(rounds, shards, bases, settings, init, extra, has_validation, seed):
    """regression.fit(method=settings["method"], init=init, ranks=max_rank (ALS) if init is None)
    on the shards: the same start and the same driver (regression._sweep_fit) on a ShardedSweeper."""
    d, p = len(bases), bases[0].size
    method, max_rank = settings["method"], settings["max_rank"]
    rng = np.random.default_rng(seed)
    target = None
    if init is not None:
        cores = [np.array(c) for c in init.tt.cores]
        c0 = float(np.atleast_1d(init.extra_coef)[0]) if extra else 0.0
    else:  # regression._fit's cold start, drawing the same numbers from the same generator
        target = _initial_ranks(max_rank if method == "als" else 1, d, p, max_rank)
        cores, c0 = cold_start_cores(target, p, rng), 0.0
        if method == "als":
            cores = cold_start_cores([1] * (d + 1), p, rng)  # the rank-revealing start (_als.grow_ranks)
    s = ShardedSweeper(rounds, shards, right_orthogonalize(cores), settings["reg"], c0, extra, rng)
    report = FitReport()
    progress = Progress(s, report, None, None, True if has_validation else None, False, _PATIENCE)
    cores_out, c_out = _sweep_fit(s, report, progress, method, init is None, target, max_rank,
                                  settings["max_sweeps"], settings["tol"], None)
    return FunctionalTT(TensorTrain(cores_out), bases, c_out if extra else 0.0), report


def fit_step_sweeps(rounds, steps, problem, scheme, n, dt, solution, settings, scale, threshold, bases, step_seed):
    """solver._backward_step for n >= 1 on the shards' step data; returns (model, shift, diagnostics)."""
    from ..pde.solver import _diverged

    problem_at, extra = rounds.problem_at, settings["extra_term"]
    has_validation = settings["n_validation"] > 0
    init = solution.models[n + 1] if n + 1 < solution.n_steps else None

    def do_fit(current, init_model):
        # a lost worker raises LostShardState: solve_sharded rebuilds its shards and redoes the step
        shards, bigs = rounds.map(_fit_shard, steps, problem_at, scheme, n, dt, current, bases, extra, store="fit",
                                  split=True)
        big = max(bigs)
        if not big <= threshold * scale:
            raise _diverged(f"regression target of size {big:.3g} (previous values of size {scale:.3g})",
                            solution, n)
        model, rep = _sharded_fit(rounds, shards, bases, settings, init_model, extra, has_validation, step_seed)
        res = rep.residuals[rep.best_sweep - 1] if rep.residuals else math.inf
        vres = rep.validation[rep.best_sweep - 1] if rep.validation else math.nan
        ok = np.all(np.isfinite(model.extra_coef)) and all(np.all(np.isfinite(c)) for c in model.tt.cores)
        if not ok or not res <= threshold:
            raise _diverged(f"fit residual {res}", solution, n)
        return model, rep, res, vres, shards

    if scheme == "explicit":
        model, rep, res, vres, _ = do_fit(None, init)
        return model, 0.0, StepDiagnostics(n, 1, tuple(model.ranks), res, vres, 0.0, 0.0, rep.stop_reason)

    def iterate(k, current):
        model, _, res, vres, shards = do_fit(current, current)
        num, den = _sum_in_order(rounds.gather(_change_sums, shards, model))
        return model, _ratio(num, den), (res, vres)

    return run_fixed_point(iterate, init, settings, solution, n)


def run_fixed_point(iterate, init, settings, solution, n):
    """The local solver's fixed-point loop (pde/fixed_point.py, kept-change limit min(1, 10 / N)) for
    both sharded fits; ``iterate(k, current)`` returns (V^k, its change, (residual, validation
    residual)). Returns (model, shift 0, StepDiagnostics) as solver._backward_step does."""
    from ..pde import fixed_point
    from ..pde.solver import _diverged

    current, info, change, k, stop = fixed_point.fixed_point(
        iterate, init, settings["max_fixed_point"], settings["fixed_point_tol"],
        lambda msg: _diverged(msg, solution, n), fixed_point.kept_change_limit(solution.n_steps))
    res, vres = info if info is not None else (math.nan, math.nan)
    return current, 0.0, StepDiagnostics(n, k, tuple(current.ranks), res, vres, change, 0.0, stop)
