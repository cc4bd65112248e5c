"""The compressed local Gram (basis products through the 2 deg + 1 product-basis functions)
against A^T W A from the explicit design matrix, for every basis kind and degree 0..7."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ttsolve._extension import _core
from ttsolve.basis import H2Orthogonal, Hermite, Legendre, Monomial, product_structure

BASES = {
    "legendre": lambda deg: Legendre(deg, (-2.0, 3.0)),
    "hermite": lambda deg: Hermite(deg, 0.5, 2.0),
    "h2": lambda deg: H2Orthogonal(deg, (-3.0, 3.0)),
    "monomial": lambda deg: Monomial(deg),
}


def points(basis, K, d, rng):
    lo, hi = basis.domain
    if not np.isfinite(lo):  # Gaussian / unbounded: a few standard deviations
        lo, hi = -2.0, 2.0
    return rng.uniform(lo, hi, (K, d))


@pytest.mark.parametrize("kind", sorted(BASES))
@given(deg=st.integers(0, 7), r=st.integers(1, 4), r2=st.integers(1, 4), extra=st.booleans(),
       weighted=st.booleans(), seed=st.integers(0, 2**16))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # it only selects a path
def test_compressed_gram_matches_dense_design(kind, deg, r, r2, extra, weighted, seed, gram_path):
    rng = np.random.default_rng(seed)
    basis = BASES[kind](deg)
    K, d, k = 300, 3, 1
    X = points(basis, K, d, rng)
    Phi = basis.evaluate(X)
    Psi, C = product_structure([basis] * d, X)
    assert Psi.shape == (K, d, 2 * deg + 1) and C.shape == (d, basis.size * (basis.size + 1) // 2, 2 * deg + 1)
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    y = rng.standard_normal(K)
    g = rng.standard_normal(K) if extra else None
    w = rng.uniform(0.1, 2.0, K) if weighted else None
    G, b = _core.regression.als_normal_equations(L, Phi, R, k, g, w, y, Psi, C)
    A = np.einsum("ka,kj,kb->kajb", L, Phi[:, k], R).reshape(K, -1)
    if extra:
        A = np.column_stack([A, g])
    wv = np.ones(K) if w is None else w
    dense = A.T @ (wv[:, None] * A)
    assert np.abs(G - dense).max() <= 1e-12 * np.abs(dense).max()
    np.testing.assert_allclose(b, A.T @ (wv * y), rtol=1e-12, atol=1e-12 * np.abs(A.T @ (wv * y)).max())


@pytest.mark.parametrize("kind", sorted(BASES))
def test_product_coefficients_reproduce_products(kind):
    # phi_i phi_j = sum_m C[pair, m] Q_m pointwise (Q from the C++ recurrence)
    rng = np.random.default_rng(5)
    for deg in range(8):
        basis = BASES[kind](deg)
        X = points(basis, 50, 1, rng)
        Phi = basis.evaluate(X)[:, 0]
        Psi, C = product_structure([basis], X)
        iu, ju = np.triu_indices(basis.size)
        prod = Phi[:, iu] * Phi[:, ju]
        np.testing.assert_allclose(Psi[:, 0] @ C[0].T, prod, rtol=0, atol=1e-11 * np.abs(prod).max())


def test_compressed_gram_bad_shapes():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (20, 2))
    B = Legendre(3)
    Phi = B.evaluate(X)
    Psi, C = product_structure([B] * 2, X)
    L = R = np.ones((20, 1))
    y = np.ones(20)
    with pytest.raises(ValueError, match="Psi"):
        _core.regression.als_normal_equations(L, Phi, R, 0, None, None, y, Psi[:10], C)
    with pytest.raises(ValueError, match="C must"):
        _core.regression.als_normal_equations(L, Phi, R, 0, None, None, y, Psi, C[:, :3])
    with pytest.raises(ValueError, match="kind"):
        _core.regression.product_basis_values(X, np.array([0, 7]), np.zeros(2), np.ones(2), 3)


@given(r=st.integers(1, 8), r2=st.integers(1, 14), deg=st.integers(0, 5), K=st.integers(1, 700),
       extra=st.booleans(), seed=st.integers(0, 2**16))
def test_simd_and_gemm_gram_paths_agree(r, r2, deg, K, extra, seed):
    # every column-tile width of the AVX2 kernel (r2 pairs 1..105), odd row counts, sample
    # tails that are not a multiple of the 4 SIMD lanes, one and several sample blocks
    if not _core._testing.gram_simd():
        pytest.skip("CPU without AVX2/FMA")
    rng = np.random.default_rng(seed)
    basis = Legendre(deg)
    X = rng.uniform(-1, 1, (K, 2))
    Phi = basis.evaluate(X)
    Psi, C = product_structure([basis] * 2, X)
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    y = rng.standard_normal(K)
    g = rng.standard_normal(K) if extra else None
    try:
        out = []
        for simd in (True, False):
            _core._testing.gram_simd(simd)
            out.append(_core.regression.als_normal_equations(L, Phi, R, 0, g, None, y, Psi, C)
                       + _core.regression.als_normal_equations(L, Phi, R, 1, g, None, y))
    finally:
        _core._testing.gram_simd(True)
    for a, b in zip(out[0], out[1]):
        scale = np.abs(b).max()
        assert np.abs(a - b).max() <= 1e-13 * K * scale


def test_local_solve_same_for_one_and_two_threads():
    # large enough for the multi-threaded path; chunk partials are summed in a fixed order
    rng = np.random.default_rng(7)
    K, d, r, r2 = 12000, 2, 3, 3
    basis = Legendre(3)
    X = rng.uniform(-1, 1, (K, d))
    Phi = basis.evaluate(X)
    Psi, C = product_structure([basis] * d, X)
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    y, g = rng.standard_normal(K), rng.standard_normal(K)
    n = r * basis.size * r2 + 1
    old = _core.get_num_threads()
    out = []
    try:
        for threads in (1, 2):
            _core.set_num_threads(threads)
            out.append(_core.regression.als_normal_equations(L, Phi, R, 1, g, None, y, Psi, C)
                       + _core.regression.als_local_solve(L, Phi, R, 1, g, None, y, Psi, C, np.full(n, 1e-9)))
    finally:
        _core.set_num_threads(old)
    for a, b in zip(out[0], out[1]):
        np.testing.assert_array_equal(a, b)
    # and the fused solve agrees with solving the returned normal equations
    G, b = out[0][0], out[0][1]
    np.testing.assert_allclose(out[0][2], np.linalg.solve(G + 1e-9 * np.eye(n), b), rtol=1e-8)


def test_local_solve_penalty_and_bad_input():
    rng = np.random.default_rng(8)
    K, r, r2 = 200, 2, 2
    basis = Legendre(2)
    X = rng.uniform(-1, 1, (K, 1))
    Phi = basis.evaluate(X)
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    y = rng.standard_normal(K)
    n = r * 3 * r2
    P = rng.standard_normal((n, n))
    P = P @ P.T
    x, fb = _core.regression.als_local_solve(L, Phi, R, 0, None, None, y, None, None, np.full(n, 0.1), P)
    G, b = _core.regression.als_normal_equations(L, Phi, R, 0, None, None, y)
    np.testing.assert_allclose(x, np.linalg.solve(G + P + 0.1 * np.eye(n), b), rtol=1e-9)
    assert fb is False
    with pytest.raises(ValueError, match="reg"):
        _core.regression.als_local_solve(L, Phi, R, 0, None, None, y, None, None, np.zeros(n - 1))
    with pytest.raises(ValueError, match="penalty"):
        _core.regression.als_local_solve(L, Phi, R, 0, None, None, y, None, None, np.zeros(n), P[:-1])


def _reference_als_sweep(cores, Phi, y, reg):
    """Dense numpy ALS sweep (explicit design matrices), cores 1.. right-orthogonal on entry."""
    K, d, p = Phi.shape
    cores = [c.copy() for c in cores]
    R = [None] * d + [np.ones((K, 1))]
    for k in range(d - 1, 0, -1):
        R[k] = np.einsum("ajb,kj,kb->ka", cores[k], Phi[:, k], R[k + 1])
    L = [np.ones((K, 1))] + [None] * d

    def solve(k):
        A = np.einsum("ka,kj,kb->kajb", L[k], Phi[:, k], R[k + 1]).reshape(K, -1)
        cores[k] = np.linalg.solve(A.T @ A + reg * K * np.eye(A.shape[1]), A.T @ y).reshape(cores[k].shape)

    for k in range(d - 1):
        solve(k)
        r, _, r2 = cores[k].shape
        q, rr = np.linalg.qr(cores[k].reshape(r * p, r2))
        cores[k], cores[k + 1] = q.reshape(r, p, -1), np.einsum("ab,bjc->ajc", rr, cores[k + 1])
        L[k + 1] = np.einsum("ka,kj,ajb->kb", L[k], Phi[:, k], cores[k])
    for k in range(d - 1, 0, -1):
        solve(k)
        r, _, r2 = cores[k].shape
        q, rr = np.linalg.qr(cores[k].reshape(r, p * r2).T)
        cores[k], cores[k - 1] = q.T.reshape(-1, p, r2), np.einsum("ajb,bc->ajc", cores[k - 1], rr.T)
        R[k] = np.einsum("ajb,kj,kb->ka", cores[k], Phi[:, k], R[k + 1])
    return cores


@pytest.mark.parametrize("deg", [1, 3])
def test_cpp_als_sweep_matches_dense_reference(deg):
    from ttsolve.functional import FunctionalTT
    from ttsolve.regression import _orth_left, fit
    from ttsolve.tt import TensorTrain

    rng = np.random.default_rng(deg)
    K, d, rank = 400, 4, 2
    basis = Legendre(deg)
    X = rng.uniform(-1, 1, (K, d))
    y = np.sin(X.sum(1)) + X[:, 0] * X[:, 2]
    ranks = [1, rank, rank, rank, 1]
    cores = [rng.standard_normal((ranks[k], basis.size, ranks[k + 1])) for k in range(d)]
    for k in range(d - 1, 0, -1):
        lf, q = _orth_left(cores[k])
        cores[k], cores[k - 1] = q, np.einsum("ajb,bc->ajc", cores[k - 1], lf)
    ref = _reference_als_sweep(cores, basis.evaluate(X), y, 1e-8)
    f, rep = fit(X, y, basis, init=FunctionalTT(TensorTrain(cores), basis), reg=1e-8, max_sweeps=1, tol=0.0)
    expect = FunctionalTT(TensorTrain(ref), basis)(X)
    np.testing.assert_allclose(f(X), expect, rtol=1e-9, atol=1e-9 * np.abs(expect).max())
    assert rep.residuals[0] == pytest.approx(np.linalg.norm(expect - y) / np.linalg.norm(y), rel=1e-9)



def test_als_sweep_bad_input():
    rng = np.random.default_rng(10)
    K, d = 50, 3
    PhiT = np.ascontiguousarray(Legendre(2).evaluate(rng.uniform(-1, 1, (K, d))).transpose(1, 0, 2))
    cores = [np.ones((1, 3, 2)), np.ones((2, 3, 2)), np.ones((2, 3, 1))]
    R = [None, np.ones((K, 2)), np.ones((K, 2)), None]
    y = np.ones(K)
    with pytest.raises(ValueError, match="d >= 2"):
        _core.regression.als_sweep(cores[:1], R[:2], PhiT[:1], None, None, y, None, None, 0.0)
    with pytest.raises(TypeError, match="C-contiguous float64"):
        _core.regression.als_sweep([cores[0].astype(np.float32)] + cores[1:], R, PhiT, None, None, y, None, None, 0.0)
    with pytest.raises(ValueError, match="right stack"):
        _core.regression.als_sweep(cores, [None, np.ones((K, 3)), np.ones((K, 2)), None], PhiT, None, None, y, None, None, 0.0)
    with pytest.raises(ValueError, match="ridge"):
        _core.regression.als_sweep(cores, R, PhiT, None, None, y, None, None, float("nan"))
    with pytest.raises(ValueError, match="core shapes"):
        _core.regression.als_sweep([np.ones((1, 3, 2)), np.ones((3, 3, 2)), cores[2]], R, PhiT, None, None, y, None, None, 0.0)
    # a valid call updates the cores in place and returns the fitted values
    f, c, fallbacks = _core.regression.als_sweep(cores, R, PhiT, None, None, y, None, None, 1e-8)
    assert f.shape == (K,) and np.all(np.isfinite(f)) and fallbacks >= 0


def test_stacks_same_for_one_and_two_threads():
    # large enough for the threaded stack updates (each block writes its own rows)
    rng = np.random.default_rng(11)
    K, r, p, r2 = 20000, 4, 4, 4
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    Phi = rng.standard_normal((K, 1, p))
    core = rng.standard_normal((r, p, r2))
    old = _core.get_num_threads()
    out = []
    try:
        for threads in (1, 2):
            _core.set_num_threads(threads)
            out.append((_core.regression.als_stack_left(L, Phi, 0, core), _core.regression.als_stack_right(R, Phi, 0, core)))
    finally:
        _core.set_num_threads(old)
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])
    np.testing.assert_allclose(out[0][0], np.einsum("ka,kj,ajb->kb", L, Phi[:, 0], core), rtol=1e-12, atol=1e-12)


@given(K=st.integers(1, 1200), r=st.integers(1, 9), p=st.integers(1, 6), r2=st.integers(1, 9),
       k=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_stacks_match_einsum_on_both_paths(K, r, p, r2, k, seed):
    # the AVX2 stack kernel (groups of four samples, outputs four per vector with a masked
    # tail) and the BLAS path, against einsum, on a slice k of a (K, 3, p) basis array
    rng = np.random.default_rng(seed)
    L, R = rng.standard_normal((K, r)), rng.standard_normal((K, r2))
    Phi = rng.standard_normal((K, 3, p))
    core = rng.standard_normal((r, p, r2))
    left = np.einsum("ka,kj,ajb->kb", L, Phi[:, k], core)
    right = np.einsum("ajb,kj,kb->ka", core, Phi[:, k], R)
    default = _core._testing.gram_simd()
    try:
        for simd in (True, False):
            _core._testing.gram_simd(simd)
            np.testing.assert_allclose(_core.regression.als_stack_left(L, Phi, k, core), left, rtol=1e-12, atol=1e-12 * (1 + np.abs(left).max()))
            np.testing.assert_allclose(_core.regression.als_stack_right(R, Phi, k, core), right, rtol=1e-12, atol=1e-12 * (1 + np.abs(right).max()))
    finally:
        _core._testing.gram_simd(default)


def test_fit_stops_on_ctrl_c():
    # the C++ sweep polls for signals: a SIGINT during a long fit raises KeyboardInterrupt
    # instead of running all its sweeps (~15 s here without the interrupt)
    import signal
    import threading

    from ttsolve.regression import fit

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (50000, 10))
    y = np.sin(X.sum(1)) + np.exp(-np.sum(X**2, 1))  # far from rank 6: no early convergence
    timer = threading.Timer(0.5, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fit(X, y, Legendre(7), ranks=6, max_sweeps=60, tol=0.0)
    finally:
        timer.cancel()
