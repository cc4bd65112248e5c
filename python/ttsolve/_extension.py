"""Load the compiled extension and hand it scipy's BLAS/LAPACK routines."""

from __future__ import annotations

try:
    from . import _core
except ImportError as exc:  # pragma: no cover - only when the build is missing
    raise ImportError(
        "ttsolve's compiled extension (ttsolve._core) could not be imported. "
        "Install the package with `pip install .` from the source tree rather than "
        "importing it from the source directory."
    ) from exc

import scipy.linalg.cython_blas as _cython_blas
import scipy.linalg.cython_lapack as _cython_lapack


def _register_lapack() -> None:
    # The capsules point at scipy's wrappers around its bundled OpenBLAS: the extension
    # uses exactly the BLAS/LAPACK scipy was built with, and links none itself.
    capsules = {}
    for name in _core._required_lapack_routines():
        table = _cython_blas.__pyx_capi__ if name in _cython_blas.__pyx_capi__ else _cython_lapack.__pyx_capi__
        capsules[name] = table[name]
    _core._register_lapack(capsules)


_register_lapack()

__all__ = ["_core"]
