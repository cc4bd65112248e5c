# ttsolve._core.regression: bases, functional TT evaluation and the ALS/SALSA kernels.
from typing import Sequence

import numpy as np
import numpy.typing as npt

_F = npt.NDArray[np.float64]

def basis_evaluate(X: npt.ArrayLike, coef: npt.ArrayLike, shift: npt.ArrayLike, scale: npt.ArrayLike,
                   derivative: int) -> _F: ...
def functional_eval(cores: Sequence[npt.ArrayLike], Phi: npt.ArrayLike, mode: str, D: npt.ArrayLike | None = None) -> _F: ...
def als_stack_left(L: npt.ArrayLike, Phi: npt.ArrayLike, k: int, core: npt.ArrayLike) -> _F: ...
def als_stack_right(R: npt.ArrayLike, Phi: npt.ArrayLike, k: int, core: npt.ArrayLike) -> _F: ...
def als_local_solve(L: npt.ArrayLike, Phi: npt.ArrayLike, R: npt.ArrayLike, k: int, g: npt.ArrayLike | None,
                    w: npt.ArrayLike | None, y: npt.ArrayLike, Psi: npt.ArrayLike | None, C: npt.ArrayLike | None,
                    reg: npt.ArrayLike, penalty: npt.ArrayLike | None = None) -> tuple[_F, bool]: ...
def als_normal_equations(L: npt.ArrayLike, Phi: npt.ArrayLike, R: npt.ArrayLike, k: int, g: npt.ArrayLike | None,
                         w: npt.ArrayLike | None, y: npt.ArrayLike, Psi: npt.ArrayLike | None = None,
                         C: npt.ArrayLike | None = None) -> tuple[_F, _F]: ...  # (G, b) of core k
def spd_solve(G: npt.ArrayLike, reg: npt.ArrayLike, rhs: npt.ArrayLike) -> tuple[_F, bool]: ...  # (x, truncated)
def als_sweep(cores: Sequence[_F], R: Sequence[_F | None], PhiT: npt.ArrayLike, PsiT: npt.ArrayLike | None,
              C: npt.ArrayLike | None, y: npt.ArrayLike, g: npt.ArrayLike | None, w: npt.ArrayLike | None,
              ridge: float) -> tuple[_F, float, int]: ...  # (fitted values, extra coefficient, fallback solves)
def product_basis_values(X: npt.ArrayLike, kind: npt.ArrayLike, shift: npt.ArrayLike, scale: npt.ArrayLike,
                         q: int) -> _F: ...
def simd_enabled() -> bool: ...
