"""ttsolve's own microbenchmarks, shipped in the package: ``ttsolve bench [tt|regression|mcmc|pde]``.

Each area module has ``run(quick, repeats) -> Report``; peers are timed only when installed.
"""

from __future__ import annotations

from importlib import import_module

__all__ = ["AREAS", "run"]

AREAS = ("tt", "regression", "mcmc", "pde")


def run(area: str, quick: bool = False, repeats: int | None = None, json_path: str | None = None) -> dict:
    """Run one area's microbenchmarks, print the table and return the results as a dict."""
    if area not in AREAS:
        raise ValueError(f"bench: area must be one of {AREAS}, got {area!r}")
    module = import_module(f"{__name__}.{area}")
    report = module.run(quick=quick, repeats=repeats or (2 if quick else 5))
    return report.finish(json_path)
