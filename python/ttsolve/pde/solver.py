"""Backward BSDE schemes on functional tensor trains (explicit and implicit).

The PDE of a :class:`~ttsolve.pde.problem.Problem` is linked to the forward-backward SDE

    X_{n+1} = X_n + b dt + sigma xi_n sqrt(dt),
    Y_n = Y_{n+1} + h(t_n, X_n, Y_n, Z_n) dt - Z_n . xi_n sqrt(dt),   Y_N = g(X_N),

with Y_n = V(t_n, X_n) and Z_n = sigma^T grad V(t_n, X_n).  Going backwards in time, V_n is the
least-squares fit of a target built from V_{n+1}; the ansatz is V_n = TT_n + c_n g (optionally
with further powers of g), fitted with :func:`ttsolve.regression.fit` and warm-started from V_{n+1}.

- explicit: target  V_{n+1}(X_{n+1}) + dt h(t_n, X_{n+1}, V_{n+1}(X_{n+1}), Z_{n+1}(X_{n+1}));
- implicit: fixed point  V^{k+1} = fit( V_{n+1}(X_{n+1}) + dt h(t_n, X_n, V^k, Z^k) - Z^k . xi sqrt(dt) ).
  Subtracting the martingale increment is a control variate: it removes most of the noise of the
  target, which is why the implicit scheme is far more accurate at equal K.
"""

from __future__ import annotations

import math
import os
import time
from typing import Callable, Optional, Union

import numpy as np

from .._validation import as_seed, check_int, check_real, is_int
from ..basis import Basis, H2Orthogonal
from ..functional import FunctionalTT
from ..regression import fit
from ..tt import TensorTrain
from .fixed_point import fixed_point, kept_change_limit
from .inner_sampling import antithetic_mean, antithetic_mean_terminal
from .memory import check_solve_memory, solve_memory
from .path_store import PathStore
from .paths import sigma_transpose_times
from .problem import Problem
from .scheme_choice import choose_scheme
from .solution import (
    Solution,
    _resume,
    SolverDivergedError,
    StepDiagnostics,
    _checked_array,
    _g_values,
    _grad_g_values,
    _gradient,
    _save_step,
    _value,
)

__all__ = ["solve", "Solution", "StepDiagnostics", "SolverDivergedError"]


# ----------------------------------------------------------------------------- checks

def _check_problem(problem: Problem) -> None:
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a ttsolve.pde.Problem, got {type(problem).__name__}")
    if not is_int(problem.dim) or problem.dim < 1:
        raise ValueError(f"problem.dim must be a positive int, got {problem.dim!r}")
    if not (math.isfinite(float(problem.T)) and float(problem.T) > 0):
        raise ValueError(f"problem.T must be positive and finite, got {problem.T}")
    x0 = np.asarray(problem.x0, dtype=float)
    if x0.shape != (problem.dim,):
        raise ValueError(f"problem.x0 has shape {x0.shape}, but problem.dim = {problem.dim}")
    lo, hi = (np.broadcast_to(np.asarray(a, dtype=float), (problem.dim,)) for a in problem.domain)
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi)) and np.all(hi > lo)):
        raise ValueError("problem.domain must be a finite box (lo, hi) with hi > lo in every coordinate")


def default_basis(problem: Problem, degree: int) -> list[Basis]:
    """H2-orthonormal polynomials of ``degree`` on the problem's domain box, one per coordinate.

    As in the TT-PDE paper: with this basis the ridge term of the regression penalises the H^2 norm
    of each mode, i.e. curvature and slope, not just size. With Legendre polynomials (an L^2 penalty)
    noise in the fitted gradients is amplified through h(.., Z) from step to step, and e.g. the
    double-well problems diverge (bench/README.md)."""
    lo, hi = (np.broadcast_to(np.asarray(a, dtype=float), (problem.dim,)) for a in problem.domain)
    cache: dict[tuple, Basis] = {}
    out = []
    for a, b in zip(lo, hi):
        key = (float(a), float(b))
        if key not in cache:
            cache[key] = H2Orthogonal(degree, domain=key)
        out.append(cache[key])
    return out


