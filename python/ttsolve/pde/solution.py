"""The solution of a backward solve: the value function per time step, its per-step diagnostics,
evaluation, accuracy checks against references and the checkpoint I/O (one .npz + .json per step)."""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass
from typing import Any, Optional, Union

import numpy as np

from .. import io as _io
from .._repr import summary_html
from .._validation import as_points, check_int
from ..functional import FunctionalTT
from .memory import format_memory
from .paths import simulate_paths
from .problem import Problem
from .error_estimate import ErrorEstimate, estimate_error
from .residual import pde_residual

__all__ = ["Solution", "StepDiagnostics", "SolverDivergedError"]


class SolverDivergedError(RuntimeError):
    """A regression diverged; ``solution`` holds the last good steps (a partial :class:`Solution`)."""

    def __init__(self, message: str, solution: "Solution"):
        super().__init__(message)
        self.solution = solution


@dataclass
class StepDiagnostics:
    """What happened at one backward step."""

    step: int
    iterations: int
    ranks: tuple
    residual: float  # relative training residual of the last fit
    validation: float  # relative validation residual of the last fit (nan without validation)
    change: float  # relative change of the last fixed-point iteration (0 for explicit)
    time: float
    stop_reason: str


def _checked_array(value: Any, shape: tuple, name: str, step: int) -> np.ndarray:
    """A callable's output as float array of ``shape``, with an error naming it and the step."""
    arr = np.asarray(value, dtype=float)
    if arr.shape != shape:
        if arr.size == int(np.prod(shape)) and arr.ndim <= 2 and len(shape) == 1:
            arr = arr.reshape(shape)
        else:
            raise ValueError(f"{name} returned shape {arr.shape}, expected {shape} (time step {step})")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} returned NaN or inf (time step {step})")
    return arr



# ----------------------------------------------------------------------------- the solution

