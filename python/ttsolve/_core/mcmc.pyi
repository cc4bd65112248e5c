# ttsolve._core.mcmc: compiled multi-chain samplers (use ttsolve.mcmc.sample).
from typing import Any, Callable, Sequence

import numpy.typing as npt

def sampler_table() -> list[dict[str, Any]]: ...  # rows of csrc/mcmc/kinds.hpp
def quad_sample(
    indptr: npt.ArrayLike, indices: npt.ArrayLike, weights: npt.ArrayLike, bias: npt.ArrayLike, kind: str,
    n_flips: int, block_size: int, init: npt.ArrayLike, n_steps: int, burn_in: int, thin: int, seed: int,
    record: Sequence[str], reference: npt.ArrayLike | None, callback: Callable[[int, int], Any] | None,
    chunk_seconds: float = ..., statistic: npt.ArrayLike | None = ..., first_chain: int = ...,
    n_chains_total: int = ...,
) -> dict[str, Any]: ...
def pair_sample(
    indptr: npt.ArrayLike, indices: npt.ArrayLike, blocks: npt.ArrayLike, bias: npt.ArrayLike, kind: str,
    n_flips: int, block_size: int, init: npt.ArrayLike, n_steps: int, burn_in: int, thin: int, seed: int,
    record: Sequence[str], reference: npt.ArrayLike | None, callback: Callable[[int, int], Any] | None,
    chunk_seconds: float = ..., statistic: npt.ArrayLike | None = ..., first_chain: int = ...,
    n_chains_total: int = ...,
) -> dict[str, Any]: ...
def rbm_sample(
    W: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, kind: str, n_flips: int, params: dict[str, float], init: npt.ArrayLike, n_steps: int,
    burn_in: int, thin: int, seed: int, record: Sequence[str], reference: npt.ArrayLike | None,
    callback: Callable[[int, int], Any] | None, chunk_seconds: float = ..., statistic: npt.ArrayLike | None = ...,
    first_chain: int = ..., n_chains_total: int = ...,
) -> dict[str, Any]: ...
def gradient_kinds() -> list[str]: ...  # kinds of csrc/mcmc/gradient_run.hpp
def gradient_sample(
    family: str, arrays: tuple[Any, ...], n_states: int, kind: str, n_flips: int, options: dict[str, Any],
    init: npt.ArrayLike, n_steps: int, burn_in: int, thin: int, seed: int, record: Sequence[str],
    reference: npt.ArrayLike | None, callback: Callable[[int, int], Any] | None, chunk_seconds: float = ...,
    statistic: npt.ArrayLike | None = ...,
    first_chain: int = ..., n_chains_total: int = ...,
) -> dict[str, Any]: ...
def rbm_block_bounds(n_chains: int) -> list[int]: ...  # shards of an RBM run start and end on these
