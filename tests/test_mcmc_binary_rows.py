"""K = 2 proposal rows of the factorised gradient kinds (csrc/mcmc/binary_rows.cpp: four lanes,
no libm call per site) against their closed forms evaluated with libm in float64, over the
whole range of flip differences, step sizes and times; and the AVX2 and portable builds
bitwise equal."""
import math

import numpy as np
import pytest

from ttsolve import _core

T = _core._testing

# flip differences d = g[flip] - g[stay]: both signs, tiny to beyond exp's range
D_VALUES = np.concatenate([[0.0, 1e-300, -1e-300, 1e-12, -1e-12, 0.3, -0.3, 1.0, -2.5, 20.0, -35.0, 300.0,
                            -700.0, 720.0, -745.0, 900.0, -1500.0],
                           np.random.default_rng(0).normal(0.0, 8.0, 200)])


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def balance(w, d):  # log w(e^d)
    if w == "sqrt":
        return 0.5 * d
    if w == "barker":
        return -math.log1p(math.exp(-d)) if d >= 0 else d - math.log1p(math.exp(d))
    return max(d, 0.0) if w == "max" else min(d, 0.0)


def rate(w, d):  # w(e^d) + w(e^-d)
    a = abs(d)
    with np.errstate(over="ignore"):
        if w == "sqrt":
            return 2.0 * math.cosh(0.5 * a) if a < 1400 else math.inf
        if w == "barker":
            return 1.0
        return (math.exp(a) + 1.0 if a < 709 else math.inf) if w == "max" else 1.0 + math.exp(-a)


def reference(kind, w, scale, d):
    """(stay, flip) in float64 from libm, written to avoid cancellation."""
    if kind == "dlmc":
        s, sc = sigmoid(d), sigmoid(-d)
        ta = scale * rate(w, d)
        em = math.expm1(-ta) if ta < math.inf else -1.0
        ey = math.exp(-ta) if ta < math.inf else 0.0
        return sc + s * ey, -s * em
    z = balance(w, d) - 1.0 / (2.0 * scale)
    return sigmoid(-z), sigmoid(z)


def table(kind, w, scale, d, x):
    """The kernel's rows for sites with flip difference d at states x (gradient rows arranged so)."""
    g = np.zeros((d.size, 2))
    g[np.arange(d.size), 1 - x] = d  # g[flip] - g[stay] = d
    opt = {"weight": w, ("t" if kind == "dlmc" else "step_size"): scale}
    return T.mcmc_factorised_table(kind, opt, x.astype(np.uint8), g)


def close(a, b, rtol):
    """Relative agreement; values below 1e-290 (where the vector exp flushes to 0) absolutely."""
    return abs(a - b) <= rtol * max(abs(a), abs(b)) or max(abs(a), abs(b)) < 1e-290


@pytest.mark.parametrize("kind", ["dmala", "dula", "dlmc"])
@pytest.mark.parametrize("w", ["sqrt", "barker", "max", "min"])
@pytest.mark.parametrize("scale", [1e-6, 0.0356, 0.3, 1.0, 4.0, 60.0])
def test_rows_match_closed_form(kind, w, scale):
    x = (np.arange(D_VALUES.size) % 2).astype(np.uint8)
    P = table(kind, w, scale, D_VALUES, x)
    assert np.all(P >= 0) and np.all(np.isfinite(P))
    assert np.allclose(P.sum(1), 1.0, rtol=0, atol=4e-16)
    bad = []
    for i, d in enumerate(D_VALUES):
        stay, flip = reference("dlmc" if kind == "dlmc" else "dmala", w, scale, float(d))
        got_stay, got_flip = P[i, x[i]], P[i, 1 - x[i]]
        if not (close(got_stay, stay, 2e-14) and close(got_flip, flip, 2e-14)):
            bad.append((float(d), got_stay, stay, got_flip, flip))
    assert not bad, bad[:5]


@pytest.mark.parametrize("kind,scale", [("dmala", 0.2), ("dlmc", 0.0356), ("dlmc", 2.0)])
def test_simd_and_portable_rows_are_bitwise_equal(kind, scale):
    before = T.gram_simd()
    x = (np.arange(D_VALUES.size) % 2).astype(np.uint8)
    try:
        T.gram_simd(True)
        a = table(kind, "sqrt", scale, D_VALUES, x)
        T.gram_simd(False)
        b = table(kind, "sqrt", scale, D_VALUES, x)
    finally:
        T.gram_simd(before)
    assert np.array_equal(a, b)


def test_factorised_table_rejects_bad_input():
    g = np.zeros((3, 2))
    with pytest.raises(ValueError, match="x must hold states"):
        T.mcmc_factorised_table("dmala", {}, np.array([0, 2, 1], np.uint8), g)
    with pytest.raises(ValueError, match="factorised kind"):
        T.mcmc_factorised_table("pas", {}, np.zeros(3, np.uint8), g)
    with pytest.raises(ValueError, match="g must be"):
        T.mcmc_factorised_table("dmala", {}, np.zeros(2, np.uint8), g)
