"""Fixed-rank ALS sweeps of a functional-TT fit on shards of the samples (the fit of the
general-basis sharded PDE solve, :mod:`ttsolve.distributed.pde_fit`).

The local sweep (``csrc/regression/als_sweep.cpp``) solves, core by core, the normal equations
``(G + diag) x = b`` of the local least-squares problem, ``G = sum_i w_i a_i a_i^T``,
``b = sum_i w_i y_i a_i`` with ``a_i`` = left stack (x) basis values (x) right stack (and g_i), by
``spd_solve`` (Cholesky, eigen-decomposition fallback). Both sums split over the samples, so a
shard returns its own ``(G_s, b_s)`` (the same C++ kernel on its rows) and the client adds them in
shard order and calls the same ``spd_solve``: the answer equals the local one to rounding (the
sums are only regrouped; tested at 1e-12 on the cores). Per core update one round trip: the
client sends the updated neighbouring core (``r p r2`` numbers), a shard updates its interface
stack with it and returns ``(G_s, b_s)`` (``(n^2 + n) 8`` bytes, n = r p r2 (+1)). The stacks
and the basis values never leave the shard: the shards are objects kept on their hosts
(:mod:`ttsolve.distributed.hosts`), updated in place.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import scipy.linalg

from .._extension import _core
from ..basis import evaluate_stacked
from .. import _salsa
from .._sweeper import Sweeper, cold_start_cores, move_left, move_right, products, right_orthogonalize

__all__ = ["SweepShard", "ShardedSweeper"]


class SweepShard:
    """One shard's samples of a fit: basis values, target, additive term, weights and stacks."""

    def __init__(self, bases, X, y, g=None, w=None, validation=None):
        """``validation``: (Xv, yv, gv or None), the shard's validation samples."""
        self.Phiv = self.yv = self.gv = None
        if validation is not None and validation[0].shape[0]:
            self.Phiv = evaluate_stacked(bases, validation[0], 0)
            self.yv, self.gv = validation[1], validation[2]
        self.PhiT = evaluate_stacked(bases, X, 0, coordinate_major=True)
        self.d, self.K, self.p = self.PhiT.shape
        self.Phi = [s[:, None, :] for s in self.PhiT]
        PsiT, C = products(bases, X)
        self.Psi = [None] * self.d if PsiT is None else [s[:, None, :] for s in PsiT]
        self.C = [None] * self.d if PsiT is None else [C[k : k + 1] for k in range(self.d)]
        self.y, self.g, self.w = np.asarray(y, dtype=float), g, w
        ones = np.ones((self.K, 1))
        self.L = [ones] + [None] * self.d
        self.R = [None] * self.d + [ones]


def _shard_reset(shard, cores):
    """Right stacks of right-orthogonal ``cores``; returns (sum w, sum w y^2)."""
    for k in range(shard.d - 1, 0, -1):
        shard.R[k] = _core.regression.als_stack_right(shard.R[k + 1], shard.Phi[k], 0, cores[k])
    w, y = shard.w, shard.y
    return np.array([float(shard.K) if w is None else float(np.sum(w)), float(np.sum(y * y if w is None else w * y * y))])


def _target_sq(shard, c):
    """sum w (y - c g)^2 of the shard (``Sweeper.target_sq``)."""
    t = shard.y if shard.g is None else shard.y - c * shard.g
    return float(np.sum(t * t if shard.w is None else shard.w * t * t))


def _shard_step(shard, update, k, c=None):
    """Apply ``update`` = (side, j, core_j) to the stacks, then the normal equations of core k
    (with ``c``: and the shard's sum w (y - c g)^2, which SALSA's penalty is relative to)."""
    if update is not None:
        side, j, core = update
        if side == "left":  # L[j + 1] from the left-orthogonal core j
            shard.L[j + 1] = _core.regression.als_stack_left(shard.L[j], shard.Phi[j], 0, core)
        else:  # R[j] from the right-orthogonal core j
            shard.R[j] = _core.regression.als_stack_right(shard.R[j + 1], shard.Phi[j], 0, core)
    if k is None:
        return None
    G, b = _core.regression.als_normal_equations(shard.L[k], shard.Phi[k], shard.R[k + 1], 0, shard.g, shard.w,
                                               shard.y, shard.Psi[k], shard.C[k])
    return (G, b) if c is None else (G, b, _target_sq(shard, c))


