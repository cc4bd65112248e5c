"""Monte Carlo references by the Cole-Hopf transform (Feynman-Kac), for any problem with
``h = -|z|^2 / 2`` (``z = sigma^T grad V``).

psi = exp(-V) then solves the *linear* backward equation
psi_t + 1/2 Tr(sigma sigma^T Hess psi) + b . grad psi = 0,  psi(T) = exp(-g),
so by Feynman-Kac  V(t, x) = -log E[exp(-g(X_T)) | X_t = x].  The Monte Carlo estimate of the
expectation has a standard error s; by the delta method the standard error of V is s / mean.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .._validation import SeedLike, as_generator, as_points
from .paths import euler_maruyama
from .problem import Problem

__all__ = ["brownian_cole_hopf", "feynman_kac_cole_hopf"]

# Working-set size (bytes) of one vectorised Monte Carlo block.
_BLOCK_BYTES = 32 * 1024**2


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
    rng = as_generator(seed)
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
    x = as_points(x, problem.dim, "x", one_d="row")[0]  # documented: ONE point
    if not 0.0 <= t < problem.T:
        raise ValueError(f"t must lie in [0, T={problem.T}), got {t}")
    rng = as_generator(seed)
    dt = (problem.T - t) / n_steps
    sq = np.sqrt(dt)
    shift = float(problem.g(x[None, :])[0])
    s1 = s2 = 0.0
    done = 0
    while done < n_mc:
        m = min(batch, n_mc - done)
        Xs = np.tile(x, (m, 1))
        log_ratio = np.zeros(m)
        for _, xi, u, Xs in euler_maruyama(problem, Xs, t, dt, n_steps,
                                           lambda n: rng.standard_normal((m, problem.dim)), control):
            if u is not None:
                log_ratio -= (u * xi).sum(axis=1) * sq + 0.5 * (u * u).sum(axis=1) * dt
        w = np.exp(-(problem.g(Xs) - shift) + log_ratio)
        s1 += float(w.sum())
        s2 += float((w * w).sum())
        done += m
    mean = s1 / n_mc
    var = max(s2 / n_mc - mean**2, 0.0) * n_mc / (n_mc - 1)
    return shift - np.log(mean), np.sqrt(var / n_mc) / mean
