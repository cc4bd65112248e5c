"""Exact references for learning tiny discrete models (numpy and scipy only, no ttsolve).

Model conventions (the same unnormalised log-probabilities f as ttsolve.mcmc.models and the
GWG paper's torch models):

* binary quadratic, x in {0,1}^D:  f(x) = x^T J x + b . x            (J symmetric)
* Ising (spin form), s = 2x - 1:    f(x) = s^T J s + h . s            (J symmetric, zero diagonal)
* RBM, hidden units summed out:     f(v) = b . v + sum_k softplus((W v)_k + c_k),  W is (H, V)
* Potts, x in {0..K-1}^D:           f(x) = sum_{i,j} J[i, j, x_i, x_j] + sum_i b[i, x_i]
                                    (J[i, j, a, c] = J[j, i, c, a], J[i, i] = 0)

Gradients are *entrywise*: the derivative with respect to every entry of J (or W) as if it
were a free number. Because f depends on J only through J + J^T, the entrywise gradient is
symmetric; a parameter w shared by J[i, j] = J[j, i] = w has derivative 2 * dJ[i, j]. All
log-likelihoods are means over the data rows. The l2 penalties are l2 * ||J||_F^2 (every
entry, so each pair counts twice) plus l2_bias * ||b||^2.

Everything enumerates the state space, so D <= 16 (K^D <= 2^16 for Potts).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.optimize

__all__ = [
    "binary_states", "categorical_states", "lattice_adjacency", "ising_lattice_J",
    "binary_quadratic_log_prob", "ising_log_prob", "rbm_log_prob", "potts_log_prob",
    "binary_quadratic_moments", "ising_moments", "rbm_moments", "potts_moments",
    "binary_quadratic_log_likelihood", "ising_log_likelihood", "rbm_log_likelihood",
    "potts_log_likelihood",
    "binary_quadratic_pseudo_log_likelihood", "ising_pseudo_log_likelihood",
    "potts_pseudo_log_likelihood",
    "exact_ml_fit", "pseudo_likelihood_fit",
]

MAX_STATES = 1 << 16


# ----------------------------------------------------------------------------- state spaces


def binary_states(D: int) -> np.ndarray:
    """All 2^D states of {0,1}^D as a (2^D, D) uint8 array (row r = binary digits of r)."""
    if not 1 <= D <= 16:
        raise ValueError("enumeration needs 1 <= D <= 16")
    r = np.arange(1 << D)
    return ((r[:, None] >> np.arange(D)[None, :]) & 1).astype(np.uint8)


def categorical_states(D: int, K: int) -> np.ndarray:
    """All K^D states of {0..K-1}^D as a (K^D, D) int64 array."""
    if D < 1 or K < 2 or K**D > MAX_STATES:
        raise ValueError("enumeration needs D >= 1, K >= 2 and K^D <= 2^16")
    r = np.arange(K**D)
    return (r[:, None] // K ** np.arange(D)[None, :]) % K


def lattice_adjacency(shape: Any, periodic: bool = True) -> np.ndarray:
    """Nearest-neighbour adjacency of a lattice (sites in C order).

    Built by explicit loops over sites (independent of the vectorised construction in
    ttsolve.mcmc.IsingLattice); a periodic side of length 2 links the same pair twice, so the
    entry is 2, as in IsingLattice's summed duplicates.
    """
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    D = int(np.prod(shape))
    A = np.zeros((D, D))
    for site in range(D):
        coord = np.unravel_index(site, shape)
        for axis, n in enumerate(shape):
            nxt = list(coord)
            if coord[axis] + 1 < n:
                nxt[axis] = coord[axis] + 1
            elif periodic:
                nxt[axis] = 0
            else:
                continue
            other = int(np.ravel_multi_index(nxt, shape))
            A[site, other] += 1.0
            A[other, site] += 1.0
    return A


def ising_lattice_J(shape: Any, coupling: float, periodic: bool = True) -> np.ndarray:
    """Spin-form couplings of the lattice Ising model (IsingLattice(shape, coupling).W dense)."""
    return float(coupling) * lattice_adjacency(shape, periodic)


# ----------------------------------------------------------------------------- log-probabilities


def _spins(X: np.ndarray) -> np.ndarray:
    return 2.0 * np.asarray(X, dtype=np.float64) - 1.0


def _softplus(a: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, a)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def binary_quadratic_log_prob(X: Any, J: np.ndarray, b: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    return np.einsum("ni,ij,nj->n", X, J, X) + X @ b


def ising_log_prob(X: Any, J: np.ndarray, h: np.ndarray) -> np.ndarray:
    S = _spins(X)
    return np.einsum("ni,ij,nj->n", S, J, S) + S @ h


def rbm_log_prob(V: Any, W: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    V = np.asarray(V, dtype=np.float64)
    return V @ b + _softplus(V @ W.T + c).sum(1)


def _one_hot(X: Any, K: int) -> np.ndarray:
    X = np.asarray(X)
    return (X[..., None] == np.arange(K)).astype(np.float64)


def potts_log_prob(X: Any, J: np.ndarray, b: np.ndarray) -> np.ndarray:
    O = _one_hot(X, b.shape[1])
    return np.einsum("nia,ijac,njc->n", O, J, O) + np.einsum("nia,ia->n", O, b)


def _probabilities(logf: np.ndarray) -> tuple[np.ndarray, float]:
    """Normalised probabilities of all states and log Z."""
    m = logf.max()
    w = np.exp(logf - m)
    Z = w.sum()
    return w / Z, float(m + np.log(Z))


# ----------------------------------------------------------------------------- exact moments


def binary_quadratic_moments(J: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(E[x], E[x x^T], log Z) under the model, by enumeration."""
    X = binary_states(b.size).astype(np.float64)
    p, logZ = _probabilities(binary_quadratic_log_prob(X, J, b))
    return p @ X, X.T @ (p[:, None] * X), logZ


