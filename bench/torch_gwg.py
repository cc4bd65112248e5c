"""Dense PyTorch baseline of Gibbs-With-Gradients (Grathwohl et al., ICML 2021).

This mirrors how the authors' reference code runs GWG, so that bench/samplers.py can
compare ttsolve against it on equal terms:

* models are dense torch modules: the Ising / Boltzmann machine keeps the full (D, D)
  coupling matrix J and evaluates f(x) = s^T J s + b . s (s = 2x - 1) with a dense
  matrix product; the RBM evaluates f(v) = b . v + sum softplus(W v + c);
* the flip-difference estimate d = -(2x - 1) * grad f(x) comes from autograd, and f and
  its gradient are recomputed from scratch at every step (no incremental updates);
* the proposal is the categorical softmax(d / 2) drawn with ``torch.distributions``; the
  Metropolis-Hastings test uses the reverse proposal evaluated at the proposed state;
  argument validation is off (``validate_args=False``), the default of the torch versions
  the reference ran on (float32 softmax over D = 2500 sites fails today's simplex check);
* all chains advance together as one (n_chains, D) batch.

Baselines: per-site Gibbs (one site per step, systematic scan, two evaluations of f as
the reference ``PerDimGibbsSampler``) and block Gibbs for the RBM.

torch is optional for ttsolve; this module imports without it and raises ImportError
when a function needs it. Threads: ``num_threads=`` per run, or ``torch.set_num_threads``.

Public API::

    ising_dense_J(shape, coupling, periodic=True) -> numpy (D, D)
    TorchIsing(J, bias=0.0, dtype=torch.float32); TorchIsing.lattice(shape, coupling, bias, periodic)
    TorchRBM(W, b, c, dtype=torch.float32)          # W has shape (n_hidden, n_visible)
    run_gwg(model, n_chains, n_steps, seed, ...)   -> (trace, seconds)
    run_gibbs(model, n_chains, n_steps, seed, ...) -> (trace, seconds)
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np

try:  # optional: only the PyTorch baselines need it
    import torch
    import torch.distributions as dists
except ImportError:  # pragma: no cover - exercised only without torch
    torch = None
    dists = None

__all__ = ["ising_dense_J", "TorchIsing", "TorchRBM", "run_gwg", "run_gibbs", "RECORDS"]

#: What ``run_*`` can keep per chain and step (see :func:`run_gwg`).
RECORDS = ("samples", "energy", "magnetisation", "hamming", "none")


def _require_torch() -> None:
    if torch is None:
        raise ImportError("the PyTorch GWG baseline needs torch: pip install torch==2.13.0")


# --------------------------------------------------------------------------- models


def ising_dense_J(shape: tuple[int, ...], coupling: float, periodic: bool = True) -> np.ndarray:
    """Dense coupling matrix ``coupling * A`` of a lattice's nearest-neighbour graph.

    Sites are numbered in C order. ``A[i, j]`` counts the lattice steps (+1 along any axis)
    joining i and j, so a periodic side of length 2 couples its two sites twice, as a
    neighbour list would. With f = s^T J s every edge contributes 2 * coupling * s_i s_j,
    the reference code's convention.
    """
    shape = tuple(int(n) for n in shape)
    if not shape or any(n < 1 for n in shape):
        raise ValueError(f"ising_dense_J: shape must be non-empty with sides >= 1, got {shape}")
    if periodic and any(n < 2 for n in shape):
        raise ValueError("ising_dense_J: a periodic lattice needs every side >= 2")
    if not np.isfinite(coupling):
        raise ValueError("ising_dense_J: coupling must be finite")
    dim = int(np.prod(shape))
    index = np.arange(dim).reshape(shape)
    adjacency = np.zeros((dim, dim))
    for axis, n in enumerate(shape):
        if periodic:
            neighbour = np.roll(index, -1, axis=axis)
            src, dst = index.ravel(), neighbour.ravel()
        else:
            src = np.take(index, np.arange(n - 1), axis=axis).ravel()
            dst = np.take(index, np.arange(1, n), axis=axis).ravel()
        np.add.at(adjacency, (src, dst), 1.0)
        np.add.at(adjacency, (dst, src), 1.0)
    return coupling * adjacency


class _TorchModel:
    """Shared plumbing: ``model(x)`` on a torch batch, ``log_prob`` on numpy batches."""

    dim: int
    dtype: Any

    def __call__(self, x: "torch.Tensor") -> "torch.Tensor":
        raise NotImplementedError

    def log_prob(self, states: np.ndarray) -> np.ndarray:
        """Unnormalised log-probability of a (K, D) 0/1 numpy batch (for enumeration)."""
        with torch.no_grad():
            x = torch.as_tensor(np.asarray(states), dtype=self.dtype)
            return self(x).double().numpy()


class TorchIsing(_TorchModel):
    """Dense Ising model / Boltzmann machine f(x) = s^T J s + b . s, s = 2x - 1.

    Parameters
    ----------
    J : array_like, shape (D, D)
        Symmetric coupling matrix (see :func:`ising_dense_J`).
    bias : float or array_like, shape (D,)
    dtype : torch dtype
        float32 as the reference code.
    """

    def __init__(self, J: Any, bias: Any = 0.0, dtype: Any = None) -> None:
        _require_torch()
        J = np.asarray(J, dtype=np.float64)
        if J.ndim != 2 or J.shape[0] != J.shape[1] or J.shape[0] < 1:
            raise ValueError(f"TorchIsing: J must be square (D, D), got {J.shape}")
        if not np.isfinite(J).all() or not np.allclose(J, J.T):
            raise ValueError("TorchIsing: J must be finite and symmetric")
        self.dim = J.shape[0]
        bias = np.broadcast_to(np.asarray(bias, dtype=np.float64), (self.dim,))
        if not np.isfinite(bias).all():
            raise ValueError("TorchIsing: bias must be finite")
        self.dtype = dtype or torch.float32
        self.J = torch.as_tensor(J, dtype=self.dtype)
        self.bias = torch.as_tensor(np.array(bias), dtype=self.dtype)

    @classmethod
    def lattice(
        cls, shape: tuple[int, ...], coupling: float, bias: Any = 0.0, periodic: bool = True,
        dtype: Any = None,
    ) -> "TorchIsing":
        """The GWG paper's lattice Ising model with a dense J."""
        return cls(ising_dense_J(shape, coupling, periodic), bias, dtype)

    def __call__(self, x: "torch.Tensor") -> "torch.Tensor":
        s = 2.0 * x - 1.0
        return ((s @ self.J) * s).sum(-1) + s @ self.bias


