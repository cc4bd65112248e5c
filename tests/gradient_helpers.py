"""Dense pairwise models for the gradient-sampler tests (until ttsolve.mcmc.categorical lands).

``DensePairwise(J, b)`` holds f(x) = sum_i b[i, x_i] + 1/2 sum_{i != j} J[i, j, x_i, x_j] and
hands the compiled engines the CSR layout of csrc/mcmc/pairwise_model.hpp.
"""

from __future__ import annotations

import numpy as np

from ttsolve.mcmc.kernels import Backend


def pairwise_arrays(J, b):
    """(indptr, indices, blocks, bias) of the CSR layout, one K x K block per stored pair."""
    J = np.asarray(J, dtype=float)
    D, _, K, _ = J.shape
    indptr, indices, blocks = [0], [], []
    for i in range(D):
        for j in range(D):
            if i != j and np.any(J[i, j] != 0):
                indices.append(j)
                blocks.append(J[i, j])
        indptr.append(len(indices))
    return (np.array(indptr, np.int64), np.array(indices, np.int64),
            np.array(blocks, float).reshape(-1, K, K), np.ascontiguousarray(b, dtype=float))


class DensePairwise:
    def __init__(self, J, b):
        self.J = np.asarray(J, dtype=float)
        self.b = np.asarray(b, dtype=float)
        self.dim, self.n_states = self.b.shape

    def log_prob(self, X):
        X = np.asarray(X)
        onehot = (X[..., None] == np.arange(self.n_states)).astype(float)
        return 0.5 * np.einsum("nia,ijab,njb->n", onehot, self.J, onehot) + np.einsum("nia,ia->n", onehot, self.b)

    def mcmc_backend(self):
        return Backend("pairwise", pairwise_arrays(self.J, self.b), self.n_states)


def random_pairwise(rng, D, K, coupling=1.0, field=1.0, density=1.0):
    """Random symmetric J (J[i, j, a, b] = J[j, i, b, a], zero diagonal blocks) and b."""
    J = rng.normal(scale=coupling, size=(D, D, K, K))
    J = 0.5 * (J + J.transpose(1, 0, 3, 2))
    keep = np.triu(rng.random((D, D)) < density, 1)
    keep = keep | keep.T
    J *= keep[:, :, None, None]
    J[np.arange(D), np.arange(D)] = 0.0
    return J, rng.normal(scale=field, size=(D, K))
