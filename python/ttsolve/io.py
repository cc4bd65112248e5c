"""Saving and loading tensor trains (.npz)."""

from __future__ import annotations

__all__: list[str] = []