class TorchRBM(_TorchModel):
    """Bernoulli RBM with the hidden units summed out: f(v) = b . v + sum softplus(W v + c).

    Parameters
    ----------
    W : array_like, shape (n_hidden, n_visible)
    b : array_like, shape (n_visible,)
    c : array_like, shape (n_hidden,)
    """

    def __init__(self, W: Any, b: Any, c: Any, dtype: Any = None) -> None:
        _require_torch()
        W = np.asarray(W, dtype=np.float64)
        if W.ndim != 2 or 0 in W.shape:
            raise ValueError(f"TorchRBM: W must have shape (n_hidden, n_visible), got {W.shape}")
        b, c = np.asarray(b, dtype=np.float64), np.asarray(c, dtype=np.float64)
        if b.shape != (W.shape[1],) or c.shape != (W.shape[0],):
            raise ValueError(f"TorchRBM: b must be ({W.shape[1]},) and c ({W.shape[0]},)")
        if not (np.isfinite(W).all() and np.isfinite(b).all() and np.isfinite(c).all()):
            raise ValueError("TorchRBM: W, b and c must be finite")
        self.dim = W.shape[1]
        self.dtype = dtype or torch.float32
        self.W = torch.as_tensor(W, dtype=self.dtype)
        self.b = torch.as_tensor(b, dtype=self.dtype)
        self.c = torch.as_tensor(c, dtype=self.dtype)
        self._softplus = torch.nn.Softplus()

    def __call__(self, v: "torch.Tensor") -> "torch.Tensor":
        return self._softplus(v @ self.W.t() + self.c).sum(-1) + v @ self.b

    def block_gibbs_step(self, v: "torch.Tensor") -> "torch.Tensor":
        """h ~ p(h | v), then v ~ p(v | h) (the reference RBM's Gibbs baseline)."""
        h = dists.Bernoulli(logits=v @ self.W.t() + self.c, validate_args=False).sample()
        return dists.Bernoulli(logits=h @ self.W + self.b, validate_args=False).sample()


# --------------------------------------------------------------------------- samplers


def _gradient_flip_estimate(model: _TorchModel, x: "torch.Tensor") -> "torch.Tensor":
    """d = -(2x - 1) * grad f(x): first-order estimate of f(flip_i x) - f(x), via autograd."""
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(model(x).sum(), x)
    return (-(2.0 * x - 1.0) * grad).detach()


