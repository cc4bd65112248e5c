"""The multi-block Philox fill (csrc/common/rng_bulk.cpp, AVX2 or portable) and the bulk
reader give exactly the scalar generator's words, from any word offset, and leave the
generator at the word after the last one they handed out: every seeded result that reads
its uniforms through them is unchanged."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ttsolve import _core

T = _core._testing


@pytest.mark.parametrize("mode", ["fill", "reader"])
@pytest.mark.parametrize("simd", [True, False])
def test_bulk_words_equal_the_scalar_stream(mode, simd):
    rng = np.random.default_rng(0)
    for _ in range(40):
        seed, stream = (int(v) for v in rng.integers(0, 2**63, 2, dtype=np.uint64))
        skip, n = int(rng.integers(0, 50)), int(rng.integers(0, 3000))
        want = T.philox_words(seed, stream, skip, n, "scalar")
        np.testing.assert_array_equal(T.philox_words(seed, stream, skip, n, mode, simd), want)


@settings(deadline=None, max_examples=60)
@given(seed=st.integers(0, 2**64 - 1), stream=st.integers(0, 2**64 - 1), skip=st.integers(0, 40),
       n=st.integers(0, 700), simd=st.booleans())
def test_random_keys_and_offsets(seed, stream, skip, n, simd):
    want = T.philox_words(seed, stream, skip, n, "scalar")
    for mode in ("fill", "reader"):
        np.testing.assert_array_equal(T.philox_words(seed, stream, skip, n, mode, simd), want)


def test_counter_carry_and_the_check_can_fail():
    # blocks whose 64-bit counter crosses 2^32 (words 4 * 2^32 - 8 on): the lanes carry
    skip = 4 * (2**32) - 8
    a = T.philox_words(5, 9, skip, 80, "fill")
    b = T.philox_words(5, 9, skip, 80, "reader")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(T.philox_words(5, 9, skip + 8, 40, "fill")[:40], a[8:48])
    # a different stream, key or offset gives different words
    assert (T.philox_words(5, 10, 0, 64, "fill") != T.philox_words(5, 9, 0, 64, "fill")).mean() > 0.9
    assert (T.philox_words(6, 9, 0, 64, "fill") != T.philox_words(5, 9, 0, 64, "fill")).mean() > 0.9
    assert (T.philox_words(5, 9, 1, 64, "fill")[:64] != T.philox_words(5, 9, 0, 64, "fill")[:64]).mean() > 0.9


def test_known_answer():
    # Philox4x32-10 test vector (Random123 kat_vectors: counter 0, key 0 -> 6627e8d5 e169c58d bc57ac4c 9b00dbd8)
    np.testing.assert_array_equal(T.philox_words(0, 0, 0, 4, "fill")[:4],
                                  np.array([0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8], dtype=np.uint32))


def test_bad_hook_input():
    with pytest.raises(ValueError, match="mode"):
        T.philox_words(0, 0, 0, 4, "simd")
    with pytest.raises(ValueError, match="n must be"):
        T.philox_words(0, 0, 0, -1, "fill")
