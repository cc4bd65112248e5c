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
from ._als import Progress, add_residual_direction, grow_ranks, run_als
from ._extension import _core
from ._sweeper import MAX_LOCAL, Sweeper, cold_start_cores, relres, right_orthogonalize, products
from ._sweeper import orth_left as _orth_left  # noqa: F401 - used by bench/ and tests
from ._validation import as_points, check_int, check_real, is_int
from .basis import evaluate_stacked
from .functional import FunctionalTT, _bases_list
from .tt import TensorTrain

__all__ = ["fit", "FitReport", "TTRegressor"]


@dataclass
class FitReport:
    """What happened during :func:`fit`.

    Attributes
    ----------
    residuals : list of float
        Relative (weighted) training residual after each sweep.
    validation : list of float
        Relative validation residual after each sweep (empty without validation).
    ranks : list of tuple
        TT ranks after each sweep.
    sweeps : int
        Number of sweeps run.
    time : float
        Wall time in seconds.
    stop_reason : str
        "tol", "max_sweeps", "validation" (early stopping; best model returned) or
        "closed form" (degree-0 bases: the model C + c g is solved directly, no sweeps).
    best_sweep : int
        Sweep whose model was returned (1-based; 0 = the initial model).
    fallback_solves : int
        Local solves that used the truncated (eigen-decomposition) solve.
    polish_sweeps : int
        SALSA: plain ALS sweeps at the ranks found (included in ``sweeps``).
    start_sweeps : int
        ALS cold start: sweeps of the rank-revealing start below the final ranks
        (not included in ``sweeps`` or the per-sweep lists).
    """

    residuals: list = field(default_factory=list)
    validation: list = field(default_factory=list)
    ranks: list = field(default_factory=list)
    sweeps: int = 0
    time: float = 0.0
    stop_reason: str = ""
    best_sweep: int = 0
    fallback_solves: int = 0
    polish_sweeps: int = 0
    start_sweeps: int = 0


DEFAULT_SWEEPS = {"als": 20, "salsa": 50}  # max_sweeps=None
POLISH_SWEEPS = 10  # SALSA: plain ALS sweeps at the ranks found


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
    if a.size and np.abs(a).max() > _MAX_ABS_VALUE:  # squares and Gram sums would overflow
        raise ValueError(f"{name} has entries up to {np.abs(a).max():.3g}; the least-squares sums need "
                         f"|{name}| <= {_MAX_ABS_VALUE:g} (rescale it)")
    return a


#: Largest |y| (and weight) fit accepts: squares summed over ~1e8 samples stay below 1e300.
_MAX_ABS_VALUE = 1e100


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


def fit(
    X,
    y,
    basis,
    method: str = "als",
    ranks=None,
    max_rank: int = 8,
    reg: float = 0.0,
    max_sweeps: Optional[int] = None,
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
        Explicit ridge weight (default 0: no bias on exact fits; rank-deficient local problems
        get the truncated minimum-norm solve instead): minimises
        ``sum w (f - y)^2 / sum w + reg * ||core||^2`` in each local problem (with the other
        cores orthogonal, ``||core||`` is the coefficient norm). SALSA adds its
        singular-value-weighted penalty (see docs/regression.md).
    max_sweeps : int >= 1 or None
        None: 20 (ALS) or 50 (SALSA). ALS: sweeps at the final ranks (a cold start's
        rank-revealing sweeps below them are extra, ``report.start_sweeps``); SALSA:
        regularised sweeps (then up to 10 plain polishing sweeps).
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
    if max_sweeps is None:
        max_sweeps = DEFAULT_SWEEPS[method]
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
        if biggest > MAX_LOCAL:
            raise MemoryError(f"ranks {max(full)} give a local problem with {biggest} unknowns "
                              f"(its Gram matrix would not fit; limit {MAX_LOCAL})")
        cores = cold_start_cores(full, p, rng)
    salsa_largest = 0
    if method == "salsa":  # the largest local problem max_rank allows (ranks clipped by the dimensions)
        cap = _initial_ranks(max_rank, d, p, max_rank)
        salsa_largest = max(cap[k] * p * cap[k + 1] for k in range(d))
        if salsa_largest > MAX_LOCAL:
            raise MemoryError(f"max_rank={max_rank} allows local problems above {MAX_LOCAL} unknowns")

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
    cold = init is None
    target = [1] + [c.shape[2] for c in cores]
    if cold and method == "als":
        cores = cold_start_cores([1] * (d + 1), p, rng)  # rank-revealing start (_als.grow_ranks)
    s = Sweeper(PhiT, y, g, w, right_orthogonalize(cores), reg, extra_coef, rng, products(bases, X))
    report = FitReport()
    progress = Progress(s, report, Phiv, gv, yv, verbose, patience)
    cores_out, c_out = _sweep_fit(s, report, progress, method, cold, target, max_rank, max_sweeps, tol, w)
    report.time = time.perf_counter() - t0
    f = FunctionalTT(TensorTrain(cores_out), basis, c_out if g is not None else 0.0)
    return f, report


def _sweep_fit(s, report, progress, method, cold, target, max_rank, max_sweeps, tol, w):
    """The sweep loops of :func:`fit` on the sweeper ``s`` (``_sweeper.Sweeper``, or the sharded
    ``ttsolve.distributed.sweeper.ShardedSweeper``): ALS (from a cold start: the rank-revealing
    start up to ``target`` ranks) or SALSA with its residual restarts and polish. Fills
    ``report``; returns the cores and additive coefficient of the model to return."""
    omega = None
    if method == "als":
        if cold:
            grow_ranks(s, progress, target, tol, w)
        report.stop_reason = run_als(s, progress, max_sweeps, tol, w)
    else:
        report.stop_reason, omega = _salsa.run(
            s, progress, max_rank, max_sweeps, tol, w, cold,
            restart=lambda cores, c: add_residual_direction(s, cores, c, max_rank))
        # Polish: plain ALS at the ranks found (the best iterate truncated to its active
        # singular values) removes the regularisation's bias; the better model by validation
        # (or the polished one, without validation data) is returned.
        cores_b, c_b, _, omega_b = progress.best if progress.best is not None else s.snapshot() + (0, omega)
        s.reset(right_orthogonalize(_salsa.truncate(cores_b, _salsa.SMIN_FACTOR * omega_b, max_rank)))
        s.c = c_b
        progress.reset_patience()
        report.polish_sweeps = report.sweeps
        reason = run_als(s, progress, POLISH_SWEEPS, tol, w)
        report.polish_sweeps = report.sweeps - report.polish_sweeps
        if report.stop_reason != "validation":
            report.stop_reason = reason

    if progress.best is not None:
        cores_out, c_out, report.best_sweep, omega_out = progress.best
    else:
        (cores_out, c_out), omega_out = s.snapshot(), None
        report.best_sweep = report.sweeps
    if omega_out is not None:  # a SALSA iterate: drop its minor directions
        cores_out = _salsa.truncate(cores_out, _salsa.SMIN_FACTOR * omega_out, max_rank)
    report.fallback_solves = s.fallbacks
    return cores_out, c_out


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
    report.residuals.append(relres(D @ coef, y, w))
    if Xv is not None:
        report.validation.append(relres(design(gv, yv.size) @ coef, yv, None))
    report.ranks.append(tuple([1] * (d + 1)))
    report.sweeps = report.best_sweep = 1
    report.stop_reason = "closed form"
    report.time = time.perf_counter() - t0
    return FunctionalTT(TensorTrain(cores), basis, c), report


from .estimator import TTRegressor  # noqa: E402 - needs fit above (the estimator wraps it)
