"""Sharded PDE solve: ``ttsolve.pde.solve(..., client=, n_shards=)``.

The K training (and K_v validation) paths are cut into shards of consecutive paths, each kept
by its shard host (a dask Actor on a worker, or an in-process object: distributed/hosts.py). A
shard simulates its rows of the local solve's paths from the counter-based normals, and draws
its inner samples from the streams keyed by (pair, global path index). Backwards in time, per
step (one direct call per shard per round):

1. prepare + first fit: V_{n+1}, Z_{n+1} and the inner-sampled conditional means on the shard's
   paths (the expensive part, fully parallel), kept on the host; for degree-0 bases also the R
   factor of the first fit's scaled design [A_s | y_s] from V^0 = V_{n+1}. Travels: V_{n+1}.
2. per fixed-point iteration: the client solves fit k from the stacked R factors (TSQR, in
   shard order, plus the ridge row) and sends its coefficients; each shard returns fit k's sums
   of squares (residual, validation residual, fixed-point change, from the targets it kept) and
   the R factor of fit k + 1's target, computed from V^{k+1}.
Only models and reduced matrices travel. The result matches the local solve to rounding
(1e-12 relative in V(0, x0) is tested), for any number of shards. A lost worker: its shards'
hosts are rebuilt and the time step redone (STEP_ATTEMPTS). Degree-0 bases (the closed-form
ansatz a + c_1 g + ... + c_m g^m, the built-in defaults of HJB and friends) here; larger bases
(ALS and SALSA sweeps: one round per core update) in pde_fit.py and sweeper.py (design and
cost model: docs/distributed.md).
"""

from __future__ import annotations

import math
import time
from types import SimpleNamespace

import numpy as np

from .._extension import _core
from .._validation import check_int
from ..functional import FunctionalTT
from ..basis import evaluate_stacked
from ..tt import TensorTrain
from ..pde.inner_sampling import antithetic_mean, antithetic_mean_terminal
from ..pde.path_store import STEP_STRIDE
from ..pde.paths import euler_maruyama
from ..pde.solution import (Solution, StepDiagnostics, _g_values, _grad_g_values, _gradient, _resume,
                            _save_step, _value)
from ._dask import check_client, require_distributed
from .errors import LostShardState
from .hosts import Rounds
from .mcmc import shard_bounds

__all__ = ["solve_sharded", "shard_paths", "closed_form_model"]

STEP_ATTEMPTS = 3  # tries of a time step whose shards lost their worker, before the solve stops


# ----------------------------------------------------------------------------- shard side

def shard_paths(problem, n_steps: int, n_samples: int, first: int, stop: int, seed: int):
    """Rows [first, stop) of the paths of a local solve (pde/path_store.py: the normals of path k
    at step n are the Philox stream (seed, n 2^40 + k)), bitwise, drawing only this shard's rows."""
    d = problem.dim
    dt = float(problem.T) / n_steps
    xi = np.empty((n_steps, stop - first, d))
    for n in range(n_steps):
        xi[n] = _core.pde.gaussian_rows(seed, n * STEP_STRIDE + first, stop - first, d)
    X = np.empty((n_steps + 1, stop - first, d))
    X[0] = np.asarray(problem.x0, dtype=float)
    for n, _, _, X_next in euler_maruyama(problem, X[0], 0.0, dt, n_steps, lambda n: xi[n]):
        X[n + 1] = X_next
    return X, xi


class _PathShard:
    """One shard's training and validation paths: per set (X, xi, gX, first, K_total)."""

    def __init__(self, problem, N, sets):
        self.sets = []
        for K_total, first, stop, seed in sets:
            if stop <= first:
                self.sets.append(None)
                continue
            X, xi = shard_paths(problem, N, K_total, first, stop, seed)
            for n in range(N + 1):
                if not np.all(np.isfinite(X[n])):
                    raise ValueError(f"drift/sigma produced NaN or inf paths (time step {n})")
            gX = np.stack([_g_values(problem, X[n], n) for n in range(N + 1)])
            self.sets.append((X, xi, gX, first, K_total))


