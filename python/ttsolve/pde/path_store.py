"""The forward paths of one solve, held in full or as checkpoints regenerated on demand.

The backward sweep of :func:`ttsolve.pde.solve` visits the time steps N-1, ..., 0 and at step n
needs X_n, X_{n+1} and the increment xi_n of every path. The increments are counter-based: the
standard normals of path k at step n are the Philox stream (seed, n 2^40 + k) of
``_core.pde.gaussian_rows``, so any step of any path can be drawn again, identically, whatever
the thread count. That allows two layouts with bitwise the same paths:

- ``full``: X (N+1, K, d) held for the whole sweep, 8 (N + 1) K d bytes;
- ``checkpoints``: X_n held only at n = 0, B, 2B, ...; when the sweep enters the segment
  [sB, (s+1)B] it is simulated again from its checkpoint (B Euler steps: one more forward
  simulation in total), so only about (N/B + B + 1) K d doubles are held (B ~ sqrt(N):
  21 K d instead of 101 K d for N = 100, which lets K = 10^5 paths in d = 100 run in ~2 GiB).

The increments xi_n are not stored in either layout: the martingale term of the schemes without
inner samples draws them again from their streams when step n needs them.

g(X_n) is kept for every step ((N+1) K doubles, small). :func:`storage_plan` picks the layout:
full when it takes at most :data:`FULL_STORAGE_MAX_BYTES`, else checkpoints.
"""

from __future__ import annotations

import math
from typing import Callable, Optional

import numpy as np

from .._extension import _core
from .._validation import _all_finite
from .paths import DEFAULT_MAX_BYTES, euler_maruyama
from .problem import Problem

__all__ = ["PathStore", "storage_plan", "path_bytes", "path_normals", "FULL_STORAGE_MAX_BYTES", "STEP_STRIDE"]

# The stream of path k at step n is n * STEP_STRIDE + k: K < 2^40 paths, N < 2^24 steps.
STEP_STRIDE = 1 << 40

# Full storage of the paths is chosen while it takes at most this much memory (a quarter of the
# physical memory); beyond, checkpoints.
FULL_STORAGE_MAX_BYTES = DEFAULT_MAX_BYTES // 2


def path_normals(seed: int, n: int, K: int, d: int) -> np.ndarray:
    """(K, d) standard normals of step n for paths 0..K-1: row k is Philox stream
    (seed, n 2^40 + k), so a path's increments do not depend on K, on the layout or on threads."""
    return _core.pde.gaussian_rows(seed, n * STEP_STRIDE, K, d)


