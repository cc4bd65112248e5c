"""The DISCS classical models as plain arrays, and the same models for ttsolve and the torch peer.

DISCS (bench/peers/discs_runner.py) draws each model's parameters from its own seed;
:func:`spec_from_discs` reads them back as float64 numpy arrays in one neutral form (a dict,
the "spec"), from which :func:`ttsolve_model` and :func:`torch_model` build the very same
model, and :func:`verify` checks that log-probability differences between random states agree
with DISCS's own ``forward`` (evaluated in float64) to 1e-9. DISCS's definitions
(discs/models/*.py), with s = 2x - 1 and one-hot x for Potts:

* bernoulli     f = sum_i theta_i x_i
* categorical   f = sum_i theta[i, x_i]
* ising         f = lambda sum_<ij> s_i s_j - sum_i b_i s_i      (non-periodic 2-D lattice)
* potts         f = lambda #(agreeing neighbour pairs) - sum_i b[i, x_i]   (non-periodic)
* rbm           f = sum_h softplus(v W + c)_h + v . b             (W (V, H))
* fhmm          f = -sum_t (y_t - w . x_t - b)^2 / (2 sigma^2) + sum_k log Bern(x_0k; alpha)
                    + sum_{t,k} log Bern(x_tk != x_{t-1,k}; 1 - beta)

:func:`equilibrate` draws starting states near equilibrium with a small numpy sampler that
belongs to neither side (exact draws for independent sites, checkerboard Gibbs on lattices,
block Gibbs for the RBM, column Gibbs for the FHMM), so both sides' traces start stationary.
"""

from __future__ import annotations

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))

import discs_runner  # noqa: E402

__all__ = ["MODEL_NAMES", "NotAvailable", "discs_model", "spec_from_discs", "ttsolve_model", "torch_model",
           "discs_log_prob64", "spec_log_prob", "verify", "equilibrate", "random_states"]

MODEL_NAMES = tuple(discs_runner.MODELS)


class NotAvailable(Exception):
    """The installed ttsolve has no model class for this spec yet (shown as "-")."""


def discs_model(name, seed=0, discs_path=None):
    """(DISCS model object, its params) for model ``name`` as discs_runner.run(seed=seed) builds it."""
    discs_runner.import_discs(discs_path)
    _, model, _ = discs_runner.build(name, "gibbs", 1)
    return model, discs_runner.make_params(model, seed)


def _np(a):
    return np.asarray(a, dtype=np.float64)


def spec_from_discs(name, params):
    """The model's parameters as float64 arrays: dict(kind, dim, n_states, ...)."""
    kind, cfg = discs_runner.MODELS[name]
    if kind == "bernoulli":
        theta = _np(params["params"]).reshape(-1)
        return dict(name=name, kind=kind, dim=theta.size, n_states=2, theta=theta)
    if kind == "categorical":
        theta = _np(params["params"]).reshape(-1, cfg["num_categories"])
        return dict(name=name, kind=kind, dim=theta.shape[0], n_states=theta.shape[1], theta=theta)
    if kind in ("ising", "potts"):
        p = _np(params["params"])  # [w_h, w_v, b]; DISCS fills w_h = w_v = -lambda
        lam = -float(p[0].flat[0])
        if not (np.all(p[0] == -lam) and np.all(p[1] == -lam)):
            raise ValueError(f"{name}: non-uniform DISCS couplings are not supported here")
        shape = tuple(cfg["shape"])
        K = cfg["num_categories"]
        b = p[2].reshape(shape) if kind == "ising" else p[2].reshape(shape + (K,))
        return dict(name=name, kind=kind, dim=int(np.prod(shape)), n_states=K, shape=shape, lam=lam, b=b)
    if kind == "rbm":
        W, bv, bh = _np(params["w"]), _np(params["b_v"]), _np(params["b_h"])
        return dict(name=name, kind=kind, dim=W.shape[0], n_states=2, W=W, b_v=bv, b_h=bh)
    if kind == "fhmm":
        L, K = cfg["shape"]
        return dict(name=name, kind=kind, dim=L * K, n_states=2, L=L, K=K, y=_np(params["y"]).reshape(L),
                    w=_np(params["w"]).reshape(K), b=float(_np(params["b"]).reshape(())),
                    sigma=float(cfg["sigma"]), alpha=float(cfg["alpha"]), beta=float(cfg["beta"]))
    raise ValueError(f"unknown DISCS model kind {kind!r}")


