"""Sphinx configuration of the hallusim documentation (MyST Markdown prose, numpydoc docstrings).

Build it warning-free with ``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import hallusim  # noqa: E402

project = "hallusim"
author = "hallusim developers"
copyright = "2025, hallusim developers"
release = hallusim.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "hallusim_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"hallusim {release}"
html_static_path = []

# Formulas render offline: MathJax 3 (its single-file SVG build, fonts included) comes from the
# `django-static-mathjax` package of the docs extra (plain static files; it needs no Django) and is
# copied into the build's _static folder, instead of being loaded from a CDN.
try:
    import mathjax as _mathjax_package
except ImportError as exc:  # pragma: no cover - the docs extra installs it
    raise RuntimeError("the docs need MathJax: pip install -e '.[docs]' (django-static-mathjax)") from exc
_MATHJAX = Path(_mathjax_package.__file__).resolve().parent / "static" / "mathjax" / "es5" / "tex-svg.js"
html_static_path.append(str(_MATHJAX))
mathjax_path = "tex-svg.js"  # relative: the copy in _static
