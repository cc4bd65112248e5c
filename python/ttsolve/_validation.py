"""Argument checks shared by every public module (private)."""

from __future__ import annotations

import numbers
from typing import Any, Union

import numpy as np

__all__ = ["SeedLike", "as_seed", "check_int"]

SeedLike = Union[int, np.integer, np.random.Generator]


def check_int(value: Any, name: str, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; TypeError for non-integers (bools included)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def as_seed(seed: SeedLike) -> int:
    """An integer seed in [0, 2**63) from an int or a numpy Generator (advanced by one draw)."""
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63 - 1))
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(f"seed must be an int or a numpy Generator, got {type(seed).__name__}")
    if seed < 0 or seed >= 2**64:
        raise ValueError(f"seed must be >= 0 and < 2**64, got {seed}")
    return int(seed)
