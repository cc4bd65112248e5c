"""Tests of the BSDE solver (small sizes; heavy runs are in bench/pde.py)."""

import dataclasses

import numpy as np
import pytest

from ttsolve.cli import main
from ttsolve.pde import SolverDivergedError, get_problem, solve

FAST = dict(n_samples=400, n_steps=10, max_sweeps=2, max_fixed_point=4)


@pytest.fixture(scope="module")
def hjb5():
    return get_problem("hjb", dim=5)


@pytest.mark.parametrize("dim", [1, 2, 5])
def test_hjb_against_cole_hopf(dim):
    p = get_problem("hjb", dim=dim)
    sol = solve(p, scheme="implicit", degree=2 if dim < 5 else 0, **FAST)
    # MC error of the target mean ~ std(g)/sqrt(K) with std(g) <= 1 here, plus O(dt) bias
    assert abs(sol.v0 - p.reference_value) < 4 / np.sqrt(FAST["n_samples"]) + 0.05
    err = sol.relative_error(n_paths=50)
    assert np.isfinite(err["path_mean"])


def test_exact_solution_along_paths(hjb5):
    sol = solve(hjb5, scheme="implicit", n_samples=1000, n_steps=20, max_sweeps=2, max_fixed_point=4)
    err = sol.relative_error(n_paths=100)
    # O(dt) = 5e-2 time-discretisation bias dominates at N = 20
    assert err["v0"] < 2e-2 and err["path_mean"] < 8e-2  # degree 0: const + c g only
    # gradient at the terminal time is grad g exactly
    X = np.random.default_rng(0).standard_normal((3, 5))
    np.testing.assert_array_equal(sol.gradient(hjb5.T, X), hjb5.grad_g(X))


def test_explicit_and_implicit_agree_as_dt_shrinks(hjb5):
    gaps = []
    for n in (2, 20):
        v = [solve(hjb5, scheme=s, n_samples=1000, n_steps=n, max_sweeps=2, max_fixed_point=4).v0
             for s in ("explicit", "implicit")]
        gaps.append(abs(v[0] - v[1]))
    assert gaps[1] < gaps[0]


def test_seeded_runs_reproduce(hjb5):
    a = solve(hjb5, seed=3, **FAST)
    b = solve(hjb5, seed=3, **FAST)
    c = solve(hjb5, seed=4, **FAST)
    assert a.v0 == b.v0 and a.v0 != c.v0
    X = np.full((1, 5), 0.3)
    assert np.array_equal(a.value(0.5, X), b.value(0.5, X))


def test_resume_equals_uninterrupted(hjb5, tmp_path):
    full = solve(hjb5, seed=1, **FAST)

    def stop_after(n, diag):
        if n == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        solve(hjb5, seed=1, checkpoint=tmp_path / "ck", progress=stop_after, **FAST)
    resumed = solve(hjb5, seed=1, checkpoint=tmp_path / "ck", **FAST)
    assert resumed.v0 == full.v0
    X = np.full((2, 5), -0.2)
    for t in (0.0, 0.3, 0.8):
        assert np.array_equal(resumed.value(t, X), full.value(t, X))
    with pytest.raises(ValueError, match="different"):
        solve(hjb5, seed=2, checkpoint=tmp_path / "ck", **FAST)


def test_save_load(hjb5, tmp_path):
    sol = solve(hjb5, **FAST)
    sol.save(tmp_path / "s")
    back = type(sol).load(tmp_path / "s", hjb5)
    assert back.v0 == sol.v0
    assert "V(0, x0)" in sol.report()
    res = sol.pde_residual(n_paths=10, n_times=2)
    assert np.isfinite(res["mean_abs"])


def test_bad_input(hjb5):
    with pytest.raises(ValueError, match="n_steps"):
        solve(hjb5, n_steps=0)
    with pytest.raises(ValueError, match="scheme"):
        solve(hjb5, scheme="magic")
    with pytest.raises(ValueError, match="T"):
        solve(dataclasses.replace(hjb5, T=-1.0))
    with pytest.raises(ValueError, match="x0"):
        solve(dataclasses.replace(hjb5, x0=np.zeros(3)))
    with pytest.raises(ValueError, match="basis"):
        from ttsolve.basis import Legendre

        solve(hjb5, basis=[Legendre(1)] * 4, **FAST)
    bad_h = dataclasses.replace(hjb5, h=lambda t, X, Y, Z: np.zeros((X.shape[0], 2)))
    with pytest.raises(ValueError, match=r"h returned shape .*time step 9"):
        solve(bad_h, **FAST)
    nan_g = dataclasses.replace(hjb5, g=lambda X: np.full(X.shape[0], np.nan))
    with pytest.raises(ValueError, match="g returned NaN"):
        solve(nan_g, **FAST)


def test_divergence_keeps_good_steps(hjb5):
    def h(t, X, Y, Z):  # blows up before t = 0.5
        return np.zeros(X.shape[0]) if t > 0.5 else np.full(X.shape[0], np.inf)

    with pytest.raises(ValueError, match="h returned NaN"):
        solve(dataclasses.replace(hjb5, h=h), scheme="explicit", **FAST)

    def h2(t, X, Y, Z):  # finite but astronomically large
        return np.zeros(X.shape[0]) if t > 0.5 else 1e300 * (1 + X[:, 0] ** 2)

    with pytest.raises(SolverDivergedError) as info:
        solve(dataclasses.replace(hjb5, h=h2), scheme="explicit", **FAST)
    part = info.value.solution
    assert part.first_solved_step == 6
    assert np.isfinite(part.value(0.7, np.zeros((1, 5)))).all()


