"""Exact transition matrices of one step of each discrete sampler, for tiny models (numpy only).

Each function takes a ``DiscreteModel`` (tests/reference/discrete_models.py) and returns the
dense (N, N) matrix T[x, y] = P(next = y | current = x) over N = K**D states in the order of
``all_states`` (site 0 most significant), built from the sampler's proposal and acceptance
probabilities. Invariance is then ``exact_pi(model) @ T == exact_pi(model)``.

Definitions followed (d[i, k] = grad f[i, k] - grad f[i, x_i] is the gradient estimate of the
change of f when site i moves to k; delta[i, k] the exact change; g a balancing function with
g(t) = t g(1/t), applied in log scale: sqrt -> d/2, barker -> log sigmoid(d), max -> max(d, 0),
min -> min(d, 0), as DISCS's ``apply_weight_function_logscale``):

- ``gwg``: categorical Gibbs-with-Gradients (Grathwohl et al. 2021): one (site, new state) pair
  from softmax(g(d)) over the D (K-1) pairs k != x_i (the paper's temperature 2, i.e. d / 2, is
  g = sqrt), MH with the reverse move's probability at y. DISCS's gwg with K > 2 is this with
  its balancing function; with K = 2 and one flip it is the binary GWG.
- ``locally_balanced``: same single-site neighbourhood with weights g(exp(delta)) from exact
  local differences (Zanella 2020); with MH (exact) or without (DISCS's ``locallybalanced``
  sampler has no MH step, and is biased at finite D).
- ``dmala`` / ``dula`` (Zhang, Liu & Liu, ICML 2022): every site moves independently; site i
  goes to k != x_i with logit g(d[i, k]) - 1 / (2 alpha) and stays with logit 0. With g = sqrt
  and K = 2 this is the paper's q(x'_i | x) ~ exp(grad_i (x'_i - x_i) / 2 - (x'_i - x_i)^2 / (2 alpha)).
  For K > 2 we charge 1 / (2 alpha) per moved site, as DISCS's ``CategoricalDMALA`` does (so K = 2
  categorical equals binary); the paper's one-hot Euclidean form ||e_k - e_{x_i}||^2 = 2 charges
  1 / alpha, i.e. it is this definition with alpha halved. DMALA adds MH, DULA has none (biased).
- ``pas`` (path auxiliary sampler, Sun et al., ICLR 2022, as in DISCS's ``PAFSNoReplacement``):
  a path of L distinct sites drawn without replacement from the site distribution
  p(i) ~ sum_{k != x_i} exp(g(d[i, k])) computed once at x, each chosen site then moving to k with
  probability ~ exp(g(d[i, k])) over k != x_i. The reverse path visits the same sites in reverse
  order under the distributions at y, back to the values of x. MH on the path (the path is the
  auxiliary variable, so T sums min(1, ratio) over the paths from x to y). L is fixed (DISCS:
  ``num_flips`` / an adapted radius) or drawn from ``length_probs`` over 1..Lmax; L is kept by the
  reverse move, so any length distribution is exact.
- ``dlmc`` (Sun et al., AISTATS 2023): each site moves independently with the row x_i of
  exp(t Q_i), Q_i the K x K rate matrix Q_i[a, b] = g(exp(grad[i, b] - grad[i, a])) of the
  linearised local chain at x; MH with the reverse proposal at y. ``solver='expm'`` is exp(t Q)
  itself (detailed balance of Q w.r.t. nu ~ exp(grad[i]) gives it by a symmetric eigensolve);
  ``'interpolate'`` and ``'euler_forward'`` are DISCS's closed forms: p_k = nu_k (1 - exp(-t r_k /
  nu_k)), resp. p_k = t r_k, for k != x_i with nu = softmax(d[i]) and r_k = exp(g(d[i, k])), the
  stay probability max(1 - sum_k p_k, nu_{x_i}), then normalised. For K = 2 'interpolate' is exact.
- ``gibbs_site`` / ``gibbs_systematic`` (sweep of sites 0..D-1) / ``gibbs_random`` (uniform site);
  DISCS's gibbs updates one site per step in systematic order.
- ``block_gibbs``: exact conditional of a block (DISCS ``blockgibbs``, contiguous blocks).
- ``random_walk``: symmetric proposal + MH; ``flip_prob=None`` moves one uniform site to a
  uniform other state, a float moves each site independently with that probability to a uniform
  other state (DISCS's ``randomwalk`` with flip_prob = radius / D).
- ``hamming_ball`` (Titsias & Yau 2017): a block chosen uniformly from a contiguous partition;
  u drawn uniformly from the radius-1 ball around x within the block (1 + b (K - 1) points),
  then x' ~ pi restricted to the ball around u. ``stay_prob`` overrides P(u = x); DISCS draws the
  radius with logits [1, b (K - 1)] instead of log counts (stay_prob = e / (e + e^{b (K - 1)})),
  which breaks the symmetry the method needs, so that variant is not pi-invariant.
"""

