"""Shared hypothesis strategies for the TensorTrain tests."""

import numpy as np
from hypothesis import strategies as st

from ttsolve import TensorTrain


@st.composite
def shapes(draw, min_d=1, max_d=6, max_n=4, max_r=3):
    """(dims, ranks) with d in [min_d, max_d], modes <= max_n, inner ranks <= max_r."""
    d = draw(st.integers(min_d, max_d))
    dims = draw(st.lists(st.integers(1, max_n), min_size=d, max_size=d))
    inner = draw(st.lists(st.integers(1, max_r), min_size=d - 1, max_size=d - 1))
    return dims, [1, *inner, 1]


@st.composite
def trains(draw, **kw):
    dims, ranks = draw(shapes(**kw))
    seed = draw(st.integers(0, 2**32))
    return TensorTrain.random(dims, ranks, seed=seed)


@st.composite
def train_pairs(draw, **kw):
    """Two trains with the same dims but independent ranks."""
    dims, ranks = draw(shapes(**kw))
    max_r = kw.get("max_r", 3)
    ranks2 = [1, *draw(st.lists(st.integers(1, max_r), min_size=len(dims) - 1, max_size=len(dims) - 1)), 1]
    s1, s2 = draw(st.integers(0, 2**32)), draw(st.integers(0, 2**32))
    return TensorTrain.random(dims, ranks, seed=s1), TensorTrain.random(dims, ranks2, seed=s2)


def dense_from_cores(cores):
    """Independent dense reference: explicit contraction with numpy (no ttsolve kernels)."""
    out = np.asarray(cores[0])[0]  # (n_0, r_1)
    for c in cores[1:]:
        out = np.tensordot(out, np.asarray(c), axes=([-1], [0]))
    return out[..., 0]


def tt_svd_error_bound(S, max_rank):
    """sqrt(sum_k tail_k^2), tail_k the best rank-max_rank error of unfolding k of the dense S:
    the quasi-optimality bound of TT rounding with a binding max_rank (any sequence of
    nested projections, from one side or from both)."""
    dims = S.shape
    tails = []
    for k in range(1, len(dims)):
        sv = np.linalg.svd(S.reshape(int(np.prod(dims[:k])), -1), compute_uv=False)
        tails.append(np.sqrt(np.sum(sv[max_rank:] ** 2)))
    return float(np.sqrt(np.sum(np.square(tails))))
