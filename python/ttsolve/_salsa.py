"""Pieces of SALSA (stable rank-adaptive ALS, Grasedyck & Kraemer 2019) used by regression.fit.

All quantities are relative, so the method does not depend on the scale of y:

* sigma: the TT singular values of a bond divided by the norm of the coefficient tensor;
* the data term of a local problem is ``sum w (f - y)^2 / sum w y^2``;
* ``omega`` (regularisation) and ``smin`` (activity threshold) are compared with sigma.

The stabilised local problem for the centre core U (r, p, r2) (cores left of it left-
orthogonal, right of it right-orthogonal) adds the averaged micro-step penalty

    omega^2 * ( ||Sl^-1 Wl^T U||^2 + ||U Wr Sr^-1||^2 ),

where ``Wl Sl`` and ``Wr Sr`` are the singular vectors/values of the left and right bond
(read off the unfoldings of U itself), each singular value floored at ``smin * ||U||``.
"""

from __future__ import annotations

import math

import numpy as np


__all__ = ["penalty", "split_bond", "truncate", "next_omega", "run", "SMIN_FACTOR"]

# The regularisation schedule (see docs/regression.md, "SALSA"):
#   omega_0 = OMEGA_FACTOR * res_0;  after a sweep with residual res (previous: prev),
#   omega <- max(OMEGA_MIN, min(omega / (OMEGA_DECAY if res > STALL * prev else 1), OMEGA_FACTOR * res))
# and smin = SMIN_FACTOR * omega is the threshold below which a singular value is minor.
OMEGA_FACTOR = 0.5
OMEGA_DECAY = 2.0
STALL = 0.98  # a sweep that removes less than 2% of the residual has converged at this omega
# The penalty of the current iterate itself is omega^2 (r_left + r_right) (scale-free), so a
# fit that explains only the part e = sqrt(1 - res^2) of the data shrinks to zero unless
# omega < e / sqrt(4 (r_left + r_right)) (the fixed point of the shrinking micro-step);
# EXPLAINED_FACTOR * e keeps that for r_left + r_right up to 25.
EXPLAINED_FACTOR = 0.1
OMEGA_MIN = 1e-12
SMIN_FACTOR = 0.2
NEW_DIRECTION = 0.01  # a new direction starts with singular value NEW_DIRECTION * smin
# With validation data: stop once the validation residual has not improved for `patience`
# sweeps while omega fell by this factor since the last improvement (or reached OMEGA_MIN):
# a direction of relative size s needs omega < s / 5 to become active, so a stalled
# validation residual is only final after omega has swept well below the current level.
STALL_RANGE = 1e3
# ... and before stopping, restart this many times from the best iterate (truncated to its
# active directions) plus a rank-1 fit of its residual: the sweeps' new directions are random,
# and a weak direction in high dimension (relative size 1e-9 at d = 30) can stay unaligned
# across the bonds while omega falls past it; the residual points straight at it.
RESIDUAL_RESTARTS = 2


def next_omega(omega: float, residual: float, previous: float = math.inf) -> float:
    """The regularisation schedule: follows the residual down (omega <= OMEGA_FACTOR res) and,
    when the residual has stalled at this omega (residual > STALL previous), falls by
    OMEGA_DECAY so that weaker directions can become active; never below OMEGA_MIN, never up."""
    decay = OMEGA_DECAY if residual > STALL * previous else 1.0
    explained = math.sqrt(max(0.0, 1.0 - residual * residual))
    return max(OMEGA_MIN, min(omega / decay, OMEGA_FACTOR * residual, EXPLAINED_FACTOR * explained))


def _bond_metric(unfolding: np.ndarray, smin: float) -> np.ndarray:
    """W diag(1 / max(sigma, smin)^2) W^T for the row space of ``unfolding`` (bond index =
    rows; sigma = its singular values, already relative)."""
    m = unfolding.shape[0]
    w, s, _ = np.linalg.svd(unfolding, full_matrices=True)
    sf = np.zeros(m)
    sf[: len(s)] = s
    return (w / np.maximum(sf, smin) ** 2) @ w.T


def penalty(core: np.ndarray, omega: float, smin: float, scale_floor: float = 0.0) -> np.ndarray:
    """The SALSA penalty matrix (n x n, n = r p r2) for the centre core, in the unknowns'
    row-major (a, j, b) order, relative to a data term normalised by sum w y^2.

    Singular values are taken relative to ``max(||core||, scale_floor)`` so that a (nearly)
    zero core, e.g. when an additive term explains the data, gets a finite penalty."""
    r, p, r2 = core.shape
    scale = max(float(np.linalg.norm(core)), scale_floor)
    if not scale > 0:
        scale = 1.0
    rel = core / scale
    left = _bond_metric(rel.reshape(r, p * r2), smin)
    right = _bond_metric(rel.reshape(r * p, r2).T, smin)
    return (omega / scale) ** 2 * (np.kron(left, np.eye(p * r2)) + np.kron(np.eye(r * p), right))


def _add_orthonormal_columns(q: np.ndarray, count: int, rng) -> np.ndarray:
    """Append ``count`` random unit columns orthogonal to q's (orthonormal) columns."""
    for _ in range(count):
        v = rng.standard_normal(q.shape[0])
        for _ in range(2):
            v -= q @ (q.T @ v)
        v /= np.linalg.norm(v)
        q = np.column_stack([q, v])
    return q


