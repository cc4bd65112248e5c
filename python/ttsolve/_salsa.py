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

# omega <- min(omega, max(OMEGA_FACTOR * residual, floor)); smin = SMIN_FACTOR * omega
OMEGA_FACTOR = 0.1
SMIN_FACTOR = 0.2
NEW_DIRECTION = 0.01  # a new direction starts with singular value NEW_DIRECTION * smin


def omega_floor(reg: float) -> float:
    return max(math.sqrt(reg), 1e-8)


def next_omega(omega: float, residual: float, reg: float) -> float:
    """The regularisation schedule: never increases, follows the residual down to a floor."""
    return min(omega, max(OMEGA_FACTOR * residual, omega_floor(reg)))


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
