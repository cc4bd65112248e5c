"""Functional tensor trains: f(x) = sum C[i1..id] phi_i1(x1) ... phi_id(xd) + sum_j c_j g(x)^j."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from . import io as _io
from ._extension import _core
from ._repr import short_list, summary_html
from ._validation import as_points
from .basis import Basis, basis_from_arrays, basis_to_arrays, evaluate_stacked
from .tt import TensorTrain

__all__ = ["FunctionalTT", "AdditiveTerm"]


@dataclass
class AdditiveTerm:
    """Callables for the additive term g: ``value(X) -> (K,)``, ``grad(X) -> (K, d)``,
    ``laplacian(X) -> (K,)``. Only ``value`` is required."""

    value: Callable[[np.ndarray], np.ndarray]
    grad: Optional[Callable[[np.ndarray], np.ndarray]] = None
    laplacian: Optional[Callable[[np.ndarray], np.ndarray]] = None


def _bases_list(basis, d: int) -> list[Basis]:
    if isinstance(basis, Basis):
        return [basis] * d
    bases = list(basis)
    if len(bases) != d or not all(isinstance(b, Basis) for b in bases):
        raise TypeError(f"basis must be a Basis or a list of {d} Basis objects")
    return bases


@_io.register_saveable("functional_tt")
class FunctionalTT:
    """A function of d variables given by a coefficient TensorTrain in a product basis.

    Parameters
    ----------
    tt : TensorTrain
        Coefficients; core k has shape (r_k, p, r_{k+1}) with p the basis size.
    basis : Basis or list of d Basis
        The same basis for all coordinates, or one per coordinate (all of equal size).
    extra_coef : float or sequence of floats
        Coefficient c of the additive term c * g(x); a sequence (c_1, ..., c_m) gives the
        polynomial additive term c_1 g + c_2 g^2 + ... + c_m g^m.
    extra : AdditiveTerm, optional
        Callables for g. Callables are not saved by :func:`ttsolve.io.save`: re-attach them
        after loading (``f.extra = AdditiveTerm(...)``); the coefficients are saved.

    Evaluation with a nonzero ``extra_coef`` needs g: either from ``extra`` or passed
    explicitly (``f(X, g=...)``, ``f.grad(X, grad_g=...)``, ``f.laplacian(X, lap_g=...)``).
    With powers of g (m >= 2), ``grad`` also needs the values of g and ``laplacian`` the values
    and the gradient (keywords ``g`` and ``grad_g``), by the chain rule.
    """

    def __init__(self, tt: TensorTrain, basis, extra_coef: float = 0.0, extra: Optional[AdditiveTerm] = None):
        if not isinstance(tt, TensorTrain):
            raise TypeError("tt must be a ttsolve.TensorTrain")
        self.tt = tt
        self.basis = basis
        self._bases = _bases_list(basis, tt.ndim)
        if any(n != self._bases[0].size for n in tt.dims) or any(b.size != tt.dims[k] for k, b in enumerate(self._bases)):
            raise ValueError(f"TT mode sizes {tt.dims} do not match the basis size {self._bases[0].size}")
        if extra is not None and not isinstance(extra, AdditiveTerm):
            raise TypeError("extra must be an AdditiveTerm or None")
        self.extra_coef = extra_coef
        self.extra = extra

    @property
    def extra_coef(self):
        """c (a float) for the additive term c g, or the array (c_1, ..., c_m) of c_1 g + ... + c_m g^m."""
        return float(self._coefs[0]) if self._coefs.size == 1 else self._coefs.copy()

    @extra_coef.setter
    def extra_coef(self, value) -> None:
        raw = np.asarray(value)
        if raw.dtype.kind not in "fiu":  # strings, bools, complex, objects: no silent conversion
            raise TypeError(f"extra_coef must be a float or a 1-D sequence of floats, got {value!r}")
        coefs = np.atleast_1d(raw.astype(np.float64))
        if coefs.ndim != 1 or coefs.size < 1:
            raise ValueError(f"extra_coef must be a float or a 1-D sequence of floats, got shape {coefs.shape}")
        if not np.all(np.isfinite(coefs)):
            raise ValueError("extra_coef must be finite")
        self._coefs = coefs.copy()

    @property
    def extra_powers(self) -> int:
        """m: the additive term is a polynomial of degree m in g (1: c g)."""
        return int(self._coefs.size)

    def additive(self, g) -> np.ndarray:
        """sum_j c_j g^j for given values of g (any shape)."""
        g = np.asarray(g, dtype=np.float64)
        out = np.zeros_like(g)
        for c in self._coefs[::-1]:  # Horner: (((c_m g + c_{m-1}) g + ...) + c_1) g
            out = (out + c) * g
        return out

    def _additive_slope(self, g: np.ndarray, order: int) -> np.ndarray:
        """First (order 1) or second (order 2) derivative of sum_j c_j u^j at u = g."""
        out = np.zeros_like(g)
        for j in range(self._coefs.size, order - 1, -1):  # Horner on j (j-1) .. c_j u^(j-order)
            factor = j if order == 1 else j * (j - 1)
            out = out * g + factor * self._coefs[j - 1]
        return out

    # ---- shape -------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.tt.ndim

    @property
    def ranks(self) -> tuple[int, ...]:
        return self.tt.ranks

    def _summary(self) -> list[tuple[str, str]]:
        coef = self.extra_coef
        extra = "none" if self.extra is None else f"{self.extra_powers} power(s), c = {np.round(coef, 6).tolist()}"
        return [("dimension", str(self.ndim)), ("basis", repr(self.basis)),
                ("ranks", f"{short_list(self.ranks)} (max {max(self.ranks)})"), ("additive term", extra)]

    def __repr__(self) -> str:
        return (f"FunctionalTT(d={self.ndim}, basis={self.basis!r}, ranks={short_list(self.ranks)}, "
                f"extra_coef={self.extra_coef})")

    def _repr_html_(self) -> str:
        return summary_html("FunctionalTT", self._summary())

    # ---- evaluation ----------------------------------------------------------------
    def _points(self, X) -> np.ndarray:
        return as_points(X, self.ndim, "X")

    def _extra(self, X, given, which: str, shape) -> Optional[np.ndarray]:
        if not np.any(self._coefs):
            return None
        if given is None:
            fn = getattr(self.extra, which, None) if self.extra is not None else None
            if fn is None:
                raise ValueError(f"extra_coef is nonzero but no {which} of the additive term is available: "
                                 f"pass it explicitly or set extra=AdditiveTerm(...)")
            given = fn(X)
        arr = np.asarray(given, dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(f"additive term {which} must have shape {shape}, got {arr.shape}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"additive term {which} contains NaN or inf")
        return arr

    def _constant_value(self) -> float:
        """The TT part with degree-0 bases: prod_k core_k[:, 0, :] phi_k (phi_k the constant
        basis function), without evaluating the bases at a point."""
        v = np.ones((1, 1))
        for core, b in zip(self.tt.cores, self._bases):
            v = v @ core[:, 0, :] * b._coef[0, 0]
        return float(v[0, 0])

    def _eval(self, X, mode: str, derivative: int) -> np.ndarray:
        if self._bases[0].size == 1 and X.shape[0] > 1:
            # degree-0 bases: the TT part is a constant (zero derivatives); evaluate it once
            if mode != "value":
                return np.zeros(X.shape if mode == "grad" else X.shape[0])
            return np.full(X.shape[0], self._constant_value())
        Phi = evaluate_stacked(self._bases, X, 0)
        D = evaluate_stacked(self._bases, X, derivative) if derivative else None
        return _core.regression.functional_eval(self.tt.cores, Phi, mode, D)

    def __call__(self, X, g=None) -> np.ndarray:
        """Values f(X), shape (K,)."""
        X = self._points(X)
        out = self._eval(X, "value", 0)
        ge = self._extra(X, g, "value", (X.shape[0],))
        return out if ge is None else out + self.additive(ge)

    def grad(self, X, grad_g=None, g=None) -> np.ndarray:
        """Gradient, shape (K, d). ``g`` (values of g) is needed only with powers of g."""
        X = self._points(X)
        out = self._eval(X, "grad", 1)
        ge = self._extra(X, grad_g, "grad", X.shape)
        if ge is None:
            return out
        if self._coefs.size == 1:
            return out + self._coefs[0] * ge
        gv = self._extra(X, g, "value", (X.shape[0],))
        return out + self._additive_slope(gv, 1)[:, None] * ge

    def laplacian(self, X, lap_g=None, g=None, grad_g=None) -> np.ndarray:
        """Laplacian, shape (K,). ``g`` and ``grad_g`` are needed only with powers of g."""
        X = self._points(X)
        out = self._eval(X, "laplacian", 2)
        ge = self._extra(X, lap_g, "laplacian", (X.shape[0],))
        if ge is None:
            return out
        if self._coefs.size == 1:
            return out + self._coefs[0] * ge
        gv = self._extra(X, g, "value", (X.shape[0],))
        gg = self._extra(X, grad_g, "grad", X.shape)
        return out + self._additive_slope(gv, 1) * ge + self._additive_slope(gv, 2) * np.sum(gg * gg, axis=1)

    # ---- TT operations ---------------------------------------------------------------
    def copy(self) -> "FunctionalTT":
        return FunctionalTT(self.tt.copy(), self.basis, self._coefs, self.extra)

    def round(self, eps: float = 1e-12, max_rank: Optional[int] = None) -> "FunctionalTT":
        """New FunctionalTT with the coefficient train rounded (TensorTrain.round)."""
        if not hasattr(self.tt, "round"):
            raise NotImplementedError("TensorTrain.round is not available in this build")
        kwargs = {} if max_rank is None else {"max_rank": max_rank}
        return FunctionalTT(self.tt.round(eps, **kwargs), self.basis, self._coefs, self.extra)

    # ---- save/load ----------------------------------------------------------------------
    def _to_arrays(self) -> dict:
        out = {f"core{k}": np.array(c) for k, c in enumerate(self.tt.cores)}
        out["ndim"] = np.array(self.ndim)
        out["extra_coef"] = np.array(self.extra_coef)  # scalar for c g (the original format), else (m,)
        if isinstance(self.basis, Basis):
            out["shared_basis"] = np.array(1)
            out.update(basis_to_arrays(self.basis, "basis_"))
        else:
            out["shared_basis"] = np.array(0)
            for k, b in enumerate(self._bases):
                out.update(basis_to_arrays(b, f"basis{k}_"))
        return out

    @classmethod
    def _from_arrays(cls, arrays) -> "FunctionalTT":
        d = int(arrays["ndim"])
        tt = TensorTrain([arrays[f"core{k}"] for k in range(d)])
        if int(arrays["shared_basis"]):
            basis = basis_from_arrays(arrays, "basis_")
        else:
            basis = [basis_from_arrays(arrays, f"basis{k}_") for k in range(d)]
        return cls(tt, basis, np.asarray(arrays["extra_coef"], dtype=np.float64))