# ----------------------------------------------------------------------------- step helpers

def _z(problem: Problem, t: float, X: np.ndarray, grad: np.ndarray, step: int) -> np.ndarray:
    try:
        Z = sigma_transpose_times(problem, t, X, grad)
    except ValueError as e:
        raise ValueError(f"sigma: {e} (time step {step})") from None
    return _checked_array(Z, X.shape, "sigma", step)


def _h(problem: Problem, t, X, Y, Z, step: int) -> np.ndarray:
    return _checked_array(problem.h(t, X, Y, Z), (X.shape[0],), "h", step)


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    den = float(np.linalg.norm(b))
    return float(np.linalg.norm(a - b)) / den if den > 0 else float(np.linalg.norm(a - b))


# ----------------------------------------------------------------------------- the solver

# (explicit, implicit) weights of h in units of dt: h at (t_{n+1}, X_{n+1}) / at (t_n, X_n)
_SCHEME_WEIGHTS = {"explicit": (1.0, 0.0), "implicit": (0.0, 1.0), "trapezoidal": (0.5, 0.5)}

def _path_set(problem: Problem, N: int, K: int, seed: int, interval: int) -> PathStore:
    """The paths of one set (training or validation), with g(X_n) for every step."""
    return PathStore(problem, N, K, seed, lambda X, n: _g_values(problem, X, n), interval)


