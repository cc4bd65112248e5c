"""TTRegressor: scikit-learn's estimator checks, GridSearchCV, cross_val_score, bad input."""

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from ttsolve.basis import Legendre  # noqa: E402
from ttsolve.regression import TTRegressor  # noqa: E402


@parametrize_with_checks([TTRegressor(), TTRegressor(method="als", max_rank=2, degree=2)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def _rank2_data(K, seed, d=4):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 3, (K, d))
    t = (X - 0.5) / 2.5
    y = np.prod(1 + 0.3 * t, 1) + np.prod(1 - 0.2 * t + 0.1 * t**2, 1)
    return X, y


def test_fit_predict_score_exact_target():
    X, y = _rank2_data(800, 0)
    Xt, yt = _rank2_data(300, 1)
    m = TTRegressor(degree=2, max_rank=4).fit(X, y)
    assert m.n_features_in_ == 4 and max(m.ranks_) <= 3
    assert np.linalg.norm(m.predict(Xt) - yt) / np.linalg.norm(yt) < 1e-10
    assert m.score(Xt, yt) > 1 - 1e-15
    # a Basis instance, with the degree replaced
    m2 = TTRegressor(basis=Legendre(5, domain=(-2, 3)), degree=2, method="als", max_rank=2).fit(X, y)
    assert m2.model_.tt.dims[0] == 3
    assert m2.score(Xt, yt) > 1 - 1e-15


def test_grid_search_over_degree_and_rank_and_cross_val_score():
    X, y = _rank2_data(600, 2)
    rng = np.random.default_rng(3)
    yn = y + 0.01 * rng.standard_normal(len(y))
    grid = GridSearchCV(TTRegressor(method="als"), {"degree": [1, 2], "max_rank": [1, 2]},
                        cv=KFold(3, shuffle=True, random_state=0))
    grid.fit(X, yn)
    # the target needs degree 2 and rank 2; every smaller model leaves a systematic error
    assert grid.best_params_ == {"degree": 2, "max_rank": 2}
    scores = cross_val_score(TTRegressor(degree=2, max_rank=3), X, yn, cv=KFold(3, shuffle=True, random_state=0))
    noise_r2 = 1 - 0.01**2 / np.var(yn)
    assert np.all(scores > noise_r2 - 0.01)


def test_validation_fraction_and_sample_weight():
    X, y = _rank2_data(600, 4)
    m = TTRegressor(degree=2, validation_fraction=0.2).fit(X, y)
    assert len(m.report_.validation) == m.report_.sweeps
    w = np.ones(len(y))
    w[::2] = 0.0
    m1 = TTRegressor(degree=2).fit(X, y, sample_weight=w)
    m2 = TTRegressor(degree=2).fit(X[1::2], y[1::2])
    np.testing.assert_allclose(m1.predict(X[:50]), m2.predict(X[:50]), rtol=1e-8, atol=1e-10)


def test_bad_input_as_sklearn():
    X, y = _rank2_data(100, 5)
    with pytest.raises(ValueError, match="Reshape your data"):
        TTRegressor().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="NaN"):
        TTRegressor().fit(np.where(X > 2.9, np.nan, X), y)
    with pytest.raises(ValueError, match="infinity|inf"):
        TTRegressor().fit(X, np.where(y > 1, np.inf, y))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TTRegressor().fit(X, y[:-1])
    m = TTRegressor(degree=1, max_rank=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        m.predict(X[:, :3])
    with pytest.raises(ValueError, match="basis"):
        TTRegressor(basis="chebyshev").fit(X, y)
    with pytest.raises(ValueError, match="method"):
        TTRegressor(method="dmrg").fit(X, y)
