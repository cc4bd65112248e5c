"""The Sphinx documentation (API reference + the docs/*.md guides) builds with warnings as
errors. Skipped when the docs extra (sphinx, numpydoc, myst-parser) is not installed."""

import pathlib
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


@pytest.mark.slow
def test_sphinx_build_has_no_warnings(tmp_path):
    for name in ("sphinx", "numpydoc", "myst_parser"):
        pytest.importorskip(name)
    if not (DOCS / "conf.py").exists():
        pytest.skip("docs/ sources not present")
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "-d", str(tmp_path / "doctrees"),
           str(DOCS), str(tmp_path / "html")]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**__import__("os").environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr[-5000:]
    assert (tmp_path / "html" / "api" / "pde.html").exists()
