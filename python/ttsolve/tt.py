"""TensorTrain: a thin Python class over the compiled container (``ttsolve._core.tt.TT``).

All numerics run in C++ with the GIL released; this module only validates arguments.

Conventions
-----------
* Core ``k`` has shape ``(r_k, n_k, r_{k+1})`` with ``r_0 = r_d = 1``.
* Cores are stored as contiguous float64. Any real numeric input (float32, ints, Fortran
  order, strided views) is converted by copying; complex, bool, string and object dtypes
  are refused with ``TypeError``; NaN/inf entries with ``ValueError``.
* :attr:`TensorTrain.cores` returns **read-only views** into the train's memory (no copy);
  use ``np.array(core)`` or :meth:`TensorTrain.copy` for something writable.
* Norms, inner products and sums are accumulated with a running power-of-two scale, so
  they never overflow or underflow internally (d = 1000 cores of norm 10 are fine). The
  ``log_*`` methods return the logarithm (no range limit); :meth:`norm`, :meth:`dot` and :meth:`sum`
  return a float when the value is representable in float64 and raise ``OverflowError``
  (pointing to the ``log_*`` method) otherwise.
* Scaling (``a * x``, ``x / a``) is exact in both directions: when ``a`` times the first
  core would overflow *or* underflow (lose digits to subnormals), ``a``'s power of two is
  spread over all cores, so ``(x / 1e308) / 1e308`` is a train of log-norm
  ``x.log_norm() - 2 log(1e308)`` (not zero) just as ``(x * 1e308) * 1e308`` is one of
  ``x.log_norm() + 2 log(1e308)``. Only when even the spread cannot hold it (e.g. a single
  core) does either direction raise ``OverflowError``.
* Sizes: a train whose cores would not fit in this process's memory (physical memory, or
  ``ulimit -v`` when lower) raises ``MemoryError`` naming its dims, ranks and the size,
  before anything is allocated; :meth:`TensorTrain.random` stops on Ctrl-C.
"""

from __future__ import annotations

import math
from typing import Sequence, Union

import numpy as np

from ._extension import _core
from ._validation import as_seed, check_int, is_int, is_real
from .io import register_saveable

__all__ = ["TensorTrain", "FULL_MAX_ENTRIES", "round_sum"]

#: Default limit of :meth:`TensorTrain.full`: 2**27 float64 entries (1 GiB).
FULL_MAX_ENTRIES = 2**27

_LOG_MAX = math.log(np.finfo(np.float64).max)
_LOG_TINY = math.log(np.finfo(np.float64).smallest_subnormal)


def _int_list(values, name: str) -> list[int]:
    """Validate a sequence of integers (numpy integers accepted, bools and floats refused)."""
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise TypeError(f"{name} must be a sequence of integers, got {type(values).__name__}")
    out = []
    for v in values:
        if not is_int(v):
            raise TypeError(f"{name} must contain integers, got {v!r}")
        out.append(int(v))
    return out


def _dims(dims) -> list[int]:
    d = _int_list(dims, "dims")
    if not d:
        raise ValueError("dims must not be empty")
    for k, n in enumerate(d):
        if n < 1:
            raise ValueError(f"dims[{k}] = {n} must be >= 1")
    return d


def _checked_cores(cores) -> list[np.ndarray]:
    """The cores as contiguous float64 arrays; TypeError for non-real dtypes (complex would
    lose its imaginary part in the conversion). The one gate for the constructor and
    unpickling, so a crafted pickle cannot bypass it; shapes and NaN/inf are checked in C++."""
    if isinstance(cores, np.ndarray) or not isinstance(cores, (list, tuple)):
        raise TypeError(f"cores must be a list or tuple of 3-D arrays, got {type(cores).__name__}")
    checked = []
    for k, c in enumerate(cores):
        a = np.asarray(c)
        if a.dtype.kind not in "fiu":
            raise TypeError(f"cores[{k}] has dtype {a.dtype}; a real numeric dtype is required")
        checked.append(np.ascontiguousarray(a, dtype=np.float64))
    return checked


def _scalar(a, name: str) -> float:
    if not is_real(a):
        raise TypeError(f"{name} must be a real number, got {type(a).__name__}")
    a = float(a)
    if not math.isfinite(a):
        raise ValueError(f"{name} must be finite, got {a}")
    return a


