"""The shared argument checks: one rule for 1-D point batches, one int/real/seed checker."""

import numpy as np
import pytest

from ttsolve._validation import as_generator, as_points, as_real_array, as_seed, check_int, check_real, is_int, is_real


def test_as_points_rejects_1d_by_default_naming_the_argument():
    with pytest.raises(ValueError, match=r"Xq must be a 2-D array.*reshape"):
        as_points(np.zeros(3), 3, "Xq")


def test_as_points_documented_1d_readings():
    assert as_points(np.arange(3.0), 3, one_d="row").shape == (1, 3)
    assert as_points(np.arange(3.0), one_d="column").shape == (3, 1)
    with pytest.raises(ValueError, match="one_d"):
        as_points(np.zeros((2, 2)), one_d="sideways")


def test_as_points_shape_dtype_and_finiteness():
    X = as_points(np.arange(6, dtype=np.int32).reshape(3, 2), 2)
    assert X.dtype == np.float64 and X.flags.c_contiguous
    with pytest.raises(ValueError, match=r"\(K, 3\)"):
        as_points(np.zeros((2, 2)), 3)
    with pytest.raises(TypeError, match="real"):
        as_points(np.array([["a"]]))
    with pytest.raises(ValueError, match="NaN"):
        as_points(np.array([[np.nan]]))


def test_int_and_real_checks_refuse_bools():
    assert is_int(np.int64(3)) and not is_int(True) and not is_int(np.bool_(True)) and not is_int(3.0)
    assert is_real(2) and is_real(np.float32(1.5)) and not is_real(False)
    assert check_int(np.int16(4), "n", 1, 5) == 4
    with pytest.raises(TypeError, match="n must be an int"):
        check_int(True, "n")
    with pytest.raises(ValueError, match="n must be <= 5"):
        check_int(6, "n", maximum=5)
    assert check_real(2, "x", positive=True) == 2.0
    with pytest.raises(ValueError, match="x must be > 0"):
        check_real(0.0, "x", positive=True)
    with pytest.raises(ValueError, match="finite"):
        check_real(float("inf"), "x")
    with pytest.raises(TypeError, match="x must be a real number"):
        check_real("1", "x")


def test_seeds():
    assert as_seed(np.uint64(2**63)) == 2**63
    with pytest.raises(TypeError, match="seed"):
        as_seed(1.0)
    a = as_generator(5).standard_normal(3)
    assert np.array_equal(a, np.random.Generator(np.random.PCG64(5)).standard_normal(3))


def test_as_real_array_refuses_complex_object_and_bool_and_names_the_argument():
    for bad in (np.ones(3) + 1j, np.array([1.0, None]), np.array([True, False]), "abc"):
        with pytest.raises(TypeError, match="^Q must be a real array"):
            as_real_array(bad, "Q")
    with pytest.raises(ValueError, match="^Q must be finite"):
        as_real_array([1.0, np.inf], "Q")
    assert as_real_array([1.0, np.nan], "Q", finite=False).dtype == np.float64
    assert as_real_array(np.arange(3, dtype=np.int8), "Q").dtype == np.float64
