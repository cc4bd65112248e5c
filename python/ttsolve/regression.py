"""Least-squares regression of functional tensor trains: ALS and rank-adaptive SALSA.

The sweep logic (a loop over the d cores) is Python; everything that touches the K
samples (basis evaluation, left/right stacks, the local Gram matrices A^T W A, the local
solves) runs in C++ (``ttsolve._core``) with the GIL released.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from ._extension import _core
from ._validation import check_int
from .basis import Basis, _as_points, evaluate_stacked
from .functional import FunctionalTT, _bases_list
from .tt import TensorTrain

__all__ = ["fit", "FitReport"]


@dataclass
class FitReport:
    """What happened during :func:`fit`.

    residuals : relative (weighted) training residual after each sweep
    validation : relative validation residual after each sweep (empty without validation)
    ranks : TT ranks after each sweep
    sweeps : number of sweeps run
    time : wall time in seconds
    stop_reason : "tol", "max_sweeps", "validation" (early stopping; best model returned) or
        "closed form" (degree-0 bases: the model C + c g is solved directly, no sweeps)
    best_sweep : sweep whose model was returned (1-based; 0 = the initial model)
    fallback_solves : local solves that needed the eigen-decomposition fallback
    """

    residuals: list = field(default_factory=list)
    validation: list = field(default_factory=list)
    ranks: list = field(default_factory=list)
    sweeps: int = 0
    time: float = 0.0
    stop_reason: str = ""
    best_sweep: int = 0
    fallback_solves: int = 0


# ---- input checks -------------------------------------------------------------------
def _vector(v, K: int, name: str) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real array, got dtype {a.dtype}")
    a = np.ascontiguousarray(a, dtype=np.float64).reshape(-1) if a.ndim == 2 and 1 in a.shape else np.ascontiguousarray(a, dtype=np.float64)
    if a.shape != (K,):
        raise ValueError(f"{name} must have shape ({K},), got {np.shape(v)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def _nonneg_float(v, name: str) -> float:
    v = float(v)
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {v}")
    return v


def _initial_ranks(ranks, d: int, p: int, max_rank: int) -> list[int]:
    if isinstance(ranks, (int, np.integer)) and not isinstance(ranks, bool):
        inner = [check_int(ranks, "ranks", 1)] * (d - 1)
    else:
        inner = [int(r) for r in ranks]
        if len(inner) == d + 1:
            if inner[0] != 1 or inner[-1] != 1:
                raise ValueError("ranks with d+1 entries must start and end with 1")
            inner = inner[1:-1]
        if len(inner) != d - 1 or any(r < 1 for r in inner):
            raise ValueError(f"ranks must be an int >= 1 or d-1 (or d+1) positive ints, got {ranks}")
    full = [1] + inner + [1]
    # a rank above the dimension of either side cannot be used: clip it
    for k in range(1, d):
        full[k] = min(full[k], p ** min(k, d - k), full[k - 1] * p)
    for k in range(d - 1, 0, -1):
        full[k] = min(full[k], full[k + 1] * p)
    return full


# ---- core helpers (small dense matrices: numpy is fine here) ----------------------------
def _orth_right(core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """core (r, p, r2) -> Q (r, p, k) left-orthogonal, R (k, r2)."""
    r, p, r2 = core.shape
    q, rr = np.linalg.qr(core.reshape(r * p, r2))
    return q.reshape(r, p, -1), rr


def _orth_left(core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """core (r, p, r2) -> L (r, k), Q (k, p, r2) right-orthogonal."""
    r, p, r2 = core.shape
    q, rr = np.linalg.qr(core.reshape(r, p * r2).T)
    return rr.T, q.T.reshape(-1, p, r2)


_MAX_LOCAL = 16384  # unknowns of one local problem (its Gram matrix is 2 GiB)


class _Sweeper:
    """State of one fit: cores, stacks (C++), and the local solve."""

    def __init__(self, Phi, y, g, w, cores, reg, extra_coef, rng):
        self.Phi, self.y, self.g, self.w = Phi, y, g, w
        self.K, self.d, self.p = Phi.shape
        self.cores = cores
        self.reg = reg
        self.c = extra_coef
        self.rng = rng
        self.wsum = float(np.sum(w)) if w is not None else float(self.K)
        self.fallbacks = 0
        ones = np.ones((self.K, 1))
        self.L = [ones] + [None] * self.d
        self.R = [None] * self.d + [ones]

    def right_stacks(self):
        for k in range(self.d - 1, 0, -1):
            self.R[k] = _core.als_stack_right(self.R[k + 1], self.Phi, k, self.cores[k])

    def solve(self, k: int, ridge: float):
        """Optimise core k (and the extra coefficient) with all other cores fixed."""
        G, b = _core.als_normal_equations(self.L[k], self.Phi, self.R[k + 1], k, self.g, self.w, self.y)
        n = G.shape[0]
        diag = np.full(n, ridge * self.wsum)
        if self.g is not None:
            diag[-1] = 0.0  # the additive term's coefficient is not penalised
        x, fallback = _core.spd_solve(G, diag, b)
        self.fallbacks += int(fallback)
        shape = self.cores[k].shape
        if self.g is not None:
            self.c = float(x[-1])
            x = x[:-1]
        self.cores[k] = np.ascontiguousarray(x.reshape(shape))

    def move_right(self, k: int, new_rank: Optional[callable] = None):
        """Make core k left-orthogonal, push the factor into core k+1, update L[k+1]."""
        core = self.cores[k]
        r, p, r2 = core.shape
        if new_rank is None:
            q, rr = _orth_right(core)
        else:
            u, s, vt = np.linalg.svd(core.reshape(r * p, r2), full_matrices=False)
            limit = min(r * p, p * self.cores[k + 1].shape[2])
            keep = new_rank(s, limit)
            u, s, vt = u[:, :keep], s[:keep], vt[:keep]
            if keep > len(s):
                u, s, vt = self._pad(u, s, vt, keep)
            q, rr = u.reshape(r, p, -1), s[:, None] * vt
        self.cores[k] = np.ascontiguousarray(q)
        self.cores[k + 1] = np.ascontiguousarray(np.einsum("ab,bjc->ajc", rr, self.cores[k + 1]))
        self.L[k + 1] = _core.als_stack_left(self.L[k], self.Phi, k, self.cores[k])

    def move_left(self, k: int, new_rank: Optional[callable] = None):
        """Make core k right-orthogonal, push the factor into core k-1, update R[k]."""
        core = self.cores[k]
        r, p, r2 = core.shape
        if new_rank is None:
            lf, q = _orth_left(core)
        else:
            u, s, vt = np.linalg.svd(core.reshape(r, p * r2), full_matrices=False)
            limit = min(p * r2, p * self.cores[k - 1].shape[0])
            keep = new_rank(s, limit)
            u, s, vt = u[:, :keep], s[:keep], vt[:keep]
            if keep > len(s):
                vt_t, s, u_t = self._pad(vt.T, s, u.T, keep)
                vt, u = vt_t.T, u_t.T
            lf, q = u * s[None, :], vt.reshape(-1, p, r2)
        self.cores[k] = np.ascontiguousarray(q)
        self.cores[k - 1] = np.ascontiguousarray(np.einsum("ajb,bc->ajc", self.cores[k - 1], lf))
        self.R[k] = _core.als_stack_right(self.R[k + 1], self.Phi, k, self.cores[k])

    def _pad(self, u, s, vt, keep):
        """Add random orthonormal columns to u (zero singular values): the new directions
        start without effect and are fitted by the next local solve."""
        while u.shape[1] < keep:
            v = self.rng.standard_normal(u.shape[0])
            for _ in range(2):
                v -= u @ (u.T @ v)
            v /= np.linalg.norm(v)
            u = np.column_stack([u, v])
            s = np.append(s, 0.0)
            vt = np.vstack([vt, np.zeros(vt.shape[1])])
        return u, s, vt

    def values(self, Phi, g) -> np.ndarray:
        f = _core.functional_eval(self.cores, Phi, "value", None)
        return f if g is None else f + self.c * g


def _relres(f, y, w) -> float:
    if w is None:
        num, den = np.sum((f - y) ** 2), np.sum(y**2)
    else:
        num, den = np.sum(w * (f - y) ** 2), np.sum(w * y**2)
    return float(math.sqrt(num / den)) if den > 0 else float(math.sqrt(num))


def fit(
    X,
    y,
    basis,
    method: str = "als",
    ranks=None,
    max_rank: int = 8,
    reg: float = 1e-12,
    max_sweeps: int = 20,
    tol: float = 1e-10,
    validation=None,
    extra=None,
    weights=None,
    init: Optional[FunctionalTT] = None,
    seed=0,
    verbose: bool = False,
    patience: int = 3,
):
    """Fit a FunctionalTT to samples ``y_i ~ f(X_i)`` by (weighted, ridge) least squares.

    Parameters
    ----------
    X : array (K, d)
    y : array (K,)
    basis : Basis or list of d Basis
    method : "als" (fixed ranks) or "salsa" (rank-adaptive)
    ranks : int or list
        ALS: the TT ranks (int, d-1 inner ranks or d+1 ranks; default ``init``'s ranks, else
        ``min(4, max_rank)``). SALSA: the starting ranks (default ``init``'s, else 1).
    max_rank : int >= 1
        SALSA: rank cap. ALS: cap on the default ranks.
    reg : float >= 0
        Ridge weight: minimises ``sum w (f - y)^2 / sum w + reg * ||core||^2`` in each local
        problem (with the other cores orthogonal, ``||core||`` is the coefficient norm).
        SALSA uses ``max(reg, omega^2)`` with ``omega`` tied to the residual.
    max_sweeps : int >= 1
        One sweep = left-to-right then right-to-left.
    tol : float >= 0
        Stop when the relative residual is below ``tol`` or improves by less than ``tol``
        (relatively) over a sweep.
    validation : (Xv, yv), optional
        Validation residual after every sweep; stops early when it did not improve for
        ``patience`` sweeps and returns the best model.
    extra : (gX, gXv) or (gX,), optional
        Values of the additive term g on X (and on Xv); its coefficient is solved jointly
        with every core.
    weights : array (K,) of nonnegative numbers, optional
    init : FunctionalTT, optional
        Warm start (its cores, ranks and extra coefficient). SALSA then starts its
        regularisation schedule at the warm start's residual instead of 1.
    seed : int or numpy Generator
        For the random initial cores and SALSA's new directions.
    verbose : bool
    patience : int >= 1

    Returns
    -------
    (FunctionalTT, FitReport)

    Notes
    -----
    If K is below the number of unknowns of a local problem, ``reg > 0`` is required (a
    RuntimeWarning is issued) and ``reg = 0`` raises ValueError.
    """
    # Our kernels run BLAS single-threaded inside their own OpenMP teams; keeping the BLAS
    # pool at one thread for the whole fit stops its idle threads spinning against ours.
    saved = _core.blas_get_num_threads()
    if saved > 1:
        _core.blas_set_num_threads(1)
    try:
        return _fit(X, y, basis, method, ranks, max_rank, reg, max_sweeps, tol, validation, extra,
                    weights, init, seed, verbose, patience)
    finally:
        if saved > 1:
            _core.blas_set_num_threads(saved)


def _fit(X, y, basis, method, ranks, max_rank, reg, max_sweeps, tol, validation, extra, weights, init,
         seed, verbose, patience):
    t0 = time.perf_counter()
    if method not in ("als", "salsa"):
        raise ValueError(f"method must be 'als' or 'salsa', got {method!r}")
    X = _as_points(X)
    K, d = X.shape
    if K == 0:
        raise ValueError("X must contain at least one sample")
    y = _vector(y, K, "y")
    bases = _bases_list(basis, d)
    p = bases[0].size
    max_rank = check_int(max_rank, "max_rank", 1)
    max_sweeps = check_int(max_sweeps, "max_sweeps", 1)
    patience = check_int(patience, "patience", 1)
    reg = _nonneg_float(reg, "reg")
    tol = _nonneg_float(tol, "tol")
    w = None
    if weights is not None:
        w = _vector(weights, K, "weights")
        if np.any(w < 0) or not np.any(w > 0):
            raise ValueError("weights must be >= 0 and not all zero")
    Xv = yv = None
    if validation is not None:
        if not isinstance(validation, (tuple, list)) or len(validation) != 2:
            raise TypeError("validation must be a pair (Xv, yv)")
        Xv = _as_points(validation[0])
        if Xv.shape[1] != d:
            raise ValueError(f"validation X must have {d} columns, got {Xv.shape[1]}")
        yv = _vector(validation[1], Xv.shape[0], "validation y")
    g = gv = None
    if extra is not None:
        if not isinstance(extra, (tuple, list)) or len(extra) not in (1, 2):
            raise TypeError("extra must be a tuple (gX, gXv) or (gX,)")
        g = _vector(extra[0], K, "extra gX")
        if Xv is not None:
            if len(extra) < 2 or extra[1] is None:
                raise ValueError("extra must also give the additive term on the validation points (gXv)")
            gv = _vector(extra[1], Xv.shape[0], "extra gXv")
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(0, 2**63 - 1))
    rng = np.random.default_rng(seed)

    # ---- initial cores -----------------------------------------------------------------
    extra_coef = 0.0
    if init is not None:
        if not isinstance(init, FunctionalTT):
            raise TypeError("init must be a FunctionalTT")
        if init.ndim != d or init.tt.dims[0] != p:
            raise ValueError(f"init has d={init.ndim}, p={init.tt.dims[0]}; expected d={d}, p={p}")
        cores = [np.array(c) for c in init.tt.cores]
        extra_coef = init.extra_coef if g is not None else 0.0
        if ranks is not None:
            warnings.warn("fit: ranks is ignored when init is given", RuntimeWarning, stacklevel=2)
    else:
        default = 1 if method == "salsa" else min(4, max_rank)
        full = _initial_ranks(default if ranks is None else ranks, d, p, max_rank)
        biggest = max(full[k] * p * full[k + 1] for k in range(d))
        if biggest > _MAX_LOCAL:
            raise MemoryError(f"ranks {max(full)} give a local problem with {biggest} unknowns "
                              f"(its Gram matrix would not fit; limit {_MAX_LOCAL})")
        # Start near the constant function (phi_0 = 1 in every mode) plus small random
        # directions: products of random univariate polynomials are nearly orthogonal to
        # smooth targets, and ALS started there stalls for many sweeps.
        cores = [0.01 * rng.standard_normal((full[k], p, full[k + 1])) for k in range(d)]
        for k in range(d):
            cores[k][:, 0, :] += np.eye(full[k], full[k + 1])
    if method == "salsa" and max_rank * p * max_rank > _MAX_LOCAL:
        raise MemoryError(f"max_rank={max_rank} allows local problems above {_MAX_LOCAL} unknowns")

    largest = max(c.size for c in cores) + (1 if g is not None else 0)
    if method == "salsa":
        largest = max(largest, max_rank * p * max_rank + (g is not None))
    if K < largest:
        if reg == 0:
            raise ValueError(f"too few samples: K={K} < {largest} unknowns of a local problem; "
                             f"use more samples, lower ranks, or reg > 0")
        warnings.warn(f"fit: K={K} is below the {largest} unknowns of a local problem; "
                      f"the solution is determined by the ridge term reg={reg}", RuntimeWarning, stacklevel=2)

    if p == 1:
        # Degree-0 bases: the TT part is one constant, so the model is a + c g, linear in two
        # unknowns; solve it in closed form instead of sweeping over d scalar cores.
        return _fit_constant(X, y, basis, bases, g, w, Xv, yv, gv, reg, t0)

    Phi = evaluate_stacked(bases, X, 0)
    Phiv = evaluate_stacked(bases, Xv, 0) if Xv is not None else None

    # right-orthogonalise cores 1..d-1 (core 0 is the centre)
    for k in range(d - 1, 0, -1):
        lf, q = _orth_left(cores[k])
        cores[k] = np.ascontiguousarray(q)
        cores[k - 1] = np.ascontiguousarray(np.einsum("ajb,bc->ajc", cores[k - 1], lf))
    cores = [np.ascontiguousarray(c) for c in cores]

    s = _Sweeper(Phi, y, g, w, cores, reg, extra_coef, rng)
    s.right_stacks()
    report = FitReport()
    best = None
    best_val = math.inf
    omega = 1.0
    if init is not None:
        # a warm start begins with the regularisation of its own residual, not from scratch
        omega = max(min(1.0, _relres(s.values(Phi, g), y, w)), math.sqrt(reg), 1e-12)
    theta_factor = 0.2

    def snapshot():
        return [c.copy() for c in s.cores], s.c

    def ridge():
        return max(reg, omega**2) if method == "salsa" else reg

    grow = [True]  # with validation data: no rank growth after a sweep that overfitted

    def rank_rule(sv, limit):
        # keep the singular values above the threshold plus one small "stabilising" one
        thr = theta_factor * omega * sv[0] if sv[0] > 0 else 0.0
        big = int(np.sum(sv > thr)) if sv[0] > 0 else 1
        cap = max_rank if grow[0] else len(sv)
        return max(1, min(big + 1, cap, limit))

    rule = rank_rule if method == "salsa" else None
    prev = math.inf
    for sweep in range(1, max_sweeps + 1):
        if d == 1:
            s.solve(0, ridge())
        else:
            for k in range(d - 1):
                s.solve(k, ridge())
                s.move_right(k, rule)
            for k in range(d - 1, 0, -1):
                s.solve(k, ridge())
                s.move_left(k, rule)
        res = _relres(s.values(Phi, g), y, w)
        report.residuals.append(res)
        report.ranks.append(tuple([1] + [c.shape[2] for c in s.cores]))
        report.sweeps = sweep
        if method == "salsa":
            omega = max(min(omega / 1.5, res), math.sqrt(reg), 1e-12)
        msg = f"sweep {sweep}: residual {res:.3e}, ranks {report.ranks[-1]}"
        if Xv is not None:
            val = _relres(s.values(Phiv, gv), yv, None)
            report.validation.append(val)
            msg += f", validation {val:.3e}"
            grow[0] = val < best_val
            if val < best_val:
                best_val, best = val, (snapshot(), sweep)
            elif sweep - best[1] >= patience:
                report.stop_reason = "validation"
                if verbose:
                    print(msg)
                break
        if verbose:
            print(msg)
        if res <= tol or (math.isfinite(prev) and prev - res <= tol * prev):
            report.stop_reason = "tol"
            break
        prev = res
    else:
        report.stop_reason = "max_sweeps"

    if best is not None:
        (cores_out, c_out), report.best_sweep = best
    else:
        cores_out, c_out = [c.copy() for c in s.cores], s.c
        report.best_sweep = report.sweeps
    if method == "salsa":
        cores_out = _truncate(cores_out, theta_factor * omega)
    report.fallback_solves = s.fallbacks
    report.time = time.perf_counter() - t0
    f = FunctionalTT(TensorTrain(cores_out), basis, c_out if g is not None else 0.0)
    return f, report


def _truncate(cores, rel: float):
    """Drop singular values below ``rel * s_max`` on every edge (left-to-right SVD pass;
    the cores are right-orthogonal from 1 on, so these are the true TT singular values)."""
    cores = [c.copy() for c in cores]
    for k in range(len(cores) - 1):
        r, p, r2 = cores[k].shape
        u, sv, vt = np.linalg.svd(cores[k].reshape(r * p, r2), full_matrices=False)
        keep = max(1, int(np.sum(sv > rel * sv[0]))) if sv[0] > 0 else 1
        cores[k] = u[:, :keep].reshape(r, p, keep)
        cores[k + 1] = np.einsum("ab,bjc->ajc", sv[:keep, None] * vt[:keep], cores[k + 1])
    return [np.ascontiguousarray(c) for c in cores]


def _fit_constant(X, y, basis, bases, g, w, Xv, yv, gv, reg, t0):
    """Weighted ridge least squares for f = C prod_k phi_0 + c g (every basis of size 1).

    The cores are C, 1, ..., 1, so the ridge term reg ||core||^2 of the sweep becomes reg C^2
    (c is not penalised, as in the sweep); the result equals one ALS sweep's.
    """
    d = X.shape[1]
    phi0 = evaluate_stacked(bases, X[:1], 0)[0, :, 0]
    column = float(np.prod(phi0))
    ww = np.ones_like(y) if w is None else w
    wsum = float(np.sum(ww))
    sw = np.sqrt(ww)
    cols = [np.full_like(y, column)] + ([g] if g is not None else [])
    A = np.column_stack(cols) * sw[:, None]
    rhs = y * sw
    if reg > 0:  # the ridge row sqrt(reg wsum) C = 0
        A = np.vstack([A, np.eye(1, A.shape[1]) * math.sqrt(reg * wsum)])
        rhs = np.append(rhs, 0.0)
    coef = np.linalg.lstsq(A, rhs, rcond=None)[0]
    C, c = float(coef[0]), (float(coef[1]) if g is not None else 0.0)
    cores = [np.full((1, 1, 1), C)] + [np.ones((1, 1, 1)) for _ in range(d - 1)]
    report = FitReport()
    report.residuals.append(_relres(column * C + (c * g if g is not None else 0.0), y, w))
    if Xv is not None:
        report.validation.append(_relres(column * C + (c * gv if gv is not None else 0.0), yv, None))
    report.ranks.append(tuple([1] * (d + 1)))
    report.sweeps = report.best_sweep = 1
    report.stop_reason = "closed form"
    report.time = time.perf_counter() - t0
    return FunctionalTT(TensorTrain(cores), basis, c), report
