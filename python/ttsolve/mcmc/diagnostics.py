"""MCMC diagnostics and exact ground truth for small binary models (numpy only).

* :func:`ess`, :func:`rhat`, :func:`ess_per_second`: multi-chain effective sample size
  (Geyer's initial positive + monotone sequence on FFT autocovariances, combined over
  chains with the within/between variance, exactly as Stan and ArviZ define it) and
  split R-hat, optionally rank-normalised.
* :func:`log_rmse`, :func:`mmd_hamming`: sample-quality metrics of the GWG paper.
* :func:`enumerate_model`, :func:`exact_marginals`, :func:`exact_pairwise`,
  :func:`log_partition`: brute-force ground truth for any model with ``dim <= 20``.

Array convention for chains: ``(n_chains, n_draws)``, or ``(n_draws,)`` for one chain, or
``(n_chains, n_draws, *event_shape)`` to diagnose many statistics at once (the result then
has ``event_shape``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._validation import check_int

__all__ = [
    "ess",
    "rhat",
    "ess_per_second",
    "log_rmse",
    "mmd_hamming",
    "enumerate_model",
    "exact_marginals",
    "exact_pairwise",
    "log_partition",
    "MAX_ENUMERATION_DIM",
]

#: Largest model dimension the enumeration helpers accept (2**20 states).
MAX_ENUMERATION_DIM = 20

_MIN_DRAWS = 4
_ESS_METHODS = {"mean": "mean", "basic": "mean", "bulk": "bulk", "identity": "identity"}
_RHAT_METHODS = ("rank", "split", "identity")
# Working memory per block of columns; keeps huge (chains, draws, D) traces cheap.
_BLOCK_BYTES = 1 << 26


# --------------------------------------------------------------------------- input checks


def _as_chain_array(x: Any, name: str, func: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """Validate the shape and dtype of ``x``; view it as ``(n_chains, n_draws, n_columns)``.

    Values are converted to float64 (and checked to be finite) per column block later, so
    a large integer trace is never copied whole.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ) or np.iscomplexobj(arr):
        raise TypeError(f"{func}: {name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{func}: {name} must have shape (n_draws,) or (n_chains, n_draws, ...)")
    if arr.ndim == 1:
        arr = arr[None, :]
    n_chains, n_draws = arr.shape[:2]
    event_shape = arr.shape[2:]
    if n_chains < 1 or arr.size == 0:
        raise ValueError(f"{func}: {name} is empty (shape {np.shape(x)})")
    if n_draws < _MIN_DRAWS:
        raise ValueError(f"{func}: {name} needs at least {_MIN_DRAWS} draws per chain, got {n_draws}")
    return arr.reshape(n_chains, n_draws, -1), event_shape