# ----------------------------------------------------------------------------- ttsolve side


def _mcmc():
    import ttsolve.mcmc as mcmc

    return mcmc


def ttsolve_model(spec):
    """The spec as a ttsolve model; NotAvailable if this ttsolve lacks the model class."""
    mcmc = _mcmc()
    kind = spec["kind"]
    if kind == "bernoulli":
        if hasattr(mcmc, "Bernoulli"):
            return mcmc.Bernoulli(spec["theta"])
        import scipy.sparse as sp

        D = spec["dim"]
        return mcmc.BinaryQuadratic(sp.csr_matrix((D, D)), spec["theta"])  # J = 0: f = theta . x
    if kind == "categorical":
        if not hasattr(mcmc, "Categorical"):
            raise NotAvailable("ttsolve.mcmc.Categorical")
        return mcmc.Categorical(spec["theta"])
    if kind == "ising":
        # ttsolve: f = s^T (c A) s + h . s, A the symmetric adjacency (each edge twice): c = lambda / 2.
        return mcmc.IsingLattice(spec["shape"], spec["lam"] / 2.0, bias=-spec["b"].reshape(-1), periodic=False)
    if kind == "potts":
        if not hasattr(mcmc, "PottsLattice"):
            raise NotAvailable("ttsolve.mcmc.PottsLattice")
        K = spec["n_states"]
        return mcmc.PottsLattice(spec["shape"], K, spec["lam"], bias=-spec["b"].reshape(-1, K), periodic=False)
    if kind == "rbm":
        return mcmc.RBM(spec["W"].T, spec["b_v"], spec["b_h"])
    if kind == "fhmm":
        # ttsolve's FactorialHMM has a uniform initial state and p_switch = 1 - beta; DISCS's
        # prior on x_0 adds log(alpha / (1 - alpha)) x_0k, a linear term on the first time step.
        fh = mcmc.FactorialHMM(spec["y"], spec["w"], spec["b"], spec["sigma"], 1.0 - spec["beta"])
        lin = fh.b.copy()
        lin[: spec["K"]] += np.log(spec["alpha"] / (1.0 - spec["alpha"]))
        return mcmc.BinaryQuadratic(fh.J, lin)
    raise ValueError(f"unknown kind {kind!r}")


# ----------------------------------------------------------------------------- torch peer side


def torch_model(spec, dtype="float32"):
    """The spec as a bench/peers/torch_samplers model (float32 as DISCS computes; float64 for checks)."""
    import torch
    import torch_samplers as ts

    dt = getattr(torch, dtype)
    t = lambda a: torch.as_tensor(np.asarray(a), dtype=dt)  # noqa: E731
    kind = spec["kind"]
    if kind == "bernoulli":
        return ts.Independent(torch.stack([torch.zeros(spec["dim"], dtype=dt), t(spec["theta"])], 1))
    if kind == "categorical":
        return ts.Independent(t(spec["theta"]))
    if kind == "ising":
        return ts.Ising(spec["shape"], spec["lam"], t(spec["b"].reshape(-1)))
    if kind == "potts":
        return ts.Potts(spec["shape"], spec["n_states"], spec["lam"], t(spec["b"].reshape(spec["dim"], -1)))
    if kind == "rbm":
        return ts.RBM(t(spec["W"]), t(spec["b_h"]), t(spec["b_v"]))
    if kind == "fhmm":
        return ts.FHMM(t(spec["y"]), t(spec["w"]), spec["b"], spec["sigma"], spec["alpha"], spec["beta"])
    raise ValueError(f"unknown kind {kind!r}")


# ----------------------------------------------------------------------------- checks


