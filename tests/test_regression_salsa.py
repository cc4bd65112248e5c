"""SALSA pieces: the stabilising penalty, bond rank adaptation, and fits on noisy data."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from ttsolve import _salsa
from ttsolve.basis import Legendre
from ttsolve.regression import fit

from test_regression import data, noisy_rank2_problem, sum_of_products


@given(r=st.integers(1, 3), p=st.integers(1, 4), r2=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_penalty_matches_singular_value_formula(r, p, r2, seed):
    # x^T P x = omega^2 (||Sl^-1 Wl^T X||^2 + ||X Wr Sr^-1||^2) for any X, with the bond
    # singular values of the core floored at smin * ||core||
    rng = np.random.default_rng(seed)
    core = rng.standard_normal((r, p, r2)) * rng.uniform(0.01, 1, (r, 1, 1))
    omega, smin = 0.3, 0.05
    P = _salsa.penalty(core, omega, smin)
    X = rng.standard_normal((r, p, r2))
    floor = smin * np.linalg.norm(core)

    def side(unfold, Xu):
        w, s, _ = np.linalg.svd(unfold, full_matrices=True)
        sf = np.zeros(w.shape[0])
        sf[: len(s)] = s
        return np.sum(((w.T @ Xu) / np.maximum(sf, floor)[:, None]) ** 2)

    expect = omega**2 * (side(core.reshape(r, -1), X.reshape(r, -1))
                         + side(core.reshape(-1, r2).T, X.reshape(-1, r2).T))
    x = X.reshape(-1)
    assert np.isclose(x @ P @ x, expect, rtol=1e-10)
    np.testing.assert_allclose(P, P.T, atol=1e-12 * np.abs(P).max())


def test_penalty_of_core_itself_counts_ranks():
    # when every singular value is above the floor, the penalty of the core itself is
    # omega^2 (rank_left + rank_right): scale-free
    core = np.random.default_rng(1).standard_normal((2, 3, 3))
    for scale in (1e-3, 1.0, 1e4):
        c = scale * core
        x = c.reshape(-1)
        assert np.isclose(x @ _salsa.penalty(c, 0.5, 1e-6) @ x, 0.25 * (2 + 3), rtol=1e-10)


def test_split_bond_adds_and_drops_directions():
    rng = np.random.default_rng(2)
    u = np.linalg.qr(rng.standard_normal((12, 3)))[0]
    b = np.linalg.qr(rng.standard_normal((10, 3)))[0]
    # all active, below the cap: one new orthogonal direction with a tiny singular value
    u2, s2, b2, active = _salsa.split_bond(u, np.array([3.0, 2.0, 1.0]), b, 0.05, 6, rng)
    assert active == 3 and len(s2) == 4 and s2[3] < 0.05 * np.linalg.norm([3, 2, 1])
    np.testing.assert_allclose(u2.T @ u2, np.eye(4), atol=1e-12)
    np.testing.assert_allclose(b2.T @ b2, np.eye(4), atol=1e-12)
    # two inactive: keep one of them as the minor direction
    u3, s3, b3, active = _salsa.split_bond(u, np.array([3.0, 1e-3, 1e-4]), b, 0.05, 6, rng)
    assert active == 1 and len(s3) == 2
    # at the cap: no minor direction
    _, s4, _, active = _salsa.split_bond(u, np.array([3.0, 2.0, 1.0]), b, 0.05, 2, rng)
    assert active == 2 and len(s4) == 2


def test_omega_schedule_monotone_with_floor():
    w = np.inf
    seq = []
    for res in (0.5, 0.6, 0.1, 1e-3, 1e-12, 1e-12):
        w = _salsa.next_omega(w, res)
        seq.append(w)
    assert all(a >= b for a, b in zip(seq, seq[1:]))
    # res 0.5 explains sqrt(0.75) of the data: omega_0 = min(0.5 res, 0.1 sqrt(1 - res^2))
    assert seq[0] == pytest.approx(min(_salsa.OMEGA_FACTOR * 0.5, _salsa.EXPLAINED_FACTOR * np.sqrt(0.75)))
    assert seq[-1] == _salsa.OMEGA_MIN
    # a stalled residual does not stall omega: it keeps falling by OMEGA_DECAY per sweep, so
    # a direction below the current activity threshold becomes active eventually
    w = _salsa.next_omega(np.inf, 0.2)
    assert w == pytest.approx(_salsa.EXPLAINED_FACTOR * np.sqrt(1 - 0.04))
    for _ in range(5):
        w2 = _salsa.next_omega(w, 0.2, 0.2)
        assert w2 == pytest.approx(w / _salsa.OMEGA_DECAY)
        w = w2
    # while the residual falls fast, omega only follows it
    assert _salsa.next_omega(w, 0.1, 0.2) == w


def test_salsa_ranks_report_excludes_minor_direction():
    d = 5
    target = sum_of_products(1, d, 2, seed=3)
    X, y = data(target, d, 600, 1)
    f, rep = fit(X, y, Legendre(2), method="salsa", max_rank=4, max_sweeps=6)
    assert all(r == (1,) * (d + 1) for r in rep.ranks)
    assert f.ranks == (1,) * (d + 1)


def test_salsa_noise_level_and_early_stopping():
    d, s, K = 4, 0.1, 2000
    X, yn, Xv, yvn = noisy_rank2_problem(d, s, K)
    f, rep = fit(X, yn, Legendre(5), method="salsa", max_rank=6, max_sweeps=60, tol=0.0,
                 validation=(Xv, yvn), patience=2)
    assert rep.stop_reason == "validation"
    assert max(f.ranks) <= 3  # the noise does not inflate the rank-2 target much
    rmse = np.sqrt(np.mean((f(Xv) - yvn) ** 2))
    n = max(c.size for c in f.tt.cores)
    # noise s plus an estimation error of order s sqrt(unknowns / K); sampling error of the
    # RMSE itself about s / sqrt(2 K)
    assert s * (1 - 4 / np.sqrt(2 * K)) < rmse < s * (1 + 3 * np.sqrt(d * n / K))


def test_salsa_keeps_small_noisy_tt_part_next_to_dominant_extra_term():
    # y = 10 g + a rank-2 part (4% of y) + noise (7% of y), the shape of a PDE time step:
    # SALSA's data term and residual are relative to the TT's target y - c g, and a cold start
    # gets a plain ALS sweep first, so the TT part is not damped to zero (it was, before)
    d = 5
    target = sum_of_products(2, d, 2, seed=31)
    gfun = lambda X: np.exp(0.3 * X.sum(1))
    X, y0 = data(target, d, 1000, 40)
    Xv, yv0 = data(target, d, 400, 50)
    G = 10 * gfun(X)
    scale = 0.04 * np.linalg.norm(G) / np.linalg.norm(y0)
    noise = 0.07 * np.linalg.norm(G) / np.sqrt(len(G))
    rng = np.random.default_rng(0)
    y = scale * y0 + G + noise * rng.standard_normal(len(G))
    yv = scale * yv0 + 10 * gfun(Xv) + noise * rng.standard_normal(len(Xv))
    f, rep = fit(X, y, Legendre(2), method="salsa", max_rank=3, max_sweeps=10, validation=(Xv, yv),
                 extra=(gfun(X), gfun(Xv)))
    tt_part = f(Xv, g=gfun(Xv)) - f.extra_coef * gfun(Xv)
    truth = scale * yv0
    assert np.linalg.norm(tt_part) > 0.3 * np.linalg.norm(truth)
    assert np.linalg.norm(tt_part - truth) < 0.9 * np.linalg.norm(truth)
