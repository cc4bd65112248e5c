"""Binary target models x in {0,1}^D with unnormalised log-probability f(x).

Every model has ``dim``, ``n_states`` (2: binary) and ``log_prob(X) -> (K,)`` for a (K, D)
batch of states (the interface the exact-enumeration diagnostics use), and names the engine
that samples it through ``mcmc_backend()`` (its family and arrays): quadratic models
(:class:`IsingLattice`, :class:`BinaryQuadratic`, :class:`FactorialHMM`) and :class:`RBM`
run compiled engines, any :class:`UserModel` (Python callables ``log_prob`` / ``grad``) the
batched numpy engine.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from .custom import CustomModel, callback_output, checked_call
from .kernels import Backend
from .._validation import as_real_array, check_int, check_real, is_int

__all__ = ["IsingLattice", "BinaryQuadratic", "RBM", "FactorialHMM", "UserModel", "callback_output"]


def as_states(X: Any, name: str = "X", n_states: int = 2, dim: int | None = None, allow_1d: bool = False,
              min_rows: int = 0) -> np.ndarray:
    """``X`` as a C-contiguous uint8 (n, D) array of states 0..n_states-1: the one check of
    state arrays (model evaluation, sampler inits, learning data). A 1-D ``X`` is one row when
    ``allow_1d``. TypeError for non-numeric arrays, ValueError naming ``name`` for a wrong
    shape or width, fewer than ``min_rows`` rows, no columns, or values outside the states."""
    arr = np.asarray(X)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array of states, got dtype {arr.dtype}")
    if allow_1d and arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D (n, D) array, got {arr.ndim}-D")
    if dim is not None and arr.shape[1] != dim:
        raise ValueError(f"{name} must have shape (n, {dim}), got {arr.shape}")
    if arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least {max(min_rows, 1)} row(s) and one column, got shape {arr.shape}")
    if not np.isin(arr, np.arange(n_states)).all():
        raise ValueError(f"{name} must contain only 0/1 values" if n_states == 2 else
                         f"{name} must contain only states 0..{n_states - 1}")
    return np.ascontiguousarray(arr, dtype=np.uint8)


def _as_states(X: Any, dim: int, n_states: int = 2) -> np.ndarray:
    return as_states(X, "X", n_states, dim, allow_1d=True).astype(np.float64)


class _SpinQuadratic:
    """Shared spin form f(s) = s^T W s + h . s (W symmetric CSR with zero diagonal)."""

    dim: int
    n_states = 2
    W: sp.csr_matrix
    h: np.ndarray

    def mcmc_backend(self) -> Backend:
        """Compiled quadratic engine on the spin form's CSR arrays."""
        return Backend("quadratic", self.csr(), self.n_states)

    def _set_spin_form(self, W: sp.spmatrix, h: np.ndarray) -> None:
        W = sp.csr_matrix(W, dtype=np.float64)
        W.setdiag(0.0)
        W.eliminate_zeros()
        W.sum_duplicates()
        W.sort_indices()
        self.W, self.h, self.dim = W, np.ascontiguousarray(h, dtype=np.float64), W.shape[0]

    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, indices, weights, bias) of the spin form, for the compiled kernels."""
        return (self.W.indptr.astype(np.int64), self.W.indices.astype(np.int64),
                self.W.data.astype(np.float64), self.h)

    def log_prob(self, X: Any) -> np.ndarray:
        """f(x) for a (K, D) 0/1 batch (up to the model's additive constant)."""
        S = 2.0 * _as_states(X, self.dim) - 1.0
        return (np.asarray(self.W @ S.T).T * S).sum(1) + S @ self.h

    def grad(self, X: Any) -> np.ndarray:
        """Gradient of f with respect to x (continuous relaxation), shape (K, D)."""
        S = 2.0 * _as_states(X, self.dim) - 1.0
        return 2.0 * (2.0 * (self.W @ S.T).T + self.h)


class IsingLattice(_SpinQuadratic):
    """Lattice Ising model f(x) = s^T (coupling A) s + b . s, s = 2x - 1.

    Parameters
    ----------
    shape : tuple of int
        Lattice sides (sites numbered in C order).
    coupling : float
        Nearest-neighbour coupling (each edge contributes 2 * coupling * s_i s_j).
    bias : float or array_like (D,)
    periodic : bool
        Periodic boundaries (every side must then be >= 2).
    """

    def __init__(self, shape: Any, coupling: float, bias: Any = 0.0, periodic: bool = True) -> None:
        sides = np.atleast_1d(np.asarray(shape, dtype=object))
        if sides.ndim != 1 or not all(is_int(n) for n in sides):  # int() would turn 3.7 into 3
            raise TypeError(f"shape must be a sequence of integers, got {shape!r}")
        shape = tuple(int(n) for n in sides)
        if not shape or any(n < 1 for n in shape):
            raise ValueError(f"shape must have sides >= 1, got {shape}")
        if periodic and any(n < 2 for n in shape):
            raise ValueError("periodic lattices need every side >= 2")
        coupling = check_real(coupling, "coupling")
        dim = int(np.prod(shape))
        bias = np.broadcast_to(as_real_array(bias, "bias"), (dim,)).copy()
        index = np.arange(dim).reshape(shape)
        rows, cols = [], []
        for axis, n in enumerate(shape):
            if periodic:
                src, dst = index.ravel(), np.roll(index, -1, axis=axis).ravel()
            else:
                src = np.take(index, np.arange(n - 1), axis=axis).ravel()
                dst = np.take(index, np.arange(1, n), axis=axis).ravel()
            rows += [src, dst]
            cols += [dst, src]
        r, c = np.concatenate(rows), np.concatenate(cols)
        A = sp.coo_matrix((np.full(r.size, float(coupling)), (r, c)), shape=(dim, dim))
        self.shape, self.coupling, self.periodic = shape, float(coupling), periodic
        self._set_spin_form(A, bias)


class BinaryQuadratic(_SpinQuadratic):
    """Boltzmann machine f(x) = x^T J x + b . x on x in {0,1}^D.

    Parameters
    ----------
    J : array_like or scipy.sparse matrix (D, D)
        Symmetric, finite couplings (the diagonal acts as a linear term since x_i^2 = x_i).
    b : array_like (D,), optional
    """

    def __init__(self, J: Any, b: Any = None) -> None:
        Js = sp.csr_matrix(J) if sp.issparse(J) else None
        if Js is None:
            Jd = as_real_array(J, "J")
            if Jd.ndim != 2 or Jd.shape[0] != Jd.shape[1] or Jd.shape[0] < 1:
                raise ValueError(f"J must be a square (D, D) matrix, got shape {Jd.shape}")
            if not np.array_equal(Jd, Jd.T):
                raise ValueError("J must be symmetric")
            Js = sp.csr_matrix(Jd)
        else:
            if Js.shape[0] != Js.shape[1] or Js.shape[0] < 1:
                raise ValueError(f"J must be square, got shape {Js.shape}")
            Js = sp.csr_matrix((as_real_array(Js.data, "J"), Js.indices, Js.indptr), shape=Js.shape)
            if (Js != Js.T).nnz:
                raise ValueError("J must be symmetric")
        dim = Js.shape[0]
        b = np.zeros(dim) if b is None else as_real_array(b, "b")
        if b.shape != (dim,):
            raise ValueError(f"b must have shape ({dim},), got {b.shape}")
        self.J, self.b = Js, b
        diag = Js.diagonal()
        off_rows = np.asarray(Js.sum(1)).ravel() - diag
        # x = (s + 1) / 2: W = offdiag(J) / 4, h = (b + diag(J) + rowsum_offdiag(J)) / 2.
        self._set_spin_form(Js * 0.25, 0.5 * (b + diag + off_rows))

    def log_prob(self, X: Any) -> np.ndarray:
        X = _as_states(X, self.dim)
        return np.asarray((self.J @ X.T).T * X).sum(1) + X @ self.b

    def grad(self, X: Any) -> np.ndarray:
        X = _as_states(X, self.dim)
        return 2.0 * np.asarray(self.J @ X.T).T + self.b


def _softplus(a: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, a)


class RBM:
    """Bernoulli RBM with hidden units summed out: f(v) = b . v + sum softplus(W v + c).

    Parameters
    ----------
    W : array_like (H, V)
    b : array_like (V,)  visible bias
    c : array_like (H,)  hidden bias
    """

    n_states = 2

    def __init__(self, W: Any, b: Any, c: Any) -> None:
        W = np.ascontiguousarray(as_real_array(W, "W"))
        if W.ndim != 2 or min(W.shape) < 1:
            raise ValueError(f"W must be a 2-D (H, V) matrix, got shape {W.shape}")
        b, c = as_real_array(b, "b"), as_real_array(c, "c")
        if b.shape != (W.shape[1],) or c.shape != (W.shape[0],):
            raise ValueError(f"b must have shape ({W.shape[1]},) and c ({W.shape[0]},)")
        self.W, self.b, self.c, self.dim = W, b, c, W.shape[1]

    def mcmc_backend(self) -> Backend:
        """Compiled RBM engine (gwg); block Gibbs runs on the numpy engine."""
        return Backend("rbm", (self.W, self.b, self.c), self.n_states)

    def log_prob(self, X: Any) -> np.ndarray:
        X = _as_states(X, self.dim)
        return X @ self.b + _softplus(X @ self.W.T + self.c).sum(1)

    def grad(self, X: Any) -> np.ndarray:
        X = _as_states(X, self.dim)
        return self.b + (1.0 / (1.0 + np.exp(-(X @ self.W.T + self.c)))) @ self.W

    def block_gibbs(self, V: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One sweep h ~ p(h | v), v ~ p(v | h) for a (K, V) 0/1 batch."""
        ph = 1.0 / (1.0 + np.exp(-(V @ self.W.T + self.c)))
        H = (rng.random(ph.shape) < ph).astype(np.float64)
        pv = 1.0 / (1.0 + np.exp(-(H @ self.W + self.b)))
        return (rng.random(pv.shape) < pv).astype(np.float64)


class UserModel(CustomModel):
    """A binary model given by Python callables: the K = 2 case of :class:`CustomModel`
    with the binary calling convention (batched numpy path: slower than compiled models).

    Parameters
    ----------
    dim : int
    log_prob : callable (K, D) float 0/1 array -> (K,)
    grad : callable (K, D) -> (K, D), gradient of log_prob's continuous extension (for gwg
        and the other gradient samplers; the one-hot gradient is [0, grad])

    The callables' outputs are checked on every call: a wrong shape (a scalar included), a
    non-real dtype (complex, object) or NaN/inf (e.g. an overflow) raises a ValueError naming
    the callback and, during sampling, the step.
    """

    def __init__(self, dim: int, log_prob: Callable[[np.ndarray], np.ndarray],
                 grad: Callable[[np.ndarray], np.ndarray] | None = None) -> None:
        dim = check_int(dim, "dim", 1)
        if not callable(log_prob) or (grad is not None and not callable(grad)):
            raise TypeError("log_prob and grad must be callable")
        super().__init__(2, log_prob, grad, dim=dim)

    def log_prob(self, X: Any, *, step: int | None = None) -> np.ndarray:
        """log_prob's output for a (K, D) batch, checked; ``step`` only names the MCMC step in errors."""
        X = _as_states(X, self.dim)
        return checked_call(self._log_prob, X, "log_prob", X.shape[:1], step, require_array=False)

    def grad(self, X: Any, *, step: int | None = None) -> np.ndarray:
        """grad's output for a (K, D) batch, checked; ``step`` only names the MCMC step in errors."""
        if self._grad is None:
            raise ValueError("this UserModel has no grad callable (needed by gwg)")
        X = _as_states(X, self.dim)
        return checked_call(self._grad, X, "grad", X.shape, step, require_array=False)

    def evaluate_log_prob(self, X: np.ndarray, step: int | None) -> np.ndarray:
        return self.log_prob(X, step=step)

    def evaluate_grad(self, X: np.ndarray, step: int | None) -> np.ndarray:
        g = self.grad(X, step=step)
        return np.stack([np.zeros_like(g), g], axis=-1)


class FactorialHMM(BinaryQuadratic):
    """Posterior of a factorial HMM (the GWG paper's FHMM), a sparse binary quadratic model.

    K independent binary chains over L time steps, x[t, k] (flattened t * K + k); each chain
    switches state with probability ``p_switch`` per step (uniform initial state); the
    observation is y_t ~ N(w . x_t + b, sigma^2). Up to a constant, the log posterior is
    ``-|y_t - b - w . x_t|^2 / (2 sigma^2)`` summed over t plus log(p / (1 - p)) per switch,
    a quadratic form in x, so it runs on the compiled sparse kernels.

    Parameters
    ----------
    y : array_like (L,)   observations
    w : array_like (K,)   emission weights
    b, sigma : float      emission offset and noise level (sigma > 0)
    p_switch : float      in (0, 1)
    """

    def __init__(self, y: Any, w: Any, b: float = 0.0, sigma: float = 1.0, p_switch: float = 0.1) -> None:
        y, w = as_real_array(y, "y"), as_real_array(w, "w")
        if y.ndim != 1 or y.size < 1 or w.ndim != 1 or w.size < 1:
            raise ValueError("y must be (L,) and w (K,) non-empty 1-D arrays")
        b, sigma = check_real(b, "b"), check_real(sigma, "sigma", positive=True)
        if not 0.0 < check_real(p_switch, "p_switch") < 1.0:
            raise ValueError("p_switch must be in (0, 1)")
        L, K = y.size, w.size
        c = np.log(p_switch / (1.0 - p_switch))
        idx = np.arange(L * K).reshape(L, K)
        # Emission: -(w.x_t)^2 / (2 sigma^2) within each time step (diagonal: x^2 = x).
        block = -np.outer(w, w) / (2.0 * sigma**2)
        rows = np.repeat(idx, K, axis=1).ravel()
        cols = np.tile(idx, (1, K)).ravel()
        vals = np.tile(block.ravel(), L)
        # Switches: c * (x_t + x_{t-1} - 2 x_t x_{t-1}) per chain.
        a, nb = idx[1:].ravel(), idx[:-1].ravel()
        J = sp.coo_matrix((np.concatenate([vals, np.full(a.size, -c), np.full(a.size, -c)]),
                           (np.concatenate([rows, a, nb]), np.concatenate([cols, nb, a]))),
                          shape=(L * K, L * K)).tocsr()
        lin = ((y - b)[:, None] * w[None, :] / sigma**2)
        n_temporal = np.full((L, 1), 2.0)
        n_temporal[0] = n_temporal[-1] = 1.0 if L > 1 else 0.0
        lin = lin + c * n_temporal
        super().__init__(J, lin.ravel())
        self.y, self.w, self.b0, self.sigma, self.p_switch, self.shape = y, w, float(b), float(sigma), \
            float(p_switch), (L, K)

    @classmethod
    def synthetic(cls, L: int = 1000, K: int = 10, seed: Any = 0, sigma: float = 2.0,
                  p_switch: float = 0.1) -> tuple["FactorialHMM", np.ndarray]:
        """Random FHMM data as in the paper: returns (model, true hidden states (L, K))."""
        rng = np.random.default_rng(seed)
        x = np.empty((L, K), dtype=np.uint8)
        x[0] = rng.integers(0, 2, K)
        for t in range(1, L):
            x[t] = np.where(rng.random(K) < p_switch, 1 - x[t - 1], x[t - 1])
        w, b = rng.normal(size=K), rng.normal()
        y = x @ w + b + sigma * rng.normal(size=L)
        return cls(y, w, b, sigma, p_switch), x