class Solution:
    """The solved value function on the time grid t_n = n T / N.

    ``models[n]`` is V_n = TT_n + c_n g (+ c_{n,2} g^2 + ... with ``additive_powers``; a FunctionalTT; ``None`` for steps not solved), ``shifts[n]`` a
    constant added to it (used at n = 0 when all paths start at x0, where only the value is learnable),
    ``diagnostics[n]`` a :class:`StepDiagnostics`.  V_N = g exactly.
    """

    def __init__(self, problem: Problem, n_steps: int, models, shifts, diagnostics, settings: dict):
        self.problem = problem
        self.n_steps = n_steps
        self.dt = float(problem.T) / n_steps
        self.models: list[Optional[FunctionalTT]] = list(models)
        self.shifts = np.asarray(shifts, dtype=float)
        self.diagnostics: list[Optional[StepDiagnostics]] = list(diagnostics)
        self.settings = dict(settings)
        self.last_error_estimate: Optional[ErrorEstimate] = None  # set by error_estimate(), shown by report()
        # set by solve(): its up-front memory estimate (ttsolve.pde.memory.solve_memory)
        self.memory: Optional[dict] = None

    # ---- evaluation ----------------------------------------------------------------
    @property
    def first_solved_step(self) -> int:
        """The smallest n with V_n available (N when nothing was solved)."""
        for n in range(self.n_steps):
            if self.models[n] is not None:
                return n
        return self.n_steps

    def _step(self, t: float) -> int:
        t = float(t)
        if not (math.isfinite(t) and -1e-12 <= t <= self.problem.T * (1 + 1e-12)):
            raise ValueError(f"t must lie in [0, T={self.problem.T}], got {t}")
        n = int(round(t / self.dt))
        if n < self.n_steps and self.models[n] is None:
            raise ValueError(f"V at t={t} (step {n}) was not solved (solved steps start at {self.first_solved_step})")
        return n

    def _points(self, X) -> np.ndarray:
        # documented exception to the batch rule: value/gradient take one (d,) point as a row
        return as_points(X, self.problem.dim, "X", one_d="row")

    def value(self, t: float, X) -> np.ndarray:
        """V(t_n, X) at the grid time t_n nearest to ``t``, shape (K,); X is (K, d) or one (d,) point."""
        X = self._points(X)
        n = self._step(t)
        return _value(self.problem, self.models, self.shifts, n, X, _g_values(self.problem, X, n))

    def gradient(self, t: float, X) -> np.ndarray:
        """grad_x V(t_n, X), shape (K, d)."""
        X = self._points(X)
        n = self._step(t)
        return _gradient(self.problem, self.models, n, X, _g_values(self.problem, X, n),
                         _grad_g_values(self.problem, X, n))

    @property
    def v0(self) -> float:
        """V(0, x0)."""
        return float(self.value(0.0, np.asarray(self.problem.x0, dtype=float)[None, :])[0])

    # ---- accuracy ------------------------------------------------------------------
    def relative_error(self, n_paths: int = 1000, seed: int = 2024) -> dict:
        """Relative errors against the problem's reference.

        Returns a dict with ``v0`` (``|V(0,x0) - ref| / |ref|``, when a reference value exists) and,
        when ``problem.exact`` exists, ``path_mean`` / ``path_max``: the mean/max over time steps
        and independent test paths of ``|V - V_exact| / |V_exact|``, and ``path_l2``:
        ``||V - V_exact|| / ||V_exact||`` over the same points (meaningful also where V changes sign).
        """
        p = self.problem
        out: dict = {}
        if p.reference_value is not None:
            out["v0"] = abs(self.v0 - p.reference_value) / abs(p.reference_value)
            if p.reference_stderr:
                out["v0_reference_stderr"] = p.reference_stderr / abs(p.reference_value)
        if p.exact is not None:
            X, _ = simulate_paths(p, self.n_steps, check_int(n_paths, "n_paths", 1), seed=seed)
            errs, diff, refs = [], [], []
            for n in range(self.first_solved_step, self.n_steps + 1):
                t = n * self.dt
                ref = _checked_array(p.exact(t, X[n]), (X.shape[1],), "exact", n)
                err = np.abs(self.value(t, X[n]) - ref)
                errs.append(err / np.maximum(np.abs(ref), 1e-300))
                diff.append(err)
                refs.append(ref)
            errs = np.concatenate(errs)
            out["path_mean"] = float(errs.mean())
            out["path_max"] = float(errs.max())
            # pointwise relative errors explode where V crosses zero; the L2 ratio does not
            out["path_l2"] = float(np.linalg.norm(np.concatenate(diff)) / np.linalg.norm(np.concatenate(refs)))
        return out

    def pde_residual(self, n_paths: int = 100, n_times: int = 10, seed: int = 2025, eps: float = 1e-4) -> dict:
        """PDE residual along independent test paths at ``n_times`` grid times.

        dV/dt by the difference of neighbouring steps, the Hessian by central differences of the
        gradient.  Returns ``mean_abs`` and ``rms`` of the residual and the per-time means.
        """
        p = self.problem
        X, _ = simulate_paths(p, self.n_steps, check_int(n_paths, "n_paths", 1), seed=seed)
        first = max(self.first_solved_step, 1)
        steps = np.unique(np.linspace(first, self.n_steps - 1, max(1, int(n_times))).round().astype(int))
        per_time = []
        for n in steps:
            t, Xn = n * self.dt, X[n]
            V = self.value(t, Xn)
            dVdt = (self.value(t + self.dt, Xn) - V) / self.dt
            G = self.gradient(t, Xn)
            H = np.empty((Xn.shape[0], p.dim, p.dim))
            for j in range(p.dim):
                E = np.zeros(p.dim)
                E[j] = eps
                H[:, :, j] = (self.gradient(t, Xn + E) - self.gradient(t, Xn - E)) / (2 * eps)
            if p.sigma_kind != "full":
                H = np.einsum("kii->ki", H)
            per_time.append(np.abs(pde_residual(p, V, dVdt, G, H, t, Xn)))
        allr = np.concatenate(per_time)
        return dict(mean_abs=float(allr.mean()), rms=float(np.sqrt(np.mean(allr**2))),
                    times=[float(n * self.dt) for n in steps], per_time=[float(r.mean()) for r in per_time])

    def error_estimate(self, replicas: int = 2, coarse_factor: Optional[int] = 2, seed=None, level: float = 0.95,
                       order: Optional[int] = None, safety: float = 1.25, retries: int = 2) -> ErrorEstimate:
        """Estimate the error of V(0, x0) without a reference, by extra seeded solves.

        Parameters
        ----------
        replicas : int >= 0
            Independent solves with the same settings (fresh paths and regression seeds) besides
            this one; the seed-to-seed standard deviation is the statistical part. 0: only the
            step-0 sample standard error (free, a lower bound).
        coarse_factor : int >= 2 dividing n_steps, or None
            Each of the replicas + 1 fine solves gets a partner with n_steps / coarse_factor steps;
            the mean fine-coarse difference gives the time-discretisation bias (Richardson) and the
            extrapolated V(0, x0). None skips this part.
        seed : int or numpy Generator, optional
            Seeds every extra solve (default: derived from this solution's seed, so the estimate is
            reproducible and its replicas are independent of this solve).
        level : float in (0, 1)
            Confidence level of ``bound`` (Student t quantile with ``replicas`` degrees of freedom).
        order : int >= 1, optional
            The scheme's order in dt assumed by the extrapolation (default
            :data:`ttsolve.pde.error_estimate.ASSUMED_ORDER`, 1 for every scheme).
        safety : float >= 1
            Factor on the estimated abs(bias) in ``bound`` (1.25 as in Roache's grid convergence
            index for a verified order; the leading-order model misses a few per cent on coarse grids).
        retries : int >= 0
            An extra solve that diverges (SolverDivergedError) is redrawn with a fresh seed, at most
            ``retries`` times in all; the result then lists them in ``failed_solves`` and has
            ``reliable`` False. Beyond that SolverDivergedError is raised (no bound from the survivors).

        Cost: ``replicas`` solves on this grid and ``replicas + 1`` on the coarse one, about
        (replicas + 1)(1 + 1/coarse_factor) - 1 times this solve (3.5 for the defaults); reported
        in the result's ``extra_solves`` and ``cost_seconds``. The result is also kept as
        ``last_error_estimate`` and shown by :meth:`report`.
        """
        from .solver import default_basis, solve  # the solver module imports this one

        est = estimate_error(self, solve, default_basis, replicas=replicas, coarse_factor=coarse_factor, seed=seed,
                             level=level, order=order, safety=safety, retries=retries)
        self.last_error_estimate = est
        return est

    def report(self) -> str:
        """A short text summary: settings, which scheme and why, V(0, x0), the reference and the
        last :meth:`error_estimate` when one was computed."""
        p = self.problem
        s = self.settings
        solved = [d for d in self.diagnostics if d is not None]
        lines = [f"{p.name} d={p.dim} T={p.T}: scheme={s.get('scheme')} N={self.n_steps} K={s.get('n_samples')} "
                 f"degree={s.get('degree')} max_rank={s.get('max_rank')}"]
        if s.get("scheme_reason"):
            lines.append(f"scheme {s.get('scheme')}: {s['scheme_reason']}")
        if self.first_solved_step == 0:
            lines.append(f"V(0, x0) = {self.v0:.10g}")
        if p.reference_value is not None:
            ref = f"reference = {p.reference_value:.10g}"
            if p.reference_stderr:
                ref += f" (MC stderr {p.reference_stderr:.2g})"
            lines.append(ref)
        if solved:
            its = [d.iterations for d in solved]
            lines.append(f"steps solved {len(solved)}, fixed-point iterations mean {np.mean(its):.2f} max {max(its)}, "
                         f"max ranks {max(max(d.ranks) for d in solved)}, time {sum(d.time for d in solved):.2f} s")
        if self.last_error_estimate is not None:
            lines.append("error estimate: " + self.last_error_estimate.summary())
        else:
            lines.append("error estimate: not computed (sol.error_estimate(); costs extra solves)")
        if self.memory is not None:
            lines.append(f"memory (estimated up front) {format_memory(self.memory)}")
        return "\n".join(lines)

    def _summary(self) -> list[tuple[str, str]]:
        p, s = self.problem, self.settings
        solved = [d for d in self.diagnostics if d is not None]
        rows = [("problem", f"{p.name}, d={p.dim}, T={p.T}"),
                ("settings", f"scheme={s.get('scheme')}, N={self.n_steps}, K={s.get('n_samples')}, "
                             f"degree={s.get('degree')}, max_rank={s.get('max_rank')}, method={s.get('method')}")]
        if self.first_solved_step == 0:
            rows.append(("V(0, x0)", f"{self.v0:.10g}"))
        if p.reference_value is not None:
            rel = f", rel. error {abs(self.v0 - p.reference_value) / abs(p.reference_value):.2e}" \
                if self.first_solved_step == 0 else ""
            rows.append(("reference", f"{p.reference_value:.10g}{rel}"))
        if solved:
            rows.append(("steps solved", f"{len(solved)}, max rank {max(max(d.ranks) for d in solved)}, "
                                         f"fixed-point iterations <= {max(d.iterations for d in solved)}, "
                                         f"{sum(d.time for d in solved):.2f} s"))
        if self.last_error_estimate is not None:
            est = self.last_error_estimate
            rows.append(("error estimate", f"+- {est.bound:.3g} (rel. {est.relative_bound:.2e}, level {est.level:g}), "
                                           f"Richardson {est.richardson if est.richardson is None else f'{est.richardson:.10g}'}"))
        return rows

    def __repr__(self) -> str:
        p = self.problem
        v0 = f", v0={self.v0:.6g}" if self.first_solved_step == 0 else ""
        return (f"Solution({p.name!r}, dim={p.dim}, scheme={self.settings.get('scheme')!r}, "
                f"n_steps={self.n_steps}{v0})")

    def _repr_html_(self) -> str:
        return summary_html("ttsolve.pde.Solution", self._summary())

    # ---- save/load -----------------------------------------------------------------
    def save(self, path: Union[str, os.PathLike]) -> None:
        """Save to a directory (one .npz per step plus ``solution.json``). The problem is not saved:
        pass it again to :meth:`load`."""
        os.makedirs(path, exist_ok=True)
        for n, m in enumerate(self.models):
            if m is not None:
                _save_step(path, n, m, self.shifts[n], self.diagnostics[n])
        meta = dict(n_steps=self.n_steps, settings=_jsonable(self.settings), dim=self.problem.dim,
                    T=float(self.problem.T), name=self.problem.name)
        with open(os.path.join(path, "solution.json"), "w") as f:
            json.dump(meta, f)

    @classmethod
    def load(cls, path: Union[str, os.PathLike], problem: Problem) -> "Solution":
        """Load a solution saved by :meth:`save` for ``problem`` (same dim and T)."""
        with open(os.path.join(path, "solution.json")) as f:
            meta = json.load(f)
        if meta["dim"] != problem.dim or meta["T"] != float(problem.T):
            raise ValueError(f"saved solution has dim={meta['dim']}, T={meta['T']}; problem has "
                             f"dim={problem.dim}, T={problem.T}")
        N = int(meta["n_steps"])
        models, shifts, diags = [None] * N, np.zeros(N), [None] * N
        for n in range(N):
            got = _load_step(path, n)
            if got is not None:
                models[n], shifts[n], diags[n] = got
        return cls(problem, N, models, shifts, diags, meta["settings"])