from __future__ import annotations

import itertools

import numpy as np

from .discrete_models import all_states, exact_local_differences, gradient_differences, state_index

__all__ = [
    "BALANCING",
    "balance_log",
    "gwg",
    "locally_balanced",
    "dmala",
    "dula",
    "dmala_proposal",
    "pas",
    "dlmc",
    "dlmc_proposal",
    "gibbs_site",
    "gibbs_systematic",
    "gibbs_random",
    "block_gibbs",
    "random_walk",
    "hamming_ball",
    "stationarity_error",
    "detailed_balance_error",
    "mh_matrix",
]

BALANCING = ("sqrt", "barker", "max", "min")


def balance_log(name, logt):
    """log g(exp(logt)) for the locally balanced function g."""
    logt = np.asarray(logt, dtype=float)
    if name == "sqrt":
        return logt / 2.0
    if name == "barker":
        return -np.logaddexp(0.0, -logt)
    if name == "max":
        return np.maximum(logt, 0.0)
    if name == "min":
        return np.minimum(logt, 0.0)
    raise ValueError(f"balance must be one of {BALANCING}, got {name!r}")


def _log_softmax(z, axis=-1):
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def _space(model):
    S = all_states(model.n_sites, model.n_states)
    return S, model.log_prob(S)


def mh_matrix(log_pi, log_q):
    """T of Metropolis-Hastings with proposal matrix exp(log_q) (-inf = impossible) on target pi."""
    N = log_pi.shape[0]
    with np.errstate(invalid="ignore"):
        log_ratio = log_pi[None, :] + log_q.T - log_pi[:, None] - log_q
    log_acc = np.where(np.isfinite(log_q), np.minimum(0.0, np.nan_to_num(log_ratio, nan=-np.inf)), -np.inf)
    T = np.exp(log_q + log_acc)
    T[np.arange(N), np.arange(N)] = 0.0
    T[np.arange(N), np.arange(N)] = 1.0 - T.sum(axis=1)
    return T


def _single_site_log_q(S, K, logits):
    """Proposal matrix of one (site, state) move drawn from softmax(logits[x]) over k != x_i."""
    N, D = S.shape
    logits = np.where(np.arange(K)[None, None, :] == S[:, :, None], -np.inf, logits)
    lp = _log_softmax(logits.reshape(N, -1)).reshape(N, D, K)
    powers = K ** np.arange(D - 1, -1, -1)
    target = np.arange(N)[:, None, None] + (np.arange(K)[None, None, :] - S[:, :, None]) * powers[None, :, None]
    log_q = np.full((N, N), -np.inf)
    moved = np.isfinite(lp)
    rows = np.broadcast_to(np.arange(N)[:, None, None], lp.shape)
    log_q[rows[moved], target[moved]] = lp[moved]
    return log_q


def gwg(model, balance="sqrt"):
    """Categorical GWG (one move from softmax(g(d)) over all (site, new state) pairs), with MH."""
    S, log_pi = _space(model)
    logits = balance_log(balance, gradient_differences(model, S))
    return mh_matrix(log_pi, _single_site_log_q(S, model.n_states, logits))


def locally_balanced(model, balance="sqrt", mh=True):
    """Single-site locally balanced proposal g(pi(y) / pi(x)) from exact local differences."""
    S, log_pi = _space(model)
    log_q = _single_site_log_q(S, model.n_states, balance_log(balance, exact_local_differences(model, S)))
    return mh_matrix(log_pi, log_q) if mh else np.exp(log_q)


def _factorised_log_q(S, log_site_probs):
    """log_q[x, y] = sum_i log p_i(y_i | x) for per-site proposal tables log_site_probs (N, D, K)."""
    N, D = S.shape
    log_q = np.zeros((N, N))
    for i in range(D):
        log_q += log_site_probs[:, i, :][:, S[:, i]]
    return log_q


def dmala_proposal(model, x, step_size, balance="sqrt"):
    """Per-site DMALA/DULA proposal probabilities at the states x, shape (n, D, K)."""
    x = np.asarray(x)
    K = model.n_states
    logits = balance_log(balance, gradient_differences(model, x)) - 1.0 / (2.0 * step_size)
    logits = np.where(np.arange(K) == x[..., None], 0.0, logits)
    return np.exp(_log_softmax(logits))


def _dmala_log_q(model, step_size, balance):
    S, log_pi = _space(model)
    with np.errstate(divide="ignore"):
        return S, log_pi, _factorised_log_q(S, np.log(dmala_proposal(model, S, step_size, balance)))


