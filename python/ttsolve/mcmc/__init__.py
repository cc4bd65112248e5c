"""Discrete MCMC for binary models (samplers land with issue 4) and its diagnostics."""

from . import diagnostics
from .diagnostics import *  # noqa: F401,F403

__all__: list[str] = ["diagnostics", *diagnostics.__all__]
