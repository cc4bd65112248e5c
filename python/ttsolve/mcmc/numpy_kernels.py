"""Batched numpy kernels for user models (:class:`~ttsolve.mcmc.custom.CustomModel`, and
:class:`~ttsolve.mcmc.models.UserModel` as its K = 2 case): every sampler that needs only f
and its one-hot gradient, on categorical states x in {0..K-1}^D, all chains at once.

Notation as in tests/reference/discrete_kernels.py: d[i, k] = grad[i, k] - grad[i, x_i],
delta[i, k] the exact change of f when site i moves to k, and a balancing function g in log
scale b(d) = log g(e^d): sqrt d / 2, barker log sigmoid(d), max max(d, 0), min min(d, 0).

What each step asks of the callbacks (one call of each, on one batch, n = n_chains):

=================  ==========================================================================
gwg                log_prob and grad at the n proposals (one (site, state) pair from
                   softmax(d / 2) over k != x_i; ``n_flips > 1`` draws with replacement, K = 2)
locally_balanced   log_prob at the n D (K - 1) single-site neighbours of the n proposals
                   (f(y) = f(x) + delta): O(n D^2 K) states per step, for small D only
gibbs              log_prob at the n K candidates of one site (systematic or random scan)
random_walk        log_prob at the n proposals (one site to a uniform other state)
hamming_ball       log_prob at the n (1 + b (K - 1)) states of the ball around u
block_gibbs        log_prob at the n K^b completions of each chain's block (``block_size`` b,
                   the last block of the partition may be shorter: n K^L; ``scan`` systematic
                   or random, as the compiled block_gibbs)
dmala, dula        log_prob and grad at the n proposals (every site moves independently)
dlmc               log_prob and grad at the n proposals (per-site exp(t Q_i), MH)
pas                log_prob and grad at the n proposals (path of L distinct sites)
=================  ==========================================================================

Step 0 evaluates the callbacks on the initial states. The proposal functions
(``gwg_log_proposal``, ``balanced_log_proposal``, ``dmala_log_table``, ``dlmc_log_table``,
``pas_log_tables``) are what the steps draw from; the tests compare them with the
references.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["USER_KINDS", "MAX_BATCH", "balance_log", "gwg_log_proposal", "balanced_log_proposal", "dmala_log_table",
           "dlmc_log_table", "pas_log_tables", "UserChains"]

USER_KINDS = ("gwg", "locally_balanced_sqrt", "locally_balanced_barker", "locally_balanced_max",
              "locally_balanced_min", "gibbs_random", "gibbs_systematic", "random_walk",
              "random_walk_systematic", "hamming_ball", "block_gibbs_random", "block_gibbs_systematic",
              "dmala", "dula", "dlmc", "pas")
_GRADIENT = {"gwg", "dmala", "dula", "dlmc", "pas"}
MAX_BATCH = 1 << 27  # state entries (states x D) one callback call may receive


def balance_log(weight: str, d: np.ndarray) -> np.ndarray:
    """b(d) = log g(e^d) for the balancing function ``weight`` (sqrt, barker/ratio, max, min)."""
    if weight == "sqrt":
        return 0.5 * d
    if weight in ("barker", "ratio"):
        return -np.logaddexp(0.0, -d)
    if weight == "max":
        return np.maximum(d, 0.0)
    if weight == "min":
        return np.minimum(d, 0.0)
    raise ValueError(f"weight must be 'sqrt', 'barker'/'ratio', 'max' or 'min', got {weight!r}")


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return z - m - np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))


def _at(T: np.ndarray, X: np.ndarray) -> np.ndarray:
    """T[n, i, X[n, i]] for a table T (n, D, K)."""
    return np.take_along_axis(T, X[..., None], axis=-1)[..., 0]


def _differences(X: np.ndarray, g: np.ndarray) -> np.ndarray:
    return g - _at(g, X)[..., None]


def _here(X: np.ndarray, K: int) -> np.ndarray:
    return np.arange(K) == X[..., None]


def _pair_log_proposal(X: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """log softmax of logits over all (site, state) pairs with state != x_i; -inf at x_i."""
    n, D, K = logits.shape
    logits = np.where(_here(X, K), -np.inf, logits)
    return _log_softmax(logits.reshape(n, D * K)).reshape(n, D, K)


def gwg_log_proposal(X: np.ndarray, g: np.ndarray) -> np.ndarray:
    """log q(i, k | x) of categorical GWG: softmax(d / 2) over pairs k != x_i, shape (n, D, K)."""
    return _pair_log_proposal(X, 0.5 * _differences(X, g))


def balanced_log_proposal(X: np.ndarray, delta: np.ndarray, weight: str) -> np.ndarray:
    """log q(i, k | x) of the locally balanced proposal g(e^delta) over pairs k != x_i."""
    return _pair_log_proposal(X, balance_log(weight, delta))


def dmala_log_table(X: np.ndarray, g: np.ndarray, step_size: float, weight: str = "sqrt") -> np.ndarray:
    """log q_i(k | x) of DMALA / DULA: logit b(d[i, k]) - 1 / (2 alpha) for k != x_i, 0 at x_i."""
    K = g.shape[-1]
    logits = np.where(_here(X, K), 0.0, balance_log(weight, _differences(X, g)) - 0.5 / step_size)
    return _log_softmax(logits)


def dlmc_log_table(X: np.ndarray, g: np.ndarray, t: float, weight: str = "sqrt",
                   solver: str = "expm") -> np.ndarray:
    """log q_i(k | x) of DLMC: row x_i of exp(t Q_i), Q_i[a, b] = g(exp(grad[i, b] - grad[i, a]))
    ('expm', by a symmetric eigensolve per site), or DISCS's 'interpolate' closed form."""
    K = g.shape[-1]
    if solver == "expm":
        Q = np.exp(balance_log(weight, g[..., None, :] - g[..., :, None]))
        eye = np.eye(K, dtype=bool)
        Q = np.where(eye, 0.0, Q)
        Q = Q - np.eye(K) * Q.sum(-1, keepdims=True)
        h = 0.5 * (g - g.max(-1, keepdims=True))  # Q is reversible for nu ~ exp(grad)
        S = np.exp(h)[..., :, None] * Q * np.exp(-h)[..., None, :]
        w, V = np.linalg.eigh(0.5 * (S + np.swapaxes(S, -1, -2)))
        Vx = np.take_along_axis(V, X[..., None, None], axis=-2)[..., 0, :]  # (n, D, K): row x_i of V
        P = np.einsum("ndk,ndjk->ndj", Vx * np.exp(t * w), V) * np.exp(h - _at(h, X)[..., None])
        P = np.maximum(P, 0.0)
        with np.errstate(divide="ignore"):
            return np.log(P / P.sum(-1, keepdims=True))
    if solver != "interpolate":
        raise ValueError(f"solver must be 'expm' or 'interpolate', got {solver!r}")
    d = _differences(X, g)
    nu = np.exp(_log_softmax(d))
    p = nu * -np.expm1(-t * np.exp(balance_log(weight, d)) / nu)
    here = _here(X, K)
    p = np.where(here, 0.0, p)
    p = np.where(here, np.maximum(1.0 - p.sum(-1, keepdims=True), nu), p)
    with np.errstate(divide="ignore"):
        return np.log(p / p.sum(-1, keepdims=True))


