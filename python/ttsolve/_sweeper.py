"""State of one functional-TT least-squares fit: cores, stacks and local solves (private).

``_Sweeper`` holds the basis values of the training points, the cores (core 0 the centre,
cores 1.. right-orthogonal between sweeps) and their right stacks; a fixed-rank ALS sweep is
one C++ call (``als_sweep``), SALSA's local steps call the same C++ kernels core by core.
The small dense helpers on cores (orthogonalisation, rounding to given ranks) live here too.
"""

from __future__ import annotations

import math

import numpy as np

from . import _salsa
from ._extension import _core
from ._residual import relres
from .basis import product_structure

__all__ = ["Sweeper", "orth_left", "right_orthogonalize", "round_to_ranks", "cold_start_cores",
           "products", "relres", "move_right", "move_left", "MAX_LOCAL"]

MAX_LOCAL = 16384  # unknowns of one local problem (its Gram matrix is 2 GiB)
_MAX_PRODUCT_BYTES = 1 << 30


def orth_left(core: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """core (r, p, r2) -> L (r, k), Q (k, p, r2) right-orthogonal."""
    r, p, r2 = core.shape
    q, rr = np.linalg.qr(core.reshape(r, p * r2).T)
    return rr.T, q.T.reshape(-1, p, r2)


def right_orthogonalize(cores) -> list:
    """The same train with cores 1..d-1 right-orthogonal (core 0 the centre)."""
    cores = [np.array(c) for c in cores]
    for k in range(len(cores) - 1, 0, -1):
        lf, q = orth_left(cores[k])
        cores[k] = q
        cores[k - 1] = np.einsum("ajb,bc->ajc", cores[k - 1], lf)
    return [np.ascontiguousarray(c) for c in cores]


def round_to_ranks(cores, ranks) -> list:
    """Best-in-each-bond SVD truncation of a train to at most ``ranks`` (d + 1 entries),
    returned right-orthogonalised (core 0 the centre). Zero singular values are kept up to
    the requested rank (with orthonormal vectors), so the ranks are exactly min(ranks, size)."""
    cores = right_orthogonalize(cores)
    for k in range(len(cores) - 1):
        r, p, r2 = cores[k].shape
        u, sv, vt = np.linalg.svd(cores[k].reshape(r * p, r2), full_matrices=False)
        keep = max(1, min(ranks[k + 1], len(sv)))
        cores[k] = u[:, :keep].reshape(r, p, keep)
        cores[k + 1] = np.einsum("ab,bjc->ajc", sv[:keep, None] * vt[:keep], cores[k + 1])
    return right_orthogonalize(cores)


def cold_start_cores(ranks, p: int, rng) -> list:
    """Cores near the constant function (phi_0 = 1 in every mode, identity rank coupling)
    plus 1% random entries: products of random univariate polynomials are nearly orthogonal
    to smooth targets, and ALS started there stalls for many sweeps."""
    d = len(ranks) - 1
    cores = [0.01 * rng.standard_normal((ranks[k], p, ranks[k + 1])) for k in range(d)]
    for k in range(d):
        cores[k][:, 0, :] += np.eye(ranks[k], ranks[k + 1])
    return cores


def products(bases, X):
    """Product-basis data for the compressed Gram when it saves work (p >= 3: 2p - 1 product
    functions instead of p(p+1)/2 basis products) and fits in memory; else (None, None)."""
    p = bases[0].size
    K, d = X.shape
    if p < 3 or K * d * (2 * p - 1) * 8 > _MAX_PRODUCT_BYTES:
        return None, None
    return product_structure(bases, X, coordinate_major=True)


def move_right(core, nxt, adapt, rng):
    """SALSA's step across bond k+1 (core k -> k+1): (left-orthogonal core k, core k+1 with the
    factor, active rank of the bond); adapt = (smin, cap), the rank adaptation of _salsa.split_bond."""
    r, p, r2 = core.shape
    r3 = nxt.shape[2]
    u, s, vt = np.linalg.svd(core.reshape(r * p, r2), full_matrices=False)
    b = (vt @ nxt.reshape(r2, p * r3)).T  # orthonormal columns (nxt is right-orthogonal)
    u, s, b, active = _salsa.split_bond(u, s, b, *adapt, rng)
    return (np.ascontiguousarray(u.reshape(r, p, -1)), np.ascontiguousarray((s[:, None] * b.T).reshape(-1, p, r3)),
            active)


def move_left(core, prv, adapt, rng):
    """SALSA's step across bond k (core k -> k-1): (right-orthogonal core k, core k-1 with the
    factor, active rank of the bond)."""
    r, p, r2 = core.shape
    r0 = prv.shape[0]
    u, s, vt = np.linalg.svd(core.reshape(r, p * r2), full_matrices=False)
    a = prv.reshape(r0 * p, r) @ u  # orthonormal columns (prv is left-orthogonal)
    a, s, b, active = _salsa.split_bond(a, s, vt.T, *adapt, rng)
    return (np.ascontiguousarray(b.T.reshape(-1, p, r2)), np.ascontiguousarray((a * s[None, :]).reshape(r0, p, -1)),
            active)


class Sweeper:
    """State of one fit: cores, stacks (C++), and the local solve."""

    def __init__(self, PhiT, y, g, w, cores, reg, extra_coef, rng, product_data=(None, None)):
        """PhiT (d, K, p) and the product-basis values PsiT (d, K, q) are coordinate-major: the
        kernels get per-core contiguous (K, 1, p) slices and stream one coordinate's values.
        ``cores`` must be right-orthogonalised (core 0 the centre)."""
        self.y, self.g, self.w = y, g, w
        self.d, self.K, self.p = PhiT.shape
        self.PhiT = PhiT
        self.Phi = [s[:, None, :] for s in self.PhiT]
        self.product_data = product_data
        self.PsiT, self.Cfull = product_data  # compressed-Gram data (basis.product_structure) or None
        self.Psi = [None] * self.d if self.PsiT is None else [s[:, None, :] for s in self.PsiT]
        self.C = [None] * self.d if self.PsiT is None else [self.Cfull[k : k + 1] for k in range(self.d)]
        self.reg = reg
        self.c = extra_coef
        self.rng = rng
        self.wsum = float(np.sum(w)) if w is not None else float(self.K)
        self.ysq = float(np.sum(y * y if w is None else w * y * y))
        self.fallbacks = 0
        ones = np.ones((self.K, 1))
        self.L = [ones] + [None] * self.d
        self.R = [None] * self.d + [ones]
        self.reset(cores)

    def reset(self, cores):
        """New (right-orthogonalised) cores, possibly of other ranks: recompute the stacks."""
        self.cores = [np.ascontiguousarray(c) for c in cores]
        self.active = [1] + [c.shape[2] for c in self.cores]  # SALSA: active ranks per bond
        for k in range(self.d - 1, 0, -1):
            self.R[k] = _core.regression.als_stack_right(self.R[k + 1], self.Phi[k], 0, self.cores[k])

    def ranks(self) -> tuple:
        return tuple([1] + [c.shape[2] for c in self.cores])

    def solve(self, k: int, salsa=None):
        """Optimise core k (and the extra coefficient) with all other cores fixed.
        salsa = (omega, smin) adds the stabilising penalty of _salsa.penalty."""
        n = self.cores[k].size + (self.g is not None)
        diag = np.full(n, self.reg * self.wsum)
        if self.g is not None:
            diag[-1] = 0.0  # the additive term's coefficient is not penalised
        pen = None
        tsq = self.target_sq()
        if salsa is not None and tsq > 0:
            # coefficient scale floor: 1e-8 of the RMS of the TT's target (keeps it finite)
            pen = tsq * _salsa.penalty(self.cores[k], *salsa, 1e-8 * math.sqrt(tsq / self.wsum))
        x, fallback = _core.regression.als_local_solve(self.L[k], self.Phi[k], self.R[k + 1], 0, self.g, self.w, self.y,
                                            self.Psi[k], self.C[k], diag, pen)
        self.fallbacks += int(fallback)
        shape = self.cores[k].shape
        if self.g is not None:
            self.c = float(x[-1])
            x = x[:-1]
        self.cores[k] = np.ascontiguousarray(x.reshape(shape))

    def target_sq(self) -> float:
        """sum w t^2 for the part the TT represents, t = y - c g: SALSA's data term and
        residual are relative to it (with an additive term, the TT only fits a correction)."""
        if self.g is None:
            return self.ysq
        t = self.y - self.c * self.g
        return float(np.sum(t * t if self.w is None else self.w * t * t))

    def tt_residual(self, res: float) -> float:
        """A residual relative to ||y|| as one relative to the TT's target y - c g."""
        tsq = self.target_sq()
        return res * math.sqrt(self.ysq / tsq) if tsq > 0 else 0.0

    def move_right(self, k: int, adapt):
        """SALSA: make core k left-orthogonal, push the factor into core k+1 and update L[k+1],
        with the rank adaptation of bond k+1 (adapt = (smin, cap))."""
        self.cores[k], self.cores[k + 1], self.active[k + 1] = move_right(self.cores[k], self.cores[k + 1], adapt,
                                                                          self.rng)
        self.L[k + 1] = _core.regression.als_stack_left(self.L[k], self.Phi[k], 0, self.cores[k])

    def move_left(self, k: int, adapt):
        """SALSA: make core k right-orthogonal, push the factor into core k-1, update R[k]."""
        self.cores[k], self.cores[k - 1], self.active[k] = move_left(self.cores[k], self.cores[k - 1], adapt, self.rng)
        self.R[k] = _core.regression.als_stack_right(self.R[k + 1], self.Phi[k], 0, self.cores[k])

    def als_sweep(self) -> np.ndarray:
        """One fixed-rank ALS sweep (a single C++ call for d >= 2; cores and right stacks
        updated in place); returns the training values."""
        if self.d == 1:
            self.solve(0)
            return self.train_values()
        f, c, fallbacks = _core.regression.als_sweep(self.cores, self.R, self.PhiT, self.PsiT, self.Cfull, self.y, self.g,
                                          self.w, self.reg * self.wsum)
        if self.g is not None:
            self.c = c
        self.fallbacks += fallbacks
        return f

    # The two residuals the sweep loops (_als.run_als, Progress) read, as methods so that a
    # sweeper whose samples live on shards (ttsolve.distributed.sweeper) can reduce them there.
    def sweep_residual(self, w) -> float:
        """One ALS sweep; its relative training residual."""
        self.last_values = self.als_sweep()
        return relres(self.last_values, self.y, w)

    def train_residual(self, w) -> float:
        """The relative training residual of the current model (after a full sweep or reset)."""
        self.last_values = self.train_values()
        return relres(self.last_values, self.y, w)

    def residual_correction(self, residual, sweeps: int) -> list:
        """Cores of a rank-1 ALS fit (``sweeps`` sweeps, no ridge, no additive term) of
        ``residual`` on the training points (None: the residual of the last ``sweep_residual``
        or ``train_residual``)."""
        if residual is None:
            residual = self.y - self.last_values
        cores = right_orthogonalize(cold_start_cores([1] * (self.d + 1), self.p, self.rng))
        c = Sweeper(self.PhiT, residual, None, self.w, cores, 0.0, 0.0, self.rng, self.product_data)
        for _ in range(sweeps):
            c.als_sweep()
        return c.cores

    def validation_residual(self, Phiv, gv, yv) -> float:
        return relres(self.values(Phiv, gv), yv, None)

    def train_values(self) -> np.ndarray:
        """f on the training points from the right stack of core 1 (valid after a full sweep,
        when core 0 is the centre): one stack step instead of a full evaluation."""
        f = _core.regression.als_stack_right(self.R[1], self.Phi[0], 0, self.cores[0])[:, 0]
        return f if self.g is None else f + self.c * self.g

    def values(self, Phi, g) -> np.ndarray:
        f = _core.regression.functional_eval(self.cores, Phi, "value", None)
        return f if g is None else f + self.c * g

    def snapshot(self):
        return [c.copy() for c in self.cores], self.c
