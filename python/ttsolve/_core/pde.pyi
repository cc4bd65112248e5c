# ttsolve._core.pde: helper kernels of the PDE solver.
import numpy as np
import numpy.typing as npt

def gaussian_rows(seed: int, first_row: int, n_rows: int, n_cols: int) -> npt.NDArray[np.float64]: ...
def antithetic_terminal(kind: int, params: npt.ArrayLike, seed: int, first_pair: int, n_pairs: int,
                        centre: npt.ArrayLike, scale: npt.ArrayLike, poly: npt.ArrayLike,
                        reduced: bool = False, first_path: int = ...,
                        n_paths_total: int = ...) -> npt.NDArray[np.float64]: ...
def reduced_draws_exact(kind: int, diagonal: bool) -> bool: ...
