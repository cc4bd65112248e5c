"""Batched numpy samplers for models without compiled kernels (RBM, UserModel).

All chains advance together so gradients are matrix-matrix products. GWG uses the
gradient estimate d = -(2x - 1) * grad f(x) with proposal softmax(d / 2) and the MH
correction with the reverse proposal; block_gibbs is the RBM's alternating sweep.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .models import RBM

__all__ = ["sample_numpy"]


def _log_softmax(a: np.ndarray) -> np.ndarray:
    m = a.max(1, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(1, keepdims=True))


def _gwg_step(model: Any, X: np.ndarray, fx: np.ndarray, gx: np.ndarray, rng: np.random.Generator,
              n_flips: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    K, D = X.shape
    lq = _log_softmax(-(2.0 * X - 1.0) * gx / 2.0)
    gumbel = -np.log(-np.log(rng.random((n_flips, K, D)) * (1 - 2**-53) + 2**-54))
    picks = np.argmax(lq[None] + gumbel, axis=2)  # (n_flips, K), with replacement
    rows = np.arange(K)
    flip = np.zeros((K, D), dtype=bool)
    flip[np.broadcast_to(rows, picks.shape), picks] = True
    Y = np.where(flip, 1.0 - X, X)
    fy, gy = model.log_prob(Y), model.grad(Y)
    lq_rev = _log_softmax(-(2.0 * Y - 1.0) * gy / 2.0)
    log_accept = fy - fx + lq_rev[rows, picks].sum(0) - lq[rows, picks].sum(0)
    accept = np.log(1.0 - rng.random(K)) < log_accept
    X = np.where(accept[:, None], Y, X)
    return X, np.where(accept, fy, fx), np.where(accept[:, None], gy, gx), accept


def sample_numpy(model: Any, kernel: str, n_chains: int, n_steps: int, burn_in: int, thin: int,
                 seed: int, init: np.ndarray, names: list[str], ref: np.ndarray | None, n_flips: int,
                 callback: Any) -> Any:
    from .samplers import SampleResult

    if kernel == "block_gibbs" and not isinstance(model, RBM):
        raise ValueError("block_gibbs is only available for RBM models")
    if kernel not in ("gwg", "block_gibbs"):
        raise ValueError(f"sampler {kernel!r} is only available for quadratic models "
                         "(IsingLattice, BinaryQuadratic); use 'gwg' or 'block_gibbs' here")
    rng = np.random.default_rng([seed, 0x6A6])
    X = init.astype(np.float64)
    D = model.dim
    n_kept = n_steps // thin
    samples = np.zeros((n_chains, n_kept, D), dtype=np.uint8) if "samples" in names else None
    stats = {n: np.full((n_chains, n_kept), np.nan) for n in names if n != "samples"}
    reference = np.zeros(D) if ref is None else ref.astype(np.float64)
    fx = model.log_prob(X)
    gx = model.grad(X) if kernel == "gwg" else None
    accepted = np.zeros(n_chains)
    total, done, kept, interrupted = burn_in + n_steps, 0, 0, False
    start, last_report = time.perf_counter(), time.perf_counter()
    try:
        for t in range(total):
            if kernel == "gwg":
                X, fx, gx, acc = _gwg_step(model, X, fx, gx, rng, n_flips)
            else:
                Y = model.block_gibbs(X, rng)
                acc = (Y != X).any(1)
                X = Y
            accepted += acc
            done = t + 1
            if t >= burn_in and (t - burn_in + 1) % thin == 0 and kept < n_kept:
                if samples is not None:
                    samples[:, kept] = X
                if "energy" in stats:
                    stats["energy"][:, kept] = fx if kernel == "gwg" else model.log_prob(X)
                if "magnetization" in stats:
                    stats["magnetization"][:, kept] = (2.0 * X - 1.0).mean(1)
                if "hamming" in stats:
                    stats["hamming"][:, kept] = np.abs(X - reference).sum(1)
                kept += 1
            if callback is not None and time.perf_counter() - last_report > 0.1:
                callback(done, total)
                last_report = time.perf_counter()
    except KeyboardInterrupt:
        interrupted = True
    if callback is not None and not interrupted:
        callback(done, total)
    seconds = time.perf_counter() - start
    Xu = X.astype(np.uint8)
    return SampleResult(None if samples is None else samples[:, :kept],
                        {n: a[:, :kept] for n, a in stats.items()}, accepted / max(done, 1),
                        model.log_prob(Xu), Xu, seconds, interrupted, {"steps_done": done})
