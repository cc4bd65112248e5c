"""Least-squares regression of functional tensor trains: ALS and rank-adaptive SALSA.

A fixed-rank ALS sweep is one C++ call (``_core.regression.als_sweep``: local solves, QR, stacks).
SALSA loops over the cores in Python (its penalty and rank adaptation are small dense
operations, see ``_salsa``) and calls the same C++ kernels for everything that touches the
K samples (stacks, the compressed local Gram A^T W A, the local solves), GIL released.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Optional, Sequence

import numpy as np

from . import _salsa
from ._extension import _core
from ._validation import as_points, check_int, check_real, is_int
from .basis import Basis, evaluate_stacked, product_structure
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
    return check_real(v, name, 0.0)


def _initial_ranks(ranks, d: int, p: int, max_rank: int) -> list[int]:
    if is_int(ranks):
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
def _orth_left(core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """core (r, p, r2) -> L (r, k), Q (k, p, r2) right-orthogonal."""
    r, p, r2 = core.shape
    q, rr = np.linalg.qr(core.reshape(r, p * r2).T)
    return rr.T, q.T.reshape(-1, p, r2)


_MAX_LOCAL = 16384  # unknowns of one local problem (its Gram matrix is 2 GiB)


class _Sweeper:
    """State of one fit: cores, stacks (C++), and the local solve."""

    def __init__(self, PhiT, y, g, w, cores, reg, extra_coef, rng, products=(None, None)):
        """PhiT (d, K, p) and the product-basis values PsiT (d, K, q) are coordinate-major: the
        kernels get per-core contiguous (K, 1, p) slices and stream one coordinate's values."""
        self.y, self.g, self.w = y, g, w
        self.d, self.K, self.p = PhiT.shape
        self.PhiT = PhiT
        self.Phi = [s[:, None, :] for s in self.PhiT]
        self.PsiT, self.Cfull = products  # compressed-Gram data (basis.product_structure) or None
        self.Psi = [None] * self.d if self.PsiT is None else [s[:, None, :] for s in self.PsiT]
        self.C = [None] * self.d if self.PsiT is None else [self.Cfull[k : k + 1] for k in range(self.d)]
        self.cores = cores
        self.reg = reg
        self.c = extra_coef
        self.rng = rng
        self.wsum = float(np.sum(w)) if w is not None else float(self.K)
        self.ysq = float(np.sum(y * y if w is None else w * y * y))
        self.fallbacks = 0
        ones = np.ones((self.K, 1))
        self.L = [ones] + [None] * self.d
        self.R = [None] * self.d + [ones]
        self.active = [1] + [c.shape[2] for c in cores]  # SALSA: active ranks per bond

    def right_stacks(self):
        for k in range(self.d - 1, 0, -1):
            self.R[k] = _core.regression.als_stack_right(self.R[k + 1], self.Phi[k], 0, self.cores[k])

    def solve(self, k: int, ridge: float, salsa=None):
        """Optimise core k (and the extra coefficient) with all other cores fixed.
        salsa = (omega, smin) adds the stabilising penalty of _salsa.penalty."""
        n = self.cores[k].size + (self.g is not None)
        diag = np.full(n, ridge * self.wsum)
        if self.g is not None:
            diag[-1] = 0.0  # the additive term's coefficient is not penalised
        pen = None
        tsq = self.target_sq()
        if salsa is not None and tsq > 0:
            # coefficient scale floor: 1e-8 of the RMS of the TT's target (keeps it finite)
            pen = tsq * _salsa.penalty(self.cores[k], *salsa, 1e-8 * math.sqrt(tsq / self.wsum))
        x, fallback = _core.regression.als_local_solve(self.L[k], self.Phi[k], self.R[k + 1], 0, self.g, self.w, self.y,
                                            self.Psi[k], self.C[k], diag, pen)
        self.fallbacks += int(fallback)
        shape = self.cores[k].shape
        if self.g is not None:
            self.c = float(x[-1])
            x = x[:-1]
        self.cores[k] = np.ascontiguousarray(x.reshape(shape))

    def target_sq(self) -> float:
        """sum w t^2 for the part the TT represents, t = y - c g: SALSA's data term and
        residual are relative to it (with an additive term, the TT only fits a correction)."""
        if self.g is None:
            return self.ysq
        t = self.y - self.c * self.g
        return float(np.sum(t * t if self.w is None else self.w * t * t))

    def move_right(self, k: int, adapt):
        """SALSA: make core k left-orthogonal, push the factor into core k+1 and update L[k+1],
        with the rank adaptation of bond k+1 (adapt = (smin, cap)). (Fixed-rank ALS sweeps
        run in C++, als_sweep.)"""
        core, nxt = self.cores[k], self.cores[k + 1]
        r, p, r2 = core.shape
        r3 = nxt.shape[2]
        u, s, vt = np.linalg.svd(core.reshape(r * p, r2), full_matrices=False)
        b = (vt @ nxt.reshape(r2, p * r3)).T  # orthonormal columns (nxt is right-orthogonal)
        u, s, b, self.active[k + 1] = _salsa.split_bond(u, s, b, *adapt, self.rng)
        self.cores[k] = np.ascontiguousarray(u.reshape(r, p, -1))
        self.cores[k + 1] = np.ascontiguousarray((s[:, None] * b.T).reshape(-1, p, r3))
        self.L[k + 1] = _core.regression.als_stack_left(self.L[k], self.Phi[k], 0, self.cores[k])

    def move_left(self, k: int, adapt):
        """SALSA: make core k right-orthogonal, push the factor into core k-1, update R[k]."""
        core, prv = self.cores[k], self.cores[k - 1]
        r, p, r2 = core.shape
        r0 = prv.shape[0]
        u, s, vt = np.linalg.svd(core.reshape(r, p * r2), full_matrices=False)
        a = prv.reshape(r0 * p, r) @ u  # orthonormal columns (prv is left-orthogonal)
        a, s, b, self.active[k] = _salsa.split_bond(a, s, vt.T, *adapt, self.rng)
        self.cores[k] = np.ascontiguousarray(b.T.reshape(-1, p, r2))
        self.cores[k - 1] = np.ascontiguousarray((a * s[None, :]).reshape(r0, p, -1))
        self.R[k] = _core.regression.als_stack_right(self.R[k + 1], self.Phi[k], 0, self.cores[k])

    def als_sweep(self) -> np.ndarray:
        """One fixed-rank ALS sweep in a single C++ call (cores and right stacks updated in
        place); returns the training values."""
        f, c, fallbacks = _core.regression.als_sweep(self.cores, self.R, self.PhiT, self.PsiT, self.Cfull, self.y, self.g,
                                          self.w, self.reg * self.wsum)
        if self.g is not None:
            self.c = c
        self.fallbacks += fallbacks
        return f

    def train_values(self) -> np.ndarray:
        """f on the training points from the right stack of core 1 (valid after a full sweep,
        when core 0 is the centre): one stack step instead of a full evaluation."""
        f = _core.regression.als_stack_right(self.R[1], self.Phi[0], 0, self.cores[0])[:, 0]
        return f if self.g is None else f + self.c * self.g

    def values(self, Phi, g) -> np.ndarray:
        f = _core.regression.functional_eval(self.cores, Phi, "value", None)
        return f if g is None else f + self.c * g


