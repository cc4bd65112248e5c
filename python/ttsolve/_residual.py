"""The relative residual every regression loop reports (private; one place for ALS, SALSA and fit)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["relres"]


def relres(f, y, w) -> float:
    """Relative (weighted) residual ||f - y|| / ||y||."""
    if w is None:
        num, den = np.sum((f - y) ** 2), np.sum(y**2)
    else:
        num, den = np.sum(w * (f - y) ** 2), np.sum(w * y**2)
    return float(math.sqrt(num / den)) if den > 0 else float(math.sqrt(num))
