"""Crank-Nicolson solver of a 1-D linear backward PDE, used as a reference for separable problems.

Solves  psi_t + 1/2 s^2 psi_xx + b(x) psi_x = 0  on [0, T] x [lo, hi],  psi(T, x) = psi_T(x),
with reflecting (zero-flux Neumann) ends, and exposes v = -log psi and dv/dx at any (t, x) by
interpolation (linear in t, cubic Hermite in x).  Used with the Cole-Hopf transform: for
h = -s^2 |V_x|^2 / 2, V = -log psi.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy.linalg import solve_banded

__all__ = ["ColeHopf1D"]


class ColeHopf1D:
    """v(t, x) = -log psi(t, x) for the 1-D linear backward PDE above, on a fine grid.

    Parameters
    ----------
    drift : callable x -> b(x), vectorised
    terminal : callable x -> v(T, x) (= -log psi_T), vectorised
    T : float
    s : float
        Constant diffusion coefficient.
    lo, hi : float
        Grid ends; choose them far enough out that the paths essentially never get there.
    n_x, n_t : int
        Grid points in x and time steps.
    """

    def __init__(
        self,
        drift: Callable[[np.ndarray], np.ndarray],
        terminal: Callable[[np.ndarray], np.ndarray],
        T: float,
        s: float = 1.0,
        lo: float = -4.5,
        hi: float = 4.5,
        n_x: int = 1801,
        n_t: int = 1000,
    ) -> None:
        self.T, self.lo, self.hi = float(T), float(lo), float(hi)
        self.x = np.linspace(lo, hi, n_x)
        self.dx = self.x[1] - self.x[0]
        self.dt = self.T / n_t
        self.n_t = n_t
        v_T = np.asarray(terminal(self.x), dtype=float)
        # Scale psi by exp(min v_T) so it stays O(1); undone when taking the log.
        self._offset = float(v_T.min())
        psi = np.exp(-(v_T - self._offset))
        lower, diag, upper = self._generator(np.asarray(drift(self.x), dtype=float), s)
        half = 0.5 * self.dt
        # Banded (I - dt/2 A) for solve_banded, and (I + dt/2 A) applied explicitly.
        ab = np.zeros((3, n_x))
        ab[0, 1:] = -half * upper
        ab[1] = 1.0 - half * diag
        ab[2, :-1] = -half * lower
        psis = np.empty((n_t + 1, n_x))
        psis[n_t] = psi  # index n <-> time n * dt
        for n in range(n_t - 1, -1, -1):
            rhs = (1.0 + half * diag) * psi
            rhs[1:] += half * lower * psi[:-1]
            rhs[:-1] += half * upper * psi[1:]
            psi = solve_banded((1, 1), ab, rhs)
            psis[n] = psi
        if not np.all(psis > 0):
            raise FloatingPointError("ColeHopf1D: psi lost positivity; refine the grid")
        self.v = self._offset - np.log(psis)
        self.dv = np.gradient(self.v, self.dx, axis=1, edge_order=2)

    def _generator(self, b: np.ndarray, s: float):
        """Tridiagonal A = s^2/2 D2 + b D1 (central), Neumann ends via mirrored ghost points."""
        n = b.size
        a = 0.5 * s * s / self.dx**2
        c = b / (2.0 * self.dx)
        diag = np.full(n, -2.0 * a)
        lower = a - c[1:]  # coefficient of psi_{i-1} in row i (i >= 1)
        upper = a + c[:-1]  # coefficient of psi_{i+1} in row i (i <= n-2)
        # Ghost psi_{-1} = psi_1 and psi_n = psi_{n-2}: first-derivative terms cancel.
        upper[0] = 2.0 * a
        lower[-1] = 2.0 * a
        return lower, diag, upper

    def _locate(self, t: float, x: np.ndarray):
        if not 0.0 <= t <= self.T:
            raise ValueError(f"t must lie in [0, T={self.T}], got {t}")
        xc = np.clip(x, self.lo, self.hi)  # outside the grid: value at the nearest end
        pos = t / self.dt
        n0 = min(int(np.floor(pos)), self.n_t - 1)
        w_t = pos - n0
        j = np.clip(((xc - self.lo) / self.dx).astype(int), 0, self.x.size - 2)
        u = (xc - self.x[j]) / self.dx
        return n0, w_t, j, u

    def _hermite(self, n: int, j: np.ndarray, u: np.ndarray):
        """Cubic Hermite value and x-derivative between nodes j and j+1 at time index n."""
        v0, v1 = self.v[n, j], self.v[n, j + 1]
        m0, m1 = self.dv[n, j] * self.dx, self.dv[n, j + 1] * self.dx
        u2, u3 = u * u, u * u * u
        val = (2 * u3 - 3 * u2 + 1) * v0 + (u3 - 2 * u2 + u) * m0 + (-2 * u3 + 3 * u2) * v1 + (u3 - u2) * m1
        der = (6 * u2 - 6 * u) * v0 + (3 * u2 - 4 * u + 1) * m0 + (-6 * u2 + 6 * u) * v1 + (3 * u2 - 2 * u) * m1
        return val, der / self.dx

    def value_and_derivative(self, t: float, x: np.ndarray):
        """(v(t, x), dv/dx(t, x)) for an array x of any shape."""
        x = np.asarray(x, dtype=float)
        n0, w_t, j, u = self._locate(t, x)
        a_val, a_der = self._hermite(n0, j, u)
        b_val, b_der = self._hermite(n0 + 1, j, u)
        return (1 - w_t) * a_val + w_t * b_val, (1 - w_t) * a_der + w_t * b_der