def _jsonable(d: dict) -> dict:
    return {k: (v if isinstance(v, (int, float, str, bool, type(None))) else repr(v)) for k, v in d.items()}


def _step_file(path, n: int) -> str:
    return os.path.join(path, f"step_{n:05d}.npz")


def _save_step(path, n: int, model: FunctionalTT, shift: float, diag: StepDiagnostics) -> None:
    tmp = os.path.join(path, f"step_{n:05d}.tmp.npz")
    _io.save(tmp, model)
    with open(os.path.join(path, f"step_{n:05d}.json"), "w") as f:
        json.dump(dict(shift=float(shift).hex(), diag={**diag.__dict__, "ranks": list(diag.ranks)}), f)
    os.replace(tmp, _step_file(path, n))  # the .npz appears last: its presence marks a finished step


def _load_step(path, n: int):
    if not os.path.exists(_step_file(path, n)):
        return None
    model = _io.load(_step_file(path, n))
    with open(os.path.join(path, f"step_{n:05d}.json")) as f:
        meta = json.load(f)
    d = meta["diag"]
    d["ranks"] = tuple(d["ranks"])
    return model, float.fromhex(meta["shift"]), StepDiagnostics(**d)


# ----------------------------------------------------------------------------- evaluation helpers

def _g_values(problem: Problem, X: np.ndarray, step: int) -> np.ndarray:
    return _checked_array(problem.g(X), (X.shape[0],), "g", step)


