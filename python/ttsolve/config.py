"""Build and run-time configuration: versions, OpenMP, threads, BLAS."""

from __future__ import annotations

import os
import platform
import sys
from typing import Any

import numpy as np
import scipy

from ._extension import _core
from ._install import build_kind, cpu_simd_level
from ._validation import check_int

__all__ = ["show_config", "config", "get_num_threads", "set_num_threads", "max_num_threads"]


def get_num_threads() -> int:
    """Number of threads ttsolve's parallel kernels use (OpenMP)."""
    return int(_core.get_num_threads())


def max_num_threads() -> int:
    """The largest thread count :func:`set_num_threads` accepts: 4 x the hardware threads.

    The kernels are compute bound, so more threads than cores only add overhead, and
    thousands of OpenMP threads exhaust memory for their stacks and abort the process.
    """
    return int(_core.max_num_threads())


def set_num_threads(n: int) -> None:
    """Set the number of threads ttsolve's kernels use (``1 <= n <= max_num_threads()``).

    The initial value honours ``OMP_NUM_THREADS`` (capped at :func:`max_num_threads`).
    Results never depend on it: every random stream is keyed by chain or sample block,
    not by thread. Out-of-range counts raise ``ValueError``.
    """
    n = check_int(n, "set_num_threads: n", 1)
    cap = max_num_threads()
    if n > cap:
        raise ValueError(f"set_num_threads: n must be >= 1 and <= {cap} (4 x the {cap // 4} hardware "
                         f"threads), got {n}")
    _core.set_num_threads(n)


def config() -> dict[str, Any]:
    """Configuration as a dict (what :func:`show_config` prints)."""
    build = dict(_core.build_info)
    return {
        "ttsolve": build["version"],
        "build": build_kind(),  # wheel, or source / editable build
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "compiler": build["compiler"],
        "openmp": bool(build["openmp"]),
        "openmp_version": build["openmp_version"],
        "avx2": bool(build["avx2"]),  # whole build compiled for AVX2 (TTSOLVE_NATIVE)
        # kernels with an AVX2/FMA version chosen at run time (portable builds too)
        "cpu_simd": cpu_simd_level(),  # widest instruction set of this CPU
        "simd_kernels": "avx2+fma (run-time dispatch)" if _core.regression.simd_enabled() else "generic",
        "threads": get_num_threads(),
        "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "blas": _core.blas_description(),
        "blas_threads": int(_core.blas_get_num_threads()),
    }


def show_config() -> None:
    """Print the version, compiler, OpenMP status, threads and BLAS/LAPACK in use."""
    for key, value in config().items():
        print(f"{key:>16}: {value}")
