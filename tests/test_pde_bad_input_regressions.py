"""Regressions of issue 20 in ttsolve.pde and the FunctionalTT (each failed on 232f856)."""

import dataclasses

import numpy as np
import pytest

from ttsolve import TensorTrain
from ttsolve.basis import Legendre
from ttsolve.functional import FunctionalTT
from ttsolve.pde import get_problem, solve

FAST = dict(n_samples=200, n_steps=3, max_sweeps=1, max_fixed_point=2)


def test_checkpoint_of_a_different_problem_with_the_same_name_and_dim_is_refused(tmp_path):
    hjb = get_problem("hjb", dim=2)
    first = solve(hjb, seed=0, checkpoint=tmp_path / "ck", **FAST)
    other = dataclasses.replace(hjb, g=lambda X: 2.0 * hjb.g(X), grad_g=lambda X: 2.0 * hjb.grad_g(X))
    assert other.name == hjb.name and other.dim == hjb.dim
    with pytest.raises(ValueError, match="different"):
        solve(other, seed=0, checkpoint=tmp_path / "ck", **FAST)
    fresh = solve(other, seed=0, checkpoint=tmp_path / "ck2", **FAST)
    assert fresh.v0 != first.v0
    again = solve(hjb, seed=0, checkpoint=tmp_path / "ck", **FAST)  # same problem: resumed
    assert again.v0 == first.v0
    assert hjb.fingerprint() == get_problem("hjb", dim=2).fingerprint() != other.fingerprint()


@pytest.mark.parametrize("value, exc", [(float("nan"), ValueError), (0.0, ValueError), (-1.0, ValueError),
                                        ("1e8", TypeError)])
def test_divergence_threshold_is_checked(value, exc):
    with pytest.raises(exc, match="divergence_threshold"):
        solve(get_problem("hjb", dim=2), divergence_threshold=value, **FAST)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_progress_must_be_bool_or_callable(value):
    with pytest.raises(TypeError, match="progress"):
        solve(get_problem("hjb", dim=2), progress=value, **FAST)


@pytest.mark.parametrize("value", ["1", b"1", True, 1 + 2j, [object()]])
def test_extra_coef_refuses_non_numbers(value):
    tt = TensorTrain.random([2, 2], 1, seed=0)
    with pytest.raises(TypeError, match="extra_coef"):
        FunctionalTT(tt, Legendre(1), extra_coef=value)
