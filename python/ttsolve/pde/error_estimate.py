"""An error estimate of V(0, x0) without a reference (:meth:`Solution.error_estimate`).

Two parts, each from extra solves whose number is the caller's choice (``replicas``,
``coarse_factor``), all seeded from one ``seed``:

- **statistical**: the seed-to-seed standard deviation of V(0, x0), from R independent replicas
  (the same settings, fresh training/validation paths and regression seeds) besides the solution
  itself. With ``replicas=0`` only the step-0 sample standard error is available (free, from the
  first step's diagnostics); it misses the noise fitted into V_1 .. V_{N-1} and is a lower bound.
- **time discretisation**: each of the R + 1 fine solves gets a partner on the coarser grid
  N / c (c = ``coarse_factor``); with the assumed order p of the scheme (:data:`ASSUMED_ORDER`)
  the bias of the fine value is estimated Richardson style as mean(V_{N/c} - V_N) / (c^p - 1),
  and the Richardson value is mean(V_N) minus that. The coarse solves draw their own paths (an
  independent pair per replica), so the uncertainty of the difference is measured from the pairs.

The bound on abs(V_N(0, x0) - V(0, x0)) is F abs(bias) + t sqrt(sd^2 + se(bias)^2) with the Student t
quantile of ``level`` (R degrees of freedom; the normal quantile with ``replicas=0``) and the
safety factor F = ``safety`` (1.25, the factor of Roache's grid convergence index for an order
that was verified: on coarse grids the leading-order model misses a few per cent of the bias,
e.g. 6% for the implicit bond at N = 20 vs 10, bench/README.md).  Cost:
R fine solves and R + 1 coarse solves, i.e. about (R + 1)(1 + 1/c) - 1 times the first solve.

**Diverged extra solves.** An extra solve that raises :class:`SolverDivergedError` (e.g. a coarse
grid next to the stability limit of the implicit fixed point) is redrawn with the next fresh seed
of the same SeedSequence (seeds 2R + 2, 2R + 3, ... of ``seed``), at most ``retries`` times in
all; each failure is kept in ``failed_solves`` and the estimate is flagged (``reliable`` False,
"UNRELIABLE" in the summary): its spread is that of the solves that did not diverge. When the
retries are used up, SolverDivergedError is raised naming the failed solves and their seeds; no
bound is returned from the survivors.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .._validation import as_seed, check_int, check_real, is_int

__all__ = ["ErrorEstimate", "ASSUMED_ORDER", "estimate_error"]

# Weak order in dt assumed for V(0, x0) per scheme (the forward paths are Euler-Maruyama, weak
# order 1; the trapezoidal backward recursion is second order, so it is order 2 only where Euler
# is exact in law, e.g. HJB with b = 0 and constant sigma).  Measured on the built-ins in
# bench/README.md ("Error estimate").
ASSUMED_ORDER = {"explicit": 1, "implicit": 1, "trapezoidal": 1}


@dataclass(frozen=True, repr=False)
class ErrorEstimate:
    """An estimate of the error of a solution's V(0, x0) (see :meth:`Solution.error_estimate`).

    All errors are absolute (in the units of V); ``bound`` bounds abs(value - V(0, x0)) at ``level``
    and ``interval`` is value +- bound."""

    value: float  # the solution's V(0, x0)
    statistical: float  # standard deviation of one solve's V(0, x0)
    statistical_method: str
    time_discretisation: float  # safety * |bias|: the time part of the bound (nan without a coarse solve)
    bias: float  # signed estimate of E[V_N(0, x0)] - V(0, x0) (nan without a coarse solve)
    bias_stderr: float
    safety: float  # factor on |bias| in the bound (Roache's grid convergence index uses 1.25 for verified orders)
    order: int  # assumed order of the scheme in dt
    richardson: Optional[float]  # extrapolated V(0, x0) (None without a coarse solve)
    richardson_stderr: float
    bound: float
    interval: tuple
    level: float
    scheme: str
    n_steps: int
    coarse_n_steps: Optional[int]
    replicas: int
    replica_values: tuple  # V(0, x0) of the fine solves (the solution's first)
    coarse_values: tuple  # V(0, x0) of their coarse partners
    seed: int
    extra_solves: int  # including the diverged ones
    cost_seconds: float
    # (role "fine"/"coarse", index, n_steps, seed, message) of each extra solve that raised
    # SolverDivergedError and was replaced by a solve with the next fresh seed (see the module doc)
    failed_solves: tuple = ()

    @property
    def reliable(self) -> bool:
        """False when an extra solve diverged: the estimate then describes the solves that did
        not diverge (a setting near its stability limit; use a finer n_steps)."""
        return not self.failed_solves

    @property
    def relative_bound(self) -> float:
        """bound / abs(value)."""
        return self.bound / abs(self.value) if self.value else math.inf

    def summary(self) -> str:
        """Two lines of text (used by :meth:`Solution.report` and ``ttsolve solve``)."""
        rel = self.relative_bound
        parts = [f"|V(0,x0) error| <= {self.bound:.3g} (rel. {rel:.2e}) at level {self.level:g}: "
                 f"statistical sd {self.statistical:.3g} [{self.statistical_method}]"]
        if self.richardson is not None:
            parts.append(f"time-discretisation bias {self.bias:+.3g} +- {self.bias_stderr:.2g} (N={self.n_steps} vs "
                         f"{self.coarse_n_steps}, order {self.order} assumed, x{self.safety:g} in the bound); Richardson V(0,x0) = "
                         f"{self.richardson:.10g} +- {self.richardson_stderr:.2g}")
        else:
            parts.append("time-discretisation part not estimated (coarse_factor=None)")
        parts.append(f"cost: {self.extra_solves} extra solves, {self.cost_seconds:.1f} s")
        if self.failed_solves:
            parts.append(f"UNRELIABLE: {len(self.failed_solves)} extra solve(s) diverged and were redrawn with fresh "
                         f"seeds ({', '.join(f'{r} {i} N={n}' for r, i, n, _, _ in self.failed_solves)})")
        return "; ".join(parts[:1]) + "\n  " + "; ".join(parts[1:])

    def __repr__(self) -> str:
        rich = "None" if self.richardson is None else f"{self.richardson:.8g}"
        return (f"ErrorEstimate(value={self.value:.8g}, bound={self.bound:.3g}, statistical={self.statistical:.3g}, "
                f"time_discretisation={self.time_discretisation:.3g}, richardson={rich}, scheme={self.scheme!r}, "
                f"order={self.order}, N={self.n_steps}/{self.coarse_n_steps}, replicas={self.replicas}, "
                f"level={self.level:g}, extra_solves={self.extra_solves}"
                + (f", failed_solves={len(self.failed_solves)}, reliable=False" if self.failed_solves else "") + ")")


_SOLVE_SETTINGS = ("scheme", "n_samples", "degree", "max_rank", "n_validation", "max_fixed_point", "fixed_point_tol",
                   "method", "reg", "max_sweeps", "tol", "inner_samples", "inner_samples_g", "additive_powers")


def _t_quantile(level: float, dof: int) -> float:
    from scipy.stats import norm, t

    q = 0.5 + level / 2
    return float(norm.ppf(q) if dof <= 0 else t.ppf(q, dof))


def combine(fine, coarse, coarse_factor, order, level, safety=1.25, step0_sd=None):
    """The estimate from the V(0, x0) values of the fine solves (the solution's first) and their
    coarse partners (empty: no time part): (sd, bias, bias_stderr, richardson, richardson_stderr,
    bound).  ``step0_sd`` replaces the replica sd when there is one fine value."""
    f = np.asarray(fine, dtype=float)
    R = len(f) - 1
    tq = _t_quantile(level, R)
    sd = float(np.std(f, ddof=1)) if R >= 1 else float(step0_sd)
    if len(coarse) == 0:
        return sd, math.nan, math.nan, math.nan, math.nan, tq * sd
    q = coarse_factor**order - 1.0
    D = f - np.asarray(coarse, dtype=float)
    bias = -float(D.mean()) / q  # V_N - V = (V_N - V_{N/c}) / (1 - c^p) to leading order
    sd_d = float(np.std(D, ddof=1)) if R >= 1 else math.sqrt(2.0) * sd
    bias_se = sd_d / math.sqrt(len(D)) / q
    rich = float(f.mean()) - bias
    rich_se = math.sqrt((sd / math.sqrt(len(f))) ** 2 + bias_se**2)
    bound = safety * abs(bias) + tq * math.sqrt(sd**2 + bias_se**2)
    return sd, bias, bias_se, rich, rich_se, bound


def estimate_error(solution, solve, default_basis, replicas: int = 2, coarse_factor: Optional[int] = 2,
                   seed=None, level: float = 0.95, order: Optional[int] = None,
                   safety: float = 1.25, retries: int = 2) -> ErrorEstimate:
    """The work behind :meth:`Solution.error_estimate` (``solve`` and ``default_basis`` are
    :mod:`ttsolve.pde.solver`'s, passed in because the solver imports the solution module)."""
    if solution.first_solved_step != 0:
        raise ValueError("error_estimate needs a complete solution (V_0 solved); this one starts at step "
                         f"{solution.first_solved_step}")
    replicas = check_int(replicas, "replicas", 0)
    N = solution.n_steps
    if coarse_factor is not None:
        coarse_factor = check_int(coarse_factor, "coarse_factor", 2)
        if N % coarse_factor:
            raise ValueError(f"coarse_factor={coarse_factor} must divide n_steps={N} (the coarse grid must nest)")
    if replicas == 0 and coarse_factor is None:
        raise ValueError("replicas=0 with coarse_factor=None estimates nothing; give replicas >= 1 or a coarse_factor")
    safety = check_real(safety, "safety", 1.0)
    level = check_real(level, "level", positive=True)
    if not level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    settings = solution.settings
    scheme = settings["scheme"]
    p = ASSUMED_ORDER[scheme] if order is None else check_int(order, "order", 1)
    base_seed = as_seed(settings.get("seed", 0) if seed is None else seed)
    if seed is None:  # derived from (not equal to) the solution's seed: replicas are independent of it
        base_seed = int(np.random.SeedSequence([base_seed, 0x6572726F72]).generate_state(1, dtype=np.uint64)[0])
    kwargs = {k: settings[k] for k in _SOLVE_SETTINGS if k in settings}
    if is_int(settings.get("degree")) and settings.get("basis") != repr(default_basis(solution.problem,
                                                                                     settings["degree"])[0]):
        kwargs["basis"] = solution.models[0].basis  # a user basis: the same for the extra solves
    from .solution import SolverDivergedError  # the solution module imports this one

    retries = check_int(retries, "retries", 0)
    n_first = 2 * replicas + 2  # seeds[i]: fine replica i (1..R), coarse partner i at R + 1 + i (0..R)
    seeds = [int(s) for s in np.random.SeedSequence(base_seed).generate_state(n_first + retries, dtype=np.uint64)]
    failed = []  # (role, index, n_steps, seed, message) of every extra solve that diverged
    spare = iter(seeds[n_first:])  # the retries' fresh seeds, in the order the failures happen

    def extra_solve(role, index, n_steps, seed_):
        while True:
            try:
                return solve(solution.problem, n_steps=n_steps, seed=seed_, **kwargs).v0
            except SolverDivergedError as exc:
                failed.append((role, index, n_steps, seed_, str(exc)[:200]))
                if len(failed) > retries:
                    raise SolverDivergedError(
                        f"error_estimate: the {role} solve {index} (n_steps={n_steps}) diverged and the "
                        f"{retries} retries with fresh seeds are used up ({len(failed)} diverged extra solves: "
                        f"{[(f[0], f[1], f[3]) for f in failed]}); no estimate is returned because the "
                        f"replicas that remain would not measure this setting's spread. Last error: {exc}",
                        exc.solution) from exc
                seed_ = next(spare)

    t0 = time.perf_counter()
    fine = [solution.v0] + [extra_solve("fine", i, N, seeds[i]) for i in range(1, replicas + 1)]
    coarse = []
    if coarse_factor is not None:
        Nc = N // coarse_factor
        coarse = [extra_solve("coarse", i, Nc, seeds[replicas + 1 + i]) for i in range(replicas + 1)]
    cost = time.perf_counter() - t0
    if replicas >= 1:
        step0_sd = None
        method = f"{replicas} replica{'s' if replicas > 1 else ''} + the solution: seed-to-seed sd"
    else:
        step0_sd = float(solution.diagnostics[0].residual) * abs(solution.v0) / math.sqrt(settings["n_samples"])
        method = "step-0 sample stderr (lower bound: misses the noise fitted into V_1..V_{N-1}; use replicas >= 2)"
    sd, bias, bias_se, rich, rich_se, bound = combine(fine, coarse, coarse_factor, p, level, safety, step0_sd)
    v = float(solution.v0)
    return ErrorEstimate(
        value=v, statistical=sd, statistical_method=method,
        time_discretisation=safety * abs(bias) if coarse else math.nan, bias=bias, safety=safety, bias_stderr=bias_se, order=p,
        richardson=rich if coarse else None, richardson_stderr=rich_se, bound=bound, interval=(v - bound, v + bound),
        level=level, scheme=scheme, n_steps=N, coarse_n_steps=N // coarse_factor if coarse else None,
        replicas=replicas, replica_values=tuple(float(x) for x in fine), coarse_values=tuple(float(x) for x in coarse),
        seed=base_seed, extra_solves=replicas + len(coarse) + len(failed), cost_seconds=cost,
        failed_solves=tuple(failed),
    )