def _make_shard(sets, problem, N):
    return _PathShard(problem, N, sets)


def _g_range(shard, column, powers):
    """The range of g on the training paths, and per time step the column sums of squares of
    the closed-form design, with and without the powers of g (which one is used depends on the
    range of g over all shards)."""
    X, xi, gX, _, _ = shard.sets[0]
    sums = [[np.sum(D * D, axis=0) for D in (_design(g, g.size, column, powers), _design(None, g.size, column, powers))]
            for g in gX]
    return float(gX.min()), float(gX.max()), float(np.max(np.abs(gX))), sums


def _shard_inner(first: int, K_total: int):
    """antithetic_mean / antithetic_mean_terminal (pde/inner_sampling.py) on paths
    [first, first + K) of K_total: the same per-(pair, path) streams and batching as the whole set's."""

    def mean(*args, **kwargs):
        return antithetic_mean(*args, **kwargs, first_path=first, n_paths_total=K_total)

    def mean_terminal(*args, **kwargs):
        return antithetic_mean_terminal(*args, **kwargs, first_path=first, n_paths_total=K_total)

    return mean, mean_terminal


class _StepData:
    """One shard's data of backward step n: per set (Xn, dW, gXn, ggXn, base), and max |V_{n+1}|."""

    def __init__(self, sets, scale):
        self.sets, self.scale = sets, scale


def _prepare(shard, problem, scheme, n, dt, N, model_next, shift_next, settings, step_seed):
    from ..pde.solver import _SCHEME_WEIGHTS, _conditional_mean, _h, _z

    models, shifts = [None] * N, np.zeros(N)
    if n + 1 < N:
        models[n + 1], shifts[n + 1] = model_next, shift_next
    ctx = SimpleNamespace(n_steps=N, models=models, shifts=shifts)
    t_n, t_next = n * dt, (n + 1) * dt
    w_explicit = _SCHEME_WEIGHTS[scheme][0] * dt
    t_explicit = t_n if scheme == "explicit" else t_next

    def next_target(Xn1, gn1, ggn1):
        Y1 = _value(problem, models, shifts, n + 1, Xn1, gn1)
        if w_explicit:
            Z1 = _z(problem, t_next, Xn1, _gradient(problem, models, n + 1, Xn1, gn1, ggn1), n + 1)
            return Y1 + w_explicit * _h(problem, t_explicit, Xn1, Y1, Z1, n), Y1
        return Y1, Y1

    M, Mg = settings["inner_samples"], settings["inner_samples_g"]
    out, scale = [], 1.0
    for which, path_set in enumerate(shard.sets):
        if path_set is None:
            out.append(None)
            continue
        X, xi, gX, first, K_total = path_set
        ggn1 = _grad_g_values(problem, X[n + 1], n + 1) if w_explicit else None
        base, Y1 = next_target(X[n + 1], gX[n + 1], ggn1)
        scale = max(scale, float(np.max(np.abs(Y1))))
        dW = xi[n] * math.sqrt(dt)
        if M > 0:
            seq = np.random.SeedSequence([step_seed, which])
            base = _conditional_mean(problem, n, t_n, dt, X[n], X[n + 1], base, Y1, gX[n + 1], M, Mg, scheme, ctx,
                                     next_target, seq, inner=_shard_inner(first, K_total))
            dW = np.zeros_like(dW)
        # a degree-0 TT part's conditional mean is one number: per path, so that shard sums count it K times
        base = np.broadcast_to(np.asarray(base, dtype=float), X[n].shape[:1]).copy()
        out.append((X[n], dW, gX[n], _grad_g_values(problem, X[n], n), base))
    return _StepData(out, scale)


def _prepare_round(shard, problem, scheme, n, dt, N, model_next, shift_next, settings, step_seed, fit):
    """_prepare (kept on the host) and max |V_{n+1}|; with ``fit`` = (column, powers, extra,
    colscale) also the first fixed-point fit's part, from V^0 = V_{n+1} (g at the last step)."""
    step = _prepare(shard, problem, scheme, n, dt, N, model_next, shift_next, settings, step_seed)
    first = None
    if fit is not None:
        first = _next_fit(step, problem, scheme, n, dt, model_next if n + 1 < N else None, None, *fit)
    return step, (step.scale, first)