def _eps(eps) -> float:
    eps = _scalar(eps, "eps")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    return eps


def _max_rank(max_rank) -> int:
    if max_rank is None:
        return 0
    if not is_int(max_rank):
        raise TypeError(f"max_rank must be an int or None, got {type(max_rank).__name__}")
    if max_rank < 1:
        raise ValueError(f"max_rank must be >= 1, got {max_rank}")
    return int(max_rank)


def _from_log(sign: float, log_abs: float, what: str, log_method: str) -> float:
    """sign * exp(log_abs) as a float, or OverflowError when it is not representable."""
    if sign == 0.0:
        return 0.0
    if log_abs > _LOG_MAX:
        raise OverflowError(f"{what} = exp({log_abs:.6g}) overflows float64; use {log_method}()")
    if log_abs < _LOG_TINY:
        raise OverflowError(f"{what} = exp({log_abs:.6g}) underflows float64; use {log_method}()")
    return sign * math.exp(log_abs)


@register_saveable("tensor_train")
class TensorTrain:
    """A tensor in the tensor-train (TT) format.

    Parameters
    ----------
    cores : list of array_like
        ``d >= 1`` three-dimensional arrays; core ``k`` has shape ``(r_k, n_k, r_{k+1})``
        with ``r_0 = r_d = 1`` and matching inner ranks. Converted to contiguous float64
        (copied); complex/object dtypes raise ``TypeError``, NaN/inf raise ``ValueError``.

    Notes
    -----
    Arithmetic: ``x + y``, ``x - y``, ``-x``, ``a * x``, ``x * a``, ``x / a`` (scalars) and
    the Hadamard (entrywise) product ``x * y``. Sums add ranks and Hadamard products
    multiply them; call :meth:`round` to recompress. Operations between trains with
    different dims raise ``ValueError`` naming both dims.
    """

    __slots__ = ("_tt",)
    __array_ufunc__ = None  # numpy arrays defer to our operators (and then raise TypeError)

    def __init__(self, cores: Sequence[np.ndarray]):
        if isinstance(cores, _core.tt.TT):
            self._tt = cores
            return
        self._tt = _core.tt.TT(_checked_cores(cores))

    @classmethod
    def _wrap(cls, raw: "_core.tt.TT") -> "TensorTrain":
        obj = cls.__new__(cls)
        obj._tt = raw
        return obj

    # ---- construction ---------------------------------------------------------------
    @classmethod
    def random(cls, dims: Sequence[int], ranks: Union[int, Sequence[int]], seed=0) -> "TensorTrain":
        """Random train with independent ``N(0, 1/(n_k r_{k+1}))`` core entries.

        The variance makes ``E ||x||_F^2 = 1``. Core ``k`` uses Philox stream ``k`` of
        ``seed``, so the result depends only on ``(dims, ranks, seed)``.

        Parameters
        ----------
        dims : sequence of int
            Mode sizes ``n_1, ..., n_d`` (each >= 1).
        ranks : int or sequence of int
            An int ``r`` gives inner ranks ``min(r, prod(n_<=k), prod(n_>k))`` (the largest
            useful ranks); a sequence gives all ``d + 1`` ranks (ends must be 1).
        seed : int or numpy.random.Generator
        """
        d = _dims(dims)
        if is_int(ranks):
            if ranks < 1:
                raise ValueError(f"ranks must be >= 1, got {ranks}")
            # Largest useful rank at bond k: min(prod(n_<=k), prod(n_>k)), capped early.
            r = [int(ranks)] * (len(d) + 1)
            r[0] = r[-1] = 1
            for k in range(1, len(d)):
                r[k] = min(r[k], r[k - 1] * d[k - 1])
            for k in range(len(d) - 1, 0, -1):
                r[k] = min(r[k], r[k + 1] * d[k])
        else:
            r = _int_list(ranks, "ranks")
            if len(r) != len(d) + 1:
                raise ValueError(f"ranks must have len(dims) + 1 = {len(d) + 1} entries, got {len(r)}")
            for k, v in enumerate(r):
                if v < 1:
                    raise ValueError(f"ranks[{k}] = {v} must be >= 1")
            if r[0] != 1 or r[-1] != 1:
                raise ValueError(f"boundary ranks must be 1, got ranks[0] = {r[0]}, ranks[-1] = {r[-1]}")
        return cls._wrap(_core.tt.random(d, r, as_seed(seed)))

    @classmethod
    def zeros(cls, dims: Sequence[int]) -> "TensorTrain":
        """The zero tensor (all ranks 1)."""
        return cls._wrap(_core.tt.constant(_dims(dims), 0.0))

    @classmethod
    def ones(cls, dims: Sequence[int]) -> "TensorTrain":
        """The all-ones tensor (all ranks 1)."""
        return cls._wrap(_core.tt.constant(_dims(dims), 1.0))

    @classmethod
    def from_dense(cls, a, eps: float = 1e-14, max_rank: int | None = None) -> "TensorTrain":
        """TT-SVD of a dense array.

        Parameters
        ----------
        a : array_like
            Real array with ``ndim >= 1`` and no empty axis (converted to float64).
        eps : float
            Relative accuracy: ``||a - x||_F <= eps ||a||_F`` when ``max_rank`` does not bind.
        max_rank : int or None
            Upper bound on every rank (None: no bound).
        """
        arr = np.asarray(a)
        if arr.dtype.kind not in "fiu":
            raise TypeError(f"a has dtype {arr.dtype}; a real numeric dtype is required")
        if arr.ndim < 1:
            raise ValueError("a must have at least one dimension")
        if arr.size == 0:
            raise ValueError(f"a must not be empty, got shape {arr.shape}")
        arr = np.ascontiguousarray(arr, dtype=np.float64)
        if not np.isfinite(arr).all():
            raise ValueError("a contains NaN or inf")
        return cls._wrap(_core.tt.from_dense(arr, _eps(eps), _max_rank(max_rank)))

    # ---- shape -----------------------------------------------------------------
    @property
    def dims(self) -> tuple[int, ...]:
        """Mode sizes ``(n_1, ..., n_d)``."""
        return tuple(self._tt.dims)

    @property
    def ranks(self) -> tuple[int, ...]:
        """TT ranks ``(r_0, ..., r_d)`` with ``r_0 = r_d = 1``."""
        return tuple(self._tt.ranks)

    @property
    def ndim(self) -> int:
        """Number of cores ``d``."""
        return int(self._tt.ndim)

    @property
    def num_params(self) -> int:
        """Number of stored float64 values."""
        return int(self._tt.num_params)

    @property
    def cores(self) -> list[np.ndarray]:
        """Read-only numpy views of the cores (no copy; use ``np.array(c)`` to modify)."""
        return [self._tt.core(k) for k in range(self.ndim)]

    def copy(self) -> "TensorTrain":
        """Deep copy."""
        return TensorTrain._wrap(self._tt.copy())

    def __repr__(self) -> str:
        return f"TensorTrain(dims={list(self.dims)}, ranks={list(self.ranks)})"

    # ---- arithmetic ------------------------------------------------------------------
    def _other(self, other, op: str) -> "TensorTrain":
        if not isinstance(other, TensorTrain):
            raise TypeError(f"{op}: expected a TensorTrain, got {type(other).__name__}")
        return other

    def __add__(self, other):
        if not isinstance(other, TensorTrain):
            return NotImplemented
        return TensorTrain._wrap(_core.tt.add(1.0, self._tt, 1.0, other._tt))

    def __sub__(self, other):
        if not isinstance(other, TensorTrain):
            return NotImplemented
        return TensorTrain._wrap(_core.tt.add(1.0, self._tt, -1.0, other._tt))

    def __neg__(self):
        return TensorTrain._wrap(_core.tt.scale(self._tt, -1.0))

    def __pos__(self):
        return self.copy()

    def __mul__(self, other):
        if isinstance(other, TensorTrain):
            return TensorTrain._wrap(_core.tt.hadamard(self._tt, other._tt))
        if is_real(other):
            return TensorTrain._wrap(_core.tt.scale(self._tt, _scalar(other, "scalar")))
        return NotImplemented

    __rmul__ = __mul__

    def __truediv__(self, other):
        if is_real(other):
            a = _scalar(other, "divisor")
            if a == 0.0:
                raise ZeroDivisionError("division of a TensorTrain by zero")
            return TensorTrain._wrap(_core.tt.scale(self._tt, 1.0 / a))
        return NotImplemented

    def hadamard(self, other: "TensorTrain") -> "TensorTrain":
        """Entrywise product (same as ``self * other``); ranks multiply."""
        return TensorTrain._wrap(_core.tt.hadamard(self._tt, self._other(other, "hadamard")._tt))

    # ---- contractions ------------------------------------------------------------------
    def log_dot(self, other: "TensorTrain") -> tuple[float, float]:
        """``(sign, log|<self, other>|)`` with sign in {-1, 0, 1} (log is -inf for 0)."""
        return _core.tt.dot(self._tt, self._other(other, "dot")._tt)

    def dot(self, other: "TensorTrain") -> float:
        """Frobenius inner product ``<self, other>``.

        Raises ``OverflowError`` when the value is outside float64 range (use :meth:`log_dot`).
        """
        sign, log_abs = self.log_dot(other)
        return _from_log(sign, log_abs, "dot", "log_dot")

    def log_norm(self) -> float:
        """Natural logarithm of the Frobenius norm (``-inf`` for the zero tensor)."""
        return float(_core.tt.log_norm(self._tt))

    def norm(self) -> float:
        """Frobenius norm.

        Computed by QR orthogonalisation (the norm of the last core of the left-orthogonal
        form), so it is accurate to about machine precision relative to the norms of the
        parts even for a small difference ``x - y`` (``sqrt(x.dot(x))`` would only give
        about half the digits), and without overflow or underflow for any number of
        cores. Raises ``OverflowError`` only if the norm itself is outside float64 range
        (then use :meth:`log_norm`).
        """
        log_abs = self.log_norm()
        return _from_log(0.0 if log_abs == -math.inf else 1.0, log_abs, "norm", "log_norm")

    def log_sum(self) -> tuple[float, float]:
        """``(sign, log|sum of all entries|)``."""
        return _core.tt.sum(self._tt)

    def sum(self) -> float:
        """Sum of all entries (``OverflowError`` outside float64 range; see :meth:`log_sum`)."""
        sign, log_abs = _core.tt.sum(self._tt)
        return _from_log(sign, log_abs, "sum", "log_sum")

    def full(self, max_entries: int = FULL_MAX_ENTRIES) -> np.ndarray:
        """The dense tensor, shape ``dims``.

        Refuses with ``MemoryError`` when the tensor (or an intermediate unfolding
        ``n_1 ... n_k x r_{k+1}``) would exceed ``max_entries`` float64 values (default
        ``FULL_MAX_ENTRIES = 2**27``, i.e. 1 GiB); pass a larger ``max_entries`` to override.
        """
        if not is_int(max_entries):
            raise TypeError("max_entries must be an int")
        size, worst = 1, 1
        for n, r in zip(self.dims, self.ranks[1:]):
            size *= n
            worst = max(worst, size * r)
        if worst > max_entries:
            raise MemoryError(
                f"full(): dims {self.dims} need {worst} entries (> max_entries = {max_entries}); "
                "pass a larger max_entries to override")
        return _core.tt.full(self._tt, int(max_entries))

    # ---- orthogonalisation and rounding ----------------------------------------------------
    def orthogonalize(self, direction: Union[str, int] = "left") -> "TensorTrain":
        """A new train representing the same tensor with orthogonal cores.

        Parameters
        ----------
        direction : {'left', 'right'} or int
            ``'left'``: cores ``0 .. d-2`` left-orthogonal (their ``(r_k n_k) x r_{k+1}``
            unfoldings have orthonormal columns) and the last core carries the norm.
            ``'right'``: cores ``1 .. d-1`` right-orthogonal (``r_k x (n_k r_{k+1})``
            unfoldings with orthonormal rows). An int ``mu`` (negative counts from the end):
            cores before ``mu`` left-, cores after ``mu`` right-orthogonal.
            Ranks may decrease where an unfolding is rank-deficient.
        """
        d = self.ndim
        if isinstance(direction, str):
            if direction not in ("left", "right"):
                raise ValueError(f"direction must be 'left', 'right' or a core index, got {direction!r}")
            mu = d - 1 if direction == "left" else 0
        elif is_int(direction):
            mu = int(direction)
            if not -d <= mu < d:
                raise IndexError(f"core position {mu} out of range for {d} cores")
            mu %= d
        else:
            raise TypeError(f"direction must be 'left', 'right' or an int, got {type(direction).__name__}")
        return TensorTrain._wrap(_core.tt.orthogonalize(self._tt, mu))

    def round(self, eps: float = 1e-14, max_rank: int | None = None, *, method: str = "svd",
              oversample: int = 10, seed=0) -> "TensorTrain":
        """Recompress to lower ranks (TT rounding).

        Parameters
        ----------
        eps : float
            Relative accuracy (>= 0).
        max_rank : int or None
            Upper bound on every rank (None: no bound).
        method : {'svd', 'randomized'}
            ``'svd'`` (default): left-orthogonalisation by QR, then a right-to-left sweep of
            truncated SVDs. Guarantee: ``||self - self.round(eps)||_F <= eps * ||self||_F``
            when ``max_rank`` does not bind (each of the ``d - 1`` truncations discards at
            most ``eps ||self||_F / sqrt(d - 1)``); with a binding ``max_rank`` the result is
            quasi-optimal (error at most ``sqrt(d - 1)`` times the best rank-``max_rank``
            error). ``'randomized'`` (needs ``max_rank``): projects on the ranges sketched by
            a Gaussian random train of ranks ``max_rank + oversample`` ("randomize-then-
            orthogonalize", Al Daas et al., SISC 2023) and then truncates as ``'svd'``
            does. Faster when ``max_rank`` is well below the current ranks; its error is
            close to, but not guaranteed within, that of ``'svd'`` and it depends on ``seed``.
            When ``max_rank + oversample`` reaches the largest current rank the sketch
            would save nothing and ``'svd'`` is used instead.
        oversample : int
            Extra sketch rank for ``'randomized'`` (>= 0).
        seed : int or numpy.random.Generator
            Seed of the sketch for ``'randomized'`` (ignored by ``'svd'``).

        The zero tensor rounds to rank 1, and so does a train that is zero to working
        precision, such as ``x - x``: one whose orthogonalised centre core is below the
        rounding noise of the orthogonalisation itself (``8 sqrt(d) u ||R|| ||G|| ||L||``,
        with ``R``, ``L`` the factors pushed into the centre core ``G`` and ``u`` the unit
        roundoff).
        """
        eps, mr = _eps(eps), _max_rank(max_rank)
        if method == "svd":
            return TensorTrain._wrap(_core.tt.round(self._tt, eps, mr))
        if method != "randomized":
            raise ValueError(f"method must be 'svd' or 'randomized', got {method!r}")
        if mr == 0:
            raise ValueError("method='randomized' needs max_rank")
        oversample = check_int(oversample, "oversample", 0)
        return TensorTrain._wrap(_core.tt.round_randomized(self._tt, eps, mr, oversample, as_seed(seed)))

    # ---- entries -----------------------------------------------------------------------
    def evaluate(self, idx) -> np.ndarray:
        """Entries at a batch of multi-indices.

        Parameters
        ----------
        idx : array_like of int, shape (K, d) (or (d,) for one entry)
            Integer indices with ``0 <= idx[:, k] < n_k``; negative indices are not
            wrapped. Float or bool arrays raise ``TypeError``; out-of-range indices
            raise ``IndexError``.

        Returns
        -------
        numpy.ndarray, shape (K,) (or a float for a single (d,) index)
        """
        a = np.asarray(idx)
        if a.dtype.kind not in "iu":
            raise TypeError(f"idx must be an integer array, got dtype {a.dtype}")
        single = a.ndim == 1
        if single:
            a = a[None, :]
        if a.ndim != 2 or a.shape[1] != self.ndim:
            raise ValueError(f"idx must have shape (K, {self.ndim}), got {np.shape(idx)}")
        if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
            raise IndexError("idx contains values beyond the int64 range")
        a = np.ascontiguousarray(a, dtype=np.int64)
        if a.size:
            bad = (a < 0) | (a >= np.asarray(self.dims, dtype=np.int64))
            if bad.any():
                s, k = np.argwhere(bad)[0]
                raise IndexError(f"idx[{s}, {k}] = {a[s, k]} out of range for dimension {self.dims[k]}")
        out = _core.tt.evaluate(self._tt, a)
        return float(out[0]) if single else out

    # ---- persistence ---------------------------------------------------------------------
    def __getstate__(self):
        return [np.array(c) for c in self.cores]

    def __setstate__(self, state):
        self._tt = _core.tt.TT(_checked_cores(state))

    def _to_arrays(self) -> dict[str, np.ndarray]:
        arrays = {f"core_{k}": np.array(c) for k, c in enumerate(self.cores)}
        arrays["ndim"] = np.array(self.ndim)
        return arrays

    @classmethod
    def _from_arrays(cls, arrays: dict[str, np.ndarray]) -> "TensorTrain":
        d = int(arrays["ndim"])
        return cls([arrays[f"core_{k}"] for k in range(d)])


