"""One-dimensional polynomial bases with values and first/second derivatives.

Every basis is stored as a coefficient matrix in the affinely shifted variable
``t = (x - shift) / scale`` and evaluated in C++ (``ttsolve._core.regression.basis_evaluate``) for a
whole ``(K, d)`` batch of points at once.

Normalisation conventions
-------------------------
* :class:`Legendre` on ``[a, b]`` is orthonormal for the *normalised* Lebesgue measure
  ``dx / (b - a)`` (so ``phi_0 = 1``).
* :class:`Hermite` is orthonormal for the Gaussian density ``N(mean, std^2)`` (``phi_0 = 1``).
* :class:`H2Orthogonal` is orthonormal in ``<p, q> = (1/(b-a)) int_a^b (p q + p' q' + p'' q'') dx``
  (Gram-Schmidt of the monomials; with this normalisation ``phi_0 = 1``).
* :class:`Monomial` is ``x^i`` (no normalisation; for tests).

Points outside the domain are allowed: the polynomials simply extend beyond the interval
(no clipping, no error); they are only orthonormal on the interval. A point so far outside
that the values (or derivatives) would overflow float64, e.g. ``Legendre(30)`` at 1e300,
raises ``ValueError`` naming the coordinate, the value and the basis, instead of returning
inf or NaN.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from numpy.polynomial import hermite_e, legendre
from numpy.polynomial import polynomial as P

from ._extension import _core
from ._validation import as_points, check_int

__all__ = ["Basis", "Legendre", "Hermite", "H2Orthogonal", "Monomial", "basis_from_arrays", "product_structure"]


def _check_degree(degree) -> int:
    degree = check_int(degree, "degree", 0)
    if degree > 30:
        raise ValueError(f"degree {degree} is too large for a monomial-coefficient basis (max 30)")
    return int(degree)


def _check_interval(domain) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in domain)
    except (TypeError, ValueError):
        raise TypeError("domain must be a pair of numbers (a, b)") from None
    if not (math.isfinite(a) and math.isfinite(b)) or not a < b:
        raise ValueError(f"domain must be a finite interval with a < b, got ({a}, {b})")
    return a, b


class Basis:
    """Common base: ``p = degree + 1`` polynomials ``phi_i(x) = sum_m coef[i, m] t^m``."""

    kind = "basis"

    def __init__(self, degree: int, coef: np.ndarray, shift: float, scale: float, domain):
        self.degree = degree
        self.size = degree + 1
        self.domain = domain
        self._coef = np.ascontiguousarray(coef, dtype=np.float64)
        self._shift = float(shift)
        self._scale = float(scale)

    def evaluate(self, X, derivative: int = 0) -> np.ndarray:
        """Basis values (or derivatives) of every coordinate.

        Parameters
        ----------
        X : array_like, shape (K, d) (a 1-D array is treated as (K, 1))
        derivative : 0, 1 or 2

        Returns
        -------
        ndarray, shape (K, d, p)
        """
        X = as_points(X, name="X", one_d="column")  # documented: 1-D X is one coordinate
        d = X.shape[1]
        return evaluate_stacked([self] * d, X, derivative)

    def _params(self) -> dict:
        return {}

    def _log_coef_bound(self) -> float:
        """log max(1, max_i sum_m |coef[i, m]|) (the overflow check's bound), computed once."""
        cached = self.__dict__.get("_log_coef_cache")
        if cached is None:
            cached = math.log(max(float(np.abs(self._coef).sum(axis=1).max()), 1.0))
            self.__dict__["_log_coef_cache"] = cached
        return cached

    # ---- product basis (compressed Gram matrices) ------------------------------------
    # phi_i phi_j is a polynomial of degree <= 2 deg in t, so the p(p+1)/2 products are
    # combinations of 2 deg + 1 orthonormal polynomials Q_m of t (Legendre on [-1, 1], or
    # Hermite for the Gaussian bases), evaluated in C++ by their recurrence.
    _product_kind = 0  # 0: Legendre in t, 1: Hermite in t, 2: powers of t

    def product_coefficients(self) -> np.ndarray:
        """C (p(p+1)/2, 2 deg + 1) with ``phi_i phi_j = sum_m C[pair(i, j), m] Q_m`` for the
        pairs i <= j in row-major order; exact projection by Gauss quadrature."""
        q = 2 * self.degree + 1
        if self._product_kind == 2:  # monomials: t^i t^j = t^(i+j), no rounding at all
            iu, ju = np.triu_indices(self.size)
            C = np.zeros((len(iu), q))
            C[np.arange(len(iu)), iu + ju] = 1.0
            return C
        if self._product_kind == 1:
            t, w = hermite_e.hermegauss(q)
            w = w / math.sqrt(2 * math.pi)
        else:
            t, w = legendre.leggauss(q)
            w = w / 2.0
        Q = _product_values_1d(t, q, self._product_kind)  # (nodes, q)
        phi = np.stack([P.polyval(t, c) for c in self._coef], axis=1)  # (nodes, p)
        iu, ju = np.triu_indices(self.size)
        return np.ascontiguousarray((phi[:, iu] * phi[:, ju] * w[:, None]).T @ Q)

    def __eq__(self, other) -> bool:
        return type(self) is type(other) and self.degree == other.degree and self._params() == other._params()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.degree, tuple(sorted(self._params().items()))))

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({self.degree}{extra})"


