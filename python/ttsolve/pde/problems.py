"""Built-in test problems (as in Richter, Sallandt & Nuesken, ICML 2021) and their registry.

Every factory returns a :class:`~ttsolve.pde.problem.Problem` for

    dV/dt + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V) = 0,  V(T) = g.

See docs/pde_problems.md for the constants and how each reference solution is obtained.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from .paths import simulate_paths
from .problem import Problem
from .references import check_points, hjb_exact

__all__ = [
    "HJB",
    "DoubleWell",
    "DoubleWellInteracting",
    "CIRBond",
    "UnboundedSin",
    "BUILTIN_PROBLEMS",
    "get_problem",
    "list_problems",
    "pde_residual",
    "domain_from_paths",
]


# ----------------------------------------------------------------------------- validation

def _check_dim(dim: Any) -> int:
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"dim must be an int, got {type(dim).__name__}")
    if dim < 1:
        raise ValueError(f"dim must be >= 1, got {dim}")
    return int(dim)


def _check_T(T: Any) -> float:
    T = float(T)
    if not np.isfinite(T) or T <= 0:
        raise ValueError(f"T must be a positive finite number, got {T}")
    return T


def _checked(f: Callable, dim: int, name: str) -> Callable:
    """Wrap f(t, X, ...) so that X is validated as a (K, dim) finite array."""

    def wrapped(t, X, *args):
        return f(t, check_points(X, dim, f"{name}: X"), *args)

    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped


def _checked_x(f: Callable, dim: int, name: str) -> Callable:
    """Like :func:`_checked` for callables of X only (g, grad_g)."""

    def wrapped(X):
        return f(check_points(X, dim, f"{name}: X"))

    wrapped.__name__ = name
    wrapped.__doc__ = f.__doc__
    return wrapped


def domain_from_paths(
    problem: Problem, n_steps: int = 50, n_samples: int = 1000, seed: int = 12345, margin: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """A box covering forward paths: per-coordinate min/max over a pilot simulation, widened by
    ``margin`` times its width on each side (deterministic for the fixed ``seed``)."""
    X, _ = simulate_paths(problem, n_steps, n_samples, seed=seed)
    lo = X.min(axis=(0, 1))
    hi = X.max(axis=(0, 1))
    width = np.maximum(hi - lo, 1e-12)
    return lo - margin * width, hi + margin * width


def _with_domain(problem: Problem, **pilot: Any) -> Problem:
    return dataclasses.replace(problem, domain=domain_from_paths(problem, **pilot))


def _make_problem(
    *, dim, T, x0, drift, sigma, h, g, grad_g, name, note, n_steps, sigma_kind="scalar",
    exact=None, exact_gradient=None, reference=None, domain=None, solver=None,
) -> Problem:
    """Assemble a built-in Problem: validated callables, V(0, x0) from ``exact`` unless a
    ``reference`` (value, stderr) is given, and a domain box from pilot paths unless given."""
    if exact is not None:
        exact = _checked(exact, dim, "exact")
        exact_gradient = _checked(exact_gradient, dim, "exact_gradient")
        if reference is None:
            reference = (float(exact(0.0, x0[None, :])[0]), 0.0)
    problem = Problem(
        dim=dim, T=T, x0=x0,
        drift=_checked(drift, dim, "drift"),
        sigma=sigma,
        h=h,
        g=_checked_x(g, dim, "g"),
        grad_g=_checked_x(grad_g, dim, "grad_g"),
        domain=(x0 - 1.0, x0 + 1.0) if domain is None else domain,
        sigma_kind=sigma_kind,
        name=name,
        exact=exact,
        exact_gradient=exact_gradient,
        reference_value=None if reference is None else reference[0],
        reference_stderr=None if reference is None else reference[1],
        reference_note=note,
        defaults=dict(n_steps=n_steps, **(solver or {})),
    )
    return problem if domain is not None else _with_domain(problem)


def _half_sq_norm_h(t, X, Y, Z):
    """h = -|z|^2 / 2 (the control-cost nonlinearity of the HJB and double-well problems)."""
    return -0.5 * np.sum(np.asarray(Z) ** 2, axis=1)


def _zero_drift(t, X):
    return np.zeros_like(X)


# ----------------------------------------------------------------------------- HJB

def _sq_norms(X):
    return np.einsum("...i,...i->...", X, X)  # row-wise |x|^2 without a (K, d) temporary


def _hjb_g(X):
    return np.log(0.5 + 0.5 * _sq_norms(X))


def _hjb_grad_g(X):
    return 2.0 * X / (1.0 + _sq_norms(X)[..., None])


HJB_PAPER_VALUE_D100 = 4.589992  # the paper's Monte Carlo value of V(0, 0) for d = 100, T = 1


def HJB(dim: int = 100, T: float = 1.0) -> Problem:
    """Hamilton-Jacobi-Bellman equation  V_t + Lap V - |grad V|^2 = 0,  V(T) = log(1/2 + |x|^2/2).

    b = 0, sigma = sqrt(2) I (scalar), h = -|z|^2/2 with z = sqrt(2) grad V, x0 = 0.  By Cole-Hopf
    V(t, x) = -log E[exp(-g(x + sqrt(2) W_{T-t}))]; ``exact``/``exact_gradient`` evaluate it by
    deterministic quadrature (:func:`~ttsolve.pde.references.hjb_exact`, error ~1e-12), and
    :func:`~ttsolve.pde.references.hjb_reference` by Monte Carlo.  For d = 100 the exact
    V(0, 0) = 4.5901617246 (the paper's Monte Carlo value is 4.589992).
    """
    dim, T = _check_dim(dim), _check_T(T)
    s = np.sqrt(2.0)

    def exact(t, X):
        return hjb_exact(t, X, T)

    def exact_gradient(t, X):
        return hjb_exact(t, X, T, gradient=True)[1]

    note = "Cole-Hopf by quadrature (hjb_exact): V(t,x) = -log E exp(-g(x + sqrt(2) W_{T-t}))"
    if dim == 100 and T == 1.0:
        note += f"; the paper's Monte Carlo value is {HJB_PAPER_VALUE_D100}"
    half = 4.5 * np.sqrt(2.0 * T)  # X_t = sqrt(2) W_t: 4.5 standard deviations at t = T
    return _make_problem(
        dim=dim, T=T, x0=np.zeros(dim), drift=_zero_drift, sigma=lambda t, X: s, h=_half_sq_norm_h,
        g=_hjb_g, grad_g=_hjb_grad_g, name="hjb", note=note, n_steps=100,
        solver=dict(degree=0, max_rank=1, inner_samples=4, inner_samples_g=16, additive_powers=2),
        exact=exact, exact_gradient=exact_gradient, domain=(np.full(dim, -half), np.full(dim, half)),
    )


# ----------------------------------------------------------------------------- residual

def pde_residual(problem: Problem, V, dVdt, grad, hess_trace, t: float, X) -> np.ndarray:
    """Pointwise PDE residual  V_t + 1/2 Tr(sigma sigma^T Hess V) + b . grad V + h(t, x, V, sigma^T grad V).

    Parameters
    ----------
    V, dVdt : (K,) arrays
        Value and time derivative at (t, X).
    grad : (K, d) array
        Spatial gradient.
    hess_trace : (K,), (K, d) or (K, d, d) array
        Either the already-contracted Tr(sigma sigma^T Hess V) (K,), or the Hessian diagonal
        (K, d) (scalar/diagonal sigma only), or the full Hessian (K, d, d).
    t : float
    X : (K, d) array

    Returns
    -------
    (K,) array of residuals (0 for an exact solution).
    """
    from .paths import sigma_covariance_trace, sigma_transpose_times

    X = check_points(X, problem.dim)
    K, d = X.shape
    V = np.asarray(V, dtype=float).reshape(-1)
    dVdt = np.asarray(dVdt, dtype=float).reshape(-1)
    grad = np.asarray(grad, dtype=float)
    hess_trace = np.asarray(hess_trace, dtype=float)
    for name, arr, shape in (("V", V, (K,)), ("dVdt", dVdt, (K,)), ("grad", grad, (K, d))):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if hess_trace.shape == (K,):
        trace = hess_trace
    else:
        trace = sigma_covariance_trace(problem, t, X, hess_trace)
    Z = sigma_transpose_times(problem, t, X, grad)
    b = np.asarray(problem.drift(t, X), dtype=float)
    h = np.asarray(problem.h(t, X, V, Z), dtype=float).reshape(-1)
    return dVdt + 0.5 * trace + np.sum(b * grad, axis=1) + h


# ----------------------------------------------------------------------------- double wells

DOUBLE_WELL_KAPPA = 0.1  # paper, d = 50 diagonal experiment
DOUBLE_WELL_ETA = 0.05
_FD_CACHE: dict[tuple, Any] = {}


def _double_well_fd(kappa: float, eta: float, T: float):
    """The 1-D Cole-Hopf reference, solved once per (kappa, eta, T) and cached."""
    from .fd1d import ColeHopf1D

    key = (kappa, eta, T)
    if key not in _FD_CACHE:
        _FD_CACHE[key] = ColeHopf1D(
            drift=lambda x: -4.0 * kappa * x * (x * x - 1.0),
            terminal=lambda x: eta * (x - 1.0) ** 2,
            T=T,
        )
    return _FD_CACHE[key]


def DoubleWell(dim: int = 50, T: float = 0.5, kappa: float = DOUBLE_WELL_KAPPA, eta: float = DOUBLE_WELL_ETA) -> Problem:
    """Diagonal double well: b = -grad Psi, Psi(x) = sum_i kappa (x_i^2 - 1)^2, sigma = I,
    h = -|z|^2/2, g(x) = sum_i eta (x_i - 1)^2, x0 = (-1, ..., -1).

    The problem separates: V(t, x) = sum_i v(t, x_i) where v = -log psi and psi solves the 1-D
    linear backward equation psi_t + psi_xx/2 - 4 kappa x (x^2 - 1) psi_x = 0, psi(T) = exp(-eta (x-1)^2),
    solved by Crank-Nicolson on [-4.5, 4.5] (1801 points, 1000 steps); ``exact`` and
    ``exact_gradient`` interpolate that solution.
    """
    dim, T = _check_dim(dim), _check_T(T)
    kappa, eta = float(kappa), float(eta)
    if kappa < 0 or eta < 0:
        raise ValueError(f"kappa and eta must be >= 0, got kappa={kappa}, eta={eta}")
    fd = _double_well_fd(kappa, eta, T)

    def drift(t, X):
        return -4.0 * kappa * X * (X * X - 1.0)

    def g(X):
        return eta * np.sum((X - 1.0) ** 2, axis=-1)

    def grad_g(X):
        return 2.0 * eta * (X - 1.0)

    def exact(t, X):
        return fd.value_and_derivative(t, X)[0].sum(axis=1)

    def exact_gradient(t, X):
        return fd.value_and_derivative(t, X)[1]

    return _make_problem(
        dim=dim, T=T, x0=-np.ones(dim), drift=drift, sigma=lambda t, X: 1.0, h=_half_sq_norm_h,
        g=g, grad_g=grad_g, name="doublewell", n_steps=50,
        solver=dict(degree=3, max_rank=2), exact=exact, exact_gradient=exact_gradient,
        note="separable: sum of 1-D Cole-Hopf solutions by Crank-Nicolson finite differences",
    )


def interaction_matrix(dim: int, seed: int = 42, strength: float = 0.1) -> np.ndarray:
    """C = I + strength * G with G standard Gaussian from numpy's legacy RandomState(seed).

    The legacy stream reproduces the authors' matrix for the default seed 42.  C is not
    symmetric; Psi only sees its symmetric part, so grad Psi uses C + C^T.
    """
    G = np.random.RandomState(seed).standard_normal((dim, dim))
    return np.eye(dim) + strength * G


# (dim, T, eta, seed) -> (V(0, x0), stderr, note).  Computed with interacting_reference(n_mc=100000,
# mc_seed=2021 + n_steps) for n_steps = 60, 120, 240 (dt = 0.005, 0.0025, 0.00125):
# 34.338874 +- 0.001100, 34.378091 +- 0.001038, 34.398675 +- 0.001005 (and n_steps = 30, mc_seed
# 2021: 34.254727 +- 0.001247).  Euler's O(dt) + O(dt^2) bias is removed by three-point
# Richardson extrapolation (8 V_240 - 6 V_120 + V_60) / 3; the same on 30/60/120 gives 34.4154.
INTERACTING_REFERENCE: dict[tuple, tuple[float, float, str]] = {
    (20, 0.3, 0.5, 42): (
        34.419909,
        0.0035,
        "continuous-time value by Richardson extrapolation of importance-sampled Euler Monte Carlo "
        "(dt = 0.005, 0.0025, 0.00125; 1e5 paths each); the Euler chain with dt = 0.01 itself "
        "gives 34.254727 +- 0.001247",
    ),
}


def DoubleWellInteracting(dim: int = 20, T: float = 0.3, eta: float = 0.5, seed: int = 42) -> Problem:
    """Interacting double well: b = -grad Psi, Psi(x) = sum_ij C_ij (x_i^2 - 1)(x_j^2 - 1) with
    C = :func:`interaction_matrix`, sigma = I, h = -|z|^2/2, g(x) = sum_i eta (x_i - 1)^2, x0 = -1.

    Reference V(0, x0) = -log E[exp(-g(X_T))] by Euler-Maruyama Monte Carlo of the drifted SDE
    (:func:`interacting_reference`); precomputed values are stored in ``INTERACTING_REFERENCE``,
    otherwise ``reference_value`` is None until computed.
    """
    dim, T = _check_dim(dim), _check_T(T)
    eta = float(eta)
    C = interaction_matrix(dim, seed)
    Csym = C + C.T

    def drift(t, X):
        return -2.0 * X * ((X * X - 1.0) @ Csym.T)

    def g(X):
        return eta * np.sum((X - 1.0) ** 2, axis=-1)

    def grad_g(X):
        return 2.0 * eta * (X - 1.0)

    ref = INTERACTING_REFERENCE.get((dim, T, eta, seed))
    return _make_problem(
        dim=dim, T=T, x0=-np.ones(dim), drift=drift, sigma=lambda t, X: 1.0, h=_half_sq_norm_h,
        g=g, grad_g=grad_g, name="doublewell-interacting", n_steps=30,
        solver=dict(degree=2, max_rank=2),
        reference=None if ref is None else ref[:2],
        note="Cole-Hopf + Euler-Maruyama Monte Carlo" + ("" if ref is None else f" ({ref[2]})"),
    )


def decoupled_control(C: np.ndarray, eta: float, T: float):
    """u(t, x) = -grad V_dec(t, x), V_dec the value of the double well with only the diagonal
    terms C_ii (x_i^2 - 1)^2 of Psi (separable; 1-D Crank-Nicolson solutions on a coarse grid).
    Importance-sampling control for the interacting problem (sigma = I)."""
    from .fd1d import ColeHopf1D

    kappas = np.diag(C)
    solvers = {}
    for kap in np.unique(kappas):
        solvers[kap] = ColeHopf1D(
            drift=lambda x, k=kap: -4.0 * k * x * (x * x - 1.0),
            terminal=lambda x: eta * (x - 1.0) ** 2,
            T=T, n_x=601, n_t=300,
        )

    def control(t, X):
        U = np.empty_like(X)
        for i, kap in enumerate(kappas):
            U[:, i] = -solvers[kap].value_and_derivative(t, X[:, i])[1]
        return U

    return control


def interacting_reference(
    dim: int = 20,
    T: float = 0.3,
    eta: float = 0.5,
    seed: int = 42,
    n_mc: int = 100_000,
    n_steps: int = 300,
    mc_seed: int = 2021,
    importance: bool = True,
) -> tuple[float, float]:
    """(V(0, x0), stderr) of ``DoubleWellInteracting(dim, T, eta, seed)`` by Cole-Hopf Monte Carlo
    with Euler-Maruyama (``n_steps`` steps on [0, T]; the O(T / n_steps) time-discretisation bias
    is not in stderr), importance-sampled with :func:`decoupled_control` unless
    ``importance=False``."""
    from .references import feynman_kac_cole_hopf

    problem = DoubleWellInteracting(dim, T, eta, seed)
    control = decoupled_control(interaction_matrix(dim, seed), float(eta), float(T)) if importance else None
    return feynman_kac_cole_hopf(
        problem, problem.x0, 0.0, n_mc=n_mc, n_steps=n_steps, seed=mc_seed, control=control
    )


# ----------------------------------------------------------------------------- CIR bond

def _cir_constants(dim: int, seed: int):
    """Mean-reversion speeds a, levels b and volatilities s: U(0, 1) from legacy RandomState(seed)
    drawn in that order (reproduces the authors' constants for seed 42)."""
    rs = np.random.RandomState(seed)
    a = rs.uniform(size=dim)
    b = rs.uniform(size=dim)
    s = rs.uniform(size=dim)
    return a, b, s


def cir_affine_bond(t: float, X: np.ndarray, T: float, a, b, s, lam: float):
    """Closed-form E[exp(-lam int_t^T sum_i x_i(u) du)] for independent CIR factors
    dx_i = a_i (b_i - x_i) du + s_i sqrt(x_i) dW_i: the product of affine-exponential prices
    A_i(tau) exp(-B_i(tau) x_i), tau = T - t.  Returns (price, gradient)."""
    tau = T - t
    gam = np.sqrt(a * a + 2.0 * lam * s * s)
    e = np.expm1(gam * tau)
    den = (gam + a) * e + 2.0 * gam
    B = 2.0 * lam * e / den
    logA = (2.0 * a * b / (s * s)) * (np.log(2.0 * gam) + 0.5 * (a + gam) * tau - np.log(den))
    price = np.exp(np.sum(logA) - X @ B)
    return price, -price[:, None] * B[None, :]


# (dim, T, seed) -> (V(0, x0), stderr, note) of the paper variant: cir_reference(n_mc=20000,
# n_steps=200, seed=207) = 0.307768 +- 0.000568 (n_steps=100, seed=107: 0.307413 +- 0.000566).
CIR_REFERENCE: dict[tuple, tuple[float, float, str]] = {
    (100, 1.0, 42): (0.307768, 0.000568, "Monte Carlo, 2e4 paths, Euler dt = 0.005, trapezoidal rate integral"),
}


def CIRBond(dim: int = 100, T: float = 1.0, variant: str = "paper", seed: int = 42) -> Problem:
    """Bond price under a multidimensional Cox-Ingersoll-Ross model, V(t, x) = E[exp(-int_t^T r du)].

    Factors dx_i = a_i (b_i - x_i) dt + s_i sqrt(|x_i|) dW, constants from :func:`_cir_constants`,
    x0 = (1, ..., 1), g = 1, h(t, x, y, z) = -r(x) y.

    - ``variant="paper"`` (the authors' formulation): all factors driven by ONE Brownian motion
      (sigma is the (d, d) matrix whose first column is s_i sqrt(|x_i|), sigma_kind "full"), short
      rate r = max_i x_i.  No closed form: judge solutions by the PDE residual; a Monte Carlo value
      of V(0, x0) is given by :func:`cir_reference`.
    - ``variant="affine"``: independent Brownian motions (sigma = diag(s_i sqrt|x_i|)) and
      r = mean_i x_i; closed-form solution (``exact``, ``exact_gradient``).
    """
    dim, T = _check_dim(dim), _check_T(T)
    if variant not in ("paper", "affine"):
        raise ValueError(f"variant must be 'paper' or 'affine', got {variant!r}")
    a, b, s = _cir_constants(dim, seed)

    def drift(t, X):
        return a * (b - X)

    def g(X):
        return np.ones(X.shape[0])

    def grad_g(X):
        return np.zeros_like(X)

    if variant == "paper":
        def sigma(t, X):
            S = np.zeros((X.shape[0], dim, dim))
            S[:, :, 0] = s * np.sqrt(np.abs(X))
            return S

        def h(t, X, Y, Z):
            return -np.max(X, axis=1) * Y

        kind, exact, exact_gradient = "full", None, None
        stored = CIR_REFERENCE.get((dim, T, seed))
        reference = None if stored is None else stored[:2]
        note = "no closed form: PDE residual along paths; V(0, x0) by cir_reference" + (
            "" if stored is None else f" ({stored[2]})"
        )
    else:
        lam = 1.0 / dim

        def sigma(t, X):
            return s * np.sqrt(np.abs(X))

        def h(t, X, Y, Z):
            return -np.mean(X, axis=1) * Y

        def exact(t, X):
            return cir_affine_bond(t, X, T, a, b, s, lam)[0]

        def exact_gradient(t, X):
            return cir_affine_bond(t, X, T, a, b, s, lam)[1]

        kind, note = "diagonal", "closed-form affine bond price (product over factors)"
        reference = None
    return _make_problem(
        dim=dim, T=T, x0=np.ones(dim), drift=drift, sigma=_checked(sigma, dim, "sigma"), h=h,
        g=g, grad_g=grad_g, sigma_kind=kind, name="cir" if variant == "paper" else "cir-affine",
        n_steps=100, exact=exact, exact_gradient=exact_gradient, note=note, reference=reference,
        solver=dict(degree=2, max_rank=1),
    )


def cir_reference(problem: Problem, n_mc: int = 100_000, n_steps: int = 1000, seed: int = 7):
    """(V(0, x0), stderr) of a CIR bond problem by Monte Carlo of E[exp(-int_0^T r dt)]
    (Euler-Maruyama with the problem's own sigma, trapezoidal time integral; O(dt) bias not in
    stderr).  Works for both variants; memory is O(n_mc * dim) per block."""
    from .paths import _generator, sigma_times

    rng = _generator(seed)
    dt = problem.T / n_steps
    batch = max(1, min(n_mc, (64 * 1024**2) // (8 * problem.dim * (problem.dim if problem.sigma_kind == "full" else 1))))
    vals = []
    done = 0
    while done < n_mc:
        m = min(batch, n_mc - done)
        X = np.tile(problem.x0, (m, 1))
        integral = np.zeros(m)
        ones = np.ones(m)
        for n in range(n_steps):
            t = n * dt
            r0 = -problem.h(t, X, ones, None)
            xi = rng.standard_normal((m, problem.dim))
            X = X + problem.drift(t, X) * dt + sigma_times(problem, t, X, xi) * np.sqrt(dt)
            integral += 0.5 * dt * (r0 - problem.h(t + dt, X, ones, None))
        vals.append(np.exp(-integral))
        done += m
    v = np.concatenate(vals)
    return float(v.mean()), float(v.std(ddof=1) / np.sqrt(n_mc))


# ----------------------------------------------------------------------------- UnboundedSin

def UnboundedSin(dim: int = 10, T: float = 1.0) -> Problem:
    """Huré-Pham-Warin test with an unbounded, non-smooth-looking exact solution:

        V(t, x) = (T - t)/d sum_i psi(x_i) + cos(sum_i i x_i),   psi(u) = sin u (u < 0), u (u >= 0),

    b = 0, sigma = I / sqrt(d) (scalar), x0 = (1/2, ..., 1/2), g(x) = cos(sum_i i x_i), and
    h(t, x, y, z) = -V_t - Lap V/(2d) - 1/2 (V DV/d + V^2) + 1/2 (y^2 + y sum_i z_i / sqrt(d)),
    where V, DV = sum_i dV/dx_i, V_t and Lap V are those of the exact solution, so that the exact
    solution satisfies the PDE with (y, z) = (V, grad V / sqrt(d)).
    """
    dim, T = _check_dim(dim), _check_T(T)
    k = np.arange(1.0, dim + 1.0)
    s = 1.0 / np.sqrt(dim)
    r = 0.5

    def parts(t, X):
        neg = X < 0
        psi = np.where(neg, np.sin(X), X)
        dpsi = np.where(neg, np.cos(X), 1.0)
        ddpsi = np.where(neg, -np.sin(X), 0.0)
        phase = X @ k
        V = (T - t) * psi.mean(axis=1) + np.cos(phase)
        grad = (T - t) / dim * dpsi - np.sin(phase)[:, None] * k[None, :]
        lap = (T - t) * ddpsi.mean(axis=1) - np.cos(phase) * np.sum(k * k)
        Vt = -psi.mean(axis=1)
        return V, grad, lap, Vt

    def exact(t, X):
        return parts(t, X)[0]

    def exact_gradient(t, X):
        return parts(t, X)[1]

    def h(t, X, Y, Z):
        V, grad, lap, Vt = parts(t, X)
        DV = grad.sum(axis=1)
        Y = np.asarray(Y).reshape(-1)
        forcing = -Vt - 0.5 * s * s * lap - r * (V * DV / dim + V * V)
        return forcing + r * (Y * Y + Y * np.sum(Z, axis=1) / np.sqrt(dim))

    def g(X):
        return np.cos(X @ k)

    def grad_g(X):
        return -np.sin(X @ k)[:, None] * k[None, :]

    return _make_problem(
        dim=dim, T=T, x0=np.full(dim, 0.5), drift=_zero_drift, sigma=lambda t, X: s,
        h=_checked(h, dim, "h"), g=g, grad_g=grad_g, name="unboundedsin", n_steps=100,
        solver=dict(scheme="trapezoidal", n_samples=8000, degree=3, max_rank=2, inner_samples=8,
                    inner_samples_g=128),
        exact=exact, exact_gradient=exact_gradient, note="closed-form exact solution",
    )


# ----------------------------------------------------------------------------- registry

BUILTIN_PROBLEMS: dict[str, Callable[..., Problem]] = {
    "hjb": HJB,
    "doublewell": DoubleWell,
    "doublewell-interacting": DoubleWellInteracting,
    "cir": CIRBond,
    "unboundedsin": UnboundedSin,
}

_DESCRIPTIONS = {
    "hjb": "HJB, V_t + Lap V - |grad V|^2 = 0, g = log(1/2 + |x|^2/2); d=100, T=1; Cole-Hopf MC reference",
    "doublewell": "diagonal double well, kappa=0.1, eta=0.05; d=50, T=0.5; 1-D finite-difference reference",
    "doublewell-interacting": "interacting double well, C = I + 0.1 G, eta=0.5; d=20, T=0.3; MC reference",
    "cir": "multidimensional CIR bond price, r = max_i x_i, one Brownian motion; d=100, T=1; PDE residual",
    "unboundedsin": "Hure-Pham-Warin unbounded sine problem; d=10, T=1; exact solution",
}


def get_problem(name: str, **kwargs: Any) -> Problem:
    """Build the built-in problem ``name`` (case-insensitive, '_' == '-') with factory kwargs."""
    key = str(name).lower().replace("_", "-")
    if key not in BUILTIN_PROBLEMS:
        raise ValueError(f"unknown problem {name!r}; choose one of {sorted(BUILTIN_PROBLEMS)}")
    return BUILTIN_PROBLEMS[key](**kwargs)


def list_problems() -> list[tuple[str, str]]:
    """(name, one-line description) of every built-in problem."""
    return [(name, _DESCRIPTIONS[name]) for name in BUILTIN_PROBLEMS]
