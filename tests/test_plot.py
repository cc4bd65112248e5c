"""ttsolve.plot: every figure renders with Agg and has its lines and labels."""

import numpy as np
import pytest

mpl = pytest.importorskip("matplotlib")
mpl.use("Agg")

from ttsolve import plot  # noqa: E402


def _labels(ax):
    return [line.get_label() for line in ax.get_lines()]


def test_plot_solution_with_exact_reference():
    from ttsolve.pde import get_problem, solve

    problem = get_problem("hjb", dim=4)
    sol = solve(problem, n_samples=200, n_steps=8, seed=0)
    fig = plot.plot_solution(sol, n_paths=20, n_line=11)
    line_ax, err_ax, rank_ax = fig.axes
    assert {"V(0, .)", "exact t=0"} <= set(_labels(line_ax))
    v0_line = line_ax.get_lines()[0]
    np.testing.assert_allclose(v0_line.get_ydata()[5], sol.v0, rtol=1e-12)  # s = 0 is x0
    assert _labels(err_ax) == ["mean", "max"] and len(err_ax.get_lines()[0].get_xdata()) == 8
    assert _labels(rank_ax) == ["max TT rank", "fixed-point iterations"]
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    fig.canvas.draw()


def test_plot_solution_without_exact_reference_says_so():
    import dataclasses

    from ttsolve.pde import get_problem, solve

    problem = dataclasses.replace(get_problem("hjb", dim=2), exact=None)
    sol = solve(problem, n_samples=100, n_steps=4, seed=0)
    fig = plot.plot_solution(sol, n_line=5)
    assert any("no exact solution" in t.get_text() for t in fig.axes[1].texts)
    fig.canvas.draw()


def test_plot_samplers_traces_acf_and_ess():
    from ttsolve.mcmc import IsingLattice, ess, sample

    model = IsingLattice((4, 4), coupling=0.2)
    results = {s: sample(model, s, n_chains=4, n_steps=200, record=["energy"], seed=0) for s in ("gwg", "gibbs")}
    fig = plot.plot_samplers(results, max_lag=30)
    trace_ax, acf_ax, ess_ax = fig.axes
    assert _labels(trace_ax) == ["gwg", "gibbs"] and _labels(acf_ax)[:2] == ["gwg", "gibbs"]
    assert acf_ax.get_lines()[0].get_ydata()[0] == pytest.approx(1.0)
    heights = [bar.get_height() for bar in ess_ax.patches]
    assert heights == pytest.approx([ess(results[s].statistic("energy")) for s in ("gwg", "gibbs")])
    with pytest.raises(ValueError, match="results"):
        plot.plot_samplers({})
    fig.canvas.draw()


def test_plot_regression_history_and_ranks():
    from ttsolve.basis import Legendre
    from ttsolve.regression import fit

    rng = np.random.default_rng(0)
    X, Xv = rng.uniform(-1, 1, (300, 3)), rng.uniform(-1, 1, (100, 3))
    f, report = fit(X, X.sum(1) ** 2, Legendre(2), method="salsa", max_rank=3, validation=(Xv, Xv.sum(1) ** 2))
    fig = plot.plot_regression(report)
    res_ax, rank_ax = fig.axes
    assert _labels(res_ax)[:2] == ["training residual", "validation residual"]
    assert list(res_ax.get_lines()[0].get_ydata()) == pytest.approx(report.residuals)
    assert list(rank_ax.get_lines()[0].get_ydata()) == [max(r[1:-1]) for r in report.ranks]
    fig.canvas.draw()


def test_cli_solve_writes_the_figure(tmp_path):
    from ttsolve.cli import main

    out = tmp_path / "hjb.png"
    assert main(["solve", "hjb", "--dim", "3", "--n-steps", "5", "--n-samples", "100", "--plot", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
