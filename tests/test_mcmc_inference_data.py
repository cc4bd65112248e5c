"""SampleResult.to_inference_data(): ArviZ sees every chain, draw and statistic, and its ESS
and R-hat on it equal ttsolve's own diagnostics."""

import warnings

import numpy as np
import pytest

from ttsolve.mcmc import IsingLattice, ess, rhat, sample


def _arviz():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pytest.importorskip("arviz")


@pytest.fixture(scope="module")
def result():
    model = IsingLattice((4, 4), coupling=0.3)
    return sample(model, "gwg", n_chains=4, n_steps=300, burn_in=50,
                  record=["samples", "energy", "magnetization", "hamming"], seed=3)


def test_inference_data_holds_chains_draws_and_every_statistic(result):
    _arviz()
    idata = result.to_inference_data()
    post = idata.posterior
    assert post.sizes["chain"] == 4 and post.sizes["draw"] == 300
    for name in ("energy", "magnetization", "hamming"):
        np.testing.assert_array_equal(post[name].values, result.statistic(name))
    np.testing.assert_array_equal(post["x"].values, result.samples)
    np.testing.assert_array_equal(idata.constant_data["acceptance"].values, result.acceptance)
    assert idata.posterior.attrs["seconds"] == result.seconds


@pytest.mark.parametrize("method", ["bulk", "mean"])
def test_arviz_ess_equals_ttsolve(result, method):
    az = _arviz()
    idata = result.to_inference_data()
    for name in ("energy", "magnetization"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = float(az.ess(idata, var_names=[name], method=method)[name])
        assert theirs == pytest.approx(float(ess(result.statistic(name), method=method)), rel=1e-10)


def test_arviz_rhat_and_summary(result):
    az = _arviz()
    idata = result.to_inference_data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = float(az.rhat(idata, var_names=["energy"])["energy"])
        table = az.summary(idata, var_names=["energy", "magnetization"])
    assert theirs == pytest.approx(float(rhat(result.statistic("energy"))), rel=1e-10)
    assert list(table.index) == ["energy", "magnetization"]


def test_without_arviz_the_hint_names_the_extra(result, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_arviz(name, *args, **kwargs):
        if name == "arviz":
            raise ImportError("no arviz")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_arviz)
    with pytest.raises(ImportError, match=r"ttsolve\[arviz\]"):
        result.to_inference_data()
