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
