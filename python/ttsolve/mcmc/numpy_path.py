"""Batched numpy engine: user models (every kind of :mod:`ttsolve.mcmc.numpy_kernels`), and
kinds whose step is written in Python (RBM block Gibbs), plus a numpy RBM GWG kept as an
independent check of the compiled one.

All chains advance together so gradients are matrix-matrix products. The binary GWG here uses
the gradient estimate d = -(2x - 1) * grad f(x) with proposal softmax(d / 2) and the MH
correction with the reverse proposal; block_gibbs is the RBM's alternating sweep.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import numpy as np

from .kernels import backend_of
from .models import UserModel, callback_output
from .numpy_kernels import UserChains
from .result import SampleResult

__all__ = ["sample_numpy"]


def _log_softmax(a: np.ndarray) -> np.ndarray:
    m = a.max(1, keepdims=True)
    return a - m - np.log(np.exp(a - m).sum(1, keepdims=True))


class _GenericState:
    """f and grad of a batch recomputed through the model's callables, their outputs checked
    on every call (errors name the callback and the step; step 0 is the initial states)."""

    def __init__(self, model: Any, X: np.ndarray) -> None:
        self.model, self.step = model, 0
        self.f, self.g = self._evaluate(X)
        self.q = None

    def _evaluate(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(self.model, UserModel):  # checks its callbacks itself
            return self.model.log_prob(X, step=self.step), self.model.grad(X, step=self.step)
        return (callback_output(self.model.log_prob(X), "log_prob", X.shape[:1], self.step),
                callback_output(self.model.grad(X), "grad", X.shape, self.step))

    def propose(self, X: np.ndarray, Y: np.ndarray, flip: np.ndarray,
                picks: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
        self.step += 1
        return (None, *self._evaluate(Y))

    def accept(self, accept: np.ndarray, extra: Any, fy: np.ndarray, gy: np.ndarray) -> None:
        self.f = np.where(accept, fy, self.f)
        self.g = np.where(accept[:, None], gy, self.g)


class _RBMState:
    """RBM batch state: pre-activations A = X W^T + c kept incrementally in float64 (exact
    f differences; refreshed from scratch every 64 steps), gradients through one float32
    matrix-matrix product per step (the proposal only needs to be a fixed function of x)."""

    def __init__(self, model: Any, X: np.ndarray) -> None:
        self.model, self.W32, self.WT = model, model.W.astype(np.float32), np.ascontiguousarray(model.W.T)
        self.steps = 0
        self.reset(X)

    def reset(self, X: np.ndarray) -> None:
        self.A = X @ self.model.W.T + self.model.c
        self.f = X @ self.model.b + np.logaddexp(0.0, self.A).sum(1)
        self.g = self._grad(self.A)
        self.q = None

    def _grad(self, A: np.ndarray) -> np.ndarray:
        sig = (1.0 / (1.0 + np.exp(-A))).astype(np.float32)
        return self.model.b + (sig @ self.W32).astype(np.float64)

    def propose(self, X: np.ndarray, Y: np.ndarray, flip: np.ndarray,
                picks: np.ndarray) -> tuple[Any, np.ndarray, np.ndarray]:
        if picks.shape[0] == 1:  # one flip per chain: add +-column of W
            rows = np.arange(X.shape[0])
            A = self.A + (1.0 - 2.0 * X[rows, picks[0]])[:, None] * self.WT[picks[0]]
        else:
            rows, cols = np.nonzero(flip)
            A = self.A.copy()
            np.add.at(A, rows, (1.0 - 2.0 * X[rows, cols])[:, None] * self.WT[cols])
        fy = Y @ self.model.b + np.logaddexp(0.0, A).sum(1)
        return A, fy, self._grad(A)

    def accept(self, accept: np.ndarray, A: np.ndarray, fy: np.ndarray, gy: np.ndarray) -> None:
        self.A = np.where(accept[:, None], A, self.A)
        self.f = np.where(accept, fy, self.f)
        self.g = np.where(accept[:, None], gy, self.g)


def _proposal(X: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unnormalised proposal weights exp(d/2 - max) and log normalisers, d = -(2x-1) grad."""
    half = -(2.0 * X - 1.0) * g * 0.5
    top = half.max(1, keepdims=True)
    w = np.exp(half - top)
    return w, (top[:, 0] + np.log(w.sum(1))), half


def _gwg_step(state: Any, X: np.ndarray, rng: np.random.Generator, n_flips: int) -> tuple[np.ndarray, np.ndarray]:
    K, D = X.shape
    w, log_z, half = state.q if getattr(state, "q", None) is not None else _proposal(X, state.g)
    # Inverse-CDF draws (one uniform per chain and flip), with replacement.
    cdf = np.cumsum(w, axis=1)
    u = rng.random((n_flips, K)) * cdf[:, -1]
    picks = np.stack([(cdf < u[n][:, None]).sum(1) for n in range(n_flips)])
    picks = np.minimum(picks, D - 1)
    rows = np.arange(K)
    flip = np.zeros((K, D), dtype=bool)
    flip[np.broadcast_to(rows, picks.shape), picks] = True  # repeated picks flip once
    Y = np.where(flip, 1.0 - X, X)
    extra, fy, gy = state.propose(X, Y, flip, picks)
    q_new = _proposal(Y, gy)
    log_fwd = (half[rows, picks] - log_z).sum(0)
    log_rev = (q_new[2][rows, picks] - q_new[1]).sum(0)
    log_accept = fy - state.f + log_rev - log_fwd
    accept = np.log(1.0 - rng.random(K)) < log_accept
    state.accept(accept, extra, fy, gy)
    a = accept[:, None]
    state.q = (np.where(a, q_new[0], w), np.where(accept, q_new[1], log_z), np.where(a, q_new[2], half))
    return np.where(a, Y, X), accept