def _coordinate_major(bases: Sequence[Basis], X: np.ndarray, evaluate_1d) -> np.ndarray:
    """(d, K, m) array whose slice j is evaluate_1d(bases[j], column j of X as (K, 1)) ->
    (K, 1, m). Coordinates that share a basis are evaluated in one call on their columns laid
    end to end, so no (K, d, m) array is ever transposed (the fit's kernels stream one
    coordinate's values at a time)."""
    K, d = X.shape
    groups: dict = {}
    for j, b in enumerate(bases):
        groups.setdefault(b, []).append(j)
    out = None
    for b, cols in groups.items():
        vals = evaluate_1d(b, np.ascontiguousarray(X[:, cols].T).reshape(-1, 1)).reshape(len(cols), K, -1)
        if len(groups) == 1:
            return vals
        if out is None:
            out = np.empty((d, K, vals.shape[2]))
        out[cols] = vals
    return out


_LOG_FLOAT_MAX = math.log(np.finfo(np.float64).max)


def _check_representable(bases: Sequence[Basis], X: np.ndarray, power: int) -> None:
    """ValueError unless every basis value, derivative or product (a polynomial of degree
    <= ``power`` in t = (x - shift) / scale) stays finite at the points X (K, d).

    Bound: |p(t)| <= sum|coef| max(1, |t|)^power, times power^2 / scale^2 for the second
    derivative; one pass over X, cheap next to the evaluation itself."""
    if X.size == 0:
        return
    log_t = np.log(np.maximum(1.0, np.abs(X).max(axis=0)))  # crude first pass: |x| itself
    shift = np.array([b._shift for b in bases])
    log_scale = np.log(np.array([b._scale for b in bases]))
    log_coef = np.array([b._log_coef_bound() for b in bases])
    # |t| <= (|x| + |shift|) / scale; log(1 + ...) form avoids overflow of the sum.
    log_tj = np.maximum(0.0, np.logaddexp(log_t, np.log1p(np.abs(shift))) - log_scale)
    log_deriv = 2.0 * np.maximum(0.0, math.log(max(power, 1)) - log_scale)
    bad = power * log_tj + log_coef + log_deriv + 1.0 >= _LOG_FLOAT_MAX
    if bad.any():
        j = int(np.argmax(bad))
        b = bases[j]
        k = int(np.argmax(np.abs(X[:, j])))
        raise ValueError(f"X[{k}, {j}] = {X[k, j]:.6g} is so far outside the domain {b.domain} of {b!r} "
                         "that its basis values overflow float64")


