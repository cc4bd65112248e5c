"""Reference solutions by the Cole-Hopf transform and Monte Carlo (Feynman-Kac).

For a PDE with ``h = -|z|^2 / 2`` (``z = sigma^T grad V``), psi = exp(-V) solves the *linear*
backward equation  psi_t + 1/2 Tr(sigma sigma^T Hess psi) + b . grad psi = 0,  psi(T) = exp(-g),
so by Feynman-Kac  V(t, x) = -log E[exp(-g(X_T)) | X_t = x].  The Monte Carlo estimate of the
expectation has a standard error s; by the delta method the standard error of V is s / mean.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .paths import SeedLike, _generator, sigma_times
from .problem import Problem

__all__ = ["hjb_exact", "hjb_reference", "brownian_cole_hopf", "feynman_kac_cole_hopf", "check_points"]

# Working-set size (bytes) of one vectorised Monte Carlo block.
_BLOCK_BYTES = 32 * 1024**2


def check_points(X: np.ndarray, dim: int, name: str = "X") -> np.ndarray:
    """X as a float (K, dim) array, or a clear ValueError."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1 and X.shape[0] == dim:
        X = X[None, :]
    if X.ndim != 2 or X.shape[1] != dim:
        raise ValueError(f"{name} must have shape (K, {dim}), got {X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf")
    return X


def brownian_cole_hopf(
    g: Callable[[np.ndarray], np.ndarray],
    grad_g: Callable[[np.ndarray], np.ndarray] | None,
    t: float,
    X: np.ndarray,
    T: float,
    scale: float,
    n_mc: int = 100_000,
    seed: SeedLike = 0,
    batch: int = 10_000,
    gradient: bool = False,
):
    """V(t, x) = -log E[exp(-g(x + scale W_{T-t}))] for each row x of X.

    The same Brownian samples are used for every point (common random numbers), so V is a smooth
    function of x for a fixed seed and the result does not depend on how the points are chunked.

    Returns
    -------
    V, stderr : ndarrays (K,)
        The estimate and its delta-method standard error.
    grad : ndarray (K, d), only if ``gradient``
        grad V = E[grad g(Y) e^{-g(Y)}] / E[e^{-g(Y)}] (a ratio estimate, no error bar).
    """
    K, d = X.shape
    if not 0.0 <= t <= T:
        raise ValueError(f"t must lie in [0, T={T}], got {t}")
    if n_mc < 2 or batch < 1:
        raise ValueError(f"n_mc must be >= 2 and batch >= 1, got n_mc={n_mc}, batch={batch}")
    rng = _generator(seed)
    std = scale * np.sqrt(T - t)
    shift = np.asarray(g(X), dtype=float)  # exp(-(g - g(x))) stays O(1): no under/overflow
    s1 = np.zeros(K)
    s2 = np.zeros(K)
    sg = np.zeros((K, d)) if gradient else None
    done = 0
    while done < n_mc:
        m = min(batch, n_mc - done)
        W = rng.standard_normal((m, d)) * std
        rows = max(1, _BLOCK_BYTES // (8 * m * d * (2 if gradient else 1)))
        for k in range(0, K, rows):
            Y = X[k : k + rows, None, :] + W[None, :, :]  # (r, m, d)
            flat = Y.reshape(-1, d)
            w = np.exp(-(np.asarray(g(flat), dtype=float).reshape(-1, m) - shift[k : k + rows, None]))
            s1[k : k + rows] += w.sum(axis=1)
            s2[k : k + rows] += (w * w).sum(axis=1)
            if gradient:
                G = np.asarray(grad_g(flat), dtype=float).reshape(-1, m, d)
                sg[k : k + rows] += np.einsum("rm,rmd->rd", w, G)
        done += m
    mean = s1 / n_mc
    var = np.maximum(s2 / n_mc - mean**2, 0.0) * n_mc / (n_mc - 1)
    V = shift - np.log(mean)
    stderr = np.sqrt(var / n_mc) / mean
    if gradient:
        return V, stderr, sg / s1[:, None]
    return V, stderr


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
    from .problems import _hjb_g, _hjb_grad_g

    X = np.asarray(X, dtype=float)
    X = check_points(X, X.shape[-1] if X.ndim else 0)
    return brownian_cole_hopf(_hjb_g, _hjb_grad_g, t, X, T, np.sqrt(2.0), n_mc, seed, batch, gradient)


def feynman_kac_cole_hopf(
    problem: Problem,
    x: np.ndarray,
    t: float = 0.0,
    n_mc: int = 100_000,
    n_steps: int = 300,
    seed: SeedLike = 0,
    batch: int = 20_000,
    control: Callable[[float, np.ndarray], np.ndarray] | None = None,
) -> tuple[float, float]:
    """V(t, x) = -log E[exp(-g(X_T)) | X_t = x] for ONE point by Euler-Maruyama Monte Carlo.

    Valid for problems with ``h = -|sigma^T grad V|^2 / 2`` and any drift/diffusion.  The time
    discretisation (``n_steps`` steps on [t, T]) adds an O(dt) bias on top of the returned
    statistical standard error.  Returns ``(V, stderr)``.

    ``control(t, X) -> (m, d)`` turns on importance sampling: paths follow
    dX = (b + sigma u) dt + sigma dW and each is weighted by the likelihood ratio of the Euler
    chains, exp(-sum u.xi sqrt(dt) - sum |u|^2 dt / 2), so the estimate stays unbiased for the
    same Euler scheme.  With u = -sigma^T grad V the variance would be zero; a rough
    approximation of V already removes most of it.
    """
    x = check_points(x, problem.dim, "x")[0]
    if not 0.0 <= t < problem.T:
        raise ValueError(f"t must lie in [0, T={problem.T}), got {t}")
    rng = _generator(seed)
    dt = (problem.T - t) / n_steps
    sq = np.sqrt(dt)
    shift = float(problem.g(x[None, :])[0])
    s1 = s2 = 0.0
    done = 0
    while done < n_mc:
        m = min(batch, n_mc - done)
        Xs = np.tile(x, (m, 1))
        log_ratio = np.zeros(m)
        for n in range(n_steps):
            tn = t + n * dt
            xi = rng.standard_normal((m, problem.dim))
            if control is None:
                noise = xi * sq
            else:
                u = control(tn, Xs)
                noise = u * dt + xi * sq
                log_ratio -= (u * xi).sum(axis=1) * sq + 0.5 * (u * u).sum(axis=1) * dt
            Xs = Xs + problem.drift(tn, Xs) * dt + sigma_times(problem, tn, Xs, noise)
        w = np.exp(-(problem.g(Xs) - shift) + log_ratio)
        s1 += float(w.sum())
        s2 += float((w * w).sum())
        done += m
    mean = s1 / n_mc
    var = max(s2 / n_mc - mean**2, 0.0) * n_mc / (n_mc - 1)
    return shift - np.log(mean), np.sqrt(var / n_mc) / mean


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