def _target(problem, scheme, n, dt, model, data, Y=None):
    """Implicit/trapezoidal target from V^k = model (None: g) on one set, as in solver._backward_step;
    ``Y``: V^k on the set's points if known."""
    from ..pde.solver import _SCHEME_WEIGHTS, _h, _z

    Xs, dWs, gs, ggs, base_s = data
    w_implicit = _SCHEME_WEIGHTS[scheme][1] * dt
    if Y is None:
        Y = model(Xs, g=gs) if model is not None else gs
    G = model.grad(Xs, grad_g=ggs, g=gs) if model is not None else ggs
    Z = _z(problem, n * dt, Xs, G, n)
    return base_s + w_implicit * _h(problem, n * dt, Xs, Y, Z, n) - np.sum(Z * dWs, axis=1), Y


def _design(g, n_rows, column, powers):
    cols = [np.full(n_rows, column)]
    if g is not None:
        cols += [g**j for j in range(1, powers + 1)]
    return np.column_stack(cols)


def _targets(problem, scheme, n, dt, current, step, Y=None):
    """(y, yv, Y): the fit's targets on the training and validation paths of this shard, and
    V^k = current on the training paths (None for the explicit scheme, whose target is fixed)."""
    if scheme == "explicit":
        return [None if data is None else data[4] for data in step.sets] + [None]
    y, Y = _target(problem, scheme, n, dt, current, step.sets[0], Y)
    yv = None if step.sets[1] is None else _target(problem, scheme, n, dt, current, step.sets[1])[0]
    return y, yv, Y


def _next_fit(step, problem, scheme, n, dt, model, Y, column, powers, extra, colscale):
    """This shard's part of the closed-form fit of the target of V^k = model: max |y| and the R
    factor of [D / colscale | y]. Keeps (y, yv, V^k on the training paths) for the fit's statistics."""
    step.fit = y, yv, Y = _targets(problem, scheme, n, dt, model, step, Y)
    Xn, dW, g, gg, base = step.sets[0]
    D = _design(g if extra else None, Xn.shape[0], column, powers)
    R = np.linalg.qr(np.column_stack([D / colscale, y]), mode="r")
    return float(np.max(np.abs(y))) if y.size else 0.0, R


def _fit_round(step, problem, bases, scheme, n, dt, coef, column, powers, extra, colscale, want_next):
    """One round of the fixed-point loop on this shard, from the coefficients of the fit of V^k's
    target: that fit's sums of squares (residual, validation residual, fixed-point change
    ||V^{k+1} - V^k|| / ||V^k||) and, if ``want_next``, the part of the next fit (from V^{k+1})."""
    model = closed_form_model(coef, bases, extra)
    y, yv, Yk = step.fit
    Xn, dW, g, gg, base = step.sets[0]
    pred = _design(g if extra else None, Xn.shape[0], column, powers) @ coef
    out = [np.sum((pred - y) ** 2), np.sum(y**2)]
    if step.sets[1] is not None:
        Xv, _, gv, _, _ = step.sets[1]
        pv = _design(gv if extra else None, Xv.shape[0], column, powers) @ coef
        out += [np.sum((pv - yv) ** 2), np.sum(yv**2)]
    else:
        out += [0.0, 0.0]
    Ynew = None
    if Yk is not None:
        Ynew = model(Xn, g=g)
        out += [np.sum((Ynew - Yk) ** 2), np.sum(Yk**2)]
    else:
        out += [0.0, 0.0]
    nxt = _next_fit(step, problem, scheme, n, dt, model, Ynew, column, powers, extra, colscale) if want_next else None
    return np.array(out, dtype=float), nxt


