"""Figures of ttsolve results (matplotlib, optional: ``pip install "ttsolve[plot]"``).

* :func:`plot_solution` -- a PDE :class:`~ttsolve.pde.Solution`: V(t, .) along a line through
  x0 against the exact solution where the problem has one, the relative error along test
  paths over time, and the TT ranks and fixed-point iterations of every backward step.
* :func:`plot_samplers` -- MCMC :class:`~ttsolve.mcmc.SampleResult` s by name: traces,
  autocorrelation and ESS of one recorded statistic per sampler.
* :func:`plot_regression` -- a regression :class:`~ttsolve.regression.FitReport`: the
  training / validation residual and the TT ranks per sweep.

Only public attributes of the results are read. Each function returns the ``Figure``.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

import numpy as np

__all__ = ["plot_solution", "plot_samplers", "plot_regression"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError("ttsolve.plot needs matplotlib: pip install \"ttsolve[plot]\" "
                          "(or pip install matplotlib)") from exc
    return plt


def _figure(n_axes: int, width: float) -> tuple[Any, Any]:
    plt = _pyplot()
    fig, axes = plt.subplots(1, n_axes, figsize=(width, 3.6), layout="constrained")
    return fig, np.atleast_1d(axes)


# ---- PDE ----------------------------------------------------------------------------
def plot_solution(solution: Any, n_paths: int = 200, n_line: int = 101, half_width: float = 1.0,
                  seed: int = 2024) -> Any:
    """V(t, x0 + s e) for s in [-half_width, half_width] (e = (1, ..., 1) / sqrt(d)) at three
    times, with the exact solution dashed; the mean and max relative error over ``n_paths``
    independent test paths at every time step (when ``problem.exact`` exists); the largest TT
    rank and the fixed-point iterations of every step."""
    from .pde import simulate_paths

    p = solution.problem
    N, dt = solution.n_steps, solution.dt
    first = solution.first_solved_step
    fig, (ax_line, ax_err, ax_rank) = _figure(3, 13.0)

    x0 = np.asarray(p.x0, dtype=float)
    direction = np.ones_like(x0) / np.sqrt(x0.size)
    s = np.linspace(-half_width, half_width, n_line)
    X_line = x0[None, :] + s[:, None] * direction[None, :]
    for n in sorted({first, (first + N) // 2, N}):
        t = n * dt
        (line,) = ax_line.plot(s, solution.value(t, X_line), label=f"V({t:.3g}, .)")
        if p.exact is not None:
            ax_line.plot(s, p.exact(t, X_line), "--", color=line.get_color(), label=f"exact t={t:.3g}")
    ax_line.set_xlabel("s  (x = x0 + s (1,...,1)/sqrt(d))")
    ax_line.set_ylabel("V")
    ax_line.set_title(f"{p.name}, d={p.dim}: V along a line through x0")
    ax_line.legend(fontsize="small")

    if p.exact is not None:
        X, _ = simulate_paths(p, N, n_paths, seed=seed)
        steps = np.arange(first, N)  # V_N = g exactly: no error to show at t = T
        errors = np.array([np.abs(solution.value(n * dt, X[n]) - p.exact(n * dt, X[n]))
                           / np.maximum(np.abs(p.exact(n * dt, X[n])), 1e-300) for n in steps])
        ax_err.semilogy(steps * dt, errors.mean(axis=1), label="mean")
        ax_err.semilogy(steps * dt, errors.max(axis=1), label="max")
        ax_err.legend(fontsize="small")
        ax_err.set_title(f"relative error on {n_paths} test paths")
    else:
        ref = "" if p.reference_value is None else f"\n|V(0,x0) - ref| / |ref| = {abs(solution.v0 - p.reference_value) / abs(p.reference_value):.2e}"
        ax_err.text(0.5, 0.5, "no exact solution for this problem" + ref, ha="center", va="center",
                    transform=ax_err.transAxes)
        ax_err.set_title("relative error along test paths")
    ax_err.set_xlabel("t")
    ax_err.set_ylabel("|V - V_exact| / |V_exact|")

    diags = [(n, d) for n, d in enumerate(solution.diagnostics) if d is not None]
    steps = np.array([n for n, _ in diags])
    ax_rank.step(steps * dt, [max(d.ranks) for _, d in diags], where="mid", label="max TT rank")
    ax_rank.step(steps * dt, [d.iterations for _, d in diags], where="mid", label="fixed-point iterations")
    ax_rank.set_xlabel("t")
    ax_rank.set_ylabel("count")
    ax_rank.set_title("per backward step")
    ax_rank.legend(fontsize="small")
    return fig


# ---- MCMC ---------------------------------------------------------------------------
def _autocorrelation(trace: np.ndarray, max_lag: int) -> np.ndarray:
    """Chain-averaged autocorrelation of a (n_chains, n_draws) trace at lags 0..max_lag."""
    centred = trace - trace.mean(axis=1, keepdims=True)
    n = trace.shape[1]
    spectrum = np.fft.rfft(centred, n=2 * n, axis=1)
    acov = np.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=2 * n, axis=1)[:, : max_lag + 1]
    acov = acov.mean(axis=0)
    return acov / acov[0] if acov[0] > 0 else np.ones_like(acov)


def plot_samplers(results: Mapping[str, Any], statistic: str = "energy", max_lag: int = 100,
                  n_trace_chains: int = 1) -> Any:
    """Traces (the first ``n_trace_chains`` chains), chain-averaged autocorrelation up to
    ``max_lag`` and multi-chain ESS (:func:`ttsolve.mcmc.ess`) of ``statistic`` per sampler."""
    from .mcmc import ess

    if not results:
        raise ValueError("plot_samplers: results must name at least one SampleResult")
    fig, (ax_trace, ax_acf, ax_ess) = _figure(3, 13.0)
    names, values, colors = [], [], []
    for name, res in results.items():
        trace = np.asarray(res.statistic(statistic), dtype=float)
        (line,) = ax_trace.plot(trace[0], lw=0.8, label=name)
        for chain in trace[1:n_trace_chains]:
            ax_trace.plot(chain, lw=0.8, color=line.get_color())
        lags = min(max_lag, trace.shape[1] - 1)
        ax_acf.plot(np.arange(lags + 1), _autocorrelation(trace, lags), label=name)
        names.append(name)
        colors.append(line.get_color())
        values.append(float(ess(trace)))
    ax_trace.set_xlabel("kept draw")
    ax_trace.set_ylabel(statistic)
    ax_trace.set_title(f"trace of {statistic}")
    ax_trace.legend(fontsize="small")
    ax_acf.axhline(0.0, color="grey", lw=0.5)
    ax_acf.set_xlabel("lag")
    ax_acf.set_ylabel("autocorrelation")
    ax_acf.set_title("autocorrelation (mean over chains)")
    ax_acf.legend(fontsize="small")
    ax_ess.bar(names, values, color=colors)
    ax_ess.set_ylabel(f"ESS of {statistic}")
    ax_ess.set_title("effective sample size (all chains)")
    ax_ess.tick_params(axis="x", labelrotation=20)
    return fig


# ---- regression ---------------------------------------------------------------------
def plot_regression(report: Any, title: Optional[str] = None) -> Any:
    """Training and validation residual per sweep (log scale) and the TT ranks per sweep
    (largest and mean bond rank)."""
    fig, (ax_res, ax_rank) = _figure(2, 9.5)
    sweeps = np.arange(1, len(report.residuals) + 1)
    ax_res.semilogy(sweeps, report.residuals, "o-", label="training residual")
    if len(report.validation):
        ax_res.semilogy(np.arange(1, len(report.validation) + 1), report.validation, "s--",
                        label="validation residual")
    if report.best_sweep:
        ax_res.axvline(report.best_sweep, color="grey", lw=0.8, ls=":", label=f"returned (sweep {report.best_sweep})")
    ax_res.set_xlabel("sweep")
    ax_res.set_ylabel("relative residual")
    ax_res.set_title(title or f"fit: {report.stop_reason or 'done'}")
    ax_res.legend(fontsize="small")
    ranks = [np.asarray(r)[1:-1] if len(r) > 2 else np.asarray(r) for r in report.ranks]
    rank_sweeps = np.arange(1, len(ranks) + 1)
    ax_rank.plot(rank_sweeps, [r.max() for r in ranks], "o-", label="largest rank")
    ax_rank.plot(rank_sweeps, [r.mean() for r in ranks], "s--", label="mean rank")
    ax_rank.set_xlabel("sweep")
    ax_rank.set_ylabel("TT rank")
    ax_rank.set_title("ranks per sweep")
    ax_rank.legend(fontsize="small")
    return fig
