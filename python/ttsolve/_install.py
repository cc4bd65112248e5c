"""How the running ttsolve was installed, and which SIMD level its CPU offers.

Read from the installed distribution's metadata (PEP 610 ``direct_url.json`` and the wheel's
``WHEEL`` tags), so no build step has to stamp anything: a repaired wheel carries a
redistributable platform tag (manylinux, musllinux, macosx, win), a local ``pip install .``
a plain ``linux_x86_64``-style tag, an editable install ``"editable": true``.
"""

from __future__ import annotations

import json
from importlib import metadata

__all__ = ["build_kind", "classify", "cpu_simd_level"]

_REDISTRIBUTABLE = ("manylinux", "musllinux", "macosx", "win")


def _wheel_tags(dist: metadata.Distribution) -> list[str]:
    text = dist.read_text("WHEEL") or ""
    return [line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:")]


def classify(direct_url: dict, tags: list[str]) -> str:
    """The install kind from PEP 610 ``direct_url.json`` contents and the ``WHEEL`` tags."""
    if direct_url.get("dir_info", {}).get("editable"):
        return f"editable source build ({direct_url.get('url', '?').removeprefix('file://')})"
    platform_tag = tags[0].rsplit("-", 1)[-1] if tags else "?"
    if any(platform_tag.startswith(prefix) for prefix in _REDISTRIBUTABLE):
        return f"wheel ({platform_tag})"
    return f"source build ({platform_tag})"


def build_kind() -> str:
    """``"wheel (<tag>)"``, ``"editable source build (<dir>)"`` or ``"source build (<tag>)"``."""
    try:
        dist = metadata.distribution("ttsolve")
    except metadata.PackageNotFoundError:
        return "unknown (no installed distribution metadata)"
    return classify(json.loads(dist.read_text("direct_url.json") or "{}"), _wheel_tags(dist))


# From the widest: the first level whose features numpy's run-time CPU detection all reports.
_LEVELS = (
    ("avx512f", ("AVX512F",)),
    ("avx2+fma", ("AVX2", "FMA3")),
    ("avx", ("AVX",)),
    ("sse4.2", ("SSE42",)),
    ("sse2", ("SSE2",)),
    ("asimd (neon)", ("ASIMD",)),
    ("neon", ("NEON",)),
)


def cpu_simd_level() -> str:
    """Widest SIMD instruction set this CPU supports (numpy's run-time detection)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return "unknown"
    for name, needed in _LEVELS:
        if all(features.get(flag, False) for flag in needed):
            return name
    return "none detected"