def discs_log_prob64(model, params, X, spec):
    """DISCS's own ``forward`` on integer states X (n, D), evaluated with float64 params and states."""
    import jax
    import jax.numpy as jnp

    shape = (spec["L"], spec["K"]) if spec["kind"] == "fhmm" else spec.get("shape", (spec["dim"],))
    with jax.enable_x64(True):
        p64 = jax.tree.map(lambda a: jnp.asarray(np.asarray(a), dtype=jnp.float64), params)
        x = jnp.asarray(np.asarray(X).reshape((-1,) + tuple(shape)))
        if spec["kind"] in ("potts", "categorical"):
            x = jax.nn.one_hot(x, spec["n_states"], dtype=jnp.float64)
        else:
            x = x.astype(jnp.float64)
        forward = getattr(model, "forward_int_truncating", model.forward)  # float states: no int bug
        return np.asarray(forward(p64, x), dtype=np.float64)


def random_states(spec, n, seed):
    return np.random.default_rng(seed).integers(0, spec["n_states"], size=(n, spec["dim"]), dtype=np.uint8)


def verify(spec, model, params, ours, n=16, seed=0):
    """max |(f(X) - f(x0))_DISCS - (f(X) - f(x0))_ours| over n random states X (and the
    states one site away from X, which exercise the local structure)."""
    X = random_states(spec, n, seed)
    rng = np.random.default_rng(seed + 1)
    Y = X.copy()
    Y[np.arange(n), rng.integers(0, spec["dim"], n)] = rng.integers(0, spec["n_states"], n)
    S = np.concatenate([X, Y])
    a = discs_log_prob64(model, params, S, spec)
    b = np.asarray(ours.log_prob(S), dtype=np.float64)
    return float(np.max(np.abs((a - a[0]) - (b - b[0]))))


def spec_log_prob(spec, X):
    """Independent numpy f(X) from the spec (float64), used by the equilibrator and the tests."""
    X = np.asarray(X, dtype=np.int64)
    kind = spec["kind"]
    if kind == "bernoulli":
        return X @ spec["theta"]
    if kind == "categorical":
        return np.take_along_axis(spec["theta"][None], X[..., None], 2)[..., 0].sum(1)
    if kind in ("ising", "potts"):
        g = X.reshape((-1,) + spec["shape"])
        if kind == "ising":
            s = 2.0 * g - 1.0
            pair = (s[:, 1:] * s[:, :-1]).sum((1, 2)) + (s[:, :, 1:] * s[:, :, :-1]).sum((1, 2))
            return spec["lam"] * pair - (s * spec["b"]).sum((1, 2))
        agree = (g[:, 1:] == g[:, :-1]).sum((1, 2)) + (g[:, :, 1:] == g[:, :, :-1]).sum((1, 2))
        field = np.take_along_axis(spec["b"][None], g[..., None], 3)[..., 0].sum((1, 2))
        return spec["lam"] * agree - field
    if kind == "rbm":
        return np.logaddexp(0.0, X @ spec["W"] + spec["b_h"]).sum(1) + X @ spec["b_v"]
    if kind == "fhmm":
        x = X.reshape(-1, spec["L"], spec["K"]).astype(np.float64)
        r = spec["y"][None] - x @ spec["w"] - spec["b"]
        a, bt = spec["alpha"], spec["beta"]
        x0 = x[:, 0]
        sw = np.abs(x[:, 1:] - x[:, :-1])
        return (-(r**2).sum(1) / (2 * spec["sigma"] ** 2) + (x0 * np.log(a) + (1 - x0) * np.log(1 - a)).sum(1)
                + (sw * np.log(1 - bt) + (1 - sw) * np.log(bt)).sum((1, 2)))
    raise ValueError(f"unknown kind {kind!r}")


# ----------------------------------------------------------------------------- start states


def _draw(rng, logits):
    """One categorical draw per row of logits (..., K)."""
    g = logits - logits.max(-1, keepdims=True)
    p = np.exp(g)
    p /= p.sum(-1, keepdims=True)
    u = rng.random(p.shape[:-1] + (1,))
    return (np.cumsum(p, -1) < u).sum(-1).clip(0, p.shape[-1] - 1)


def _lattice_pair(spec):
    """(C (K, K) coupling per edge, bias (H, W, K)) in f = sum_edges C[x_i, x_j] + sum_i bias[i, x_i]."""
    lam, K = spec["lam"], spec["n_states"]
    if spec["kind"] == "ising":  # s_i s_j = 2 [x_i = x_j] - 1; -b s = b for x = 0, -b for x = 1
        return lam * np.array([[1.0, -1.0], [-1.0, 1.0]]), np.stack([spec["b"], -spec["b"]], -1)
    return lam * np.eye(K), -spec["b"]