def round_sum(trains: Sequence[TensorTrain], eps: float = 1e-14, max_rank: int | None = None,
              coefficients: Sequence[float] | None = None) -> TensorTrain:
    """Round ``sum(trains)`` (or ``sum(c * t)``) without forming the sum's block cores.

    Parameters
    ----------
    trains : sequence of TensorTrain
        One or more trains with equal dims.
    eps : float
        Relative accuracy (>= 0), as in :meth:`TensorTrain.round`.
    max_rank : int or None
        Upper bound on every rank (None: no bound).
    coefficients : sequence of float or None
        One finite coefficient per train: rounds the linear combination ``sum(c * t)``
        without scaling copies of the trains (None: all ones).

    A right-to-left sweep of block Gram matrices (one block per pair of summands), then a
    left-to-right sweep of truncations from the eigen-decomposition of small Gram
    matrices. Gram matrices lose singular values below about ``sqrt(machine eps)`` times
    the largest, so this fast path is used only when, at every bond, the estimated Gram
    noise (about ``u ||A||_F^2 tr(G)`` with generous constants, ``u`` the unit roundoff),
    together with what ranks capped at that noise level discard, summed over the bonds, is
    at most 1% of ``eps^2 ||s||^2`` or, where ``max_rank`` binds, at most ``1e-6`` of
    everything discarded (details in docs/tt.md); the kept bases are re-orthonormalised
    by QR. Otherwise (e.g. small ``eps`` without a binding ``max_rank``, a ``max_rank``
    that cuts off only a sliver of the sum, ``d == 1``, or strong cancellation in the sum)
    the result is the formed sum's ``round(eps, max_rank)``. Either way the guarantee of
    :meth:`TensorTrain.round` holds: ``||s - round_sum|| <= eps ||s||`` when ``max_rank``
    does not bind, and quasi-optimality when it does.
    """
    if isinstance(trains, TensorTrain) or not isinstance(trains, Sequence):
        raise TypeError("trains must be a list of TensorTrain")
    trains = list(trains)
    if not trains:
        raise ValueError("trains must hold at least one TensorTrain")
    for i, t in enumerate(trains):
        if not isinstance(t, TensorTrain):
            raise TypeError(f"trains[{i}] must be a TensorTrain, got {type(t).__name__}")
        if t.dims != trains[0].dims:
            raise ValueError(f"trains[{i}] has dims {t.dims}, expected {trains[0].dims}")
    if coefficients is None:
        coefs = [1.0] * len(trains)
    else:
        if isinstance(coefficients, (str, bytes)) or not isinstance(coefficients, (Sequence, np.ndarray)):
            raise TypeError("coefficients must be a sequence of floats or None")
        coefs = [_scalar(c, f"coefficients[{i}]") for i, c in enumerate(coefficients)]
        if len(coefs) != len(trains):
            raise ValueError(f"coefficients has {len(coefs)} entries for {len(trains)} trains")
    eps, mr = _eps(eps), _max_rank(max_rank)
    return TensorTrain._wrap(_core.tt.round_sum([t._tt for t in trains], coefs, eps, mr))
