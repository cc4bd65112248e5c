"""Bond prices under a multidimensional Cox-Ingersoll-Ross model (TT-PDE paper, Sec. 5.3) with the
references: the closed-form affine price (independent factors) and Monte Carlo (:func:`cir_reference`)."""

from __future__ import annotations

import numpy as np

from ..._validation import as_generator
from ..paths import euler_maruyama
from ..problem import Problem
from ..registry import builtin_problem
from ._common import check_T, check_dim, checked, make_problem

__all__ = ["CIRBond", "CIR_REFERENCE", "cir_affine_bond", "cir_reference"]


def _cir_constants(dim: int, seed: int):
    """Mean-reversion speeds a, levels b and volatilities s: U(0, 1) from legacy RandomState(seed)
    drawn in that order (reproduces the authors' constants for seed 42)."""
    rs = np.random.RandomState(seed)
    a = rs.uniform(size=dim)
    b = rs.uniform(size=dim)
    s = rs.uniform(size=dim)
    return a, b, s


def cir_affine_bond(t: float, X: np.ndarray, T: float, a, b, s, lam: float):
    """Closed-form E[exp(-lam int_t^T sum_i x_i(u) du)] for independent CIR factors
    dx_i = a_i (b_i - x_i) du + s_i sqrt(x_i) dW_i: the product of affine-exponential prices
    A_i(tau) exp(-B_i(tau) x_i), tau = T - t.  Returns (price, gradient)."""
    tau = T - t
    gam = np.sqrt(a * a + 2.0 * lam * s * s)
    e = np.expm1(gam * tau)
    den = (gam + a) * e + 2.0 * gam
    B = 2.0 * lam * e / den
    logA = (2.0 * a * b / (s * s)) * (np.log(2.0 * gam) + 0.5 * (a + gam) * tau - np.log(den))
    price = np.exp(np.sum(logA) - X @ B)
    return price, -price[:, None] * B[None, :]


# (dim, T, seed) -> (V(0, x0), stderr, note) of the paper variant: cir_reference(n_mc=20000,
# n_steps=200, seed=207) = 0.307768 +- 0.000568 (n_steps=100, seed=107: 0.307413 +- 0.000566).
CIR_REFERENCE: dict[tuple, tuple[float, float, str]] = {
    (100, 1.0, 42): (0.307768, 0.000568, "Monte Carlo, 2e4 paths, Euler dt = 0.005, trapezoidal rate integral"),
}


@builtin_problem("cir", "multidimensional CIR bond price, r = max_i x_i, one Brownian motion; d=100, T=1; "
                 "PDE residual")
def CIRBond(dim: int = 100, T: float = 1.0, variant: str = "paper", seed: int = 42) -> Problem:
    """Bond price under a multidimensional Cox-Ingersoll-Ross model, V(t, x) = E[exp(-int_t^T r du)].

    Factors dx_i = a_i (b_i - x_i) dt + s_i sqrt(|x_i|) dW, constants from :func:`_cir_constants`,
    x0 = (1, ..., 1), g = 1, h(t, x, y, z) = -r(x) y.

    - ``variant="paper"`` (the authors' formulation): all factors driven by ONE Brownian motion
      (sigma is the (d, d) matrix whose first column is s_i sqrt(|x_i|), sigma_kind "full"), short
      rate r = max_i x_i.  No closed form: judge solutions by the PDE residual; a Monte Carlo value
      of V(0, x0) is given by :func:`cir_reference`.
    - ``variant="affine"``: independent Brownian motions (sigma = diag(s_i sqrt|x_i|)) and
      r = mean_i x_i; closed-form solution (``exact``, ``exact_gradient``).
    """
    dim, T = check_dim(dim), check_T(T)
    if variant not in ("paper", "affine"):
        raise ValueError(f"variant must be 'paper' or 'affine', got {variant!r}")
    a, b, s = _cir_constants(dim, seed)

    def drift(t, X):
        return a * (b - X)

    def g(X):
        return np.ones(X.shape[0])

    def grad_g(X):
        return np.zeros_like(X)

    if variant == "paper":
        def sigma(t, X):
            S = np.zeros((X.shape[0], dim, dim))
            S[:, :, 0] = s * np.sqrt(np.abs(X))
            return S

        def h(t, X, Y, Z):
            return -np.max(X, axis=1) * Y

        kind, exact, exact_gradient = "full", None, None
        stored = CIR_REFERENCE.get((dim, T, seed))
        reference = None if stored is None else stored[:2]
        note = "no closed form: PDE residual along paths; V(0, x0) by cir_reference" + (
            "" if stored is None else f" ({stored[2]})"
        )
    else:
        lam = 1.0 / dim

        def sigma(t, X):
            return s * np.sqrt(np.abs(X))

        def h(t, X, Y, Z):
            return -np.mean(X, axis=1) * Y

        def exact(t, X):
            return cir_affine_bond(t, X, T, a, b, s, lam)[0]

        def exact_gradient(t, X):
            return cir_affine_bond(t, X, T, a, b, s, lam)[1]

        kind, note = "diagonal", "closed-form affine bond price (product over factors)"
        reference = None
    return make_problem(
        dim=dim, T=T, x0=np.ones(dim), drift=drift, sigma=checked(sigma, dim, "sigma"), h=h,
        g=g, grad_g=grad_g, sigma_kind=kind, name="cir" if variant == "paper" else "cir-affine",
        n_steps=100, exact=exact, exact_gradient=exact_gradient, note=note, reference=reference,
        solver=dict(degree=2, max_rank=1),
    )


def cir_reference(problem: Problem, n_mc: int = 100_000, n_steps: int = 1000, seed: int = 7):
    """(V(0, x0), stderr) of a CIR bond problem by Monte Carlo of E[exp(-int_0^T r dt)]
    (Euler-Maruyama with the problem's own sigma, trapezoidal time integral; O(dt) bias not in
    stderr).  Works for both variants; memory is O(n_mc * dim) per block."""
    rng = as_generator(seed)
    dt = problem.T / n_steps
    batch = max(1, min(n_mc, (64 * 1024**2) // (8 * problem.dim * (problem.dim if problem.sigma_kind == "full" else 1))))
    vals = []
    done = 0
    while done < n_mc:
        m = min(batch, n_mc - done)
        X = np.tile(problem.x0, (m, 1))
        integral = np.zeros(m)
        ones = np.ones(m)
        r0 = -problem.h(0.0, X, ones, None)
        for n, _, _, X in euler_maruyama(problem, X, 0.0, dt, n_steps, lambda n: rng.standard_normal((m, problem.dim))):
            r1 = -problem.h((n + 1) * dt, X, ones, None)
            integral += 0.5 * dt * (r0 + r1)
            r0 = r1
        vals.append(np.exp(-integral))
        done += m
    v = np.concatenate(vals)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(n_mc))
