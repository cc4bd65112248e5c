"""The HJB problem V_t + Lap V - |grad V|^2 = 0, V(T) = log(1/2 + |x|^2/2) (TT-PDE paper, Sec. 5.1),
with its reference: the Cole-Hopf value by deterministic quadrature (:func:`hjb_exact`) and by
Monte Carlo (:func:`hjb_reference`)."""

from __future__ import annotations

import numpy as np

from ..._validation import SeedLike, as_points
from ..cole_hopf import brownian_cole_hopf
from ..problem import Problem
from ..registry import builtin_problem
from ._common import check_T, check_dim, half_sq_norm_h, make_problem, zero_drift

__all__ = ["HJB", "HJB_PAPER_VALUE_D100", "hjb_exact", "hjb_reference"]


def _sq_norms(X):
    return np.einsum("...i,...i->...", X, X)  # row-wise |x|^2 without a (K, d) temporary


def _hjb_g(X):
    return np.log(0.5 + 0.5 * _sq_norms(X))


def _hjb_grad_g(X):
    return 2.0 * X / (1.0 + _sq_norms(X)[..., None])


HJB_PAPER_VALUE_D100 = 4.589992  # the paper's Monte Carlo value of V(0, 0) for d = 100, T = 1


@builtin_problem("hjb", "HJB, V_t + Lap V - |grad V|^2 = 0, g = log(1/2 + |x|^2/2); d=100, T=1; "
                 "Cole-Hopf MC reference")
def HJB(dim: int = 100, T: float = 1.0) -> Problem:
    """Hamilton-Jacobi-Bellman equation  V_t + Lap V - |grad V|^2 = 0,  V(T) = log(1/2 + |x|^2/2).

    b = 0, sigma = sqrt(2) I (scalar), h = -|z|^2/2 with z = sqrt(2) grad V, x0 = 0.  By Cole-Hopf
    V(t, x) = -log E[exp(-g(x + sqrt(2) W_{T-t}))]; ``exact``/``exact_gradient`` evaluate it by
    deterministic quadrature (:func:`hjb_exact`, error ~1e-12), and
    :func:`hjb_reference` by Monte Carlo.  For d = 100 the exact
    V(0, 0) = 4.5901617246 (the paper's Monte Carlo value is 4.589992).
    """
    dim, T = check_dim(dim), check_T(T)
    s = np.sqrt(2.0)

    def exact(t, X):
        return hjb_exact(t, X, T)

    def exact_gradient(t, X):
        return hjb_exact(t, X, T, gradient=True)[1]

    note = "Cole-Hopf by quadrature (hjb_exact): V(t,x) = -log E exp(-g(x + sqrt(2) W_{T-t}))"
    if dim == 100 and T == 1.0:
        note += f"; the paper's Monte Carlo value is {HJB_PAPER_VALUE_D100}"
    half = 4.5 * np.sqrt(2.0 * T)  # X_t = sqrt(2) W_t: 4.5 standard deviations at t = T
    return make_problem(
        dim=dim, T=T, x0=np.zeros(dim), drift=zero_drift, sigma=lambda t, X: s, h=half_sq_norm_h,
        g=_hjb_g, grad_g=_hjb_grad_g, name="hjb", note=note, n_steps=100,
        solver=dict(degree=0, max_rank=1, inner_samples=4, inner_samples_g=16, additive_powers=2),
        exact=exact, exact_gradient=exact_gradient, domain=(np.full(dim, -half), np.full(dim, half)),
        compiled_g=("log_half_one_plus_sq_norm", ()),
    )


def hjb_reference(
    t: float,
    X: np.ndarray,
    n_mc: int = 100_000,
    seed: SeedLike = 0,
    batch: int = 10_000,
    T: float = 1.0,
    gradient: bool = False,
):
    """Cole-Hopf reference of the HJB problem: V(t, x) = -log E[exp(-g(x + sqrt(2) W_{T-t}))].

    ``g(x) = log(1/2 + |x|^2/2)``.  ``X`` is (K, d) (or one (d,) point).  Returns ``(V, stderr)``
    (each (K,)), plus the Monte Carlo gradient (K, d) when ``gradient=True``.
    """
    X = as_points(X, name="X", one_d="row")  # documented: one (d,) point is one row
    return brownian_cole_hopf(_hjb_g, _hjb_grad_g, t, X, T, np.sqrt(2.0), n_mc, seed, batch, gradient)


def hjb_exact(t: float, X: np.ndarray, T: float = 1.0, n_quad: int = 200, gradient: bool = False):
    """Deterministic Cole-Hopf value of the HJB problem by quadrature (no Monte Carlo error).

    With s^2 = 2 (T - t) and g = log((1 + |y|^2)/2), exp(-g(x + s N)) = 2 / (1 + |x + s N|^2) and
    |x + s N|^2 = s^2 ((mu + z)^2 + c) with mu = |x| / s, z ~ N(0, 1) and c ~ chi^2_{d-1}
    independent.  For fixed c the Gaussian expectation over z is a Voigt profile, evaluated in
    closed form with the Faddeeva function w:  E_z[1 / ((mu + z)^2 + gam^2)] =
    sqrt(pi/2) Re w((mu + i gam)/sqrt 2) / gam,  gam^2 = c + 1/s^2.  The remaining smooth 1-D
    expectation over c uses ``n_quad``-point generalised Gauss-Laguerre (exact for d = 1).

    Returns V (K,), or (V, grad V) with grad V = -(dpsi/dmu / psi) x / (s |x|).
    """
    from scipy.special import roots_genlaguerre, wofz

    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (K, d), got {X.shape}")
    K, d = X.shape
    if not 0.0 <= t <= T:
        raise ValueError(f"t must lie in [0, T={T}], got {t}")
    if not 2 <= n_quad <= 200:
        raise ValueError(f"n_quad must lie in [2, 200] (Laguerre weights overflow beyond), got {n_quad}")
    r2 = np.sum(X * X, axis=1)
    if t == T:
        V = np.log(0.5 + 0.5 * r2)
        return (V, 2.0 * X / (1.0 + r2[:, None])) if gradient else V
    s2 = 2.0 * (T - t)
    mu = np.sqrt(r2 / s2)[:, None]
    if d > 1:
        k = 0.5 * (d - 1)
        u, wu = roots_genlaguerre(n_quad, k - 1.0)
        c, wc = 2.0 * u, wu / wu.sum()  # c = 2u ~ Gamma(k, 2) = chi^2_{d-1}
    else:
        c, wc = np.zeros(1), np.ones(1)
    gam = np.sqrt(c + 1.0 / s2)[None, :]
    zeta = (mu + 1j * gam) / np.sqrt(2.0)  # (K, nc)
    wz = wofz(zeta)
    scale = (2.0 / s2) * np.sqrt(np.pi / 2.0) / gam
    psi = (scale * wz.real) @ wc
    V = -np.log(psi)
    if not gradient:
        return V
    dw = -2.0 * zeta * wz + 2j / np.sqrt(np.pi)  # w'(zeta)
    dpsi_dmu = (scale * dw.real / np.sqrt(2.0)) @ wc
    with np.errstate(invalid="ignore", divide="ignore"):
        direction = np.where(r2[:, None] > 0, X / np.sqrt(r2)[:, None], 0.0)
    grad = -(dpsi_dmu / psi)[:, None] * direction / np.sqrt(s2)
    return V, grad
