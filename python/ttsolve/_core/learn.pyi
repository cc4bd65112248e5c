# ttsolve._core.learn: sufficient statistics and pseudo-likelihood for fitting binary models.
from typing import Any

import numpy as np
import numpy.typing as npt

_F = npt.NDArray[np.float64]

def binary_moments(X: Any, spins: bool) -> tuple[_F, _F]: ...  # (mean (D,), second moment (D, D))
def rbm_moments(V: Any, W: Any, c: Any) -> tuple[_F, _F, _F]: ...  # (E[v], E[sigma], E[sigma v^T])
def binary_pseudo_loglik(X: Any, J: Any, b: Any, spins: bool, l2: float, l2_bias: float) -> tuple[float, _F, _F]: ...
