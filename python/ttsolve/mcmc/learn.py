"""Fitting binary energy models to data: persistent contrastive divergence (PCD) with any ttsolve
sampler, pseudo-likelihood (the standard baseline), and training sets from known models.

``fit_pcd`` keeps ``n_chains`` persistent chains. Each update advances them by
``steps_per_update`` steps of the chosen sampler at the current parameters (one compiled run
kept across updates for the quadratic families, else ``sample`` with ``init=`` the previous
final state and a per-update seed derived from ``seed``: :mod:`ttsolve.mcmc.learn_chains`), then moves the
parameters along data moments minus chain moments (the log-likelihood gradient with the model
expectation estimated by the chains), minus the penalty gradient. The objective is

    mean log-likelihood - l2 ||J||_F^2 - l1 ||J||_1        (RBM: W in place of J; biases free)

with entrywise gradients (each entry of J a free number). The moments are computed by the
compiled kernels of ``_core.learn`` (exact counts for 0/1 data), so a whole fit is
reproducible for a seed whatever the thread count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import scipy.optimize

from .._progress import TextProgress
from .._validation import as_seed, check_int, check_real
from .diagnostics import ess, rhat
from .learn_chains import make_chains
from .models import as_states
from .learn_families import FAMILIES, Ising, RBMFamily, make_family
from . import sample  # the package-level entry point (survives the samplers re-layout)

__all__ = ["fit_pcd", "fit_pseudolikelihood", "sample_training_set", "FitHistory", "Ising", "FAMILIES",
           "pseudo_log_likelihood"]

_HISTORY_FIELDS = ("update", "param_change", "pl_train", "pl_valid", "acceptance", "seconds", "learning_rate")


@dataclass
class FitHistory:
    """Per-update record of :func:`fit_pcd` (arrays of length n_updates_done).

    update, param_change (L2 norm of the whole parameter step), pl_train / pl_valid (mean
    pseudo-log-likelihood per row; NaN between evaluations), acceptance (mean over the chains of
    the update's sampling), seconds (cumulative wall time), learning_rate. ``params``: the final
    parameters; ``final_state``: the persistent chains; ``interrupted``: stopped by Ctrl-C or
    by the callback.
    """

    update: np.ndarray
    param_change: np.ndarray
    pl_train: np.ndarray
    pl_valid: np.ndarray
    acceptance: np.ndarray
    seconds: np.ndarray
    learning_rate: np.ndarray
    params: dict[str, np.ndarray] = field(default_factory=dict)
    final_state: np.ndarray | None = None
    interrupted: bool = False


def _as_binary_data(data: Any, name: str, dim: int | None = None, n_states: int = 2) -> np.ndarray:
    return as_states(data, name, n_states, dim, min_rows=1)


def _n_states(model_family: Any, n_states: Any) -> int:
    """States per site: n_states >= 2 for the Potts family (required), 2 for the binary ones."""
    if isinstance(model_family, str) and model_family == "potts":
        if n_states is None:
            raise ValueError("model_family='potts' needs n_states=K (states 0..K-1 per site)")
        return check_int(n_states, "n_states", 2)
    if n_states not in (None, 2):
        raise ValueError(f"n_states applies to model_family='potts' only (binary families have 2), got {n_states!r}")
    return 2


def _learning_rate(learning_rate: Any) -> Callable[[int], float]:
    if callable(learning_rate):
        return lambda t: check_real(learning_rate(t), f"learning_rate({t})", positive=True)
    lr = check_real(learning_rate, "learning_rate", positive=True)
    return lambda t: lr


class _Adam:
    """Adam (Kingma & Ba) on a dict of arrays, ascent; beta1 0.9, beta2 0.999, eps 1e-8."""

    def __init__(self, params: dict[str, np.ndarray]) -> None:
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.t = 0

    def step(self, grads: dict[str, np.ndarray], lr: float) -> dict[str, np.ndarray]:
        self.t += 1
        out = {}
        for k, g in grads.items():
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            m_hat, v_hat = self.m[k] / (1 - 0.9**self.t), self.v[k] / (1 - 0.999**self.t)
            out[k] = lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        return out


class _SGD:
    def step(self, grads: dict[str, np.ndarray], lr: float) -> dict[str, np.ndarray]:
        return {k: lr * g for k, g in grads.items()}


def fit_pcd(model_family: Any, data: Any, sampler: str = "gwg", n_chains: int = 100, steps_per_update: int = 10,
            n_updates: int = 1000, learning_rate: Any = 0.01, optimizer: str = "adam", l1: float = 0.0,
            l2: float = 0.0, batch_size: int | None = None, seed: Any = 0, validation: Any = None,
            pl_every: int | None = None, structure: Any = None, n_hidden: int | None = None,
            learn_bias: bool = True, init_chains: Any = None,
            callback: Callable[[int, dict, dict], Any] | None = None, progress: bool = False,
            persistent_chains: bool = True, n_states: int | None = None,
            **sampler_options: Any) -> tuple[Any, FitHistory]:
    """Fit a binary energy model to ``data`` by persistent contrastive divergence.

    Parameters
    ----------
    model_family : {"ising", "ising_lattice", "binary_quadratic", "rbm"} or a model to start from
        "ising": f = s^T J s + h . s (s = 2x - 1), J dense unless ``structure`` is given;
        "ising_lattice": the same with J on the periodic lattice ``structure=shape``;
        "binary_quadratic": f = x^T J x + b . x (diagonal of J kept at 0, it duplicates b);
        "rbm": f = b . v + sum softplus(W v + c) with ``n_hidden`` units. A model (Ising,
        IsingLattice, BinaryQuadratic or RBM) starts the fit at its parameters; for Ising
        models its coupling pattern is the structure unless ``structure`` is given.
    data : (n, D) 0/1 array
    sampler : a name of ttsolve.mcmc.SAMPLERS; ``**sampler_options`` go to ``sample``
    n_chains, steps_per_update, n_updates : persistent chains, sampler steps per update, updates
    learning_rate : float > 0 or callable(update index) -> float (a decreasing schedule)
    optimizer : "adam" or "sgd"
    l1, l2 : penalties on the couplings (see the module docstring)
    batch_size : data rows per update (default: all rows every update)
    seed : int or Generator; chain initialisation, batches and the samplers all derive from it
    validation : (m, D) 0/1 array for the validation pseudo-log-likelihood
    pl_every : evaluate pseudo-log-likelihoods every this many updates (default n_updates // 20)
    structure : coupling pattern: a lattice shape or a symmetric (D, D) boolean mask
    learn_bias : False keeps the Ising h / binary b at its start value
    init_chains : (n_chains, D) 0/1 start of the chains (default uniform random bits)
    callback : callable(update, params, row) after every update; returning True stops the fit
    progress : text progress on stderr
    persistent_chains : True (default) keeps one compiled run across updates for the Ising and
        binary-quadratic families on the quadratic engine's samplers (couplings rewritten in
        place, chain streams and scan positions kept: ttsolve.mcmc.learn_chains); False, and
        every other family or sampler, calls ``sample`` once per update from the last states

    Returns
    -------
    (model, FitHistory)
        The fitted ttsolve model (Ising, BinaryQuadratic or RBM) and the per-update history.
    """
    K = _n_states(model_family, n_states)
    X = _as_binary_data(data, "data", None, K)
    D = X.shape[1]
    V = None if validation is None else _as_binary_data(validation, "validation", D, K)
    n_chains = check_int(n_chains, "n_chains", 1)
    steps_per_update = check_int(steps_per_update, "steps_per_update", 1)
    n_updates = check_int(n_updates, "n_updates", 0)
    batch = None if batch_size is None else check_int(batch_size, "batch_size", 1)
    pl_every = max(1, n_updates // 20) if pl_every is None else check_int(pl_every, "pl_every", 1)
    l1, l2 = check_real(l1, "l1", 0.0), check_real(l2, "l2", 0.0)
    schedule = _learning_rate(learning_rate)
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable")
    seed_int = as_seed(seed)
    family = make_family(model_family, X, structure, n_hidden, learn_bias, seed_int, K)
    rng = np.random.default_rng([seed_int, 0xDA7A])
    if init_chains is None:
        chains = rng.integers(0, K, size=(n_chains, D), dtype=np.uint8)
    else:
        chains = _as_binary_data(init_chains, "init_chains", D, K)
        if chains.shape[0] != n_chains:
            raise ValueError(f"init_chains must have {n_chains} rows, got {chains.shape[0]}")
    opt = _Adam(family.params) if optimizer == "adam" else _SGD()
    fixed_data_stats = family.statistics(X) if batch is None and family.data_statistics_fixed() else None
    persistent = make_chains(family, sampler, sampler_options, chains, seed_int, persistent_chains)
    rows: dict[str, list] = {k: [] for k in _HISTORY_FIELDS}
    order, cursor, elapsed, interrupted = rng.permutation(len(X)), 0, 0.0, False
    bar = TextProgress(n_updates, "fit_pcd") if progress else None
    for t in range(n_updates):
        t0 = time.perf_counter()
        lr = schedule(t)
        acceptance = persistent.update(t, steps_per_update)
        if persistent.interrupted:
            interrupted = True
            break
        if fixed_data_stats is not None:
            data_stats = fixed_data_stats
        else:
            if batch is None:
                rows_t = X
            else:
                if cursor + batch > len(X):
                    order, cursor = rng.permutation(len(X)), 0
                rows_t = X[order[cursor:cursor + batch]]
                cursor += batch
            data_stats = family.statistics(rows_t)
        grads = family.gradient(data_stats, persistent.statistics())
        for k, g in family.penalty_gradient(l1, l2).items():
            grads[k] = grads[k] + g
        step = opt.step(grads, lr)
        for k, s in step.items():
            family.params[k] = family.params[k] + s
        elapsed += time.perf_counter() - t0
        evaluate = (t + 1) % pl_every == 0 or t + 1 == n_updates
        row = {"update": t + 1, "param_change": float(np.sqrt(sum(float((s * s).sum()) for s in step.values()))),
               "pl_train": family.pseudo_log_likelihood(X)[0] if evaluate else np.nan,
               "pl_valid": family.pseudo_log_likelihood(V)[0] if evaluate and V is not None else np.nan,
               "acceptance": acceptance, "seconds": elapsed, "learning_rate": lr}
        for k in _HISTORY_FIELDS:
            rows[k].append(row[k])
        if bar is not None:
            bar.update()
        if callback is not None and callback(t + 1, family.params, row) is True:
            interrupted = True
            break
    if bar is not None:
        bar.close()
    history = FitHistory(*(np.asarray(rows[k], dtype=float) for k in _HISTORY_FIELDS),
                         params={k: v.copy() for k, v in family.params.items()}, final_state=persistent.states(),
                         interrupted=interrupted)
    history.update = history.update.astype(np.int64)
    return family.model(), history


def pseudo_log_likelihood(model_family: Any, data: Any, params: dict[str, np.ndarray], l2: float = 0.0,
                          l2_bias: float = 0.0, n_states: int | None = None) -> tuple[float, dict[str, np.ndarray]]:
    """Penalised mean pseudo-log-likelihood of ``data`` and its entrywise gradient (compiled):
    ``params`` has J and h (Ising), J and b (binary quadratic) or J (D, D, K, K) and b (D, K)
    (Potts, ``n_states=K``; the convention of :class:`ttsolve.mcmc.learn_families.PottsFamily`)."""
    K = _n_states(model_family, n_states)
    X = _as_binary_data(data, "data", None, K)
    family = make_family(model_family, X, None, None, True, 0, K)
    if not hasattr(family, "pseudo_log_likelihood") or isinstance(family, RBMFamily):
        raise ValueError("pseudo_log_likelihood supports the Ising, binary quadratic and Potts families")
    bias_name = getattr(family, "bias_name", "b")
    for k, v in family.params.items():
        if k not in params:
            raise ValueError(f"params must have {sorted(family.params)}, missing {k!r}")
        arr = np.ascontiguousarray(params[k], dtype=np.float64)
        if arr.shape != v.shape:
            raise ValueError(f"params[{k!r}] must have shape {v.shape}, got {arr.shape}")
        family.params[k] = arr
    value, dJ, db = family.pseudo_log_likelihood(X, check_real(l2, "l2", 0.0),
                                                 check_real(l2_bias, "l2_bias", 0.0))
    return float(value), {"J": dJ, bias_name: db}


def fit_pseudolikelihood(model_family: Any, data: Any, l2: float = 0.01, l2_bias: float = 0.0,
                         structure: Any = None, learn_bias: bool = True, max_iter: int = 2000,
                         gtol: float = 1e-8, n_states: int | None = None) -> tuple[Any, dict[str, Any]]:
    """Maximum pseudo-likelihood fit (L-BFGS) of an Ising, binary quadratic or Potts model
    (``model_family="potts"``, ``n_states=K``: J (D, D, K, K), b (D, K), the PottsFamily convention;
    the standard protein-family baseline with its l2 penalty).

    Maximises ``mean_rows sum_i log p(x_i | x_-i) - l2 ||J||_F^2 - l2_bias ||bias||^2`` over the
    couplings within ``structure`` (J's diagonal at 0) and the bias. Returns (model, info) with
    the optimum ``value``, ``grad_norm`` (the largest absolute gradient entry over the free
    parameters), ``n_iter``,
    ``success``, ``seconds`` and the ``params``.
    """
    K = _n_states(model_family, n_states)
    X = _as_binary_data(data, "data", None, K)
    D = X.shape[1]
    l2, l2_bias = check_real(l2, "l2", 0.0), check_real(l2_bias, "l2_bias", 0.0)
    max_iter = check_int(max_iter, "max_iter", 1)
    family = make_family(model_family, X, structure, None, learn_bias, 0, K)
    if isinstance(family, RBMFamily):
        raise ValueError("fit_pseudolikelihood supports the Ising, binary quadratic and Potts families (not the RBM)")
    iu, ju = np.nonzero(np.triu(family.mask, 1))
    bias_name = getattr(family, "bias_name", "b")
    bias0 = family.params[bias_name].copy()
    block = family.params["J"].shape[2:]  # () binary, (K, K) Potts
    n_pair = iu.size * int(np.prod(block))

    def unpack(theta: np.ndarray) -> None:
        J = np.zeros(family.params["J"].shape)
        B = theta[:n_pair].reshape((iu.size,) + block)
        J[iu, ju] = B
        J[ju, iu] = B.transpose(0, 2, 1) if block else B  # J[j, i] = J[i, j]^T
        family.params = {"J": J, bias_name: theta[n_pair:].reshape(bias0.shape) if learn_bias else bias0}

    def negative(theta: np.ndarray) -> tuple[float, np.ndarray]:
        unpack(theta)
        value, dJ, db = family.pseudo_log_likelihood(X, l2, l2_bias)
        # Both J[i, j] and J[j, i] move with a free pair block.
        grad = (dJ[iu, ju] + (dJ[ju, iu].transpose(0, 2, 1) if block else dJ[ju, iu])).ravel()
        return -value, -(np.concatenate([grad, db.ravel()]) if learn_bias else grad)

    theta0 = np.concatenate([family.params["J"][iu, ju].ravel(), bias0.ravel() if learn_bias else []])
    t0 = time.perf_counter()
    res = scipy.optimize.minimize(negative, theta0, jac=True, method="L-BFGS-B",
                                  options={"maxiter": max_iter, "gtol": float(gtol), "ftol": 1e-13})
    unpack(res.x)
    info = {"value": -float(res.fun), "grad_norm": float(np.abs(res.jac).max()) if res.jac.size else 0.0,
            "n_iter": int(res.nit), "success": bool(res.success), "seconds": time.perf_counter() - t0,
            "params": {k: v.copy() for k, v in family.params.items()}}
    return family.model(), info


def sample_training_set(model: Any, n_samples: int, sampler: str = "gibbs", n_chains: int | None = None,
                        burn_in: int | None = None, thin: int | None = None, seed: Any = 0,
                        **sampler_options: Any) -> tuple[np.ndarray, dict[str, Any]]:
    """Draw a training set from a known model with long, well-mixed chains.

    ``n_chains`` (default min(n_samples, 100)) chains run ``burn_in`` steps (default 200 sweeps
    of D steps) and then keep every ``thin``-th state (default one sweep) until ``n_samples``
    rows are collected. Returns (data (n_samples, D) uint8, info) with the energy trace's
    ``ess`` and ``rhat`` (over chains; ESS near the number of kept draws means nearly
    independent rows), the mean ``acceptance`` and ``seconds``.
    """
    n_samples = check_int(n_samples, "n_samples", 1)
    D = int(model.dim)
    n_chains = min(n_samples, 100) if n_chains is None else check_int(n_chains, "n_chains", 1)
    burn_in = 200 * D if burn_in is None else check_int(burn_in, "burn_in", 0)
    thin = D if thin is None else check_int(thin, "thin", 1)
    per_chain = -(-n_samples // n_chains)
    res = sample(model, sampler, n_chains, per_chain * thin, burn_in=burn_in, thin=thin, seed=seed,
                 record=["samples", "energy"], **sampler_options)
    data = res.samples.transpose(1, 0, 2).reshape(-1, D)[:n_samples]  # draw-major: all chains early
    energy = res.statistic("energy")
    info = {"acceptance": float(res.acceptance.mean()), "seconds": res.seconds, "n_chains": n_chains,
            "draws_per_chain": per_chain, "ess": float(ess(energy)) if per_chain >= 4 else float("nan"),
            "rhat": float(rhat(energy)) if per_chain >= 4 else float("nan"), "interrupted": res.interrupted}
    return np.ascontiguousarray(data, dtype=np.uint8), info