_MAX_PRODUCT_BYTES = 1 << 30
# early stopping: a validation residual that improves by less than this (relatively) over
# `patience` sweeps has stopped improving (a regularised fit creeps down forever otherwise)
_MIN_VALIDATION_GAIN = 1e-4


def _products(bases, X):
    """Product-basis data for the compressed Gram when it saves work (p >= 3: 2p - 1 product
    functions instead of p(p+1)/2 basis products) and fits in memory; else (None, None)."""
    p = bases[0].size
    K, d = X.shape
    if p < 3 or K * d * (2 * p - 1) * 8 > _MAX_PRODUCT_BYTES:
        return None, None
    return product_structure(bases, X, coordinate_major=True)


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
    extra_powers: int = 1,
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
        SALSA adds its singular-value-weighted penalty (see docs/regression.md).
    max_sweeps : int >= 1
        One sweep = left-to-right then right-to-left.
    tol : float >= 0
        Stop when the relative residual is below ``tol`` or improves by less than ``tol``
        (relatively) over a sweep.
    validation : (Xv, yv), optional
        Validation residual after every sweep; stops early when it did not improve by more
        than 1e-4 (relatively) for ``patience`` sweeps, and returns the best model.
    extra : (gX, gXv) or (gX,), optional
        Values of the additive term g on X (and on Xv); its coefficient is solved jointly
        with every core.
    extra_powers : int >= 1
        m: the additive term is c_1 g + c_2 g^2 + ... + c_m g^m (all coefficients solved
        jointly). m >= 2 is supported for degree-0 (size-1) bases, where the whole model is
        linear in m + 1 unknowns and is solved in closed form; larger bases raise
        NotImplementedError.
    weights : array (K,) of nonnegative numbers, optional
    init : FunctionalTT, optional
        Warm start (its cores, ranks and extra coefficient). SALSA starts its
        regularisation schedule at the residual of the starting model (cold or warm).
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
                    weights, init, seed, verbose, patience, extra_powers)
    finally:
        if saved > 1:
            _core.blas_set_num_threads(saved)