def dmala(model, step_size, balance="sqrt"):
    """DMALA: all sites move independently (Langevin-like proposal of step size alpha), with MH."""
    _, log_pi, log_q = _dmala_log_q(model, step_size, balance)
    return mh_matrix(log_pi, log_q)


def dula(model, step_size, balance="sqrt"):
    """DULA: the DMALA proposal without correction (biased)."""
    return np.exp(_dmala_log_q(model, step_size, balance)[2])


def _path_tables(model, S, balance):
    """Per state: log site probabilities (N, D) and log new-state probabilities within a site (N, D, K)."""
    K = model.n_states
    logits = balance_log(balance, gradient_differences(model, S))
    logits = np.where(np.arange(K)[None, None, :] == S[:, :, None], -np.inf, logits)
    N, D, _ = logits.shape
    log_pair = _log_softmax(logits.reshape(N, -1)).reshape(N, D, K)
    m = np.max(log_pair, axis=-1, keepdims=True)
    log_site = (m + np.log(np.sum(np.exp(log_pair - m), axis=-1, keepdims=True)))[..., 0]
    return log_site, log_pair - log_site[..., None]


def _log_ordered_no_replacement(log_p, order):
    """log P(drawing the sites `order` in this order without replacement) from site log-probs log_p."""
    total, used = 0.0, 0.0
    for i in order:
        total += log_p[i] - np.log1p(-used) if used < 1.0 else -np.inf
        used += np.exp(log_p[i])
    return total


def _pas_fixed_length(model, S, log_pi, tables, L):
    log_site, log_val = tables
    N, D = S.shape
    K = model.n_states
    T = np.zeros((N, N))
    for x in range(N):
        for sites in itertools.permutations(range(D), L):
            fwd_sites = _log_ordered_no_replacement(log_site[x], sites)
            for shifts in itertools.product(range(1, K), repeat=L):
                y_state = S[x].copy()
                new_vals = (S[x, list(sites)] + np.array(shifts)) % K
                y_state[list(sites)] = new_vals
                y = int(state_index(y_state, K))
                fwd = fwd_sites + log_val[x, list(sites), new_vals].sum()
                rev = (_log_ordered_no_replacement(log_site[y], sites[::-1])
                       + log_val[y, list(sites), S[x, list(sites)]].sum())
                T[x, y] += np.exp(fwd + min(0.0, log_pi[y] + rev - log_pi[x] - fwd))
    T[np.arange(N), np.arange(N)] += 1.0 - T.sum(axis=1)
    return T


def pas(model, path_length=1, balance="sqrt", length_probs=None):
    """Path auxiliary sampler: L distinct single-site moves from the gradient proposal at x, MH on the path.

    ``length_probs[l - 1]`` = P(L = l) for a random path length; otherwise L = path_length.
    """
    S, log_pi = _space(model)
    tables = _path_tables(model, S, balance)
    if length_probs is None:
        length_probs = np.eye(path_length)[path_length - 1]
    length_probs = np.asarray(length_probs, dtype=float)
    if length_probs.ndim != 1 or len(length_probs) > model.n_sites or abs(length_probs.sum() - 1) > 1e-12:
        raise ValueError("length_probs must be a distribution over 1..L with L <= D")
    T = np.zeros((S.shape[0],) * 2)
    for L, p in enumerate(length_probs, start=1):
        if p > 0:
            T += p * _pas_fixed_length(model, S, log_pi, tables, L)
    return T


def _dlmc_site_expm(grad_row, x_i, t, balance):
    """Row x_i of exp(t Q) for the linearised local chain Q[a, b] = g(exp(grad[b] - grad[a]))."""
    K = grad_row.shape[0]
    Q = np.exp(balance_log(balance, grad_row[None, :] - grad_row[:, None]))
    Q[np.arange(K), np.arange(K)] = 0.0
    Q[np.arange(K), np.arange(K)] = -Q.sum(axis=1)
    # pi-reversible for nu ~ exp(grad): diag(sqrt nu) Q diag(1 / sqrt nu) is symmetric.
    h = 0.5 * (grad_row - grad_row.max())
    Ssym = np.exp(h)[:, None] * Q * np.exp(-h)[None, :]
    w, V = np.linalg.eigh(0.5 * (Ssym + Ssym.T))
    P_row = np.exp(-h[x_i]) * (V[x_i] * np.exp(t * w)) @ V.T * np.exp(h)
    P_row = np.maximum(P_row, 0.0)
    return P_row / P_row.sum()