def gwg_step(model: _TorchModel, x: "torch.Tensor", temperature: float = 2.0, n_flips: int = 1):
    """One GWG step for every chain; returns (new x, accepted mask as float).

    ``n_flips > 1`` is the reference's multi-flip variant: ``n_flips`` sites drawn with
    replacement from the same categorical, their union flipped, and the forward and reverse
    log-probabilities summed over the draws.
    """
    forward = dists.OneHotCategorical(
        logits=_gradient_flip_estimate(model, x) / temperature, validate_args=False
    )
    draws = forward.sample((n_flips,))  # (n_flips, n_chains, D)
    flip = (draws.sum(0) > 0.0).to(x.dtype)
    proposal = (1.0 - x) * flip + x * (1.0 - flip)
    reverse = dists.OneHotCategorical(
        logits=_gradient_flip_estimate(model, proposal) / temperature, validate_args=False
    )
    with torch.no_grad():
        proposal_log_ratio = reverse.log_prob(draws).sum(0) - forward.log_prob(draws).sum(0)
        log_ratio = model(proposal) - model(x) + proposal_log_ratio
        accepted = (log_ratio.exp() > torch.rand_like(log_ratio)).to(x.dtype)
        x_new = proposal * accepted[:, None] + x * (1.0 - accepted[:, None])
    return x_new, accepted


def _per_site_gibbs_step(model: _TorchModel, x: "torch.Tensor", site: int):
    """Resample one site of every chain from its conditional (f evaluated twice, dense)."""
    with torch.no_grad():
        flipped = x.clone()
        flipped[:, site] = 1.0 - x[:, site]
        change = dists.Bernoulli(logits=model(flipped) - model(x), validate_args=False).sample()
        x_new = flipped * change[:, None] + x * (1.0 - change[:, None])
    return x_new, change


def _initial_state(model: _TorchModel, n_chains: int, init: Any) -> "torch.Tensor":
    if init is None:
        return dists.Bernoulli(probs=torch.full((n_chains, model.dim), 0.5, dtype=model.dtype)).sample()
    init = np.asarray(init)
    if init.shape != (n_chains, model.dim) or not np.isin(init, (0, 1)).all():
        raise ValueError(f"init must be a 0/1 array of shape ({n_chains}, {model.dim})")
    return torch.as_tensor(init, dtype=model.dtype)


class _Recorder:
    """Keeps the requested per-step statistic outside the timed region."""

    def __init__(self, model, record, n_chains, n_steps, reference):
        if record not in RECORDS:
            raise ValueError(f"record must be one of {RECORDS}, got {record!r}")
        self.model, self.record = model, record
        if record == "samples":
            self.trace = np.empty((n_chains, n_steps, model.dim), dtype=np.uint8)
        elif record == "none":
            self.trace = None
        else:
            self.trace = np.empty((n_chains, n_steps))
        if record == "hamming":
            reference = np.zeros(model.dim) if reference is None else np.asarray(reference)
            if reference.shape != (model.dim,):
                raise ValueError(f"reference must have shape ({model.dim},)")
            self.reference = torch.as_tensor(reference, dtype=model.dtype)
        self.total = None

    def __call__(self, step: int, x: "torch.Tensor") -> None:
        self.total = x.double() if self.total is None else self.total + x.double()
        if self.record == "samples":
            self.trace[:, step] = x.numpy().astype(np.uint8)
        elif self.record == "energy":
            with torch.no_grad():
                self.trace[:, step] = self.model(x).double().numpy()
        elif self.record == "magnetisation":
            self.trace[:, step] = (2.0 * x.double() - 1.0).mean(-1).numpy()
        elif self.record == "hamming":
            self.trace[:, step] = (x != self.reference).sum(-1).double().numpy()


def _run(
    step: Callable, model, n_chains, n_steps, seed, init, record, reference, info, num_threads
) -> tuple[np.ndarray | None, float]:
    _require_torch()
    if num_threads is not None:
        previous = torch.get_num_threads()
        torch.set_num_threads(int(num_threads))
        try:
            return _run(step, model, n_chains, n_steps, seed, init, record, reference, info, None)
        finally:
            torch.set_num_threads(previous)
    if not isinstance(model, _TorchModel):
        raise TypeError("model must be a TorchIsing or TorchRBM")
    if int(n_chains) < 1 or int(n_steps) < 0:
        raise ValueError("n_chains must be >= 1 and n_steps >= 0")
    n_chains, n_steps = int(n_chains), int(n_steps)
    with torch.random.fork_rng(devices=[]):  # torch.distributions only use the global RNG
        torch.manual_seed(int(seed))
        x = _initial_state(model, n_chains, init)
        recorder = _Recorder(model, record, n_chains, n_steps, reference)
        seconds, accepted = 0.0, 0.0
        for i in range(n_steps):
            start = time.perf_counter()
            x, acc = step(x, i)
            seconds += time.perf_counter() - start
            accepted += float(acc.mean())
            recorder(i, x)
    if info is not None:
        info["acceptance_rate"] = accepted / max(n_steps, 1)
        info["final_state"] = x.numpy().astype(np.uint8)
        info["mean"] = (recorder.total / n_steps).numpy() if n_steps else None
    return recorder.trace, seconds