def _shard_residual(shard, update, cores, c):
    """After a sweep: apply the last stack update; sum w (f - y)^2 with f = Phi_0 core_0 R[1] + c g
    and the validation sums."""
    _shard_step(shard, update, None)
    f = _core.regression.als_stack_right(shard.R[1], shard.Phi[0], 0, cores[0])[:, 0]
    if shard.g is not None:
        f = f + c * shard.g
    shard.last_values = f
    r = f - shard.y
    out = [float(np.sum(r * r if shard.w is None else shard.w * r * r)), 0.0, 0.0, _target_sq(shard, c)]
    if shard.yv is not None:  # the validation residual of the sweep (unweighted, as Progress.record)
        fv = _core.regression.functional_eval(cores, shard.Phiv, "value", None)
        if shard.gv is not None:
            fv = fv + c * shard.gv
        out[1:3] = float(np.sum((fv - shard.yv) ** 2)), float(np.sum(shard.yv**2))
    return np.array(out)


def _correction_shard(shard):
    """The shard's samples with the residual of its last sweep as the target (no additive term,
    no validation): the data of the rank-1 residual fit of _als._add_residual_fit."""
    c = copy.copy(shard)
    c.y, c.g = shard.y - shard.last_values, None
    c.Phiv = c.yv = c.gv = None
    ones = np.ones((shard.K, 1))
    c.L, c.R = [ones] + [None] * shard.d, [None] * shard.d + [ones]
    return c


def _ratio(num, den):
    """sqrt(num / den) as _residual.relres."""
    return float(np.sqrt(num / den)) if den > 0 else float(np.sqrt(num))


def _sum_in_order(parts):
    total = np.array(parts[0], dtype=float, copy=True)
    for p in parts[1:]:  # fixed order: shard 0, 1, ... (independent of completion order)
        total = total + p
    return total


