"""Conditional expectations E[F(X_{n+1}) | X_n] by antithetic inner sampling (solver option
``inner_samples``): each path's Euler step X_n + b dt + sigma dW is paired with its mirror image
X_n + b dt - sigma dW, and further fresh pairs are drawn around the same centre."""

from __future__ import annotations

import math

import numpy as np

from .._extension import _core
from .paths import sigma_times

__all__ = ["antithetic_mean"]

_INNER_CHUNK_ENTRIES = 4_000_000  # ~32 MB of inner-sample points per batch


def antithetic_mean(problem, t_n, dt, Xn, Xn1, centre, own, M, F, seq):
    """Mean of F over M antithetic pairs centre +- sigma(t_n, X_n) dW; the first pair uses the
    path's own increment (``own`` = F(X_{n+1})), the other M - 1 are fresh. Odd-order terms of F
    cancel within each pair, and averaging the even ones divides their variance by about 2M.

    F is called on stacked batches of pairs. The fresh increments come from the compiled Philox
    generator with one stream per (pair, path), so they depend only on ``seq``, never on the
    thread count or on the batching."""
    K, d = Xn.shape
    seed = int(seq.generate_state(1, dtype=np.uint64)[0])
    total = own + F(2 * centre - Xn1)
    chunk = max(1, _INNER_CHUNK_ENTRIES // (K * d))
    done = 0
    while done < M - 1:
        B = min(chunk, M - 1 - done)
        xi = _core.pde.gaussian_rows(seed, done * K, B * K, d).reshape(B, K, d)
        points = np.empty((2, B, K, d))
        points[0] = sigma_times(problem, t_n, Xn, xi) * math.sqrt(dt)  # sigma evaluated once
        np.negative(points[0], out=points[1])
        points += centre
        total = total + F(points.reshape(2 * B * K, d)).reshape(2 * B, K).sum(axis=0)
        done += B
    return total / (2 * M)
