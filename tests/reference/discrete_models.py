"""Tiny discrete models for exact references: f, its one-hot-relaxation gradient, exact pi.

States are integer arrays x in {0..K-1}^D (binary is K = 2). Every model is a
``DiscreteModel``: ``log_prob(x)`` for an (n, D) integer batch, ``f_onehot(X)`` for an
(n, D, K) real batch (the relaxation whose gradient samplers use) and ``grad(x)`` =
d f_onehot / d X at the one-hot of x, shape (n, D, K). For the pairwise models below
f_onehot is linear in each site's one-hot vector, so the gradient difference
grad[i, k] - grad[i, x_i] is the exact change of f when site i moves to k;
``quadratic_onehot`` adds within-site terms, for which it is only a first-order
approximation (the case where gradient samplers and exact-difference samplers differ).

Pure numpy, independent of ttsolve; meant for D K small enough to enumerate K**D states.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = [
    "DiscreteModel",
    "all_states",
    "state_index",
    "one_hot",
    "exact_pi",
    "exact_local_differences",
    "gradient_differences",
    "potts",
    "potts_lattice",
    "categorical",
    "bernoulli",
    "binary_quadratic",
    "quadratic_onehot",
    "random_potts",
]


@dataclass(frozen=True)
class DiscreteModel:
    """Unnormalised log-probability on {0..K-1}^D with its one-hot relaxation."""

    n_sites: int
    n_states: int
    f_onehot: Callable[[np.ndarray], np.ndarray]  # (n, D, K) float -> (n,)
    grad_onehot: Callable[[np.ndarray], np.ndarray]  # (n, D, K) float -> (n, D, K)
    name: str = "model"

    def log_prob(self, x):
        return self.f_onehot(one_hot(x, self.n_states))

    def grad(self, x):
        return self.grad_onehot(one_hot(x, self.n_states))


def one_hot(x, n_states):
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"x must be (n, D), got shape {x.shape}")
    return (x[..., None] == np.arange(n_states)).astype(float)


def all_states(n_sites, n_states):
    """All K**D states, lexicographic with site 0 most significant: row r is the base-K digits of r."""
    r = np.arange(n_states ** n_sites)
    powers = n_states ** np.arange(n_sites - 1, -1, -1)
    return (r[:, None] // powers[None, :]) % n_states


def state_index(x, n_states):
    """Row of each state of the (n, D) batch x in all_states."""
    x = np.asarray(x)
    powers = n_states ** np.arange(x.shape[-1] - 1, -1, -1)
    return x @ powers


def exact_pi(model):
    """pi over all_states(D, K) by enumeration (log-sum-exp normalised)."""
    lp = model.log_prob(all_states(model.n_sites, model.n_states))
    p = np.exp(lp - lp.max())
    return p / p.sum()


def exact_local_differences(model, x):
    """delta[n, i, k] = f(x with site i set to k) - f(x), shape (n, D, K); zero at k = x_i."""
    x = np.asarray(x)
    n, D = x.shape
    K = model.n_states
    base = model.log_prob(x)
    moved = np.broadcast_to(x[:, None, None, :], (n, D, K, D)).copy()
    sites = np.arange(D)
    moved[:, sites, :, sites] = np.arange(K)[None, None, :]
    return model.log_prob(moved.reshape(-1, D)).reshape(n, D, K) - base[:, None, None]


def gradient_differences(model, x):
    """d[n, i, k] = grad f[i, k] - grad f[i, x_i] (the GWG/DISCS first-order estimate of the move's change)."""
    g = model.grad(x)
    cur = np.take_along_axis(g, np.asarray(x)[..., None], axis=-1)
    return g - cur


def _check_symmetric_pairwise(J):
    D, D2, K, K2 = J.shape
    if D != D2 or K != K2:
        raise ValueError(f"J must have shape (D, D, K, K), got {J.shape}")
    if not np.allclose(J, J.transpose(1, 0, 3, 2), atol=1e-12):
        raise ValueError("J must satisfy J[i, j, a, b] == J[j, i, b, a]")
    if np.any(J[np.arange(D), np.arange(D)] != 0):
        raise ValueError("J[i, i] blocks must be zero (fields go in b)")


def potts(J, b):
    """f(x) = sum_{i<j} J[i, j, x_i, x_j] + sum_i b[i, x_i], J symmetric as J[i,j,a,b] = J[j,i,b,a]."""
    J = np.asarray(J, dtype=float)
    b = np.asarray(b, dtype=float)
    _check_symmetric_pairwise(J)
    D, _, K, _ = J.shape
    if b.shape != (D, K):
        raise ValueError(f"b must have shape {(D, K)}, got {b.shape}")

    def f(X):
        return 0.5 * np.einsum("nia,ijab,njb->n", X, J, X) + np.einsum("nia,ia->n", X, b)

    def g(X):
        return np.einsum("ijab,njb->nia", J, X) + b[None]

    return DiscreteModel(D, K, f, g, "potts")


def potts_lattice(shape, n_states, coupling, bias=0.0, periodic=True):
    """Potts on a 1-D/2-D grid: f(x) = coupling * #(agreeing neighbour pairs) + sum_i bias[i, x_i].

    A periodic side of length 2 would count the same pair twice; it is counted once.
    """
    shape = tuple(int(s) for s in shape)
    D = int(np.prod(shape))
    K = int(n_states)
    J = np.zeros((D, D, K, K))
    idx = np.arange(D).reshape(shape)
    for axis in range(len(shape)):
        nxt = np.roll(idx, -1, axis=axis)
        if not periodic:
            keep = [slice(None)] * len(shape)
            keep[axis] = slice(0, shape[axis] - 1)
            pairs = zip(idx[tuple(keep)].ravel(), nxt[tuple(keep)].ravel())
        else:
            pairs = zip(idx.ravel(), nxt.ravel())
        for i, j in pairs:
            if i != j:
                J[i, j] = J[j, i] = coupling * np.eye(K)
    b = np.broadcast_to(np.asarray(bias, dtype=float), (D, K)) if np.ndim(bias) != 1 else \
        np.asarray(bias, dtype=float).reshape(D, K)
    return potts(J, np.array(b))


def categorical(logits):
    """Independent sites: f(x) = sum_i logits[i, x_i] (DISCS's categorical calibration model)."""
    logits = np.asarray(logits, dtype=float)
    D, K = logits.shape
    return DiscreteModel(D, K, lambda X: np.einsum("nia,ia->n", X, logits),
                         lambda X: np.broadcast_to(logits, X.shape).copy(), "categorical")


def bernoulli(logits):
    """Independent binary sites: f(x) = sum_i logits[i] x_i (K = 2)."""
    logits = np.asarray(logits, dtype=float)
    return categorical(np.stack([np.zeros_like(logits), logits], axis=1))


def binary_quadratic(W, b):
    """f(x) = x^T W x / 2 + b^T x on {0,1}^D with W symmetric, zero diagonal (Ising/BQM in 0/1 form)."""
    W = np.asarray(W, dtype=float)
    b = np.asarray(b, dtype=float)
    D = b.shape[0]
    if W.shape != (D, D) or not np.allclose(W, W.T) or np.any(np.diag(W) != 0):
        raise ValueError("W must be a symmetric (D, D) matrix with zero diagonal")
    J = np.zeros((D, D, 2, 2))
    J[:, :, 1, 1] = W
    B = np.stack([np.zeros(D), b], axis=1)
    return potts(J, B)


def quadratic_onehot(A, b, n_states):
    """f(X) = vec(X)^T A vec(X) / 2 + b^T vec(X) with any symmetric A of size D K, within-site blocks allowed.

    Within-site blocks make the gradient difference differ from the exact local difference.
    """
    A = np.asarray(A, dtype=float)
    b = np.asarray(b, dtype=float).ravel()
    n = A.shape[0]
    if A.shape != (n, n) or not np.allclose(A, A.T) or n % n_states or b.shape != (n,):
        raise ValueError("A must be symmetric (D K, D K) and b of length D K")
    D = n // n_states

    def f(X):
        v = X.reshape(X.shape[0], -1)
        return 0.5 * np.einsum("np,pq,nq->n", v, A, v) + v @ b

    def g(X):
        v = X.reshape(X.shape[0], -1)
        return (v @ A + b).reshape(X.shape)

    return DiscreteModel(D, n_states, f, g, "quadratic_onehot")


def random_potts(rng, n_sites, n_states, coupling_scale=1.0, field_scale=1.0):
    """Dense Potts with N(0, scale^2) couplings/fields, symmetrised as J[i,j,a,b] = J[j,i,b,a]."""
    J = rng.normal(scale=coupling_scale, size=(n_sites, n_sites, n_states, n_states))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    J[np.arange(n_sites), np.arange(n_sites)] = 0.0
    b = rng.normal(scale=field_scale, size=(n_sites, n_states))
    return potts(J, b)
