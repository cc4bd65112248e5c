"""Shared test configuration: a fixed, deterministic hypothesis profile."""

import os

from hypothesis import HealthCheck, settings

# Derandomised so that CI on a loaded 2-core machine is reproducible; no deadlines.
settings.register_profile(
    "ci",
    deadline=None,
    derandomize=True,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("TTSOLVE_HYPOTHESIS_PROFILE", "ci"))


import pytest  # noqa: E402


@pytest.fixture(params=["simd", "gemm"])
def gram_path(request):
    """Run a test with the regression's AVX2/FMA kernels (Gram and stack steps) and with their
    BLAS paths (the kernels are skipped where the CPU lacks AVX2/FMA); restores the default."""
    from ttsolve._extension import _core

    default = _core._testing.gram_simd()
    _core._testing.gram_simd(False)
    available = _core._testing.gram_simd(True)
    if request.param == "simd" and not available:
        _core._testing.gram_simd(default)
        pytest.skip("CPU without AVX2/FMA")
    _core._testing.gram_simd(request.param == "simd")
    yield request.param
    _core._testing.gram_simd(default)