def _grad_g_values(problem: Problem, X: np.ndarray, step: int) -> np.ndarray:
    return _checked_array(problem.grad_g(X), X.shape, "grad_g", step)


def _value(problem, models, shifts, n: int, X, gX) -> np.ndarray:
    if n == len(models):
        return gX
    return models[n](X, g=gX) + shifts[n]


def _gradient(problem, models, n: int, X, gX, ggX) -> np.ndarray:
    if n == len(models):
        return ggX
    return models[n].grad(X, grad_g=ggX, g=gX)


def _settings_key(settings: dict) -> str:
    return hashlib.sha256(json.dumps(_jsonable(settings), sort_keys=True).encode()).hexdigest()


def _resume(path, settings: dict, solution: Solution) -> int:
    """Load the finished steps from ``path``; returns the next step to solve."""
    os.makedirs(path, exist_ok=True)
    meta_file = os.path.join(path, "checkpoint.json")
    key = _settings_key(settings)
    if os.path.exists(meta_file):
        with open(meta_file) as f:
            saved = json.load(f)
        if saved.get("key") != key:
            raise ValueError(f"checkpoint directory {os.fspath(path)!r} belongs to a solve with different "
                             f"arguments ({saved.get('settings')}); use another directory")
    else:
        with open(meta_file, "w") as f:
            json.dump(dict(key=key, settings=_jsonable(settings)), f)
    n = solution.n_steps - 1
    while n >= 0:
        got = _load_step(path, n)
        if got is None:
            break
        solution.models[n], solution.shifts[n], solution.diagnostics[n] = got
        n -= 1
    return n
