"""The binding glue: the one Ctrl-C path and optional array arguments."""

import signal
import threading

import numpy as np
import pytest

from ttsolve import _core
from ttsolve.mcmc import RBM, IsingLattice, sample


def test_ctrl_c_in_a_released_kernel_raises_keyboard_interrupt():
    # kernel polls Interrupt from every OpenMP thread -> throws ttsolve::Interrupted after its
    # parallel region -> run_released raises KeyboardInterrupt with the GIL held again
    timer = threading.Timer(0.2, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _core._testing.wait_for_interrupt(60.0)
    finally:
        timer.cancel()
    # nothing is left pending: the next kernel runs to its end
    assert _core._testing.wait_for_interrupt(0.1) is False


def test_kernel_errors_keep_their_python_types():
    x = _core.tt.random([3, 4], [1, 2, 1], 0)
    with pytest.raises(ValueError, match=r"idx must have shape \(\*, 2\), got \(5, 3\)"):
        _core.tt.evaluate(x, np.zeros((5, 3), dtype=np.int64))
    with pytest.raises(IndexError):
        x.core(7)
    with pytest.raises(ValueError, match="path must be"):
        _core._testing.tt_round_paths(x, 0.1, 0, "qr")
    with pytest.raises(ValueError, match=r"weights must have shape \(20,\)"):
        L = R = np.ones((20, 1))
        _core.regression.als_normal_equations(L, np.ones((20, 1, 3)), R, 0, None, np.ones(19), np.ones(20))


def test_optional_reference_none_is_the_all_zeros_reference():
    # issue 20 item 1: a missing reference was an empty array whose data pointer the engines
    # read D bytes from; None now reaches them as a null pointer (reference = all zeros)
    r = sample(IsingLattice((10, 10), 0.2), "gwg", 4, 200, record=["samples", "hamming"], seed=1)
    np.testing.assert_array_equal(r.statistic("hamming"), r.samples.sum(-1))
    rng = np.random.default_rng(0)
    rbm = RBM(rng.standard_normal((5, 10)) * 0.3, rng.standard_normal(10) * 0.1, rng.standard_normal(5) * 0.1)
    r = sample(rbm, "gwg", 3, 100, record=["samples", "hamming"], seed=2)
    np.testing.assert_array_equal(r.statistic("hamming"), r.samples.sum(-1))


def test_optional_reference_is_shape_checked():
    m = IsingLattice((3, 3), 0.2)
    with pytest.raises(ValueError, match="reference"):
        _core.mcmc.quad_sample(*m.csr(), "gwg", 1, 1, np.zeros((2, 9), np.uint8), 10, 0, 1, 0, ["hamming"],
                               np.zeros(8, np.uint8), None)