def pas_log_tables(X: np.ndarray, g: np.ndarray, weight: str = "sqrt") -> tuple[np.ndarray, np.ndarray]:
    """PAS tables at x: log site probabilities (n, D) ~ sum_{k != x_i} exp(b(d[i, k])) and log
    within-site probabilities (n, D, K) ~ exp(b(d[i, k])) over k != x_i (-inf at x_i)."""
    log_pair = _pair_log_proposal(X, balance_log(weight, _differences(X, g)))
    m = np.max(log_pair, axis=-1, keepdims=True)
    log_site = (m + np.log(np.exp(log_pair - m).sum(-1, keepdims=True)))[..., 0]
    return log_site, log_pair - log_site[..., None]


def _draw_last_axis(log_p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of the probabilities exp(log_p) along the last axis (inverse CDF)."""
    cdf = np.cumsum(np.exp(log_p - log_p.max(-1, keepdims=True)), axis=-1)
    u = rng.random(log_p.shape[:-1])[..., None] * cdf[..., -1:]
    k = (cdf <= u).sum(-1)
    return np.minimum(k, log_p.shape[-1] - 1)


def _log_ordered(log_p: np.ndarray, sites: np.ndarray, live: np.ndarray) -> np.ndarray:
    """log P(drawing `sites` (n, L) in order without replacement) from site log-probs log_p
    (n, D, normalised); only the first live[n, j] entries count."""
    p = np.exp(np.take_along_axis(log_p, sites, axis=1))
    used = np.cumsum(p, axis=1) - p
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.log(p) - np.log1p(-np.minimum(used, 1.0))
    return np.where(live, terms, 0.0).sum(1)


class UserChains:
    """All chains of one run on a user model: states X (n, D) int64, f, the one-hot gradient
    (gradient kinds) or the exact differences (locally balanced), and one step per call."""

    def __init__(self, model: Any, kind: str, params: dict[str, Any], X: np.ndarray, n_flips: int) -> None:
        if kind not in USER_KINDS:
            raise ValueError(f"sampler kind {kind!r} has no numpy step for user models")
        if params.get("adaptive") in (True, "true", "True", 1):
            raise ValueError("adaptive=True is not available on user models (numpy engine); "
                             "give the step size / t / path length instead")
        if kind in _GRADIENT and not getattr(model, "has_grad", True):
            raise ValueError(f"{kind} needs the model's grad callable; this model has none")
        self.model, self.kind, self.params = model, kind, dict(params)
        self.K, self.D = int(model.n_states), int(model.dim)
        if n_flips > 1 and self.K != 2:
            raise ValueError("n_flips > 1 needs a binary model (n_states == 2)")
        self.n_flips = n_flips
        self.weight = str(self.params.get("weight", kind.rsplit("_", 1)[1] if kind.startswith("locally") else "sqrt"))
        balance_log(self.weight, np.zeros(1))  # checks the name
        self.X = np.ascontiguousarray(X, dtype=np.int64)
        self.rows = np.arange(self.X.shape[0])
        if kind.startswith("block_gibbs"):
            self._check_block_batch()  # before any callback call
        self.f = self._f(self.X, 0)
        self.g = self._g(self.X, 0) if kind in _GRADIENT else None
        self.delta = self._deltas(self.X, self.f, 0) if kind.startswith("locally") else None

    # ---- callbacks ------------------------------------------------------------------
    def _f(self, Y: np.ndarray, step: int) -> np.ndarray:
        return self.model.evaluate_log_prob(Y, step)

    def _g(self, Y: np.ndarray, step: int) -> np.ndarray:
        return self.model.evaluate_grad(Y, step)

    def _deltas(self, Y: np.ndarray, fy: np.ndarray, step: int) -> np.ndarray:
        """Exact differences delta[n, i, k] = f(y with site i at k) - f(y) from one log_prob call
        on the n D (K - 1) neighbours; 0 at k = y_i."""
        n, D, K = Y.shape[0], self.D, self.K
        if n * D * (K - 1) * D > MAX_BATCH:
            raise MemoryError(f"locally_balanced on a user model evaluates n_chains * D * (K - 1) = "
                              f"{n * D * (K - 1)} neighbour states of dimension {D} per step; too many")
        shifts = np.arange(1, K)
        nb = np.broadcast_to(Y[:, None, None, :], (n, D, K - 1, D)).copy()
        sites = np.arange(D)
        nb[:, sites, :, sites] = (Y.T[:, :, None] + shifts) % K
        fn = self._f(nb.reshape(-1, D), step).reshape(n, D, K - 1) - fy[:, None, None]
        delta = np.zeros((n, D, K))
        states = (Y[:, :, None] + shifts) % K
        np.put_along_axis(delta, states, fn, axis=-1)
        return delta

    # ---- one step of every chain; returns which chains moved --------------------------
    def step(self, t: int, rng: np.random.Generator) -> np.ndarray:
        kind = self.kind
        if kind == "gwg":
            return self._pair_step(t, rng, gwg_log_proposal(self.X, self.g))
        if kind.startswith("locally"):
            return self._pair_step(t, rng, balanced_log_proposal(self.X, self.delta, self.weight))
        if kind.startswith("gibbs"):
            return self._gibbs(t, rng)
        if kind.startswith("random_walk"):
            return self._random_walk(t, rng)
        if kind == "hamming_ball":
            return self._hamming_ball(t, rng)
        if kind.startswith("block_gibbs"):
            return self._block_gibbs(t, rng)
        if kind == "pas":
            return self._pas(t, rng)
        return self._factorised(t, rng)

    def _mh(self, log_accept: np.ndarray, rng: np.random.Generator, always: bool = False) -> np.ndarray:
        u = rng.random(log_accept.shape[0])
        if always:
            return np.isfinite(log_accept)
        with np.errstate(divide="ignore"):
            return np.log1p(-u) < np.nan_to_num(log_accept, nan=-np.inf)

    def _take(self, accept: np.ndarray, Y: np.ndarray, fy: np.ndarray, gy: np.ndarray | None = None,
              delta: np.ndarray | None = None) -> np.ndarray:
        moved = accept & (Y != self.X).any(1)
        self.X = np.where(accept[:, None], Y, self.X)
        self.f = np.where(accept, fy, self.f)
        if gy is not None:
            self.g = np.where(accept[:, None, None], gy, self.g)
        if delta is not None:
            self.delta = np.where(accept[:, None, None], delta, self.delta)
        return moved

    def _pair_step(self, t: int, rng: np.random.Generator, lq: np.ndarray) -> np.ndarray:
        """One (site, state) pair (n_flips with replacement, K = 2) from lq, MH with the reverse pairs."""
        n, D, K = lq.shape
        cdf = np.cumsum(np.exp(lq.reshape(n, D * K)), axis=1)
        u = rng.random((self.n_flips, n))
        picks = np.minimum(np.stack([(cdf <= u[j][:, None] * cdf[:, -1:]).sum(1) for j in range(self.n_flips)]),
                           D * K - 1)
        sites, states = picks // K, picks % K
        Y = self.X.copy()
        for j in range(self.n_flips):
            Y[self.rows, sites[j]] = states[j]
        log_fwd = lq[self.rows, sites, states].sum(0)
        if self.kind == "gwg":
            fy, gy = self._f(Y, t + 1), self._g(Y, t + 1)
            lq_y, delta_y, change = gwg_log_proposal(Y, gy), None, fy - self.f
        else:
            change = self.delta[self.rows, sites[0], states[0]]
            fy, gy = self.f + change, None
            delta_y = self._deltas(Y, fy, t + 1)
            lq_y = balanced_log_proposal(Y, delta_y, self.weight)
        log_rev = lq_y[self.rows, sites, self.X[self.rows, sites]].sum(0)
        accept = self._mh(change + log_rev - log_fwd, rng)
        return self._take(accept, Y, fy, gy, delta_y)

    def _site(self, t: int, rng: np.random.Generator, systematic: bool) -> np.ndarray:
        n = self.X.shape[0]
        return np.full(n, t % self.D) if systematic else rng.integers(0, self.D, n)

    def _gibbs(self, t: int, rng: np.random.Generator) -> np.ndarray:
        n, D, K = self.X.shape[0], self.D, self.K
        i = self._site(t, rng, self.kind == "gibbs_systematic")
        C = np.broadcast_to(self.X[:, None, :], (n, K, D)).copy()
        C[self.rows, :, i] = np.arange(K)
        fc = self._f(C.reshape(-1, D), t + 1).reshape(n, K)
        k = _draw_last_axis(fc, rng)
        Y = C[self.rows, k]
        return self._take(np.ones(n, dtype=bool), Y, fc[self.rows, k])

    def _random_walk(self, t: int, rng: np.random.Generator) -> np.ndarray:
        n = self.X.shape[0]
        i = self._site(t, rng, self.kind == "random_walk_systematic")
        Y = self.X.copy()
        Y[self.rows, i] = (self.X[self.rows, i] + 1 + rng.integers(0, self.K - 1, n)) % self.K
        fy = self._f(Y, t + 1)
        return self._take(self._mh(fy - self.f, rng), Y, fy)

    def _hamming_ball(self, t: int, rng: np.random.Generator) -> np.ndarray:
        """Radius 1 on a uniform block of the contiguous partition: u uniform in the ball around x,
        then x' ~ pi on the ball around u (tests/reference hamming_ball with stay_prob None)."""
        n, D, K = self.X.shape[0], self.D, self.K
        b = min(int(self.params.get("block_size", 4)), D)
        start = rng.integers(0, -(-D // b), n) * b
        length = np.minimum(b, D - start)
        m = 1 + b * (K - 1)                       # ball slots: 0 = centre, then (offset, shift)
        j = np.arange(1, m)
        offset, shift = (j - 1) // (K - 1), (j - 1) % (K - 1) + 1
        valid = np.concatenate([np.ones((n, 1), bool), offset[None, :] < length[:, None]], axis=1)

        def ball(Z: np.ndarray) -> np.ndarray:
            B = np.broadcast_to(Z[:, None, :], (n, m, D)).copy()
            site = np.minimum(start[:, None] + offset[None, :], D - 1)
            vals = (Z[self.rows[:, None], site] + shift[None, :]) % K
            B[self.rows[:, None], j[None, :], site] = np.where(valid[:, 1:], vals, Z[self.rows[:, None], site])
            return B

        a = rng.integers(0, 1 + length * (K - 1))
        U = ball(self.X)[self.rows, a]
        B = ball(U)
        fb = self._f(B.reshape(-1, D), t + 1).reshape(n, m)
        k = _draw_last_axis(np.where(valid, fb, -np.inf), rng)
        return self._take(np.ones(n, dtype=bool), B[self.rows, k], fb[self.rows, k])

    # ---- block Gibbs: the K^L completions of a block, drawn from their exact conditional ----
    @property
    def block_size(self) -> int:
        return min(int(self.params.get("block_size", 2)), self.D)

    def _check_block_batch(self) -> None:
        n, b = self.X.shape[0], self.block_size
        states = n * self.K ** b
        if states * self.D > MAX_BATCH:
            raise MemoryError(f"block_gibbs with block_size = {b} on a user model evaluates n_chains * "
                              f"n_states^block_size = {n} * {self.K}^{b} = {states} states of dimension "
                              f"{self.D} per step (more than {MAX_BATCH} entries); use a smaller block_size "
                              "or fewer chains")

    def step_blocks(self, t: int, rng: np.random.Generator) -> np.ndarray:
        """Each chain's block index at step t: t mod n_blocks (systematic), else uniform."""
        n_blocks = -(-self.D // self.block_size)
        if self.kind == "block_gibbs_systematic":
            return np.full(self.X.shape[0], t % n_blocks)
        return rng.integers(0, n_blocks, self.X.shape[0])

    def block_conditional(self, blocks: np.ndarray, step: int) -> tuple[np.ndarray, np.ndarray]:
        """Block Gibbs at the current states with block ``blocks[c]`` of the fixed partition
        [0, b), [b, 2b), ... for chain c: the completions C (n, K^b, D), configuration z in
        mixed radix with the block's first site most significant (as block_conditional.hpp),
        and f at each (n, K^b), -inf where z has a nonzero digit past a short last block (so
        its K^L completions are each listed once). The step draws z with probability
        exp(f) / sum exp(f): one log_prob call on the valid completions."""
        n, D, K, b = self.X.shape[0], self.D, self.K, self.block_size
        start = blocks * b
        length = np.minimum(b, D - start)
        z = np.arange(K ** b)
        digits = (z[:, None] // K ** np.arange(b - 1, -1, -1)[None, :]) % K      # (K^b, b)
        live = np.arange(b)[None, :] < length[:, None]                           # (n, b)
        valid = ~((digits[None, :, :] != 0) & ~live[:, None, :]).any(-1)         # (n, K^b)
        C = np.broadcast_to(self.X[:, None, :], (n, z.size, D)).copy()
        for s in range(b):
            chains = np.flatnonzero(live[:, s])
            C[chains[:, None], z[None, :], (start[chains] + s)[:, None]] = digits[None, :, s]
        fc = np.full((n, z.size), -np.inf)
        fc[valid] = self._f(C[valid], step)
        return C, fc

    def _block_gibbs(self, t: int, rng: np.random.Generator) -> np.ndarray:
        C, fc = self.block_conditional(self.step_blocks(t, rng), t + 1)
        k = _draw_last_axis(fc, rng)
        return self._take(np.ones(self.X.shape[0], dtype=bool), C[self.rows, k], fc[self.rows, k])

    def _table(self, X: np.ndarray, g: np.ndarray) -> np.ndarray:
        if self.kind == "dlmc":
            return dlmc_log_table(X, g, float(self.params.get("t", 1.0)), self.weight,
                                  str(self.params.get("solver", "expm")))
        return dmala_log_table(X, g, float(self.params.get("step_size", 0.5)), self.weight)

    def _factorised(self, t: int, rng: np.random.Generator) -> np.ndarray:
        lt = self._table(self.X, self.g)
        Y = _draw_last_axis(lt, rng)
        fy, gy = self._f(Y, t + 1), self._g(Y, t + 1)
        log_fwd = _at(lt, Y).sum(1)
        log_rev = _at(self._table(Y, gy), self.X).sum(1)
        accept = self._mh(fy - self.f + log_rev - log_fwd, rng, always=self.kind == "dula")
        return self._take(accept, Y, fy, gy)

    def _pas(self, t: int, rng: np.random.Generator) -> np.ndarray:
        n, D = self.X.shape
        L_max = min(int(self.params.get("path_length", 1)), D)
        if str(self.params.get("length", "fixed")) == "uniform":
            L = 1 + rng.integers(0, L_max, n)
        else:
            L = np.full(n, L_max)
        live = np.arange(L_max)[None, :] < L[:, None]
        log_site, log_val = pas_log_tables(self.X, self.g, self.weight)
        # Ordered draws without replacement by Gumbel-top-L (Plackett-Luce).
        keys = log_site - np.log(-np.log(rng.random((n, D))))
        sites = np.argsort(-keys, axis=1, kind="stable")[:, :L_max]
        new = _draw_last_axis(log_val[self.rows[:, None], sites], rng)
        Y = self.X.copy()
        rr = np.broadcast_to(self.rows[:, None], sites.shape)
        Y[rr[live], sites[live]] = new[live]
        log_fwd = _log_ordered(log_site, sites, live) + np.where(live, log_val[rr, sites, new], 0.0).sum(1)
        fy, gy = self._f(Y, t + 1), self._g(Y, t + 1)
        log_site_y, log_val_y = pas_log_tables(Y, gy, self.weight)
        # Reverse path: the live sites in reverse order, back to the states of x.
        rev = np.where(live, np.take_along_axis(sites, np.maximum(L[:, None] - 1 - np.arange(L_max), 0), 1), sites)
        log_rev = _log_ordered(log_site_y, rev, live) + \
            np.where(live, log_val_y[rr, sites, self.X[rr, sites]], 0.0).sum(1)
        accept = self._mh(fy - self.f + log_rev - log_fwd, rng)
        return self._take(accept, Y, fy, gy)