def _fit(X, y, basis, method, ranks, max_rank, reg, max_sweeps, tol, validation, extra, weights, init,
         seed, verbose, patience, extra_powers):
    t0 = time.perf_counter()
    if method not in ("als", "salsa"):
        raise ValueError(f"method must be 'als' or 'salsa', got {method!r}")
    X = as_points(X, name="X")
    K, d = X.shape
    if K == 0:
        raise ValueError("X must contain at least one sample")
    y = _vector(y, K, "y")
    bases = _bases_list(basis, d)
    p = bases[0].size
    max_rank = check_int(max_rank, "max_rank", 1)
    max_sweeps = check_int(max_sweeps, "max_sweeps", 1)
    patience = check_int(patience, "patience", 1)
    extra_powers = check_int(extra_powers, "extra_powers", 1)
    if extra_powers > 1 and p != 1:
        raise NotImplementedError(f"extra_powers={extra_powers} needs degree-0 (size-1) bases; "
                                  f"the basis has size {p}")
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
        Xv = as_points(validation[0], name="validation X")
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
        extra_coef = float(np.atleast_1d(init.extra_coef)[0]) if g is not None else 0.0
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
    salsa_largest = 0
    if method == "salsa":  # the largest local problem max_rank allows (ranks clipped by the dimensions)
        cap = _initial_ranks(max_rank, d, p, max_rank)
        salsa_largest = max(cap[k] * p * cap[k + 1] for k in range(d))
        if salsa_largest > _MAX_LOCAL:
            raise MemoryError(f"max_rank={max_rank} allows local problems above {_MAX_LOCAL} unknowns")

    largest = max(max(c.size for c in cores), salsa_largest) + (1 if g is not None else 0)
    if K < largest:
        if reg == 0:
            raise ValueError(f"too few samples: K={K} < {largest} unknowns of a local problem; "
                             f"use more samples, lower ranks, or reg > 0")
        warnings.warn(f"fit: K={K} is below the {largest} unknowns of a local problem; "
                      f"the solution is determined by the ridge term reg={reg}", RuntimeWarning, stacklevel=2)

    if p == 1:
        # Degree-0 bases: the TT part is one constant, so the model a + c_1 g + ... + c_m g^m is
        # linear in m + 1 unknowns; solve it in closed form instead of sweeping over d scalar cores.
        return _fit_constant(X, y, basis, bases, g, w, Xv, yv, gv, reg, t0, extra_powers)

    PhiT = evaluate_stacked(bases, X, 0, coordinate_major=True)
    Phiv = evaluate_stacked(bases, Xv, 0) if Xv is not None else None

    # right-orthogonalise cores 1..d-1 (core 0 is the centre)
    for k in range(d - 1, 0, -1):
        lf, q = _orth_left(cores[k])
        cores[k] = np.ascontiguousarray(q)
        cores[k - 1] = np.ascontiguousarray(np.einsum("ajb,bc->ajc", cores[k - 1], lf))
    cores = [np.ascontiguousarray(c) for c in cores]

    s = _Sweeper(PhiT, y, g, w, cores, reg, extra_coef, rng, _products(bases, X))
    s.right_stacks()
    report = FitReport()
    best = None
    best_val = math.inf
    progress_val, progress_sweep = math.inf, 0  # last validation gain that counts for patience
    salsa = method == "salsa"
    # SALSA's regularisation starts at the residual of the starting model (cold or warm)
    def tt_residual(res):  # residual relative to the TT's target y - c g
        tsq = s.target_sq()
        return res * math.sqrt(s.ysq / tsq) if tsq > 0 else 0.0

    # SALSA's penalty is relative to the current iterate, so a cold start (far from the data
    # in scale) first gets one plain ALS sweep at its starting ranks; omega then starts at the
    # residual of that sweep (of the warm start's model when init is given).
    omega = 0.0
    if salsa and init is not None:
        omega = _salsa.next_omega(math.inf, tt_residual(_relres(s.train_values(), y, w)), reg)
    plain_sweep = salsa and init is None

    def snapshot():
        return [c.copy() for c in s.cores], s.c, omega

    grow = True  # with validation data: no rank growth after a sweep that overfitted

    def local_solve(k):
        s.solve(k, reg, (omega, _salsa.SMIN_FACTOR * omega) if salsa else None)

    def adapt(bond_size):
        return _salsa.SMIN_FACTOR * omega, max_rank if grow else min(bond_size, max_rank)

    prev = math.inf
    for sweep in range(1, max_sweeps + 1):
        fvals = None
        first_plain, plain_sweep = plain_sweep, False
        if d == 1:
            s.solve(0, reg, None) if first_plain else local_solve(0)
        elif not salsa or first_plain:
            fvals = s.als_sweep()
        else:
            for k in range(d - 1):
                local_solve(k)
                s.move_right(k, adapt(s.cores[k].shape[2]))
            for k in range(d - 1, 0, -1):
                local_solve(k)
                s.move_left(k, adapt(s.cores[k].shape[0]))
        res = _relres(s.train_values() if fvals is None else fvals, y, w)
        report.residuals.append(res)
        if first_plain:
            omega = _salsa.next_omega(math.inf, tt_residual(res), reg)
        if salsa:
            report.ranks.append(tuple([1] + [max(1, a) for a in s.active[1:-1]] + [1]))
        else:
            report.ranks.append(tuple([1] + [c.shape[2] for c in s.cores]))
        report.sweeps = sweep
        msg = f"sweep {sweep}: residual {res:.3e}, ranks {report.ranks[-1]}"
        if salsa:
            msg += f", omega {omega:.2e}"
        if Xv is not None:
            val = _relres(s.values(Phiv, gv), yv, None)
            report.validation.append(val)
            msg += f", validation {val:.3e}"
            grow = val < best_val
            if val < best_val:
                best_val, best = val, (snapshot(), sweep)
            if val < progress_val * (1 - _MIN_VALIDATION_GAIN):
                progress_val, progress_sweep = val, sweep
            elif sweep - progress_sweep >= patience:
                report.stop_reason = "validation"
                if verbose:
                    print(msg)
                break
        if verbose:
            print(msg)
        # SALSA: a stalled residual only ends the fit once omega has stopped decreasing
        settled = True
        if salsa and not first_plain:
            new_omega = _salsa.next_omega(omega, tt_residual(res), reg)
            settled = new_omega >= omega
            omega = new_omega
        if res <= tol or (settled and math.isfinite(prev) and prev - res <= tol * prev):
            report.stop_reason = "tol"
            break
        prev = res
    else:
        report.stop_reason = "max_sweeps"

    if best is not None:
        (cores_out, c_out, omega_out), report.best_sweep = best
    else:
        cores_out, c_out, omega_out = [c.copy() for c in s.cores], s.c, omega
        report.best_sweep = report.sweeps
    if salsa:
        cores_out = _salsa.truncate(cores_out, _salsa.SMIN_FACTOR * omega_out, max_rank)
    report.fallback_solves = s.fallbacks
    report.time = time.perf_counter() - t0
    f = FunctionalTT(TensorTrain(cores_out), basis, c_out if g is not None else 0.0)
    return f, report