DEFAULT_SWEEPS = {"ising": 300, "potts": 300, "rbm": 100, "fhmm": 60}


def equilibrate(spec, n_chains, seed=0, sweeps=None):
    """(n_chains, D) uint8 states near equilibrium, from a numpy sampler of neither side
    (``sweeps`` default: DEFAULT_SWEEPS of the kind; independent sites are drawn exactly)."""
    rng = np.random.default_rng([seed, 0xD15C5])
    kind, D = spec["kind"], spec["dim"]
    sweeps = DEFAULT_SWEEPS.get(kind, 0) if sweeps is None else sweeps
    if kind == "bernoulli":
        return (rng.random((n_chains, D)) < 1.0 / (1.0 + np.exp(-spec["theta"]))).astype(np.uint8)
    if kind == "categorical":
        return _draw(rng, np.broadcast_to(spec["theta"], (n_chains,) + spec["theta"].shape)).astype(np.uint8)
    if kind in ("ising", "potts"):
        C, bias = _lattice_pair(spec)
        H, W = spec["shape"]
        x = rng.integers(0, spec["n_states"], (n_chains, H, W))
        colour = (np.add.outer(np.arange(H), np.arange(W)) % 2).astype(bool)
        for _ in range(sweeps):
            for c in (False, True):
                field = np.broadcast_to(bias, (n_chains,) + bias.shape).copy()
                field[:, 1:] += C[:, x[:, :-1]].transpose(1, 2, 3, 0)
                field[:, :-1] += C[:, x[:, 1:]].transpose(1, 2, 3, 0)
                field[:, :, 1:] += C[:, x[:, :, :-1]].transpose(1, 2, 3, 0)
                field[:, :, :-1] += C[:, x[:, :, 1:]].transpose(1, 2, 3, 0)
                new = _draw(rng, field)
                mask = colour if c else ~colour
                x = np.where(mask[None], new, x)
        return x.reshape(n_chains, D).astype(np.uint8)
    if kind == "rbm":
        W, bv, bh = spec["W"], spec["b_v"], spec["b_h"]
        v = rng.integers(0, 2, (n_chains, D)).astype(np.float64)
        for _ in range(sweeps):
            h = (rng.random((n_chains, W.shape[1])) < 1 / (1 + np.exp(-(v @ W + bh)))).astype(np.float64)
            v = (rng.random((n_chains, D)) < 1 / (1 + np.exp(-(h @ W.T + bv)))).astype(np.float64)
        return v.astype(np.uint8)
    if kind == "fhmm":
        L, K = spec["L"], spec["K"]
        w, s2 = spec["w"], spec["sigma"] ** 2
        la, lb = np.log(spec["alpha"] / (1 - spec["alpha"])), np.log((1 - spec["beta"]) / spec["beta"])
        x = rng.integers(0, 2, (n_chains, L, K)).astype(np.float64)
        R = spec["y"][None] - x @ w - spec["b"]  # residuals, kept up to date
        parities = [np.arange(0, L, 2), np.arange(1, L, 2)]
        for _ in range(sweeps):
            for k in range(K):
                for ts in parities:  # sites (t, k) with t of one parity do not interact
                    xk = x[:, ts, k]
                    r = R[:, ts] + w[k] * xk  # residual without x_tk
                    d = (r**2 - (r - w[k]) ** 2) / (2 * s2)  # f(x_tk = 1) - f(x_tk = 0), emission
                    for dt in (-1, 1):  # the switch count changes by 1 - 2 x_neighbour
                        tn = ts + dt
                        ok = (tn >= 0) & (tn < L)
                        d[:, ok] += lb * (1 - 2 * x[:, tn[ok], k])
                    if ts[0] == 0:
                        d[:, 0] += la
                    new = (rng.random(xk.shape) < 1 / (1 + np.exp(-d))).astype(np.float64)
                    R[:, ts] -= w[k] * (new - xk)
                    x[:, ts, k] = new
        return x.reshape(n_chains, D).astype(np.uint8)
    raise ValueError(f"unknown kind {kind!r}")