def closed_form_model(coef, bases, extra):
    """The degree-0 FunctionalTT a + c_1 g + ... of the closed-form fit's coefficients (built the
    same way on the client and on the shards)."""
    cores = [np.full((1, 1, 1), float(coef[0]))] + [np.ones((1, 1, 1)) for _ in range(len(bases) - 1)]
    return FunctionalTT(TensorTrain(cores), bases, coef[1:] if extra else 0.0)


def _first_sums(step, problem, scheme, dt, shape_model, y0, mean):
    """n = 0 (all paths at x0): sums of base, of (base - mean)^2 and of the fixed-point term at y0."""
    from ..pde.solver import _SCHEME_WEIGHTS, _h, _z

    Xn, dW, gXn, ggXn, base = step.sets[0]
    out = [float(np.sum(base)), 0.0, 0.0]
    if mean is not None:
        out[1] = float(np.sum((base - mean) ** 2))
    if y0 is not None:
        x = Xn[:1]
        G = shape_model.grad(x, grad_g=ggXn[:1], g=gXn[:1])
        Z = _z(problem, 0.0, Xn, np.repeat(G, Xn.shape[0], axis=0), 0)
        w_implicit = _SCHEME_WEIGHTS[scheme][1] * dt
        Y = np.full(Xn.shape[0], y0)
        out[2] = float(np.sum(base + w_implicit * _h(problem, 0.0, Xn, Y, Z, 0) - np.sum(Z * dW, axis=1)))
    return np.array(out)


# ----------------------------------------------------------------------------- client side

def _sum_in_order(parts):
    total = np.zeros_like(np.asarray(parts[0], dtype=float))
    for p in parts:  # fixed order: shard 0, 1, ... (independent of completion order)
        total = total + p
    return total