def _fit_constant(X, y, basis, bases, g, w, Xv, yv, gv, reg, t0, powers=1):
    """Weighted ridge least squares for f = C prod_k phi_0 + c_1 g + ... + c_m g^m (every basis
    of size 1).

    The cores are C, 1, ..., 1, so the ridge term reg ||core||^2 of the sweep becomes reg C^2
    (the c_j are not penalised, as in the sweep); for m = 1 the result equals one ALS sweep's.
    """
    d = X.shape[1]
    phi0 = evaluate_stacked(bases, X[:1], 0)[0, :, 0]
    column = float(np.prod(phi0))

    def design(gvals, n):
        cols = [np.full(n, column)]
        if gvals is not None:
            cols += [gvals**j for j in range(1, powers + 1)]
        return np.column_stack(cols)

    ww = np.ones_like(y) if w is None else w
    wsum = float(np.sum(ww))
    sw = np.sqrt(ww)
    D = design(g, y.size)
    scale = np.maximum(np.sqrt(np.sum(ww[:, None] * D * D, axis=0) / wsum), 1e-300)  # g^j can be huge
    A = D / scale * sw[:, None]
    rhs = y * sw
    if reg > 0:  # the ridge row sqrt(reg wsum) C = 0
        A = np.vstack([A, np.eye(1, A.shape[1]) * math.sqrt(reg * wsum) / scale[0]])
        rhs = np.append(rhs, 0.0)
    coef = np.linalg.lstsq(A, rhs, rcond=None)[0] / scale
    C = float(coef[0])
    c = coef[1:] if g is not None else np.zeros(1)
    cores = [np.full((1, 1, 1), C)] + [np.ones((1, 1, 1)) for _ in range(d - 1)]
    report = FitReport()
    report.residuals.append(_relres(D @ coef, y, w))
    if Xv is not None:
        report.validation.append(_relres(design(gv, yv.size) @ coef, yv, None))
    report.ranks.append(tuple([1] * (d + 1)))
    report.sweeps = report.best_sweep = 1
    report.stop_reason = "closed form"
    report.time = time.perf_counter() - t0
    return FunctionalTT(TensorTrain(cores), basis, c), report
