"""Sphinx configuration: API reference from the docstrings (numpydoc), the docs/*.md guides
through myst-parser. Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html``
(the ``docs`` extra; ttsolve itself must be installed, autodoc imports it)."""

import ttsolve

project = "ttsolve"
version = release = ttsolve.__version__
extensions = ["sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.mathjax", "numpydoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# The guides' headings as link targets (`[text](tt.md#orthogonalisation-and-rounding)`).
myst_heading_anchors = 3
myst_enable_extensions = ["dollarmath"]

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters sections carry the types
numpydoc_show_class_members = False  # autodoc lists them; no autosummary stubs per method
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"ttsolve {release}"


def _skip_sklearn_metadata_requests(app, what, name, obj, skip, options):
    # scikit-learn generates set_<method>_request on every estimator (TTRegressor); their
    # docstrings point into sklearn's own docs, which this build cannot resolve.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_metadata_requests)