def split_bond(u: np.ndarray, s: np.ndarray, b: np.ndarray, smin: float, cap: int, rng):
    """Rank adaptation of one bond given ``M = u diag(s) b^T`` with u, b orthonormal columns.

    Keeps the active singular values (sigma > smin, at most ``cap``) plus one inactive
    ("minor") direction when the rank allows it: an existing one if there is one, else a new
    random direction orthogonal to the kept ones with singular value NEW_DIRECTION * smin.
    Returns (u, s, b, active).
    """
    total = float(np.linalg.norm(s))
    sigma = s / total if total > 0 else s
    active = min(int(np.sum(sigma > smin)), cap)
    limit = min(u.shape[0], b.shape[0], cap)
    keep = max(1, min(active + 1, limit))
    if keep <= len(s):
        return u[:, :keep], s[:keep], b[:, :keep], min(active, keep)
    extra = keep - len(s)
    u = _add_orthonormal_columns(u, extra, rng)
    b = _add_orthonormal_columns(b, extra, rng)
    s = np.append(s, np.full(extra, NEW_DIRECTION * smin * (total if total > 0 else 1.0)))
    return u, s, b, active


def truncate(cores, smin: float, max_rank: int):
    """Drop the inactive singular values (sigma <= smin) on every bond, keep at most max_rank
    (left-to-right SVD pass; cores 1.. must be right-orthogonal so these are the TT singular
    values)."""
    cores = [c.copy() for c in cores]
    for k in range(len(cores) - 1):
        r, p, r2 = cores[k].shape
        u, sv, vt = np.linalg.svd(cores[k].reshape(r * p, r2), full_matrices=False)
        total = float(np.linalg.norm(sv))
        keep = int(np.sum(sv > smin * total)) if total > 0 else 1
        keep = max(1, min(keep, max_rank))
        cores[k] = u[:, :keep].reshape(r, p, keep)
        cores[k + 1] = np.einsum("ab,bjc->ajc", sv[:keep, None] * vt[:keep], cores[k + 1])
    return [np.ascontiguousarray(c) for c in cores]


def _salsa_sweep(s, omega: float, max_rank: int) -> None:
    """One regularised sweep (left-to-right, then right-to-left) with rank adaptation of
    every bond the sweep moves across."""
    smin = SMIN_FACTOR * omega
    if s.d == 1:
        s.solve(0, (omega, smin))
        return
    for k in range(s.d - 1):
        s.solve(k, (omega, smin))
        s.move_right(k, (smin, max_rank))
    for k in range(s.d - 1, 0, -1):
        s.solve(k, (omega, smin))
        s.move_left(k, (smin, max_rank))


def run(s, progress, max_rank: int, max_sweeps: int, tol: float, w, cold: bool, restart=None):
    """SALSA's regularised sweeps. Returns (stop reason, omega of the last sweep).

    A cold start first gets one plain ALS sweep at its (rank-1) starting ranks: the penalty
    is relative to the current iterate, and a start far from the data in scale would be
    damped towards zero; omega_0 comes from that sweep's residual (or the warm start's).
    Every iterate is recorded with its omega (``state``), so the caller can truncate the
    best one at its own threshold. ``restart(cores, c)`` resets the sweeper to the given
    model plus its residual direction (see RESIDUAL_RESTARTS); None disables restarts."""

    if cold:
        res = s.sweep_residual(w)
        progress.record(res, s.ranks(), state=math.inf)
        if res <= tol:
            return "tol", math.inf
    else:
        res = s.train_residual(w)
    omega = next_omega(math.inf, s.tt_residual(res))
    omega_at_progress = omega
    prev = math.inf
    restarts = RESIDUAL_RESTARTS
    for _ in range(max_sweeps - int(cold)):
        _salsa_sweep(s, omega, max_rank)
        res = s.train_residual(w)
        active = [1] + [max(1, a) for a in s.active[1:-1]] + [1]
        progress.record(res, active, note=f", omega {omega:.2e}", state=omega)
        if res <= tol:
            return "tol", omega
        if progress.progress_sweep == progress.report.sweeps:
            omega_at_progress = omega
        elif progress.stalled() and (omega <= omega_at_progress / STALL_RANGE or omega <= OMEGA_MIN):
            if restart is None or restarts == 0 or progress.best is None:
                return "validation", omega
            restarts -= 1
            cores_b, c_b, _, omega_b = progress.best
            restart(truncate(cores_b, SMIN_FACTOR * omega_b, max_rank), c_b)
            omega = omega_at_progress = min(omega_b, omega_at_progress)
            prev = math.inf
            progress.reset_patience()
            continue
        new_omega = next_omega(omega, s.tt_residual(res), s.tt_residual(prev) if math.isfinite(prev) else math.inf)
        # a stalled training residual only ends the fit once omega has reached its floor
        if omega <= OMEGA_MIN and math.isfinite(prev) and prev - res <= tol * prev:
            return "tol", omega
        omega, prev = new_omega, res
    return "max_sweeps", omega