def ising_moments(J: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(E[s], E[s s^T], log Z) under the model, by enumeration."""
    X = binary_states(h.size)
    S = _spins(X)
    p, logZ = _probabilities(ising_log_prob(X, J, h))
    return p @ S, S.T @ (p[:, None] * S), logZ


def _rbm_stats(V: np.ndarray, W: np.ndarray, c: np.ndarray, weights: np.ndarray):
    """Weighted (sum w v, sum w sigma(Wv + c), sum w sigma v^T)."""
    sig = _sigmoid(V @ W.T + c)
    return weights @ V, weights @ sig, sig.T @ (weights[:, None] * V)


def rbm_moments(W: np.ndarray, b: np.ndarray, c: np.ndarray):
    """(E[v], E[sigma(Wv + c)], E[sigma(Wv + c) v^T], log Z): hidden units summed analytically."""
    V = binary_states(b.size).astype(np.float64)
    p, logZ = _probabilities(rbm_log_prob(V, W, b, c))
    return (*_rbm_stats(V, W, c, p), logZ)


def potts_moments(J: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """(marginals P[x_i = a] (D, K), pair marginals P[x_i = a, x_j = c] (D, D, K, K), log Z)."""
    D, K = b.shape
    X = categorical_states(D, K)
    p, logZ = _probabilities(potts_log_prob(X, J, b))
    O = _one_hot(X, K)
    return np.einsum("n,nia->ia", p, O), np.einsum("n,nia,njc->ijac", p, O, O), logZ


# ----------------------------------------------------------------------------- log-likelihoods


def binary_quadratic_log_likelihood(J: np.ndarray, b: np.ndarray, data: Any):
    """Mean log-likelihood of the 0/1 rows of ``data`` and its entrywise gradient (ll, dJ, db)."""
    X = np.asarray(data, dtype=np.float64)
    m1, m2, logZ = binary_quadratic_moments(J, b)
    ll = float(binary_quadratic_log_prob(X, J, b).mean() - logZ)
    return ll, X.T @ X / len(X) - m2, X.mean(0) - m1


def ising_log_likelihood(J: np.ndarray, h: np.ndarray, data: Any):
    """(ll, dJ, dh) for the spin-form Ising model; dJ = E_data[s s^T] - E_model[s s^T]."""
    S = _spins(data)
    m1, m2, logZ = ising_moments(J, h)
    ll = float(ising_log_prob(data, J, h).mean() - logZ)
    return ll, S.T @ S / len(S) - m2, S.mean(0) - m1


def rbm_log_likelihood(W: np.ndarray, b: np.ndarray, c: np.ndarray, data: Any):
    """(ll, dW, db, dc) of the RBM's visible marginal."""
    V = np.asarray(data, dtype=np.float64)
    ev, eh, ehv, logZ = rbm_moments(W, b, c)
    dv, dh, dhv = _rbm_stats(V, W, c, np.full(len(V), 1.0 / len(V)))
    ll = float(rbm_log_prob(V, W, b, c).mean() - logZ)
    return ll, dhv - ehv, dv - ev, dh - eh


def potts_log_likelihood(J: np.ndarray, b: np.ndarray, data: Any):
    """(ll, dJ, db) for the Potts model; the diagonal blocks of dJ are zeroed (J[i, i] is fixed at 0)."""
    D, K = b.shape
    O = _one_hot(data, K)
    m1, m2, logZ = potts_moments(J, b)
    dJ = np.einsum("nia,njc->ijac", O, O) / len(O) - m2
    dJ[np.arange(D), np.arange(D)] = 0.0
    return float(potts_log_prob(data, J, b).mean() - logZ), dJ, O.mean(0) - m1


# ----------------------------------------------------------------------------- pseudo-likelihoods


def _penalty(J: np.ndarray, b: np.ndarray, l2: float, l2_bias: float):
    return l2 * float((J**2).sum()) + l2_bias * float((b**2).sum()), 2.0 * l2 * J, 2.0 * l2_bias * b


def binary_quadratic_pseudo_log_likelihood(J: np.ndarray, b: np.ndarray, data: Any, l2: float = 0.0,
                                           l2_bias: float = 0.0):
    """Penalised mean pseudo-log-likelihood sum_i log p(x_i | x_-i) - penalty, and (dJ, db).

    The conditional log-odds of x_i = 1 is b_i + J_ii + 2 sum_{j != i} J_ij x_j.
    """
    X = np.asarray(data, dtype=np.float64)
    n = len(X)
    Joff = J - np.diag(np.diag(J))
    delta = b + np.diag(J) + 2.0 * X @ Joff
    pl = float((X * delta - _softplus(delta)).sum() / n)
    R = X - _sigmoid(delta)  # d log p(x_i | rest) / d delta_i
    G = (R.T @ X + X.T @ R) / n
    G[np.diag_indices_from(G)] = R.mean(0)
    pen, gJ, gb = _penalty(J, b, l2, l2_bias)
    return pl - pen, G - gJ, R.mean(0) - gb


def ising_pseudo_log_likelihood(J: np.ndarray, h: np.ndarray, data: Any, l2: float = 0.0,
                                l2_bias: float = 0.0):
    """As :func:`binary_quadratic_pseudo_log_likelihood` for the spin form (zero-diagonal J):
    the conditional field on s_i is a_i = 2 sum_{j != i} J_ij s_j + h_i, p(s_i | rest) = e^{s_i a_i} / 2cosh a_i."""
    S = _spins(data)
    n = len(S)
    Joff = J - np.diag(np.diag(J))
    a = 2.0 * S @ Joff + h
    pl = float((S * a - np.logaddexp(a, -a)).sum() / n)
    R = S - np.tanh(a)
    G = (R.T @ S + S.T @ R) / n
    G[np.diag_indices_from(G)] = 0.0
    pen, gJ, gh = _penalty(J, h, l2, l2_bias)
    return pl - pen, G - gJ, R.mean(0) - gh


def potts_pseudo_log_likelihood(J: np.ndarray, b: np.ndarray, data: Any, l2: float = 0.0,
                                l2_bias: float = 0.0):
    """Penalised mean Potts pseudo-log-likelihood and (dJ, db) (diagonal blocks of dJ zeroed).

    The conditional logits of site i are b[i, a] + 2 sum_{j != i} J[i, j, a, x_j].
    """
    D, K = b.shape
    O = _one_hot(data, K)
    n = len(O)
    Joff = J.copy()
    Joff[np.arange(D), np.arange(D)] = 0.0
    logits = b[None] + 2.0 * np.einsum("ijac,njc->nia", Joff, O)
    m = logits.max(-1, keepdims=True)
    lse = (m + np.log(np.exp(logits - m).sum(-1, keepdims=True)))[..., 0]
    pl = float(((O * logits).sum(-1) - lse).sum() / n)
    R = O - np.exp(logits - lse[..., None])
    G = (np.einsum("nia,njc->ijac", R, O) + np.einsum("nia,njc->ijac", O, R)) / n
    G[np.arange(D), np.arange(D)] = 0.0
    pen, gJ, gb = _penalty(J, b, l2, l2_bias)
    return pl - pen, G - gJ, R.mean(0) - gb


# ----------------------------------------------------------------------------- fits


class _Packing:
    """Free parameters of a family as one vector: the upper pairs of J (within ``mask``), then
    the bias (and for the RBM: W, b, c). Entrywise gradients map to 2 * dJ on each pair."""

    def __init__(self, family: str, D: int, K: int | None, H: int | None, mask: np.ndarray | None):
        self.family, self.D, self.K, self.H = family, D, K, H
        if family == "rbm":
            self.sizes = [H * D, D, H]
            return
        iu, ju = np.triu_indices(D, 1)
        if mask is not None:
            keep = np.asarray(mask, dtype=bool)[iu, ju]
            iu, ju = iu[keep], ju[keep]
        self.iu, self.ju = iu, ju
        block = 1 if family != "potts" else K * K
        self.sizes = [iu.size * block, D * (1 if family != "potts" else K)]

    def unpack(self, theta: np.ndarray) -> list[np.ndarray]:
        parts = np.split(theta, np.cumsum(self.sizes)[:-1])
        D, K, H = self.D, self.K, self.H
        if self.family == "rbm":
            return [parts[0].reshape(H, D), parts[1], parts[2]]
        if self.family == "potts":
            J = np.zeros((D, D, K, K))
            blocks = parts[0].reshape(-1, K, K)
            J[self.iu, self.ju] = blocks
            J[self.ju, self.iu] = blocks.transpose(0, 2, 1)
            return [J, parts[1].reshape(D, K)]
        J = np.zeros((D, D))
        J[self.iu, self.ju] = J[self.ju, self.iu] = parts[0]
        return [J, parts[1]]

    def pack_grad(self, grads: list[np.ndarray]) -> np.ndarray:
        if self.family == "rbm":
            return np.concatenate([g.ravel() for g in grads])
        dJ = grads[0]
        pair = dJ[self.iu, self.ju] + (dJ[self.ju, self.iu].transpose(0, 2, 1) if self.family == "potts"
                                       else dJ[self.ju, self.iu])
        return np.concatenate([pair.ravel(), grads[1].ravel()])


_LOG_LIKELIHOODS = {"binary_quadratic": binary_quadratic_log_likelihood, "ising": ising_log_likelihood,
                    "rbm": rbm_log_likelihood, "potts": potts_log_likelihood}
_PSEUDO = {"binary_quadratic": binary_quadratic_pseudo_log_likelihood,
           "ising": ising_pseudo_log_likelihood, "potts": potts_pseudo_log_likelihood}


def _maximise(packing: _Packing, objective, x0: np.ndarray | None, seed: int, gtol: float):
    n = sum(packing.sizes)
    if x0 is None:
        x0 = 0.01 * np.random.default_rng(seed).standard_normal(n)

    def neg(theta: np.ndarray):
        value, *grads = objective(packing.unpack(theta))
        return -value, -packing.pack_grad(grads)

    res = scipy.optimize.minimize(neg, x0, jac=True, method="L-BFGS-B",
                                  options={"gtol": gtol, "ftol": 1e-15, "maxiter": 20000})
    params = packing.unpack(res.x)
    return params, {"value": -float(res.fun), "grad_norm": float(np.abs(res.jac).max()), "success": bool(res.success)}


def exact_ml_fit(family: str, data: Any, l2: float = 0.0, l2_bias: float = 0.0, mask: Any = None,
                 n_states: int | None = None, n_hidden: int | None = None, x0: Any = None, seed: int = 0,
                 gtol: float = 1e-10):
    """Maximise the exact penalised mean log-likelihood by L-BFGS on enumeration.

    family: "binary_quadratic" | "ising" (couplings within ``mask``, diagonal held at 0, bias
    free) | "potts" (``n_states`` K; pair blocks J[i, j] for i < j, diagonal blocks 0) | "rbm"
    (``n_hidden``; non-convex, so a local optimum from ``x0`` / ``seed``). Penalty: l2 ||J||_F^2
    (RBM: ||W||_F^2) + l2_bias ||b||^2. Returns (params list as in the log-likelihood
    functions, info dict with the optimum value and max |gradient|).
    """
    data = np.asarray(data)
    D = data.shape[1]
    packing = _Packing(family, D, n_states, n_hidden, None if mask is None else np.asarray(mask))
    loglik = _LOG_LIKELIHOODS[family]

    def objective(params):
        ll, *grads = loglik(*params, data)
        pen, gJ, gb = _penalty(params[0], params[1], l2, l2_bias)
        grads[0], grads[1] = grads[0] - gJ, grads[1] - gb
        return (ll - pen, *grads)

    return _maximise(packing, objective, None if x0 is None else np.asarray(x0, float), seed, gtol)


def pseudo_likelihood_fit(family: str, data: Any, l2: float = 0.0, l2_bias: float = 0.0, mask: Any = None,
                          n_states: int | None = None, seed: int = 0, gtol: float = 1e-10):
    """Maximise the penalised pseudo-log-likelihood (families as :func:`exact_ml_fit`, no RBM)."""
    data = np.asarray(data)
    packing = _Packing(family, data.shape[1], n_states, None, None if mask is None else np.asarray(mask))
    pseudo = _PSEUDO[family]
    return _maximise(packing, lambda params: pseudo(*params, data, l2, l2_bias), None, seed, gtol)
