"""Saving and loading ttsolve objects as .npz files (exact round trip, no pickle).

Any class can take part by defining ``_to_arrays() -> dict[str, np.ndarray]`` and a
classmethod ``_from_arrays(arrays) -> obj`` and registering itself with
:func:`register_saveable` under a stable ``kind`` name.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

__all__ = ["save", "load", "register_saveable"]

_FORMAT_VERSION = 1
_REGISTRY: dict[str, type] = {}


def register_saveable(kind: str) -> Callable[[type], type]:
    """Class decorator: make ``cls`` saveable by :func:`save` under the name ``kind``."""

    def decorate(cls: type) -> type:
        if kind in _REGISTRY and _REGISTRY[kind] is not cls:
            raise ValueError(f"save kind {kind!r} is already registered to {_REGISTRY[kind].__name__}")
        cls._save_kind = kind  # type: ignore[attr-defined]
        _REGISTRY[kind] = cls
        return cls

    return decorate


def save(path: str | os.PathLike, obj: Any) -> None:
    """Save a TensorTrain (or other registered ttsolve object) to ``path`` (.npz)."""
    kind = getattr(type(obj), "_save_kind", None)
    if kind is None:
        raise TypeError(f"save: cannot save objects of type {type(obj).__name__}")
    arrays = obj._to_arrays()
    for key in arrays:
        if key.startswith("__"):
            raise ValueError(f"save: reserved array name {key!r}")
    np.savez(path, __kind__=np.array(kind), __format__=np.array(_FORMAT_VERSION), **arrays)


def load(path: str | os.PathLike) -> Any:
    """Load an object written by :func:`save`."""
    with np.load(path, allow_pickle=False) as data:
        if "__kind__" not in data:
            raise ValueError(f"load: {os.fspath(path)!r} is not a ttsolve file")
        kind = str(data["__kind__"])
        version = int(data["__format__"])
        if version > _FORMAT_VERSION:
            raise ValueError(f"load: file format {version} is newer than this ttsolve understands")
        if kind not in _REGISTRY:
            raise ValueError(f"load: unknown object kind {kind!r}")
        arrays = {k: data[k] for k in data.files if not k.startswith("__")}
    return _REGISTRY[kind]._from_arrays(arrays)