def solve_sharded(client, n_shards, problem, settings, bases, seed, checkpoint, progress, threshold):
    """The solve of :func:`ttsolve.pde.solve` with validated ``settings`` on shards of the paths."""
    if client is not None:
        check_client(client)
        require_distributed()
    if n_shards is None:
        n_shards = sum(client.nthreads().values()) if client is not None else 1
    n_shards = check_int(n_shards, "n_shards", 1)
    N, K, Kv = settings["n_steps"], settings["n_samples"], settings["n_validation"]
    scheme, powers = settings["scheme"], settings["additive_powers"]
    dt = float(problem.T) / N
    seeds = np.random.SeedSequence(seed).generate_state(3, dtype=np.uint64)
    bt = shard_bounds(K, min(n_shards, K))
    S = len(bt) - 1
    bv = [Kv * i // S for i in range(S + 1)] if Kv > 0 else [0] * (S + 1)
    specs = [[(K, bt[i], bt[i + 1], int(seeds[0])), (Kv, bv[i], bv[i + 1], int(seeds[1]))] for i in range(S)]
    t_start = time.perf_counter()
    rounds = Rounds(client, S)
    problem_at = rounds.problem_at = _retry(rounds, lambda: rounds.put(problem), "setup")  # sent once

    def setup():
        paths = rounds.map(_make_shard, specs, problem_at, N, store="paths", persistent=True)
        return paths, rounds.gather(_g_range, paths, column, powers)

    column = float(np.prod(evaluate_stacked(bases, np.asarray(problem.x0, dtype=float)[None], 0)[0, :, 0]))
    shards, ranges = _retry(rounds, setup, "setup (the shards' paths)")
    gmin, gmax, gabs = min(r[0] for r in ranges), max(r[1] for r in ranges), max(r[2] for r in ranges)
    settings = dict(settings, extra_term=bool(gmax - gmin > 1e-12 * max(1.0, gabs)))
    extra = settings["extra_term"]
    colsums = [_sum_in_order([r[3][n][0 if extra else 1] for r in ranges]) for n in range(N + 1)]
    solution = Solution(problem, N, [None] * N, np.zeros(N), [None] * N, settings)
    models, shifts, diags = solution.models, solution.shifts, solution.diagnostics
    start = _resume(checkpoint, settings, solution) if checkpoint is not None else N - 1
    bar = _bar(progress, problem, scheme, N, start)
    info = {"n_shards": S, "shard_bounds": bt}
    bases_at = _retry(rounds, lambda: rounds.put(bases), "setup") if bases[0].size == 1 else None

    def step(n, step_seed):
        nxt = n + 1 < N
        colscale = np.maximum(np.sqrt(colsums[n] / K), 1e-300)
        fit = (column, powers, extra, colscale) if n > 0 and bases[0].size == 1 else None
        steps, first = rounds.map(_prepare_round, shards, problem_at, scheme, n, dt, N,
                                  models[n + 1] if nxt else None, shifts[n + 1] if nxt else 0.0, settings,
                                  step_seed, fit, store="step", split=True)
        scale = max([1.0] + [p[0] for p in first])
        if n == 0:
            return _first_step_sharded(rounds, steps, problem, scheme, dt, solution, settings, K)
        if bases[0].size == 1:
            return _fit_step(rounds, steps, problem, scheme, n, dt, solution, settings, K, Kv, column, powers, extra,
                             scale, threshold, bases, bases_at, colscale, [p[1] for p in first])
        from .pde_fit import fit_step_sweeps

        return fit_step_sweeps(rounds, steps, problem, scheme, n, dt, solution, settings, scale, threshold, bases,
                               step_seed)

    try:
        for n in range(start, -1, -1):
            t0 = time.perf_counter()
            step_seed = int(np.random.SeedSequence([int(seeds[2]), n]).generate_state(1, dtype=np.uint64)[0])
            model, shift, diag = _retry(rounds, lambda: step(n, step_seed), f"time step {n}",
                                        f"; the steps {n + 1}..{N - 1} are finished (kept with checkpoint=)")
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
    solution.distributed_info = {**info, "rounds": rounds.count, "bytes_to_workers": rounds.bytes_out,
                                 "bytes_from_workers": rounds.bytes_in, "recoveries": rounds.recoveries,
                                 "seconds": time.perf_counter() - t_start, "host_seconds": rounds.host_seconds()}
    return solution


def _retry(rounds, work, where, finished=""):
    """work(), redone after rebuilding the hosts of shards whose worker was lost (LostShardState),
    at most STEP_ATTEMPTS times; then LostShardState naming ``where`` (and what is finished)."""
    for attempt in range(STEP_ATTEMPTS):
        try:
            if attempt:
                rounds.recover()
            return work()
        except LostShardState as e:
            if attempt + 1 == STEP_ATTEMPTS:
                raise LostShardState(f"{where}: {e} ({STEP_ATTEMPTS} attempts){finished}") from None


def _bar(progress, problem, scheme, N, start):
    if progress is not True:
        return None
    from .._progress import TextProgress

    bar = TextProgress(N, desc=f"{problem.name} {scheme}")
    bar.update(N - 1 - start)
    return bar


def _closed_form(Rs, colscale, reg, K, m1):
    """coef of min ||A c - y||^2 + reg K c_0^2 from the stacked shard R factors of [A | y]."""
    rows = [R for R in Rs if R.shape[0]]
    if reg > 0:
        ridge = np.zeros((1, m1 + 1))
        ridge[0, 0] = math.sqrt(reg * K) / colscale[0]
        rows.append(ridge)
    R = np.linalg.qr(np.vstack(rows), mode="r")
    A, b = R[:m1, :m1], R[:m1, m1]
    coef = np.linalg.lstsq(A, b, rcond=None)[0]
    return coef / colscale


def _fit_step(rounds, steps, problem, scheme, n, dt, solution, settings, K, Kv, column, powers, extra, scale,
              threshold, bases, bases_at, colscale, first):
    """solver._backward_step's fixed-point loop for degree-0 bases; ``first``: the shards' parts of
    the first fit (returned with the step's prepare round). One round per further iteration: the
    statistics of fit k and the parts of fit k + 1 (from V^{k+1}) together."""
    from ..pde.solver import _diverged
    from .pde_fit import run_fixed_point

    init = solution.models[n + 1] if n + 1 < solution.n_steps else None
    m1 = colscale.size

    def round_trip(coef, want_next):
        parts = rounds.gather(_fit_round, steps, rounds.problem_at, bases_at, scheme, n, dt, coef, column, powers,
                              extra, colscale, want_next)
        return _sum_in_order([p[0] for p in parts]), [p[1] for p in parts] if want_next else None

    def solve_fit(parts):
        big = max(p[0] for p in parts)
        if not big <= threshold * scale:
            raise _diverged(f"regression target of size {big:.3g} (previous values of size {scale:.3g})", solution, n)
        coef = _closed_form([p[1] for p in parts], colscale, settings["reg"], K, m1)
        return closed_form_model(coef, bases, extra), coef

    def statistics(model, sums):
        res = _ratio(sums[0], sums[1])
        vres = _ratio(sums[2], sums[3]) if Kv > 0 else math.nan
        ok = np.all(np.isfinite(model.extra_coef)) and all(np.all(np.isfinite(c)) for c in model.tt.cores)
        if not ok or not res <= threshold:
            raise _diverged(f"fit residual {res}", solution, n)
        return res, vres, _ratio(sums[4], sums[5])

    model, coef = solve_fit(first)
    if scheme == "explicit":
        res, vres, _ = statistics(model, round_trip(coef, False)[0])
        return model, 0.0, StepDiagnostics(n, 1, tuple(model.ranks), res, vres, 0.0, 0.0, "closed form")
    pending = {"model": model, "coef": coef}

    def iterate(k, _current):
        # V^k from the parts of the previous round; this round gives its statistics and,
        # speculatively, the parts of fit k + 1 (from V^{k+1} = V^k's targets)
        if k > 1:
            pending["model"], pending["coef"] = solve_fit(pending["parts"])
        sums, pending["parts"] = round_trip(pending["coef"], k < settings["max_fixed_point"])
        res_k, vres_k, change_k = statistics(pending["model"], sums)
        return pending["model"], change_k, (res_k, vres_k)

    return run_fixed_point(iterate, init, settings, solution, n)


def _ratio(num, den):
    return float(math.sqrt(num / den)) if den > 0 else float(math.sqrt(num))


def _default_bases(problem, settings):
    from ..pde.solver import default_basis

    return default_basis(problem, settings["degree"])


def _first_step_sharded(rounds, steps, problem, scheme, dt, solution, settings, K):
    """solver._first_step with the means over all paths reduced over the shards."""
    from ..pde.solver import _SCHEME_WEIGHTS

    N, problem_at = solution.n_steps, rounds.problem_at
    if N == 1:
        d = problem.dim
        basis = _default_bases(problem, settings)
        zero = TensorTrain([np.zeros((1, basis[0].size, 1)) for _ in range(d)])
        shape_model, base_shift = FunctionalTT(zero, basis, 1.0), 0.0
    else:
        shape_model, base_shift = solution.models[1], solution.shifts[1]
    x = np.asarray(problem.x0, dtype=float)[None]
    g0 = _g_values(problem, x, 0)
    V1x = float(shape_model(x, g=g0)[0]) + base_shift
    y0 = float(_sum_in_order(rounds.gather(_first_sums, steps, problem_at, scheme, dt, shape_model, None, None))[0]) / K
    mean = y0
    its, change = 1, 0.0
    if _SCHEME_WEIGHTS[scheme][1] * dt:
        for its in range(1, settings["max_fixed_point"] + 1):
            new = float(_sum_in_order(rounds.gather(_first_sums, steps, problem_at, scheme, dt, shape_model, y0,
                                                    None))[2]) / K
            change = abs(new - y0) / max(abs(y0), 1e-300)
            y0 = new
            if change <= settings["fixed_point_tol"]:
                break
    var = float(_sum_in_order(rounds.gather(_first_sums, steps, problem_at, scheme, dt, shape_model, None, mean))[1]) / K
    resid = math.sqrt(var) / max(abs(y0), 1e-300)
    diag = StepDiagnostics(0, its, tuple(shape_model.ranks), resid, math.nan, change, 0.0, "first step (mean)")
    return shape_model.copy(), base_shift + (y0 - V1x), diag
