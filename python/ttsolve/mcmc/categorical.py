"""Categorical pairwise models on x in {0..K-1}^D, sampled by the compiled "pairwise" engine.

Every model here is one instance of

    f(x) = sum_i b[i, x_i] + sum_{i < j} J_ij[x_i, x_j],   J_ij[a, b] = J_ji[b, a],

(equivalently 1/2 sum_i sum_{j in N(i)} J_ij[x_i, x_j], the convention of
csrc/mcmc/pairwise_model.hpp and tests/reference/discrete_models.potts), stored sparsely: CSR
over sites, one K x K block per stored (i, j) with both directions stored. ``grad(X)`` is the
gradient of the one-hot relaxation, g[i, k] = b[i, k] + sum_j J_ij[k, x_j]; f is linear in each
site's one-hot vector, so g[i, k] - g[i, x_i] is exactly the change of f when site i moves to k.

- :class:`Potts` (general couplings, dense (D, D, K, K) or a dict of blocks),
- :class:`PottsLattice` (nearest-neighbour lattice, the GWG / DISCS Potts benchmarks),
- :class:`Categorical` (independent sites, DISCS's calibration model),
- :class:`Bernoulli` (independent binary sites, K = 2).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .._validation import as_real_array, check_int, check_real, is_int
from .kernels import Backend

__all__ = ["PairwiseCategorical", "Potts", "PottsLattice", "Categorical", "Bernoulli"]

_MAX_STATES = 255  # states are stored as uint8


def _check_states(n_states: Any) -> int:
    K = check_int(n_states, "n_states")
    if K < 2:
        raise ValueError(f"n_states must be >= 2 (K < 2 has nothing to sample), got {K}")
    if K > _MAX_STATES:
        raise ValueError(f"n_states must be <= {_MAX_STATES}, got {K}")
    return K


class PairwiseCategorical:
    """Shared storage and evaluation of the pairwise categorical form (see the module doc).

    Attributes
    ----------
    dim, n_states : int
    indptr, indices : (D + 1,), (nnz,) int64, CSR over sites (row i: neighbours j != i)
    blocks : (nnz, K, K) float64, blocks[e] = J_ij for the e-th stored (i, j)
    bias : (D, K) float64
    """

    dim: int
    n_states: int

    def _set_form(self, bias: np.ndarray, rows: np.ndarray, cols: np.ndarray, blocks: np.ndarray) -> None:
        """Both directions of every pair given: sorts into CSR and checks the symmetry."""
        D, K = bias.shape
        order = np.lexsort((cols, rows))
        rows, cols, blocks = rows[order], cols[order], blocks[order]
        if rows.size and np.any((rows[1:] == rows[:-1]) & (cols[1:] == cols[:-1])):
            raise ValueError("J lists a pair (i, j) twice")
        self.dim, self.n_states = int(D), int(K)
        self.indptr = np.searchsorted(rows, np.arange(D + 1)).astype(np.int64)
        self.indices = np.ascontiguousarray(cols, dtype=np.int64)
        self.blocks = np.ascontiguousarray(blocks, dtype=np.float64).reshape(-1, K, K)
        self.bias = np.ascontiguousarray(bias, dtype=np.float64)
        self._rows = np.ascontiguousarray(rows, dtype=np.int64)
        # reverse entry of each (i, j) is (j, i), whose block must be the transpose
        rev = np.lexsort((rows, cols))  # entries sorted by (j, i): position of (j, i) among (i, j)-sorted
        if rows.size and not (np.array_equal(rows[rev], cols) and np.array_equal(cols[rev], rows)):
            raise ValueError("J must be symmetric: J[j, i] is missing for a stored J[i, j]")
        scale = max(1.0, float(np.abs(self.blocks).max(initial=0.0)))
        if rows.size and np.abs(self.blocks - self.blocks[rev].transpose(0, 2, 1)).max() > 1e-12 * scale:
            raise ValueError("J must satisfy J[i, j, a, b] == J[j, i, b, a]")
        self._incidence = sp.csr_matrix((np.ones(rows.size), (rows, np.arange(rows.size))),
                                        shape=(D, max(rows.size, 1)))

    def mcmc_backend(self) -> Backend:
        """The compiled pairwise engine on (indptr, indices, blocks, bias)."""
        return Backend("pairwise", (self.indptr, self.indices, self.blocks, self.bias), self.n_states)

    @property
    def n_edges(self) -> int:
        """Number of coupled pairs i < j."""
        return int(self.indices.size // 2)

    def _states(self, X: Any) -> np.ndarray:
        a = np.asarray(X)
        if a.ndim == 1:
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != self.dim:
            raise ValueError(f"X must have shape (n, {self.dim}), got {np.shape(X)}")
        if a.dtype.kind not in "iuf" or not np.isin(a, np.arange(self.n_states)).all():
            raise ValueError(f"X must contain only states 0..{self.n_states - 1}")
        return a.astype(np.int64)

    def log_prob(self, X: Any) -> np.ndarray:
        """f(x) for an (n, D) batch of integer states (or one (D,) state), shape (n,)."""
        X = self._states(X)
        unary = self.bias[np.arange(self.dim), X].sum(1)
        if not self.indices.size:
            return unary
        pair = self.blocks[np.arange(self.indices.size), X[:, self._rows], X[:, self.indices]]
        return unary + 0.5 * pair.sum(1)

    def grad(self, X: Any) -> np.ndarray:
        """Gradient of the one-hot relaxation, (n, D, K): g[n, i, k] = b[i, k] + sum_j J_ij[k, x_j]."""
        X = self._states(X)
        n, D, K = X.shape[0], self.dim, self.n_states
        out = np.broadcast_to(self.bias, (n, D, K)).copy()
        if self.indices.size:
            nnz = self.indices.size
            cols = self.blocks.transpose(0, 2, 1)[np.arange(nnz)[None, :], X[:, self.indices]]  # (n, nnz, K)
            out += (self._incidence @ cols.transpose(1, 0, 2).reshape(nnz, n * K)).reshape(D, n, K).transpose(1, 0, 2)
        return out

    def couplings(self) -> np.ndarray:
        """Dense J (D, D, K, K) (small models: tests and exact enumeration)."""
        J = np.zeros((self.dim, self.dim, self.n_states, self.n_states))
        J[self._rows, self.indices] = self.blocks
        return J

    def _enumerate(self) -> tuple[np.ndarray, np.ndarray]:
        """All K**D states (site 0 most significant) with their normalised probabilities."""
        if self.dim * np.log2(self.n_states) > 22:
            raise ValueError(f"K**D = {self.n_states}**{self.dim} states are too many to enumerate (limit 2**22)")
        r = np.arange(self.n_states ** self.dim)
        S = (r[:, None] // self.n_states ** np.arange(self.dim - 1, -1, -1)[None, :]) % self.n_states
        lp = np.concatenate([self.log_prob(S[a:a + 1 << 14]) for a in range(0, len(S), 1 << 14)])
        top = lp.max()
        w = np.exp(lp - top)
        self._log_z = float(top + np.log(w.sum()))
        return S, w / w.sum()

    def log_partition(self) -> float:
        """log sum_x exp f(x) by enumeration of the K**D states (small models)."""
        self._enumerate()
        return self._log_z

    def exact_marginals(self) -> np.ndarray:
        """Exact P(x_i = k), (D, K), by enumeration of the K**D states (small models)."""
        S, p = self._enumerate()
        return np.stack([np.bincount(S[:, i], weights=p, minlength=self.n_states) for i in range(self.dim)])

    def _describe(self) -> str:
        return f"dim={self.dim}, n_states={self.n_states}, edges={self.n_edges}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._describe()})"


def _bias(b: Any, D: int, K: int, name: str = "b") -> np.ndarray:
    if b is None:
        return np.zeros((D, K))
    b = as_real_array(b, name)
    try:
        return np.broadcast_to(b, (D, K)).copy()
    except ValueError:
        raise ValueError(f"{name} must broadcast to shape ({D}, {K}), got shape {b.shape}") from None


class Potts(PairwiseCategorical):
    """General pairwise categorical model f(x) = sum_i b[i, x_i] + sum_{i<j} J[i, j, x_i, x_j].

    Parameters
    ----------
    J : array_like (D, D, K, K) or dict {(i, j): (K, K) array}
        Dense: must satisfy J[i, j, a, b] == J[j, i, b, a] (to 1e-12 relative) and have zero
        diagonal blocks J[i, i] (put fields in b); all-zero blocks are not stored. Dict
        (block-sparse, e.g. a protein contact map): each pair once, as (i, j) -> J_ij with
        J_ji = J_ij^T implied, or both ways (then checked to be transposes); i != j. The dict
        form needs b (or ``dim``) unless the largest index is the last site.
    b : array_like broadcastable to (D, K), optional (default zeros)
    dim : int, optional
        Number of sites for the dict form without b.
    """

    def __init__(self, J: Any, b: Any = None, *, dim: int | None = None) -> None:
        if isinstance(J, dict):
            self._from_blocks(J, b, dim)
            return
        Jd = as_real_array(J, "J")
        if Jd.ndim != 4 or Jd.shape[0] != Jd.shape[1] or Jd.shape[2] != Jd.shape[3] or Jd.shape[0] < 1:
            raise ValueError(f"J must have shape (D, D, K, K), got {Jd.shape}")
        D, K = Jd.shape[0], _check_states(Jd.shape[2])
        scale = max(1.0, float(np.abs(Jd).max()))
        if np.abs(Jd - Jd.transpose(1, 0, 3, 2)).max() > 1e-12 * scale:
            raise ValueError("J must satisfy J[i, j, a, b] == J[j, i, b, a]")
        if np.any(Jd[np.arange(D), np.arange(D)] != 0):
            raise ValueError("J[i, i] blocks must be zero (put single-site fields in b)")
        rows, cols = np.nonzero(np.abs(Jd).reshape(D, D, -1).max(-1) > 0)
        self._set_form(_bias(b, D, K), rows, cols, Jd[rows, cols])

    def _from_blocks(self, J: dict, b: Any, dim: Any) -> None:
        if not J and b is None and dim is None:
            raise ValueError("an empty dict J needs b or dim to know the number of sites")
        pairs: dict[tuple[int, int], np.ndarray] = {}
        K = None
        for key, block in J.items():
            if not (isinstance(key, tuple) and len(key) == 2 and all(is_int(v) for v in key)):
                raise TypeError(f"J's keys must be (i, j) pairs of integers, got {key!r}")
            i, j = int(key[0]), int(key[1])
            if i < 0 or j < 0:
                raise IndexError(f"J's site indices must be >= 0, got {key!r}")
            if i == j:
                raise ValueError(f"J[{i}, {i}] blocks must be zero (put single-site fields in b)")
            B = as_real_array(block, f"J[{i}, {j}]")
            if B.ndim != 2 or B.shape[0] != B.shape[1] or (K is not None and B.shape[0] != K):
                raise ValueError(f"J[{i}, {j}] must be a (K, K) block with one K for all, got shape {B.shape}")
            K = B.shape[0]
            if (j, i) in pairs:
                scale = max(1.0, float(np.abs(B).max()))
                if np.abs(pairs[(j, i)] - B.T).max() > 1e-12 * scale:
                    raise ValueError(f"J must satisfy J[i, j, a, b] == J[j, i, b, a]; J[{i}, {j}] != J[{j}, {i}]^T")
                continue
            pairs[(i, j)] = B
        top = 1 + max((max(k) for k in pairs), default=-1)
        if b is not None:
            bb = as_real_array(b, "b")
            if bb.ndim != 2:
                raise ValueError(f"b must have shape (D, K) with the dict form of J, got {bb.shape}")
            D = bb.shape[0]
            K = bb.shape[1] if K is None else K
        else:
            D = check_int(dim, "dim", 1) if dim is not None else top
        K = _check_states(K)
        if dim is not None and check_int(dim, "dim", 1) != D:
            raise ValueError(f"dim = {dim} disagrees with b's {D} sites")
        if top > D:
            raise IndexError(f"J names site {top - 1} but the model has {D} sites")
        keys = list(pairs)
        rows = np.array([i for i, j in keys] + [j for i, j in keys], dtype=np.int64)
        cols = np.array([j for i, j in keys] + [i for i, j in keys], dtype=np.int64)
        blocks = np.array([pairs[k] for k in keys] + [pairs[k].T for k in keys]).reshape(-1, K, K)
        self._set_form(_bias(b, D, K), rows, cols, blocks)


class PottsLattice(PairwiseCategorical):
    """Potts model on a 1-D/2-D/... grid: f(x) = coupling x (number of agreeing neighbour pairs) + sum_i bias[i, x_i].

    Parameters
    ----------
    shape : tuple of int
        Lattice sides (sites numbered in C order).
    n_states : int >= 2
    coupling : float
        Reward for each neighbouring pair in the same state (J_ij = coupling * I_K).
    bias : float or array_like broadcastable to (D, K), or of shape ``shape + (K,)``
    periodic : bool
        Wrap-around neighbours (a side of length 2 couples its two sites once; a side of 1
        has no neighbours along it).
    """

    def __init__(self, shape: Any, n_states: int, coupling: float, bias: Any = 0.0, periodic: bool = True) -> None:
        sides = np.atleast_1d(np.asarray(shape, dtype=object))
        if sides.ndim != 1 or not all(is_int(n) for n in sides):
            raise TypeError(f"shape must be a sequence of integers, got {shape!r}")
        shape = tuple(int(n) for n in sides)
        if not shape or any(n < 1 for n in shape):
            raise ValueError(f"shape must have sides >= 1, got {shape}")
        K = _check_states(n_states)
        coupling = check_real(coupling, "coupling")
        D = int(np.prod(shape))
        bias_arr = as_real_array(bias, "bias")
        if bias_arr.shape == (*shape, K) and len(shape) > 1:
            bias_arr = bias_arr.reshape(D, K)
        index = np.arange(D).reshape(shape)
        src, dst = [], []
        for axis, n in enumerate(shape):
            if periodic and n > 2:
                a, c = index.ravel(), np.roll(index, -1, axis=axis).ravel()
            elif n > 1:  # open boundaries, or a periodic side of 2 (its pair once)
                a = np.take(index, np.arange(n - 1), axis=axis).ravel()
                c = np.take(index, np.arange(1, n), axis=axis).ravel()
            else:
                continue
            src.append(a)
            dst.append(c)
        i = np.concatenate(src) if src else np.zeros(0, np.int64)
        j = np.concatenate(dst) if dst else np.zeros(0, np.int64)
        rows, cols = np.concatenate([i, j]), np.concatenate([j, i])
        blocks = np.broadcast_to(coupling * np.eye(K), (rows.size, K, K))
        if coupling == 0.0:
            rows = cols = np.zeros(0, np.int64)
            blocks = np.zeros((0, K, K))
        self.shape, self.coupling, self.periodic = shape, float(coupling), bool(periodic)
        self._set_form(_bias(bias_arr, D, K, "bias"), rows, cols, blocks)

    def _describe(self) -> str:
        return f"shape={self.shape}, n_states={self.n_states}, coupling={self.coupling:g}, periodic={self.periodic}"


class Categorical(PairwiseCategorical):
    """Independent categorical sites: f(x) = sum_i logits[i, x_i] (DISCS's calibration model).

    Parameters
    ----------
    logits : array_like (D, K), K >= 2
    """

    def __init__(self, logits: Any) -> None:
        L = as_real_array(logits, "logits")
        if L.ndim != 2 or L.shape[0] < 1:
            raise ValueError(f"logits must have shape (D, K), got {L.shape}")
        _check_states(L.shape[1])
        self.logits = L
        empty = np.zeros(0, np.int64)
        self._set_form(L, empty, empty, np.zeros((0, L.shape[1], L.shape[1])))

    def marginals(self) -> np.ndarray:
        """Exact per-site probabilities softmax(logits), (D, K)."""
        p = np.exp(self.logits - self.logits.max(1, keepdims=True))
        return p / p.sum(1, keepdims=True)

    def _describe(self) -> str:
        return f"dim={self.dim}, n_states={self.n_states}"


class Bernoulli(Categorical):
    """Independent binary sites: f(x) = sum_i logits[i] x_i (the K = 2 twin of Categorical).

    Parameters
    ----------
    logits : array_like (D,)
    """

    def __init__(self, logits: Any) -> None:
        L = as_real_array(logits, "logits")
        if L.ndim != 1 or L.size < 1:
            raise ValueError(f"logits must have shape (D,), got {L.shape}")
        super().__init__(np.stack([np.zeros_like(L), L], axis=1))
        self.logits1 = L

    def _describe(self) -> str:
        return f"dim={self.dim}"
