"""scikit-learn compatible functional-TT regressor (``ttsolve.regression.TTRegressor``).

Needs scikit-learn (``pip install ttsolve[test]`` or ``pip install scikit-learn``); without
it, constructing a TTRegressor raises ImportError with that hint.
"""

from __future__ import annotations

import math
import warnings
from typing import Optional

import numpy as np

from .basis import _KINDS, Basis
from .regression import fit

__all__ = ["TTRegressor"]

try:  # optional dependency
    from sklearn.base import BaseEstimator, RegressorMixin
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

    _HAVE_SKLEARN = True
except ImportError:  # pragma: no cover - exercised only without scikit-learn
    # two distinct placeholders: (object, object) as bases is a TypeError at import time
    BaseEstimator, RegressorMixin = type("BaseEstimator", (), {}), type("RegressorMixin", (), {})
    _HAVE_SKLEARN = False

_MIN_HALF_WIDTH = 1e-12  # a constant column still gets a non-degenerate interval


def _data_bases(kind: str, degree: int, X: np.ndarray, w: np.ndarray) -> list:
    """One basis per column, fitted to the samples with positive weight: Legendre/H2 on the
    column's range, Hermite for its mean and standard deviation, monomials as they are."""
    cls = _KINDS[kind]
    Xp = X[w > 0]
    out = []
    for j in range(X.shape[1]):
        col = Xp[:, j]
        if kind == "monomial":
            out.append(cls(degree))
        elif kind == "hermite":
            std = float(np.sqrt(np.average((col - col.mean()) ** 2, weights=w[w > 0])))
            out.append(cls(degree, float(np.average(col, weights=w[w > 0])), max(std, _MIN_HALF_WIDTH)))
        else:
            lo, hi = float(col.min()), float(col.max())
            half = max((hi - lo) / 2, _MIN_HALF_WIDTH * max(1.0, abs(lo), abs(hi)))
            mid = (lo + hi) / 2
            out.append(cls(degree, (mid - half, mid + half)))
    return out


class TTRegressor(RegressorMixin, BaseEstimator):
    """Least-squares regression with a functional tensor train (see ``ttsolve.regression.fit``).

    Parameters
    ----------
    basis : "legendre", "hermite", "h2", "monomial" or a Basis
        A name: one basis per feature, fitted to the training data (Legendre/H2 on each
        feature's range, Hermite for its mean and std). A Basis: used for every feature as
        given (``degree``, if not None, replaces its degree).
    degree : int or None
        Polynomial degree per feature (None: 3 for a named basis, the Basis's own degree).
    method : "salsa" (rank-adaptive) or "als" (fixed ranks)
    max_rank : int
        SALSA's rank cap; ALS's ranks when ``ranks`` is None. Capped where n_samples cannot
        determine a local problem (rank^2 (degree + 1) <= n_samples).
    ranks : int or None
        ALS only: the TT ranks (default ``max_rank``).
    reg, tol, max_sweeps, patience : passed to ``fit``
    validation_fraction : float in [0, 0.5)
        If > 0, this fraction of the samples (a seeded random split) is held out as
        validation data for early stopping and for choosing the returned sweep (recommended
        with noisy data; with 0 all samples are fitted and model selection is left to
        GridSearchCV / cross-validation).
    seed : int
        Seeds the initial cores, SALSA's new directions and the validation split.

    Attributes
    ----------
    model_ : FunctionalTT
    report_ : FitReport
    n_features_in_ : int
    ranks_ : tuple of the fitted TT ranks
    """

    def __init__(self, basis="legendre", degree: Optional[int] = None, method: str = "salsa", max_rank: int = 4,
                 ranks: Optional[int] = None, reg: float = 0.0, tol: float = 1e-10,
                 max_sweeps: Optional[int] = None, patience: int = 3, validation_fraction: float = 0.0,
                 seed: int = 0):
        if not _HAVE_SKLEARN:
            raise ImportError("TTRegressor needs scikit-learn: pip install scikit-learn")
        self.basis = basis
        self.degree = degree
        self.method = method
        self.max_rank = max_rank
        self.ranks = ranks
        self.reg = reg
        self.tol = tol
        self.max_sweeps = max_sweeps
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.seed = seed

    def _bases(self, X, w):
        if isinstance(self.basis, Basis):
            b = self.basis
            if self.degree is not None and self.degree != b.degree:
                b = type(b)(self.degree, **b._params())
            return [b] * X.shape[1], b.degree
        if not isinstance(self.basis, str) or self.basis not in _KINDS:
            raise ValueError(f"basis must be a Basis or one of {sorted(_KINDS)}, got {self.basis!r}")
        degree = 3 if self.degree is None else self.degree
        if isinstance(degree, bool) or not isinstance(degree, (int, np.integer)) or degree < 0:
            raise ValueError(f"degree must be an int >= 0, got {degree!r}")
        return _data_bases(self.basis, int(degree), X, w), int(degree)

    def fit(self, X, y, sample_weight=None):
        """Fit the model to X (n_samples, n_features) and y (n_samples,)."""
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        K = X.shape[0]
        if K < 2:
            raise ValueError(f"TTRegressor needs at least 2 samples, got n_samples = {K}")
        w = _check_sample_weight(sample_weight, X, dtype=np.float64)
        if not 0 <= self.validation_fraction < 0.5:
            raise ValueError(f"validation_fraction must be in [0, 0.5), got {self.validation_fraction}")
        bases, degree = self._bases(X, w)
        p = degree + 1
        # largest rank whose local problems (rank^2 p unknowns) the distinct weighted points
        # determine (distinct: repeating a row must act as an integer weight does)
        n_points = np.unique(X[w > 0], axis=0).shape[0]
        cap = max(1, int(math.isqrt(max(1, n_points // p))))
        rank = min(self.max_rank if self.ranks is None else self.ranks, cap)
        validation = None
        Xf, yf, wf = X, y, w
        n_val = int(round(self.validation_fraction * K))
        if n_val >= 1:
            order = np.random.default_rng(self.seed).permutation(K)
            val, train = order[:n_val], order[n_val:]
            validation = (X[val], y[val])
            Xf, yf, wf = X[train], y[train], w[train]
        kwargs = dict(method=self.method, reg=self.reg, tol=self.tol, max_sweeps=self.max_sweeps,
                      patience=self.patience, validation=validation, seed=self.seed,
                      weights=None if np.all(wf == 1) else wf)
        if self.method == "als":
            kwargs["ranks"] = rank
        else:
            kwargs["max_rank"] = rank
        if n_points < p and self.reg == 0:  # fewer samples than basis functions: ridge it (min-norm)
            kwargs["reg"] = 1e-12
        with warnings.catch_warnings():
            # the rank cap above already keeps every local problem determined (or ridged)
            warnings.filterwarnings("ignore", message=".*unknowns of a local problem", category=RuntimeWarning)
            self.model_, self.report_ = fit(Xf, yf, bases, **kwargs)
        self.ranks_ = self.model_.ranks
        return self

    def predict(self, X):
        """Model values at X (n_samples, n_features)."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.model_(X)
