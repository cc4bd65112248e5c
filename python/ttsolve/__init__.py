"""ttsolve: tensor-train PDE solvers and fast discrete MCMC, with C++ kernels."""

from __future__ import annotations

from ._extension import _core
from .config import config, get_num_threads, max_num_threads, set_num_threads, show_config
from .tt import TensorTrain, round_sum
from . import io
from .io import *  # noqa: F401,F403  (save, load)
from . import basis, functional, regression
from .functional import *  # noqa: F401,F403  (FunctionalTT)
from . import pde, mcmc

__version__: str = _core.build_info["version"]

__all__ = [
    "TensorTrain",
    "round_sum",
    "basis",
    "config",
    "get_num_threads",
    "max_num_threads",
    "io",
    "mcmc",
    "pde",
    "regression",
    "set_num_threads",
    "show_config",
    "__version__",
    *io.__all__,
    *functional.__all__,
]