def _by_column_blocks(arr: np.ndarray, stat: Any, name: str, func: str) -> np.ndarray:
    """Apply ``stat`` (float64 (chains, draws, cols) -> (cols,)) to blocks of columns."""
    n_chains, n_draws, n_cols = arr.shape
    fft_len = _next_fast_len(2 * n_draws)
    # Largest transient per column: the complex spectrum of every (split) chain.
    bytes_per_col = 8 * n_chains * (n_draws + 2 * fft_len)
    step = max(1, _BLOCK_BYTES // bytes_per_col)
    out = np.empty(n_cols)
    for lo in range(0, n_cols, step):
        block = arr[:, :, lo : lo + step].astype(np.float64)
        if not np.isfinite(block).all():
            raise ValueError(f"{func}: {name} contains NaN or infinite values")
        out[lo : lo + step] = stat(block)
    return out


def _finish(values: np.ndarray, event_shape: tuple[int, ...]) -> Any:
    """Scalar for scalar statistics, else an array of ``event_shape``."""
    if event_shape == ():
        return float(values[0])
    return values.reshape(event_shape)


def _split_chains(arr: np.ndarray) -> np.ndarray:
    """Halve every chain (dropping the middle draw if odd) and stack the halves as chains."""
    half = arr.shape[1] // 2
    return np.concatenate([arr[:, :half], arr[:, -half:]], axis=0)


# --------------------------------------------------------------------------- transforms


def _average_ranks(arr: np.ndarray) -> np.ndarray:
    """1-based ranks over all chains and draws, ties get their average rank; per column."""
    n_chains, n_draws, n_cols = arr.shape
    flat = arr.reshape(n_chains * n_draws, n_cols)
    n = flat.shape[0]
    order = np.argsort(flat, axis=0, kind="stable")
    sorted_vals = np.take_along_axis(flat, order, axis=0)
    position = np.arange(n)[:, None]
    starts_group = np.ones_like(sorted_vals, dtype=bool)
    starts_group[1:] = sorted_vals[1:] != sorted_vals[:-1]
    ends_group = np.ones_like(starts_group)
    ends_group[:-1] = starts_group[1:]
    first = np.maximum.accumulate(np.where(starts_group, position, 0), axis=0)
    last = np.minimum.accumulate(np.where(ends_group, position, n - 1)[::-1], axis=0)[::-1]
    ranks = np.empty_like(flat)
    np.put_along_axis(ranks, order, (first + last) / 2.0 + 1.0, axis=0)
    return ranks.reshape(arr.shape)


def _rank_normalise(arr: np.ndarray) -> np.ndarray:
    """Normal scores of the pooled ranks, Blom offset 3/8 (as ArviZ's ``_z_scale``)."""
    from scipy.special import ndtri  # scipy is a core dependency; numpy has no ndtri

    n = arr.shape[0] * arr.shape[1]
    c = 3.0 / 8.0
    return ndtri((_average_ranks(arr) - c) / (n - 2.0 * c + 1.0))


def _fold(arr: np.ndarray) -> np.ndarray:
    """Absolute deviation from the pooled median (per column): the tail statistic."""
    n_chains, n_draws, n_cols = arr.shape
    median = np.median(arr.reshape(-1, n_cols), axis=0)
    return np.abs(arr - median)


# --------------------------------------------------------------------------- ESS core


def _next_fast_len(n: int) -> int:
    """Smallest 2^a 3^b 5^c >= n (sizes pocketfft handles fastest)."""
    best = 1 << max(0, (n - 1).bit_length())
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


def _autocovariance(arr: np.ndarray) -> np.ndarray:
    """Biased autocovariance (divided by n) of every chain and column at every lag."""
    n = arr.shape[1]
    centred = arr - arr.mean(axis=1, keepdims=True)
    m = _next_fast_len(2 * n)  # zero padding >= 2n - 1 gives linear, not circular, lags
    spectrum = np.fft.rfft(centred, n=m, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    return np.fft.irfft(power, n=m, axis=1)[:, :n] / n


def _geyer_ess(arr: np.ndarray) -> np.ndarray:
    """Multi-chain ESS of every column of ``arr`` (n_chains, n_draws, n_cols).

    Follows Stan / ArviZ ``_ess`` step for step: combined autocorrelation
    rho_t = 1 - (W - mean_c acov_t) / var_plus, Geyer's initial positive sequence over
    pairs P_k = rho_2k + rho_2k+1, the initial monotone sequence (running minimum of the
    pairs), the same truncation at the last pair and the lower bound
    tau >= 1 / log10(n_chains * n_draws).
    """
    n_chains, n_draws, n_cols = arr.shape
    total = n_chains * n_draws
    k_max = max(0, (n_draws - 3) // 2)  # the number of pair iterations the loop may run
    acov = _autocovariance(arr)  # (chains, draws, cols)
    mean_var = acov[:, 0, :].mean(axis=0) * n_draws / (n_draws - 1.0)
    var_plus = mean_var * (n_draws - 1.0) / n_draws
    if n_chains > 1:
        var_plus = var_plus + arr.mean(axis=1).var(axis=0, ddof=1)
    constant = (arr.max(axis=(0, 1)) - arr.min(axis=(0, 1))) < np.finfo(float).resolution
    var_plus = np.where(constant, 1.0, var_plus)  # avoid 0/0; the result is overwritten
    n_lags = 2 * k_max + 2
    rho = 1.0 - (mean_var - acov[:, :n_lags, :].mean(axis=0)) / var_plus  # (lags, cols)
    rho[0] = 1.0
    pairs = rho[0::2] + rho[1::2]  # P_0 .. P_k_max
    # k_last: number of leading pairs P_0, P_1, .. that are > 0, capped at k_max.
    nonpos = np.vstack([~(pairs[:k_max] > 0.0), np.ones((1, n_cols), bool)])
    k_last = nonpos.argmax(axis=0)  # the sentinel row makes it k_max when none is <= 0
    monotone = np.minimum.accumulate(pairs, axis=0)
    used = np.arange(pairs.shape[0])[:, None] < k_last[None, :]
    head = np.where(used, monotone, 0.0).sum(axis=0)
    cols = np.arange(n_cols)
    last_even = rho[2 * k_last, cols]
    last_pair = pairs[k_last, cols]
    tail = np.where((last_even > 0.0) | (last_pair >= 0.0), last_even, 0.0)
    tail = np.where(k_last == 0, 1.0, tail)
    tau = np.maximum(-1.0 + 2.0 * head + tail, 1.0 / np.log10(total))
    return np.where(constant, float(total), total / tau)


# --------------------------------------------------------------------------- public: ESS, R-hat


def ess(x: Any, method: str = "mean", relative: bool = False) -> Any:
    """Effective sample size of MCMC draws over one or more chains.

    Parameters
    ----------
    x : array_like
        Draws of shape ``(n_chains, n_draws)``, ``(n_draws,)`` (one chain) or
        ``(n_chains, n_draws, *event_shape)`` (one ESS per statistic). At least 4 draws,
        finite values.
    method : {"mean", "basic", "bulk", "identity"}
        ``"mean"`` (alias ``"basic"``, the default): split chains, no rank normalisation,
        identical to ``arviz.ess(x, method="mean")``; the ESS of the mean of ``x``.
        ``"bulk"``: split chains and rank-normalise first, ``arviz.ess``'s default.
        ``"identity"``: the plain multi-chain Geyer estimate without splitting.
    relative : bool
        Return ESS divided by the number of draws used.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar statistics, else an array of ``event_shape``. Constant input
        returns the number of draws (as ArviZ does).
    """
    if method not in _ESS_METHODS:
        raise ValueError(f"ess: method must be one of {sorted(_ESS_METHODS)}, got {method!r}")
    arr, event_shape = _as_chain_array(x, "x", "ess")
    method = _ESS_METHODS[method]

    def stat(block: np.ndarray) -> np.ndarray:
        if method != "identity":
            block = _split_chains(block)
        if method == "bulk":
            block = _rank_normalise(block)
        values = _geyer_ess(block)
        return values / block[:, :, 0].size if relative else values

    return _finish(_by_column_blocks(arr, stat, "x", "ess"), event_shape)


def _rhat_core(arr: np.ndarray) -> np.ndarray:
    """Gelman-Rubin potential scale reduction of each column (chains as given)."""
    n_draws = arr.shape[1]
    chain_mean = arr.mean(axis=1)
    between = n_draws * chain_mean.var(axis=0, ddof=1)
    within = arr.var(axis=1, ddof=1).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = between / within
    # within == 0: inf if the chains sit at different constants, nan if all equal.
    ratio = np.where(within > 0, ratio, np.where(between > 0, np.inf, np.nan))
    return np.sqrt((ratio + n_draws - 1.0) / n_draws)


def rhat(x: Any, method: str = "rank") -> Any:
    """Potential scale reduction factor R-hat (values well above 1.01 flag non-convergence).

    Parameters
    ----------
    x : array_like
        Draws of shape ``(n_chains, n_draws)``, ``(n_draws,)`` (one chain, split in two) or
        ``(n_chains, n_draws, *event_shape)``. At least 4 draws, finite values.
    method : {"rank", "split", "identity"}
        ``"rank"`` (default, as ``arviz.rhat``): the larger of the rank-normalised split
        R-hat of ``x`` and of ``|x - median|`` (Vehtari et al. 2021). ``"split"``: classic
        split R-hat. ``"identity"``: R-hat without splitting (needs >= 2 chains).

    Returns
    -------
    float or numpy.ndarray
        ``inf`` where every chain is constant but the chains disagree, ``nan`` where all
        draws are identical (R-hat is undefined). ArviZ returns ``nan`` for a single chain;
        here a single chain is split into two halves.
    """
    if method not in _RHAT_METHODS:
        raise ValueError(f"rhat: method must be one of {list(_RHAT_METHODS)}, got {method!r}")
    arr, event_shape = _as_chain_array(x, "x", "rhat")
    if method == "identity" and arr.shape[0] < 2:
        raise ValueError("rhat: method='identity' needs at least 2 chains")

    def stat(block: np.ndarray) -> np.ndarray:
        if method == "identity":
            return _rhat_core(block)
        split = _split_chains(block)
        if method == "split":
            return _rhat_core(split)
        bulk = _rhat_core(_rank_normalise(split))
        tail = _rhat_core(_rank_normalise(_fold(split)))
        return np.fmax(bulk, tail)

    return _finish(_by_column_blocks(arr, stat, "x", "rhat"), event_shape)


def _positive_seconds(seconds: Any, func: str) -> float:
    if isinstance(seconds, (bool, np.bool_)) or not isinstance(seconds, (int, float, np.number)):
        raise TypeError(f"{func}: seconds must be a real number, got {type(seconds).__name__}")
    seconds = float(seconds)
    if not np.isfinite(seconds) or seconds <= 0.0:
        raise ValueError(f"{func}: seconds must be finite and > 0, got {seconds}")
    return seconds


def ess_per_second(x: Any, seconds: float, method: str = "mean") -> Any:
    """:func:`ess` of ``x`` divided by the wall-clock ``seconds`` it took to sample.

    Parameters
    ----------
    x : array_like
        Draws, as for :func:`ess`.
    seconds : float
        Sampling time (> 0) of all chains together.
    method : str
        Passed to :func:`ess`.
    """
    seconds = _positive_seconds(seconds, "ess_per_second")
    return ess(x, method=method) / seconds


# --------------------------------------------------------------------------- sample quality


def _finite_float_array(a: Any, name: str, func: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype == object or np.iscomplexobj(arr) or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_
    ):
        raise TypeError(f"{func}: {name} must be a real numeric array, got dtype {arr.dtype}")
    arr = arr.astype(np.float64, copy=False)
    if arr.size == 0:
        raise ValueError(f"{func}: {name} is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{func}: {name} contains NaN or infinite values")
    return arr


def log_rmse(estimated_marginals: Any, true_marginals: Any) -> float:
    """Natural log of the root-mean-square error between estimated and true marginals.

    Parameters
    ----------
    estimated_marginals, true_marginals : array_like
        Same shape, e.g. ``(D,)`` probabilities P(x_i = 1).

    Returns
    -------
    float
        ``log(sqrt(mean((estimated - true)**2)))``; ``-inf`` for an exact match. (The GWG
        reference code plots ``log10`` of the mean squared spin error instead; divide by
        ``log(10)`` and adjust for the spin scale if you need that figure.)
    """
    est = _finite_float_array(estimated_marginals, "estimated_marginals", "log_rmse")
    true = _finite_float_array(true_marginals, "true_marginals", "log_rmse")
    if est.shape != true.shape:
        raise ValueError(
            f"log_rmse: estimated_marginals shape {est.shape} != true_marginals shape {true.shape}"
        )
    rmse = np.sqrt(np.mean((est - true) ** 2))
    with np.errstate(divide="ignore"):
        return float(np.log(rmse))


def _binary_samples(a: Any, name: str) -> np.ndarray:
    arr = _finite_float_array(a, name, "mmd_hamming")
    if arr.ndim != 2:
        raise ValueError(f"mmd_hamming: {name} must have shape (n_samples, D), got {arr.shape}")
    if not np.all((arr == 0.0) | (arr == 1.0)):
        raise ValueError(f"mmd_hamming: {name} must contain only 0/1 values")
    return arr


def _kernel_sum(a: np.ndarray, b: np.ndarray, block_size: int) -> float:
    """Sum over all pairs of exp(-Hamming(a_i, b_j) / D), blocked to bound memory."""
    dim = a.shape[1]
    a_ones, b_ones = a.sum(axis=1), b.sum(axis=1)
    total = 0.0
    for i in range(0, a.shape[0], block_size):
        for j in range(0, b.shape[0], block_size):
            # Hamming distance of 0/1 rows: |a| + |b| - 2 a.b (exact in float64).
            hamming = a_ones[i : i + block_size, None] + b_ones[None, j : j + block_size]
            hamming -= 2.0 * (a[i : i + block_size] @ b[j : j + block_size].T)
            total += float(np.exp(-hamming / dim).sum())
    return total


def mmd_hamming(
    samples_a: Any, samples_b: Any, unbiased: bool = False, block_size: int = 1024
) -> float:
    """Squared maximum mean discrepancy with the kernel k(x, y) = exp(-mean(x != y)).

    The metric of the GWG paper's RBM experiment (where log10 of it is plotted).

    Parameters
    ----------
    samples_a, samples_b : array_like
        0/1 samples of shapes ``(n, D)`` and ``(m, D)``.
    unbiased : bool
        ``False`` (default, as the paper): the biased V-statistic
        mean(K_aa) + mean(K_bb) - 2 mean(K_ab), always >= 0 and 0 for identical sets.
        ``True``: the unbiased U-statistic, which drops the diagonal terms of K_aa and K_bb
        (needs n, m >= 2; may be slightly negative when the distributions agree).
    block_size : int
        Rows per block of the kernel matrix; memory is O(block_size**2).

    Returns
    -------
    float
    """
    a = _binary_samples(samples_a, "samples_a")
    b = _binary_samples(samples_b, "samples_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"mmd_hamming: samples_a has D={a.shape[1]}, samples_b has D={b.shape[1]}")
    if isinstance(block_size, (bool, np.bool_)) or not isinstance(block_size, (int, np.integer)):
        raise TypeError("mmd_hamming: block_size must be an int")
    if block_size < 1:
        raise ValueError(f"mmd_hamming: block_size must be >= 1, got {block_size}")
    n, m = a.shape[0], b.shape[0]
    k_aa = _kernel_sum(a, a, int(block_size))
    k_bb = _kernel_sum(b, b, int(block_size))
    k_ab = _kernel_sum(a, b, int(block_size))
    if not unbiased:
        return k_aa / n**2 + k_bb / m**2 - 2.0 * k_ab / (n * m)
    if n < 2 or m < 2:
        raise ValueError("mmd_hamming: unbiased=True needs at least 2 samples in each set")
    # The diagonal of K_aa and K_bb is exp(0) = 1.
    return (k_aa - n) / (n * (n - 1)) + (k_bb - m) / (m * (m - 1)) - 2.0 * k_ab / (n * m)


# --------------------------------------------------------------------------- enumeration


def _model_dim(model: Any, func: str) -> int:
    if not hasattr(model, "dim") or not callable(getattr(model, "log_prob", None)):
        raise TypeError(f"{func}: model must have an int attribute .dim and a method .log_prob(X)")
    dim = model.dim
    if isinstance(dim, (bool, np.bool_)) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{func}: model.dim must be an int, got {type(dim).__name__}")
    dim = int(dim)
    if dim < 1:
        raise ValueError(f"{func}: model.dim must be >= 1, got {dim}")
    n_states = getattr(model, "n_states", 2)
    if n_states != 2:  # enumerating 0/1 states of a categorical model would be silently wrong
        raise ValueError(f"{func}: enumerates binary models; this model has n_states = {n_states} "
                         "(categorical models have exact_marginals() / log_partition() methods)")
    if dim > MAX_ENUMERATION_DIM:
        raise ValueError(
            f"{func}: model.dim = {dim} is too large to enumerate (2**{dim} states); "
            f"the limit is {MAX_ENUMERATION_DIM}"
        )
    return dim


def _states(start: int, stop: int, dim: int, dtype: Any) -> np.ndarray:
    """States ``start .. stop-1`` as 0/1 rows; the first variable is the most significant bit."""
    index = np.arange(start, stop, dtype=np.int64)[:, None]
    shifts = np.arange(dim - 1, -1, -1, dtype=np.int64)[None, :]
    return ((index >> shifts) & 1).astype(dtype)


def _block_log_prob(model: Any, states: np.ndarray, func: str) -> np.ndarray:
    logp = np.asarray(model.log_prob(states), dtype=np.float64)
    if logp.shape == (states.shape[0], 1):  # tolerate a trailing singleton axis
        logp = logp[:, 0]
    if logp.shape != (states.shape[0],):
        raise ValueError(
            f"{func}: model.log_prob returned shape {np.shape(logp)} for {states.shape[0]} states"
        )
    if np.isnan(logp).any() or np.isposinf(logp).any():
        raise ValueError(f"{func}: model.log_prob returned NaN or +inf")
    return logp


def _enumerated_moments(
    model: Any, block_size: int, dtype: Any, func: str, pairwise: bool
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Stream all 2**D states: log Z, E[x] and (optionally) E[x x^T], rescaling stably."""
    dim = _model_dim(model, func)
    block_size = check_int(block_size, f"{func}: block_size", 1)
    n_states = 1 << dim
    shift = -np.inf  # running max of log_prob; all sums are relative to exp(shift)
    mass = 0.0
    first = np.zeros(dim)
    second = np.zeros((dim, dim)) if pairwise else None
    for start in range(0, n_states, block_size):
        states = _states(start, min(start + block_size, n_states), dim, dtype)
        logp = _block_log_prob(model, states, func)
        block_max = logp.max()
        if block_max == -np.inf:
            continue
        if block_max > shift:
            scale = np.exp(shift - block_max) if shift > -np.inf else 0.0
            mass *= scale
            first *= scale
            if second is not None:
                second *= scale
            shift = block_max
        weights = np.exp(logp - shift)
        x = states.astype(np.float64, copy=False)
        mass += weights.sum()
        first += weights @ x
        if second is not None:
            second += (x * weights[:, None]).T @ x
    if shift == -np.inf:
        raise ValueError(f"{func}: model.log_prob is -inf for every state (zero total mass)")
    log_z = float(shift + np.log(mass))
    return log_z, first / mass, (second / mass if second is not None else None)


def enumerate_model(
    model: Any, block_size: int = 1 << 14, dtype: Any = np.float64
) -> tuple[np.ndarray, np.ndarray]:
    """All 2**D states of a small binary model with their normalised log-probabilities.

    Parameters
    ----------
    model : object
        Has ``.dim`` (int, 1 <= dim <= 20) and ``.log_prob(X)`` returning the unnormalised
        log-probabilities ``(K,)`` of a ``(K, D)`` batch of 0/1 states.
    block_size : int
        States per ``log_prob`` call.
    dtype : numpy dtype
        dtype of the state batches passed to ``log_prob`` and returned.

    Returns
    -------
    states : numpy.ndarray, shape (2**D, D)
        State ``k`` has the binary digits of ``k`` with ``x[0]`` the most significant bit.
    log_probs : numpy.ndarray, shape (2**D,)
        Normalised: ``logsumexp(log_probs) == 0``.
    """
    dim = _model_dim(model, "enumerate_model")
    block_size = check_int(block_size, "enumerate_model: block_size", 1)
    n_states = 1 << dim
    states = _states(0, n_states, dim, dtype)
    logp = np.concatenate(
        [
            _block_log_prob(model, states[s : s + block_size], "enumerate_model")
            for s in range(0, n_states, block_size)
        ]
    )
    top = logp.max()
    if top == -np.inf:
        raise ValueError("enumerate_model: model.log_prob is -inf for every state (zero total mass)")
    return states, logp - (top + np.log(np.exp(logp - top).sum()))


def log_partition(model: Any, block_size: int = 1 << 14, dtype: Any = np.float64) -> float:
    """log Z = log sum_x exp(log_prob(x)) over all 2**D states (see :func:`enumerate_model`)."""
    return _enumerated_moments(model, block_size, dtype, "log_partition", pairwise=False)[0]


def exact_marginals(model: Any, block_size: int = 1 << 14, dtype: Any = np.float64) -> np.ndarray:
    """Exact P(x_i = 1) for every variable, shape ``(D,)`` (see :func:`enumerate_model`)."""
    return _enumerated_moments(model, block_size, dtype, "exact_marginals", pairwise=False)[1]


def exact_pairwise(model: Any, block_size: int = 1 << 14, dtype: Any = np.float64) -> np.ndarray:
    """Exact second moments E[x_i x_j] = P(x_i = 1, x_j = 1), shape ``(D, D)``.

    The diagonal holds the marginals. Covariances are ``E[x x^T] - outer(m, m)`` with
    ``m = exact_marginals(model)``.
    """
    return _enumerated_moments(model, block_size, dtype, "exact_pairwise", pairwise=True)[2]