def evaluate_stacked(bases: Sequence[Basis], X: np.ndarray, derivative: int = 0, *,
                     coordinate_major: bool = False) -> np.ndarray:
    """Evaluate basis ``bases[j]`` on column ``j`` of ``X``: result (K, d, p), or (d, K, p)
    with ``coordinate_major=True`` (same values)."""
    if derivative not in (0, 1, 2) or isinstance(derivative, bool):
        raise ValueError(f"derivative must be 0, 1 or 2, got {derivative!r}")
    if len(bases) != X.shape[1]:
        raise ValueError(f"need one basis per dimension: {len(bases)} bases for d = {X.shape[1]}")
    p = bases[0].size
    if any(b.size != p for b in bases):
        raise ValueError("all bases must have the same size (degree)")
    _check_representable(bases, X, bases[0].degree)
    if coordinate_major:
        return _coordinate_major(bases, X, lambda b, x: _core.regression.basis_evaluate(
            x, b._coef[None], np.array([b._shift]), np.array([b._scale]), int(derivative)))
    coef = np.stack([b._coef for b in bases])
    shift = np.array([b._shift for b in bases])
    scale = np.array([b._scale for b in bases])
    return _core.regression.basis_evaluate(X, coef, shift, scale, int(derivative))


def _product_values_1d(t: np.ndarray, q: int, kind: int) -> np.ndarray:
    """Orthonormal Legendre (kind 0, for dt/2 on [-1, 1]) or Hermite (kind 1, for N(0, 1))
    values Q_0..Q_{q-1} at the points t: (len(t), q). (Kind 2, powers, needs no quadrature.)"""
    out = np.empty((len(t), q))
    prev, cur = np.zeros_like(t), np.ones_like(t)
    norm = 1.0
    for n in range(q):
        if kind == 1:
            norm = 1.0 if n == 0 else norm / math.sqrt(n)
            out[:, n] = cur * norm
            prev, cur = cur, t * cur - n * prev
        else:
            out[:, n] = cur * math.sqrt(2 * n + 1)
            prev, cur = cur, ((2 * n + 1) * t * cur - n * prev) / (n + 1)
    return out


def product_structure(bases: Sequence[Basis], X: np.ndarray, *, coordinate_major: bool = False):
    """Values of the product basis of every coordinate, Psi (K, d, 2 deg + 1) (or (d, K, 2 deg
    + 1) with ``coordinate_major=True``), and the coefficients C (d, p(p+1)/2, 2 deg + 1) of
    the basis products in it."""
    q = 2 * bases[0].degree + 1
    _check_representable(bases, X, q - 1)
    if coordinate_major:
        Psi = _coordinate_major(bases, X, lambda b, x: _core.regression.product_basis_values(
            x, np.array([b._product_kind], dtype=np.int64), np.array([b._shift]), np.array([b._scale]), q))
    else:
        kinds = np.array([b._product_kind for b in bases], dtype=np.int64)
        shift = np.array([b._shift for b in bases])
        scale = np.array([b._scale for b in bases])
        Psi = _core.regression.product_basis_values(X, kinds, shift, scale, q)
    cache = {}
    for b in bases:
        if b not in cache:
            cache[b] = b.product_coefficients()
    C = np.stack([cache[b] for b in bases])
    return Psi, C


class Monomial(Basis):
    """``phi_i(x) = x^i``, ``i = 0..degree``."""

    kind = "monomial"
    _product_kind = 2

    def __init__(self, degree: int):
        degree = _check_degree(degree)
        super().__init__(degree, np.eye(degree + 1), 0.0, 1.0, (-math.inf, math.inf))


class Legendre(Basis):
    """Legendre polynomials, orthonormal on ``[a, b]`` for ``dx / (b - a)``."""

    kind = "legendre"

    def __init__(self, degree: int, domain=(-1.0, 1.0)):
        degree = _check_degree(degree)
        a, b = _check_interval(domain)
        coef = np.zeros((degree + 1, degree + 1))
        for i in range(degree + 1):
            e = np.zeros(i + 1)
            e[i] = 1.0
            coef[i, : i + 1] = legendre.leg2poly(e) * math.sqrt(2 * i + 1)
        super().__init__(degree, coef, (a + b) / 2, (b - a) / 2, (a, b))

    def _params(self):
        return {"domain": self.domain}


