"""TensorTrain: a thin Python class over the compiled container (ttsolve._core.TT)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ._extension import _core

__all__ = ["TensorTrain"]


class TensorTrain:
    """A tensor in the tensor-train format.

    Core ``k`` has shape ``(r_k, n_k, r_{k+1})`` with ``r_0 = r_d = 1``. Cores are
    converted to contiguous float64 on construction (float32 and other real dtypes are
    accepted and converted; complex and object arrays are refused).
    """

    __slots__ = ("_tt",)

    def __init__(self, cores: Sequence[np.ndarray]):
        if isinstance(cores, _core.TT):
            self._tt = cores
            return
        if isinstance(cores, np.ndarray) or not isinstance(cores, (list, tuple)):
            raise TypeError("cores must be a list or tuple of 3-D arrays")
        checked = []
        for k, c in enumerate(cores):
            a = np.asarray(c)
            if a.dtype.kind not in "fiub":
                raise TypeError(f"cores[{k}] has dtype {a.dtype}; a real numeric dtype is required")
            checked.append(np.ascontiguousarray(a, dtype=np.float64))
        self._tt = _core.TT(checked)

    @classmethod
    def _wrap(cls, raw: "_core.TT") -> "TensorTrain":
        obj = cls.__new__(cls)
        obj._tt = raw
        return obj

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
        return int(self._tt.ndim)

    @property
    def cores(self) -> list[np.ndarray]:
        """Read-only numpy views of the cores (no copy; use ``.copy()`` to modify)."""
        return [self._tt.core(k) for k in range(self.ndim)]

    def copy(self) -> "TensorTrain":
        return TensorTrain._wrap(self._tt.copy())

    def __repr__(self) -> str:
        return f"TensorTrain(dims={list(self.dims)}, ranks={list(self.ranks)})"

    # ---- pickling --------------------------------------------------------------
    def __getstate__(self):
        return [np.array(c) for c in self.cores]

    def __setstate__(self, state):
        self._tt = _core.TT(list(state))