def run_gwg(
    model: _TorchModel,
    n_chains: int,
    n_steps: int,
    seed: int = 0,
    init: Any = None,
    record: str = "samples",
    reference: Any = None,
    temperature: float = 2.0,
    n_flips: int = 1,
    info: dict | None = None,
    num_threads: int | None = None,
) -> tuple[np.ndarray | None, float]:
    """Run dense GWG on ``n_chains`` chains for ``n_steps`` steps.

    Parameters
    ----------
    model : TorchIsing or TorchRBM
    n_chains, n_steps : int
    seed : int
        Seeds torch's global generator inside a forked RNG state (the caller's state is kept).
    init : array_like (n_chains, D) of 0/1, optional
        Initial states; default uniform random bits.
    record : {"samples", "energy", "magnetisation", "hamming", "none"}
        Per chain and step: the state (uint8, shape (n_chains, n_steps, D)), f(x), the
        mean spin 2x - 1, or the Hamming distance to ``reference`` (shape
        (n_chains, n_steps)); ``"none"`` keeps nothing (pure timing).
    reference : array_like (D,), optional
        Reference state for ``record="hamming"`` (default all zeros).
    temperature : float
        Proposal softmax(d / temperature); 2 is GWG.
    n_flips : int
        Sites proposed per step (the paper's "gwg-3", "gwg-5" use 3 and 5).
    info : dict, optional
        Filled with ``acceptance_rate``, ``final_state`` and ``mean`` (per-chain mean of x).
    num_threads : int, optional
        torch intra-op threads for this run (restored afterwards). On a busy 2-core machine
        torch's 2-thread kernels can be many times slower than 1 thread (spin-waiting), so
        benchmarks should time 1 and n threads and keep the faster.

    Returns
    -------
    trace : numpy.ndarray or None
    seconds : float
        Time spent in sampler steps only (recording excluded), as the reference measures.
    """
    if int(n_flips) < 1 or not temperature > 0:
        raise ValueError("n_flips must be >= 1 and temperature > 0")
    return _run(
        lambda x, i: gwg_step(model, x, temperature, int(n_flips)),
        model, n_chains, n_steps, seed, init, record, reference, info, num_threads,
    )


def run_gibbs(
    model: _TorchModel,
    n_chains: int,
    n_steps: int,
    seed: int = 0,
    init: Any = None,
    record: str = "samples",
    reference: Any = None,
    info: dict | None = None,
    num_threads: int | None = None,
) -> tuple[np.ndarray | None, float]:
    """Gibbs baseline: block Gibbs (v -> h -> v) for a :class:`TorchRBM`, else per-site
    systematic-scan Gibbs updating site ``step % D``. Same arguments and returns as
    :func:`run_gwg`; ``acceptance_rate`` in ``info`` is the fraction of changed sites for
    per-site Gibbs and 1 for block Gibbs."""
    if isinstance(model, TorchRBM):
        def step(x, i):
            return model.block_gibbs_step(x), torch.ones(1)
    else:
        def step(x, i):
            return _per_site_gibbs_step(model, x, i % model.dim)
    return _run(step, model, n_chains, n_steps, seed, init, record, reference, info, num_threads)


def _demo() -> None:  # pragma: no cover - manual smoke run
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
    from ttsolve.mcmc.diagnostics import ess

    for side, coupling in ((10, 0.1), (50, 0.25)):
        model = TorchIsing.lattice((side, side), coupling)
        n_chains, n_steps = 100, 200 if side == 50 else 1000
        for threads in (1, torch.get_num_threads()):
            trace, seconds = run_gwg(
                model, n_chains, n_steps, seed=0, record="magnetisation", num_threads=threads
            )
            e = ess(trace[:, n_steps // 10 :])
            print(
                f"torch GWG Ising {side}x{side}, {threads} thread(s): "
                f"{n_chains * n_steps / seconds:,.0f} chain-steps/s, "
                f"ESS(magnetisation)/s = {e / seconds:.1f}"
            )


if __name__ == "__main__":  # pragma: no cover
    _require_torch()
    _demo()