def dlmc_proposal(model, x, t, balance="sqrt", solver="expm"):
    """Per-site DLMC proposal probabilities at the states x, shape (n, D, K)."""
    x = np.asarray(x)
    K = model.n_states
    if solver == "expm":
        g = model.grad(x)
        out = np.empty(g.shape)
        for n in range(x.shape[0]):
            for i in range(x.shape[1]):
                out[n, i] = _dlmc_site_expm(g[n, i], x[n, i], t, balance)
        return out
    d = gradient_differences(model, x)
    nu = np.exp(_log_softmax(d))
    rate = np.exp(balance_log(balance, d))
    if solver == "interpolate":
        p = nu * -np.expm1(-t * rate / nu)
    elif solver == "euler_forward":
        p = t * rate
    else:
        raise ValueError(f"solver must be 'expm', 'interpolate' or 'euler_forward', got {solver!r}")
    here = np.arange(K) == x[..., None]
    p = np.where(here, 0.0, p)
    stay = np.maximum(1.0 - p.sum(axis=-1, keepdims=True), nu)
    p = np.where(here, stay, p)
    return p / p.sum(axis=-1, keepdims=True)


def dlmc(model, t, balance="sqrt", solver="expm"):
    """DLMC: per-site proposal exp(t Q_i) of the locally balanced rate matrix, with MH."""
    S, log_pi = _space(model)
    with np.errstate(divide="ignore"):
        log_q = _factorised_log_q(S, np.log(dlmc_proposal(model, S, t, balance, solver)))
    return mh_matrix(log_pi, log_q)


def _block_conditional(S, log_pi, K, block):
    """T[x, y] = pi(y | y agrees with x off `block`) for y that agree with x off the block."""
    N, D = S.shape
    off = np.setdiff1d(np.arange(D), block)
    key = state_index(S[:, off], K) if len(off) else np.zeros(N, dtype=int)
    same = key[:, None] == key[None, :]
    w = np.where(same, np.exp(log_pi - log_pi.max())[None, :], 0.0)
    return w / w.sum(axis=1, keepdims=True)


def gibbs_site(model, site):
    """Resample one site from its exact conditional."""
    S, log_pi = _space(model)
    return _block_conditional(S, log_pi, model.n_states, [site])


def gibbs_systematic(model):
    """One sweep: sites 0, 1, ..., D-1 each resampled from its conditional (product of site kernels)."""
    T = np.eye(model.n_states ** model.n_sites)
    for i in range(model.n_sites):
        T = T @ gibbs_site(model, i)
    return T


def gibbs_random(model):
    """One uniformly chosen site resampled from its conditional."""
    return sum(gibbs_site(model, i) for i in range(model.n_sites)) / model.n_sites


def block_gibbs(model, block):
    """Resample the sites of `block` jointly from their exact conditional."""
    S, log_pi = _space(model)
    return _block_conditional(S, log_pi, model.n_states, list(block))


def random_walk(model, flip_prob=None):
    """Random-walk MH: one uniform site (flip_prob=None) or each site w.p. flip_prob, to a uniform other state."""
    S, log_pi = _space(model)
    K, D = model.n_states, model.n_sites
    diff = (S[:, None, :] != S[None, :, :]).sum(axis=-1)
    with np.errstate(divide="ignore"):
        if flip_prob is None:
            log_q = np.where(diff == 1, -np.log(D * (K - 1)), -np.inf)
        else:
            log_q = diff * np.log(flip_prob / (K - 1)) + (D - diff) * np.log1p(-flip_prob)
    return mh_matrix(log_pi, log_q)


def hamming_ball(model, block_size, stay_prob=None):
    """Hamming ball sampler of radius 1 on a uniformly chosen block of a contiguous partition."""
    S, log_pi = _space(model)
    N, D = S.shape
    K = model.n_states
    blocks = [list(range(s, min(s + block_size, D))) for s in range(0, D, block_size)]
    w = np.exp(log_pi - log_pi.max())
    T = np.zeros((N, N))
    for block in blocks:
        off = np.setdiff1d(np.arange(D), block)
        agree_off = (S[:, None, off] == S[None, :, off]).all(axis=-1)
        in_ball = agree_off & ((S[:, None, block] != S[None, :, block]).sum(axis=-1) <= 1)
        m = len(block) * (K - 1)
        p_stay = 1.0 / (1 + m) if stay_prob is None else stay_prob
        q_u = np.where(in_ball, (1.0 - p_stay) / m, 0.0)
        q_u[np.arange(N), np.arange(N)] = p_stay
        restricted = np.where(in_ball, w[None, :], 0.0)
        restricted /= restricted.sum(axis=1, keepdims=True)
        T += q_u @ restricted
    return T / len(blocks)


def stationarity_error(T, pi):
    """max |pi T - pi|."""
    return float(np.max(np.abs(pi @ T - pi)))


def detailed_balance_error(T, pi):
    """max |pi_x T[x, y] - pi_y T[y, x]|."""
    F = pi[:, None] * T
    return float(np.max(np.abs(F - F.T)))
