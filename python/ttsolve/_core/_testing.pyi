# ttsolve._core._testing: test hooks only (some change global state, e.g. gram_simd).
from typing import Any, Callable, Sequence

import numpy as np
import numpy.typing as npt

from .tt import TT

_F = npt.NDArray[np.float64]

# tt
def tt_round_paths(x: TT, eps: float, max_rank: int, path: str) -> tuple[TT, int, int]: ...  # (y, Gram, SVD bonds)
def tt_round_sum_fast(terms: Sequence[TT], coefficients: Sequence[float], eps: float,
                      max_rank: int) -> TT | None: ...  # None: round_sum takes the exact path

# regression
def gram_simd(enable: bool | None = None) -> bool: ...

# common: LAPACK wrappers and the interrupt path
def la_symmetric_eig(A: npt.ArrayLike) -> tuple[_F, _F]: ...
def la_symmetric_eig_top(A: npt.ArrayLike, k: int) -> tuple[_F, _F]: ...  # values, top-k vectors
def la_trmm_lower(B: npt.ArrayLike, L: npt.ArrayLike, left: bool, transpose: bool) -> _F: ...
def la_lq_inplace(A: npt.ArrayLike) -> tuple[_F, _F]: ...  # (L, Q), A = L Q
def wait_for_interrupt(max_seconds: float) -> bool: ...
def philox_words(seed: int, stream: int, skip: int, n: int, mode: str,
                 simd: bool = True) -> npt.NDArray[np.uint32]: ...  # mode: scalar, fill, reader
def philox_simd() -> bool: ...

# mcmc
def mcmc_quad_transition_row(indptr: npt.ArrayLike, indices: npt.ArrayLike, weights: npt.ArrayLike,
                             bias: npt.ArrayLike, kind: str, n_flips: int, block_size: int, x: npt.ArrayLike,
                             site: int = ...) -> _F: ...
def mcmc_pair_transition_row(indptr: npt.ArrayLike, indices: npt.ArrayLike, blocks: npt.ArrayLike,
                             bias: npt.ArrayLike, kind: str, block_size: int, x: npt.ArrayLike,
                             site: int = ..., n_flips: int = ...) -> _F: ...
def mcmc_pair_incremental_check(indptr: npt.ArrayLike, indices: npt.ArrayLike, blocks: npt.ArrayLike,
                                bias: npt.ArrayLike, kind: str, x: npt.ArrayLike, n_steps: int, seed: int,
                                n_flips: int = ...) -> dict[str, Any]: ...
def mcmc_quad_incremental_check(indptr: npt.ArrayLike, indices: npt.ArrayLike, weights: npt.ArrayLike,
                                bias: npt.ArrayLike, kind: str, x: npt.ArrayLike, n_steps: int,
                                seed: int) -> dict[str, Any]: ...
def mcmc_rbm_transition_row(W: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, kind: str, block_size: int,
                            x: npt.ArrayLike, site: int = ...) -> _F: ...
def mcmc_rbm_exp(x: npt.ArrayLike) -> _F: ...
def mcmc_gradient_sample_generic(
    family: str, arrays: tuple[Any, ...], n_states: int, kind: str, n_flips: int, options: dict[str, Any],
    init: npt.ArrayLike, n_steps: int, burn_in: int, thin: int, seed: int, record: Sequence[str],
    reference: npt.ArrayLike | None, callback: Callable[[int, int], Any] | None, chunk_seconds: float = ...,
    statistic: npt.ArrayLike | None = ..., first_chain: int = ..., n_chains_total: int = ...,
) -> dict[str, Any]: ...
def mcmc_gradient_transitions_pairwise(indptr: npt.ArrayLike, indices: npt.ArrayLike, blocks: npt.ArrayLike,
                                       bias: npt.ArrayLike, n_states: int, kind: str, n_flips: int,
                                       options: dict[str, Any]) -> _F: ...
def mcmc_gradient_transitions_onehot(A: npt.ArrayLike, b: npt.ArrayLike, n_states: int, kind: str, n_flips: int,
                                     options: dict[str, Any]) -> _F: ...
def mcmc_factorised_table(kind: str, options: dict[str, Any], x: npt.ArrayLike, g: npt.ArrayLike) -> _F: ...
def mcmc_gradient_transitions_rbm(W: npt.ArrayLike, b: npt.ArrayLike, c: npt.ArrayLike, kind: str, n_flips: int,
                                  options: dict[str, Any]) -> _F: ...

# pde
def pde_terminal_values(kind: int, params: npt.ArrayLike, X: npt.ArrayLike) -> _F: ...
def pde_chi_square(seed: int, first: int, n: int, dof: float) -> _F: ...
