"""The one import of dask.distributed, with the install hint when it is missing."""

from __future__ import annotations

from typing import Any

__all__ = ["INSTALL_HINT", "require_distributed", "check_client"]

INSTALL_HINT = ('client= needs dask.distributed, an optional dependency of ttsolve: '
                'pip install "ttsolve[distributed]" (or pip install "dask[distributed]")')


def require_distributed() -> Any:
    """The ``distributed`` module, or ImportError with the install hint."""
    try:
        import distributed
    except ImportError as e:
        raise ImportError(INSTALL_HINT) from e
    return distributed


def check_client(client: Any) -> Any:
    """``client`` if it is a ``dask.distributed.Client`` (TypeError otherwise)."""
    distributed = require_distributed()
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a dask.distributed.Client, got {type(client).__name__}")
    return client