def path_bytes(n_steps: int, n_samples: int, dim: int, interval: int) -> int:
    """Bytes held by a PathStore of ``n_samples`` paths with checkpoint spacing ``interval``
    (1: full storage): its X rows, increments and g values."""
    N, K, d, B = n_steps, n_samples, dim, interval
    g_bytes = 8 * (N + 1) * K
    if B == 1:
        return 8 * (N + 1) * K * d + g_bytes
    held = ((N - 1) // B + 1) + B  # checkpoints X_0, X_B, ..., one segment X_{sB+1} .. X_{(s+1)B}
    return 8 * held * K * d + g_bytes


def storage_plan(n_steps: int, n_samples: int, dim: int, max_full_bytes: Optional[int] = None) -> dict:
    """Layout of the paths of a solve (``n_samples``: all its paths, training and validation):
    ``dict(layout, interval, bytes)``; ``interval`` is the checkpoint spacing B (1 for full
    storage) and ``bytes`` what the paths, increments and g values take. Full storage while it
    takes at most ``max_full_bytes`` (default :data:`FULL_STORAGE_MAX_BYTES`), else checkpoints
    every B = round(sqrt(N)) steps, which minimises N / B + B."""
    N, K, d = n_steps, n_samples, dim
    limit = FULL_STORAGE_MAX_BYTES if max_full_bytes is None else max_full_bytes
    full = path_bytes(N, K, d, 1)
    B = max(1, round(math.sqrt(N)))
    if full <= limit or B == 1 or path_bytes(N, K, d, B) >= full:
        return dict(layout="full", interval=1, bytes=full)
    return dict(layout="checkpoints", interval=B, bytes=path_bytes(N, K, d, B))


class PathStore:
    """Euler-Maruyama paths of ``problem`` with counter-based increments (see the module doc).

    ``X(n)`` and ``xi(n)`` return the (K, d) state and standard normal increment of step n
    (X_{n+1} = X_n + b dt + sigma xi_n sqrt(dt)); ``g`` is the (N+1, K) array of g(X_n). ``X(n)``
    returns a read-only view, valid until a call of ``X`` for another segment (in a backward
    sweep: until step n // B is left); ``xi(n)`` a new array. ``interval``: checkpoint spacing B
    (1: full storage).
    ``g_values(X, n)`` evaluates (and checks) g; paths with NaN or inf raise ValueError."""

    def __init__(self, problem: Problem, n_steps: int, n_samples: int, seed: int,
                 g_values: Callable[[np.ndarray, int], np.ndarray], interval: int = 1):
        self.problem = problem
        self.N, self.K, self.d = int(n_steps), int(n_samples), problem.dim
        if self.K >= STEP_STRIDE or self.N >= 1 << 24:
            raise ValueError(f"n_samples must be < 2^40 and n_steps < 2^24, got {self.K}, {self.N}")
        self.seed = int(seed)
        self.interval = max(1, int(interval))
        self.dt = float(problem.T) / self.N
        self.layout = "full" if self.interval == 1 else "checkpoints"
        N, K, d, B = self.N, self.K, self.d, self.interval
        start = np.broadcast_to(np.asarray(problem.x0, dtype=float), (K, d))
        self.g = np.empty((N + 1, K))
        if self.layout == "full":
            self._X = np.empty((N + 1, K, d))
        else:
            self._X = np.empty(((N - 1) // B + 1, K, d))  # checkpoints X_0, X_B, X_2B, ...
            self._seg_X = np.empty((B, K, d))  # X_{sB+1} .. X_{(s+1)B} of segment s
            self._segment_id = -1
        X = np.array(start)
        self._X[0] = X
        self.g[0] = g_values(X, 0)
        for n, xi, _, X in euler_maruyama(problem, X, 0.0, self.dt, N, self._normals):
            if not _all_finite(X):
                raise ValueError(f"drift/sigma produced NaN or inf paths (time step {n + 1})")
            self.g[n + 1] = g_values(X, n + 1)
            if self.layout == "full":
                self._X[n + 1] = X
            elif (n + 1) % B == 0 and n + 1 < N:
                self._X[(n + 1) // B] = X
        self._X.flags.writeable = False

    @property
    def nbytes(self) -> int:
        held = self._X.nbytes + self.g.nbytes
        return held if self.layout == "full" else held + self._seg_X.nbytes

    def _normals(self, n: int) -> np.ndarray:
        return path_normals(self.seed, n, self.K, self.d)

    def _load_segment(self, s: int) -> None:
        """Simulate steps sB .. min((s+1)B, N) again from checkpoint s (the same numbers)."""
        B = self.interval
        first, last = s * B, min((s + 1) * B, self.N)
        for i, _, _, X in euler_maruyama(self.problem, self._X[s], 0.0, self.dt, last - first,
                                         lambda i: self._normals(first + i), first_step=first):
            self._seg_X[i] = X
        self._segment_id = s

    def _segment(self, s: int) -> None:
        if self._segment_id != s:
            self._load_segment(s)

    @staticmethod
    def _readonly(a: np.ndarray) -> np.ndarray:
        out = a.view()
        out.flags.writeable = False
        return out

    def X(self, n: int) -> np.ndarray:
        """X_n (K, d). Checkpoints: X_{sB} comes from its checkpoint, any other X_n from segment
        (n - 1) // B, so that step n's X_n and X_{n+1} come from segment n // B (one
        regeneration per segment in a backward sweep)."""
        if not 0 <= n <= self.N:
            raise IndexError(f"time index {n} outside 0..{self.N}")
        if self.layout == "full":
            return self._X[n]
        B = self.interval
        if n % B == 0 and n < self.N:
            return self._X[n // B]
        s = (n - 1) // B
        self._segment(s)
        return self._readonly(self._seg_X[n - 1 - s * B])

    def xi(self, n: int) -> np.ndarray:
        """The standard normal increment xi_n (K, d) of step n -> n + 1, drawn again from its
        streams (a new array)."""
        if not 0 <= n < self.N:
            raise IndexError(f"increment index {n} outside 0..{self.N - 1}")
        return self._normals(n)