def test_cli(capsys):
    assert main(["problems"]) == 0
    assert "hjb" in capsys.readouterr().out
    assert main(["solve", "hjb", "--dim", "2", "--n-steps", "4", "--n-samples", "200", "--threads", "1"]) == 0
    out = capsys.readouterr().out
    assert "V(0, x0)" in out and "relative error" in out and "time" in out


def test_additive_powers_of_g(hjb5):
    """V_n = a + c1 g + c2 g^2 (degree 0): close to Cole-Hopf, gradient by the chain rule."""
    sol = solve(hjb5, additive_powers=2, n_samples=1000, n_steps=20, max_fixed_point=4, inner_samples=0)
    assert sol.settings["additive_powers"] == 2
    assert all(m.extra_powers == 2 for m in sol.models)
    err = sol.relative_error(n_paths=100)
    # the O(dt) = 5e-2 time-discretisation bias of N = 20 dominates, as for one power of g
    assert err["v0"] < 2e-2 and err["path_mean"] < 8e-2
    X = np.random.default_rng(1).uniform(-1, 1, (4, 5))
    G = sol.gradient(0.5, X)
    h = 1e-5
    for j in range(5):
        E = np.zeros(5)
        E[j] = h
        fd = (sol.value(0.5, X + E) - sol.value(0.5, X - E)) / (2 * h)
        np.testing.assert_allclose(G[:, j], fd, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="additive_powers"):
        solve(hjb5, additive_powers=2, degree=2, **FAST)
    with pytest.raises(ValueError, match="additive_powers"):
        solve(hjb5, additive_powers=0, **FAST)


def test_hjb_defaults_use_two_powers_of_g(hjb5):
    # the built-in HJB default ansatz is a + c1 g + c2 g^2; the paper's a + c g stays available
    assert hjb5.defaults["additive_powers"] == 2
    one = solve(hjb5, additive_powers=1, **FAST)
    assert all(np.ndim(m.extra_coef) == 0 for m in one.models)


def test_too_coarse_time_grid_raises_instead_of_garbage():
    # N = 10 is far too coarse for the interacting double well (|Z| ~ 9 in h = -|z|^2 / 2): the
    # fixed-point map expands; this used to return V(0, x0) = -1511 (reference 34.4) silently.
    p = get_problem("doublewell-interacting")
    with pytest.raises(SolverDivergedError, match="not contracting") as info:
        solve(p, n_steps=10, n_samples=500)
    kept = info.value.solution
    assert kept.first_solved_step > 0 and np.all(np.isfinite(kept.value(p.T * 0.9, p.x0[None, :])))


def test_solve_refuses_paths_that_cannot_fit_before_allocating():
    with pytest.raises(MemoryError, match=r"n_samples=10000000 .* GiB"):
        solve(get_problem("hjb", dim=100), n_samples=10**7)


def test_fixed_point_loop_stopping_rules():
    # the shared loop (pde/fixed_point.py): iterate k returns (model k, its relative change, info k)
    from ttsolve.pde.fixed_point import MAX_KEPT_CHANGE, fixed_point

    def run(changes, tol=1e-6, cap=10):
        calls = []

        def iterate(k, current):
            calls.append((k, current))
            return k, changes[k - 1], f"info {k}"

        out = fixed_point(iterate, 0, cap, tol, lambda msg: SolverDivergedError(msg, None))
        assert [c[1] for c in calls] == list(range(len(calls)))  # each iterate starts from the last kept one
        return out, len(calls)

    assert run([1e-2, 1e-4, 1e-7, 1.0]) == ((3, "info 3", 1e-7, 3, "change"), 3)
    # iterate 3 changed V more than iterate 2: keep model 2 (noise floor reached)
    assert run([1e-2, 1e-4, 2e-4, 1e-9]) == ((2, "info 2", 1e-4, 3, "not contracting"), 3)
    assert run([0.5, 0.4, 0.3], cap=3) == ((3, "info 3", 0.3, 3, "max_fixed_point"), 3)
    # the kept iterate moved V by more than MAX_KEPT_CHANGE and the map expands: diverged, not kept
    big = 2 * MAX_KEPT_CHANGE
    with pytest.raises(SolverDivergedError, match="not contracting"):
        run([big, 2 * big])
    assert run([0.5 * MAX_KEPT_CHANGE, MAX_KEPT_CHANGE])[0][4] == "not contracting"


def test_kept_change_limit_scales_with_the_time_step():
    from ttsolve.pde.fixed_point import MAX_KEPT_CHANGE, kept_change_limit, not_contracting

    assert kept_change_limit(3) == MAX_KEPT_CHANGE == 1.0 and kept_change_limit(30) == pytest.approx(1 / 3)

    def boom(msg):
        return SolverDivergedError(msg, None)

    # the change kept by the DoubleWellInteracting solve that returned V(0, x0) = 14.2 (N = 30)
    with pytest.raises(SolverDivergedError, match="0.466"):
        not_contracting(2, 0.466, 36.5, boom, kept_change_limit(30))
    assert not_contracting(2, 0.466, 36.5, boom, kept_change_limit(3))  # a 3-step grid: kept
    assert not not_contracting(2, 0.466, 0.1, boom, kept_change_limit(30))  # still contracting