class ShardedSweeper:
    """The fixed-rank ALS sweep of ``_sweeper.Sweeper.als_sweep`` over shards (``rounds``: the
    ``Rounds`` of :mod:`ttsolve.distributed.hosts`, dask actors or in-process; ``shards``: the
    Refs of the SweepShards kept on the hosts). ``cores`` must be
    right-orthogonalised (core 0 the centre), as for ``Sweeper``."""

    def __init__(self, rounds, shards, cores, reg, extra_coef=0.0, has_g=False, rng=None):
        self.rounds, self.shards, self.rng = rounds, shards, rng
        self.reg, self.c, self.has_g = reg, float(extra_coef), has_g
        self.fallbacks = 0
        self.last_validation = math.nan
        self.reset(cores)

    def _round(self, fn, *args):
        return self.rounds.gather(fn, self.shards, *args)

    def reset(self, cores):
        self.cores = [np.ascontiguousarray(c) for c in cores]
        self.d = len(self.cores)
        self.active = [1] + [c.shape[2] for c in self.cores]  # SALSA: active ranks per bond
        self.pending = None  # the stack update the shards get with the next round
        self.tsq = None  # (c, sum w (y - c g)^2) of the last residual round
        self.wsum, self.ysq = _sum_in_order(self._round(_shard_reset, self.cores))

    def ranks(self) -> tuple:
        return tuple([1] + [c.shape[2] for c in self.cores])

    def _solve(self, k, update, salsa=None):
        """Core k (and c) from the shards' normal equations summed in shard order; ``salsa`` =
        (omega, smin): plus SALSA's penalty (``Sweeper.solve``, the same addition as C++ local_solve)."""
        parts = self._round(_shard_step, update, k, None if salsa is None else self.c)
        G = _sum_in_order([p[0] for p in parts])
        b = _sum_in_order([p[1] for p in parts])
        n = b.size
        diag = np.full(n, self.reg * self.wsum)
        if self.has_g:
            diag[-1] = 0.0  # the additive term's coefficient is not penalised
        if salsa is not None:
            tsq = float(_sum_in_order([p[2] for p in parts]))
            if tsq > 0:
                nc = self.cores[k].size
                pen = tsq * _salsa.penalty(self.cores[k], *salsa, 1e-8 * math.sqrt(tsq / self.wsum))
                G[:nc, :nc] += pen
        x, fallback = _core.regression.spd_solve(G, diag, b)
        self.fallbacks += int(fallback)
        shape = self.cores[k].shape
        if self.has_g:
            self.c = float(x[-1])
            x = x[:-1]
        self.cores[k] = np.ascontiguousarray(x.reshape(shape))

    def als_sweep(self) -> float:
        """One sweep (left to right, right to left) as ``als_sweep.cpp``; returns the relative
        training residual ``relres`` of the local sweep (from shard sums)."""
        d, cores = self.d, self.cores
        if d < 2:
            raise ValueError("ShardedSweeper needs d >= 2")
        update, self.pending = self.pending, None
        for k in range(d - 1):
            self._solve(k, update)
            r, p, r2 = cores[k].shape
            Q, Rm = scipy.linalg.qr(cores[k].reshape(r * p, r2), mode="economic")
            cores[k] = np.ascontiguousarray(Q.reshape(r, p, r2))
            cores[k + 1] = np.ascontiguousarray(np.tensordot(Rm, cores[k + 1], axes=(1, 0)))
            update = ("left", k, cores[k])
        for k in range(d - 1, 0, -1):
            self._solve(k, update)
            r0, (r, p, r2) = cores[k - 1].shape[0], cores[k].shape
            Q, Rm = scipy.linalg.qr(cores[k].reshape(r, p * r2).T, mode="economic")
            cores[k] = np.ascontiguousarray(Q.T.reshape(r, p, r2))
            cores[k - 1] = np.ascontiguousarray(np.tensordot(cores[k - 1], Rm.T, axes=(2, 0)))
            update = ("right", k, cores[k])
        self.pending = update
        return self.train_residual(None)

    def train_residual(self, w) -> float:
        """``Sweeper.train_residual`` on the shards (with the pending stack update); also the
        validation residual and SALSA's target norm of the current model."""
        update, self.pending = self.pending, None
        num, vnum, vden, tsq = _sum_in_order(self._round(_shard_residual, update, self.cores, self.c))
        self.last_validation = _ratio(vnum, vden)
        self.tsq = (self.c, float(tsq))
        return _ratio(num, self.ysq)

    # SALSA's steps (_salsa._salsa_sweep, _salsa.run): the core algebra of _sweeper.Sweeper on
    # the client, the stack updates sent to the shards with the next round
    def solve(self, k, salsa=None):
        update, self.pending = self.pending, None
        self._solve(k, update, salsa)

    def move_right(self, k, adapt):
        self.cores[k], self.cores[k + 1], self.active[k + 1] = move_right(self.cores[k], self.cores[k + 1], adapt,
                                                                          self.rng)
        self.pending = ("left", k, self.cores[k])

    def move_left(self, k, adapt):
        self.cores[k], self.cores[k - 1], self.active[k] = move_left(self.cores[k], self.cores[k - 1], adapt, self.rng)
        self.pending = ("right", k, self.cores[k])

    def target_sq(self) -> float:
        if self.tsq is None or self.tsq[0] != self.c:
            raise RuntimeError("ShardedSweeper.target_sq: no residual round with the current additive coefficient")
        return self.tsq[1]

    tt_residual = Sweeper.tt_residual  # from target_sq and ysq, as locally

    # the interface of _sweeper.Sweeper that the sweep loops (_als.run_als, _als.Progress) use
    def sweep_residual(self, w) -> float:
        return self.als_sweep()

    def validation_residual(self, Phiv, gv, yv) -> float:
        """The validation residual of the last sweep (computed on the shards with it)."""
        return self.last_validation

    def residual_correction(self, residual, sweeps: int) -> list:
        """``_sweeper.Sweeper.residual_correction`` on the shards: a rank-1 ALS fit of the
        residual of the last sweep (kept on the shards), drawing its start from the same rng."""
        if residual is not None:
            raise ValueError("the residual of a sharded fit lives on the shards (pass None)")
        if self.pending is not None:
            raise RuntimeError("ShardedSweeper.residual_correction: stacks not up to date (no residual round)")
        p = self.cores[0].shape[1]
        cores = right_orthogonalize(cold_start_cores([1] * (self.d + 1), p, self.rng))
        shards = self.rounds.map(_correction_shard, self.shards, store="correction")
        c = ShardedSweeper(self.rounds, shards, cores, 0.0, 0.0, False, self.rng)
        for _ in range(sweeps):
            c.als_sweep()
        self.fallbacks += c.fallbacks
        return c.cores

    def snapshot(self):
        return [c.copy() for c in self.cores], self.c