def solve(
    problem: Problem,
    scheme: Optional[str] = None,
    n_steps: Optional[int] = None,
    n_samples: Optional[int] = None,
    degree: Optional[int] = None,
    max_rank: Optional[int] = None,
    basis=None,
    seed=0,
    n_validation: Optional[int] = None,
    max_fixed_point: Optional[int] = None,
    fixed_point_tol: float = 1e-6,
    method: Optional[str] = None,
    reg: float = 1e-10,
    max_sweeps: Optional[int] = None,
    tol: float = 1e-8,
    progress: Union[bool, Callable[[int, StepDiagnostics], None]] = False,
    checkpoint: Optional[Union[str, os.PathLike]] = None,
    divergence_threshold: float = 1e8,
    inner_samples: Optional[int] = None,
    inner_samples_g: Optional[int] = None,
    additive_powers: Optional[int] = None,
    client=None,
    n_shards: Optional[int] = None,
) -> Solution:
    """Solve the problem's PDE backwards in time with functional TTs.

    Parameters
    ----------
    problem : Problem
    scheme : "implicit", "explicit" or "trapezoidal", optional
        Problem default (every built-in problem has a tested one); a problem without one gets
        :data:`ttsolve.pde.scheme_choice.USER_DEFAULT_SCHEME` ["trapezoidal"], chosen by measured
        accuracy per second on the built-ins; ``Solution.report()`` says which and why. "trapezoidal" (our addition) weighs h half at (t_{n+1}, X_{n+1}) with V_{n+1} (explicit part)
        and half at (t_n, X_n) with the fixed point V^k (implicit part): the theta = 1/2 scheme,
        second order in dt for Y where the other two are first order.
    n_steps : int >= 1, optional
        Time steps N.  This and the other arguments documented as "problem default" fall back to
        ``problem.defaults[name]`` when not given (the built-in problems carry tested settings),
        else to the value in brackets.
    n_samples : int >= 1, optional
        Problem default [2000]. Training paths K (plus K_v validation paths). Their increments are
        counter-based Philox streams, so the paths are held in full (8 (K + K_v) (2N + 1) d bytes)
        while that takes at most a quarter of the physical memory, else as checkpoints every
        B ~ sqrt(N/2) steps that are simulated again per segment (about 8 (K + K_v) (N/B + 2B) d
        bytes; the same paths). The memory the solve needs is estimated up front
        (``Solution.memory``, :func:`ttsolve.pde.memory.solve_memory`); a solve that would need
        more than half the physical memory is refused with a MemoryError naming n_samples.
    degree : int >= 0, optional
        Problem default [0]. Polynomial degree of the default basis (H2-orthonormal polynomials on ``problem.domain``).
    max_rank : int >= 1, optional
        Problem default [1]. TT rank (ALS) or rank cap (SALSA).
    basis : Basis or list of Basis, optional
        Overrides the default basis.
    seed : int or numpy Generator
        Seeds the training paths, the validation paths and every regression.
    n_validation : int, optional
        Independent validation paths (default ``max(100, n_samples // 4)``; 0 disables validation).
    max_fixed_point : int >= 1, optional
        Problem default [10]. Implicit scheme: iteration cap of the fixed-point loop.
    fixed_point_tol : float >= 0
        Implicit scheme: stop when the relative change of V^k on the training points is below it.
        The loop also stops, keeping the previous iterate, when the change stops decreasing
        (the noise floor of the fit is reached, or the map is not a contraction).
    method, reg, max_sweeps, tol
        ``method`` is a problem default ["als"]. Passed to :func:`ttsolve.regression.fit`.
        ``max_sweeps`` defaults to 1 for degree 0 and rank 1 (the model a + c g is then solved in
        closed form), else 4.
    progress : bool or callable
        True shows a tqdm bar; a callable is called as ``progress(n, diagnostics)`` after step n
        (raising from it interrupts the solve; with ``checkpoint`` the finished steps are kept).
    checkpoint : path, optional
        Directory; every finished step is saved there, and a rerun with the same arguments resumes
        from the saved steps (giving exactly the result of an uninterrupted run). The key of a
        checkpoint covers the settings and :meth:`Problem.fingerprint` (the problem's constants
        and its functions' values at fixed probe points), so a directory written for a different
        problem, even one with the same name and dim, is refused with ``ValueError``.
    inner_samples : int >= 0, optional
        Problem default [0]. 0: the target uses each path's own next point, with the martingale term
        Z . dW as control variate (the TT-PDE paper's schemes). M >= 1: E[V_{n+1}(X_{n+1}) | X_n]
        (explicit: of V_{n+1} + dt h) is estimated by M antithetic pairs of Euler increments
        around X_n + b dt, the first pair being the path's own. Unbiased like the default, with
        much less noise when V_{n+1} is strongly curved, at the cost of 2M - 1 extra evaluations
        of V_{n+1} (and g) per step; the martingale term is then not needed.
    inner_samples_g : int >= 1, optional
        Problem default [``inner_samples``]. With ``inner_samples >= 1`` (any scheme): antithetic
        pairs for the additive term c g alone (g is cheap, so many pairs cost little).
    additive_powers : int >= 1, optional
        Problem default [1]. m: the ansatz is V_n = TT_n + c_1 g + ... + c_m g^m (our extension
        of the paper's TT_n + c g). m >= 2 needs degree-0 bases, where the model is linear in
        m + 1 unknowns and is fitted in closed form (ValueError otherwise; a problem default
        m >= 2 falls back to 1 for larger bases). For HJB it lowers the approximation floor
        along the paths (V is a function of ``|x|^2``, and so is g).
    client : dask.distributed.Client, optional
        Shard the paths over the cluster's workers (:mod:`ttsolve.distributed.pde`, docs/distributed.md):
        each worker simulates and keeps its paths, only models and reduced matrices travel; V(0, x0)
        equals the local solve's to rounding (bitwise on one shard). Every basis and fit method
        (ALS at any max_rank, SALSA).
    n_shards : int, optional
        Shards of consecutive paths (default: the cluster's thread count); without ``client`` they
        run in this process.
    divergence_threshold : float > 0
        A fit whose relative residual exceeds this, or which produces NaN/inf, raises
        :class:`SolverDivergedError` (its ``solution`` holds the steps solved so far).

    Returns
    -------
    Solution
    """
    _check_problem(problem)

    def default(value, name, fallback):
        return problem.defaults.get(name, fallback) if value is None else value

    scheme, scheme_reason = choose_scheme(problem, scheme)

    N = check_int(default(n_steps, "n_steps", 100), "n_steps", 1)
    degree = default(degree, "degree", 0)
    max_rank = default(max_rank, "max_rank", 1)
    method = default(method, "method", "als")
    inner_samples = check_int(default(inner_samples, "inner_samples", 0), "inner_samples", 0)
    inner_samples_g = check_int(default(inner_samples_g, "inner_samples_g", max(inner_samples, 1)),
                                "inner_samples_g", 1)
    K = check_int(default(n_samples, "n_samples", 2000), "n_samples", 1)
    degree = check_int(degree, "degree", 0)
    max_rank = check_int(max_rank, "max_rank", 1)
    max_fixed_point = check_int(default(max_fixed_point, "max_fixed_point", 10), "max_fixed_point", 1)
    powers_given = additive_powers is not None
    additive_powers = check_int(default(additive_powers, "additive_powers", 1), "additive_powers", 1)
    Kv = max(100, K // 4) if n_validation is None else check_int(n_validation, "n_validation", 0)
    fixed_point_tol = check_real(fixed_point_tol, "fixed_point_tol", 0.0)
    divergence_threshold = check_real(divergence_threshold, "divergence_threshold", positive=True, finite=False)
    if not (progress is True or progress is False or callable(progress)):
        raise TypeError(f"progress must be True, False or a callable, got {progress!r}")
    seed = as_seed(seed)
    if max_sweeps is None:
        max_sweeps = 1 if (degree == 0 and max_rank == 1 and basis is None) else 4
    d = problem.dim
    bases = default_basis(problem, degree) if basis is None else basis
    if isinstance(bases, Basis):
        bases = [bases] * d
    bases = list(bases)
    if len(bases) != d or not all(isinstance(b, Basis) for b in bases):
        raise ValueError(f"basis must be a Basis or a list of {d} Basis objects (problem.dim = {d})")
    if additive_powers > 1 and bases[0].size != 1 and not powers_given:
        additive_powers = 1  # a problem default meant for its degree-0 ansatz
    if additive_powers > 1 and bases[0].size != 1:
        raise ValueError(f"additive_powers={additive_powers} needs degree-0 bases (degree=0); the basis has "
                         f"size {bases[0].size}")
    settings = dict(scheme=scheme, n_steps=N, n_samples=K, degree=degree, max_rank=max_rank, seed=seed,
                    n_validation=Kv, max_fixed_point=max_fixed_point, fixed_point_tol=fixed_point_tol,
                    method=method, reg=reg, max_sweeps=max_sweeps, tol=tol, name=problem.name, dim=d,
                    inner_samples=inner_samples, inner_samples_g=inner_samples_g, additive_powers=additive_powers,
                    T=float(problem.T), basis=repr(bases[0]) if basis is None else repr(basis),
                    problem_fingerprint=problem.fingerprint())

    if client is not None or n_shards is not None:  # the paths live on the shards
        from ..distributed.pde import solve_sharded

        return solve_sharded(client, n_shards, problem, settings, bases, seed, checkpoint, progress,
                             divergence_threshold)
    # Memory stated up front (pde/memory.py): the paths (held in full, or as checkpoints
    # regenerated per segment from their counter-based streams, pde/path_store.py) and one step's
    # working set; a solve that cannot fit is refused before anything is allocated.
    compiled_g = getattr(problem.g, "compiled", None) is not None and problem.sigma_kind != "full"
    memory = solve_memory(d, N, K, Kv, basis_size=bases[0].size, max_rank=max_rank, inner_samples=inner_samples,
                          scheme=scheme, compiled_g=compiled_g)
    check_solve_memory(memory, K, Kv, N, d)
    seeds = np.random.SeedSequence(seed).generate_state(3, dtype=np.uint64)
    train = _path_set(problem, N, K, int(seeds[0]), memory["interval"])
    valid = _path_set(problem, N, Kv, int(seeds[1]), memory["interval"]) if Kv > 0 else None
    # A constant g (e.g. a bond paying 1) duplicates the TT's constant function: the extra
    # coefficient would be unidentifiable (and unpenalised), so the ansatz drops it.
    gspread = float(np.ptp(train.g))
    settings["extra_term"] = bool(gspread > 1e-12 * max(1.0, float(np.max(np.abs(train.g)))))
    dt = float(problem.T) / N
    solution = Solution(problem, N, [None] * N, np.zeros(N), [None] * N, settings)
    solution.memory = memory
    models, shifts, diags = solution.models, solution.shifts, solution.diagnostics

    start = N - 1
    if checkpoint is not None:
        start = _resume(checkpoint, settings, solution)
    solution.settings["scheme_reason"] = scheme_reason  # not part of the checkpoint key

    bar = None
    if progress is True:
        try:
            from tqdm import tqdm
        except ImportError:  # tqdm is optional (extra "progress"): a plain text bar instead
            from .._progress import TextProgress

            bar = TextProgress(N, desc=f"{problem.name} {scheme}")
            bar.update(N - 1 - start)
        else:
            bar = tqdm(total=N, desc=f"{problem.name} {scheme}", initial=N - 1 - start)
    try:
        for n in range(start, -1, -1):
            t0 = time.perf_counter()
            step_seed = int(np.random.SeedSequence([int(seeds[2]), n]).generate_state(1, dtype=np.uint64)[0])
            model, shift, diag = _backward_step(problem, scheme, n, dt, train, valid, solution, bases, settings,
                                                step_seed, divergence_threshold)
            diag.time = time.perf_counter() - t0
            models[n], shifts[n], diags[n] = model, shift, diag
            if checkpoint is not None:
                _save_step(checkpoint, n, model, shift, diag)
            if bar is not None:
                bar.update(1)
            elif callable(progress):
                progress(n, diag)
    finally:
        if bar is not None:
            bar.close()
    return solution


def _diverged(msg: str, solution: Solution, n: int):
    partial = Solution(solution.problem, solution.n_steps, solution.models, solution.shifts,
                       solution.diagnostics, solution.settings)
    return SolverDivergedError(f"regression diverged at time step {n}: {msg}; steps {n + 1}..{solution.n_steps - 1} "
                               f"are kept in the exception's .solution", partial)


def _backward_step(problem, scheme, n, dt, train, valid, solution, bases, settings, step_seed, threshold):
    """Fit V_n from V_{n+1}; returns (model, shift, diagnostics)."""
    N = solution.n_steps
    models, shifts = solution.models, solution.shifts
    t_n, t_next = n * dt, (n + 1) * dt
    sets = [train] + ([valid] if valid is not None else [])

    # V_{n+1} and Z_{n+1} at X_{n+1} on both path sets (the data of all schemes).
    w_explicit, w_implicit = (w * dt for w in _SCHEME_WEIGHTS[scheme])
    t_explicit = t_n if scheme == "explicit" else t_next  # the paper's explicit scheme uses t_n

    def next_target(Xn1, gn1, ggn1):
        """V_{n+1} at X_{n+1}, plus the explicit part w h(t, X_{n+1}, V_{n+1}, Z_{n+1})."""
        Y1 = _value(problem, models, shifts, n + 1, Xn1, gn1)
        if w_explicit:
            Z1 = _z(problem, t_next, Xn1, _gradient(problem, models, n + 1, Xn1, gn1, ggn1), n + 1)
            return Y1 + w_explicit * _h(problem, t_explicit, Xn1, Y1, Z1, n), Y1
        return Y1, Y1

    M, Mg = settings["inner_samples"], settings["inner_samples_g"]
    data = []
    scale = 1.0
    for which, paths in enumerate(sets):
        Xn1, Xn, gX = paths.X(n + 1), paths.X(n), paths.g  # X_n, X_{n+1}, xi_n: one segment
        ggn1 = _grad_g_values(problem, Xn1, n + 1) if w_explicit else None
        base, Y1 = next_target(Xn1, gX[n + 1], ggn1)
        scale = max(scale, float(np.max(np.abs(Y1))))
        if M > 0:
            seq = np.random.SeedSequence([step_seed, which])
            base = _conditional_mean(problem, n, t_n, dt, Xn, Xn1, base, Y1, gX[n + 1], M, Mg, scheme,
                                     solution, next_target, seq)
            dW = None  # the antithetic pairs cancel the martingale term exactly
        else:
            dW = paths.xi(n) * math.sqrt(dt)
        data.append((Xn, dW, gX[n], _grad_g_values(problem, Xn, n), base))

    init = models[n + 1] if n + 1 < N else None
    fit_kwargs = dict(method=settings["method"], max_rank=settings["max_rank"], reg=settings["reg"],
                      max_sweeps=settings["max_sweeps"], tol=settings["tol"], seed=step_seed)
    first_ranks = settings["max_rank"] if settings["method"] == "als" else None

    Xn, dW, gXn, ggXn, base = data[0]
    deterministic_start = n == 0 and np.all(Xn == Xn[0])
    if deterministic_start:
        return _first_step(problem, scheme, dt, data, solution, settings)


    def do_fit(y, yv, init_model):
        big = float(np.max(np.abs(y)))
        if not big <= threshold * scale:
            raise _diverged(f"regression target of size {big:.3g} (previous values of size {scale:.3g})", solution, n)
        val = (data[1][0], yv) if valid is not None else None
        extra = None
        if settings["extra_term"]:
            extra = (gXn, data[1][2]) if valid is not None else (gXn,)
        ranks = first_ranks if init_model is None else None
        model, rep = fit(Xn, y, bases, validation=val, extra=extra, init=init_model, ranks=ranks,
                         extra_powers=settings["additive_powers"] if extra is not None else 1, **fit_kwargs)
        res = rep.residuals[rep.best_sweep - 1] if rep.residuals else math.inf
        vres = rep.validation[rep.best_sweep - 1] if rep.validation else math.nan
        ok = np.all(np.isfinite(model.extra_coef)) and all(np.all(np.isfinite(c)) for c in model.tt.cores)
        if not ok or not res <= threshold:
            raise _diverged(f"fit residual {res}", solution, n)
        return model, rep, res, vres

    if scheme == "explicit":
        model, rep, res, vres = do_fit(base, data[1][4] if valid is not None else None, init)
        diag = StepDiagnostics(n, 1, tuple(model.ranks), res, vres, 0.0, 0.0, rep.stop_reason)
        return model, 0.0, diag

    # implicit: fixed point on V^k, started from V^0 = V_{n+1} (or g at the last step).
    def target(model, Xs, dWs, gs, ggs, base_s, Y=None):
        if Y is None:
            Y = model(Xs, g=gs) if model is not None else gs
        G = model.grad(Xs, grad_g=ggs, g=gs) if model is not None else ggs
        Z = _z(problem, t_n, Xs, G, n)
        out = base_s + w_implicit * _h(problem, t_n, Xs, Y, Z, n)
        return (out if dWs is None else out - np.sum(Z * dWs, axis=1)), Y

    Ynew = None  # V^k on the training points, reused from the previous iteration's change test

    def iterate(k, current):
        nonlocal Ynew
        y, Yk = target(current, Xn, dW, gXn, ggXn, base, Ynew)
        yv = target(current, *data[1][:5])[0] if valid is not None else None
        model, rep, res, vres = do_fit(y, yv, current)
        Ynew = model(Xn, g=gXn)
        return model, _relative(Ynew, Yk), (res, vres)

    current, info, change, k, stop = fixed_point(iterate, init, settings["max_fixed_point"],
                                                 settings["fixed_point_tol"], lambda msg: _diverged(msg, solution, n),
                                                 kept_change_limit(N))
    res, vres = info if info is not None else (math.nan, math.nan)
    diag = StepDiagnostics(n, k, tuple(current.ranks), res, vres, change, 0.0, stop)
    return current, 0.0, diag


def _conditional_mean(problem, n, t_n, dt, Xn, Xn1, own, own_value, g_own, M, Mg, scheme, solution, next_target,
                      seq, inner=None):
    """E[F(X_{n+1}) | X_n] for the target F(X_{n+1}) whose value on the paths is ``own``.

    F = V_{n+1} (+ w h(t_{n+1}, ., V_{n+1}, Z_{n+1}) in the explicit and trapezoidal schemes) with
    V_{n+1} = TT_{n+1} + c g: each part has its own antithetic pairs, M for the TT part and for h,
    Mg for c g (g is cheap to evaluate and is usually the most curved part, hence the noisiest).
    ``own_value`` is V_{n+1}(X_{n+1}) on the paths. ``inner`` replaces (antithetic_mean,
    antithetic_mean_terminal), e.g. by their versions for a shard of the paths (ttsolve.distributed.pde).
    """
    mean, mean_terminal = (antithetic_mean, antithetic_mean_terminal) if inner is None else inner
    drift = _checked_array(problem.drift(t_n, Xn), Xn.shape, "drift", n)
    centre = Xn + drift * dt
    N = solution.n_steps
    tt_seq, g_seq, h_seq = seq.spawn(3)
    total = 0.0
    if _SCHEME_WEIGHTS[scheme][0]:
        def explicit_part(X):
            full, value = next_target(X, _g_values(problem, X, n + 1), _grad_g_values(problem, X, n + 1))
            return full - value

        total = mean(problem, t_n, dt, Xn, Xn1, centre, own - own_value, M, explicit_part, h_seq)
    model = solution.models[n + 1] if n + 1 < N else None
    additive = model.additive if model is not None else (lambda g: g)  # V_N = g
    additive_own = additive(g_own)
    if model is None or np.any(model.extra_coef):
        def additive_part(X):
            return additive(_g_values(problem, X, n + 1))

        coefs = np.ones(1) if model is None else np.atleast_1d(np.asarray(model.extra_coef, dtype=float))
        total = total + mean_terminal(problem, t_n, dt, Xn, Xn1, centre, additive_own, Mg, coefs,
                                      additive_part, g_seq)
    if model is None:  # V_N = g has no TT part
        return total

    def tt_part(X):
        return model(X, g=np.zeros(X.shape[0])) + solution.shifts[n + 1]

    if all(p == 1 for p in model.tt.dims):  # degree 0: the TT part is a constant, its mean is itself
        return total + tt_part(Xn[:1])[0]
    return total + mean(problem, t_n, dt, Xn, Xn1, centre, own_value - additive_own, M, tt_part, tt_seq)


def _first_step(problem, scheme, dt, data, solution, settings):
    """n = 0 with all paths at x0: only the value V_0(x0) is learnable; V_0 is V_1 shifted by a
    constant (so its gradient is V_1's), with the constant from the mean of the target."""
    N = solution.n_steps
    models, shifts = solution.models, solution.shifts
    Xn, dW, gXn, ggXn, base = data[0]
    if N == 1:
        # V_1 = g has no TT part: use a zero TT with c = 1 as the shape of V_0.
        d = problem.dim
        p = default_basis(problem, settings["degree"])[0].size
        zero = TensorTrain([np.zeros((1, p, 1)) for _ in range(d)])
        shape_model = FunctionalTT(zero, default_basis(problem, settings["degree"]), 1.0)
        base_shift = 0.0
    else:
        shape_model, base_shift = models[1], shifts[1]
    x = Xn[:1]
    V1x = float(shape_model(x, g=gXn[:1])[0]) + base_shift
    G = shape_model.grad(x, grad_g=ggXn[:1], g=gXn[:1])
    Z = _z(problem, 0.0, Xn, np.repeat(G, Xn.shape[0], axis=0), 0)
    y0 = float(np.mean(base))
    its, change = 1, 0.0
    w_implicit = _SCHEME_WEIGHTS[scheme][1] * dt
    if w_implicit:
        for its in range(1, settings["max_fixed_point"] + 1):
            Y = np.full(Xn.shape[0], y0)
            martingale = 0.0 if dW is None else np.sum(Z * dW, axis=1)
            new = float(np.mean(base + w_implicit * _h(problem, 0.0, Xn, Y, Z, 0) - martingale))
            change = abs(new - y0) / max(abs(y0), 1e-300)
            y0 = new
            if change <= settings["fixed_point_tol"]:
                break
    resid = float(np.std(base)) / max(abs(y0), 1e-300)
    diag = StepDiagnostics(0, its, tuple(shape_model.ranks), resid, math.nan, change, 0.0, "first step (mean)")
    return shape_model.copy(), base_shift + (y0 - V1x), diag
