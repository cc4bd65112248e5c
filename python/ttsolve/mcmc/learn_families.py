"""Parameter families that :mod:`ttsolve.mcmc.learn` fits: Ising (spin form, optionally on a
lattice or any coupling pattern), binary quadratic (J, b) and RBM (W, b, c).

Each family holds its parameters as a dict of arrays, builds the ttsolve model they define,
and turns sufficient statistics (computed by the compiled kernels in ``_core.learn``) into the
log-likelihood gradient: data moments minus model (persistent-chain) moments. Gradients are
*entrywise* (each entry of J as a free number; symmetric because f depends on J + J^T), the
convention of tests/reference/learning.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _core
from .categorical import Potts
from .models import RBM, BinaryQuadratic, IsingLattice, _SpinQuadratic

__all__ = ["Ising", "make_family", "FAMILIES"]

FAMILIES = ("ising", "ising_lattice", "binary_quadratic", "rbm", "potts")


class Ising(_SpinQuadratic):
    """General Ising model f(x) = s^T J s + h . s, s = 2x - 1 (sampled by the compiled kernels).

    Parameters
    ----------
    J : array_like or scipy.sparse (D, D), symmetric, finite; its diagonal is ignored (s_i^2 = 1)
    h : float or array_like (D,)
    """

    def __init__(self, J: Any, h: Any = 0.0) -> None:
        Jd = J.toarray() if sp.issparse(J) else np.array(J, dtype=np.float64)
        if Jd.ndim != 2 or Jd.shape[0] != Jd.shape[1] or Jd.shape[0] < 1:
            raise ValueError(f"J must be a square (D, D) matrix, got shape {Jd.shape}")
        if not np.isfinite(Jd).all():
            raise ValueError("J must be finite")
        if not np.array_equal(Jd, Jd.T):
            raise ValueError("J must be symmetric")
        D = Jd.shape[0]
        h = np.broadcast_to(np.asarray(h, dtype=np.float64), (D,)).copy()
        if not np.isfinite(h).all():
            raise ValueError("h must be finite")
        np.fill_diagonal(Jd, 0.0)
        self.J, self.h_spin = Jd, h
        self._set_spin_form(Jd, h)


def _symmetric_mask(mask: Any, D: int) -> np.ndarray:
    m = np.asarray(mask, dtype=bool)
    if m.shape != (D, D) or not np.array_equal(m, m.T):
        raise ValueError(f"structure must be a symmetric ({D}, {D}) boolean mask or a lattice shape")
    m = m.copy()
    np.fill_diagonal(m, False)
    return m


def _lattice_mask(shape: Any, D: int) -> np.ndarray:
    lattice = IsingLattice(shape, 1.0, periodic=True)
    if lattice.dim != D:
        raise ValueError(f"lattice shape {tuple(lattice.shape)} has {lattice.dim} sites but the data has {D} columns")
    return lattice.W.toarray() != 0


class _Quadratic:
    """Shared by the Ising and binary-quadratic families: J (zero diagonal, within ``mask``) and a bias."""

    spins: bool
    bias_name: str

    def __init__(self, D: int, mask: np.ndarray, J: np.ndarray | None, bias: np.ndarray | None,
                 learn_bias: bool) -> None:
        self.dim, self.mask, self.learn_bias = D, mask, learn_bias
        J = np.zeros((D, D)) if J is None else np.where(mask, J, 0.0)
        self.params = {"J": J, self.bias_name: np.zeros(D) if bias is None else np.array(bias, dtype=float)}
        pattern = sp.csr_matrix(mask.astype(np.float64))
        pattern.sort_indices()
        self.indptr, self.indices = pattern.indptr.astype(np.int64), pattern.indices.astype(np.int64)
        self._flat = np.repeat(np.arange(D), np.diff(self.indptr)) * D + self.indices  # CSR order in J.ravel()

    def spin_form(self) -> tuple[np.ndarray, np.ndarray]:
        """(couplings on the mask's CSR pattern, bias) of f in spin form s^T W s + h . s."""
        J, bias = self.params["J"], self.params[self.bias_name]
        if self.spins:
            return J.ravel()[self._flat], np.ascontiguousarray(bias, dtype=np.float64)
        # x = (s + 1) / 2 with J's diagonal at 0: W = J / 4, h = (b + rowsum(J)) / 2.
        return 0.25 * J.ravel()[self._flat], 0.5 * (bias + J.sum(1))

    def statistics(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _core.learn.binary_moments(X, self.spins)

    def data_statistics_fixed(self) -> bool:
        return True

    def gradient(self, data_stats: Any, model_stats: Any) -> dict[str, np.ndarray]:
        dJ = np.where(self.mask, data_stats[1] - model_stats[1], 0.0)
        db = data_stats[0] - model_stats[0] if self.learn_bias else np.zeros(self.dim)
        return {"J": dJ, self.bias_name: db}

    def penalty_gradient(self, l1: float, l2: float) -> dict[str, np.ndarray]:
        J = self.params["J"]
        return {"J": -2.0 * l2 * J - l1 * np.sign(J), self.bias_name: np.zeros(self.dim)}

    def pseudo_log_likelihood(self, X: np.ndarray, l2: float = 0.0, l2_bias: float = 0.0):
        return _core.learn.binary_pseudo_loglik(X, self.params["J"], self.params[self.bias_name], self.spins,
                                                l2, l2_bias)


class IsingFamily(_Quadratic):
    spins, bias_name = True, "h"

    def model(self) -> Ising:
        return Ising(self.params["J"], self.params["h"])


class BinaryQuadraticFamily(_Quadratic):
    spins, bias_name = False, "b"

    def model(self) -> BinaryQuadratic:
        return BinaryQuadratic(self.params["J"], self.params["b"])


class RBMFamily:
    """RBM (W, b, c); W starts N(0, 0.01^2) from ``seed``, b at the data's log-odds, c at 0."""

    def __init__(self, D: int, n_hidden: int, data: np.ndarray, seed: int, init: RBM | None = None) -> None:
        self.dim, self.n_hidden = D, n_hidden
        if init is not None:
            self.params = {"W": init.W.copy(), "b": init.b.copy(), "c": init.c.copy()}
            return
        mean = np.clip(data.mean(0), 1e-3, 1 - 1e-3)
        W = 0.01 * np.random.default_rng([seed, 0xB0]).standard_normal((n_hidden, D))
        self.params = {"W": W, "b": np.log(mean / (1 - mean)), "c": np.zeros(n_hidden)}

    def model(self) -> RBM:
        return RBM(self.params["W"], self.params["b"], self.params["c"])

    def statistics(self, X: np.ndarray):
        return _core.learn.rbm_moments(X, self.params["W"], self.params["c"])

    def data_statistics_fixed(self) -> bool:
        return False  # the hidden-unit expectations depend on W and c

    def gradient(self, data_stats: Any, model_stats: Any) -> dict[str, np.ndarray]:
        return {"W": data_stats[2] - model_stats[2], "b": data_stats[0] - model_stats[0],
                "c": data_stats[1] - model_stats[1]}

    def penalty_gradient(self, l1: float, l2: float) -> dict[str, np.ndarray]:
        W = self.params["W"]
        return {"W": -2.0 * l2 * W - l1 * np.sign(W), "b": np.zeros(self.dim), "c": np.zeros(self.n_hidden)}

    def pseudo_log_likelihood(self, X: np.ndarray, l2: float = 0.0, l2_bias: float = 0.0):
        """Mean sum_i log p(v_i | v_-i) from free-energy differences of single flips (no gradient)."""
        model = self.model()
        f = model.log_prob(X)
        total = 0.0
        for i in range(self.dim):
            Y = X.copy()
            Y[:, i] = 1 - Y[:, i]
            total += float((f - np.logaddexp(f, model.log_prob(Y))).mean())
        return total, None, None


class PottsFamily:
    """Potts (J (D, D, K, K), b (D, K)) in the convention of tests/reference/learning.py:
    f(x) = sum_{i != j} J[i, j, x_i, x_j] + sum_i b[i, x_i] over ordered pairs, J[i, j, a, c] =
    J[j, i, c, a], diagonal blocks 0 (each pair counted twice, like x^T J x). ``model()`` is
    ``Potts(2 J, b)`` (ttsolve.mcmc.Potts sums each pair once). Sufficient statistics: the
    marginals and pair frequencies from the compiled counts of ``_core.learn.potts_moments``."""

    def __init__(self, D: int, K: int, mask: np.ndarray, learn_bias: bool) -> None:
        self.dim, self.n_states, self.mask, self.learn_bias = D, K, mask, learn_bias
        self.params = {"J": np.zeros((D, D, K, K)), "b": np.zeros((D, K))}

    def model(self) -> Potts:
        return Potts(2.0 * self.params["J"], self.params["b"])

    def statistics(self, X: np.ndarray):
        return _core.learn.potts_moments(X, self.n_states)

    def data_statistics_fixed(self) -> bool:
        return True

    def gradient(self, data_stats: Any, model_stats: Any) -> dict[str, np.ndarray]:
        dJ = np.where(self.mask[:, :, None, None], data_stats[1] - model_stats[1], 0.0)
        db = data_stats[0] - model_stats[0] if self.learn_bias else np.zeros_like(self.params["b"])
        return {"J": dJ, "b": db}

    def penalty_gradient(self, l1: float, l2: float) -> dict[str, np.ndarray]:
        J = self.params["J"]
        return {"J": -2.0 * l2 * J - l1 * np.sign(J), "b": np.zeros_like(self.params["b"])}

    def pseudo_log_likelihood(self, X: np.ndarray, l2: float = 0.0, l2_bias: float = 0.0):
        value, dJ, db = _core.learn.potts_pseudo_loglik(X, self.n_states, self.params["J"], self.params["b"],
                                                        l2, l2_bias)
        return value, np.where(self.mask[:, :, None, None], dJ, 0.0), db


def make_family(model_family: Any, data: np.ndarray, structure: Any = None, n_hidden: int | None = None,
                learn_bias: bool = True, seed: int = 0, n_states: int = 2):
    """A family from a name in :data:`FAMILIES` or from a model to start from."""
    D = data.shape[1]
    if isinstance(model_family, str) and model_family == "potts":
        mask = ~np.eye(D, dtype=bool) if structure is None else _structure(structure, D)
        return PottsFamily(D, n_states, mask, learn_bias)
    if isinstance(model_family, (Ising, IsingLattice)):
        mask = model_family.W.toarray() != 0 if structure is None else _structure(structure, D)
        return IsingFamily(D, mask, model_family.W.toarray(), model_family.h, learn_bias)
    if isinstance(model_family, BinaryQuadratic):
        J = model_family.J.toarray()
        diag = np.diag(J).copy()
        np.fill_diagonal(J, 0.0)
        mask = ~np.eye(D, dtype=bool) if structure is None else _structure(structure, D)
        return BinaryQuadraticFamily(D, mask, J, model_family.b + diag, learn_bias)
    if isinstance(model_family, RBM):
        return RBMFamily(D, model_family.W.shape[0], data, seed, init=model_family)
    if not isinstance(model_family, str) or model_family not in FAMILIES:
        raise ValueError(f"model_family must be one of {', '.join(FAMILIES)} or a model to start from, "
                         f"got {model_family!r}")
    if model_family == "rbm":
        if n_hidden is None or isinstance(n_hidden, bool) or int(n_hidden) != n_hidden or n_hidden < 1:
            raise ValueError("model_family='rbm' needs n_hidden >= 1")
        return RBMFamily(D, int(n_hidden), data, seed)
    if model_family == "ising_lattice" and structure is None:
        raise ValueError("model_family='ising_lattice' needs structure=<lattice shape>")
    mask = ~np.eye(D, dtype=bool) if structure is None else _structure(structure, D)
    cls = BinaryQuadraticFamily if model_family == "binary_quadratic" else IsingFamily
    return cls(D, mask, None, None, learn_bias)


def _structure(structure: Any, D: int) -> np.ndarray:
    arr = np.asarray(structure)
    return _symmetric_mask(arr, D) if arr.ndim == 2 else _lattice_mask(structure, D)
