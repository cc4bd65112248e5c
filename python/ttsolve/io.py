"""Saving and loading ttsolve objects as .npz files (exact round trip, no pickle).

Any class can take part by defining ``_to_arrays() -> dict[str, np.ndarray]`` and a
classmethod ``_from_arrays(arrays) -> obj`` and registering itself with
:func:`register_saveable` under a stable ``kind`` name.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import numpy as np

__all__ = ["save", "load", "register_saveable", "FormatError"]

_FORMAT_VERSION = 1
_REGISTRY: dict[str, type] = {}


class FormatError(ValueError):
    """:func:`load` could not read a file: not a ttsolve file, truncated or corrupted, written
    by a newer ttsolve, or holding invalid data (complex, NaN, inconsistent shapes). The
    message names the path and what was wrong; the underlying exception, if any, is chained
    as ``__cause__``. (A missing path raises the usual ``FileNotFoundError``.)"""


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
    """Load an object written by :func:`save`.

    Raises
    ------
    FormatError
        (a ``ValueError``) for any file this function cannot read: not an .npz archive
        (a pickle, text, random bytes), truncated or corrupted, not written by
        :func:`save`, written by a newer format version, or holding arrays the object
        refuses (wrong shapes, complex or object dtypes, NaN). Never unpickles anything.
    FileNotFoundError, IsADirectoryError, PermissionError
        When ``path`` itself cannot be opened.
    """
    name = os.fspath(path)
    with open(name, "rb") as fh:  # OS errors are about the path itself: they pass through
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        what = "an empty file" if not magic else "not an .npz archive (e.g. a pickle or a text file)"
        raise FormatError(f"load: {name!r} is {what}")
    try:  # our own handle: np.load leaks the one it opens when the archive is corrupt
        with open(name, "rb") as fh, np.load(fh, allow_pickle=False) as data:
            if "__kind__" not in data.files or "__format__" not in data.files:
                raise FormatError(f"load: {name!r} is an .npz archive but not a ttsolve file (no __kind__ entry)")
            kind = str(data["__kind__"])
            version = int(data["__format__"])
            if version > _FORMAT_VERSION:
                raise FormatError(f"load: {name!r} has file format {version}, newer than the {_FORMAT_VERSION} "
                                  "this ttsolve understands")
            if kind not in _REGISTRY:
                raise FormatError(f"load: {name!r} holds an unknown object kind {kind!r}")
            arrays = {k: data[k] for k in data.files if not k.startswith("__")}
        return _REGISTRY[kind]._from_arrays(arrays)
    except FormatError:
        raise
    except Exception as exc:  # zipfile, numpy header, missing key, bad contents, MemoryError
        raise FormatError(f"load: cannot read {name!r}: {type(exc).__name__}: {exc}") from exc
