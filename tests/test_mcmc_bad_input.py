"""Regressions of issue 20 in the mcmc models (misbehaving UserModel callbacks, bad dim,
complex arrays): each test failed on 232f856, where the run went on with acceptance 0 and
NaN energies, UserModel(2.5, ...) became dim 2, and complex arrays lost their imaginary part
with only a ComplexWarning."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from ttsolve.mcmc import RBM, BinaryQuadratic, FactorialHMM, IsingLattice, UserModel, sample

D = 6
J = np.random.default_rng(0).normal(size=(D, D)) * 0.1
J = J + J.T


def _log_prob(X):
    return ((X @ J) * X).sum(1)


def _grad(X):
    return 2.0 * X @ J


def _nan_after(n_calls, good, bad_value=np.nan):
    """A callback that returns ``bad_value`` for chain 1 from call number ``n_calls`` on."""
    calls = [0]

    def f(X):
        out = np.array(good(X), dtype=np.float64)
        calls[0] += 1
        if calls[0] > n_calls:
            out[1] = bad_value
        return out
    return f


# ---- item 3: UserModel callbacks checked at the start and on every step ----------------
@pytest.mark.parametrize("log_prob, grad, callback, shape_or_kind", [
    (lambda X: np.full(X.shape[0], np.nan), _grad, "log_prob", "NaN or inf"),
    (_log_prob, lambda X: np.full(X.shape, np.inf), "grad", "NaN or inf"),
    (lambda X: 1.0, _grad, "log_prob", r"shape \(\)"),
    (lambda X: _log_prob(X)[:, None], _grad, "log_prob", r"shape \(4, 1\)"),
    (_log_prob, lambda X: _grad(X)[:, :-1], "grad", r"shape \(4, 5\)"),
    (lambda X: _log_prob(X) + 1j, _grad, "log_prob", "dtype complex128"),
    (_log_prob, lambda X: _grad(X).astype(object), "grad", "dtype object"),
    (lambda X: np.exp(1000.0 * X.sum(1)), _grad, "log_prob", "NaN or inf"),  # overflows
])
def test_user_model_bad_output_at_the_initial_states(log_prob, grad, callback, shape_or_kind):
    model = UserModel(D, log_prob, grad)
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        warnings.filterwarnings("ignore", "overflow", RuntimeWarning)
        with pytest.raises(ValueError, match=rf"^{callback} returned {shape_or_kind}.* at step 0 "):
            sample(model, "gwg", 4, 20, seed=1)


@pytest.mark.parametrize("which", ["log_prob", "grad"])
def test_user_model_bad_output_mid_run_names_the_step(which):
    # Each step calls each callback once on the proposals; the 6th call is step 5.
    log_prob = _nan_after(5, _log_prob) if which == "log_prob" else _log_prob
    grad = _nan_after(5, _grad) if which == "grad" else _grad
    with pytest.raises(ValueError, match=rf"^{which} returned NaN or inf at step 5 \(chain/row 1\)"):
        sample(UserModel(D, log_prob, grad), "gwg", 4, 50, seed=1, record=["samples", "energy"])


def test_user_model_good_callbacks_still_sample():
    res = sample(UserModel(D, _log_prob, _grad), "gwg", 4, 50, seed=1, record=["samples", "energy"])
    assert np.isfinite(res.statistic("energy")).all()
    assert np.allclose(res.statistic("energy")[:, -1], _log_prob(res.samples[:, -1].astype(float)))


def test_user_model_log_prob_checks_outside_sampling():
    model = UserModel(D, lambda X: np.full(X.shape[0], np.nan))
    with pytest.raises(ValueError, match=r"^log_prob returned NaN or inf \(chain/row 0\)"):
        model.log_prob(np.zeros((2, D)))


# ---- item 3: UserModel dim -----------------------------------------------------------
@pytest.mark.parametrize("dim, error", [(2.5, TypeError), (True, TypeError), ("3", TypeError),
                                        (0, ValueError), (-2, ValueError)])
def test_user_model_refuses_bad_dim(dim, error):
    with pytest.raises(error, match="dim"):
        UserModel(dim, _log_prob, _grad)


# ---- item 3: complex arrays refused by every model -----------------------------------
def _models_with_complex_argument():
    c = 1j
    W = np.ones((3, 4)) * 0.1
    yield "J", lambda: BinaryQuadratic(J + c)
    yield "J", lambda: BinaryQuadratic(sp.csr_matrix(J + c))
    yield "b", lambda: BinaryQuadratic(J, np.ones(D) + c)
    yield "coupling", lambda: IsingLattice((3, 3), 0.2 + c)
    yield "bias", lambda: IsingLattice((3, 3), 0.2, np.ones(9) + c)
    yield "W", lambda: RBM(W + c, np.zeros(4), np.zeros(3))
    yield "b", lambda: RBM(W, np.zeros(4) + c, np.zeros(3))
    yield "c", lambda: RBM(W, np.zeros(4), np.zeros(3) + c)
    yield "y", lambda: FactorialHMM(np.ones(5) + c, np.ones(2))
    yield "w", lambda: FactorialHMM(np.ones(5), np.ones(2) + c)
    yield "b", lambda: FactorialHMM(np.ones(5), np.ones(2), b=1 + c)
    yield "sigma", lambda: FactorialHMM(np.ones(5), np.ones(2), sigma=1 + c)
    yield "p_switch", lambda: FactorialHMM(np.ones(5), np.ones(2), p_switch=0.1 + c)


@pytest.mark.parametrize("name, build", list(_models_with_complex_argument()))
def test_models_refuse_complex_arrays(name, build):
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)  # the old silent path
        with pytest.raises(TypeError, match=rf"^{name} must be a real"):
            build()


@pytest.mark.parametrize("build", [lambda: BinaryQuadratic(J.astype(object)),
                                   lambda: RBM(np.array([["a", "b"]]), np.zeros(2), np.zeros(1)),
                                   lambda: IsingLattice((2, 2), 0.1, np.array([None] * 4))])
def test_models_refuse_object_and_text_arrays(build):
    with pytest.raises(TypeError, match="must be a real array"):
        build()


def test_real_integer_arrays_still_accepted():
    model = BinaryQuadratic(np.round(J * 10).astype(np.int64), np.arange(D))
    assert model.J.dtype == np.float64 and model.b.dtype == np.float64
    sparse = BinaryQuadratic(sp.csr_matrix(np.round(J * 10).astype(np.int32)))
    assert np.array_equal(sparse.J.toarray(), model.J.toarray())
