"""Conditional expectations E[F(X_{n+1}) | X_n] by antithetic inner sampling (solver option
``inner_samples``): each path's Euler step X_n + b dt + sigma dW is paired with its mirror image
X_n + b dt - sigma dW, and further fresh pairs are drawn around the same centre."""

from __future__ import annotations

import math

import numpy as np

from .._extension import _core
from .paths import _sigma_value, sigma_times

__all__ = ["antithetic_mean", "antithetic_mean_terminal", "reduced_draws_exact", "COMPILED_TERMINALS"]

# Names of the compiled terminal functions (csrc/pde/antithetic_terminal.hpp) -> kernel kind.
COMPILED_TERMINALS = {"log_half_one_plus_sq_norm": 0, "scaled_sq_dist": 1, "cos_dot": 2}

_INNER_CHUNK_ENTRIES = 4_000_000  # ~32 MB of inner-sample points per batch


def _pair_normals(seed: int, done: int, B: int, K: int, d: int, first_path: int, K_total: int) -> np.ndarray:
    """(B, K, d) normals of fresh pairs done..done+B-1 for paths first_path..first_path+K-1 of
    K_total: pair j of path k is Philox stream (seed, j K_total + k), whatever the shard."""
    if first_path == 0 and K_total == K:
        return _core.pde.gaussian_rows(seed, done * K, B * K, d).reshape(B, K, d)
    return np.stack([_core.pde.gaussian_rows(seed, (done + j) * K_total + first_path, K, d) for j in range(B)])


def antithetic_mean(problem, t_n, dt, Xn, Xn1, centre, own, M, F, seq, first_path=0, n_paths_total=0):
    """Mean of F over M antithetic pairs centre +- sigma(t_n, X_n) dW; the first pair uses the
    path's own increment (``own`` = F(X_{n+1})), the other M - 1 are fresh. Odd-order terms of F
    cancel within each pair, and averaging the even ones divides their variance by about 2M.

    F is called on stacked batches of pairs. The fresh increments come from the compiled Philox
    generator with one stream per (pair, path), so they depend only on ``seq``, never on the
    thread count or on the batching. A shard of paths (ttsolve.distributed): the K rows are paths
    [first_path, first_path + K) of ``n_paths_total`` (0: K), with those paths' streams and the
    whole set's batching, so the shard's values are bitwise the whole set's rows."""
    K, d = Xn.shape
    K_total = n_paths_total or K
    seed = int(seq.generate_state(1, dtype=np.uint64)[0])
    total = own + F(2 * centre - Xn1)
    chunk = max(1, _INNER_CHUNK_ENTRIES // (K_total * d))
    done = 0
    while done < M - 1:
        B = min(chunk, M - 1 - done)
        xi = _pair_normals(seed, done, B, K, d, first_path, K_total)
        points = np.empty((2, B, K, d))
        points[0] = sigma_times(problem, t_n, Xn, xi) * math.sqrt(dt)  # sigma evaluated once
        np.negative(points[0], out=points[1])
        points += centre
        total = total + F(points.reshape(2 * B * K, d)).reshape(2 * B, K).sum(axis=0)
        done += B
    return total / (2 * M)


def antithetic_mean_terminal(problem, t_n, dt, Xn, Xn1, centre, own, M, coefs, F, seq, reduced=True,
                             first_path=0, n_paths_total=0):
    """:func:`antithetic_mean` of F = P(g), P(u) = sum_i coefs[i] u^(i+1), with the fresh pairs
    drawn, passed through g and P and summed in one compiled pass when g has a compiled twin
    (``problem.g.compiled``, set by the built-in problems) and sigma is scalar or diagonal; no
    (pairs x K, d) array is formed. Otherwise (user problems) the Python callable F is evaluated
    on blocks by :func:`antithetic_mean`.

    With ``reduced`` (default) and where it is exact (:func:`reduced_draws_exact`), each pair
    draws only what g(centre +- a xi) depends on: for the radial g's (HJB, the double wells)
    with scalar sigma a normal z and a chi^2_{d-1} variate q, since
    |c +- a xi - s|^2 = (|c - s| +- a z)^2 + a^2 q; for cos(w.x) (UnboundedSin) one normal,
    w.(c +- a xi) = w.c +- |w a| z. The same distribution of every pair as the d normals of the
    full path (``reduced=False``, also used for a radial g with diagonal sigma), from other
    random numbers: 2-3 instead of d per pair, still one Philox stream per (pair, path)."""
    spec = getattr(problem.g, "compiled", None)
    if spec is None or problem.sigma_kind == "full" or spec[0] not in COMPILED_TERMINALS:
        return antithetic_mean(problem, t_n, dt, Xn, Xn1, centre, own, M, F, seq, first_path, n_paths_total)
    K, d = Xn.shape
    seed = int(seq.generate_state(1, dtype=np.uint64)[0])
    total = own + F(2 * centre - Xn1)
    if M > 1:
        s = np.asarray(_sigma_value(problem, t_n, Xn), dtype=float) * math.sqrt(dt)
        scale = np.ascontiguousarray(np.broadcast_to(s, (K,)) if s.ndim == 0 else
                                     (s[:, 0] if s.shape == (K, 1) else s), dtype=np.float64)
        kind = COMPILED_TERMINALS[spec[0]]
        total = total + _core.pde.antithetic_terminal(
            kind, spec[1], seed, 0, M - 1, np.ascontiguousarray(centre), scale,
            np.ascontiguousarray(coefs, dtype=np.float64),
            bool(reduced) and reduced_draws_exact(spec[0], scale.ndim == 2),
            first_path=first_path, n_paths_total=n_paths_total)
    return total / (2 * M)


def reduced_draws_exact(terminal: str, diagonal: bool) -> bool:
    """Whether the compiled terminal ``terminal`` (a key of :data:`COMPILED_TERMINALS`) has exact
    reduced draws with a scalar (``diagonal=False``) or diagonal sigma: cos_dot always, the
    radial g's only with scalar sigma (with a diagonal a, |c + a xi|^2 is no function of two
    scalar draws)."""
    return bool(_core.pde.reduced_draws_exact(COMPILED_TERMINALS[terminal], bool(diagonal)))