def _blas_limit() -> Any:
    """numpy's BLAS on one thread: the per-step products are small and a busy machine makes
    multi-threaded BLAS spin (measured 10x slower on 2 loaded cores)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional dependency
        return contextlib.nullcontext()
    return threadpool_limits(1, user_api="blas")


class _BinaryChains:
    """The non-user paths: binary GWG on an RBM or a model with log_prob / grad methods, and
    block_gibbs, as one step per call (X float 0/1)."""

    def __init__(self, model: Any, kernel: str, X: np.ndarray, n_flips: int) -> None:
        self.model, self.kernel, self.n_flips, self.X = model, kernel, n_flips, X.astype(np.float64)
        self.state = None
        if kernel == "gwg":
            rbm = backend_of(model).family == "rbm"
            self.state = _RBMState(model, self.X) if rbm else _GenericState(model, self.X)

    @property
    def f(self) -> np.ndarray:
        return self.state.f if self.state is not None else self.model.log_prob(self.X)

    def step(self, t: int, rng: np.random.Generator) -> np.ndarray:
        if self.kernel == "gwg":
            self.X, acc = _gwg_step(self.state, self.X, rng, self.n_flips)
            if isinstance(self.state, _RBMState) and (t + 1) % 64 == 0:
                self.state.reset(self.X)  # drop accumulated rounding in A
            return acc
        Y = self.model.block_gibbs(self.X, rng)
        acc = (Y != self.X).any(1)
        self.X = Y
        return acc


def sample_numpy(model: Any, kernel: str, n_chains: int, n_steps: int, burn_in: int, thin: int,
                 seed: int, init: np.ndarray, names: list[str], ref: np.ndarray | None, n_flips: int,
                 callback: Any, statistic: np.ndarray | None = None,
                 params: dict[str, Any] | None = None) -> SampleResult:
    """Runs ``kernel`` (checked against the model by :func:`ttsolve.mcmc.kernels.resolve`) on
    all chains at once: any kind of :mod:`ttsolve.mcmc.numpy_kernels` on user models, "gwg" or
    "block_gibbs" on the others."""
    rng = np.random.default_rng([seed, 0x6A6])
    D = model.dim
    n_kept = n_steps // thin
    samples = np.zeros((n_chains, n_kept, D), dtype=np.uint8) if "samples" in names else None
    stats = {n: np.full((n_chains, n_kept), np.nan) for n in names if n not in ("samples", "counts")}
    K = int(getattr(model, "n_states", 2))
    counts = np.zeros((n_chains, D, K), dtype=np.int64) if "counts" in names else None
    reference = np.zeros(D, dtype=np.int64) if ref is None else ref.astype(np.int64)  # (D,) or (n_chains, D)
    sites = np.arange(D)
    user = backend_of(model).family == "user"
    chains: Any = UserChains(model, kernel, params or {}, init, n_flips) if user else \
        _BinaryChains(model, kernel, init, n_flips)
    accepted = np.zeros(n_chains)
    total, done, kept, interrupted = burn_in + n_steps, 0, 0, False
    start, last_report = time.perf_counter(), time.perf_counter()
    try:
        with _blas_limit():
            for t in range(total):
                accepted += chains.step(t, rng)
                done = t + 1
                if t >= burn_in and (t - burn_in + 1) % thin == 0 and kept < n_kept:
                    X = chains.X
                    if samples is not None:
                        samples[:, kept] = X
                    if "energy" in stats:
                        stats["energy"][:, kept] = chains.f
                    if "magnetization" in stats:
                        stats["magnetization"][:, kept] = (2.0 * X - 1.0).mean(1)
                    if "hamming" in stats:
                        stats["hamming"][:, kept] = (X != reference).sum(1)
                    if counts is not None:
                        np.add.at(counts, (np.arange(n_chains)[:, None], sites[None, :], X.astype(np.int64)), 1)
                    if "statistic" in stats:
                        stats["statistic"][:, kept] = statistic[sites[None, :], X.astype(np.int64)].sum(1)
                    kept += 1
                if callback is not None and time.perf_counter() - last_report > 0.1:
                    callback(done, total)
                    last_report = time.perf_counter()
    except KeyboardInterrupt:
        interrupted = True
    if callback is not None and not interrupted:
        callback(done, total)
    seconds = time.perf_counter() - start
    Xu = chains.X.astype(np.uint8)
    final = np.asarray(chains.f, dtype=np.float64) if user else model.log_prob(Xu)
    return SampleResult(None if samples is None else samples[:, :kept],
                        {n: a[:, :kept] for n, a in stats.items()}, accepted / max(done, 1),
                        final, Xu, seconds, interrupted, {"steps_done": done}, counts)