class Hermite(Basis):
    """Probabilists' Hermite polynomials, orthonormal for ``N(mean, std^2)``."""

    kind = "hermite"
    _product_kind = 1

    def __init__(self, degree: int, mean: float = 0.0, std: float = 1.0):
        degree = _check_degree(degree)
        mean, std = float(mean), float(std)
        if not math.isfinite(mean) or not math.isfinite(std) or std <= 0:
            raise ValueError(f"Hermite needs a finite mean and std > 0, got mean={mean}, std={std}")
        coef = np.zeros((degree + 1, degree + 1))
        for i in range(degree + 1):
            e = np.zeros(i + 1)
            e[i] = 1.0
            coef[i, : i + 1] = hermite_e.herme2poly(e) / math.sqrt(math.factorial(i))
        self.mean, self.std = mean, std
        super().__init__(degree, coef, mean, std, (-math.inf, math.inf))

    def _params(self):
        return {"mean": self.mean, "std": self.std}


class H2Orthogonal(Basis):
    """Polynomials orthonormal in the H^2 inner product on ``[a, b]`` (``phi_0 = 1``).

    ``<p, q> = (1/(b-a)) int_a^b p q + p' q' + p'' q'' dx``; obtained by Gram-Schmidt of the
    monomials (done twice for stability), exact Gauss-Legendre quadrature.
    """

    kind = "h2"

    def __init__(self, degree: int, domain=(-1.0, 1.0)):
        degree = _check_degree(degree)
        a, b = _check_interval(domain)
        s = (b - a) / 2
        n = degree + 1
        t, wq = legendre.leggauss(n + 1)
        wq = wq / 2.0  # normalised measure on [-1, 1] == dx / (b - a)

        def gram(c1, c2):  # coefficient vectors in t; derivatives w.r.t. x
            total = 0.0
            for k in range(3):
                v1 = P.polyval(t, P.polyder(c1, k) if k else c1) / s**k
                v2 = P.polyval(t, P.polyder(c2, k) if k else c2) / s**k
                total += np.sum(wq * v1 * v2)
            return total

        coef = np.zeros((n, n))
        for i in range(n):
            v = np.zeros(n)
            v[i] = 1.0
            for _ in range(2):
                for j in range(i):
                    v = v - gram(v, coef[j]) * coef[j]
            v = v / math.sqrt(gram(v, v))
            if v[i] < 0:
                v = -v
            coef[i] = v
        super().__init__(degree, coef, (a + b) / 2, s, (a, b))

    def _params(self):
        return {"domain": self.domain}


_KINDS = {"monomial": Monomial, "legendre": Legendre, "hermite": Hermite, "h2": H2Orthogonal}


def basis_to_arrays(basis: Basis, prefix: str) -> dict:
    """Arrays describing ``basis`` (for save/load)."""
    params = basis._params()
    out = {f"{prefix}kind": np.array(basis.kind), f"{prefix}degree": np.array(basis.degree)}
    if "domain" in params:
        out[f"{prefix}domain"] = np.array(params["domain"], dtype=float)
    if "mean" in params:
        out[f"{prefix}gauss"] = np.array([params["mean"], params["std"]])
    return out


def basis_from_arrays(arrays: dict, prefix: str) -> Basis:
    """Inverse of :func:`basis_to_arrays`."""
    kind = str(arrays[f"{prefix}kind"])
    degree = int(arrays[f"{prefix}degree"])
    if kind not in _KINDS:
        raise ValueError(f"unknown basis kind {kind!r}")
    if kind in ("legendre", "h2"):
        return _KINDS[kind](degree, tuple(arrays[f"{prefix}domain"]))
    if kind == "hermite":
        m, s = arrays[f"{prefix}gauss"]
        return Hermite(degree, m, s)
    return Monomial(degree)
