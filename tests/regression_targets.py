"""Targets of known TT rank for the regression tests and bench/regression.py.

A sum of R products of univariate polynomials of degree <= deg, f(x) = sum_m a_m prod_j q_mj(x_j),
has TT rank min(R, p^k, p^(d-k)) at bond k (p = deg + 1) for generic factors. Each factor is
normalised to unit RMS on [-1, 1] (uniform), so every product has RMS 1 and the term weights
a_m set the magnitudes: comparable (all 1) or very different (1, 1e-3, 1e-6, ...).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KnownRankTarget", "known_rank_target", "SUITE", "smooth_targets"]


@dataclass
class KnownRankTarget:
    name: str
    d: int
    deg: int
    weights: tuple
    coef: np.ndarray  # (R, d, deg + 1) monomial coefficients of the normalised factors

    @property
    def rank(self) -> int:
        return len(self.weights)

    def ranks(self) -> tuple:
        p = self.deg + 1
        return tuple([1] + [min(self.rank, p ** min(k, self.d - k)) for k in range(1, self.d)] + [1])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        powers = X[..., None] ** np.arange(self.deg + 1)  # (K, d, p)
        terms = np.einsum("kdp,mdp->kmd", powers, self.coef).prod(axis=2)  # (K, R)
        return terms @ np.asarray(self.weights, dtype=float)


def _unit_rms(c: np.ndarray) -> np.ndarray:
    """Scale the polynomial sum_i c_i x^i to unit RMS on [-1, 1] (exact Gauss quadrature)."""
    t, w = np.polynomial.legendre.leggauss(len(c) + 1)
    v = np.polynomial.polynomial.polyval(t, c)
    return c / np.sqrt(np.sum(w * v * v) / 2)


def known_rank_target(name: str, d: int, weights, deg: int = 2, seed: int = 0) -> KnownRankTarget:
    """Factors 1 + (random coefficients of size a) x + ..., normalised to unit RMS, with
    a = min(0.6, 1.5 / sqrt(d)): the log of a product then has variance O(1) in every d (with
    a fixed a the products become heavy-tailed as d grows, and a few samples dominate every
    sum), while different terms stay far from parallel."""
    rng = np.random.default_rng(seed)
    amp = min(0.6, 1.5 / np.sqrt(d))
    coef = np.zeros((len(weights), d, deg + 1))
    for m in range(len(weights)):
        for j in range(d):
            c = np.concatenate([[1.0], rng.uniform(-amp, amp, deg)])
            coef[m, j] = _unit_rms(c)
    return KnownRankTarget(name, d, deg, tuple(weights), coef)


# name, d, weights, deg
SUITE = [
    ("rank1 d=5", 5, (1.0,), 2),
    ("rank2 d=10", 10, (1.0, 1.0), 2),
    ("rank2 d=30 1e-9", 30, (1.0, 1e-9), 2),  # rank 1 alone: ~3e-10
    ("rank3 d=8", 8, (1.0, -1.0, 1.0), 2),
    ("rank3 d=10 1,1e-3,1e-6", 10, (1.0, 1e-3, 1e-6), 2),
    ("rank4 d=6", 6, (1.0, 0.7, -0.5, 1.0), 3),
    ("rank2 d=50", 50, (1.0, 0.8), 1),
]


def smooth_targets():
    """Smooth non-polynomial targets (name, d, f)."""
    return [
        ("exp(-|x|^2/d)", 6, lambda X: np.exp(-np.sum(X**2, 1) / X.shape[1])),
        ("1/(1+|x|^2/d)", 6, lambda X: 1 / (1 + np.sum(X**2, 1) / X.shape[1])),
        ("sin(sum x)", 6, lambda X: np.sin(np.sum(X, 1))),
    ]
