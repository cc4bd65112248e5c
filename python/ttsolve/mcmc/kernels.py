"""The sampler table, read from the compiled one (csrc/mcmc/kinds.hpp), and the one place
where a sampler name, its options and the model it runs on are resolved and checked.

Each row of the table is one compiled kernel kind: the public sampler name, the option that
selects the row (e.g. ``gibbs(scan="systematic")``), the model families the kind supports,
whether it takes ``n_flips > 1``, and extra parameters with their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Tuple, Union

import numpy as np

from .. import _core
from .._validation import check_int, check_real

__all__ = ["Backend", "KernelRow", "Kernel", "TABLE", "SAMPLERS", "MAX_BLOCK_CONFIGS", "backend_of", "resolve",
           "samplers_for", "check_block_size"]


@dataclass(frozen=True)
class Backend:
    """What a model hands to the engines: its family and the arrays the engine needs.

    ``family`` is one word of the table's families column (``"quadratic"``, ``"rbm"``,
    ``"user"``); ``n_states`` is the number of states per site (2 for binary models).
    """

    family: str
    arrays: tuple[Any, ...] = ()
    n_states: int = 2


def backend_of(model: Any) -> Backend:
    """``model.mcmc_backend()``; objects without one are user models (numpy engine)."""
    method = getattr(model, "mcmc_backend", None)
    return method() if method is not None else Backend("user")


@dataclass(frozen=True)
class KernelRow:
    """One row of the compiled sampler table."""

    kernel: str
    sampler: str
    option: str
    values: tuple[str, ...]
    families: tuple[str, ...]
    multi_flip: bool
    params: dict[str, Param]
    python: bool


@dataclass(frozen=True)
class Kernel:
    """A resolved choice: the row plus the validated run parameters."""

    row: KernelRow
    n_flips: int
    params: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.row.kernel


Param = Union[int, float, bool, Tuple[str, ...]]  # a number (> 0), a flag, or a choice (first = default)


def _param(text: str) -> Param:
    """A params-column default: a number, true/false (a flag), or "a|b|c" (a choice)."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text) if text.lstrip("-").isdigit() else float(text)
    except ValueError:
        return tuple(text.split("|"))


def _check_param(name: str, default: Param, value: Any) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, str) or value not in default:
            raise ValueError(f"{name} must be one of {', '.join(repr(v) for v in default)}, got {value!r}")
        return value
    if isinstance(default, bool):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
        return bool(value)
    if isinstance(default, int):
        return check_int(value, name, 1)
    return check_real(value, name, positive=True)


def _row(raw: dict[str, Any]) -> KernelRow:
    params = dict(item.split("=", 1) for item in raw["params"].split())
    return KernelRow(raw["kernel"], raw["sampler"], raw["option"], tuple(raw["values"].split("|")) if
                     raw["values"] else (), tuple(raw["families"].split()), bool(raw["multi_flip"]),
                     {k: _param(v) for k, v in params.items()}, bool(raw["python"]))


TABLE: tuple[KernelRow, ...] = tuple(_row(r) for r in _core.mcmc.sampler_table())
SAMPLERS: tuple[str, ...] = tuple(dict.fromkeys(r.sampler for r in TABLE))


MAX_BLOCK_CONFIGS = 1 << 16  # K^block_size enumerated per block Gibbs step (kMaxBlockConfigs in C++)


def check_block_size(kernel: Kernel, dim: int, n_states: int) -> None:
    """block_gibbs: ValueError naming block_size when it exceeds ``dim`` or when the
    n_states^block_size configurations it enumerates per step exceed MAX_BLOCK_CONFIGS."""
    if kernel.row.sampler != "block_gibbs" or "block_size" not in kernel.params:
        return
    b = kernel.params["block_size"]
    if b > dim:
        raise ValueError(f"block_size must be <= the model's dim = {dim}, got {b}")
    if n_states ** b > MAX_BLOCK_CONFIGS:
        raise ValueError(f"block_size = {b} with {n_states} states enumerates {n_states}^{b} block configurations "
                         f"per step; at most {MAX_BLOCK_CONFIGS} (use a smaller block_size)")


def samplers_for(family: str) -> tuple[str, ...]:
    """Sampler names with at least one kind that runs on the model family ``family``."""
    return tuple(dict.fromkeys(r.sampler for r in TABLE if family in r.families))


def _select(rows: list[KernelRow], options: dict[str, Any]) -> KernelRow:
    option = rows[0].option
    if not option:
        return rows[0]
    value = options.pop(option, rows[0].values[0])
    for row in rows:
        if value in row.values:
            return row
    valid = "', '".join("'/'".join(r.values) for r in rows)
    raise ValueError(f"{option} must be '{valid}', got {value!r}")


def resolve(sampler: Any, family: str, n_flips: int, options: dict[str, Any]) -> Kernel:
    """The kernel ``sampler`` with ``options`` on a model of ``family``.

    ValueError for an unknown sampler, a bad option value, ``n_flips > 1`` on a
    single-flip sampler, or a sampler the model family does not support (naming the ones
    it does); TypeError for options the sampler does not take.
    """
    if not isinstance(sampler, str) or sampler not in SAMPLERS:
        raise ValueError(f"unknown sampler {sampler!r}; valid names: {', '.join(SAMPLERS)}")
    rows = [r for r in TABLE if r.sampler == sampler]
    # rows that run on the family, in table order (block_gibbs: the RBM sweep or the block
    # sampler); none: all of them, so the error below names the family
    rows = [r for r in rows if family in r.families] or rows
    n_flips = check_int(n_flips, "n_flips", 1)
    if n_flips > 1 and not all(r.multi_flip for r in rows):
        multi = ", ".join(repr(s) for s in dict.fromkeys(r.sampler for r in TABLE if r.multi_flip))
        raise ValueError(f"n_flips > 1 is only available for sampler={multi}")
    options = dict(options)
    row = _select(rows, options)
    params = {name: _check_param(name, default, options.pop(name, default[0] if isinstance(default, tuple)
                                                             else default))
              for name, default in row.params.items()}
    if options:
        valid = ", ".join(sorted(row.params)) or "none"
        raise TypeError(f"unexpected options for {sampler!r}: {sorted(options)}; valid options: {valid}")
    if family not in row.families:
        raise ValueError(f"sampler {sampler!r} ({row.kernel}) does not run on {family} models; "
                         f"samplers for {family} models: {', '.join(samplers_for(family))}")
    return Kernel(row, n_flips, params)
